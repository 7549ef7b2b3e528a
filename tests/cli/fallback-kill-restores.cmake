# The commit fallback (no RENAME_EXCHANGE: the previous results are renamed aside to
# .out.old-<tag>, then the new ones to out) killed between its two renames leaves no `out`,
# a .out.old-* and a .out.tmp-*. The next run writing to out restores the previous results
# from .out.old-* first (with a warning), then goes on as if nothing had happened: without
# --force it is refused (the results exist), with --force it replaces them. Before, the next
# run deleted both hidden directories: the previous results were lost.
# RACESIM_TEST_NO_RENAME_EXCHANGE=1 forces the fallback, RACESIM_TEST_KILL_BETWEEN_RENAMES=1
# raises SIGKILL between the renames (test-only switches read by the results writer).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(reference ARGS -q run "${TABLE2}" --out ref)
expect_rc(reference 0)
# The previous results: a run with a file of the user's added (a marked directory is racesim's
# to replace; the file tells the previous results from the new ones).
file(COPY "${WORK}/ref/" DESTINATION "${WORK}/previous")
file(WRITE "${WORK}/previous/previous.txt" "the previous results\n")
function(previous_results)
  file(REMOVE_RECURSE "${WORK}/out")
  file(COPY "${WORK}/previous/" DESTINATION "${WORK}/out")
endfunction()

# killed_run(<prefix> <racesim arg>...): the fallback, killed between its renames; checks what
# the issue describes: no out, a .out.old-* and a .out.tmp-* left. racesim killed as a whole:
# --in-process, so that the SIGKILL takes racesim itself down (by default it would take down
# the worker process only, and racesim would restore the previous results at once: case 5).
function(killed_run prefix)
  set(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE} 1)
  set(ENV{RACESIM_TEST_KILL_BETWEEN_RENAMES} 1)
  racesim(${prefix} ARGS --in-process ${ARGN})
  unset(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE})
  unset(ENV{RACESIM_TEST_KILL_BETWEEN_RENAMES})
  if(NOT "${${prefix}_RC}" MATCHES "killed")
    fail("[${prefix}] exit code '${${prefix}_RC}': not killed between the renames")
  endif()
  file(GLOB old "${WORK}/.out.old-*")
  file(GLOB tmp "${WORK}/.out.tmp-*")
  if(EXISTS "${WORK}/out" OR NOT old OR NOT tmp)
    fail("[${prefix}] the kill between the renames did not leave [no out, .out.old-*, .out.tmp-*]")
  endif()
endfunction()

# 1. The fallback without a kill: the new results replace the previous ones.
previous_results()
set(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE} 1)
racesim(fallback ARGS -q run "${TABLE2}" --out out --force)
unset(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE})
expect_rc(fallback 0)
expect_same_results("${WORK}/ref" "${WORK}/out")
expect_no_temp_dirs("${WORK}")

# 2. Killed between the renames, then a plain run: the previous results are back, unchanged,
# and the run is refused because they exist.
previous_results()
killed_run(killed -q run "${TABLE2}" --out out --force)
racesim(plain ARGS -q run "${TABLE2}" --out out)
expect_rc(plain 3)
expect_match(plain ERR "racesim: warning: restored out from \\./\\.out\\.old-[0-9]+-[0-9a-f]+, where a racesim process killed while replacing it had set it aside\n")
expect_match(plain ERR "racesim: error: results directory out already exists \\(results of an earlier run\\); pass --force to replace it, or choose another --out\n")
expect_same_results("${WORK}/previous" "${WORK}/out")
expect_no_temp_dirs("${WORK}")
expect_dir_listing("${WORK}" ref previous out)

# 3. Killed between the renames, then a run with --force: restored, then replaced.
killed_run(killed-again -q run "${TABLE2}" --out out --force)
racesim(forced ARGS -q run "${TABLE2}" --out out --force)
expect_rc(forced 0)
expect_match(forced ERR "racesim: warning: restored out from ")
expect_same_results("${WORK}/ref" "${WORK}/out")
expect_no_temp_dirs("${WORK}")

# 4. The same state left by a racesim without lock files (the version of the issue): hidden
# directories named after a process that no longer exists, no lock. Restored the same way.
previous_results()
file(RENAME "${WORK}/out" "${WORK}/.out.old-99999999-0badf00d")
file(COPY "${WORK}/ref/" DESTINATION "${WORK}/.out.tmp-99999999-0badf00d")
racesim(unlocked ARGS -q run "${TABLE2}" --out out)
expect_rc(unlocked 3)
expect_match(unlocked ERR "racesim: warning: restored out from \\./\\.out\\.old-99999999-0badf00d, ")
expect_same_results("${WORK}/previous" "${WORK}/out")
expect_no_temp_dirs("${WORK}")

# 5. The worker process killed between the renames (racesim's default mode): racesim itself
# restores the previous results and reports the fault (exit 3); nothing is left behind.
previous_results()
set(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE} 1)
set(ENV{RACESIM_TEST_KILL_BETWEEN_RENAMES} 1)
racesim(worker-killed ARGS -q run "${TABLE2}" --out out --force)
unset(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE})
unset(ENV{RACESIM_TEST_KILL_BETWEEN_RENAMES})
expect_rc(worker-killed 3)
expect_match(worker-killed ERR "racesim: warning: restored out from \\./\\.out\\.old-[0-9]+-[0-9a-f]+, where a racesim process killed while replacing it had set it aside\n")
expect_match(worker-killed ERR "racesim: error: the worker process running the plugins was killed by SIGKILL")
expect_same_results("${WORK}/previous" "${WORK}/out")
expect_no_temp_dirs("${WORK}")
expect_dir_listing("${WORK}" ref previous out)
racesim_finish()
