// Finding, loading and owning plugin libraries (Boost.DLL), and creating objects from them.
//
// Lifetime rule: every object a plugin creates is returned as a shared_ptr whose deleter
// holds a shared_ptr to the library, so the library is unloaded only after the last object
// it made (and the last descriptor copied from it) is gone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "racesim/core/errors.hpp"  // PluginError, describe(const PluginError&)
#include "racesim/core/worker.hpp"  // WorkerTrace
#include "racesim/plugin/models.hpp"

namespace boost::dll {
class shared_library;
}

namespace racesim {

/// A plugin library that is loaded and passed the handshake.
struct LoadedLibrary {
    std::filesystem::path path;
    std::string name;             ///< the manifest's library name
    std::string racesim_version;  ///< the racesim release it was built with
    std::string compiler;
    std::string sha256;  ///< of the file, read just before it was loaded (hex)
    /// Listed with this sha256 in its directory's contract-tested.sha256 (kContractTestedList):
    /// its rate models passed the plugin contract tests, so the integrator's audit for
    /// undeclared jumps skips them unless `solver: {audit: all}` (docs/numerics.md).
    bool contract_tested = false;
    std::shared_ptr<const boost::dll::shared_library> handle;
};

/// The file, next to plugin libraries, that names those whose contract tests passed: lines of
/// `sha256sum` output (64 hex digits, two spaces, the file name). racesim's build writes it
/// for its built-in rate plugins (plugins/CMakeLists.txt).
inline constexpr const char* kContractTestedList = "contract-tested.sha256";

/// One model type available to configs.
/// `library` is declared first so that it is destroyed last: the descriptor's factories
/// (std::function) have their code in the library.
struct PluginEntry {
    std::shared_ptr<const LoadedLibrary> library;
    plugin::Descriptor descriptor;
    std::uint32_t trace_id = 0;  ///< its id in the worker's breadcrumb (WorkerTrace::add_plugin); 0: none
};

/// A library that was found but not used, and why.
struct Refusal {
    std::filesystem::path path;
    std::string reason;
};

/// Thrown by load_library for a library that cannot be used.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Registry {
public:
    Registry() = default;

    /// Leaves a breadcrumb in `trace` (racesim/core/worker.hpp) while loading libraries, building
    /// plugin objects and calling them; `trace` must outlive the registry and its objects. Set it
    /// before loading anything. Null (the default): no breadcrumb.
    void set_trace(WorkerTrace* trace) { trace_ = trace; }
    [[nodiscard]] WorkerTrace* trace() const { return trace_; }

    /// Libraries that load_directories refuses, with the reason given, without opening them
    /// (one that took a worker process down while being loaded).
    void set_skipped(std::vector<Refusal> skipped) { skipped_ = std::move(skipped); }

    /// Loads every `*.so` in each directory, in order; the first provider of a type wins.
    /// Missing directories are remembered (and reported by the unknown-type error).
    void load_directories(const std::vector<std::filesystem::path>& dirs);

    /// Loads one library and registers its types. Throws PluginLoadError with a readable reason.
    void load_library(const std::filesystem::path& path);

    /// Registers a type made in the host's own process (no library; e.g. a model written in
    /// Python), named `origin` where a library path would be shown. Its objects are guarded like
    /// a library's. Throws std::invalid_argument when the descriptor has no factory for its
    /// kind or its kind and type are already registered.
    void add_type(plugin::Descriptor d, const std::filesystem::path& origin);

    [[nodiscard]] const PluginEntry* find(plugin::Kind kind, const std::string& type) const;
    [[nodiscard]] std::vector<std::string> types(plugin::Kind kind) const;  ///< sorted
    [[nodiscard]] const std::vector<PluginEntry>& entries() const { return entries_; }
    [[nodiscard]] const std::vector<Refusal>& refused() const { return refused_; }
    [[nodiscard]] const std::vector<std::filesystem::path>& searched() const { return searched_; }
    [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

    std::shared_ptr<const plugin::RateModel> make_rate(const PluginEntry& e, const plugin::Params& p,
                                                       const plugin::BuildContext& ctx) const;
    std::shared_ptr<const plugin::LossLaw> make_loss(const PluginEntry& e, const plugin::Params& p,
                                                     const plugin::BuildContext& ctx) const;
    /// Returns nullptr and sets why_not when the reference does not apply.
    std::shared_ptr<const plugin::ReferenceModel> make_reference(const PluginEntry& e, const plugin::ReferenceInput& in,
                                                                 std::string& why_not) const;

private:
    std::vector<PluginEntry> entries_;
    std::vector<Refusal> refused_;
    std::vector<std::filesystem::path> searched_;
    std::vector<std::string> warnings_;
    WorkerTrace* trace_ = nullptr;
    std::vector<Refusal> skipped_;
};

/// The plugin search path: `--plugin-path` values, the config's `plugin_paths` (relative to
/// the config file), `RACESIM_PLUGIN_PATH` (colon-separated), then the build/install
/// directory `<dir of executable>/../lib/racesim/plugins`.
/// Without `environment`, RACESIM_PLUGIN_PATH is not searched.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::filesystem::path>& command_line,
                                                      const std::vector<std::filesystem::path>& from_config,
                                                      bool environment = true);

/// The directories of RACESIM_PLUGIN_PATH (colon-separated; empty items skipped), in order.
std::vector<std::filesystem::path> environment_plugin_dirs();

}  // namespace racesim
