# The stdout table's name column fits the longest scenario name: every row's columns start
# where the header's do (it used to lose its alignment past 22 characters).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/long.yaml" "racesim: 1
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, gamma: 1, E0: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1}
  reference: relative-loss
  targets: {relative: [0.8]}
scenarios:
  - name: a
  - name: a-scenario-with-a-name-of-forty-one-chars
")
racesim(run ARGS run "${WORK}/long.yaml" --out "${WORK}/out")
expect_rc(run 0)
string(REPLACE "\n" ";" lines "${run_OUT}")
set(header_at -1)
foreach(line IN LISTS lines)
  string(FIND "${line}" " L target" at)
  if(line MATCHES "^scenario ")
    set(header_at ${at})
  endif()
endforeach()
if(header_at LESS 41)
  fail("the header's second column starts at ${header_at}, inside the 41-character name:\n${run_OUT}")
endif()
# Each row: the name padded to the header's width, then the loss target, right-aligned below its header.
foreach(name a a-scenario-with-a-name-of-forty-one-chars)
  set(found FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^${name} ")
      string(SUBSTRING "${line}" ${header_at} 10 cell)
      if(NOT cell MATCHES "^ +[0-9][0-9.e+-]* ")
        fail("row '${name}' is not aligned with the header (at ${header_at}: '${cell}'):\n${run_OUT}")
      endif()
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    fail("no row for '${name}':\n${run_OUT}")
  endif()
endforeach()
racesim_finish()
