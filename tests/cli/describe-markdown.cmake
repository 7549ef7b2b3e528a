# `racesim describe continuous-doubling --format markdown`: a heading and a parameter table.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(md ARGS describe continuous-doubling --format markdown)
expect_rc(md 0)
expect_empty(md ERR)
expect_match(md OUT "### efficiency `continuous-doubling`\n")
expect_match(md OUT "\\| parameter \\| type \\| unit \\| constraint \\| default \\| description \\|\n\\|---\\|---\\|---\\|---\\|---\\|---\\|\n")
expect_match(md OUT "\\| `E0` \\| real \\| PFLOP/yr/MW \\| > 0 \\| required \\| Efficiency at t = 0 [^\n]*\\|\n")
expect_match(md OUT "\\| `gamma` \\| real \\| 1/yr \\| [^|]+ \\| required \\| [^\n]*\\|\n")
racesim_finish()
