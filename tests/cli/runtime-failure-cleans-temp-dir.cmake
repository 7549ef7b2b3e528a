# A failure while the results are being written, after the temporary directory
# (.<leaf>.tmp-*) was created. It is provoked with a file-size limit (bash `ulimit -f`,
# with SIGXFSZ ignored so that the write fails with EFBIG instead of killing racesim).
# Exit 3; the temporary directory is removed, no results appear, and an existing results
# directory is kept as it was.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

function(limited_run prefix)
  execute_process(COMMAND bash -c "trap '' XFSZ; ulimit -f 8; exec \"$0\" run \"$1\" --out out" "${RACESIM}" "${TABLE2}"
                  WORKING_DIRECTORY "${WORK}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  set_property(GLOBAL APPEND_STRING PROPERTY CLI_LOG
               "\n=== [${prefix}] ulimit -f 8; racesim run table2 --out out\nexit code: ${rc}\n--- stderr ---\n${err}")
  set(${prefix}_RC "${rc}" PARENT_SCOPE)
  set(${prefix}_ERR "${err}" PARENT_SCOPE)
  set(${prefix}_OUT "${out}" PARENT_SCOPE)
endfunction()

limited_run(fresh)
expect_rc(fresh 3)
expect_match(fresh ERR "racesim: error: error while writing [^\n]*\\.csv")
expect_dir_listing("${WORK}")

# Same failure over earlier results: they survive untouched.
racesim(first ARGS run "${TABLE2}" --out out)
expect_rc(first 0)
file(READ "${WORK}/out/summary.json" before)
limited_run(again)
expect_rc(again 3)
expect_dir_listing("${WORK}" out)
expect_dir_listing("${WORK}/out" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
file(READ "${WORK}/out/summary.json" after)
if(NOT before STREQUAL after)
  fail("out/summary.json changed after a failed run")
endif()
racesim_finish()
