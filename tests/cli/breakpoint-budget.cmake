# The breakpoint budget (ExperimentLimits::max_breakpoints): a power schedule with 3e6 bursts over
# the horizon is refused by default by validate, run and check alike, with nothing written, and
# accepted by each when --max-breakpoints lifts the budget.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/bursts.yaml" "racesim: 1
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: peaked, P0: 1, period: 2e-5, duty: 0.5}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
scenarios:
  - name: s
")
foreach(cmd validate check run)
  if(cmd STREQUAL "run")
    set(extra --out "${WORK}/out")
  else()
    set(extra)
  endif()
  racesim(${cmd} ARGS ${cmd} "${WORK}/bursts.yaml" ${extra})
  expect_rc(${cmd} 1)
  expect_match(${cmd} ERR ".*bursts\\.yaml:5:10: error: power 'peaked' declares about 3e\\+06 breakpoints over the horizon of 30 yr in scenario 's': more than the budget of 1000000")
endforeach()
if(EXISTS "${WORK}/out")
  fail("a refused run wrote its results directory")
endif()
racesim(lifted ARGS validate "${WORK}/bursts.yaml" --max-breakpoints 4000000)
expect_rc(lifted 0)
racesim(lower ARGS validate "${WORK}/bursts.yaml" --max-breakpoints 0)
expect_rc(lower 2)
racesim_finish()
