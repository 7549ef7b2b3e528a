// Include this from a plugin's source and invoke RACESIM_PLUGIN once:
//
//     static std::vector<racesim::plugin::Descriptor> descriptors() { ... }
//     RACESIM_PLUGIN("my-plugin", descriptors)
//
// It exports the plain-C manifest (checked by the host before anything else) and the
// Boost.DLL alias through which the host obtains the descriptors. No static registries.
#pragma once

#include <boost/dll/alias.hpp>

#include "racesim/plugin/api.hpp"
#include "racesim/plugin/models.hpp"
#include "racesim/plugin/schema.hpp"

#define RACESIM_PLUGIN(LIBRARY_NAME, DESCRIPTOR_FUNCTION)                            \
    extern "C" RACESIM_API const racesim_plugin_manifest_v1 racesim_plugin_manifest{ \
        sizeof(racesim_plugin_manifest_v1),                                          \
        ::racesim::plugin::api_version,                                              \
        ::racesim::plugin::cxx11_abi,                                                \
        static_cast<std::int32_t>(__cplusplus),                                      \
        ::racesim::plugin::racesim_version,                                          \
        ::racesim::plugin::compiler_id,                                              \
        LIBRARY_NAME};                                                               \
    namespace racesim_plugin_entry_ns {                                              \
    inline std::vector<::racesim::plugin::Descriptor> racesim_plugin_entry_impl() {  \
        return DESCRIPTOR_FUNCTION();                                                \
    }                                                                                \
    }                                                                                \
    BOOST_DLL_ALIAS(racesim_plugin_entry_ns::racesim_plugin_entry_impl, racesim_plugin_entry)
