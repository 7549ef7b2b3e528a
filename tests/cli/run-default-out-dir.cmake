# Without --out, results go to results/<experiment name>/ under the current directory.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(run ARGS run "${TABLE2}")
expect_rc(run 0)
expect_dir_listing("${WORK}" results)
expect_dir_listing("${WORK}/results" paper-table2)
expect_dir_listing("${WORK}/results/paper-table2" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
expect_match(run ERR "racesim: info: results written to results/paper-table2\n")
racesim_finish()
