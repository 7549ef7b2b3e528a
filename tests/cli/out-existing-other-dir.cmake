# --out naming an existing directory that racesim did not write (here: someone's notes) is
# refused with exit 3 and left untouched, with or without --force: --force replaces only a
# directory with racesim's marker file (or the results of an earlier racesim version, see
# force-earlier-version). An empty directory is refused without --force and replaced with it.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(MAKE_DIRECTORY "${WORK}/mine")
file(WRITE "${WORK}/mine/notes.txt" "do not delete\n")

set(not_ours "racesim: error: results directory mine already exists and does not hold racesim results \\(no \\.racesim-results file; it holds notes\\.txt\\): racesim does not replace it, not even with --force; choose another --out, or empty or remove mine yourself\n")
racesim(refused ARGS run "${TABLE2}" --out mine)
expect_rc(refused 3)
expect_match(refused ERR "${not_ours}")
expect_empty(refused OUT)  # refused before integrating

racesim(forced ARGS run "${TABLE2}" --out mine --force)
expect_rc(forced 3)
expect_match(forced ERR "${not_ours}")
expect_empty(forced OUT)
expect_dir_listing("${WORK}" mine)
expect_dir_listing("${WORK}/mine" notes.txt)
if(EXISTS "${WORK}/mine/notes.txt")
  file(READ "${WORK}/mine/notes.txt" notes)
  if(NOT notes STREQUAL "do not delete\n")
    fail("mine/notes.txt was modified")
  endif()
endif()

# An empty directory holds nothing to lose: refused without --force, replaced with it.
file(MAKE_DIRECTORY "${WORK}/empty")
racesim(empty ARGS run "${TABLE2}" --out empty)
expect_rc(empty 3)
expect_match(empty ERR "racesim: error: results directory empty already exists \\(empty\\); pass --force to replace it, or choose another --out\n")
expect_dir_listing("${WORK}/empty")
racesim(empty-forced ARGS run "${TABLE2}" --out empty --force)
expect_rc(empty-forced 0)
expect_dir_listing("${WORK}" mine empty)
expect_dir_listing("${WORK}/empty" .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)
racesim_finish()
