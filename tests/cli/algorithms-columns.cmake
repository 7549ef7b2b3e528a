# The fourth rate kind on the command line: `racesim plugins` lists the algorithms types, a run
# writes A and C_physical right after C for a scenario with `algorithms:` and neither for one
# without, summary.json names the block only where it is, and the values in the CSV are the
# closed form (checked here with Python, not with racesim's own reference):
#   E = 2^(0.5 t), P = 3, C0 = 3, A = 2^(t/0.75):
#   C(t) = 3 + 3 expm1(g t)/g, g = (0.5 + 1/0.75) ln2;  C_physical(t) = 3 + 3 expm1(0.5 ln2 t)/(0.5 ln2).
# Tolerance 1e-12 relative: the rates are exactly exponential (the integrator's fitted form is
# exact to rounding) and the CSV prints the shortest round-trip decimal of each double.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(list ARGS plugins)
expect_rc(list 0)
expect_match(list OUT "algorithms +algorithm-table +algorithms-algorithm-table\\.so")
expect_match(list OUT "algorithms +halving-time +algorithms-halving-time\\.so")

file(WRITE "${WORK}/a.yaml" "racesim: 1
horizon: 12
output: {every: 0.5}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 3}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.7]}
scenarios:
  - name: with
    algorithms: {type: halving-time, halving_time: 0.75}
    reference: relative-loss
  - name: without
")
racesim(run ARGS run "${WORK}/a.yaml" --out "${WORK}/out")
expect_rc(run 0)
file(STRINGS "${WORK}/out/with.csv" with_lines)
file(STRINGS "${WORK}/out/without.csv" without_lines)
list(GET with_lines 0 with_header)
list(GET without_lines 0 without_header)
if(NOT with_header STREQUAL "t,C,A,C_physical,E,P,L,R,R_ref,rel_err")
  fail("with.csv header: ${with_header}")
endif()
if(NOT without_header STREQUAL "t,C,E,P,L,R")
  fail("without.csv header: ${without_header}")
endif()
file(READ "${WORK}/out/summary.json" json)
string(JSON alg GET "${json}" scenarios 0 algorithms type)
if(NOT alg STREQUAL "halving-time")
  fail("summary.json: scenarios[0].algorithms.type is '${alg}'")
endif()
string(JSON none ERROR_VARIABLE missing GET "${json}" scenarios 1 algorithms)
if(NOT missing)
  fail("summary.json: scenario 'without' has an algorithms entry: ${none}")
endif()

execute_process(
  COMMAND /usr/bin/python3 -c "
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 25, len(rows)
g, ge = (0.5 + 1 / 0.75) * math.log(2), 0.5 * math.log(2)
worst = 0.0
for r in rows:
    t = float(r['t'])
    C = 3 + 3 * math.expm1(g * t) / g
    Cp = 3 + 3 * math.expm1(ge * t) / ge
    A = 2 ** (t / 0.75)
    for got, want in ((r['C'], C), (r['C_physical'], Cp), (r['A'], A)):
        worst = max(worst, abs(float(got) / want - 1))
print('worst relative error', worst)
sys.exit(0 if worst < 1e-12 else 1)
" "${WORK}/out/with.csv"
  RESULT_VARIABLE py_rc OUTPUT_VARIABLE py_out ERROR_VARIABLE py_err)
if(NOT py_rc EQUAL 0)
  fail("with.csv is not the closed form: ${py_out}${py_err}")
endif()

racesim_finish()
