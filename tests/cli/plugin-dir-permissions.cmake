# A plugin directory or library that every user may write to is refused (nothing in it is
# loaded, so no code of it runs), like git's safe.directory; RACESIM_TRUSTED_PLUGIN_DIRS lists
# directories trusted anyway. A config needing a type from such a directory is an installation
# fault (exit 3) that gives the reason.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(MAKE_DIRECTORY "${WORK}/open")
file(COPY "${TEST_PLUGIN_DIR}/plugintest-faulty.so" DESTINATION "${WORK}/open")
file(CHMOD "${WORK}/open" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
     WORLD_READ WORLD_WRITE WORLD_EXECUTE)
file(WRITE "${WORK}/c.yaml" "racesim: 1
horizon: 10
scenarios:
  - name: victim
    efficiency: {type: plugintest-faulty, fault: none}
    power: {type: mean-field, P0: 1}
    loss: {type: power-law, kappa: 0.05, L0: 1}
    targets: {relative: [0.9]}
")
racesim(list ARGS --plugin-path "${WORK}/open" plugins)
expect_rc(list 0)
expect_match(list OUT "refused +.*open: is writable by every user of this machine, so anyone could put code in it: make it private \\(chmod o-w .*open\\) or, if you trust it, list its directory in RACESIM_TRUSTED_PLUGIN_DIRS")
expect_no_match(list OUT "plugintest-faulty +plugintest-faulty\\.so")

racesim(run ARGS --plugin-path "${WORK}/open" run "${WORK}/c.yaml" --out "${WORK}/out")
expect_rc(run 3)
expect_match(run ERR "racesim: error: plugin library .*open could not be loaded: it is writable by every user")
if(EXISTS "${WORK}/out")
  fail("a refused run wrote results")
endif()

# Trusted explicitly: loaded.
set(ENV{RACESIM_TRUSTED_PLUGIN_DIRS} "/nonexistent:${WORK}/open")
racesim(trusted ARGS --plugin-path "${WORK}/open" plugins)
expect_rc(trusted 0)
expect_match(trusted OUT "efficiency +plugintest-faulty")
unset(ENV{RACESIM_TRUSTED_PLUGIN_DIRS})

# A private directory holding a library that others may write to: that library is refused.
file(CHMOD "${WORK}/open" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
     WORLD_READ WORLD_EXECUTE)
file(CHMOD "${WORK}/open/plugintest-faulty.so" PERMISSIONS OWNER_READ OWNER_WRITE WORLD_READ WORLD_WRITE)
racesim(file ARGS --plugin-path "${WORK}/open" plugins)
expect_rc(file 0)
expect_match(file OUT "refused +.*open/plugintest-faulty\\.so: is writable by every user")
racesim_finish()
