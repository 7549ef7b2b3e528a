# `racesim describe continuous-doubling` (default format: text).
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

foreach(args "describe;continuous-doubling" "describe;continuous-doubling;--format;text")
  racesim(text ARGS ${args})
  expect_rc(text 0)
  expect_empty(text ERR)
  expect_match(text OUT "efficiency 'continuous-doubling' [^\n]+ E\\(t\\) = E0 \\* 2\\^\\(gamma\\*t\\)")
  expect_match(text OUT "  library: [^\n]*efficiency-continuous-doubling\\.so\n")
  expect_match(text OUT "  parameters:\n")
  expect_match(text OUT "    E0 +real +PFLOP/yr/MW +> 0 +required\n")
  expect_match(text OUT "    gamma +real +1/yr +- +required\n")
endforeach()

# A type with defaults and a bounded range.
racesim(peaked ARGS describe peaked)
expect_rc(peaked 0)
expect_match(peaked OUT "    duty +real +- +in \\(0, 1\\] +required\n")
expect_match(peaked OUT "    period +real +yr +> 0 +1\n")
# A reference with a vectorised time to target says over which paths; one without does not.
racesim(vec ARGS describe relative-loss)
expect_rc(vec 0)
expect_match(vec OUT "  vectorised time to target over: efficiency\\.gamma, [^\n]*baseline\\.tau, baseline\\.C0, algorithms\\.halving_time, algorithms\\.A0\n")
racesim(novec ARGS describe piecewise-exact)
expect_rc(novec 0)
expect_no_match(novec OUT "vectorised")
racesim_finish()
