# A failure while the results are being written, after the temporary directory
# (.<leaf>.tmp-*) was created: a scenario whose CSV name is longer than a file name may be
# (255 bytes on Linux). Exit 3; the temporary directory is removed, no results appear,
# and an existing results directory is kept as it was.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

string(REPEAT "x" 300 long)
file(WRITE "${WORK}/long.yaml" "racesim: 1
name: long-name
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 4.46e10, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: short
  - name: ${long}
")
racesim(fresh ARGS run long.yaml --out out)
expect_rc(fresh 3)
expect_match(fresh ERR "racesim: error: cannot create [^\n]*xxx\\.csv")
expect_dir_listing("${WORK}" long.yaml)

# Same failure over earlier results: they survive untouched.
racesim(first ARGS run "${TABLE2}" --out out)
expect_rc(first 0)
file(READ "${WORK}/out/summary.json" before)
racesim(again ARGS run long.yaml --out out)
expect_rc(again 3)
expect_dir_listing("${WORK}" long.yaml out)
expect_dir_listing("${WORK}/out" summary.json unfold-in-time.csv baseline.csv turtle.csv hare.csv)
file(READ "${WORK}/out/summary.json" after)
if(NOT before STREQUAL after)
  fail("out/summary.json changed after a failed run")
endif()
racesim_finish()
