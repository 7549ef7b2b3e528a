# Plugin code runs in a supervised worker process (docs/reliability.md, "Plugin faults"). A
# plugin that crashes (SIGSEGV, SIGABRT, a stack overflow), calls exit(0), runs past
# --scenario-timeout or allocates past --memory-limit ends racesim with exit 3 and a message
# naming the scenario, the plugin type, its library and the call; no results directory is
# created, previous results are kept as they were, no temporary directory is left. SIGTERM
# ends a run stuck in a plugin within a second, worker included. --in-process keeps the old
# behaviour; normal runs give the same bytes either way. Libraries whose manifest holds a
# garbage pointer or whose entry symbol is null are refused by name, and configs that do not
# use them run.
#
# The fixture: plugintest-fatal.so (tests/plugins/fixtures/fatal.cpp). Under AddressSanitizer a
# SIGSEGV becomes an ASan report and exit 1, which the supervisor reports as an exit without
# the handshake: the checks of the signal's name are skipped then.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
if(NOT DEFINED TEST_PLUGIN_DIR)
  message(FATAL_ERROR "-DTEST_PLUGIN_DIR=... is required")
endif()

file(MAKE_DIRECTORY "${WORK}/plugins")
file(COPY "${TEST_PLUGIN_DIR}/plugintest-fatal.so" DESTINATION "${WORK}/plugins")

# fatal_config(<file> <fault> [in]): one scenario 'victim' whose efficiency model fails.
function(fatal_config path fault)
  set(in evaluation)
  if(ARGC GREATER 2)
    set(in ${ARGV2})
  endif()
  file(WRITE "${path}" "racesim: 1
name: fatal
horizon: 10
defaults:
  efficiency: {type: plugintest-fatal, E0: 4.46e10, at: 2.5, fault: ${fault}, in: ${in}}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: victim
")
endfunction()

set(plugin "efficiency plugin 'plugintest-fatal' \\(library plugins/plugintest-fatal\\.so\\)")
set(head "racesim: error: scenario 'victim': ${plugin}")

# Previous results, which no fault may touch.
fatal_config("${WORK}/good.yaml" none)
racesim(good ARGS --plugin-path plugins -q run good.yaml --out prev)
expect_rc(good 0)
file(COPY "${WORK}/prev/" DESTINATION "${WORK}/prev-copy")

# crash_case(<name> <fault> <stderr regex of the cause> [--force over previous results])
function(crash_case name fault cause)
  fatal_config("${WORK}/${name}.yaml" ${fault})
  racesim(${name} ARGS --plugin-path plugins run ${name}.yaml --out out-${name})
  expect_rc(${name} 3)
  expect_empty(${name} OUT)
  expect_match(${name} ERR "${head} in log_value\\(\\): the worker process running the plugins ")
  if(NOT "${${name}_ERR}" MATCHES "Sanitizer")
    expect_match(${name} ERR "${head} in log_value\\(\\): ${cause}")
  endif()
  expect_match(${name} ERR "racesim: note: plugin code runs in a worker process .*--in-process")
  expect_missing("${WORK}/out-${name}")
  # Over previous results, with --force: they stay as they were.
  racesim(${name}-force ARGS --plugin-path plugins run ${name}.yaml --out prev --force)
  expect_rc(${name}-force 3)
  expect_same_results("${WORK}/prev-copy" "${WORK}/prev")
  expect_no_temp_dirs("${WORK}")
endfunction()

crash_case(segfault segfault "the worker process running the plugins was killed by SIGSEGV \\(a segmentation fault")
crash_case(abort abort "the worker process running the plugins was killed by SIGABRT")
crash_case(stack-overflow stack-overflow "the worker process running the plugins was killed by SIGSEGV")
crash_case(exit exit "the worker process running the plugins exited \\(status 0\\) without finishing its command: plugin code called exit\\(\\)")

# validate and check run plugin code too: a factory that calls exit(0) or crashes is a fault.
foreach(fault exit segfault)
  fatal_config("${WORK}/construct-${fault}.yaml" ${fault} construction)
  foreach(cmd validate check run)
    racesim(${cmd}-construct-${fault} ARGS --plugin-path plugins ${cmd} construct-${fault}.yaml)
    expect_rc(${cmd}-construct-${fault} 3)
    expect_empty(${cmd}-construct-${fault} OUT)
    expect_match(${cmd}-construct-${fault} ERR
                 "${head} in its factory \\(while being constructed\\): the worker process running the plugins ")
  endforeach()
endforeach()
expect_missing("${WORK}/results")

# A plugin that never returns: --scenario-timeout stops it (about 1 s).
fatal_config("${WORK}/loop.yaml" loop)
string(TIMESTAMP t0 "%s%f" UTC)
racesim(timeout ARGS --plugin-path plugins run loop.yaml --out out-timeout --scenario-timeout 1)
string(TIMESTAMP t1 "%s%f" UTC)
math(EXPR ms "(${t1} - ${t0}) / 1000")
expect_rc(timeout 3)
expect_match(timeout ERR "${head} in log_value\\(\\): the scenario ran for more than 1 s \\(--scenario-timeout\\): the worker process running the plugins was stopped\n")
expect_missing("${WORK}/out-timeout")
if(ms GREATER 10000)
  fail("--scenario-timeout 1 took ${ms} ms")
endif()

# A plugin that allocates without bound: --memory-limit stops it (bad_alloc under RLIMIT_DATA,
# or the supervisor's watch of resident memory).
fatal_config("${WORK}/allocate.yaml" allocate)
racesim(memory ARGS --plugin-path plugins run allocate.yaml --out out-memory --memory-limit 256M)
expect_rc(memory 3)
expect_match(memory ERR "${head}[^\n]*(ran out of memory in log_value\\(\\)|in log_value\\(\\): the worker process running the plugins used [0-9]+ MiB, more than its memory limit of 256 MiB)")
expect_missing("${WORK}/out-memory")
racesim(memory-bad-size ARGS --plugin-path plugins run allocate.yaml --memory-limit 12Q)
expect_rc(memory-bad-size 2)
racesim(memory-in-process ARGS --in-process --memory-limit 1G validate good.yaml)
expect_rc(memory-in-process 2)

# SIGTERM while a plugin loops (no timeout): racesim and its worker end within a second.
execute_process(COMMAND bash -c [=[
  "$0" --plugin-path plugins -q run loop.yaml --out out-term & p=$!
  sleep 0.7
  w=$(pgrep -P $p)
  (sleep 5; kill -KILL $p $w 2>/dev/null) & killer=$!  # a racesim that ignores SIGTERM
  s=$(date +%s%N); kill -TERM $p; wait $p; rc=$?; e=$(date +%s%N)
  kill $killer 2>/dev/null
  sleep 0.05
  alive=no
  if [[ -n $w ]] && kill -0 $w 2>/dev/null && [[ $(ps -o stat= -p $w) != Z* ]]; then alive=yes; kill -KILL $w; fi
  echo "$rc $(( (e - s) / 1000000 )) ${w:-none} $alive"]=] "${RACESIM}"
  WORKING_DIRECTORY "${WORK}" OUTPUT_VARIABLE term OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_VARIABLE term_err TIMEOUT 60)
set_property(GLOBAL APPEND_STRING PROPERTY CLI_LOG "\n=== [term] SIGTERM while a plugin loops: rc ms worker alive = ${term}\n${term_err}")
string(REPLACE " " ";" term "${term} none none none none")  # a hang (killed by TIMEOUT) leaves it empty
list(GET term 0 term_rc)
list(GET term 1 term_ms)
list(GET term 2 term_worker)
list(GET term 3 term_alive)
if(NOT term_rc STREQUAL "143")
  fail("SIGTERM while a plugin loops: exit ${term_rc}, expected 143")
endif()
if(NOT term_ms MATCHES "^[0-9]+$" OR term_ms GREATER 1000)
  fail("SIGTERM while a plugin loops: racesim took ${term_ms} ms to end")
endif()
if(term_worker STREQUAL "none" OR NOT term_alive STREQUAL "no")
  fail("SIGTERM while a plugin loops: worker ${term_worker}, alive after racesim ended: ${term_alive}")
endif()
if(NOT term_err MATCHES "racesim: interrupted by SIGTERM: stopped; no results were written\n")
  fail("SIGTERM while a plugin loops: no interrupt message")
endif()
expect_missing("${WORK}/out-term")
expect_no_temp_dirs("${WORK}")

# --in-process: plugin code in racesim's own process, as before: the segfault takes it down.
racesim(in-process ARGS --in-process --plugin-path plugins run segfault.yaml --out out-in-process)
if("${in-process_RC}" STREQUAL "3" OR "${in-process_RC}" STREQUAL "0")
  fail("--in-process: a segfaulting plugin gave exit ${in-process_RC}: it did not run in racesim's own process")
endif()
expect_no_match(in-process ERR "worker process")

# Normal runs: the same bytes from the worker and in-process.
foreach(mode worker in-process)
  set(flag)
  if(mode STREQUAL "in-process")
    set(flag --in-process)
  endif()
  racesim(same-${mode} ARGS ${flag} run "${TABLE2}" --out same-${mode})
  expect_rc(same-${mode} 0)
endforeach()
expect_same_results("${WORK}/same-worker" "${WORK}/same-in-process")
if(NOT "${same-worker_OUT}" STREQUAL "${same-in-process_OUT}")
  fail("the table on stdout differs between the worker and --in-process")
endif()

# Damaged libraries: refused by name; configs that do not need them run.
file(MAKE_DIRECTORY "${WORK}/damaged")
file(COPY "${TEST_PLUGIN_DIR}/plugintest-garbage-manifest.so" "${TEST_PLUGIN_DIR}/plugintest-garbage-manifest-dynamic.so"
          "${TEST_PLUGIN_DIR}/plugintest-null-entry.so"
     DESTINATION "${WORK}/damaged")
foreach(mode worker in-process)
  set(flag)
  if(mode STREQUAL "in-process")
    set(flag --in-process)
  endif()
  racesim(damaged-plugins-${mode} ARGS ${flag} --plugin-path damaged plugins)
  expect_rc(damaged-plugins-${mode} 0)
  expect_match(damaged-plugins-${mode} OUT "refused +damaged/plugintest-garbage-manifest\\.so: has a damaged manifest: its racesim_version does not point to a string in the library \\(a garbage pointer\\); nothing of it was run")
  expect_match(damaged-plugins-${mode} OUT "refused +damaged/plugintest-garbage-manifest-dynamic\\.so: has a damaged manifest: its racesim_version does not point to a string in a loaded library \\(a garbage pointer\\)")
  expect_match(damaged-plugins-${mode} OUT "refused +damaged/plugintest-null-entry\\.so: has a null entry symbol 'racesim_plugin_entry'")
  expect_match(damaged-plugins-${mode} OUT "efficiency +continuous-doubling ")
  foreach(cmd validate check)
    racesim(damaged-${cmd}-${mode} ARGS ${flag} --plugin-path damaged ${cmd} "${TABLE2}")
    expect_rc(damaged-${cmd}-${mode} 0)
    expect_match(damaged-${cmd}-${mode} ERR "racesim: warning: plugin library damaged/plugintest-null-entry\\.so not loaded")
  endforeach()
  racesim(damaged-describe-${mode} ARGS ${flag} --plugin-path damaged describe continuous-doubling)
  expect_rc(damaged-describe-${mode} 0)
endforeach()
racesim(damaged-run ARGS --plugin-path damaged -q run "${TABLE2}" --out damaged-out)
expect_rc(damaged-run 0)
expect_exists("${WORK}/damaged-out/summary.json")
# A library that crashes as it is loaded (a static initialiser): named, left out of a new worker;
# configs that do not need it run, one that does is an installation fault naming it.
file(MAKE_DIRECTORY "${WORK}/load-crash")
file(COPY "${TEST_PLUGIN_DIR}/load-crash/plugintest-load-crash.so" DESTINATION "${WORK}/load-crash")
set(load_crash "load-crash/plugintest-load-crash\\.so[^\n]*took racesim's worker process down while being loaded: it (was killed by SIGSEGV|exited \\(status [0-9]+\\))")
racesim(load-crash-run ARGS --plugin-path load-crash -q run "${TABLE2}" --out load-crash-out)
expect_rc(load-crash-run 0)
expect_match(load-crash-run ERR "racesim: warning: plugin library ${load_crash}")
expect_exists("${WORK}/load-crash-out/summary.json")
racesim(load-crash-plugins ARGS --plugin-path load-crash plugins)
expect_rc(load-crash-plugins 0)
expect_match(load-crash-plugins OUT "refused +${load_crash}")
expect_match(load-crash-plugins OUT "efficiency +continuous-doubling ")
file(WRITE "${WORK}/needs-load-crash.yaml" "racesim: 1
name: needs
horizon: 10
defaults:
  efficiency: {type: plugintest-load-crash, E0: 1}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: victim
")
racesim(load-crash-needed ARGS --plugin-path load-crash validate needs-load-crash.yaml)
expect_rc(load-crash-needed 3)
expect_match(load-crash-needed ERR "racesim: error: plugin library ${load_crash}")
racesim_finish()
