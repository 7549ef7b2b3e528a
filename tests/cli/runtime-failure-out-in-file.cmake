# --out inside a regular file: the results cannot be written. Exit 3 (a run-time failure),
# found before integrating (nothing on stdout), with a message naming the path; no results
# and no temporary directories anywhere; the file is untouched.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/F" "not a directory\n")
racesim(run ARGS run "${TABLE2}" --out F/sub)
expect_rc(run 3)
expect_match(run ERR "racesim: error: cannot write results to F/sub: F is not a directory\n")
expect_empty(run OUT)
expect_no_match(run ERR "results written")
expect_dir_listing("${WORK}" F)
file(READ "${WORK}/F" content)
if(NOT content STREQUAL "not a directory\n")
  fail("F was modified: '${content}'")
endif()

# --out naming the regular file itself.
racesim(file ARGS run "${TABLE2}" --out F)
expect_rc(file 3)
expect_match(file ERR "racesim: error: results path F exists and is not a directory\n")
expect_dir_listing("${WORK}" F)
file(READ "${WORK}/F" content)
if(NOT content STREQUAL "not a directory\n")
  fail("F was modified: '${content}'")
endif()
racesim_finish()
