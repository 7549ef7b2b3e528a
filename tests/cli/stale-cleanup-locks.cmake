# Clean-up of other writers' hidden temporaries goes by their lock, not by their PID: a writer
# holds an flock on .out.lock-<tag> for its whole life, and a run writing to `out` removes
# .out.tmp-<tag> / .out.old-<tag> only when it can take that lock. A writer in another PID
# namespace or on another host sharing the directory has a PID that means nothing here
# (kill(pid, 0) says ESRCH): here it is played by a lock held with flock(1) around the run.
# Temporaries without a lock file (racesim before the lock) are still judged by their PID.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(live 99999999-cafef00d)   # no such PID here, but its lock is held
set(dead 99999998-deadbeef)   # no such PID, lock file not held: a killed writer
set(legacy-dead 99999997-0badf00d)  # no lock file, no such PID
set(legacy-live 1-0000beef)   # no lock file, PID 1 exists
foreach(tag ${live} ${dead} ${legacy-dead} ${legacy-live})
  file(WRITE "${WORK}/.out.tmp-${tag}/partial.csv" "t,C\n0,1\n")
endforeach()
file(TOUCH "${WORK}/.out.lock-${live}" "${WORK}/.out.lock-${dead}")

# locked_run(<prefix> <lock file> <racesim arg>...): racesim run while flock(1) holds the lock.
function(locked_run prefix lock)
  execute_process(COMMAND flock "${lock}" "${RACESIM}" ${ARGN} WORKING_DIRECTORY "${WORK}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  string(JOIN " " cmdline ${ARGN})
  set_property(GLOBAL APPEND_STRING PROPERTY CLI_LOG
               "\n=== [${prefix}] flock ${lock} racesim ${cmdline}\nexit code: ${rc}\n--- stderr ---\n${err}")
  set(${prefix}_RC "${rc}" PARENT_SCOPE)
endfunction()

locked_run(while-live ".out.lock-${live}" -q run "${TABLE2}" --out out)
expect_rc(while-live 0)
expect_exists("${WORK}/out/summary.json")
expect_exists("${WORK}/.out.tmp-${live}/partial.csv")  # the live writer's: kept
expect_exists("${WORK}/.out.lock-${live}")
expect_missing("${WORK}/.out.tmp-${dead}")             # a dead writer's: removed, lock file too
expect_missing("${WORK}/.out.lock-${dead}")
expect_missing("${WORK}/.out.tmp-${legacy-dead}")
expect_exists("${WORK}/.out.tmp-${legacy-live}/partial.csv")

# Once its lock is free (the writer is gone), the next run removes its temporary and lock file.
racesim(after ARGS -q run "${TABLE2}" --out out --force)
expect_rc(after 0)
expect_missing("${WORK}/.out.tmp-${live}")
expect_missing("${WORK}/.out.lock-${live}")
file(REMOVE_RECURSE "${WORK}/.out.tmp-${legacy-live}")
expect_no_temp_dirs("${WORK}")
expect_dir_listing("${WORK}" out)
racesim_finish()
