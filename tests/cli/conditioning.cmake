# Conditioning made visible (docs/numerics.md, "Conditioning of a time to target"): every
# reached target carries its condition number and estimated error in summary.json; a run warns
# about a target whose estimated error (condition × tolerance) exceeds 1e-8 and says what to
# do; solver.target_time_tol refines the time until the estimate is within it.
#
# gamma = -0.5 (E0 = P0 = 1, C0 = 1 yr·E0·P0): C/C0 rises to 1 + 1/(0.5·ln2) = 3.885, R falls
# to 0.93693. The targets R = 0.95 (t* = 3.13 yr, cond 2.75), R = 0.9369626120305221 (t* = 20
# yr, cond 199) and R = 0.9369299855546541 (t* = 50 yr, cond 2.6e6), from the closed form
# t* = log1p(g·(X − 1))/g, X = R^(-1/kappa), cond = X/(t*·e^(g·t*)), g = gamma·ln2.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(base "racesim: 1
name: cond
horizon: 60
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: -0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  reference: relative-loss
scenarios:
  - name: well
    targets: {relative: [0.95]}
  - name: near
    targets: {relative: [0.9369626120305221]}
  - name: hopeless
    targets: {relative: [0.9369299855546541]}
")
file(WRITE "${WORK}/cond.yaml" "${base}")
file(WRITE "${WORK}/refined.yaml" "${base}solver: {target_time_tol: 1.0e-9}\n")

racesim(plain ARGS run cond.yaml --out out)
expect_rc(plain 0)
expect_no_match(plain ERR "scenario 'well'")
expect_match(plain ERR "racesim: warning: scenario 'near', target R=0\\.93696[0-9]*: its time 20(\\.0+[0-9]*)? yr has an estimated relative error of 1\\.99e-08, above 1e-08: its condition number is 199 .*tighten solver\\.rel_tol to 5\\.0e-11 or below, or set solver\\.target_time_tol")
expect_match(plain ERR "racesim: warning: scenario 'hopeless', target R=0\\.93692[0-9]*: .*condition number is 2\\.6[0-9]*e\\+06 .*no tolerance brings it below that.* so its time is ill-conditioned and known only to about this relative accuracy")

file(READ "${WORK}/out/summary.json" json)
# condition(<scenario index> <expected, as a regex of its leading digits>)
function(check_condition i cond)
  string(JSON c GET "${json}" scenarios ${i} targets 0 condition)
  string(JSON e GET "${json}" scenarios ${i} targets 0 time_error_estimate)
  if(NOT c MATCHES "^${cond}")
    fail("scenario ${i}: condition ${c}, expected ${cond}...")
  endif()
  # time_error_estimate = condition × rel_tol (1e-10)
  if(NOT e GREATER 0 OR e GREATER 1e-3)
    fail("scenario ${i}: time_error_estimate '${e}' is not condition × 1e-10")
  endif()
endfunction()
check_condition(0 "2\\.75")
check_condition(1 "19[89]\\.")
check_condition(2 "26[01][0-9][0-9][0-9][0-9]")
string(JSON refinements GET "${json}" scenarios 1 solver refinements)
if(NOT refinements STREQUAL "0")
  fail("refinements ${refinements} without solver.target_time_tol")
endif()

racesim(refined ARGS run refined.yaml --out out-refined)
expect_rc(refined 0)
expect_no_match(refined ERR "scenario 'near'")  # refined to within 1e-9: no warning
expect_match(refined ERR "racesim: warning: scenario 'hopeless', .*no tolerance brings it below that")
file(READ "${WORK}/out-refined/summary.json" json)
string(JSON refinements GET "${json}" scenarios 1 solver refinements)
string(JSON estimate GET "${json}" scenarios 1 targets 0 time_error_estimate)
string(JSON err GET "${json}" scenarios 1 targets 0 time_rel_err)
string(JSON tol GET "${json}" resolved_config solver target_time_tol)
if(refinements LESS 1)
  fail("no refinement with solver.target_time_tol")
endif()
if(estimate GREATER 1e-9)
  fail("refined estimate ${estimate} is not within 1e-9")
endif()
if(err GREATER 1e-9)
  fail("refined time error ${err} against the reference is not within 1e-9")
endif()
if(NOT tol MATCHES "^1(\\.0+1?)?e-0?9$")
  fail("resolved_config.solver.target_time_tol is ${tol}")
endif()

racesim_finish()
