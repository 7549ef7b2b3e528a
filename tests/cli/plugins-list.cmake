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
    "reference +relative-loss +reference-relative-loss\\.so "
    "efficiency +experience-curve +efficiency-experience-curve\\.so "
    "efficiency +generation-table +efficiency-generation-table\\.so "
    "efficiency +logistic +efficiency-logistic\\.so "
    "power +growth +power-growth\\.so "
    "power +time-series +power-time-series\\.so "
    "power +reinvestment +power-reinvestment\\.so +P = P0 \\* \\(C/C0\\)\\^beta"
    "loss +chinchilla +loss-chinchilla\\.so "
    "loss +power-law-irreducible +loss-power-law-irreducible\\.so ")
  expect_match(plugins OUT "${entry}")
endforeach()
# Exactly 15 types: the header, 15 rows, the search path; no refused libraries.
string(REGEX MATCHALL "(^|\n)(efficiency|power|loss|reference) " rows "${plugins_OUT}")
list(LENGTH rows n)
if(NOT n EQUAL 15)
  fail("[plugins] ${n} plugin rows, expected 15")
endif()
expect_no_match(plugins OUT "refused")
expect_match(plugins OUT "searched: [^\n]*lib/racesim/plugins")
racesim_finish()
