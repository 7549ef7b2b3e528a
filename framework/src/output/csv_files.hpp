// The CSV files of a results directory, one renderer each: a scenario's trajectory
// (<scenario>.csv), sweep.csv, an analysis module's table (<name>.csv), samples.csv and a comparison's
// compare_<a>_vs_<b>.csv. Headers and rows come from the column tables (columns.hpp) and are
// written with racesim/core/csv.hpp.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "columns.hpp"
#include "racesim/core/csv.hpp"
#include "racesim/run/results.hpp"

namespace racesim {

/// Throws the RunError of a failed write to `file`, with the reason errno gives (a full disk,
/// the file-size limit).
[[noreturn]] void write_failed(const std::filesystem::path& file);

/// Writes a scenario's trajectory (it has rows) to `file`. Throws RunError.
void write_trajectory_csv(const ScenarioResult& s, const std::filesystem::path& file);

/// A CSV file of the results, created at its first row (with its header), checked at close.
class CsvStream {
public:
    CsvStream(std::filesystem::path file, std::string header) : file_(std::move(file)), header_(std::move(header)) {}
    void row(const std::string& line);
    void close();

private:
    std::filesystem::path file_;
    std::string header_;
    std::ofstream out_;
};

/// sweep.csv: one row per scenario of every sweep, whether it was run as a scenario
/// (ScenarioResult) or by a vectorised closed form (SweepRows). Its columns: the swept paths
/// and the target labels of every sweep of the experiment.
class SweepCsv {
public:
    /// Renders into `out`, made with header(ex).
    SweepCsv(const Experiment& ex, CsvStream& out);
    [[nodiscard]] static std::string header(const Experiment& ex);
    void row(const ScenarioResult& s);
    void rows(const SweepRows& rows);

private:
    /// The one renderer of a row: its names, then values_ and targets_ (per column group).
    void render(const columns::SweepRow& r);

    std::vector<std::string> paths_, labels_;
    CsvStream& out_;
    std::vector<std::optional<double>> values_;             ///< per swept path of the file
    std::vector<std::optional<columns::Outcome>> targets_;  ///< per target label of the file
    csv::Line line_;
    bool dates_ = false;  ///< a " date" column after each target's time (a swept scenario has a start_year)
};

/// samples.csv: one row per Monte Carlo sample. Its columns: the sampled paths and the target
/// labels of every sampled scenario of the experiment.
class SamplesCsv {
public:
    /// Renders into `out`, made with header(ex).
    SamplesCsv(const Experiment& ex, CsvStream& out);
    [[nodiscard]] static std::string header(const Experiment& ex);
    /// Sample `index` of `sc`: its values (per sc.sample->paths) and times (per target; not
    /// finite: not reached).
    void row(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x, const std::vector<double>& times);

private:
    const Experiment& ex_;
    std::vector<std::string> paths_, labels_;
    CsvStream& out_;
    const ScenarioSpec* of_ = nullptr;      ///< the scenario of ex_ path_of_ and target_of_ are for
    std::vector<int> path_of_, target_of_;  ///< per column: index in of_'s paths / targets, or -1
    csv::Line line_;
    bool dates_ = false;  ///< a " date" column after each target's time (a sampled scenario has a start_year)
};

/// An analysis module's table, <name>.csv: the columns its TableDef declares, each cell
/// written as its column's kind says (racesim/run/analysis.hpp).
class TableCsv {
public:
    TableCsv(const std::filesystem::path& dir, const TableDef& def);
    [[nodiscard]] const TableDef& table() const { return def_; }
    void rows(const TableRows& rows);
    void close() { out_.close(); }

private:
    const TableDef& def_;
    CsvStream out_;
    csv::Line line_;
    std::vector<Cell> cells_;
};

}  // namespace racesim
