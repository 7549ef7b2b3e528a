// The error types that more than one layer throws or catches. They live here, at the bottom,
// so that a layer that throws one (the integrator: a numerical failure, a plugin's undeclared
// jump) does not include the layer that defined it (the plugin host). ConfigError stays in
// diagnostics.hpp, beside the Diagnostics it carries; Interrupted in interrupt.hpp;
// PluginLoadError, which only the plugin host throws, in plugins/registry.hpp.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace racesim {

/// Thrown for run-time failures (exit code 3): a plugin fault, a numerical failure, I/O.
class RunError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Host-owned error for anything a plugin did wrong: an exception it threw (its message is
/// copied out of the library), or a value it returned that breaks the plugin contract (NaN,
/// +inf, breakpoints out of order or outside the interval, a jump it did not declare). The
/// registry wraps every object a plugin makes so that each call is checked; the host adds the
/// scenario when it knows it.
class PluginError : public std::runtime_error {
public:
    PluginError(std::string plugin, std::filesystem::path library, std::string key, const std::string& message)
        : std::runtime_error(message), plugin(std::move(plugin)), library(std::move(library)), key(std::move(key)) {}
    std::string plugin;             ///< the plugin type
    std::filesystem::path library;  ///< its shared library
    std::string key;                ///< the parameter a ParameterError named, else empty
    std::string kind;               ///< "efficiency", "power", "loss" or "reference" (may be empty)
    std::string scenario;           ///< set by the host when known
    std::optional<double> time;     ///< yr, for faults during evaluation
    /// True when the plugin refused its parameters with a plugin::ParameterError: a problem of
    /// the config (exit 1), not a fault of the plugin (exit 3).
    bool parameter_error = false;
};

/// One line naming the scenario, the plugin, its library and (for evaluation faults) the time:
/// "scenario 'S': efficiency plugin 'T' (library L) failed at t = 2 yr: <message>".
std::string describe(const PluginError& e);

}  // namespace racesim
