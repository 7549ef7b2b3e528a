# --force never replaces the working directory, one of its ancestors, a directory that holds
# the config, or /: exit 3 before integrating, with a message naming the resolved directory,
# however the path is spelt ("$PWD", ".", "./", "a/..", "../<cwd>", a symbolic link), even
# when the directory is a racesim results directory (it has the marker). Before this rule,
# `racesim run base.yaml --out "$PWD" --force` deleted the config and every other file of the
# working directory and left only the results. Each case starts from a fresh tree and checks
# afterwards that nothing in it was touched.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(P "${WORK}/proj")
set(results_files .racesim-results summary.json solve.csv unfold-in-space.csv unfold-in-time.csv baseline.csv
                  turtle.csv hare.csv)

# The tree: WORK/proj (a project directory: config, notes, a subdirectory, and res/, results
# of an earlier run with a config copied into them), WORK/elsewhere, WORK/a/b/conf.yaml,
# WORK/link -> proj.
function(fresh_tree)
  file(GLOB all LIST_DIRECTORIES true "${WORK}/*" "${WORK}/.*")
  foreach(e IN LISTS all)
    file(REMOVE_RECURSE "${e}")
  endforeach()
  file(MAKE_DIRECTORY "${P}/sub" "${WORK}/elsewhere" "${WORK}/a/b")
  file(COPY_FILE "${TABLE2}" "${P}/base.yaml")
  file(COPY_FILE "${TABLE2}" "${WORK}/a/b/conf.yaml")
  file(WRITE "${P}/notes.txt" "do not delete\n")
  file(CREATE_LINK "${P}" "${WORK}/link" SYMBOLIC)
  file(COPY "${WORK}/../force-protected-dirs-res/" DESTINATION "${P}/res")
  file(COPY_FILE "${TABLE2}" "${P}/res/mine.yaml")
endfunction()

function(expect_tree_intact label)
  file(GLOB all RELATIVE "${WORK}" "${WORK}/*" "${WORK}/.*")
  list(SORT all)
  if(NOT "${all}" STREQUAL "a;elsewhere;link;proj")
    fail("${label}: ${WORK} holds [${all}], expected [a;elsewhere;link;proj]")
    return()
  endif()
  expect_dir_listing("${P}" base.yaml notes.txt sub res)
  expect_dir_listing("${P}/sub")
  expect_dir_listing("${WORK}/elsewhere")
  expect_dir_listing("${WORK}/a/b" conf.yaml)
  expect_dir_listing("${P}/res" ${results_files} mine.yaml)
  if(EXISTS "${P}/notes.txt")
    file(READ "${P}/notes.txt" notes)
    if(NOT notes STREQUAL "do not delete\n")
      fail("${label}: proj/notes.txt was modified")
    endif()
  endif()
endfunction()

# Results of a run, for res/ (made once, next to WORK).
file(REMOVE_RECURSE "${WORK}/../force-protected-dirs-res")
racesim(results ARGS -q run "${TABLE2}" --out "${WORK}/../force-protected-dirs-res")
expect_rc(results 0)

set(never ": racesim never replaces it, not even with --force; choose another --out")
# refused(<prefix> <cwd> <message regex> <racesim arg>...)
function(refused prefix cwd regex)
  fresh_tree()
  racesim(${prefix} CWD "${cwd}" ARGS run ${ARGN} --force)
  expect_rc(${prefix} 3)
  expect_match(${prefix} ERR "racesim: error: results directory ${regex}${never}")
  expect_empty(${prefix} OUT)  # refused before integrating: no table
  expect_tree_intact(${prefix})
endfunction()

refused(pwd "${P}" "${P} is the working directory" base.yaml --out "${P}")
refused(dot "${P}" "\\. \\(${P}\\) is the working directory" base.yaml --out .)
refused(dot-slash "${P}" "\\. \\(${P}\\) is the working directory" base.yaml --out ./)
refused(sub-dotdot "${P}" "\\. \\(${P}\\) is the working directory" base.yaml --out sub/..)
refused(up-and-back "${P}" "\\.\\./proj \\(${P}\\) is the working directory" base.yaml --out ../proj)
refused(symlink "${P}" "\\.\\./link \\(${P}\\) is the working directory" base.yaml --out ../link)
refused(parent "${P}/sub" "\\.\\. \\(${P}\\) is an ancestor of the working directory ${P}/sub" ../base.yaml --out ..)
refused(grandparent "${P}/sub" "${WORK} is an ancestor of the working directory ${P}/sub" ../base.yaml --out "${WORK}")
# The config's directory, and a directory above it, from another working directory.
refused(config-dir "${WORK}/elsewhere" "\\.\\./proj \\(${P}\\) holds the config \\.\\./proj/base\\.yaml \\(${P}/base\\.yaml\\)"
        ../proj/base.yaml --out ../proj)
refused(config-above "${WORK}/elsewhere" "\\.\\./a \\(${WORK}/a\\) holds the config \\.\\./a/b/conf\\.yaml \\(${WORK}/a/b/conf\\.yaml\\)"
        ../a/b/conf.yaml --out ../a)
# A racesim results directory (marker and all) is still protected when it is the working
# directory or holds the config.
refused(results-cwd "${P}/res" "\\. \\(${P}/res\\) is the working directory" ../base.yaml --out .)
refused(results-config "${P}" "res \\(${P}/res\\) holds the config res/mine\\.yaml \\(${P}/res/mine\\.yaml\\)"
        res/mine.yaml --out res)

# / is refused by name (tested without --force: even if the check were missing, nothing could
# be replaced).
fresh_tree()
racesim(root CWD "${P}" ARGS run base.yaml --out /)
expect_rc(root 3)
expect_match(root ERR "racesim: error: results directory / is the root directory${never}")
expect_tree_intact(root)

# The same directories are fine as results directories from elsewhere when they are racesim's:
# res/ without the copied config, from proj/sub.
fresh_tree()
file(REMOVE "${P}/res/mine.yaml")
racesim(allowed CWD "${P}/sub" ARGS -q run ../base.yaml --out ../res --force)
expect_rc(allowed 0)
expect_dir_listing("${P}/res" ${results_files})
file(REMOVE_RECURSE "${WORK}/../force-protected-dirs-res")
racesim_finish()
