# racesim-new-plugin KIND NAME (tools/new-plugin, installed), for every kind: the scaffolded
# project configures against the installed SDK, builds optimised with -Werror, and passes its four tests (describe, contract, run,
# exact) before any edit. Bad arguments are refused.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
install_racesim()
foreach(kind efficiency power loss algorithms)
  set(dir "${WORK}/my-${kind}")
  # The installed scaffold (bin/racesim-new-plugin): an SDK user has no source tree.
  run(new_${kind} COMMAND "${PREFIX}/bin/racesim-new-plugin" ${kind} my-${kind} --dir "${dir}")
  foreach(f my_${kind}.cpp CMakeLists.txt example.yaml check_exact.cmake)
    if(NOT EXISTS "${dir}/${f}")
      fail("[${kind}] not written: ${f}")
    endif()
  endforeach()
  run(configure_${kind} COMMAND "${CMAKE_COMMAND}" -S "${dir}" -B "${dir}/build" "-DCMAKE_PREFIX_PATH=${PREFIX}"
      "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Werror")
  file(STRINGS "${dir}/build/CMakeCache.txt" build_type REGEX "^CMAKE_BUILD_TYPE:")
  if(NOT build_type STREQUAL "CMAKE_BUILD_TYPE:STRING=Release")
    fail("[${kind}] the scaffold does not build optimised by default: ${build_type}")
  endif()
  run(build_${kind} COMMAND "${CMAKE_COMMAND}" --build "${dir}/build")
  run(test_${kind} COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${dir}/build" -V)
  expect_match(test_${kind} OUT "100% tests passed, 0 tests failed out of 4")
  expect_match(test_${kind} OUT "4: plugin [0-9.]+ yr = twin [0-9.]+ yr = closed form [0-9.]+ yr")
endforeach()

execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/new-plugin" efficiency my-efficiency --dir "${WORK}/my-efficiency"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "already exists")
  fail("an existing directory was not refused: ${rc} ${err}")
endif()
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/new-plugin" efficiency My_Model RESULT_VARIABLE rc
                ERROR_VARIABLE err WORKING_DIRECTORY "${WORK}")
if(rc EQUAL 0 OR NOT err MATCHES "NAME must be lower case")
  fail("a bad NAME was not refused: ${rc} ${err}")
endif()
# racesim-plot is installed too, and runs (its usage).
run(plot_help COMMAND "${PREFIX}/bin/racesim-plot" --help)
expect_match(plot_help OUT "usage: ")
sdk_finish()
