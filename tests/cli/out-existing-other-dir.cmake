# --out naming an existing directory that does not hold racesim results (here: someone's
# notes) is refused with exit 3 and left untouched; with --force it is replaced.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(MAKE_DIRECTORY "${WORK}/mine")
file(WRITE "${WORK}/mine/notes.txt" "do not delete\n")

racesim(refused ARGS run "${TABLE2}" --out mine)
expect_rc(refused 3)
expect_match(refused ERR "racesim: error: results directory mine already exists and does not hold racesim results; choose another --out or pass --force to replace it\n")
expect_dir_listing("${WORK}" mine)
expect_dir_listing("${WORK}/mine" notes.txt)
file(READ "${WORK}/mine/notes.txt" notes)
if(NOT notes STREQUAL "do not delete\n")
  fail("mine/notes.txt was modified")
endif()

# An empty directory is no racesim results directory either.
file(MAKE_DIRECTORY "${WORK}/empty")
racesim(empty ARGS run "${TABLE2}" --out empty)
expect_rc(empty 3)
expect_dir_listing("${WORK}/empty")

racesim(forced ARGS run "${TABLE2}" --out mine --force)
expect_rc(forced 0)
expect_dir_listing("${WORK}" mine empty)
expect_dir_listing("${WORK}/mine" summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
racesim_finish()
