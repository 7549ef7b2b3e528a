# The trajectory-row budget (--max-rows): counted over every scenario's output grid when the run
# keeps trajectories; refused before anything is written; --no-trajectories (no rows written)
# and a larger --max-rows lift it; validate applies the same budget.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

# Two scenarios of 301 rows each (0, 0.1, ..., 30): 602 rows.
file(WRITE "${WORK}/two.yaml" "racesim: 1
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
scenarios:
  - name: a
  - name: b
    efficiency: {gamma: 1}
")
racesim(over ARGS run "${WORK}/two.yaml" --out "${WORK}/out" --max-rows 500)
expect_rc(over 1)
expect_match(over ERR ".*two\\.yaml:1:1: error: the run would write about 60[0-9] trajectory rows \\(2 scenarios, about [0-9.e-]+ GB of CSV\\): more than the budget of 500 rows")
if(EXISTS "${WORK}/out")
  fail("a run refused by the row budget wrote its results directory")
endif()
racesim(validate_over ARGS validate "${WORK}/two.yaml" --max-rows 500)
expect_rc(validate_over 1)
racesim(enough ARGS run "${WORK}/two.yaml" --out "${WORK}/out" --max-rows 700)
expect_rc(enough 0)
expect_exists("${WORK}/out/a.csv")
racesim(summary_only ARGS run "${WORK}/two.yaml" --out "${WORK}/out2" --max-rows 500 --no-trajectories)
expect_rc(summary_only 0)
expect_exists("${WORK}/out2/summary.json")
if(EXISTS "${WORK}/out2/a.csv")
  fail("--no-trajectories wrote a trajectory")
endif()
racesim_finish()
