# racesim found through PATH and called by its bare name, from a directory far from the build:
# it still finds its built-in plugins (next to the executable, at ../lib/racesim/plugins). The
# executable's location comes from the kernel (/proc/self/exe), not from argv[0] as typed,
# which would make the plugin directory relative to the current directory.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

get_filename_component(bin_dir "${RACESIM}" DIRECTORY)
get_filename_component(exe_name "${RACESIM}" NAME)
file(MAKE_DIRECTORY "${WORK}/elsewhere")
set(ENV{PATH} "${bin_dir}:$ENV{PATH}")
unset(ENV{RACESIM_PLUGIN_PATH})
execute_process(COMMAND bash -c "${exe_name} plugins" WORKING_DIRECTORY "${WORK}/elsewhere"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
set_property(GLOBAL APPEND_STRING PROPERTY CLI_LOG "\n=== ${exe_name} plugins (by name, in ${WORK}/elsewhere)\nexit code: ${rc}\n${out}${err}")
if(NOT rc EQUAL 0)
  fail("'${exe_name} plugins' by name exited with ${rc}")
endif()
foreach(type continuous-doubling mean-field power-law relative-loss piecewise-exact)
  string(FIND "${out}" "${type}" at)
  if(at EQUAL -1)
    fail("'${exe_name} plugins' called by name from another directory does not list the built-in '${type}'")
  endif()
endforeach()
# And a run by name from there finds them too.
execute_process(COMMAND bash -c "${exe_name} -q run '${TABLE2}' --out results"
                WORKING_DIRECTORY "${WORK}/elsewhere" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 120)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/elsewhere/results/summary.json")
  fail("'${exe_name} run' by name from another directory: exit ${rc}: ${err}")
endif()
racesim_finish()
