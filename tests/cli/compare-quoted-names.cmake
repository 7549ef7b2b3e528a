# `racesim compare` reads back scenarios whose names hold a comma and a double quote (the
# writer quotes such fields, RFC 4180), and trajectory CSVs written with the full RFC 4180
# quoting by another tool (every field quoted, CRLF line ends): the report is the run's own.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/q.yaml" [=[
racesim: 1
name: quoted
horizon: 12
output: {every: 0.1}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: piecewise-exact
scenarios:
  - name: 'fleet, "continuous"'
  - name: 'fleet, "yearly"'
    efficiency: {type: discrete-steps, period: 1}
  - name: 'g, "swept"'
    sweep: {efficiency.gamma: [1, 2]}
compare:
  - {a: 'fleet, "yearly"', b: 'fleet, "continuous"'}
]=])
racesim(run ARGS run "${WORK}/q.yaml" --out "${WORK}/q")
expect_rc(run 0)
set(a_csv "${WORK}/q/fleet,__yearly_.csv")
set(b_csv "${WORK}/q/fleet,__continuous_.csv")
expect_exists("${a_csv}")
expect_exists("${b_csv}")
expect_exists("${WORK}/q/compare_fleet,__yearly__vs_fleet,__continuous_.csv")
expect_match(run OUT "compare 'fleet, \"yearly\"' \\(a\\) with 'fleet, \"continuous\"' \\(b\\), 121 common output times")
# sweep.csv quotes the names (a comma and a quote each).
file(STRINGS "${WORK}/q/sweep.csv" sweep)
list(GET sweep 1 row1)
if(NOT row1 MATCHES "^\"g, \"\"swept\"\"\\[gamma=1\\]\",\"g, \"\"swept\"\"\",1,")
  fail("sweep.csv does not quote the scenario name as RFC 4180 says: ${row1}")
endif()

string(REGEX MATCH "compare 'fleet[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n" from_run "${run_OUT}")
if(from_run STREQUAL "")
  fail("no comparison report in the run's output")
endif()

racesim(cmp ARGS compare "${WORK}/q" "fleet, \"yearly\"" "fleet, \"continuous\"" --csv "${WORK}/rows.csv")
expect_rc(cmp 0)
string(REGEX MATCH "compare 'fleet[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n" from_dir "${cmp_OUT}")
if(NOT from_run STREQUAL from_dir)
  fail("compare from the directory differs from the run's report:\n${from_run}\nvs\n${from_dir}")
endif()
file(READ "${WORK}/rows.csv" rows)
file(READ "${WORK}/q/compare_fleet,__yearly__vs_fleet,__continuous_.csv" rows_run)
if(NOT rows STREQUAL rows_run)
  fail("--csv rows differ from the run's compare CSV")
endif()

# The trajectories as a spreadsheet or Python's csv.QUOTE_ALL would save them: every field
# quoted, CRLF line ends. Same values, so the same report.
foreach(f IN ITEMS "${a_csv}" "${b_csv}")
  file(STRINGS "${f}" lines)
  set(out "")
  foreach(line IN LISTS lines)
    string(REPLACE "," "\",\"" line "${line}")
    string(APPEND out "\"${line}\"\r\n")
  endforeach()
  file(WRITE "${f}" "${out}")
endforeach()
racesim(quoted ARGS compare "${WORK}/q" "fleet, \"yearly\"" "fleet, \"continuous\"")
expect_rc(quoted 0)
string(REGEX MATCH "compare 'fleet[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n" from_quoted "${quoted_OUT}")
if(NOT from_run STREQUAL from_quoted)
  fail("compare of the fully quoted CSVs differs from the run's report:\n${from_run}\nvs\n${from_quoted}")
endif()

# A quoted field that is never closed is named with its file and line.
file(WRITE "${a_csv}" "t,C,E,P,L,R\n0,1,1,1,1,1\n\"0.1,1,1,1,1,1\n")
racesim(open ARGS compare "${WORK}/q" "fleet, \"yearly\"" "fleet, \"continuous\"")
expect_rc(open 2)
expect_match(open ERR "racesim: error: .*fleet,__yearly_\\.csv:3: unterminated quoted field")
racesim_finish()
