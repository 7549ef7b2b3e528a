# `racesim check CONFIG` runs the plugin contract on every model of every scenario: it passes
# on the built-in plugins (every shipped config) and catches an undeclared jump, a regime read
# from t instead of the segment, and a loss law whose inverse is wrong (test-only plugins).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(GLOB configs "${SOURCE_DIR}/configs/examples/*.yaml" "${SOURCE_DIR}/configs/paper/*.yaml")
foreach(cfg IN LISTS configs)
  get_filename_component(stem "${cfg}" NAME_WE)
  racesim(${stem} ARGS check "${cfg}")
  expect_rc(${stem} 0)
  expect_no_match(${stem} OUT "VIOLATED")
endforeach()
expect_match(hardware-generations OUT "nvidia-generations: efficiency 'generation-table': ok \\(3 breakpoints, [0-9]+ evaluations\\)")

file(WRITE "${WORK}/broken.yaml" [=[
racesim: 1
name: broken
horizon: 5
scenarios:
  - name: s
    efficiency: {type: undeclared-jump}
    power: {type: reads-t}
    loss: {type: wrong-inverse}
    baseline: {C0: 1}
]=])
racesim(broken ARGS --plugin-path "${TEST_PLUGIN_DIR}" check broken.yaml)
expect_rc(broken 3)
expect_match(broken OUT "s: efficiency 'undeclared-jump': CONTRACT VIOLATED\n  undeclared jump near t = 1\\.29999999999")
expect_match(broken OUT "s: power 'reads-t': CONTRACT VIOLATED\n  at t = 2 the segment \\[0, 2\\) gives ln value 1 but a small segment inside it gives 0")
expect_match(broken OUT "s: loss 'wrong-inverse': CONTRACT VIOLATED\n  log_compute_for_loss\\(L\\(ln C = 1\\)\\) = 0\\.1, not ln C")
expect_match(broken ERR "racesim: error: 3 model\\(s\\) violate the plugin contract")
racesim_finish()
