# Runs racesim on one error case and checks its exit code and stderr against the
# expectations in the case's header (see expectations.cmake).
#
#   cmake -DRACESIM=<exe> -DCASE=<case.yaml> -DWORK=<scratch dir> -P check.cmake
#
# The case file is copied into WORK (a fresh directory) and racesim runs there on the
# copy's bare file name, so diagnostics read "<case>.yaml:<line>:<col>: error: ...".
cmake_minimum_required(VERSION 3.25)

foreach(v RACESIM CASE WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check.cmake: -D${v}=... is required")
  endif()
endforeach()
include(${CMAKE_CURRENT_LIST_DIR}/expectations.cmake)
racesim_read_expectations("${CASE}")

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

get_filename_component(name "${CASE}" NAME)
# The cases' data files (tests/errors/data/: CSV files that `fit:` cases read) go along, at
# the same relative path.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/data")
  file(COPY "${CMAKE_CURRENT_LIST_DIR}/data" DESTINATION "${WORK}")
endif()
if(NOT EXPECT_CONFIG STREQUAL "")
  set(config "${EXPECT_CONFIG}")
elseif(EXPECT_COPY_WITHOUT_HEADER)
  file(READ "${CASE}" text)
  string(REGEX REPLACE "^(#[^\n]*\n)+" "" text "${text}")
  file(WRITE "${WORK}/${name}" "${text}")
  set(config "${name}")
else()
  file(COPY "${CASE}" DESTINATION "${WORK}")
  set(config "${name}")
endif()

if(EXPECT_COMMAND STREQUAL "validate")
  set(args validate "${config}")
elseif(EXPECT_COMMAND STREQUAL "run")
  set(args run "${config}" --out "${WORK}/out")
else()
  message(FATAL_ERROR "${CASE}: unknown expect-command '${EXPECT_COMMAND}' (validate or run)")
endif()

execute_process(COMMAND "${RACESIM}" ${args}
                WORKING_DIRECTORY "${WORK}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 60)

set(failures "")
function(fail what)  # a function, not a macro: a macro would re-escape the regexes
  set(failures "${failures}  - ${what}\n" PARENT_SCOPE)
endfunction()

if(NOT "${rc}" STREQUAL "${EXPECT_EXIT}")
  fail("exit code: expected ${EXPECT_EXIT}, got '${rc}'")
endif()
math(EXPR last "${EXPECT_STDERR_COUNT} - 1")
foreach(i RANGE 0 ${last})
  string(REGEX MATCH "(^|\n)${EXPECT_STDERR_${i}}" m "${err}")
  if(m STREQUAL "")
    fail("stderr does not match (at a line start): ${EXPECT_STDERR_${i}}")
  endif()
endforeach()
if(EXPECT_NO_STDERR_COUNT GREATER 0)
  math(EXPR last "${EXPECT_NO_STDERR_COUNT} - 1")
  foreach(i RANGE 0 ${last})
    if(err MATCHES "${EXPECT_NO_STDERR_${i}}")
      fail("stderr matches what it must not: ${EXPECT_NO_STDERR_${i}}")
    endif()
  endforeach()
endif()
if(NOT EXPECT_ERRORS STREQUAL "")
  if(EXPECT_ERRORS STREQUAL "1")
    set(count_line "1 error")
  else()
    set(count_line "${EXPECT_ERRORS} errors")
  endif()
  string(REGEX MATCH "(^|\n)${count_line}\n$" m "${err}")
  if(m STREQUAL "")
    fail("stderr does not end with the line '${count_line}'")
  endif()
endif()
# A refused config reports on stderr only: nothing on stdout, no "valid" line.
if(NOT out STREQUAL "")
  fail("stdout is not empty")
endif()
# Nothing may have been written: no results directory, no temporary directories.
file(GLOB leftovers RELATIVE "${WORK}" "${WORK}/out" "${WORK}/.out.*" "${WORK}/results")
if(leftovers)
  fail("left behind in the work directory: ${leftovers}")
endif()

if(NOT failures STREQUAL "")
  # message(NOTICE) prints verbatim; FATAL_ERROR would re-wrap racesim's output.
  string(JOIN " " cmdline ${args})
  message(NOTICE "racesim ${cmdline}   (in ${WORK})\n"
                 "exit code: ${rc}\n--- stdout ---\n${out}--- stderr ---\n${err}--------------\n"
                 "FAILED expectations of ${CASE}:\n${failures}")
  message(FATAL_ERROR "${name}: racesim did not behave as its header expects")
endif()
message(STATUS "ok: exit ${rc}, ${EXPECT_STDERR_COUNT} stderr expectation(s) matched")
