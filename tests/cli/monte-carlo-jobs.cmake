# A Monte Carlo run gives byte-identical samples.csv and summary.json (its `timing` section
# aside) with 1 and 2 threads, and records the seed it used.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/mc.yaml" "racesim: 1
horizon: 40
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68, 0.5]}
scenarios:
  - name: uncertain
    sample:
      n: 2000
      parameters:
        efficiency.gamma: {dist: lognormal, ci80: [0.5, 3]}
        loss.kappa: {dist: normal, mean: 0.048, sd: 0.005, min: 0.01}
        power.P0: {dist: choice, values: [0.1, 1, 1.5], p: [0.2, 0.5, 0.3]}
      correlations:
        - [efficiency.gamma, loss.kappa, 0.5]
      dates: [5, 10, 20]
")
racesim(one ARGS run "${WORK}/mc.yaml" --out "${WORK}/one" --jobs 1)
racesim(two ARGS run "${WORK}/mc.yaml" --out "${WORK}/two" --jobs 2)
expect_rc(one 0)
expect_rc(two 0)
expect_match(one OUT "monte carlo 'uncertain': 2000 samples, seed 1")
expect_match(one OUT "  R=0\\.68 +P\\(reached\\) 0\\.9[0-9]+ +p5 ")
file(READ "${WORK}/one/samples.csv" a)
file(READ "${WORK}/two/samples.csv" b)
if(NOT a STREQUAL b OR a STREQUAL "")
  fail("samples.csv differs between --jobs 1 and --jobs 2")
endif()
file(STRINGS "${WORK}/one/samples.csv" rows)
list(LENGTH rows n)
if(NOT n EQUAL 2001)
  fail("samples.csv has ${n} lines, expected a header and 2000 samples")
endif()
expect_same_results("${WORK}/one" "${WORK}/two")  # every file, summary.json but its timing
summary_without_timing(j_one "${WORK}/one/summary.json")
string(JSON seed GET "${j_one}" monte_carlo 0 seed)
if(NOT seed EQUAL 1)
  fail("summary.json records seed '${seed}', expected the default 1")
endif()
racesim_finish()
