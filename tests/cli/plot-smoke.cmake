# tools/plot renders non-empty PNG and SVG files for every kind of figure: trajectories, a
# sweep (time to target, and the swept trajectories), a tornado chart, a comparison, a Monte
# Carlo histogram/CDF and CDF overlay, Sobol indices and a waterfall; with algorithms:, the physical
# compute beside the effective. Uses Debian's
# /usr/bin/python3 with matplotlib.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/all.yaml" "racesim: 1
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.8]}
scenarios:
  - name: g
    sweep: {efficiency.gamma: [1, 2]}
  - name: s
    sensitivity: {step: 0.1}
  - name: m
    sample: {n: 50, parameters: {efficiency.gamma: {dist: uniform, low: 1, high: 2}}}
    sobol: {n: 64, bootstrap: 20}
  - name: d
    efficiency: {gamma: 2}
    decompose: {from: s}
compare:
  - {a: 'g[gamma=1]', b: 'g[gamma=2]'}
")
racesim(run ARGS run "${WORK}/all.yaml" --out "${WORK}/res")
expect_rc(run 0)
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" "${WORK}/res" --out "${WORK}/fig"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("tools/plot exit ${rc}: ${err}")
endif()
foreach(f trajectories sweeps-g sweep-efficiency_gamma tornado-s-R=0.8 compare-g_gamma=1_-vs-g_gamma=2_
          montecarlo-m-R=0.8 montecarlo-cdf-R=0.8 sobol-m-R=0.8 waterfall-s-to-d-R=0.8)
  foreach(ext png svg)
    set(p "${WORK}/fig/${f}.${ext}")
    if(NOT EXISTS "${p}")
      fail("missing ${f}.${ext} (tools/plot printed: ${out})")
      continue()
    endif()
    file(SIZE "${p}" size)
    if(size LESS 1000)
      fail("${f}.${ext} is only ${size} bytes")
    endif()
  endforeach()
  if(EXISTS "${WORK}/fig/${f}.png")
    file(READ "${WORK}/fig/${f}.png" magic LIMIT 4 HEX)
    if(NOT magic STREQUAL "89504e47")
      fail("${f}.png does not start with the PNG signature (${magic})")
    endif()
    file(READ "${WORK}/fig/${f}.svg" svg)
    if(NOT svg MATCHES "<svg" OR NOT svg MATCHES "racesim")
      fail("${f}.svg is not an SVG with the racesim stamp")
    endif()
  endif()
endforeach()
# With algorithms: (C is effective compute) the compute figure draws the physical compute dashed,
# with its own legend key, and none without it.
file(WRITE "${WORK}/alg.yaml" "racesim: 1
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.8]}
scenarios:
  - name: hardware
  - name: algorithms
    algorithms: {type: halving-time, halving_time: {months: 8}}
")
racesim(alg ARGS run "${WORK}/alg.yaml" --out "${WORK}/alg")
expect_rc(alg 0)
foreach(case alg res)
  execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" "${WORK}/${case}" --kind trajectories
                          --quantity C --out "${WORK}/fig-${case}"
                  RESULT_VARIABLE rc3 ERROR_VARIABLE err3)
  file(READ "${WORK}/fig-${case}/trajectories-compute.svg" svg)
  if(NOT rc3 EQUAL 0)
    fail("tools/plot --quantity C on ${case}: exit ${rc3}: ${err3}")
  elseif(case STREQUAL "alg" AND NOT svg MATCHES "physical compute")
    fail("the compute figure of a scenario with algorithms has no key for the physical compute")
  elseif(case STREQUAL "res" AND svg MATCHES "physical compute")
    fail("the compute figure of scenarios without algorithms has a key for a physical compute")
  endif()
endforeach()
# A directory that is not racesim results is refused with a message, not a traceback.
execute_process(COMMAND /usr/bin/python3 "${SOURCE_DIR}/tools/plot" "${WORK}"
                RESULT_VARIABLE rc2 ERROR_VARIABLE err2)
if(rc2 EQUAL 0 OR NOT err2 MATCHES "is not a racesim results directory" OR err2 MATCHES "Traceback")
  fail("tools/plot on a non-results directory: exit ${rc2}, stderr: ${err2}")
endif()
racesim_finish()
