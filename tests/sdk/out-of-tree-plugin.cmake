# docs/examples/out-of-tree-plugin, built against the *installed* SDK (find_package(racesim)
# from a temporary prefix, with -Werror) and loaded by the *installed* racesim:
#   - the package gives racesim::plugin_api and racesim_add_plugin(), and nothing from the
#     source or build tree is on the include path;
#   - `racesim plugins` lists the plugin from --plugin-path;
#   - two-rate with gamma1 = gamma2 reaches the target when the paper's closed form says
#     (6 significant digits in the table), and a slowdown reaches it later.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
install_racesim()
foreach(f bin/racesim lib/cmake/racesim/racesimConfig.cmake lib/cmake/racesim/racesimConfigVersion.cmake
          lib/cmake/racesim/racesimTargets.cmake lib/cmake/racesim/RacesimPlugin.cmake
          include/racesim/plugin/plugin.hpp lib/racesim/plugins/efficiency-continuous-doubling.so)
  if(NOT EXISTS "${PREFIX}/${f}")
    fail("not installed: ${f}")
  endif()
endforeach()

# A copy of the example, so the source tree stays clean and no relative path leaks in.
file(COPY "${SOURCE_DIR}/docs/examples/out-of-tree-plugin" DESTINATION "${WORK}")
set(proj "${WORK}/out-of-tree-plugin")
run(configure COMMAND "${CMAKE_COMMAND}" -S "${proj}" -B "${proj}/build" "-DCMAKE_PREFIX_PATH=${PREFIX}"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Werror")
run(build COMMAND "${CMAKE_COMMAND}" --build "${proj}/build" -j 2 -v)
if(build_OUT MATCHES "${SOURCE_DIR}/framework" OR build_OUT MATCHES "-I${BUILD_DIR}")
  fail("the out-of-tree build used racesim's source or build tree")
endif()
if(NOT EXISTS "${proj}/build/plugins/efficiency-two-rate.so")
  fail("no plugins/efficiency-two-rate.so")
endif()

run(plugins COMMAND "${RACESIM}" --plugin-path "${proj}/build/plugins" plugins)
expect_match(plugins OUT "efficiency +two-rate +efficiency-two-rate\\.so +E doubles at rate gamma1")
expect_match(plugins OUT "efficiency +continuous-doubling ")

run(describe COMMAND "${RACESIM}" --plugin-path "${proj}/build/plugins" describe two-rate)
expect_match(describe OUT "    t_switch +real +yr +>= 0 +required")

run(example CWD "${proj}" COMMAND "${RACESIM}" --plugin-path build/plugins run two-rate.yaml --out results)
string(REGEX MATCH "\ntwo-rate-equal +0\\.68 +[0-9.]+ +([0-9.]+) " m1 "${example_OUT}")
set(t_two "${CMAKE_MATCH_1}")
string(REGEX MATCH "\nclosed-form +0\\.68 +[0-9.]+ +([0-9.]+) +([0-9.]+) " m2 "${example_OUT}")
set(t_num "${CMAKE_MATCH_1}")
set(t_ref "${CMAKE_MATCH_2}")
string(REGEX MATCH "\nslows-down +0\\.68 +[0-9.]+ +([0-9.]+) " m3 "${example_OUT}")
set(t_slow "${CMAKE_MATCH_1}")
if(t_two STREQUAL "" OR NOT t_two STREQUAL t_ref OR NOT t_num STREQUAL t_ref)
  fail("two-rate (gamma1 = gamma2) took '${t_two}' yr, continuous-doubling '${t_num}', closed form '${t_ref}'")
endif()
if(t_slow STREQUAL "" OR NOT t_slow GREATER t_ref)
  fail("slows-down took '${t_slow}' yr, not longer than '${t_ref}'")
endif()
sdk_finish()
