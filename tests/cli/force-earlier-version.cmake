# Results directories written before the marker file (.racesim-results) existed: --force
# replaces a directory whose only entries are what racesim wrote (a summary.json of racesim's,
# *.csv files) and a figures/ directory; a directory with anything else, or whose summary.json
# is not racesim's, is refused even with --force (exit 3, untouched, the entries named).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(reference ARGS -q run "${TABLE2}" --out ref)
expect_rc(reference 0)
set(results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv turtle.csv hare.csv)

# earlier(<dir>): <dir> as an earlier racesim version left it (no marker), with a figure.
function(earlier dir)
  file(REMOVE_RECURSE "${WORK}/${dir}")
  file(COPY "${WORK}/ref/" DESTINATION "${WORK}/${dir}")
  file(REMOVE "${WORK}/${dir}/.racesim-results")
  file(WRITE "${WORK}/${dir}/figures/trajectories.svg" "<svg/>\n")
endfunction()

# 1. Results of an earlier version: refused without --force, replaced with it (figures kept).
earlier(old)
racesim(old-refused ARGS -q run "${TABLE2}" --out old)
expect_rc(old-refused 3)
expect_match(old-refused ERR "racesim: error: results directory old already exists \\(results of an earlier run\\); pass --force to replace it, or choose another --out\n")
racesim(old-forced ARGS -q run "${TABLE2}" --out old --force)
expect_rc(old-forced 0)
expect_dir_listing("${WORK}/old" .racesim-results ${results} figures)
expect_dir_listing("${WORK}/old/figures" trajectories.svg)

# 2. The same with files racesim does not write: refused even with --force, untouched.
earlier(notes)
file(WRITE "${WORK}/notes/notes.txt" "do not delete\n")
file(WRITE "${WORK}/notes/.hidden" "mine\n")
file(MAKE_DIRECTORY "${WORK}/notes/drafts")
racesim(notes ARGS -q run "${TABLE2}" --out notes --force)
expect_rc(notes 3)
expect_match(notes ERR "racesim: error: results directory notes already exists and holds, besides the results of an earlier racesim version, \\.hidden, drafts, notes\\.txt, which racesim does not write: racesim does not replace it, not even with --force; choose another --out, or move those out of notes first\n")
expect_empty(notes OUT)
expect_dir_listing("${WORK}/notes" ${results} figures notes.txt .hidden drafts)

# 3. A summary.json that is not racesim's, with CSV files: refused even with --force.
file(MAKE_DIRECTORY "${WORK}/data")
file(WRITE "${WORK}/data/summary.json" "{\"total\": 3}\n")
file(WRITE "${WORK}/data/measurements.csv" "t,x\n0,1\n")
racesim(data ARGS -q run "${TABLE2}" --out data --force)
expect_rc(data 3)
expect_match(data ERR "racesim: error: results directory data already exists and does not hold racesim results \\(no \\.racesim-results file, and its summary\\.json is not racesim's\\): racesim does not replace it, not even with --force; choose another --out, or empty or remove data yourself\n")
expect_dir_listing("${WORK}/data" summary.json measurements.csv)

# 4. A marker that is not racesim's (a directory of that name) marks nothing.
file(MAKE_DIRECTORY "${WORK}/fake/.racesim-results")
file(WRITE "${WORK}/fake/notes.txt" "do not delete\n")
racesim(fake ARGS -q run "${TABLE2}" --out fake --force)
expect_rc(fake 3)
expect_dir_listing("${WORK}/fake" .racesim-results notes.txt)

expect_no_temp_dirs("${WORK}")
racesim_finish()
