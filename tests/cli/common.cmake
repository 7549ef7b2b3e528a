# Shared by the cli.* test scripts (each run as `cmake -P <test>.cmake`).
#
# Inputs: -DRACESIM=<racesim executable> -DSOURCE_DIR=<project source dir> -DWORK=<dir>.
# WORK is deleted and re-created, so every test starts from an empty directory of its own
# and the tests can run in parallel.
#
# Checks record failures instead of stopping at the first one; racesim_finish() prints
# every racesim call made (command, exit code, stdout, stderr) and fails if any check did.
cmake_minimum_required(VERSION 3.25)

foreach(v RACESIM SOURCE_DIR WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "-D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(TABLE2 "${SOURCE_DIR}/configs/paper/table2.yaml")
set_property(GLOBAL PROPERTY CLI_FAILURES "")
set_property(GLOBAL PROPERTY CLI_LOG "")

function(fail what)
  set_property(GLOBAL APPEND_STRING PROPERTY CLI_FAILURES "  - ${what}\n")
endfunction()

# racesim(<prefix> [CWD <dir>] ARGS <arg>...): runs racesim (in WORK unless CWD is given)
# and sets <prefix>_RC, <prefix>_OUT, <prefix>_ERR.
function(racesim prefix)
  cmake_parse_arguments(PARSE_ARGV 1 R "" "CWD" "ARGS")
  if(NOT R_CWD)
    set(R_CWD "${WORK}")
  endif()
  execute_process(COMMAND "${RACESIM}" ${R_ARGS}
                  WORKING_DIRECTORY "${R_CWD}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 120)
  string(JOIN " " cmdline ${R_ARGS})
  set_property(GLOBAL APPEND_STRING PROPERTY CLI_LOG
               "\n=== [${prefix}] racesim ${cmdline}   (in ${R_CWD})\nexit code: ${rc}\n--- stdout ---\n${out}--- stderr ---\n${err}")
  set(${prefix}_RC "${rc}" PARENT_SCOPE)
  set(${prefix}_OUT "${out}" PARENT_SCOPE)
  set(${prefix}_ERR "${err}" PARENT_SCOPE)
endfunction()

function(expect_rc prefix expected)
  if(NOT "${${prefix}_RC}" STREQUAL "${expected}")
    fail("[${prefix}] exit code: expected ${expected}, got '${${prefix}_RC}'")
  endif()
endfunction()

# expect_match(<prefix> OUT|ERR <regex>): the regex must match the beginning of a line.
function(expect_match prefix stream regex)
  string(REGEX MATCH "(^|\n)${regex}" m "${${prefix}_${stream}}")
  if(m STREQUAL "")
    fail("[${prefix}] std${stream} does not match (at a line start): ${regex}")
  endif()
endfunction()

function(expect_no_match prefix stream regex)
  if("${${prefix}_${stream}}" MATCHES "${regex}")
    fail("[${prefix}] std${stream} matches what it must not: ${regex}")
  endif()
endfunction()

function(expect_empty prefix stream)
  if(NOT "${${prefix}_${stream}}" STREQUAL "")
    fail("[${prefix}] std${stream} is not empty")
  endif()
endfunction()

function(expect_exists path)
  if(NOT EXISTS "${path}")
    fail("missing: ${path}")
  endif()
endfunction()

function(expect_missing path)
  if(EXISTS "${path}" OR IS_SYMLINK "${path}")
    fail("should not exist: ${path}")
  endif()
endfunction()

# No temporary (".<leaf>.tmp-*") or set-aside (".<leaf>.old-*") directories, and no lock files
# (".<leaf>.lock-*"), left in <dir>.
function(expect_no_temp_dirs dir)
  file(GLOB left RELATIVE "${dir}" "${dir}/.*.tmp-*" "${dir}/.*.old-*" "${dir}/.*.lock-*")
  if(left)
    fail("temporary directories left in ${dir}: ${left}")
  endif()
endfunction()

# expect_dir_listing(<dir> <name>...): <dir> holds exactly these entries (hidden ones too).
function(expect_dir_listing dir)
  file(GLOB have RELATIVE "${dir}" "${dir}/*" "${dir}/.*")
  list(SORT have)
  set(want ${ARGN})
  list(SORT want)
  if(NOT "${have}" STREQUAL "${want}")
    fail("${dir} holds [${have}], expected [${want}]")
  endif()
endfunction()

# A config that fails validation: a misspelt efficiency parameter in scenario 'fast'
# (line 11, column 31).
function(write_invalid_config path)
  file(WRITE "${path}" [=[
racesim: 1
name: broken
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 4.46e10, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: base
  - name: fast
    efficiency: {E0: 4.46e10, gama: 2.0}
]=])
endfunction()

# A valid config that takes about 0.6 s in a release build (3 scenarios, 200,000 segments
# each: peaked power with a period of 0.001 yr) and writes ~30 MB of CSV: slow enough to be
# interrupted or killed while integrating and while writing.
function(write_slow_config path)
  file(WRITE "${path}" [=[
racesim: 1
name: slow
horizon: 200
output: {every: 0.002}
defaults:
  efficiency: {type: continuous-doubling, E0: 4.46e10, gamma: 0.01}
  power: {type: peaked, P0: 70, duty: 0.3, period: 0.001}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.9]}
scenarios:
  - name: a
  - name: b
    efficiency: {gamma: 0.005}
  - name: c
    efficiency: {gamma: 0.003}
]=])
endfunction()

# summary_without_timing(<var> <summary.json>): the file's JSON without its "timing" member.
function(summary_without_timing var file)
  file(READ "${file}" json)
  string(JSON json ERROR_VARIABLE err REMOVE "${json}" timing)
  if(err)
    set(json "unreadable summary.json: ${err}")
  endif()
  set(${var} "${json}" PARENT_SCOPE)
endfunction()

# expect_same_results(<dir-a> <dir-b>): the same files, byte-identical, summary.json apart
# from its timing section.
function(expect_same_results a b)
  file(GLOB fa RELATIVE "${a}" "${a}/*" "${a}/.*")
  file(GLOB fb RELATIVE "${b}" "${b}/*" "${b}/.*")
  list(SORT fa)
  list(SORT fb)
  if(NOT "${fa}" STREQUAL "${fb}")
    fail("${a} holds [${fa}] but ${b} holds [${fb}]")
    return()
  endif()
  foreach(f IN LISTS fa)
    if(f STREQUAL "summary.json")
      summary_without_timing(ja "${a}/${f}")
      summary_without_timing(jb "${b}/${f}")
      if(NOT ja STREQUAL jb)
        fail("${a}/summary.json and ${b}/summary.json differ outside their timing sections")
      endif()
    else()
      execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${a}/${f}" "${b}/${f}" RESULT_VARIABLE diff)
      if(NOT diff EQUAL 0)
        fail("${a}/${f} and ${b}/${f} differ")
      endif()
    endif()
  endforeach()
endfunction()

# kill_run(<prefix> <signal> <when> <racesim arg>...): runs racesim in WORK through
# kill-run.sh, which sends <signal> at <when> (seconds, or "tmp+<seconds>" after a temporary
# results directory appears); sets <prefix>_RC to racesim's exit status.
function(kill_run prefix sig when)
  execute_process(COMMAND bash "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/kill-run.sh" ${sig} ${when} "${WORK}" "${RACESIM}" ${ARGN}
                  OUTPUT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 120)
  string(JOIN " " cmdline ${ARGN})
  set_property(GLOBAL APPEND_STRING PROPERTY CLI_LOG
               "\n=== [${prefix}] SIG${sig} at ${when}: racesim ${cmdline}   (in ${WORK})\nexit code: ${rc}\n")
  set(${prefix}_RC "${rc}" PARENT_SCOPE)
endfunction()

function(racesim_finish)
  get_property(failures GLOBAL PROPERTY CLI_FAILURES)
  if(NOT failures STREQUAL "")
    get_property(log GLOBAL PROPERTY CLI_LOG)
    # message(NOTICE) prints verbatim; FATAL_ERROR would re-wrap racesim's output.
    message(NOTICE "${log}\n=== FAILED checks:\n${failures}")
    message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE}: some checks failed (see above)")
  endif()
endfunction()
