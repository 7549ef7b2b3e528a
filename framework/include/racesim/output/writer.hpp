// Results -> files (summary.json, one <scenario>.csv each), written atomically, and the
// readable table on stdout. Knows only Results.
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "racesim/run/runner.hpp"

namespace racesim {

/// The CSV file name of a scenario: its name with characters outside [A-Za-z0-9._=+,[]-]
/// replaced by '_', plus ".csv".
std::string csv_file_name(const std::string& scenario);

/// A sweep's scenarios in a nutshell: kept instead of its scenarios when they are not listed
/// one by one in summary.json (summary-only mode), so that memory does not grow with them.
struct SweepStats {
    const ScenarioSpec* declared = nullptr;
    std::size_t scenarios = 0;
    struct Target {
        std::string label;
        std::size_t reached = 0, unreachable = 0;
        std::optional<double> min_time, max_time;
        /// Counts one scenario's outcome: its time (nullopt: not reached by the horizon).
        void add(const std::optional<double>& time, bool never) {
            if (never) ++unreachable;
            if (!time) return;
            ++reached;
            min_time = min_time ? std::min(*min_time, *time) : *time;
            max_time = max_time ? std::max(*max_time, *time) : *time;
        }
    };
    std::vector<Target> targets;
    std::optional<double> max_time_rel_err, max_rel_err_R;  ///< worst over the sweep, against its reference
    std::string max_time_rel_err_scenario, max_rel_err_R_scenario;
    SweepCounts counts;       ///< the analyses' counts over the sweep's scenarios (Analysis::count)
    bool vectorised = false;  ///< evaluated by the reference's vectorised closed form (SweepRows)
};

/// What summary.json and the table on stdout say about a run: the scenarios listed one by one
/// (every scenario when trajectories are kept, else the scenarios that are not swept), a
/// summary of each sweep, the Monte Carlo statistics and the comparisons.
struct RunReport {
    const Experiment* experiment = nullptr;
    std::size_t scenarios = 0;
    bool trajectories = true;               ///< trajectories were kept (RunInfo)
    std::vector<PluginProvenance> plugins;  ///< RunInfo::plugins
    std::vector<ScenarioResult> listed;     ///< without their rows
    std::vector<std::string> csv;           ///< per listed scenario: its CSV file name, "" when none
    /// Per listed scenario: its analyses' entries in its summary.json object (Analysis::summarize).
    std::vector<nlohmann::ordered_json> listed_summary;
    std::string console;  ///< the analyses' console lines of the listed scenarios (Analysis::console)
    std::vector<SweepStats> sweeps;
    /// The rows of each analysis table written (<name>.csv), in order of first appearance.
    std::vector<std::pair<const TableDef*, std::size_t>> tables;
    /// The rows of the tables that also go to summary.json (TableDef::in_summary), collected.
    std::vector<std::shared_ptr<TableRows>> summary_tables;
    std::vector<Comparison> comparisons;
    std::vector<MonteCarloResult> monte_carlo;
    double wall_seconds = 0;
};

/// The whole summary.json document (schema: docs/results.md).
nlohmann::ordered_json summary_json(const RunReport& r);

/// The experiment as resolved (defaults, extends; a sweep as written): summary.json's
/// `resolved_config`.
nlohmann::ordered_json resolved_config_json(const Experiment& ex);

/// Builds a run's RunReport from its results as they arrive, writing nothing: the report a
/// ResultsWriter makes of the same run (it uses one), so summary_json(report()) is the run's
/// summary.json. Used alone by clients that keep results in memory (the Python package).
class RunReporter final : public RunSink {
public:
    explicit RunReporter(const Experiment& ex);

    void begin(const RunInfo& info) override;
    void scenario(const ScenarioResult& r) override { (void)add(r); }
    void sample(const ScenarioSpec&, std::size_t, const std::vector<double>&, const std::vector<double>&) override {}
    void sweep_rows(const SweepRows& rows) override;
    /// Counts a sampled scenario's tables (its bands).
    void monte_carlo(const MonteCarloResult& mc) override;
    /// Takes the comparisons, Monte Carlo statistics and timing of the finished run.
    void end(const RunSummary& summary) override;

    /// Counts a scenario; returns the name of its CSV file ("" when it has no trajectory).
    std::string add(const ScenarioResult& r);

    [[nodiscard]] const RunReport& report() const { return report_; }
    [[nodiscard]] RunReport take() { return std::move(report_); }

private:
    SweepStats& stats_of(const std::string& swept);  ///< the summary of the declared sweep of that name
    std::string csv_name(const std::string& scenario);
    void add_tables(const std::vector<std::shared_ptr<const TableRows>>& tables);

    std::unordered_set<std::string> csv_taken_;
    RunReport report_;
};

/// The report of a whole run kept in memory (what ResultsWriter would report of it).
RunReport run_report(const RunResult& r);

/// Streams a run into a results directory `dir`: every file is written, as results arrive,
/// into a temporary sibling directory, and commit() makes it `dir` in one step; `dir` is
/// checked, and with `force` replaced, by AtomicResultsDir (racesim/output/results_dir.hpp:
/// the marker file, the directories never replaced, the figures/ carried over, the locks). A
/// process killed at any instant leaves the previous `dir` or the complete new one, never a
/// mix. A writer destroyed without commit() (an error, an interrupt) removes its temporary
/// directory. Throws RunError.
///
/// Per scenario: its CSV (when it has rows), its row in sweep.csv and solve.csv, its
/// analyses' rows (<table>.csv); per Monte Carlo sample, its row in samples.csv. Kept in memory: the
/// listed scenarios (RunReport) and one SweepStats per sweep.
class ResultsWriter final : public RunSink {
public:
    ResultsWriter(const Experiment& ex, const std::filesystem::path& dir, bool force);
    ~ResultsWriter() override;
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;

    /// Learns whether trajectories are kept (summary-only mode when not).
    void begin(const RunInfo& info) override;
    void scenario(const ScenarioResult& r) override;
    void sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                const std::vector<double>& times) override;
    void sweep_rows(const SweepRows& rows) override;
    /// A sampled scenario's tables (bands.csv).
    void monte_carlo(const MonteCarloResult& mc) override;
    /// The run is complete: commit(summary).
    void end(const RunSummary& summary) override { commit(summary); }

    /// Writes the comparisons and summary.json, then commits the directory. Checks
    /// racesim::check_interrupt() last, before the rename.
    void commit(RunSummary s);

    /// The report (complete after commit()).
    [[nodiscard]] const RunReport& report() const { return reporter_.report(); }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    RunReporter reporter_;
};

/// Writes a whole run kept in memory (RunResult) through a ResultsWriter.
void write_results(const RunResult& r, const std::filesystem::path& dir, bool force);

/// The file name of a comparison's CSV: compare_<a>_vs_<b>.csv.
std::string compare_file_name(const Comparison& c);

/// Writes a comparison's rows (t, C_a, C_b, C_ratio, R_a, R_b, R_gap) as CSV.
void write_compare_csv(const Comparison& c, const std::filesystem::path& file);

/// The readable report of a comparison.
void print_comparison(const Comparison& c, std::ostream& os);

/// One line per target of each listed scenario (scenario, target, time, reference time,
/// errors), a line per target of each sweep not listed, and the analyses' summaries.
void print_table(const RunReport& r, std::ostream& os);

}  // namespace racesim
