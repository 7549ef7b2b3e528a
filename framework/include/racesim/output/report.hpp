// The interactive HTML report of a results directory (`racesim report`, docs/report.md): one
// self-contained file (the results inlined as JSON, the page's script and style and the chart
// library inlined too) that needs no network and no server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace racesim {

/// How much of a results directory is inlined for display (the rule in docs/report.md). The
/// tables of target times, sweeps summaries, quantiles and the config come from summary.json
/// whole; only the rows drawn in charts are thinned.
struct ReportLimits {
    /// Trajectory rows kept over all scenarios; each scenario keeps
    /// min(max_rows_per_scenario, max(min_rows_per_scenario, trajectory_rows / scenarios)).
    std::size_t trajectory_rows = 60000;
    std::size_t max_rows_per_scenario = 1000;
    std::size_t min_rows_per_scenario = 50;
    /// sweep.csv rows kept per declared sweep (every k-th value of each swept path).
    std::size_t sweep_rows = 20000;
    /// samples.csv: the first this many samples (they are independent draws).
    std::size_t samples = 5000;
    /// solve.csv, sensitivity.csv: the first this many rows.
    std::size_t table_rows = 5000;
};

/// The report could not be written where asked (the results themselves were readable).
class ReportWriteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What write_report wrote.
struct ReportResult {
    std::filesystem::path file;
    std::uintmax_t bytes = 0;
    std::vector<std::string> reductions;  ///< one line per thinned table ("sweep 'grid': 15625 of 1000000 rows")
};

/// Writes the report of `results_dir` to `out` (default: results_dir/report.html), atomically:
/// into a temporary sibling renamed over `out` when complete. Throws RunError when
/// `results_dir` is not a racesim results directory or a file in it is malformed, and
/// ReportWriteError when `out` cannot be written; either way nothing is left behind.
ReportResult write_report(const std::filesystem::path& results_dir, const std::filesystem::path& out = {},
                          const ReportLimits& limits = {});

}  // namespace racesim
