// racesim plugin API: version constants and the plain-C manifest every plugin exports.
//
// The manifest is checked by the host *before* any C++ object crosses the library
// boundary (gz-plugin / FMI style): a plugin built against another API version, another
// compiler or another C++ standard-library ABI is refused with both values.
#pragma once

#include <cstdint>

#if defined(__GNUC__)
#define RACESIM_API __attribute__((visibility("default")))
#else
#define RACESIM_API
#endif

namespace racesim::plugin {

/// Bumped whenever a plugin-facing type changes layout or meaning.
/// 2: `path` and `table` parameters (Value gained Table); LossLaw::auxiliary().
/// 3: Descriptor::batch_time_to_target and batch_paths (vectorised references).
/// 4: ParamSpec::quoted, relative_to and forms_when (parameters as they are quoted).
/// 5: Kind::algorithms (a fourth rate kind) and ReferenceInput::algorithms.
inline constexpr std::uint32_t api_version = 5;

/// The racesim release these headers belong to (informational; not part of the handshake).
inline constexpr const char* racesim_version = "0.1.0";

#if defined(_GLIBCXX_USE_CXX11_ABI)
inline constexpr std::int32_t cxx11_abi = _GLIBCXX_USE_CXX11_ABI;
#else
inline constexpr std::int32_t cxx11_abi = -1;
#endif

#if defined(__clang__)
inline constexpr const char* compiler_id = "clang";
#elif defined(__GNUC__)
inline constexpr const char* compiler_id = "gcc";
#else
inline constexpr const char* compiler_id = "unknown";
#endif

}  // namespace racesim::plugin

extern "C" {
/// Plain-old-data handshake. Never reorder or remove fields: only append, and only
/// together with a bump of `api_version`.
struct racesim_plugin_manifest_v1 {
    std::uint32_t manifest_size;  ///< sizeof(racesim_plugin_manifest_v1) in the plugin
    std::uint32_t api_version;    ///< racesim::plugin::api_version in the plugin
    std::int32_t cxx11_abi;       ///< _GLIBCXX_USE_CXX11_ABI in the plugin (-1: not libstdc++)
    std::int32_t cplusplus;       ///< __cplusplus in the plugin, e.g. 202002
    const char* racesim_version;  ///< the racesim release the plugin was built with
    const char* compiler;         ///< compiler family, "gcc" or "clang"
    const char* library_name;     ///< the plugin library's own short name
};
}

/// Name of the exported manifest symbol and of the descriptor entry alias.
#define RACESIM_PLUGIN_MANIFEST_SYMBOL "racesim_plugin_manifest"
#define RACESIM_PLUGIN_ENTRY_SYMBOL "racesim_plugin_entry"
