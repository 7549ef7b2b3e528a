// racesim command-line interface.
//
// Exit codes: 0 success, 1 invalid config, 2 command-line usage error, 3 run-time failure
// (including any plugin fault), 128 + signal when interrupted by SIGINT (130) or SIGTERM (143).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "racesim/config/loader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/output/reader.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/plugin/api.hpp"
#include "racesim/plugins/contract.hpp"
#include "racesim/plugins/describe.hpp"
#include "racesim/plugins/json_schema.hpp"
#include "racesim/plugins/registry.hpp"
#include "racesim/run/runner.hpp"

namespace fs = std::filesystem;
using namespace racesim;

namespace {

constexpr int exit_ok = 0, exit_config = 1, exit_usage = 2, exit_runtime = 3;

struct Options {
    std::vector<std::string> plugin_paths;
    bool verbose = false;
    bool quiet = false;
    std::string config;
    std::string out;
    bool force = false;
    std::string type;
    std::string format = "text";
    std::size_t max_scenarios = ExperimentLimits{}.max_scenarios;
    std::size_t jobs = 0;  ///< 0: every core
    bool no_trajectories = false;
    std::string results;
    std::string a, b;
    std::string csv;
    bool all = false;
    bool json_schema = false;
};

std::shared_ptr<spdlog::logger> make_logger(const Options& o) {
    auto log = std::make_shared<spdlog::logger>("racesim", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_pattern("racesim: %^%l%$: %v");
    log->set_level(o.quiet ? spdlog::level::warn : (o.verbose ? spdlog::level::debug : spdlog::level::info));
    return log;
}

/// Loads the plugin directories; a `--plugin-path` that is not a directory is a usage error.
std::optional<Registry> load_plugins(const Options& o, const std::vector<fs::path>& from_config, spdlog::logger& log) {
    std::vector<fs::path> cli;
    for (const auto& p : o.plugin_paths) {
        std::error_code ec;
        if (!fs::is_directory(p, ec)) {
            std::cerr << "racesim: error: --plugin-path '" << p << "' is not a directory\n";
            return std::nullopt;
        }
        cli.emplace_back(p);
    }
    Registry reg;
    reg.load_directories(plugin_search_path(cli, from_config));
    for (const auto& w : reg.warnings()) log.warn("{}", w);
    for (const auto& r : reg.refused()) log.debug("plugin library {} not loaded: it {}", r.path.string(), r.reason);
    log.debug("{} plugin type(s) found", reg.entries().size());
    return reg;
}

/// The plugin directories the user named: --plugin-path, then RACESIM_PLUGIN_PATH. A config's
/// plugin_paths may point into these (or into the config's own directory), nowhere else.
std::vector<fs::path> user_plugin_dirs(const Options& o) {
    std::vector<fs::path> dirs(o.plugin_paths.begin(), o.plugin_paths.end());
    if (const char* env = std::getenv("RACESIM_PLUGIN_PATH")) {
        std::string item;
        for (const char* c = env;; ++c) {
            if (*c == ':' || *c == '\0') {
                if (!item.empty()) dirs.emplace_back(item);
                item.clear();
                if (*c == '\0') break;
            } else {
                item += *c;
            }
        }
    }
    return dirs;
}

/// Parses and validates; prints diagnostics. Returns the exit code on failure.
int load(const Options& o, spdlog::logger& log, std::optional<Registry>& reg, std::optional<Experiment>& ex) {
    Diagnostics diags;
    auto doc = parse_document(o.config, diags);
    std::vector<fs::path> from_config;
    if (doc) from_config = document_plugin_paths(*doc, diags, user_plugin_dirs(o));
    if (!doc || !diags.empty()) {
        diags.print(std::cerr);
        return exit_config;
    }
    reg = load_plugins(o, from_config, log);
    if (!reg) return exit_usage;
    ex = validate(*doc, *reg, diags, ExperimentLimits{o.max_scenarios});
    if (!ex) {
        diags.print(std::cerr);
        // A type the config names may live in a library that could not be loaded: that is a
        // fault of the plugin installation, not of the config (docs/reliability.md).
        const bool missing_type = std::any_of(diags.errors().begin(), diags.errors().end(),
                                              [](const Diagnostic& d) { return d.code == "unknown-type"; });
        if (missing_type && !reg->refused().empty()) {
            for (const auto& r : reg->refused())
                std::cerr << "racesim: error: plugin library " << r.path.string() << " could not be loaded: it "
                          << r.reason << '\n';  // the reasons are clauses: "is not ...", "was built for ..."
            std::cerr << "racesim: note: a plugin type the config needs may be in a library that could not be "
                         "loaded: fix or remove it\n";
            return exit_runtime;
        }
        return exit_config;
    }
    // Not needed by this config, but broken: say so once.
    for (const auto& r : reg->refused()) log.warn("plugin library {} not loaded: it {}", r.path.string(), r.reason);
    return exit_ok;
}

int cmd_validate(const Options& o, spdlog::logger& log) {
    std::optional<Registry> reg;
    std::optional<Experiment> ex;
    if (int rc = load(o, log, reg, ex)) return rc;
    const std::size_t n = scenario_count(*ex);
    std::cout << o.config << ": valid: experiment '" << ex->name << "', " << n << " scenario(s)";
    if (n != ex->scenarios.size()) std::cout << " (" << ex->scenarios.size() << " declared, sweeps expanded)";
    std::cout << '\n';
    return exit_ok;
}

/// A progress line on stderr (done / total, rate, ETA), drawn at most 5 times a second and only
/// once a run has taken a second; silent unless stderr is a terminal.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
    ~ProgressBar() {
        if (drawn_) std::fputs("\r\033[K", stderr);
    }
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void operator()(std::size_t done, std::size_t total) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        std::lock_guard<std::mutex> lock(mutex_);
        if (elapsed < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.2 || done <= shown_) return;
        last_ = now;
        shown_ = done;
        drawn_ = true;
        const double rate = static_cast<double>(done) / elapsed;
        const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
        const int width = 30, fill = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total));
        fmt::print(stderr, "\r[{:<{}}] {}/{} runs, {:.0f}/s, ETA {:.0f} s\033[K", std::string(fill, '#'), width, done,
                   total, rate, eta);
        std::fflush(stderr);
    }

private:
    bool enabled_;
    std::chrono::steady_clock::time_point start_, last_{};
    std::size_t shown_ = 0;
    bool drawn_ = false;
    std::mutex mutex_;
};
/// `racesim check CONFIG`: the plugin contract (racesim/plugins/contract.hpp) on every model
/// of every scenario, with the scenario's parameters. Exit 0 when it holds, 3 when not.
int cmd_check(const Options& o, spdlog::logger& log) {
    std::optional<Registry> reg;
    std::optional<Experiment> ex;
    if (int rc = load(o, log, reg, ex)) return rc;
    std::size_t failed = 0;
    try {
        for (const auto& sc : ex->scenarios) {
            const Model& m = sc.model;
            auto report = [&](const std::string& what, const ContractReport& r) {
                if (r.problems.empty()) {
                    fmt::print("{}: {}: ok ({} breakpoints, {} evaluations)\n", sc.name, what, r.breakpoints,
                               r.evaluations);
                    return;
                }
                ++failed;
                fmt::print("{}: {}: CONTRACT VIOLATED\n", sc.name, what);
                for (const auto& p : r.problems) fmt::print("  {}\n", p);
            };
            report("efficiency '" + sc.efficiency.selection.type + "'",
                   check_rate_contract(*m.efficiency, sc.horizon, m.log_C0));
            report("power '" + sc.power.selection.type + "'", check_rate_contract(*m.power, sc.horizon, m.log_C0));
            report("loss '" + sc.loss.selection.type + "'", check_loss_contract(*m.loss, m.log_C0));
        }
    } catch (const std::exception& e) {
        std::cerr << "racesim: error: a plugin threw during the check: " << e.what() << '\n';
        return exit_runtime;
    }
    if (failed) {
        std::cerr << "racesim: error: " << failed
                  << " model(s) violate the plugin contract (docs/authoring-plugins.md)\n";
        return exit_runtime;
    }
    return exit_ok;
}

int cmd_run(const Options& o, spdlog::logger& log) {
    std::optional<Registry> reg;
    std::optional<Experiment> ex;
    if (int rc = load(o, log, reg, ex)) return rc;
    const fs::path out = o.out.empty() ? fs::path("results") / ex->name : fs::path(o.out);
    const std::size_t n = scenario_count(*ex);
    if (o.no_trajectories) {
        ex->output.trajectories = false;
    } else if (n > 1000) {
        ex->output.trajectories = false;
        log.info("{} scenarios: writing no per-scenario CSVs (summary-only mode; sweep.csv has every time to target)",
                 n);
    }
    std::optional<tbb::global_control> threads;
    if (o.jobs > 0) threads.emplace(tbb::global_control::max_allowed_parallelism, o.jobs);
    try {
        // Refused before integrating, not after; results stream into a temporary directory
        // that becomes `out` only when the run is complete.
        ResultsWriter writer(*ex, out, o.force);
        RunSummary summary;
        {
            ProgressBar bar(!o.quiet && isatty(STDERR_FILENO));
            summary = run_experiment(*ex, writer, [&bar](std::size_t done, std::size_t total) { bar(done, total); });
        }
        writer.commit(std::move(summary));
        print_table(writer.report(), std::cout);
        log.info("results written to {}", out.string());
    } catch (const ConfigError& e) {  // a combination of sweep values, found as it was made
        e.diagnostics.print(std::cerr);
        return exit_config;
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << e.what() << '\n';
        return exit_runtime;
    }
    if (const int sig = interrupt_signal()) return 128 + sig;  // arrived after the commit
    return exit_ok;
}

int cmd_compare(const Options& o) {
    try {
        const Series a = read_series(o.results, o.a);
        const Series b = read_series(o.results, o.b);
        const Comparison c = compare(a, b);
        print_comparison(c, std::cout);
        if (!o.csv.empty()) write_compare_csv(c, o.csv);
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << e.what() << '\n';
        return exit_usage;
    } catch (const std::invalid_argument& e) {
        std::cerr << "racesim: error: " << e.what() << '\n';
        return exit_usage;
    }
    return exit_ok;
}

int cmd_plugins(const Options& o, spdlog::logger& log) {
    auto reg = load_plugins(o, {}, log);
    if (!reg) return exit_usage;
    fmt::print("{:<11} {:<22} {:<40} {}\n", "kind", "type", "library", "summary");
    for (const auto k : {plugin::Kind::efficiency, plugin::Kind::power, plugin::Kind::loss, plugin::Kind::reference})
        for (const auto& t : reg->types(k)) {
            const PluginEntry* e = reg->find(k, t);
            fmt::print("{:<11} {:<22} {:<40} {}\n", plugin::to_string(k), t, e->library->path.filename().string(),
                       e->descriptor.summary);
        }
    for (const auto& r : reg->refused()) fmt::print("refused     {}: {}\n", r.path.string(), r.reason);
    fmt::print("searched: ");
    for (std::size_t i = 0; i < reg->searched().size(); ++i)
        fmt::print("{}{}", i ? ":" : "", reg->searched()[i].string());
    fmt::print("\n");
    return exit_ok;
}

/// `describe --all`: every type, sorted by kind and type; Markdown gets a title and a note
/// on how the file was made (docs/reference/plugins.md is this output).
int describe_all(const Registry& reg, const Options& o) {
    std::vector<const PluginEntry*> all;
    for (const auto& e : reg.entries()) all.push_back(&e);
    std::sort(all.begin(), all.end(), [](const PluginEntry* a, const PluginEntry* b) {
        return std::pair(static_cast<int>(a->descriptor.kind), a->descriptor.type) <
               std::pair(static_cast<int>(b->descriptor.kind), b->descriptor.type);
    });
    if (o.format == "json") {
        auto arr = nlohmann::ordered_json::array();
        for (const auto* e : all) {
            auto j = describe_json(*e);
            j.erase("library");  // machine-specific
            arr.push_back(j);
        }
        std::cout << arr.dump(2) << '\n';
        return exit_ok;
    }
    if (o.format == "markdown")
        std::cout
            << "# Plugin reference\n\nGenerated by `racesim describe --all --format markdown` from the plugins' own "
               "parameter declarations (racesim "
            << plugin::racesim_version << ", plugin API " << plugin::api_version
            << "); do not edit. Units: t in yr, E in PFLOP/yr/MW, P in MW, C in PFLOP, L in nats/token. "
               "The models themselves are described in [../plugins.md](../plugins.md).\n";
    for (const auto* e : all) {
        if (o.format == "markdown")
            std::cout << '\n' << describe_markdown(*e);
        else
            std::cout << describe_text(*e);
    }
    return exit_ok;
}

int cmd_describe(const Options& o, spdlog::logger& log) {
    auto reg = load_plugins(o, {}, log);
    if (!reg) return exit_usage;
    if (o.json_schema) {
        std::cout << config_json_schema(*reg).dump(2) << '\n';
        return exit_ok;
    }
    if (o.all) return describe_all(*reg, o);
    if (o.type.empty()) {
        std::cerr << "racesim: error: describe needs a plugin TYPE, --all or --json-schema\n";
        return exit_usage;
    }
    std::vector<const PluginEntry*> found;
    std::vector<std::string> all;
    for (const auto& e : reg->entries()) {
        all.push_back(e.descriptor.type);
        if (e.descriptor.type == o.type) found.push_back(&e);
    }
    if (found.empty()) {
        std::cerr << "racesim: error: unknown plugin type '" << o.type << "'\n";
        if (auto s = suggest(o.type, all); !s.empty()) std::cerr << "racesim: note: did you mean '" << s << "'?\n";
        std::cerr << "racesim: note: 'racesim plugins' lists the available types\n";
        return exit_usage;
    }
    for (const auto* e : found) {
        if (o.format == "json")
            std::cout << describe_json(*e).dump(2) << '\n';
        else if (o.format == "markdown")
            std::cout << describe_markdown(*e);
        else
            std::cout << describe_text(*e);
    }
    return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"racesim: time- and efficiency-aware AI scaling simulations (dC/dt = E(t)·P(t))", "racesim"};
    app.set_version_flag("--version", std::string("racesim ") + plugin::racesim_version + " (plugin API " +
                                          std::to_string(plugin::api_version) + ")");
    app.require_subcommand(1);
    app.fallthrough();  // global options (-q, -v, --plugin-path) may follow the subcommand
    Options o;
    app.add_option("--plugin-path", o.plugin_paths, "Directory searched first for plugin libraries (repeatable)")
        ->type_name("DIR");
    auto* verbose = app.add_flag("-v,--verbose", o.verbose, "Log debug details to stderr");
    app.add_flag("-q,--quiet", o.quiet, "Log only warnings and errors")->excludes(verbose);

    auto* run = app.add_subcommand("run", "Validate and run an experiment; write results");
    run->add_option("config", o.config, "Experiment config (YAML)")->required()->type_name("CONFIG");
    run->add_option("-o,--out", o.out, "Results directory (default: results/<name>/)")->type_name("DIR");
    run->add_flag("--force", o.force, "Replace an existing results directory (atomically; refused without --force)");
    run->add_option("--max-scenarios", o.max_scenarios, "Refuse configs that expand to more scenarios than this")
        ->check(CLI::PositiveNumber);

    run->add_flag("--no-trajectories", o.no_trajectories,
                  "Write no per-scenario CSV, only the summary, sweep, solve, sensitivity and samples files "
                  "(automatic above 1000 scenarios)");
    run->add_option("-j,--jobs", o.jobs, "Threads for scenarios and samples (default: every core)")
        ->check(CLI::PositiveNumber);

    auto* compare_cmd = app.add_subcommand("compare", "Compare two scenarios of a results directory");
    compare_cmd->add_option("results", o.results, "Results directory written by 'racesim run'")
        ->required()
        ->type_name("DIR");
    compare_cmd->add_option("a", o.a, "First scenario (a)")->required()->type_name("A");
    compare_cmd->add_option("b", o.b, "Second scenario (b)")->required()->type_name("B");
    compare_cmd->add_option("--csv", o.csv, "Also write the side-by-side rows to this CSV file")->type_name("FILE");

    auto* validate_cmd = app.add_subcommand("validate", "Check a config without running it");
    validate_cmd->add_option("config", o.config, "Experiment config (YAML)")->required()->type_name("CONFIG");

    auto* check_cmd =
        app.add_subcommand("check", "Check the plugin contract (breakpoints, jumps, frozen regimes, loss inverse)");
    check_cmd->add_option("config", o.config, "Experiment config (YAML) whose models to check")
        ->required()
        ->type_name("CONFIG");

    auto* plugins = app.add_subcommand("plugins", "List the plugin types found on the search path");

    auto* describe = app.add_subcommand("describe", "Print the parameter schema of a plugin type");
    auto* type_opt = describe->add_option("type", o.type, "Plugin type, e.g. continuous-doubling")->type_name("TYPE");
    describe->add_option("--format", o.format, "Output format")->check(CLI::IsMember({"text", "markdown", "json"}));
    describe->add_flag("--all", o.all, "Describe every plugin type found (docs/reference/plugins.md)")
        ->excludes(type_opt);
    describe
        ->add_flag("--json-schema", o.json_schema,
                   "Print a JSON Schema for config files (docs/reference/racesim-config.schema.json)")
        ->excludes(type_opt);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }

    install_interrupt_handlers();
    auto log = make_logger(o);
    try {
        if (*run) return cmd_run(o, *log);
        if (*validate_cmd) return cmd_validate(o, *log);
        if (*compare_cmd) return cmd_compare(o);
        if (*check_cmd) return cmd_check(o, *log);
        if (*plugins) return cmd_plugins(o, *log);
        if (*describe) return cmd_describe(o, *log);
    } catch (const Interrupted& e) {
        std::cerr << "racesim: " << e.what() << ": stopped; no results were written\n";
        return 128 + e.signal;
    } catch (const PluginError& e) {
        std::cerr << "racesim: error: " << racesim::describe(e) << '\n';
        return exit_runtime;
    } catch (const std::exception& e) {
        std::cerr << "racesim: error: " << e.what() << '\n';
        return exit_runtime;
    }
    return exit_usage;
}
