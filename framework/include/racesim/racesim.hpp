// racesim's embedding API: everything a program needs to load, check, run and describe
// experiments. The command-line tool (framework/app/) uses this header and nothing else of the
// host; so does the Python package (framework/python/). docs/architecture.md shows the layers
// beneath it and, under "The public API", how to use it.
//
//     racesim::Session session;                                    // plugin search path, libraries
//     racesim::Experiment ex = session.load("configs/paper/table2.yaml");   // throws ConfigError
//     racesim::RunResult r = session.run(ex);                      // everything in memory
//     racesim::ResultsWriter out(ex, "results/table2", true);      // or stream into a directory
//     session.run(ex, {}, out);
//
// Errors: ConfigError (an invalid config: its `diagnostics` hold file:line:column, or the key
// path of an in-memory tree), LoadError (a ConfigError caused by a plugin library that could
// not be loaded), RunError and PluginError (run-time faults), Interrupted (SIGINT/SIGTERM, when
// the caller installed racesim's handlers or called request_interrupt).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "racesim/analyses/builtin.hpp"
#include "racesim/analyses/compare.hpp"
#include "racesim/analyses/sample.hpp"
#include "racesim/analyses/sensitivity.hpp"
#include "racesim/analyses/solve.hpp"
#include "racesim/analyses/sweep.hpp"
#include "racesim/config/experiment.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/core/worker.hpp"
#include "racesim/output/reader.hpp"
#include "racesim/output/report.hpp"
#include "racesim/output/results_dir.hpp"
#include "racesim/output/shard.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/plugins/contract.hpp"
#include "racesim/run/journal.hpp"
#include "racesim/run/results.hpp"
#include "racesim/run/sink.hpp"

namespace racesim {

/// The severity of a message a session passes to its log callback.
enum class LogLevel { debug, info, warning };

struct SessionOptions {
    /// Directories searched first for plugin libraries (the CLI's --plugin-path), in order.
    /// Each must be an existing directory: the Session constructor throws std::invalid_argument.
    std::vector<std::filesystem::path> plugin_paths;
    /// Also search RACESIM_PLUGIN_PATH (colon-separated), after plugin_paths.
    bool environment = true;
    /// Receives the session's messages (a library that could not be loaded, ...); may be empty.
    std::function<void(LogLevel, const std::string&)> log;
    /// Plugin types made in this process (no library: e.g. models written in Python),
    /// registered before the libraries of the search path, so that they take precedence over a
    /// library's type of the same kind and name. Guarded like a library's types; shown with
    /// `types_origin` where a library path would be.
    std::vector<plugin::Descriptor> types;
    std::filesystem::path types_origin = "<in-process>";
    /// The breadcrumb of a worker process (racesim/core/worker.hpp): where plugin libraries are
    /// loaded, plugin objects built and called, and which scenario each thread runs, for the
    /// supervisor to name a fault. Must outlive the session. Null: none (the default).
    WorkerTrace* trace = nullptr;
    /// Plugin libraries not to load, each refused with its reason as if it had failed to load
    /// (the CLI's worker: a library that took an earlier worker down while being loaded).
    std::vector<Refusal> skipped_libraries;
};

struct LoadOptions {
    /// Refuse configs that expand to more scenarios than this.
    std::size_t max_scenarios = ExperimentLimits{}.max_scenarios;
    /// YAML text and trees: the name used in messages ("<text>", "<tree>" when empty) and the
    /// directory that relative paths in the config (tables, plugin_paths) are taken from (the
    /// working directory when empty). A file's are its own path and directory.
    std::string name;
    std::filesystem::path base_dir;
    /// Refuse a rate model that declares more breakpoints than this over a scenario's horizon.
    std::size_t max_breakpoints = ExperimentLimits{}.max_breakpoints;
    /// Refuse a config whose run would write more trajectory rows than this (when trajectories
    /// are kept by the automatic rule); a caller that runs with Trajectories::drop may lift it.
    std::size_t max_rows = ExperimentLimits{}.max_rows;
    /// Refuse a config whose Monte Carlo runs (and Sobol evaluations) ask for more samples than this.
    std::size_t max_samples = ExperimentLimits{}.max_samples;
};

/// Whether a run keeps each scenario's trajectory (hands it to the sink).
enum class Trajectories {
    automatic,  ///< keep them for up to 1000 scenarios (the CLI's rule), else summary-only
    keep,
    drop  ///< summary-only: targets, sweep rows and statistics, no trajectory
};

struct RunOptions {
    std::size_t jobs = 0;  ///< threads for scenarios and samples; 0: every core
    Trajectories trajectories = Trajectories::automatic;
    /// Called (from any thread) as scenarios and samples finish: (done, total).
    Progress progress;
};

/// An invalid config whose cause may be a plugin library that could not be loaded: a type the
/// config names is unknown while some library on the search path was refused. The CLI exits
/// with 3 (a fault of the installation) instead of 1 in that case.
class LoadError : public ConfigError {
public:
    LoadError(Diagnostics d, std::vector<Refusal> refused);
    std::vector<Refusal> refused;  ///< the libraries that could not be loaded, and why
    /// True when an unknown type may live in one of the refused libraries.
    [[nodiscard]] bool installation_fault() const;
};

/// A plugin directory of SessionOptions::plugin_paths that is not a directory (thrown when the
/// session first needs its plugins).
class PluginPathError : public std::invalid_argument {
public:
    explicit PluginPathError(std::filesystem::path path);
    std::filesystem::path path;
};

/// `describe` of a type that no plugin provides.
class UnknownTypeError : public std::invalid_argument {
public:
    UnknownTypeError(const std::string& message, std::string suggestion);
    std::string suggestion;  ///< the closest type, or ""
};

/// One model checked by Session::check.
struct ContractCheck {
    std::string scenario;
    std::string what;  ///< e.g. "efficiency 'continuous-doubling'"
    ContractReport report;
};

/// A plugin type found on the search path.
struct PluginInfo {
    plugin::Kind kind;
    std::string type;
    std::string summary;
    std::filesystem::path library;
};

/// The plugins on a session's search path.
struct PluginListing {
    std::vector<PluginInfo> types;  ///< sorted by kind, then type
    std::vector<Refusal> refused;   ///< libraries that were found but not loaded, and why
    std::vector<std::filesystem::path> searched;
};

/// What Session::merge made: the run's report (what print_table shows), and the experiment
/// the report refers to.
struct MergeResult {
    std::shared_ptr<const Experiment> experiment;
    RunReport report;
};

/// The formats of `describe`.
enum class DescribeFormat { text, markdown, json };

/// Owns the plugin search path and every plugin library it loads. Experiments loaded by a
/// session refer to its libraries: the session must outlive them and every result made from
/// them. A session may be used from several threads at once.
class Session {
public:
    explicit Session(SessionOptions options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Reads, parses and validates a config file. Throws ConfigError (LoadError when a library
    /// may be at fault) with every problem found, each at its file:line:column.
    [[nodiscard]] Experiment load(const std::filesystem::path& file, const LoadOptions& options = {}) const;
    /// The same from YAML text.
    [[nodiscard]] Experiment load_text(const std::string& yaml, const LoadOptions& options = {}) const;
    /// The same from an in-memory tree with the structure of a config (objects, arrays,
    /// strings, numbers, booleans, null). Diagnostics name the key path, e.g.
    /// "<tree>:scenarios[0].efficiency.gamma".
    [[nodiscard]] Experiment load_tree(const nlohmann::ordered_json& tree, const LoadOptions& options = {}) const;

    /// The number of scenarios the experiment runs, sweeps expanded.
    [[nodiscard]] static std::size_t scenario_count(const Experiment& ex);

    /// Runs an experiment, handing every result to `sink` as it is made (sink.end() last).
    /// Throws RunError, PluginError (a plugin fault, its scenario named), ConfigError (a
    /// sweep's combination of values refused as it was made) or Interrupted.
    RunSummary run(const Experiment& ex, const RunOptions& options, RunSink& sink) const;
    /// The same, every result kept in memory.
    [[nodiscard]] RunResult run(const Experiment& ex, const RunOptions& options = {}) const;
    /// Whether a run with these options keeps trajectories.
    [[nodiscard]] static bool keeps_trajectories(const Experiment& ex, const RunOptions& options);

    // A run split into parts (docs/cluster.md): the work units of an experiment are its
    // scenarios (a sweep's one by one, each with its goal seek and its analyses' work), then
    // each scenario's after-run units (Monte Carlo samples). Any split, merged, gives the same
    // results as the run in one process.

    /// The number of work units of a run of the experiment.
    [[nodiscard]] static std::size_t work_units(const Experiment& ex);
    /// Runs block `shard` of the experiment's work units into a shard directory `dir`
    /// (manifest.json, journal.bin; written atomically, refused when `dir` exists unless
    /// `force`). `config` is the config file as the user gave it (recorded for the merge).
    /// Throws like run().
    ShardManifest run_shard(const Experiment& ex, const RunOptions& options, ShardSpec shard,
                            const std::filesystem::path& dir, bool force, const std::string& config) const;
    /// Merges shard directories into the results directory `out` (atomically; refused when it
    /// exists unless `force`), which is then what run() would have written. The shards are
    /// checked first (ShardSet) and their config loaded from the path they recorded, with
    /// `load`'s limits. Throws ShardError (nothing written), ConfigError, RunError.
    MergeResult merge(const std::vector<std::filesystem::path>& shards, const std::filesystem::path& out, bool force,
                      const LoadOptions& load = {}) const;
    /// Runs the work units `units` of the experiment and returns their journal (an MPI rank's share).
    [[nodiscard]] std::string run_units(const Experiment& ex, const RunOptions& options, UnitRange units) const;
    /// Hands `sink` the run whose parts' journals are `parts` (in the order of their units,
    /// together every unit once): what run() would have. Throws JournalError, RunError.
    RunSummary replay(const Experiment& ex, const RunOptions& options, const std::vector<std::string>& parts,
                      RunSink& sink) const;

    /// The plugin contract (breakpoints, jumps, frozen regimes, loss inverse) of every model of
    /// every declared scenario, with its parameters.
    [[nodiscard]] std::vector<ContractCheck> check(const Experiment& ex) const;

    /// The plugin types on the session's search path (a config's plugin_paths aside).
    [[nodiscard]] PluginListing plugins() const;
    /// The parameter schema of every plugin type named `type` (one per kind that has it).
    /// Throws std::invalid_argument for an unknown type, with a suggestion when one is close.
    [[nodiscard]] std::string describe(const std::string& type, DescribeFormat format) const;
    /// The same as JSON objects (the content of `racesim describe --format json`).
    [[nodiscard]] nlohmann::ordered_json describe_json(const std::string& type) const;
    /// Every plugin type, sorted by kind and type (docs/reference/plugins.md is the Markdown).
    [[nodiscard]] std::string describe_all(DescribeFormat format) const;
    /// A JSON Schema for config files, generated from the plugins' schemas.
    [[nodiscard]] nlohmann::ordered_json config_json_schema() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The framework's own config keys (top level, output, solver, scenario, baseline, targets,
/// the analyses): type, unit, constraint, default and doc of each, as the loader checks them
/// (`racesim describe --config-keys`; docs/reference/config-keys.md is the Markdown).
[[nodiscard]] std::string describe_config_keys(DescribeFormat format);

/// racesim's version ("0.1.0") and its plugin API version.
[[nodiscard]] std::string version();
[[nodiscard]] int plugin_api_version();

/// Reads one scenario's series back from a results directory and compares two of them
/// (`racesim compare`). Throws RunError or std::invalid_argument.
[[nodiscard]] Comparison compare_results(const std::filesystem::path& dir, const std::string& a, const std::string& b);

}  // namespace racesim
