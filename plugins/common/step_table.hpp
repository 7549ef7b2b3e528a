// A piecewise table of (time, value) rows, given in a config either inline (a `table`
// parameter) or as a CSV file (a `path` parameter), shared by the built-in plugins that read
// one (efficiency generation-table, algorithms algorithm-table, power time-series) and by the
// exact reference, so that a table means exactly the same thing to the model and to its
// verification.
#pragma once

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/models.hpp"
#include "racesim/plugin/schema.hpp"

namespace racesim::plugins {

struct StepTable {
    std::vector<double> t;  ///< yr since the start of the experiment, strictly increasing, t[0] <= 0
    std::vector<double> v;  ///< the value from t[k] on

    /// The row in force on (a segment whose midpoint is) `t`: the last k with t[k] <= t.
    [[nodiscard]] std::size_t row_at(double t_mid) const {
        const auto it = std::upper_bound(t.begin(), t.end(), t_mid);
        return it == t.begin() ? 0 : static_cast<std::size_t>(it - t.begin()) - 1;
    }
    /// Appends the row times in the open interval (t0, t1), increasing.
    void breakpoints(double t0, double t1, std::vector<double>& out) const {
        for (double x : t)
            if (x > t0 && x < t1) out.push_back(x);
    }
};

namespace detail {

inline bool parse_number(const std::string& cell, double& out) {
    std::string s = cell;
    s.erase(0, s.find_first_not_of(" \t\r"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    if (s.empty()) return false;
    std::istringstream is(s);
    is >> out;
    return is && is.eof() && std::isfinite(out);
}

/// Reads a two-column CSV: blank lines and lines starting with '#' are skipped; the first
/// other line may be a header (a first cell that is not a number).
inline plugin::Table read_csv(const std::string& file, const std::string& key) {
    std::ifstream in(file);
    if (!in) throw plugin::ParameterError(key, "cannot read " + file);
    plugin::Table rows;
    std::string line;
    bool first = true;
    for (int lineno = 1; std::getline(in, line); ++lineno) {
        const auto start = line.find_first_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') continue;
        std::vector<std::string> cells;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
        double a = 0, b = 0;
        const bool numeric = cells.size() == 2 && parse_number(cells[0], a) && parse_number(cells[1], b);
        if (!numeric && first && !cells.empty() && !parse_number(cells[0], a)) {  // a header line
            first = false;
            continue;
        }
        first = false;
        if (!numeric)
            throw plugin::ParameterError(key, file + ":" + std::to_string(lineno) +
                                                  ": expected two numbers separated by a comma, got '" + line + "'");
        rows.push_back({a, b});
    }
    if (rows.empty()) throw plugin::ParameterError(key, file + ": no data rows");
    return rows;
}

}  // namespace detail

/// The table of parameter `table_key` or, when absent, of the CSV file `file_key` (exactly
/// one must be given), with times shifted by -origin. Checks: times strictly increasing, the
/// first at or before t = 0 (so the value at t = 0 is defined), values > 0 (or >= 0 when
/// `allow_zero`).
inline StepTable read_step_table(const plugin::Params& p, const std::string& table_key, const std::string& file_key,
                                 const std::string& what, double origin, bool allow_zero) {
    const bool has_table = p.has(table_key), has_file = p.has(file_key);
    if (has_table == has_file)
        throw plugin::ParameterError(
            has_table ? file_key : table_key,
            "give exactly one of '" + table_key + "' (rows inline) and '" + file_key + "' (a CSV file)");
    const std::string key = has_table ? table_key : file_key;
    const std::string where = has_table ? table_key : p.path(file_key);
    const plugin::Table rows = has_table ? p.table(table_key) : detail::read_csv(p.path(file_key), file_key);
    StepTable out;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const double t = rows[k].at(0) - origin, v = rows[k].at(1);
        const std::string row = where + " row " + std::to_string(k + 1);
        if (!out.t.empty() && !(t > out.t.back()))
            throw plugin::ParameterError(key, row + ": times must be strictly increasing (" +
                                                  plugin::math::format(rows[k][0]) + " after " +
                                                  plugin::math::format(out.t.back() + origin) + ")");
        if (!std::isfinite(v) || (allow_zero ? v < 0 : !(v > 0)))
            throw plugin::ParameterError(
                key, row + ": " + what + " = " + plugin::math::format(v) + " must be " + (allow_zero ? ">= 0" : "> 0"));
        out.t.push_back(t);
        out.v.push_back(v);
    }
    if (!(out.t.front() <= 0))
        throw plugin::ParameterError(key, where + ": the first row is at t = " + plugin::math::format(out.t.front()) +
                                              " yr after the start; the table must say what holds at t = 0 (a row "
                                              "at or before time_origin)");
    return out;
}

/// The keys of a multiplier table: `steps` (rows inline) or `file` (a CSV file), and
/// `time_origin` (the table time that is t = 0). Declared by the efficiency generation-table and
/// the algorithms algorithm-table, whose rates are MultiplierTableRate.
inline void declare_multiplier_table(plugin::Schema& s) {
    s.add_table("steps", {"time", "multiplier"})
        .computed_default("none: give steps or file")
        .doc("Rows [time (yr, + time_origin), multiplier (> 0)], times strictly increasing.");
    s.add_path("file")
        .computed_default("none: give steps or file")
        .doc("CSV file of rows time,multiplier; relative paths are read from the config file's directory.");
    s.add_real("time_origin")
        .default_value(0.0)
        .unit("yr")
        .doc("The table time that is t = 0 (e.g. 2020 for a table in calendar years).");
}

/// A piecewise-constant rate from a multiplier table (declare_multiplier_table's keys):
/// value0 · m(t) / m(0), m(t) the multiplier of the last row with time <= t, evaluated at the
/// segment's midpoint; breakpoints at the row times. Only ratios of multipliers matter.
class MultiplierTableRate final : public plugin::RateModel {
public:
    MultiplierTableRate(const plugin::Params& p, double value0)
        : table_(read_step_table(p, "steps", "file", "multiplier", p.real("time_origin"), false)) {
        const double log_m0 = std::log(table_.v[table_.row_at(0.0)]);
        for (double m : table_.v) log_value_.push_back(std::log(value0) + std::log(m) - log_m0);
    }

    double log_value(double, double, const plugin::Segment& s) const override {
        return log_value_[table_.row_at(s.mid())];
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override { table_.breakpoints(t0, t1, out); }

private:
    StepTable table_;
    std::vector<double> log_value_;
};

}  // namespace racesim::plugins
