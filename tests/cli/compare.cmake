# `racesim compare DIR A B`: reads a results directory back; the numbers equal the ones of the
# run's own `compare:` block; --csv writes the rows; unknown names are usage errors with a hint.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(cfg "${SOURCE_DIR}/configs/examples/discrete-vs-continuous.yaml")
racesim(run ARGS run "${cfg}" --out "${WORK}/dvc")
expect_rc(run 0)
expect_exists("${WORK}/dvc/compare_yearly_vs_continuous.csv")
expect_exists("${WORK}/dvc/compare_two-yearly_vs_continuous.csv")
expect_match(run OUT "compare 'yearly' \\(a\\) with 'continuous' \\(b\\), 1201 common output times")

racesim(cmp ARGS compare "${WORK}/dvc" yearly continuous --csv "${WORK}/rows.csv")
expect_rc(cmp 0)
# The same report as the run printed: same numbers, read back from the CSVs.
string(REGEX MATCH "compare 'yearly'[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n" from_run "${run_OUT}")
string(REGEX MATCH "compare 'yearly'[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n" from_dir "${cmp_OUT}")
if(NOT from_run STREQUAL from_dir OR from_run STREQUAL "")
  fail("compare from the directory differs from the run's report:\n${from_run}\nvs\n${from_dir}")
endif()
file(READ "${WORK}/rows.csv" a)
file(READ "${WORK}/dvc/compare_yearly_vs_continuous.csv" b)
if(NOT a STREQUAL b)
  fail("--csv rows differ from the run's compare_yearly_vs_continuous.csv")
endif()
# Times to target: yearly 6.41992, continuous 6.03132 (both verified against piecewise-exact).
expect_match(cmp OUT "  R=0\\.68 +time a +6\\.41992 +time b +6\\.03132 +a - b +0\\.38860")

racesim(typo ARGS compare "${WORK}/dvc" yearly continous)
expect_rc(typo 2)
expect_match(typo ERR "racesim: error: no scenario 'continous' in [^;]*; did you mean 'continuous'\\?")

racesim(notdir ARGS compare "${WORK}" yearly continuous)
expect_rc(notdir 2)
expect_match(notdir ERR "racesim: error: .* holds no summary\\.json: not a racesim results directory")
racesim_finish()
