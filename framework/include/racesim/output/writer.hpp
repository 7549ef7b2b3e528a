// Results -> files (summary.json, one <scenario>.csv each), written atomically, and the
// readable table on stdout. Knows only Results.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "racesim/run/runner.hpp"

namespace racesim {

/// The CSV file name of a scenario: its name with characters outside [A-Za-z0-9._=+,[]-]
/// replaced by '_', plus ".csv".
std::string csv_file_name(const std::string& scenario);

/// The CSV file names of all scenarios of a run, made unique ("-2", "-3", ... appended).
std::vector<std::string> csv_file_names(const RunResult& r);

/// The whole summary.json document (schema: docs/results.md).
nlohmann::ordered_json summary_json(const RunResult& r);

/// Checks, before any work, that results can go to `dir`: refuses an existing `dir` unless
/// `force` (with a message saying whether it holds earlier racesim results), a `dir` that is
/// a file, and a nearest existing ancestor that is not a writable directory. Throws RunError.
void check_results_dir(const std::filesystem::path& dir, bool force);

/// Writes the results into `dir`: first into a temporary sibling directory
/// `.<leaf>.tmp-<pid>-<random>`, committed by one rename (with `force`, an existing `dir` is
/// swapped out atomically by renameat2(RENAME_EXCHANGE) and then deleted). A process killed
/// at any instant leaves the previous `dir` or the complete new one, never a mix; hidden
/// temporaries of dead racesim processes are removed by the next write to the same `dir`.
/// Checks check_results_dir() again, and racesim::check_interrupt() between files. Throws
/// RunError (or Interrupted) on any failure, leaving no partial directory behind.
void write_results(const RunResult& r, const std::filesystem::path& dir, bool force);

/// The file name of a comparison's CSV: compare_<a>_vs_<b>.csv.
std::string compare_file_name(const Comparison& c);

/// Writes a comparison's rows (t, C_a, C_b, C_ratio, R_a, R_b, R_gap) as CSV.
void write_compare_csv(const Comparison& c, const std::filesystem::path& file);

/// The readable report of a comparison.
void print_comparison(const Comparison& c, std::ostream& os);

/// One line per target: scenario, target, time, reference time, errors.
void print_table(const RunResult& r, std::ostream& os);

}  // namespace racesim
