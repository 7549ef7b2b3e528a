# `racesim plugins` lists every built-in type with its kind and library.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(plugins ARGS plugins)
expect_rc(plugins 0)
expect_match(plugins OUT "kind +type +library +summary\n")
foreach(entry
    "efficiency +continuous-doubling +efficiency-continuous-doubling\\.so +E\\(t\\) = "
    "efficiency +discrete-steps +efficiency-discrete-steps\\.so "
    "power +mean-field +power-mean-field\\.so +P\\(t\\) = P0"
    "power +peaked +power-peaked\\.so "
    "loss +power-law +loss-power-law\\.so +L\\(C\\) = "
    "reference +piecewise-exact +reference-piecewise-exact\\.so "
    "reference +relative-loss +reference-relative-loss\\.so ")
  expect_match(plugins OUT "${entry}")
endforeach()
# Exactly 7 types: the header, 7 rows, the search path; no refused libraries.
string(REGEX MATCHALL "(^|\n)(efficiency|power|loss|reference) " rows "${plugins_OUT}")
list(LENGTH rows n)
if(NOT n EQUAL 7)
  fail("[plugins] ${n} plugin rows, expected 7")
endif()
expect_no_match(plugins OUT "refused")
expect_match(plugins OUT "searched: [^\n]*lib/racesim/plugins")
racesim_finish()
