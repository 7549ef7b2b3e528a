# The same config gives byte-identical outputs on repeated runs: every CSV, and summary.json
# apart from its separate `timing` section (the only place wall-clock times appear). Checked
# on the paper's Table 2 and on a config with discrete generations and peaked power.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/steps.yaml" [=[
racesim: 1
name: steps
horizon: 30
output: {every: 0.25, times: [0.1, 7.77]}
defaults:
  efficiency: {type: discrete-steps, E0: 4.46e10, gamma: 0.7, period: 2}
  power: {type: peaked, P0: 70, duty: 0.22, offset: 0.3}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.9, 0.8]}
  reference: piecewise-exact
scenarios:
  - name: gen2
  - name: gen1
    efficiency: {period: 1}
]=])

foreach(config "${TABLE2}" steps.yaml)
  get_filename_component(stem "${config}" NAME_WE)
  racesim(${stem}-1 ARGS -q run "${config}" --out ${stem}-1)
  racesim(${stem}-2 ARGS -q run "${config}" --out ${stem}-2)
  expect_rc(${stem}-1 0)
  expect_rc(${stem}-2 0)
  if(NOT "${${stem}-1_OUT}" STREQUAL "${${stem}-2_OUT}")
    fail("${stem}: the table on stdout differs between runs")
  endif()
  expect_same_results("${WORK}/${stem}-1" "${WORK}/${stem}-2")
  # The timing section exists, and holds the only wall-clock numbers.
  file(READ "${WORK}/${stem}-1/summary.json" json)
  string(JSON t ERROR_VARIABLE err GET "${json}" timing wall_seconds)
  if(err)
    fail("${stem}: summary.json has no timing.wall_seconds: ${err}")
  endif()
  string(JSON rest REMOVE "${json}" timing)
  if(rest MATCHES "wall|seconds")
    fail("${stem}: summary.json mentions wall-clock time outside its timing section")
  endif()
endforeach()
racesim_finish()
