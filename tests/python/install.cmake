# `cmake --install` puts the Python package where Debian's python3 finds it (under
# <prefix>/lib/python3/dist-packages), and the installed package finds the installed plugins.
# Run with -DBUILD=<build dir> -DWORK=<scratch dir> -DPYTHON=<python3> -DCONFIG=<config>, and
# -DPRELOAD=<ASan runtime> under AddressSanitizer.
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD}" --prefix "${WORK}/prefix"
  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "cmake --install failed: ${err}")
endif()
set(site "${WORK}/prefix/lib/python3/dist-packages")
if(NOT EXISTS "${site}/racesim/__init__.py")
  message(FATAL_ERROR "the package is not installed at ${site}/racesim")
endif()
set(preload "")
if(PRELOAD)
  set(preload "LD_PRELOAD=${PRELOAD}" "ASAN_OPTIONS=detect_leaks=0")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=RACESIM_PLUGIN_PATH "PYTHONPATH=${site}" ${preload}
  ${PYTHON} -c "import racesim, sys; r = racesim.run(sys.argv[1]); assert racesim.__file__.startswith(sys.argv[2]), racesim.__file__; assert racesim.BUILTIN_PLUGIN_DIR.startswith(sys.argv[3]), racesim.BUILTIN_PLUGIN_DIR; assert r.targets.reached.all(); print('ok', len(racesim.plugins()))"
  "${CONFIG}" "${site}" "${WORK}/prefix/lib/racesim/plugins"
  WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc OR NOT out MATCHES "^ok [1-9]")
  message(FATAL_ERROR "the installed package does not work (${rc}): ${out} ${err}")
endif()
file(REMOVE_RECURSE "${WORK}")
