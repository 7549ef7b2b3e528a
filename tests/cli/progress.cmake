# The progress line: drawn on stderr when it is a terminal and the run lasts over a second;
# absent when stderr is not a terminal (here: captured) and with --quiet. The run must last over
# a second on a fast machine: 400,000 samples of a closed form that is evaluated sample by
# sample (piecewise-exact; relative-loss would be vectorised, and done in a fraction of that).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(WRITE "${WORK}/long.yaml" "racesim: 1
horizon: 40
solver: {method: closed-form}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: piecewise-exact
scenarios:
  - name: many
    sample:
      n: 400000
      parameters: {efficiency.gamma: {dist: uniform, low: 0.5, high: 3}}
")
racesim(piped ARGS run "${WORK}/long.yaml" --out "${WORK}/a" --jobs 1)
expect_rc(piped 0)
expect_no_match(piped ERR "ETA|runs, ")

find_program(SCRIPT script)
if(NOT SCRIPT)
  fail("the 'script' command (util-linux) is needed to give racesim a terminal")
else()
  # `script` runs racesim on a pseudo-terminal and copies what it wrote there to stdout.
  execute_process(COMMAND ${SCRIPT} -qec "'${RACESIM}' run '${WORK}/long.yaml' --out '${WORK}/b' --jobs 1 >/dev/null" /dev/null
                  RESULT_VARIABLE rc OUTPUT_VARIABLE tty ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("racesim under script: exit ${rc} ${err}")
  elseif(NOT tty MATCHES "\\[#*[ ]*\\] [0-9]+/400001 runs, [0-9]+/s, ETA [0-9]+ s")
    fail("no progress line on a terminal; got: ${tty}")
  endif()
  execute_process(COMMAND ${SCRIPT} -qec "'${RACESIM}' -q run '${WORK}/long.yaml' --out '${WORK}/c' --jobs 1 >/dev/null" /dev/null
                  RESULT_VARIABLE rc2 OUTPUT_VARIABLE tty2)
  if(tty2 MATCHES "ETA")
    fail("--quiet still draws the progress line")
  endif()
endif()
racesim_finish()
