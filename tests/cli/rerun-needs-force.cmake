# Running again into a directory that holds racesim results is refused (exit 3, before any
# integration, the directory untouched) unless --force; with --force the directory is
# replaced as a whole (files of the previous run that the new run does not write disappear).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(first ARGS run "${TABLE2}" --out out)
expect_rc(first 0)
file(WRITE "${WORK}/out/stale.csv" "left over from an earlier run\n")
file(READ "${WORK}/out/summary.json" before)

racesim(refused ARGS run "${TABLE2}" --out out)
expect_rc(refused 3)
expect_match(refused ERR "racesim: error: results directory out already exists \\(results of an earlier run\\); pass --force to replace it, or choose another --out\n")
expect_empty(refused OUT)  # refused before integrating: no table
expect_dir_listing("${WORK}" out)
expect_dir_listing("${WORK}/out" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv stale.csv)
file(READ "${WORK}/out/summary.json" after)
if(NOT before STREQUAL after)
  fail("out/summary.json changed after a refused run")
endif()

racesim(second ARGS run "${TABLE2}" --out out --force)
expect_rc(second 0)
expect_dir_listing("${WORK}" out)  # no .out.tmp-* / .out.old-* left behind
expect_dir_listing("${WORK}/out" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)

# Also through a relative path with '..' from another directory.
file(MAKE_DIRECTORY "${WORK}/sub")
racesim(relative CWD "${WORK}/sub" ARGS run "${TABLE2}" --out ../out --force)
expect_rc(relative 0)
expect_dir_listing("${WORK}" out sub)
expect_dir_listing("${WORK}/sub")
expect_dir_listing("${WORK}/out" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
racesim_finish()
