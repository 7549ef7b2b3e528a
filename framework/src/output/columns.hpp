// The columns of every CSV file of a results directory, each defined once: its header name,
// its unit and meaning, and how a row fills its cell. The renderers (csv_files.cpp) write the
// headers and the rows from these tables and nothing else; the reader (reader.cpp) finds its
// columns by these names. docs/results.md, docs/analyses.md and docs/monte-carlo.md describe
// the files.
//
// A file is a list of columns, or, when its columns depend on the experiment (sweep.csv and
// samples.csv), leading columns, then a group of columns per swept or sampled path, then a
// group per target label. In a group, a column's name is what follows the path or the label
// in the header ("" for the path's own column, " time" for "R=0.68 time"), and a row that has
// no such path or target leaves each column of the group empty.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "racesim/core/csv.hpp"
#include "racesim/run/results.hpp"

namespace racesim::columns {

/// One column of a results CSV file.
template <class Row>
struct Column {
    std::string_view name;  ///< in the header (in a group: what follows the path or the label)
    std::string_view unit;  ///< "" when it has none
    std::string_view doc;
    void (*cell)(csv::Line&, const Row&);  ///< appends this column's field of a row
};

/// One target in one row of sweep.csv or samples.csv.
struct Outcome {
    std::optional<double> time;  ///< yr, when reached by the horizon
    bool reached = false;
    bool unreachable = false;  ///< proven never reached (by the reference)
    std::optional<double> reference_time;
    std::optional<double> date;  ///< start_year + time, when the row's scenario has a start_year
};

// <scenario>.csv: a scenario's trajectory, one row per output time. The columns of
// `trajectory`, then, with a reference, those of `trajectory_reference`, then one column per
// auxiliary quantity of the loss law (name, unit and doc: ScenarioResult::auxiliary, from the scenario's Model).
// Their names are racesim::trajectory_columns (config/experiment.hpp), which auxiliary
// quantities may not take.
struct TrajectoryRow {
    const Trajectory& tr;
    std::size_t i;
    double start_year;  ///< the scenario's start_year (0 without one: then `year` is not written)
};
extern const std::array<Column<TrajectoryRow>, 6> trajectory;
extern const std::array<Column<TrajectoryRow>, 2> trajectory_reference;
/// With a start_year: the date of t, after the column t.
extern const Column<TrajectoryRow> trajectory_year;
// With `algorithms:`: A and C_physical, right after C (C is then effective compute).
extern const std::array<Column<TrajectoryRow>, 2> trajectory_algorithms;
/// An auxiliary quantity's column: the value of column k of Trajectory::aux.
void auxiliary_cell(csv::Line& line, const TrajectoryRow& row, std::size_t k);

// sweep.csv: one row per scenario of every sweep. `sweep`, then `sweep_parameter` per swept
// path of the experiment, then `sweep_target` per target label of its swept scenarios.
struct SweepRow {
    std::string_view scenario, origin;
};
extern const std::array<Column<SweepRow>, 2> sweep;
extern const Column<std::optional<double>> sweep_parameter;
extern const std::array<Column<Outcome>, 3> sweep_target;
/// In sweep.csv and samples.csv when a swept or sampled scenario has a start_year: after a
/// target's " time", its date.
extern const Column<Outcome> target_date;

// samples.csv: one row per Monte Carlo sample. `samples`, then `sample_parameter` per sampled
// path of the experiment, then `sample_target` per target label of its sampled scenarios.
struct SampleRow {
    std::string_view scenario;
    std::size_t index;
};
extern const std::array<Column<SampleRow>, 2> samples;
extern const Column<std::optional<double>> sample_parameter;
extern const std::array<Column<Outcome>, 2> sample_target;


// compare_<a>_vs_<b>.csv: a comparison's rows.
extern const std::array<Column<CompareRow>, 7> comparison;

}  // namespace racesim::columns
