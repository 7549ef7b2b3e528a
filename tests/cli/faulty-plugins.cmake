# Faulty plugins, end to end: each fault ends with exit 3 and one message that names the
# scenario, the plugin, its library and (for faults while evaluating) the time; no results
# directory and no temporary directory is left; the host never crashes.
#
# Faults of a loaded plugin come from the fixture plugintest-faulty.so (its `fault:`
# parameter); libraries that cannot be loaded at all are the fixtures plugintest-wrong-api-
# version.so, plugintest-no-entry.so, plugintest-no-manifest.so, plugintest-not-an-elf-file.so.
# Each case copies the one library it needs into a plugin directory of its own.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
if(NOT DEFINED TEST_PLUGIN_DIR)
  message(FATAL_ERROR "-DTEST_PLUGIN_DIR=... is required")
endif()

function(faulty_config path efficiency)
  file(WRITE "${path}" "racesim: 1
name: faulty
horizon: 10
defaults:
  efficiency: ${efficiency}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: victim
")
endfunction()

# case(<name> <library file> <efficiency block> <stderr regex>...)
function(fault_case name lib efficiency)
  set(dir "${WORK}/${name}")
  file(MAKE_DIRECTORY "${dir}/plugins")
  file(COPY "${TEST_PLUGIN_DIR}/${lib}" DESTINATION "${dir}/plugins")
  faulty_config("${dir}/c.yaml" "${efficiency}")
  racesim(${name} CWD "${dir}" ARGS --plugin-path plugins run c.yaml --out out)
  expect_rc(${name} 3)
  foreach(re IN LISTS ARGN)
    expect_match(${name} ERR "${re}")
  endforeach()
  expect_empty(${name} OUT)
  expect_dir_listing("${dir}" plugins c.yaml)  # no out/, no .out.tmp-*
endfunction()

set(lib "library (.*/)?plugins/plugintest-faulty\\.so")
set(head "racesim: error: scenario 'victim': efficiency plugin 'plugintest-faulty' \\(${lib}\\)")
set(eff "{type: plugintest-faulty, E0: 4.46e10, at: 2.5, fault:")

fault_case(throw-construction plugintest-faulty.so "${eff} throw-construction}"
  "${head}: threw while being constructed: cannot open its data file \\(plugintest\\)\n")
fault_case(throw-evaluation plugintest-faulty.so "${eff} throw-evaluation}"
  "${head} at t = 2\\.5 yr: threw in log_value\\(\\): the efficiency table ran out \\(plugintest\\)\n")
fault_case(throw-non-std plugintest-faulty.so "${eff} throw-non-std}"
  "${head} at t = 2\\.5 yr: threw an exception that is not a std::exception in log_value\\(\\)\n")
fault_case(nan plugintest-faulty.so "${eff} nan}"
  "${head} at t = 2\\.5 yr: returned ln\\(rate\\) = NaN \\(a NaN or negative rate: a rate must be finite and >= 0\\)\n")
fault_case(negative plugintest-faulty.so "${eff} negative}"
  "${head} at t = 2\\.5 yr: returned ln\\(rate\\) = NaN \\(a NaN or negative rate")
fault_case(inf plugintest-faulty.so "${eff} inf}"
  "${head} at t = 2\\.5 yr: returned ln\\(rate\\) = \\+inf \\(an infinite rate")
fault_case(undeclared-jump plugintest-faulty.so "${eff} undeclared-jump}"
  "${head} at t = 2\\.(5|4999999[0-9]*) yr: jumps \\(ln of its rate from [0-9.]+ to [0-9.]+\\) inside the segment \\[0, 10\\), where it declared no breakpoint")
fault_case(breakpoints-order plugintest-faulty.so "${eff} breakpoints-order}"
  "${head}: declared breakpoints out of order \\(t = 3\\.5 then 2\\.5 yr\\): they must be increasing\n")
fault_case(breakpoints-outside plugintest-faulty.so "${eff} breakpoints-outside}"
  "${head}: declared a breakpoint at t = 11 yr, outside the open interval \\(0, 10\\) it was asked for\n")

# The jump audit skips a library listed, by name and sha256, in its directory's
# contract-tested.sha256 (the build lists the built-in rate plugins it contract-tests). Listing
# the faulty fixture there hides its undeclared jump from a run (the list is trusted: it is
# what the contract tests vouch for); `solver: {audit: all}` audits it again.
set(dir "${WORK}/listed-undeclared-jump")
file(MAKE_DIRECTORY "${dir}/plugins")
file(COPY "${TEST_PLUGIN_DIR}/plugintest-faulty.so" DESTINATION "${dir}/plugins")
file(SHA256 "${dir}/plugins/plugintest-faulty.so" digest)
file(WRITE "${dir}/plugins/contract-tested.sha256" "${digest}  plugintest-faulty.so\n")
faulty_config("${dir}/c.yaml" "${eff} undeclared-jump}")
racesim(listed-exempt CWD "${dir}" ARGS --plugin-path plugins run c.yaml --out out)
expect_rc(listed-exempt 0)
file(READ "${dir}/out/summary.json" summary)
string(JSON audit GET "${summary}" resolved_config solver audit)
if(NOT audit STREQUAL "third-party")
  message(SEND_ERROR "listed-exempt: summary.json says solver.audit = '${audit}', expected 'third-party'")
endif()
file(APPEND "${dir}/c.yaml" "solver: {audit: all}\n")
racesim(listed-audit-all CWD "${dir}" ARGS --plugin-path plugins run c.yaml --out out2)
expect_rc(listed-audit-all 3)
expect_match(listed-audit-all ERR "${head} at t = 2\\.(5|4999999[0-9]*) yr: jumps .* where it declared no breakpoint")
expect_missing("${dir}/out2")
file(WRITE "${dir}/c2.yaml" "racesim: 1\nname: x\nhorizon: 10\nsolver: {audit: al}\nscenarios: [{name: a}]\n")
racesim(audit-typo CWD "${dir}" ARGS --plugin-path plugins validate c2.yaml)
expect_rc(audit-typo 1)
expect_match(audit-typo ERR "c2\\.yaml:4:17: error: expected 'third-party' or 'all' for solver\\.audit, got 'al'\nc2\\.yaml:4:17: note: did you mean 'all'\\?\n")

# Libraries that cannot be loaded: the config's type is then missing. That is a fault of the
# plugin installation (exit 3), named with the library and the reason; the scenario that needs
# the type is named in the diagnostic.
set(need "c\\.yaml:5:22: error: unknown efficiency type 'plugintest-gone' in scenario 'victim'")
set(gone "{type: plugintest-gone, E0: 1}")
fault_case(wrong-api-version plugintest-wrong-api-version.so "${gone}" "${need}"
  "racesim: error: plugin library plugins/plugintest-wrong-api-version\\.so could not be loaded: it was built for plugin API version 999 \\(manifest size [0-9]+\\), but this racesim has plugin API version [0-9]+ \\(manifest size [0-9]+\\): rebuild the plugin against this racesim\n"
  "racesim: note: a plugin type the config needs may be in a library that could not be loaded: fix or remove it\n")
fault_case(no-entry plugintest-no-entry.so "${gone}" "${need}"
  "racesim: error: plugin library plugins/plugintest-no-entry\\.so could not be loaded: it passes the handshake but lacks the entry symbol 'racesim_plugin_entry'\n")
fault_case(no-manifest plugintest-no-manifest.so "${gone}" "${need}"
  "racesim: error: plugin library plugins/plugintest-no-manifest\\.so could not be loaded: it is not a racesim plugin: it lacks the symbol 'racesim_plugin_manifest'")
fault_case(not-a-library plugintest-not-an-elf-file.so "${gone}" "${need}"
  "racesim: error: plugin library plugins/plugintest-not-an-elf-file\\.so could not be loaded: it is not a shared library \\(no ELF header\\)\n")

# A broken library the config does not need is a warning, not an error.
set(dir "${WORK}/unneeded")
file(MAKE_DIRECTORY "${dir}/plugins")
file(COPY "${TEST_PLUGIN_DIR}/plugintest-wrong-api-version.so" DESTINATION "${dir}/plugins")
racesim(unneeded CWD "${dir}" ARGS --plugin-path plugins run "${TABLE2}" --out out)
expect_rc(unneeded 0)
expect_match(unneeded ERR "racesim: warning: plugin library plugins/plugintest-wrong-api-version\\.so not loaded: it was built for plugin API version 999")
racesim_finish()
