# Reads the expectations of one error case from the comment header of its YAML file.
#
#   # expect-exit: 1                      required: racesim's exit code
#   # expect-stderr: <regex>              required, repeatable: each must match stderr
#                                         starting at the beginning of a line ('.' also
#                                         matches newlines, so one regex may span a note)
#   # expect-no-stderr: <regex>           optional, repeatable: must match nowhere in stderr
#   # expect-errors: 2                    optional: the closing count line ("2 errors")
#   # expect-command: run                 optional: 'validate' (default) or 'run'
#                                         (run: --out <work>/out must not be created)
#   # config: <path>                      optional: run racesim on this path (relative to
#                                         the test's work directory) instead of on a copy
#                                         of the case file, e.g. a file that does not exist
#   # copy-without-header: true           optional: strip the leading comment lines from
#                                         the copy (an empty case file stays empty)
#   # will-fail: true                     optional: a deliberately wrong expectation
#
# Everything is kept in plain variables (EXPECT_STDERR_0, _1, ...), never in CMake lists:
# regexes contain '[', ']' and possibly ';', which CMake's list splitting mangles.
#
# Sets in the caller's scope: EXPECT_EXIT, EXPECT_ERRORS, EXPECT_COMMAND, EXPECT_CONFIG,
# EXPECT_COPY_WITHOUT_HEADER, EXPECT_WILL_FAIL, EXPECT_STDERR_COUNT, EXPECT_STDERR_<i>,
# EXPECT_NO_STDERR_COUNT, EXPECT_NO_STDERR_<i>.
function(racesim_read_expectations case)
  file(READ "${case}" text)
  foreach(key EXIT ERRORS COMMAND CONFIG COPY_WITHOUT_HEADER WILL_FAIL)
    set(EXPECT_${key} "")
  endforeach()
  set(count 0)
  set(nocount 0)
  set(rest "${text}")
  while(TRUE)
    string(REGEX MATCH "(^|\n)# (expect-exit|expect-errors|expect-command|expect-stderr|expect-no-stderr|config|copy-without-header|will-fail):[ ]*([^\n]*)" m "${rest}")
    if(m STREQUAL "")
      break()
    endif()
    set(key "${CMAKE_MATCH_2}")
    set(value "${CMAKE_MATCH_3}")
    string(REGEX REPLACE "[ \t\r]+$" "" value "${value}")
    string(FIND "${rest}" "${m}" at)
    string(LENGTH "${m}" len)
    math(EXPR at "${at} + ${len}")
    string(SUBSTRING "${rest}" ${at} -1 rest)
    if(key STREQUAL "expect-stderr")
      set(EXPECT_STDERR_${count} "${value}" PARENT_SCOPE)
      math(EXPR count "${count} + 1")
    elseif(key STREQUAL "expect-no-stderr")
      set(EXPECT_NO_STDERR_${nocount} "${value}" PARENT_SCOPE)
      math(EXPR nocount "${nocount} + 1")
    else()
      string(TOUPPER "${key}" var)
      string(REPLACE "-" "_" var "${var}")
      string(REPLACE "EXPECT_" "" var "${var}")
      if(NOT EXPECT_${var} STREQUAL "")
        message(FATAL_ERROR "${case}: '# ${key}:' given twice")
      endif()
      set(EXPECT_${var} "${value}")
    endif()
  endwhile()
  if(EXPECT_COMMAND STREQUAL "")
    set(EXPECT_COMMAND validate)
  endif()
  foreach(key EXIT ERRORS COMMAND CONFIG COPY_WITHOUT_HEADER WILL_FAIL)
    set(EXPECT_${key} "${EXPECT_${key}}" PARENT_SCOPE)
  endforeach()
  set(EXPECT_STDERR_COUNT ${count} PARENT_SCOPE)
  set(EXPECT_NO_STDERR_COUNT ${nocount} PARENT_SCOPE)
endfunction()
