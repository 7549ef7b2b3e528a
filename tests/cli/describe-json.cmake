# `racesim describe continuous-doubling --format json`: parses, with the schema's fields.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

racesim(json ARGS describe continuous-doubling --format json)
expect_rc(json 0)
expect_empty(json ERR)
# CMake's JSON parser ignores trailing text: also require exactly one top-level object,
# i.e. one unindented opening and one unindented closing brace (the output is indented).
string(REGEX MATCHALL "(^|\n)[{}]" top "${json_OUT}")
if(NOT json_OUT MATCHES "^{\n" OR NOT json_OUT MATCHES "\n}\n$" OR NOT top STREQUAL "{;\n}")
  fail("[json] stdout is not exactly one JSON object")
endif()
string(JSON kind ERROR_VARIABLE e GET "${json_OUT}" kind)
if(e)
  fail("[json] stdout is not JSON with a 'kind': ${e}")
else()
  foreach(check
      "kind=efficiency"
      "type=continuous-doubling"
      "parameters.0.name=E0"
      "parameters.0.type=real"
      "parameters.0.unit=PFLOP/yr/MW"
      "parameters.0.required=ON"
      "parameters.0.constraint=> 0"
      "parameters.0.minimum.inclusive=OFF"
      "parameters.1.name=gamma"
      "parameters.1.required=ON")
    string(REGEX MATCH "^([^=]+)=(.*)$" unused "${check}")
    set(want "${CMAKE_MATCH_2}")
    string(REPLACE "." ";" path "${CMAKE_MATCH_1}")
    string(JSON have ERROR_VARIABLE e GET "${json_OUT}" ${path})
    if(e OR NOT have STREQUAL want)
      fail("[json] ${CMAKE_MATCH_1} is '${have}', expected '${want}' ${e}")
    endif()
  endforeach()
  string(JSON n LENGTH "${json_OUT}" parameters)
  if(NOT n EQUAL 2)
    fail("[json] ${n} parameters, expected 2")
  endif()
  string(JSON lib GET "${json_OUT}" library)
  if(NOT EXISTS "${lib}")
    fail("[json] library '${lib}' does not exist")
  endif()
  string(JSON min GET "${json_OUT}" parameters 0 minimum value)
  if(NOT min EQUAL 0)
    fail("[json] parameters[0].minimum.value is '${min}', expected 0")
  endif()
endif()
racesim_finish()
