# Numerical edge cases end in a number or a clear outcome, never inf/NaN in the results:
# gamma = 0 and |gamma| = 1e-12 (both signs), gamma < 0 with an unreachable target, tau near
# -1, kappa near 0, relative targets >= 1, a horizon shorter than the first breakpoint (discrete
# steps; peaked power whose first burst starts after the horizon): numeric-edge-cases.yaml.
# gamma·t past the range of a double is a clear failure: exit 3, a message, no results.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(COPY "${CMAKE_CURRENT_LIST_DIR}/numeric-edge-cases.yaml" DESTINATION "${WORK}")
racesim(edge ARGS -q run numeric-edge-cases.yaml --out out)
expect_rc(edge 0)
expect_no_match(edge OUT "nan|inf")

# No NaN or infinity anywhere in the files (nlohmann::json would write NaN as null: the
# targets are checked one by one below).
file(GLOB files "${WORK}/out/*")
foreach(f IN LISTS files)
  file(READ "${f}" text)
  string(TOLOWER "${text}" text)
  if(text MATCHES "(^|[,:\n \\[])[-+]?(nan|inf)")
    fail("${f} holds nan or inf")
  endif()
endforeach()

file(READ "${WORK}/out/summary.json" json)
string(JSON n LENGTH "${json}" scenarios)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON name GET "${json}" scenarios ${i} name)
  set(scenario_${name} ${i})
endforeach()

# target(<scenario> <k> <reached> <unreachable> <time regex or NULL>)
function(target scenario k reached unreachable time)
  set(i ${scenario_${scenario}})
  string(JSON r GET "${json}" scenarios ${i} targets ${k} reached)
  string(JSON u GET "${json}" scenarios ${i} targets ${k} unreachable)
  string(JSON type TYPE "${json}" scenarios ${i} targets ${k} time)
  string(JSON rtype TYPE "${json}" scenarios ${i} targets ${k} reference_time)
  if(NOT r STREQUAL reached OR NOT u STREQUAL unreachable)
    fail("${scenario} target ${k}: reached=${r} unreachable=${u}, expected ${reached} ${unreachable}")
  endif()
  if(time STREQUAL "NULL")
    if(NOT type STREQUAL "NULL" OR NOT rtype STREQUAL "NULL")
      fail("${scenario} target ${k}: time is ${type} (reference ${rtype}), expected null")
    endif()
  else()
    string(JSON t GET "${json}" scenarios ${i} targets ${k} time)
    string(JSON tr GET "${json}" scenarios ${i} targets ${k} reference_time)
    if(NOT type STREQUAL "NUMBER" OR NOT t MATCHES "^${time}" OR NOT tr MATCHES "^${time}")
      fail("${scenario} target ${k}: time ${t} (reference ${tr}), expected ${time}...")
    endif()
  endif()
endfunction()

# t*(0.9) at gamma = 0: (1 + tau)(X - 1), X = 0.9^(-1/0.048).
target(gamma-zero 0 ON OFF "7\\.980")
target(gamma-tiny 0 ON OFF "7\\.980")
target(gamma-tiny-negative 0 ON OFF "7\\.980")
# gamma = -0.5: C/C0 < 1 + 1/(0.5 ln2) = 3.885, so R > 0.937: 0.5 never, 0.95 at ~3.13 yr.
target(gamma-negative-unreachable 0 OFF ON NULL)
target(gamma-negative-unreachable 1 ON OFF "3\\.133")
target(tau-near-minus-one 0 ON OFF "[0-9.]+e-0?9")
target(kappa-tiny 0 OFF OFF NULL)  # 0.9^(-1e12): astronomically far, not reached by 30 yr
target(targets-at-or-above-one 0 ON OFF "0")
target(targets-at-or-above-one 1 ON OFF "0")
target(steps-horizon-before-first-step 0 OFF OFF NULL)
target(peaked-horizon-before-first-burst 0 OFF OFF NULL)
string(JSON segs GET "${json}" scenarios ${scenario_steps-horizon-before-first-step} solver segments)
if(NOT segs EQUAL 1)
  fail("a horizon before the first step: ${segs} segments, expected 1")
endif()

# gamma·t past the double range: exit 3 with the reason and the remedy, nothing written.
file(WRITE "${WORK}/overflow.yaml" [=[
racesim: 1
name: overflow
horizon: 400
defaults:
  efficiency: {type: continuous-doubling, E0: 4.46e10, gamma: 3}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.5]}
scenarios:
  - name: fast
]=])
racesim(overflow ARGS run overflow.yaml --out over)
expect_rc(overflow 3)
expect_match(overflow ERR "racesim: error: scenario 'fast': at t = [0-9.]+ yr the results leave the range of a double \\(ln\\(C/C0\\) = [0-9.]+, C = inf, [^\n]*\\); shorten the horizon or lower gamma\n")
expect_missing("${WORK}/over")
expect_no_temp_dirs("${WORK}")
racesim_finish()
