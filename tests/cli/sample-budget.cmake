# The Monte Carlo sample budget (--max-samples): refused before anything is written, at the
# sample block, with the option named; a larger --max-samples lifts it for validate, run and the
# shards of a run; their merge loads the config again, with the limit it is given.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

# 3,000 samples in closed form: a small run, over a budget of 2,000.
file(WRITE "${WORK}/mc.yaml" "racesim: 1
horizon: 30
solver: {method: closed-form}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: relative-loss
scenarios:
  - name: a
    sample: {n: 3000, seed: 3, parameters: {efficiency.gamma: {dist: uniform, low: 0.3, high: 1}}}
")
racesim(over ARGS run "${WORK}/mc.yaml" --out "${WORK}/out" --max-samples 2000)
expect_rc(over 1)
expect_match(over ERR ".*mc\\.yaml:12:17: error: sample\\.n = 3000 exceeds the limit of 2000 samples")
expect_match(over ERR ".*note: --max-samples N lifts the limit")
if(EXISTS "${WORK}/out")
  fail("a run refused by the sample budget wrote its results directory")
endif()
racesim(validate_over ARGS validate "${WORK}/mc.yaml" --max-samples 2000)
expect_rc(validate_over 1)
racesim(enough ARGS run "${WORK}/mc.yaml" --out "${WORK}/out" --max-samples 3000)
expect_rc(enough 0)
expect_exists("${WORK}/out/samples.csv")
# Shards and their merge take the same limit.
racesim(shard1 ARGS run "${WORK}/mc.yaml" --shard 1/2 --out "${WORK}/s1" --max-samples 3000)
expect_rc(shard1 0)
racesim(shard2 ARGS run "${WORK}/mc.yaml" --shard 2/2 --out "${WORK}/s2" --max-samples 3000)
expect_rc(shard2 0)
racesim(merge_over ARGS merge --out "${WORK}/merged" "${WORK}/s1" "${WORK}/s2" --max-samples 2000)
expect_rc(merge_over 1)
expect_match(merge_over ERR ".*mc\\.yaml:12:17: error: sample\\.n = 3000 exceeds the limit of 2000 samples")
if(EXISTS "${WORK}/merged")
  fail("a merge refused by the sample budget wrote its results directory")
endif()
racesim(merge ARGS merge --out "${WORK}/merged" "${WORK}/s1" "${WORK}/s2" --max-samples 3000)
expect_rc(merge 0)
expect_exists("${WORK}/merged/samples.csv")
racesim_finish()
