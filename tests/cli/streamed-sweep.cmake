# A sweep past the summary-only threshold (1000 scenarios) streams: sweep.csv and solve.csv
# are byte-identical with 1 and 2 threads, have one row per scenario in sweep order, and
# summary.json (timing aside) is identical too; a goal seek runs for every swept scenario.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/s.yaml" "racesim: 1
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68, 0.6]}
  reference: relative-loss
scenarios:
  - name: g
    sweep: {efficiency.gamma: {from: 0.5, to: 3, count: 1500}}
  - name: seek
    sweep: {baseline.tau: [0, 1, 2]}
    solve: {parameter: efficiency.gamma, bracket: [0.1, 10], target: {relative: 0.68}, at: 8}
")
racesim(one ARGS run "${WORK}/s.yaml" --out "${WORK}/one" --jobs 1)
racesim(two ARGS run "${WORK}/s.yaml" --out "${WORK}/two" --jobs 2)
expect_rc(one 0)
expect_rc(two 0)
expect_dir_listing("${WORK}/one" .racesim-results solve.csv summary.json sweep.csv)
expect_match(one ERR "racesim: info: 1503 scenarios: writing no per-scenario CSVs")
expect_match(one OUT "sweep 'g': 1500 scenarios, one row each in sweep\\.csv; worst time err [0-9.e-]+, worst R err")
expect_match(one OUT "  R=0\\.68 +reached by 1500 of 1500, in 4\\.21583 to 20\\.1273 yr")
# (closed form, docs/model.md: t* = log1p(g ln2 (X - 1)) / (g ln2), X = 0.68^(-1/0.048), at g = 3 and 0.5)
expect_match(one OUT "  R=0\\.68 +reached by 3 of 3, in 8 to 8 yr")
expect_same_results("${WORK}/one" "${WORK}/two")  # every file, summary.json but its timing
file(STRINGS "${WORK}/one/sweep.csv" rows)
list(LENGTH rows n)
list(GET rows 1 first)
list(GET rows 1500 last)
list(GET rows 1501 seek0)
if(NOT n EQUAL 1504 OR NOT first MATCHES "^g\\[gamma=0\\.5\\],g,0\\.5," OR NOT last MATCHES "^g\\[gamma=3\\],g,3,"
   OR NOT seek0 MATCHES "^seek\\[tau=0\\],seek,")
  fail("sweep.csv: ${n} lines (expected 1504), rows 1/1500/1501: ${first} | ${last} | ${seek0}")
endif()
file(STRINGS "${WORK}/one/solve.csv" srows)
list(LENGTH srows ns)
if(NOT ns EQUAL 4)
  fail("solve.csv has ${ns} lines, expected a header and one goal seek per swept scenario of 'seek'")
endif()
summary_without_timing(j_one "${WORK}/one/summary.json")
string(JSON listed LENGTH "${j_one}" scenarios)
string(JSON found GET "${j_one}" sweeps 1 solves_found)
if(NOT listed EQUAL 0 OR NOT found EQUAL 3)
  fail("summary.json lists ${listed} scenarios (expected 0: all are swept) and ${found} goal seeks found (3)")
endif()
racesim_finish()
