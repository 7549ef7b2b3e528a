# --plugin-path to a directory that does not exist is a usage error (exit 2), for every
# subcommand that loads plugins; run writes nothing.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(missing "${WORK}/no-such-plugins")
foreach(sub plugins describe validate run)
  if(sub STREQUAL "describe")
    set(args describe continuous-doubling)
  elseif(sub STREQUAL "validate")
    set(args validate "${TABLE2}")
  elseif(sub STREQUAL "run")
    set(args run "${TABLE2}" --out out)
  else()
    set(args plugins)
  endif()
  racesim(${sub} ARGS --plugin-path "${missing}" ${args})
  expect_rc(${sub} 2)
  expect_match(${sub} ERR "racesim: error: --plugin-path '${missing}' is not a directory\n")
  expect_empty(${sub} OUT)
endforeach()

# A regular file is not a directory either.
file(WRITE "${WORK}/plugins.so" "")
racesim(file ARGS --plugin-path plugins.so plugins)
expect_rc(file 2)
expect_dir_listing("${WORK}" plugins.so)

# An existing (empty) extra directory is fine: searched first, built-ins still found.
file(MAKE_DIRECTORY "${WORK}/extra")
racesim(extra ARGS --plugin-path extra plugins)
expect_rc(extra 0)
expect_match(extra OUT "searched: extra:")
expect_match(extra OUT "power +peaked ")
racesim_finish()
