# tools/reproduce-paper runs configs/paper/*.yaml and checks every racesim number against the
# exact values it derives itself with mpmath (fails beyond 1e-8 relative); written here to
# temporary paths so that the committed docs/paper-reproduction.md is not touched.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/reproduce-paper" --racesim "${RACESIM}"
                        --results "${WORK}/results" --doc "${WORK}/doc/paper-reproduction.md"
                        --figures "${WORK}/doc/figures"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("tools/reproduce-paper exit ${rc}: ${err}")
endif()
file(READ "${WORK}/doc/paper-reproduction.md" doc)
foreach(want "## Table 2" "\\| hare \\| 150000 \\| 2 \\| 0\\.95 \\| 0\\.9807 \\|" "## Table 3" "Fig\\. 3")
  if(NOT doc MATCHES "${want}")
    fail("the report lacks '${want}'")
  endif()
endforeach()
if(doc MATCHES "Disagreements beyond the tolerance")
  fail("the report lists disagreements")
endif()
# The committed report is what the tool writes (only the figure paths differ in a temp dir).
file(READ "${SOURCE_DIR}/docs/paper-reproduction.md" committed)
string(REPLACE "](figures/" "](X/" c1 "${committed}")
string(REGEX REPLACE "\\]\\([^)]*figures/" "](X/" c2 "${doc}")
if(NOT c1 STREQUAL c2)
  fail("docs/paper-reproduction.md is stale: run tools/reproduce-paper and commit the result")
endif()
racesim_finish()
