# Every reference in the repository resolves inside it (docs/model.md, docs/README.md):
#
# 1. No file of the repository (tracked, or new and not ignored; found with git ls-files, or by
#    walking SOURCE_DIR when it is not a git checkout) names a path into the project's former
#    'shared' folder (the same word followed by a slash, with or without a leading ../), or the
#    files that lived there: the old model spec and architecture note (upper-case names; the
#    in-repository versions are docs/model.md and docs/architecture.md) and the paper's seed
#    text. A clone does not have them.
# 2. Every relative Markdown link and image in README.md and docs/**/*.md points at a file or
#    directory that exists (the part before any '#'; links in code blocks and code spans are
#    not links). Links with a scheme (https:, mailto:) and in-page anchors are not checked.
#
# Run alone: cmake -DSOURCE_DIR=<source dir> -P tests/cli/docs-links.cmake
# (CTest passes RACESIM, TEST_PLUGIN_DIR and WORK too, like every cli.* test; this one needs
# only SOURCE_DIR.)
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "-DSOURCE_DIR=... is required")
endif()
get_filename_component(SOURCE_DIR "${SOURCE_DIR}" ABSOLUTE)
file(REAL_PATH "${SOURCE_DIR}" source_real)
set(failures "")

# ---- 1. references to files outside the repository -------------------------------------------
# The patterns are assembled from pieces so that this script does not match itself. Each has a
# quick form, tried on the whole file, and a line form, tried on each line of a file that
# matched the quick form.
set(w "shar")
set(quick "${w}ed/" "\\.\\./${w}ed" "MODEL\\.md" "ARCHITECTURE\\.md" "seeds/race-to-efficienc[y]")
set(forbidden
    "(^|[^A-Za-z0-9_])${w}ed/"         # a path into that folder, also ../<it>/ and /work/<it>/
    "\\.\\./${w}ed([^A-Za-z0-9_]|$)"   # ../<it> on its own
    "MODEL\\.md"
    "ARCHITECTURE\\.md"
    "seeds/race-to-efficienc[y]")
set(binary_ext png jpg jpeg gif ico pdf gz xz bz2 zip tar so a o)

set(files "")
find_program(GIT git)
set(listed FALSE)
if(GIT)
  execute_process(COMMAND "${GIT}" -c core.quotepath=off ls-files --cached --others --exclude-standard
                  WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_QUIET)
  if(rc EQUAL 0)
    set(listed TRUE)
    string(REPLACE ";" "\\;" out "${out}")
    string(REPLACE "\n" ";" files "${out}")
  endif()
endif()
if(NOT listed)  # not a git checkout (e.g. a source archive): every file but build output
  file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
  list(FILTER files EXCLUDE REGEX "^(\\.git|build[^/]*|results)/")
endif()

# split_lines(<out-var> <text>): the lines of <text> as a CMake list, with the characters that
# a list treats specially (';', '\\', '[', ']') replaced by <SEMI>, <BS>, <LB> and <RB>.
function(split_lines out text)
  string(REPLACE "\\" "<BS>" text "${text}")
  string(REPLACE ";" "<SEMI>" text "${text}")
  string(REPLACE "[" "<LB>" text "${text}")
  string(REPLACE "]" "<RB>" text "${text}")
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
# unescape(<var>): undoes split_lines' replacements in one line, for a message or a path.
function(unescape var)
  set(v "${${var}}")
  string(REPLACE "<SEMI>" ";" v "${v}")
  string(REPLACE "<LB>" "[" v "${v}")
  string(REPLACE "<RB>" "]" v "${v}")
  string(REPLACE "<BS>" "\\" v "${v}")
  set(${var} "${v}" PARENT_SCOPE)
endfunction()

set(n_files 0)
foreach(f IN LISTS files)
  if(f STREQUAL "" OR IS_DIRECTORY "${SOURCE_DIR}/${f}" OR NOT EXISTS "${SOURCE_DIR}/${f}")
    continue()  # a tracked file deleted in the working tree
  endif()
  get_filename_component(ext "${f}" LAST_EXT)
  string(TOLOWER "${ext}" ext)
  string(REPLACE "." "" ext "${ext}")
  if(ext IN_LIST binary_ext)
    continue()
  endif()
  math(EXPR n_files "${n_files} + 1")
  file(READ "${SOURCE_DIR}/${f}" text)
  set(hit FALSE)
  foreach(re IN LISTS quick)
    if(text MATCHES "${re}")
      set(hit TRUE)
      break()
    endif()
  endforeach()
  if(NOT hit)
    continue()
  endif()
  split_lines(lines "${text}")
  set(lineno 0)
  foreach(line IN LISTS lines)
    math(EXPR lineno "${lineno} + 1")
    foreach(re IN LISTS forbidden)
      if(line MATCHES "${re}")
        string(STRIP "${line}" shown)
        unescape(shown)
        string(APPEND failures "  - ${f}:${lineno}: refers to a file outside the repository: ${shown}\n")
        break()
      endif()
    endforeach()
  endforeach()
endforeach()
if(n_files LESS 50)
  string(APPEND failures "  - found only ${n_files} text files under ${SOURCE_DIR}: is SOURCE_DIR the source directory?\n")
endif()

# ---- 2. relative Markdown links --------------------------------------------------------------
file(GLOB_RECURSE markdown RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/docs/*.md")
list(PREPEND markdown README.md)
set(n_links 0)
foreach(md IN LISTS markdown)
  file(READ "${SOURCE_DIR}/${md}" text)
  get_filename_component(dir "${SOURCE_DIR}/${md}" DIRECTORY)
  split_lines(lines "${text}")  # line by line, so that a failure can name its line
  set(lineno 0)
  set(fence "")
  set(in_comment FALSE)
  foreach(line IN LISTS lines)
    math(EXPR lineno "${lineno} + 1")
    # HTML comments over several lines (not rendered: e.g. the example files the docs declare
    # for cli.docs-outputs-current) are skipped.
    if(in_comment)
      if(line MATCHES "-->")
        set(in_comment FALSE)
      endif()
      continue()
    endif()
    if(fence STREQUAL "" AND line MATCHES "^[ ]*<!--" AND NOT line MATCHES "-->")
      set(in_comment TRUE)
      continue()
    endif()
    # Fenced code blocks (``` or ~~~) are skipped.
    if(line MATCHES "^[ ]*(```|~~~)")
      if(fence STREQUAL "")
        set(fence "${CMAKE_MATCH_1}")
      elseif(fence STREQUAL CMAKE_MATCH_1)
        set(fence "")
      endif()
      continue()
    endif()
    if(NOT fence STREQUAL "")
      continue()
    endif()
    # Code spans are not links.
    string(REGEX REPLACE "``[^`]*``" "" line "${line}")
    string(REGEX REPLACE "`[^`]*`" "" line "${line}")
    set(targets "")
    # Inline links and images: [text](target) / ![alt](target), optionally "(<target> "title")".
    string(REGEX MATCHALL "<RB>\\([^) ]+[^)]*\\)" inline "${line}")
    foreach(m IN LISTS inline)
      string(REGEX REPLACE "^<RB>\\(<?([^) >]+)>?.*\\)$" "\\1" t "${m}")
      list(APPEND targets "${t}")
    endforeach()
    # Reference definitions: [id]: target
    if(line MATCHES "^[ ]*<LB>[^<]+<RB>:[ ]+<?([^ >]+)")
      list(APPEND targets "${CMAKE_MATCH_1}")
    endif()
    foreach(t IN LISTS targets)
      if(t MATCHES "^[A-Za-z][A-Za-z0-9+.-]*:" OR t MATCHES "^#")
        continue()  # a URL (https:, mailto:) or an anchor in the same page
      endif()
      math(EXPR n_links "${n_links} + 1")
      unescape(t)
      string(REGEX REPLACE "#.*$" "" path "${t}")
      string(REPLACE "%20" " " path "${path}")
      if(path MATCHES "^/")
        set(resolved "${SOURCE_DIR}${path}")  # GitHub resolves /x from the repository root
      else()
        set(resolved "${dir}/${path}")
      endif()
      if(NOT EXISTS "${resolved}")
        string(APPEND failures "  - ${md}:${lineno}: link to '${t}': ${path} does not exist\n")
      else()
        file(REAL_PATH "${resolved}" real)
        string(FIND "${real}/" "${source_real}/" at)
        if(NOT at EQUAL 0)
          string(APPEND failures "  - ${md}:${lineno}: link to '${t}' leaves the repository (${real})\n")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()
if(n_links LESS 20)
  string(APPEND failures "  - found only ${n_links} relative links in README.md and docs/: is the link parser broken?\n")
endif()

if(NOT failures STREQUAL "")
  message(FATAL_ERROR "references that do not resolve inside the repository:\n${failures}"
                      "Point equations at docs/model.md, the architecture note at docs/architecture.md, and data "
                      "at configs/data/ with its original public source (configs/data/SOURCES.md).")
endif()
message(STATUS "docs-links: ${n_files} files scanned, ${n_links} relative Markdown links resolved")
