# `racesim describe` of an unknown type: exit 2, with a did-you-mean for a near miss.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(typo ARGS describe peeked)
expect_rc(typo 2)
expect_empty(typo OUT)
expect_match(typo ERR "racesim: error: unknown plugin type 'peeked'\n")
expect_match(typo ERR "racesim: note: did you mean 'peaked'\\?\n")
expect_match(typo ERR "racesim: note: 'racesim plugins' lists the available types\n")

racesim(unknown ARGS describe no-such-type)
expect_rc(unknown 2)
expect_empty(unknown OUT)
expect_match(unknown ERR "racesim: error: unknown plugin type 'no-such-type'\n")
expect_no_match(unknown ERR "did you mean")
racesim_finish()
