# Where a config may load plugin libraries from (docs/plugins.md, "Trust"): its `plugin_paths`
# must resolve (symbolic links followed) inside the config's own directory tree, or inside a
# directory the user named with --plugin-path or RACESIM_PLUGIN_PATH. Anything else is a config
# error (exit 1) naming the resolved directory; nothing is loaded from it.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(MAKE_DIRECTORY "${WORK}/exp/plugins" "${WORK}/outside")
file(CREATE_LINK "${WORK}/outside" "${WORK}/exp/link-to-outside" SYMBOLIC)
function(config name paths)
  file(WRITE "${WORK}/exp/${name}.yaml" "racesim: 1
name: ${name}
horizon: 10
plugin_paths: ${paths}
defaults:
  efficiency: {type: continuous-doubling, E0: 4.46e10, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: a
")
endfunction()
config(inside "[plugins]")
config(parent "[../outside]")
config(symlink "[link-to-outside]")

# Inside the config's directory: allowed.
racesim(inside ARGS validate exp/inside.yaml)
expect_rc(inside 0)

# Outside, not named by the user: refused, at the entry, with the resolved directory.
racesim(parent ARGS validate exp/parent.yaml)
expect_rc(parent 1)
expect_match(parent ERR "exp/parent\\.yaml:4:16: error: plugin path '\\.\\./outside' resolves to [^\n]*/outside, outside the config's directory [^\n]*/exp and every plugin directory you named\n")

# A symbolic link inside the config's directory that leads outside: refused the same way.
racesim(symlink ARGS validate exp/symlink.yaml)
expect_rc(symlink 1)
expect_match(symlink ERR "exp/symlink\\.yaml:4:16: error: plugin path 'link-to-outside' resolves to [^\n]*/outside, outside")

# Named by the user with --plugin-path: allowed.
racesim(named ARGS --plugin-path outside validate exp/parent.yaml)
expect_rc(named 0)
racesim(named-link ARGS --plugin-path outside validate exp/symlink.yaml)
expect_rc(named-link 0)

# Named through RACESIM_PLUGIN_PATH: allowed.
execute_process(COMMAND ${CMAKE_COMMAND} -E env "RACESIM_PLUGIN_PATH=/nonexistent:${WORK}/outside"
                        "${RACESIM}" validate exp/parent.yaml
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("RACESIM_PLUGIN_PATH naming the directory: exit ${rc}, stderr '${err}'")
endif()
racesim_finish()
