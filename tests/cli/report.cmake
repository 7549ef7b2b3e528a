# racesim report DIR [--out FILE]: one self-contained HTML file (docs/report.md). What the page
# does in a browser is tested by tests/report (report.browser-*); here: where it is written,
# that it is whole and written atomically, what it holds, and the errors.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(run ARGS -q run "${TABLE2}" --out "${WORK}/t2")
expect_rc(run 0)

racesim(report ARGS report "${WORK}/t2")
expect_rc(report 0)
expect_match(report ERR "racesim: info: report written to ${WORK}/t2/report.html \\([0-9]+ bytes\\)")
expect_exists("${WORK}/t2/report.html")
expect_no_temp_dirs("${WORK}/t2")
file(SIZE "${WORK}/t2/report.html" size)
if(size GREATER_EQUAL 1000000)
  fail("Table 2's report is ${size} bytes, not under 1 MB")
endif()
file(READ "${WORK}/t2/report.html" html)
# Self-contained: no element loads anything (no src= or href= to a URL, no @import, no fetch);
# the only URL is the chart library's home page in its licence comment and banner.
foreach(bad "<script src=" "<link " "@import" "fetch(" "XMLHttpRequest" "<iframe")
  string(FIND "${html}" "${bad}" at)
  if(NOT at EQUAL -1)
    fail("report.html holds '${bad}'")
  endif()
endforeach()
foreach(want "Content-Security-Policy" "default-src 'none'" "\"experiment\":\"paper-table2\"" "uPlot 1.6.32"
             "\"hare\"" "RacesimClosedForm" "The MIT License")
  string(FIND "${html}" "${want}" at)
  if(at EQUAL -1)
    fail("report.html lacks '${want}'")
  endif()
endforeach()
# Every @NAME@ placeholder of framework/report/page.html was replaced.
if(html MATCHES "@(TITLE|DATA|PAGE_JS|PAGE_CSS|UPLOT_JS|UPLOT_CSS|UPLOT_LICENSE|UPLOT_VERSION|CLOSED_FORM_JS)@")
  fail("report.html still holds the placeholder ${CMAKE_MATCH_0}")
endif()

# --out FILE, relative to the working directory; written again over an existing file.
racesim(out ARGS -q report t2 --out mine.html)
expect_rc(out 0)
expect_empty(out ERR)
expect_exists("${WORK}/mine.html")
racesim(again ARGS -q report t2 --out mine.html)
expect_rc(again 0)
file(GLOB left "${WORK}/.mine.html.tmp-*")
if(left)
  fail("temporary files left: ${left}")
endif()

# Not a results directory: a usage error naming it, and nothing written.
file(MAKE_DIRECTORY "${WORK}/empty")
racesim(empty ARGS report "${WORK}/empty")
expect_rc(empty 2)
expect_match(empty ERR "racesim: error: ${WORK}/empty holds no summary.json: not a racesim results directory")
expect_missing("${WORK}/empty/report.html")
racesim(missing ARGS report "${WORK}/nowhere")
expect_rc(missing 2)
expect_match(missing ERR "racesim: error: ${WORK}/nowhere is not a directory")
file(WRITE "${WORK}/bad/summary.json" "{\"racesim_version\": \"0.1.0\", \"scenarios\": [")
racesim(malformed ARGS report "${WORK}/bad")
expect_rc(malformed 2)
expect_match(malformed ERR "racesim: error: ${WORK}/bad/summary.json: ")
expect_missing("${WORK}/bad/report.html")
# summary.json naming a file outside the directory is refused.
file(WRITE "${WORK}/hostile/summary.json"
  "{\"racesim_version\": \"0.1.0\", \"scenarios\": [{\"name\": \"x\", \"csv\": \"../t2/hare.csv\", \"targets\": []}]}")
racesim(hostile ARGS report "${WORK}/hostile")
expect_rc(hostile 2)
expect_match(hostile ERR "racesim: error: .*not a file name inside the results directory; refused")
expect_missing("${WORK}/hostile/report.html")
# A truncated CSV is an error, not a page with half a curve.
file(COPY "${WORK}/t2/" DESTINATION "${WORK}/cut")
file(APPEND "${WORK}/cut/hare.csv" "1,2\n")
racesim(cut ARGS report "${WORK}/cut")
expect_rc(cut 2)
expect_match(cut ERR "racesim: error: ${WORK}/cut/hare.csv:[0-9]+: 2 fields, the header has 8")

# Cannot write: --out in a directory that does not exist, or a directory: run-time failure (3).
racesim(nodir ARGS report t2 --out "${WORK}/no/such/dir/r.html")
expect_rc(nodir 3)
expect_match(nodir ERR "racesim: error: cannot write ${WORK}/no/such/dir/r.html")
racesim(isdir ARGS report t2 --out "${WORK}/empty")
expect_rc(isdir 3)
expect_match(isdir ERR "racesim: error: ${WORK}/empty is a directory")

# Large results are thinned for display by the documented rule (docs/report.md): a 300 x 300
# sweep keeps one value in 3 of each path (100 x 100 rows; one in 2 would keep 22,500 > 20,000).
file(WRITE "${WORK}/grid.yaml" [=[
racesim: 1
name: grid
horizon: 40
solver: {method: closed-form}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: relative-loss
scenarios:
  - name: g
    sweep:
      efficiency.gamma: {from: 0.1, to: 3, count: 300}
      baseline.tau: {from: 0, to: 5, count: 300}
]=])
racesim(grid_run ARGS -q run "${WORK}/grid.yaml" --out "${WORK}/grid")
expect_rc(grid_run 0)
racesim(grid ARGS report "${WORK}/grid")
expect_rc(grid 0)
expect_match(grid ERR "racesim: info: thinned for display: sweep 'g': 10000 of 90000 rows \\(one value in 3 of each of efficiency.gamma, baseline.tau\\)")
file(READ "${WORK}/grid/report.html" html)
string(FIND "${html}" [["g":{"kept_rows":10000,"stride":3,"total_rows":90000}]] at)
if(at EQUAL -1)
  fail("grid/report.html does not record the thinning of sweep 'g'")
endif()

# A scenario name cannot open a comment in the data's <script> element or add an element (every
# '<' of the JSON is \u003c; '/' is not allowed in names), nor add markup to the title.
file(WRITE "${WORK}/hostile-name.yaml" [=[
racesim: 1
name: "a<b>bold<script>alert(1)"
horizon: 5
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: "x<!--<script>alert(2)"
]=])
racesim(hostile_run ARGS -q run "${WORK}/hostile-name.yaml" --out "${WORK}/hn")
expect_rc(hostile_run 0)
racesim(hostile_name ARGS -q report "${WORK}/hn")
expect_rc(hostile_name 0)
file(READ "${WORK}/hn/report.html" html)
foreach(bad "<script>alert(1)" "<script>alert(2)" "x<!--")
  string(FIND "${html}" "${bad}" at)
  if(NOT at EQUAL -1)
    fail("hn/report.html holds '${bad}': a name escaped its element")
  endif()
endforeach()
string(FIND "${html}" [[x\u003c!--\u003cscript>alert(2)]] at)
if(at EQUAL -1)
  fail("hn/report.html does not hold the scenario name as escaped JSON")
endif()
string(FIND "${html}" "<title>a&lt;b&gt;bold&lt;script&gt;alert(1) · racesim report</title>" at)
if(at EQUAL -1)
  fail("hn/report.html's title is not the escaped experiment name")
endif()

# A re-run with --force replaces the results directory, report.html included (it is racesim's).
racesim(rerun ARGS -q run "${TABLE2}" --out "${WORK}/t2" --force)
expect_rc(rerun 0)
expect_missing("${WORK}/t2/report.html")
racesim_finish()
