# --no-trajectories (summary-only mode): no per-scenario CSV; sweep.csv is byte-identical to the
# one written with trajectories; summary.json lists the declared scenarios that are not swept
# (with "csv": null) and summarises each sweep instead of listing its scenarios, with the same
# numbers as the full run.
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
  - name: one
  - name: g
    sweep: {efficiency.gamma: {from: 0.5, to: 3, count: 6}}
")
racesim(full ARGS run "${WORK}/s.yaml" --out "${WORK}/full")
racesim(lean ARGS run "${WORK}/s.yaml" --out "${WORK}/lean" --no-trajectories)
expect_rc(full 0)
expect_rc(lean 0)
expect_dir_listing("${WORK}/lean" .racesim-results summary.json sweep.csv)
file(READ "${WORK}/full/sweep.csv" a)
file(READ "${WORK}/lean/sweep.csv" b)
if(NOT a STREQUAL b)
  fail("sweep.csv differs with --no-trajectories")
endif()
file(READ "${WORK}/lean/summary.json" j)
file(READ "${WORK}/full/summary.json" j2)
string(JSON n LENGTH "${j}" scenarios)
string(JSON n2 LENGTH "${j2}" scenarios)
if(NOT n EQUAL 1 OR NOT n2 EQUAL 7)
  fail("summary.json lists ${n} scenarios with --no-trajectories (expected 1: 'one') and ${n2} without (expected 7)")
endif()
string(JSON csv TYPE "${j}" scenarios 0 csv)
if(NOT csv STREQUAL "NULL")
  fail("summary.json: csv is of type '${csv}' with --no-trajectories, expected null")
endif()
foreach(doc j j2)
  string(JSON count GET "${${doc}}" scenario_count)
  string(JSON swn GET "${${doc}}" sweeps 0 scenarios)
  string(JSON reached GET "${${doc}}" sweeps 0 targets 0 reached)
  if(NOT count EQUAL 7 OR NOT swn EQUAL 6 OR NOT reached EQUAL 6)
    fail("${doc}: scenario_count ${count} (expected 7), sweep of ${swn} (6), reached by ${reached} (6)")
  endif()
endforeach()
# The sweep's slowest time (gamma = 0.5) is the listed time of its first scenario in the full run.
string(JSON t1 GET "${j}" sweeps 0 targets 0 max_time)
string(JSON t2 GET "${j2}" scenarios 1 targets 0 time)
string(JSON name2 GET "${j2}" scenarios 1 name)
if(NOT t1 STREQUAL t2 OR NOT name2 STREQUAL "g[gamma=0.5]")
  fail("slowest time differs: ${t1} vs ${t2} (${name2})")
endif()
racesim_finish()
