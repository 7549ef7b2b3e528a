# A full disk while racesim writes its results (ENOSPC from write(2), made by the LD_PRELOAD
# shim tests/cli/fixtures/enospc.cpp for files whose path matches): exit 3 with the reason
# ("No space left on device (the disk is full)") and the file named; no results directory,
# no temporary directory left; earlier results in place survive a --force run byte for byte.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
if(NOT DEFINED ENOSPC_SHIM)
  message(FATAL_ERROR "-DENOSPC_SHIM=... is required")
endif()

# disk_full(<prefix> <match> ARGS...): racesim with writes to files matching <match> failing.
function(disk_full prefix match)
  set(ENV{LD_PRELOAD} "${ENOSPC_SHIM}")
  set(ENV{RACESIM_ENOSPC_MATCH} "${match}")
  racesim(${prefix} ARGS ${ARGN})
  unset(ENV{LD_PRELOAD})
  unset(ENV{RACESIM_ENOSPC_MATCH})
  set(${prefix}_RC "${${prefix}_RC}" PARENT_SCOPE)
  set(${prefix}_OUT "${${prefix}_OUT}" PARENT_SCOPE)
  set(${prefix}_ERR "${${prefix}_ERR}" PARENT_SCOPE)
endfunction()

# 1. The first CSV cannot be written: nothing is left.
disk_full(csv ".csv" run "${TABLE2}" --out "${WORK}/fresh")
expect_rc(csv 3)
expect_match(csv ERR "racesim: error: error while writing [^\n]*\\.csv: No space left on device \\(the disk is full\\); no results were written")
expect_dir_listing("${WORK}" )  # no results directory, no .fresh.tmp-* left

# 2. summary.json cannot be written (the last file): nothing is left either.
disk_full(summary "summary.json" run "${TABLE2}" --out "${WORK}/fresh")
expect_rc(summary 3)
expect_match(summary ERR "racesim: error: error while writing [^\n]*summary\\.json: No space left on device \\(the disk is full\\)")
expect_dir_listing("${WORK}" )

# 3. Earlier results survive a --force run that fills the disk.
racesim(first ARGS run "${TABLE2}" --out "${WORK}/kept")
expect_rc(first 0)
file(READ "${WORK}/kept/summary.json" before)
disk_full(again ".csv" run "${TABLE2}" --out "${WORK}/kept" --force)
expect_rc(again 3)
file(READ "${WORK}/kept/summary.json" after)
if(NOT before STREQUAL after)
  fail("the earlier results' summary.json changed")
endif()
expect_dir_listing("${WORK}" kept)
racesim_finish()
