# --no-trajectories: no per-scenario CSV, summary.json says "csv": null, and every other output
# (sweep.csv, the times in summary.json) is the same as with trajectories.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/s.yaml" "racesim: 1
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: relative-loss
scenarios:
  - name: g
    sweep: {efficiency.gamma: {from: 0.5, to: 3, count: 6}}
")
racesim(full ARGS run "${WORK}/s.yaml" --out "${WORK}/full")
racesim(lean ARGS run "${WORK}/s.yaml" --out "${WORK}/lean" --no-trajectories)
expect_rc(full 0)
expect_rc(lean 0)
expect_dir_listing("${WORK}/lean" summary.json sweep.csv)
file(READ "${WORK}/full/sweep.csv" a)
file(READ "${WORK}/lean/sweep.csv" b)
if(NOT a STREQUAL b)
  fail("sweep.csv differs with --no-trajectories")
endif()
file(READ "${WORK}/lean/summary.json" j)
string(JSON csv TYPE "${j}" scenarios 0 csv)
if(NOT csv STREQUAL "NULL")
  fail("summary.json: csv is of type '${csv}' with --no-trajectories, expected null")
endif()
string(JSON t1 GET "${j}" scenarios 5 targets 0 time)
file(READ "${WORK}/full/summary.json" j2)
string(JSON t2 GET "${j2}" scenarios 5 targets 0 time)
if(NOT t1 STREQUAL t2)
  fail("time to target differs: ${t1} vs ${t2}")
endif()
racesim_finish()
