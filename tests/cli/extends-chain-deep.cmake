# A deep `extends` chain is resolved without recursion: 22,000 scenarios, each extending the
# next (about 0.7 MB, under every size limit), validate with exit 0. The recursive resolution
# overflowed the stack (SIGSEGV) here; with a 1 MB stack 3,000 were enough. The chain is
# declared child first, so the first scenario validated walks all of it; values set at its
# far end (the last scenario) reach the first one (checked by running a short chain's head).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(n 22000)
math(EXPR last "${n} - 1")
math(EXPR before_last "${n} - 2")
set(yaml "racesim: 1
name: deep
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.8]}
scenarios:
")
file(WRITE "${WORK}/deep.yaml" "${yaml}")
set(chunk "")  # appended 1,000 lines at a time: one string of 0.7 MB grown line by line is slow
foreach(i RANGE 0 ${before_last})
  math(EXPR next "${i} + 1")
  string(APPEND chunk "  - {name: s${i}, extends: s${next}}\n")
  if(i MATCHES "999$")
    file(APPEND "${WORK}/deep.yaml" "${chunk}")
    set(chunk "")
  endif()
endforeach()
file(APPEND "${WORK}/deep.yaml" "${chunk}  - {name: s${last}, efficiency: {gamma: 2}}\n")
file(SIZE "${WORK}/deep.yaml" size)
message(STATUS "deep.yaml: ${n} scenarios, ${size} bytes")

racesim(validate ARGS validate deep.yaml)
expect_rc(validate 0)
expect_match(validate OUT "deep\\.yaml: valid: experiment 'deep', ${n} scenario\\(s\\)\n$")
expect_empty(validate ERR)

# Closing the chain into a cycle of 22,000 (the last extends the first): each scenario is
# reported once, spelt from itself as for short cycles, abridged in the middle; the walk
# stops at a cycle met before, so this takes no longer than the chain.
file(READ "${WORK}/deep.yaml" cyc)
string(REPLACE "  - {name: s${last}, efficiency: {gamma: 2}}\n" "  - {name: s${last}, extends: s0}\n" cyc "${cyc}")
file(WRITE "${WORK}/cycle.yaml" "${cyc}")
racesim(cycle ARGS validate cycle.yaml)
expect_rc(cycle 1)
expect_match(cycle ERR "cycle\\.yaml:10:25: error: 'extends' forms a cycle: s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> s7 -> \\.\\.\\. \\(21990 more\\) -> s21998 -> s21999 -> s0\n")
expect_match(cycle ERR "cycle\\.yaml:[0-9]+:[0-9]+: error: 'extends' forms a cycle: s21999 -> s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> \\.\\.\\. \\(21990 more\\) -> s21997 -> s21998 -> s21999\n")
expect_match(cycle ERR "${n} errors\n")
string(LENGTH "${cycle_ERR}" err_len)
if(err_len GREATER 10000000)
  fail("a cycle of ${n} scenarios printed ${err_len} bytes of errors")
endif()
set_property(GLOBAL PROPERTY CLI_LOG "")  # do not print 22,000 errors if a later check fails

# Inherited values travel the whole chain: s0 has s${last}'s gamma = 2.
file(WRITE "${WORK}/short.yaml" "racesim: 1
name: short
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - {name: s0, extends: s1}
  - {name: s1, extends: s2}
  - {name: s2, efficiency: {gamma: 2}}
")
racesim(short ARGS -q run short.yaml --out out --no-trajectories)
expect_rc(short 0)
file(READ "${WORK}/out/summary.json" summary)
string(JSON g0 ERROR_VARIABLE err GET "${summary}" resolved_config scenarios 0 efficiency gamma)
if(NOT g0 MATCHES "^2(\\.0*)?$")
  fail("s0's resolved gamma is '${g0}' (${err}), expected 2 (inherited from s2 through s1)")
endif()
racesim_finish()
