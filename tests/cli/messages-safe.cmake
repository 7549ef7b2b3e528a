# Messages are safe and readable on a terminal: a 10 MB scalar is cut, control characters and
# bidirectional marks in a name are escaped (in diagnostics and in the table), a file-size limit
# (ulimit -f) is reported with its reason instead of SIGXFSZ killing racesim, and a bad count
# option says what it expects (not a 309-digit bound).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(head "racesim: 1
horizon: 30
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
")
# gamma written with 10^7 digits.
string(REPEAT "9999999999" 1000000 digits)
file(WRITE "${WORK}/huge.yaml" "${head}scenarios:\n  - name: s\n    efficiency: {gamma: ${digits}}\n")
racesim(huge ARGS validate "${WORK}/huge.yaml")
expect_rc(huge 1)
expect_match(huge ERR ".*huge\\.yaml:10:25: error: efficiency\\.gamma = 9+\\.\\.\\. \\(10000000 bytes\\) is outside the range of a double")
string(LENGTH "${huge_ERR}" n)
if(n GREATER 2000)
  fail("the message about a 10 MB scalar is ${n} bytes long")
endif()

# A name with a right-to-left override, an escape sequence and a tab; a sweep of it makes a
# duplicate-name error mention it too.
string(ASCII 27 esc)
file(WRITE "${WORK}/names.yaml" "${head}scenarios:\n  - name: \"evil\\u202Egpj.exe${esc}[31m\\tred\"\n")
racesim(names ARGS run "${WORK}/names.yaml" --out "${WORK}/out")
expect_rc(names 0)
expect_match(names OUT "evil\\\\u{202E}gpj\\.exe\\\\x1b\\[31m\\\\tred +0\\.68")
expect_no_match(names OUT "${esc}")

# The file-size limit: 100 blocks of 512 bytes, far less than 300,001 rows.
file(WRITE "${WORK}/rows.yaml" "${head}output: {every: 0.0001}\nscenarios:\n  - name: s\n")
execute_process(COMMAND sh -c "ulimit -f 100 && exec \"$0\" run rows.yaml --out big" "${RACESIM}"
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 3)
  fail("over the file-size limit: exit ${rc} (expected 3); stderr: ${err}")
endif()
if(NOT err MATCHES "racesim: error: error while writing [^\n]*s\\.csv: File too large \\(over the file-size limit: ulimit -f\\); no results were written")
  fail("over the file-size limit, stderr: ${err}")
endif()
if(EXISTS "${WORK}/big")
  fail("a run over the file-size limit left its results directory")
endif()

racesim(zero ARGS validate "${WORK}/rows.yaml" --max-scenarios 0)
expect_rc(zero 2)
expect_match(zero ERR "--max-scenarios: expected a positive whole number, got '0'")
expect_no_match(zero ERR "17976931348623157")
racesim(jobs ARGS run "${WORK}/rows.yaml" -j 99999999999999999999999 --out "${WORK}/j")
expect_rc(jobs 2)
expect_match(jobs ERR "--jobs: '99999999999999999999999' is too large")
racesim_finish()
