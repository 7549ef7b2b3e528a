# SIGINT (Ctrl-C) stops a run cleanly: exit 130, no results directory and no temporary
# directory left, previous results untouched. SIGTERM: exit 143, the same. Interrupts land
# while integrating and while the results are being written; in the second case the results
# may already have been committed (then they are complete).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

write_slow_config("${WORK}/slow.yaml")
racesim(reference ARGS -q run slow.yaml --out ref)
expect_rc(reference 0)

# While integrating: nothing is written.
kill_run(int INT 0.2 -q run slow.yaml --out out)
expect_rc(int 130)
expect_dir_listing("${WORK}" slow.yaml ref)

kill_run(term TERM 0.2 -q run slow.yaml --out out)
expect_rc(term 143)
expect_dir_listing("${WORK}" slow.yaml ref)

# The message, from a run started in the foreground of a shell.
execute_process(COMMAND bash -c "\"$0\" -q run slow.yaml --out out & p=$!; sleep 0.2; kill -INT $p; wait $p" "${RACESIM}"
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 130 OR NOT err MATCHES "racesim: interrupted by SIGINT: stopped. no results were written\n")
  fail("SIGINT in the foreground: exit ${rc}, stderr '${err}'")
endif()

# While writing: no temporary directory; `out` absent or complete.
foreach(when tmp+0 tmp+0.002 tmp+0.01)
  file(REMOVE_RECURSE "${WORK}/out")
  kill_run(write-${when} INT ${when} -q run slow.yaml --out out)
  expect_rc(write-${when} 130)
  expect_no_temp_dirs("${WORK}")
  if(EXISTS "${WORK}/out")
    expect_same_results("${WORK}/ref" "${WORK}/out")
  endif()
endforeach()

# Over previous results: they are kept as they were.
file(REMOVE_RECURSE "${WORK}/out")
file(COPY "${WORK}/ref/" DESTINATION "${WORK}/out")
file(WRITE "${WORK}/out/OLD-MARKER" "previous\n")
kill_run(force INT 0.2 -q run slow.yaml --out out --force)
expect_rc(force 130)
expect_exists("${WORK}/out/OLD-MARKER")
expect_no_temp_dirs("${WORK}")
racesim_finish()
