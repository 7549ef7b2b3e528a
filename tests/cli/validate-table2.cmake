# `racesim validate` on the paper's config: exit 0, one line on stdout, nothing written.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(validate ARGS validate "${TABLE2}")
expect_rc(validate 0)
expect_match(validate OUT "[^\n]*table2\\.yaml: valid: experiment 'paper-table2', 5 scenario\\(s\\)\n$")
expect_empty(validate ERR)
expect_dir_listing("${WORK}")  # validate writes nothing

# -q silences info logs; -v is accepted too; both together are a usage error.
racesim(quiet ARGS -q validate "${TABLE2}")
expect_rc(quiet 0)
racesim(both ARGS -q -v validate "${TABLE2}")
expect_rc(both 2)
racesim_finish()
