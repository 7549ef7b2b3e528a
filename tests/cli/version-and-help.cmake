# --version and --help exit 0.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(version ARGS --version)
expect_rc(version 0)
expect_match(version OUT "racesim [0-9]+\\.[0-9]+\\.[0-9]+ \\(plugin API [0-9]+\\)\n$")

racesim(help ARGS --help)
expect_rc(help 0)
expect_match(help OUT "Usage: [^\n]*racesim")
foreach(sub run validate plugins describe report)
  expect_match(help OUT "  ${sub} ")
endforeach()

racesim(run_help ARGS run --help)
expect_rc(run_help 0)
expect_match(run_help OUT "  --force ")
racesim_finish()
