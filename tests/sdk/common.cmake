# Shared by the sdk.* test scripts: -DSOURCE_DIR, -DBUILD_DIR, -DWORK are required. WORK is
# re-created empty. run(<prefix> [CWD dir] COMMAND ...) records exit code and output;
# sdk_finish() prints the log and fails if any check failed.
cmake_minimum_required(VERSION 3.25)
foreach(v SOURCE_DIR BUILD_DIR WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "-D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set_property(GLOBAL PROPERTY SDK_FAILURES "")
set_property(GLOBAL PROPERTY SDK_LOG "")

function(fail what)
  set_property(GLOBAL APPEND_STRING PROPERTY SDK_FAILURES "  - ${what}\n")
endfunction()

function(run prefix)
  cmake_parse_arguments(PARSE_ARGV 1 R "" "CWD" "COMMAND")
  if(NOT R_CWD)
    set(R_CWD "${WORK}")
  endif()
  execute_process(COMMAND ${R_COMMAND} WORKING_DIRECTORY "${R_CWD}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 500)
  string(JOIN " " cmdline ${R_COMMAND})
  set_property(GLOBAL APPEND_STRING PROPERTY SDK_LOG
               "\n=== [${prefix}] ${cmdline}   (in ${R_CWD})\nexit code: ${rc}\n--- stdout ---\n${out}--- stderr ---\n${err}")
  set(${prefix}_RC "${rc}" PARENT_SCOPE)
  set(${prefix}_OUT "${out}" PARENT_SCOPE)
  set(${prefix}_ERR "${err}" PARENT_SCOPE)
  if(NOT rc STREQUAL "0")
    fail("[${prefix}] exit code ${rc}: ${cmdline}")
  endif()
endfunction()

function(expect_match prefix stream regex)
  string(REGEX MATCH "(^|\n)${regex}" m "${${prefix}_${stream}}")
  if(m STREQUAL "")
    fail("[${prefix}] std${stream} does not match (at a line start): ${regex}")
  endif()
endfunction()

function(sdk_finish)
  get_property(failures GLOBAL PROPERTY SDK_FAILURES)
  get_property(log GLOBAL PROPERTY SDK_LOG)
  message("${log}")
  if(NOT failures STREQUAL "")
    message(FATAL_ERROR "FAILED:\n${failures}")
  endif()
endfunction()

# Installs the built racesim into WORK/prefix; sets PREFIX and RACESIM (the installed program).
function(install_racesim)
  set(PREFIX "${WORK}/prefix" PARENT_SCOPE)
  set(RACESIM "${WORK}/prefix/bin/racesim" PARENT_SCOPE)
  run(install COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK}/prefix")
endfunction()
