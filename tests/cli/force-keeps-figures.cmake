# Figures survive a re-run: tools/plot writes them into <results>/figures/, and `racesim run
# --force` carries that directory over into the new results (hard links made before the swap),
# with RENAME_EXCHANGE and with the fallback that renames twice. Every other file of the
# previous results is replaced. Uses Debian's /usr/bin/python3 with matplotlib.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(reference ARGS -q run "${TABLE2}" --out ref)
expect_rc(reference 0)
racesim(first ARGS -q run "${TABLE2}" --out res)
expect_rc(first 0)
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" res --kind trajectories
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE plotted ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("tools/plot exit ${rc}: ${err}")
endif()
if(NOT plotted STREQUAL "res/figures/trajectories.png\nres/figures/trajectories.svg\n")
  fail("tools/plot wrote [${plotted}], expected res/figures/trajectories.png and .svg")
endif()
# Something of the user's in figures/ too, in a subdirectory.
file(WRITE "${WORK}/res/figures/notes/caption.txt" "Figure 1: R(t) of Table 2\n")
file(WRITE "${WORK}/res/stale.csv" "a file the new results do not have\n")

set(figures trajectories.png trajectories.svg notes/caption.txt)
foreach(f IN LISTS figures)
  file(SHA256 "${WORK}/res/figures/${f}" before_${f})
endforeach()

# expect_figures_kept(<label>): res holds the new results and the figures, byte-identical.
function(expect_figures_kept label)
  expect_dir_listing("${WORK}/res" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv
                     baseline.csv turtle.csv hare.csv figures)
  expect_dir_listing("${WORK}/res/figures" trajectories.png trajectories.svg notes)
  foreach(f IN LISTS figures)
    if(NOT EXISTS "${WORK}/res/figures/${f}")
      fail("${label}: figures/${f} is gone")
      continue()
    endif()
    file(SHA256 "${WORK}/res/figures/${f}" after)
    if(NOT after STREQUAL before_${f})
      fail("${label}: figures/${f} changed")
    endif()
  endforeach()
  summary_without_timing(ja "${WORK}/ref/summary.json")
  summary_without_timing(jb "${WORK}/res/summary.json")
  if(NOT ja STREQUAL jb)
    fail("${label}: res/summary.json is not the new run's")
  endif()
  expect_no_temp_dirs("${WORK}")
endfunction()

racesim(exchange ARGS -q run "${TABLE2}" --out res --force)
expect_rc(exchange 0)
expect_figures_kept(exchange)

file(WRITE "${WORK}/res/stale.csv" "a file the new results do not have\n")
set(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE} 1)
racesim(fallback ARGS -q run "${TABLE2}" --out res --force)
unset(ENV{RACESIM_TEST_NO_RENAME_EXCHANGE})
expect_rc(fallback 0)
expect_figures_kept(fallback)

# tools/plot refuses to write figures where a re-run would delete them: the results directory
# itself.
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" res --kind trajectories --out res/.
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "is the results directory itself" OR err MATCHES "Traceback")
  fail("tools/plot --out <results>: exit ${rc}, stderr: ${err}")
endif()
expect_dir_listing("${WORK}/res" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv
                   baseline.csv turtle.csv hare.csv figures)
racesim_finish()
