# Running again into a directory that holds racesim results replaces it as a whole
# (files from the previous run that the new run does not write disappear); exit 0.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(first ARGS run "${TABLE2}" --out out)
expect_rc(first 0)
file(WRITE "${WORK}/out/stale.csv" "left over from an earlier run\n")

racesim(second ARGS run "${TABLE2}" --out out)
expect_rc(second 0)
expect_dir_listing("${WORK}" out)  # no .out.tmp-* / .out.old-* left behind
expect_dir_listing("${WORK}/out" summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)

# Also through a relative path with '..' from another directory.
file(MAKE_DIRECTORY "${WORK}/sub")
racesim(relative CWD "${WORK}/sub" ARGS run "${TABLE2}" --out ../out)
expect_rc(relative 0)
expect_dir_listing("${WORK}" out sub)
expect_dir_listing("${WORK}/sub")
expect_dir_listing("${WORK}/out" summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
racesim_finish()
