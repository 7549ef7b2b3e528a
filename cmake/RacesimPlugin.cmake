# racesim_add_plugin(<name> SOURCES <src>... [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
#
# Builds a loadable racesim plugin: a MODULE library with hidden visibility that links only
# the header-only plugin API (C++20). The library file is <name>.so, written to
# OUTPUT_DIRECTORY (default: RACESIM_PLUGIN_OUTPUT_DIR) and installed to
# RACESIM_PLUGIN_INSTALL_DIR unless NO_INSTALL. Used in-tree by racesim's own plugins and,
# through find_package(racesim), by out-of-tree plugin projects.
function(racesim_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "racesim_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY ${RACESIM_PLUGIN_OUTPUT_DIR})
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE racesim::plugin_api)
  if(TARGET racesim_warnings)
    target_link_libraries(${name} PRIVATE racesim_warnings)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  if(NOT ARG_NO_INSTALL AND RACESIM_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION ${RACESIM_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
