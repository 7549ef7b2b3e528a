// racesim command-line interface.
//
// Exit codes: 0 success, 1 invalid config, 2 command-line usage error, 3 run-time failure
// (including any plugin fault), 128 + signal when interrupted by SIGINT (130) or SIGTERM (143).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "racesim/racesim.hpp"

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
    std::size_t max_breakpoints = ExperimentLimits{}.max_breakpoints;
    std::size_t max_rows = ExperimentLimits{}.max_rows;
    std::size_t max_samples = ExperimentLimits{}.max_samples;
    std::size_t jobs = 0;  ///< 0: every core
    bool no_trajectories = false;
    std::optional<std::string> shard;  ///< --shard K/N or slurm: run one block of the work units
    std::vector<std::string> shards;   ///< merge: the shard directories
    std::string results;
    std::string a, b;
    std::string csv;
    std::string report_out;
    bool all = false;
    bool json_schema = false;
    bool config_keys = false;
    bool in_process = false;                 ///< run plugin code in this process, not in a worker
    double scenario_timeout = 0;             ///< seconds; 0: none
    std::uint64_t memory_limit = 0;          ///< bytes; 0: none
    WorkerTrace* trace = nullptr;            ///< the worker's breadcrumb (in the worker only)
    std::vector<Refusal> skipped_libraries;  ///< libraries that took an earlier worker down
};

enum class Command { run, merge, validate, compare, report, check, plugins, describe };

std::shared_ptr<spdlog::logger> make_logger(const Options& o) {
    auto log = std::make_shared<spdlog::logger>("racesim", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_pattern("racesim: %^%l%$: %v");
    log->set_level(o.quiet ? spdlog::level::warn : (o.verbose ? spdlog::level::debug : spdlog::level::info));
    return log;
}

/// The session of a command: --plugin-path and RACESIM_PLUGIN_PATH, messages to the log.
std::unique_ptr<Session> make_session(const Options& o, spdlog::logger& log) {
    SessionOptions so;
    so.plugin_paths.assign(o.plugin_paths.begin(), o.plugin_paths.end());
    so.trace = o.trace;
    so.skipped_libraries = o.skipped_libraries;
    so.log = [&log](LogLevel level, const std::string& text) {
        log.log(level == LogLevel::debug  ? spdlog::level::debug
                : level == LogLevel::info ? spdlog::level::info
                                          : spdlog::level::warn,
                "{}", text);
    };
    return std::make_unique<Session>(std::move(so));
}

/// "--plugin-path 'X' is not a directory": a usage error.
int plugin_path_error(const PluginPathError& e) {
    std::cerr << "racesim: error: --plugin-path '" << e.path.string() << "' is not a directory\n";
    return exit_usage;
}

/// Loads and validates the config; prints diagnostics. Returns the exit code on failure.
/// The limits a config is loaded with (--max-scenarios, ...).
LoadOptions load_options(const Options& o) {
    LoadOptions lo;
    lo.max_scenarios = o.max_scenarios;
    lo.max_breakpoints = o.max_breakpoints;
    // A run that writes no trajectory writes no rows.
    lo.max_rows = o.no_trajectories ? std::numeric_limits<std::size_t>::max() : o.max_rows;
    lo.max_samples = o.max_samples;
    return lo;
}

/// Prints a config that could not be loaded; returns the exit code.
int load_error(const LoadError& e) {
    e.diagnostics.print(std::cerr);
    // A type the config names may live in a library that could not be loaded: that is a
    // fault of the plugin installation, not of the config (docs/reliability.md).
    if (e.installation_fault()) {
        for (const auto& r : e.refused)
            std::cerr << "racesim: error: plugin library " << r.path.string() << " could not be loaded: it " << r.reason
                      << '\n';  // the reasons are clauses: "is not ...", "was built for ..."
        std::cerr << "racesim: note: a plugin type the config needs may be in a library that could not be "
                     "loaded: fix or remove it\n";
        return exit_runtime;
    }
    return exit_config;
}

int load(const Options& o, const Session& session, std::optional<Experiment>& ex) {
    try {
        ex = session.load(o.config, load_options(o));
    } catch (const PluginPathError& e) {
        return plugin_path_error(e);
    } catch (const LoadError& e) {
        return load_error(e);
    }
    return exit_ok;
}

/// The run options of `run` (--jobs, --no-trajectories).
RunOptions run_options(const Options& o) {
    RunOptions ro;
    ro.jobs = o.jobs;
    ro.trajectories = o.no_trajectories ? Trajectories::drop : Trajectories::automatic;
    return ro;
}

int cmd_validate(const Options& o, spdlog::logger& log) {
    const auto session = make_session(o, log);
    std::optional<Experiment> ex;
    if (int rc = load(o, *session, ex)) return rc;
    const std::size_t n = Session::scenario_count(*ex);
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
    const auto session = make_session(o, log);
    std::optional<Experiment> ex;
    if (int rc = load(o, *session, ex)) return rc;
    std::vector<ContractCheck> checks;
    try {
        checks = session->check(*ex);
    } catch (const std::exception& e) {
        std::cerr << "racesim: error: a plugin threw during the check: " << printable(e.what()) << '\n';
        return exit_runtime;
    }
    std::size_t failed = 0;
    for (const auto& c : checks) {
        if (c.report.problems.empty()) {
            fmt::print("{}: {}: ok ({} breakpoints, {} evaluations)\n", c.scenario, c.what, c.report.breakpoints,
                       c.report.evaluations);
            continue;
        }
        ++failed;
        fmt::print("{}: {}: CONTRACT VIOLATED\n", c.scenario, c.what);
        for (const auto& p : c.report.problems) fmt::print("  {}\n", p);
    }
    if (failed) {
        std::cerr << "racesim: error: " << failed
                  << " model(s) violate the plugin contract (docs/authoring-plugins.md)\n";
        return exit_runtime;
    }
    return exit_ok;
}

/// A warning for every listed scenario's target whose time's estimated relative error exceeds
/// racesim::ill_conditioned_error (docs/numerics.md, "Conditioning of a time to target").
void warn_ill_conditioned(const RunReport& report, spdlog::logger& log) {
    for (const auto& s : report.listed)
        for (const auto& w : conditioning_warnings(s)) log.warn("{}", w);
}

/// `racesim run CONFIG --shard K/N`: block K of N of the run's work units into a shard
/// directory, for `racesim merge` (docs/cluster.md).
int cmd_run_shard(const Options& o, spdlog::logger& log) {
    ShardSpec spec;
    try {
        spec = parse_shard(*o.shard);
    } catch (const std::invalid_argument& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_usage;
    }
    const auto session = make_session(o, log);
    std::optional<Experiment> ex;
    if (int rc = load(o, *session, ex)) return rc;
    const fs::path out = o.out.empty()
                             ? fs::path("results") / fmt::format("{}-shard-{}-of-{}", ex->name, spec.k, spec.n)
                             : fs::path(o.out);
    RunOptions ro = run_options(o);
    if (o.trace) o.trace->output(out);
    try {
        const ShardManifest m = [&] {
            ProgressBar bar(!o.quiet && isatty(STDERR_FILENO));  // cleared before the log line
            ro.progress = [&bar](std::size_t done, std::size_t total) { bar(done, total); };
            return session->run_shard(*ex, ro, spec, out, o.force, o.config);
        }();
        log.info("shard {}/{}: {} of the run's {} work units ({} to {}) written to {}", spec.k, spec.n, m.units.size(),
                 m.total, m.units.first, m.units.empty() ? m.units.first : m.units.last - 1, out.string());
    } catch (const ConfigError& e) {
        e.diagnostics.print(std::cerr);
        return exit_config;
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_runtime;
    }
    if (const int sig = interrupt_signal()) return 128 + sig;
    return exit_ok;
}

/// `racesim merge --out DIR SHARD_DIR...`: the results directory of the run the shards are
/// parts of, identical to the unsharded run's (docs/cluster.md).
int cmd_merge(const Options& o, spdlog::logger& log) {
    const auto session = make_session(o, log);
    const fs::path out(o.out);
    if (o.trace) o.trace->output(out);
    LoadOptions lo = load_options(o);
    lo.max_rows = std::numeric_limits<std::size_t>::max();  // the shards ran: their rows are written already
    std::vector<fs::path> dirs(o.shards.begin(), o.shards.end());
    try {
        const MergeResult merged = session->merge(dirs, out, o.force, lo);
        const RunReport& report = merged.report;
        print_table(report, std::cout);
        warn_ill_conditioned(report, log);
        log.info("{} shards merged; results written to {}", dirs.size(), out.string());
    } catch (const ShardError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n' << "racesim: note: nothing was written\n";
        return exit_config;
    } catch (const PluginPathError& e) {
        return plugin_path_error(e);
    } catch (const LoadError& e) {
        return load_error(e);
    } catch (const ConfigError& e) {
        e.diagnostics.print(std::cerr);
        return exit_config;
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_runtime;
    }
    if (const int sig = interrupt_signal()) return 128 + sig;
    return exit_ok;
}

int cmd_run(const Options& o, spdlog::logger& log) {
    if (o.shard) return cmd_run_shard(o, log);
    const auto session = make_session(o, log);
    std::optional<Experiment> ex;
    if (int rc = load(o, *session, ex)) return rc;
    const fs::path out = o.out.empty() ? fs::path("results") / ex->name : fs::path(o.out);
    RunOptions ro = run_options(o);
    const std::size_t n = Session::scenario_count(*ex);
    if (o.trace) o.trace->output(out);  // for the supervisor to clean up after a fault
    if (!o.no_trajectories && !Session::keeps_trajectories(*ex, ro))
        log.info("{} scenarios: writing no per-scenario CSVs (summary-only mode; sweep.csv has every time to target)",
                 n);
    try {
        // Refused before integrating, not after; results stream into a temporary directory
        // that becomes `out` only when the run is complete (the writer commits at the end).
        ResultsWriter writer(*ex, out, o.force);
        {
            ProgressBar bar(!o.quiet && isatty(STDERR_FILENO));
            ro.progress = [&bar](std::size_t done, std::size_t total) { bar(done, total); };
            session->run(*ex, ro, writer);
        }
        print_table(writer.report(), std::cout);
        warn_ill_conditioned(writer.report(), log);
        log.info("results written to {}", out.string());
    } catch (const ConfigError& e) {  // a combination of sweep values, found as it was made
        e.diagnostics.print(std::cerr);
        return exit_config;
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_runtime;
    }
    if (const int sig = interrupt_signal()) return 128 + sig;  // arrived after the commit
    return exit_ok;
}

int cmd_compare(const Options& o) {
    if (!o.csv.empty()) {
        // The results directory is racesim's own (written atomically, replaced as a whole by
        // --force): a comparison written into it could overwrite one of its files.
        std::error_code ec;
        const fs::path to = fs::weakly_canonical(fs::absolute(o.csv), ec);
        const fs::path dir = fs::weakly_canonical(fs::absolute(o.results), ec);
        const fs::path rel = to.lexically_relative(dir);
        if (!ec && !rel.empty() && *rel.begin() != "..") {
            std::cerr << "racesim: error: --csv " << o.csv << " lies inside the results directory " << o.results
                      << ": refused, it could overwrite a result\n"
                      << "racesim: note: write it elsewhere, e.g. --csv " << o.a << "-vs-" << o.b << ".csv\n";
            return exit_usage;
        }
    }
    try {
        const Comparison c = compare_results(o.results, o.a, o.b);
        print_comparison(c, std::cout);
        if (!o.csv.empty()) write_compare_csv(c, o.csv);
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_usage;
    } catch (const std::invalid_argument& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_usage;
    }
    return exit_ok;
}

/// `racesim report DIR [--out FILE]`: the interactive HTML page of a results directory.
int cmd_report(const Options& o, spdlog::logger& log) {
    try {
        const ReportResult r = write_report(o.results, o.report_out);
        for (const auto& note : r.reductions) log.info("thinned for display: {}", note);
        log.info("report written to {} ({} bytes)", r.file.string(), r.bytes);
    } catch (const ReportWriteError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_runtime;
    } catch (const RunError& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_usage;
    }
    return exit_ok;
}

int cmd_plugins(const Options& o, spdlog::logger& log) {
    const auto session = make_session(o, log);
    PluginListing list;
    try {
        list = session->plugins();
    } catch (const PluginPathError& e) {
        return plugin_path_error(e);
    }
    fmt::print("{:<11} {:<22} {:<40} {}\n", "kind", "type", "library", "summary");
    for (const auto& t : list.types)
        fmt::print("{:<11} {:<22} {:<40} {}\n", plugin::to_string(t.kind), t.type, t.library.filename().string(),
                   t.summary);
    for (const auto& r : list.refused) fmt::print("refused     {}: {}\n", r.path.string(), r.reason);
    fmt::print("searched: ");
    for (std::size_t i = 0; i < list.searched.size(); ++i) fmt::print("{}{}", i ? ":" : "", list.searched[i].string());
    fmt::print("\n");
    return exit_ok;
}

DescribeFormat format_of(const std::string& f) {
    if (f == "json") return DescribeFormat::json;
    if (f == "markdown") return DescribeFormat::markdown;
    return DescribeFormat::text;
}

int cmd_describe(const Options& o, spdlog::logger& log) {
    const auto session = make_session(o, log);
    try {
        if (o.json_schema) {
            std::cout << session->config_json_schema().dump(2) << '\n';
            return exit_ok;
        }
        if (o.config_keys) {
            std::cout << describe_config_keys(format_of(o.format));
            return exit_ok;
        }
        if (o.all) {
            std::cout << session->describe_all(format_of(o.format));
            return exit_ok;
        }
        if (o.type.empty()) {
            std::cerr << "racesim: error: describe needs a plugin TYPE, --all or --json-schema\n";
            return exit_usage;
        }
        std::cout << session->describe(o.type, format_of(o.format));
    } catch (const PluginPathError& e) {
        return plugin_path_error(e);
    } catch (const UnknownTypeError& e) {
        std::cerr << "racesim: error: unknown plugin type '" << o.type << "'\n";
        if (!e.suggestion.empty()) std::cerr << "racesim: note: did you mean '" << e.suggestion << "'?\n";
        std::cerr << "racesim: note: 'racesim plugins' lists the available types\n";
        return exit_usage;
    }
    return exit_ok;
}

/// Runs a command in this process; exceptions become messages and exit codes.
int execute(const Options& o, Command cmd, spdlog::logger& log) {
    try {
        switch (cmd) {
            case Command::run:
                return cmd_run(o, log);
            case Command::merge:
                return cmd_merge(o, log);
            case Command::validate:
                return cmd_validate(o, log);
            case Command::compare:
                return cmd_compare(o);
            case Command::report:
                return cmd_report(o, log);
            case Command::check:
                return cmd_check(o, log);
            case Command::plugins:
                return cmd_plugins(o, log);
            case Command::describe:
                return cmd_describe(o, log);
        }
    } catch (const Interrupted& e) {
        std::cerr << "racesim: " << e.what() << ": stopped; no results were written\n";
        return 128 + e.signal;
    } catch (const PluginError& e) {
        std::cerr << "racesim: error: " << printable(racesim::describe(e)) << '\n';
        if (o.memory_limit > 0 && std::string_view(e.what()).find("out of memory") != std::string_view::npos)
            std::cerr << "racesim: note: the worker process's memory limit is " << o.memory_limit / (1024 * 1024)
                      << " MiB (--memory-limit)\n";
        return exit_runtime;
    } catch (const std::bad_alloc&) {
        std::cerr << "racesim: error: out of memory: the run needed more memory than it could get; no results "
                     "were written\n"
                  << "racesim: note: fewer scenarios or samples kept in memory (--no-trajectories), fewer threads "
                     "(--jobs), or a machine with more memory";
        if (o.memory_limit > 0) std::cerr << ", or a higher --memory-limit";
        std::cerr << '\n';
        return exit_runtime;
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "racesim: error: summary.json could not be made (" << printable(e.what())
                  << "); no results were written\n";
        return exit_runtime;
    } catch (const std::exception& e) {
        std::cerr << "racesim: error: " << printable(e.what()) << '\n';
        return exit_runtime;
    }
    return exit_usage;
}

/// Runs a command that loads plugins in a supervised worker process (docs/reliability.md,
/// "Plugin faults"): a crash, an exit() without the completion handshake, a scenario over
/// --scenario-timeout or memory over --memory-limit becomes exit 3 with a message naming the
/// plugin library, the type, the call and the scenario; a results directory being written is
/// cleaned up, previous results are kept.
int supervised(Options& o, Command cmd, spdlog::logger& log) {
    for (int attempt = 0;; ++attempt) {
        std::optional<WorkerTrace> trace;
        std::optional<Worker> worker;
        bool in_worker = false;
        try {
            trace.emplace();
            WorkerLimits limits;
            limits.scenario_timeout = o.scenario_timeout;
            limits.memory_limit = o.memory_limit;
            worker.emplace(*trace, limits);
            in_worker = worker->start();
        } catch (const std::system_error& e) {
            if (o.scenario_timeout > 0 || o.memory_limit > 0) {
                std::cerr << "racesim: error: cannot start the worker process (" << e.what()
                          << "), which --scenario-timeout and --memory-limit need\n";
                return exit_runtime;
            }
            log.warn("cannot start a worker process ({}): plugin code runs in racesim's own process", e.what());
            return execute(o, cmd, log);
        }
        if (in_worker) {
            o.trace = &*trace;
            const int rc = execute(o, cmd, log);
            trace->complete(rc);
            return rc;
        }
        const WorkerEnd end = worker->wait();
        if (end.kind == WorkerEnd::Kind::completed) return end.code;
        // A library that takes the worker down while it is loaded (its static initialisers, its
        // entry function) is left out of a new worker, as a library that could not be loaded:
        // configs that do not need it run; one that does is told which library is missing.
        // Loading comes before any output of a command.
        const fs::path lib = trace->loading_library();
        const bool crashed = end.kind == WorkerEnd::Kind::signalled || end.kind == WorkerEnd::Kind::exited;
        if (crashed && !lib.empty() && attempt < 32) {
            o.skipped_libraries.push_back(
                Refusal{lib, "took racesim's worker process down while being loaded: it " + Worker::cause(end)});
            continue;
        }
        // The worker died: its temporary results directory (if any) goes, previous results stay.
        if (const fs::path out = trace->output(); !out.empty()) recover_results_dir(out);
        const std::string what = worker->describe(end);
        if (end.kind == WorkerEnd::Kind::interrupted) {
            std::cerr << "racesim: interrupted by " << (end.signal == SIGINT ? "SIGINT" : "SIGTERM")
                      << ": stopped; no results were written\n";
            if (!what.empty()) std::cerr << "racesim: note: " << printable(what) << '\n';
            return 128 + end.signal;
        }
        std::cerr << "racesim: error: " << printable(what) << '\n'
                  << "racesim: note: plugin code runs in a worker process (docs/reliability.md); --in-process runs "
                     "it in racesim's own process, to debug the fault\n";
        return exit_runtime;
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"racesim: time- and efficiency-aware AI scaling simulations (dC/dt = E(t)·P(t))", "racesim"};
    app.set_version_flag(
        "--version", "racesim " + racesim::version() + " (plugin API " + std::to_string(plugin_api_version()) + ")");
    app.require_subcommand(1);
    app.fallthrough();  // global options (-q, -v, --plugin-path) may follow the subcommand
    Options o;
    // CLI::PositiveNumber would print the double range as its bound (a 309-digit number).
    const CLI::Validator positive(
        [](std::string& s) -> std::string {
            std::size_t v = 0;
            const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec == std::errc::result_out_of_range) return "'" + s + "' is too large";
            if (ec != std::errc() || p != s.data() + s.size() || v == 0)
                return "expected a positive whole number, got '" + s + "'";
            return {};
        },
        "POSITIVE");
    app.add_option("--plugin-path", o.plugin_paths, "Directory searched first for plugin libraries (repeatable)")
        ->type_name("DIR");
    auto* verbose = app.add_flag("-v,--verbose", o.verbose, "Log debug details to stderr");
    app.add_flag("-q,--quiet", o.quiet, "Log only warnings and errors")->excludes(verbose);
    // Plugin code runs in a supervised worker process unless --in-process (docs/reliability.md).
    auto* in_process =
        app.add_flag("--in-process", o.in_process,
                     "Run plugin code in racesim's own process, not in a supervised worker process (for debugging "
                     "and profiling: a plugin that crashes then takes racesim down)");
    app.add_option("--scenario-timeout", o.scenario_timeout,
                   "Stop the run (exit 3) when one scenario runs longer than SECONDS in the worker process")
        ->type_name("SECONDS")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                char* end = nullptr;
                const double v = std::strtod(s.c_str(), &end);
                if (end == s.c_str() || *end != '\0' || !(v > 0) || !(v <= 1e9))
                    return "expected a number of seconds > 0 and <= 1e9, got '" + s + "'";
                return {};
            },
            "SECONDS"))
        ->excludes(in_process);
    std::string memory_limit;
    std::string shard_text;
    app.add_option("--memory-limit", memory_limit,
                   "Stop the run (exit 3) when the worker process uses more memory than SIZE, e.g. 512M or 2G")
        ->type_name("SIZE")
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                const std::uint64_t v = parse_memory_size(s);
                if (v == 0) return "expected a size such as 512M or 2G, got '" + s + "'";
                if (v < (std::uint64_t{64} << 20)) return "'" + s + "' is too small: the least is 64M";
                return {};
            },
            "SIZE"))
        ->excludes(in_process);

    auto* run = app.add_subcommand("run", "Validate and run an experiment; write results");
    run->add_option("config", o.config, "Experiment config (YAML)")->required()->type_name("CONFIG");
    run->add_option("-o,--out", o.out, "Results directory (default: results/<name>/)")->type_name("DIR");
    run->add_flag("--force", o.force, "Replace an existing results directory (atomically; refused without --force)");
    // The limits a config is validated with: the same for run, validate and check (and merge,
    // which loads the config again: all but --max-rows, the shards having written the rows).
    auto limits = [&o, &positive](CLI::App* cmd, bool rows = true) {
        cmd->add_option("--max-scenarios", o.max_scenarios, "Refuse configs that expand to more scenarios than this")
            ->check(positive);
        cmd->add_option("--max-breakpoints", o.max_breakpoints,
                        "Refuse a rate model that declares more breakpoints than this over a scenario's horizon "
                        "(default 1000000)")
            ->check(positive);
        if (rows)
            cmd->add_option("--max-rows", o.max_rows,
                            "Refuse a run that would write more trajectory rows than this, over all its scenarios "
                            "(default 50000000, about 5 GB of CSV)")
                ->check(positive);
        cmd->add_option("--max-samples", o.max_samples,
                        "Refuse a config that asks for more Monte Carlo samples than this, over all its scenarios "
                        "(default 10000000; the run keeps 8 bytes per sample and target)")
            ->check(positive);
    };
    limits(run);

    run->add_flag("--no-trajectories", o.no_trajectories,
                  "Write no per-scenario CSV, only the summary, sweep, solve, sensitivity and samples files "
                  "(automatic above 1000 scenarios)");
    run->add_option("-j,--jobs", o.jobs, "Threads for scenarios and samples (default: every core)")->check(positive);
    auto* shard_opt =
        run->add_option("--shard", shard_text,
                        "Run only block K of N of the work units into a shard directory, for 'racesim merge' "
                        "(K/N, or 'slurm': K and N from the Slurm job array; docs/cluster.md)")
            ->type_name("K/N|slurm");

    auto* merge_cmd = app.add_subcommand(
        "merge", "Merge the shard directories of a run (racesim run --shard K/N) into its results directory");
    merge_cmd->add_option("shards", o.shards, "Shard directories, every one of the run's N")
        ->required()
        ->type_name("SHARD_DIR...");
    merge_cmd->add_option("-o,--out", o.out, "Results directory to write")->required()->type_name("DIR");
    merge_cmd->add_flag("--force", o.force,
                        "Replace an existing results directory (atomically; refused without --force)");
    limits(merge_cmd, false);  // as the shards were run with

    auto* compare_cmd = app.add_subcommand("compare", "Compare two scenarios of a results directory");
    compare_cmd->add_option("results", o.results, "Results directory written by 'racesim run'")
        ->required()
        ->type_name("DIR");
    compare_cmd->add_option("a", o.a, "First scenario (a)")->required()->type_name("A");
    compare_cmd->add_option("b", o.b, "Second scenario (b)")->required()->type_name("B");
    compare_cmd->add_option("--csv", o.csv, "Also write the side-by-side rows to this CSV file")->type_name("FILE");

    auto* report_cmd = app.add_subcommand(
        "report", "Write an interactive HTML report of a results directory (one self-contained file)");
    report_cmd->add_option("results", o.results, "Results directory written by 'racesim run'")
        ->required()
        ->type_name("DIR");
    report_cmd->add_option("-o,--out", o.report_out, "The HTML file to write (default: DIR/report.html)")
        ->type_name("FILE");

    auto* validate_cmd = app.add_subcommand("validate", "Check a config without running it");
    validate_cmd->add_option("config", o.config, "Experiment config (YAML)")->required()->type_name("CONFIG");
    limits(validate_cmd);

    auto* check_cmd =
        app.add_subcommand("check", "Check the plugin contract (breakpoints, jumps, frozen regimes, loss inverse)");
    check_cmd->add_option("config", o.config, "Experiment config (YAML) whose models to check")
        ->required()
        ->type_name("CONFIG");
    limits(check_cmd);

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
    describe
        ->add_flag("--config-keys", o.config_keys,
                   "Describe the framework's own config keys (docs/reference/config-keys.md)")
        ->excludes(type_opt);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }

    o.memory_limit = memory_limit.empty() ? 0 : parse_memory_size(memory_limit);
    if (shard_opt->count() > 0) o.shard = shard_text;  // given, even as '' (refused then)

    auto log = make_logger(o);
    install_interrupt_handlers();
    // Over the file-size limit (ulimit -f), a write fails with EFBIG and is reported, instead of
    // SIGXFSZ killing the process without a word.
    std::signal(SIGXFSZ, SIG_IGN);
    Command cmd;
    if (*run)
        cmd = Command::run;
    else if (*merge_cmd)
        cmd = Command::merge;
    else if (*validate_cmd)
        cmd = Command::validate;
    else if (*compare_cmd)
        cmd = Command::compare;
    else if (*report_cmd)
        cmd = Command::report;
    else if (*check_cmd)
        cmd = Command::check;
    else if (*plugins)
        cmd = Command::plugins;
    else if (*describe)
        cmd = Command::describe;
    else
        return exit_usage;
    // compare and report read results and load no plugin; the others run plugin code (loading a
    // library runs its static initialisers).
    if (o.in_process || cmd == Command::compare || cmd == Command::report) return execute(o, cmd, *log);
    return supervised(o, cmd, *log);
}
