# `--out <dir>/` with a trailing slash, as shell completion writes it, behaves like
# `--out <dir>` (racesim 0.1.0 took the empty file name of "<dir>/" as the leaf).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(fresh ARGS run "${TABLE2}" --out newdir/)
expect_rc(fresh 0)
expect_dir_listing("${WORK}" newdir)
expect_dir_listing("${WORK}/newdir" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)

racesim(again ARGS run "${TABLE2}" --out newdir/ --force)
expect_rc(again 0)
expect_dir_listing("${WORK}" newdir)
expect_dir_listing("${WORK}/newdir" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
racesim_finish()
