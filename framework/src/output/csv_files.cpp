#include "csv_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>

#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/output/writer.hpp"

namespace fs = std::filesystem;

namespace racesim {

void write_failed(const fs::path& file) {
    const int err = errno;
    std::string why = err ? std::strerror(err) : "the stream failed";
    if (err == ENOSPC) why += " (the disk is full)";
    if (err == EDQUOT) why += " (the disk quota is used up)";
    if (err == EFBIG) why += " (over the file-size limit: ulimit -f)";
    throw RunError("error while writing " + file.string() + ": " + why + "; no results were written");
}

namespace {

/// Appends `x` to `v` unless it is there already.
void add_unique(std::vector<std::string>& v, const std::string& x) {
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

/// The header fields of a table's columns, each name after `prefix`.
template <class Row, std::size_t N>
void header(csv::Line& line, const std::array<columns::Column<Row>, N>& table, std::string_view prefix = {}) {
    std::string name;
    for (const auto& c : table) {
        name.assign(prefix);
        name += c.name;
        line.text(name);
    }
}

/// A row's fields, one per column of a table.
template <class Row, std::size_t N>
void cells(csv::Line& line, const std::array<columns::Column<Row>, N>& table, const Row& row) {
    for (const auto& c : table) c.cell(line, row);
}

/// A group's fields: one per column, empty when the row has none of it.
template <class T, std::size_t N>
void cells(csv::Line& line, const std::array<columns::Column<T>, N>& group, const std::optional<T>& v) {
    if (!v) {
        for (std::size_t k = 0; k < N; ++k) line.empty_field();
        return;
    }
    cells(line, group, *v);
}

/// A target's group of columns, with its date after its time when `dates`: the header (no
/// outcome, a label) or a row's fields (empty when the row has no such target).
template <std::size_t M>
void target_group(csv::Line& line, const std::array<columns::Column<columns::Outcome>, M>& group, bool dates,
                  const std::optional<columns::Outcome>& o, std::string_view label = {}) {
    auto column = [&](const columns::Column<columns::Outcome>& c) {
        if (!label.empty()) {
            std::string name(label);
            name += c.name;
            line.text(name);
        } else if (o) {
            c.cell(line, *o);
        } else {
            line.empty_field();
        }
    };
    for (std::size_t k = 0; k < M; ++k) {
        column(group[k]);
        if (k == 0 && dates) column(columns::target_date);
    }
}

/// The header of a file with leading columns, a group per path and a group per target label.
template <class Row, std::size_t N, std::size_t M>
std::string grouped_header(const std::array<columns::Column<Row>, N>& leading,
                           const columns::Column<std::optional<double>>& parameter,
                           const std::vector<std::string>& paths,
                           const std::array<columns::Column<columns::Outcome>, M>& target,
                           const std::vector<std::string>& labels, bool dates) {
    csv::Line line;
    header(line, leading);
    for (const auto& p : paths) line.text(p + std::string(parameter.name));
    for (const auto& l : labels) target_group(line, target, dates, std::nullopt, l);
    return line.str();
}

template <class Row, std::size_t N>
std::string table_header(const std::array<columns::Column<Row>, N>& table) {
    csv::Line line;
    header(line, table);
    return line.str();
}

void finish(std::ofstream& out, const fs::path& file) {
    out.flush();
    if (!out) write_failed(file);
}

void write_line(std::ofstream& out, const csv::Line& line) {
    const std::string& s = line.str();
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
    out.put('\n');
}

}  // namespace

std::string csv_file_name(const std::string& scenario) {
    std::string s;
    for (char c : scenario) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("._=+,[]-").find(c) != std::string_view::npos;
        s += ok ? c : '_';
    }
    return s + ".csv";
}

std::string compare_file_name(const Comparison& c) {
    const std::string a = csv_file_name(c.a), b = csv_file_name(c.b);
    return "compare_" + a.substr(0, a.size() - 4) + "_vs_" + b;
}

void write_compare_csv(const Comparison& c, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    csv::Line line;
    header(line, columns::comparison);
    write_line(out, line);
    for (const auto& r : c.rows) {
        line.clear();
        cells(line, columns::comparison, r);
        write_line(out, line);
    }
    finish(out, file);
}

void write_trajectory_csv(const ScenarioResult& s, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    const bool ref = s.spec->reference.has_value();
    const std::optional<double> y0 = s.spec->start_year;
    const bool alg = s.trajectory.has_algorithms();
    // t, then (with a start_year) year, then the other columns of `trajectory`, with (with
    // algorithms) A and C_physical after C.
    auto leading = [&](csv::Line& line, const columns::TrajectoryRow* row) {
        auto column = [&](const columns::Column<columns::TrajectoryRow>& c) {
            if (row)
                c.cell(line, *row);
            else
                line.text(c.name);
        };
        for (std::size_t k = 0; k < columns::trajectory.size(); ++k) {
            column(columns::trajectory[k]);
            if (k == 0 && y0) column(columns::trajectory_year);
            if (k == 1 && alg)
                for (const auto& c : columns::trajectory_algorithms) column(c);
        }
    };
    csv::Line line;
    leading(line, nullptr);
    if (ref) header(line, columns::trajectory_reference);
    for (const auto& q : s.auxiliary) line.text(q.name);
    write_line(out, line);
    const Trajectory& tr = s.trajectory;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        const columns::TrajectoryRow row{tr, i, y0.value_or(0)};
        line.clear();
        leading(line, &row);
        if (ref) cells(line, columns::trajectory_reference, row);
        for (std::size_t k = 0; k < tr.aux.size(); ++k) columns::auxiliary_cell(line, row, k);
        write_line(out, line);
    }
    finish(out, file);
}

void CsvStream::row(const std::string& line) {
    if (!out_.is_open()) {
        out_.open(file_);
        if (!out_) throw RunError("cannot create " + file_.string());
        out_ << header_ << '\n';
    }
    out_ << line << '\n';
    if (!out_) write_failed(file_);
}

void CsvStream::close() {
    if (!out_.is_open()) return;
    out_.flush();
    if (!out_) write_failed(file_);
    out_.close();
}

namespace {

std::vector<std::string> swept_paths(const Experiment& ex) {
    std::vector<std::string> v;
    for (const auto& sc : ex.scenarios)
        if (sc.sweep_plan)
            for (const auto& a : sc.sweep_plan->axes) add_unique(v, a.path);
    return v;
}

/// Whether sweep.csv has date columns: a swept scenario has a start_year.
bool swept_dates(const Experiment& ex) {
    for (const auto& sc : ex.scenarios)
        if (sc.sweep_plan && sc.start_year) return true;
    return false;
}

std::vector<std::string> swept_labels(const Experiment& ex) {
    std::vector<std::string> v;
    for (const auto& sc : ex.scenarios)
        if (sc.sweep_plan)
            for (const auto& t : sc.targets) add_unique(v, target_label(t));
    return v;
}

}  // namespace

SweepCsv::SweepCsv(const Experiment& ex, CsvStream& out)
    : paths_(swept_paths(ex)),
      labels_(swept_labels(ex)),
      out_(out),
      values_(paths_.size()),
      targets_(labels_.size()),
      dates_(swept_dates(ex)) {}

std::string SweepCsv::header(const Experiment& ex) {
    return grouped_header(columns::sweep, columns::sweep_parameter, swept_paths(ex), columns::sweep_target,
                          swept_labels(ex), swept_dates(ex));
}

void SweepCsv::render(const columns::SweepRow& r) {
    line_.clear();
    cells(line_, columns::sweep, r);
    for (const auto& v : values_) columns::sweep_parameter.cell(line_, v);
    for (const auto& t : targets_) target_group(line_, columns::sweep_target, dates_, t);
    out_.row(line_.str());
}

void SweepCsv::row(const ScenarioResult& s) {
    for (std::size_t c = 0; c < paths_.size(); ++c) {
        std::optional<double> v;
        for (const auto& a : s.spec->sweep)
            if (a.path == paths_[c]) v = parameter_value(*s.spec, paths_[c]);
        values_[c] = v;
    }
    for (std::size_t c = 0; c < labels_.size(); ++c) {
        const TargetResult* t = nullptr;
        for (const auto& x : s.targets)
            if (target_label(x.spec) == labels_[c]) t = &x;
        targets_[c] = t ? std::optional<columns::Outcome>({t->time, t->reached, t->unreachable, t->reference_time,
                                                           date_of(s.spec->start_year, t->time)})
                        : std::nullopt;
    }
    render({s.spec->name, s.spec->origin});
}

void SweepCsv::rows(const SweepRows& rows) {
    const ScenarioSpec& sc = *rows.declared;
    const SweepPlan& plan = *sc.sweep_plan;
    // Each column: its axis in this sweep, its target in this scenario, or none.
    std::vector<int> axis_of(paths_.size(), -1);
    for (std::size_t c = 0; c < axis_of.size(); ++c)
        for (std::size_t j = 0; j < plan.axes.size(); ++j)
            if (plan.axes[j].path == paths_[c]) axis_of[c] = static_cast<int>(j);
    std::vector<int> target_of(labels_.size(), -1);
    for (std::size_t c = 0; c < target_of.size(); ++c)
        for (std::size_t k = 0; k < sc.targets.size(); ++k)
            if (target_label(sc.targets[k]) == labels_[c]) target_of[c] = static_cast<int>(k);
    for (std::size_t r = 0; r < rows.n; ++r) {
        for (std::size_t c = 0; c < axis_of.size(); ++c) {
            const int j = axis_of[c];
            values_[c] = j < 0 ? std::nullopt : std::optional<double>(rows.values[static_cast<std::size_t>(j)][r]);
        }
        for (std::size_t c = 0; c < target_of.size(); ++c) {
            const int k = target_of[c];
            if (k < 0) {
                targets_[c].reset();
                continue;
            }
            // The closed form's time is also the reference time; +inf: not reached, NaN: never.
            const double t = rows.times[static_cast<std::size_t>(k)][r];
            columns::Outcome o;
            if (std::isfinite(t)) {
                o.time = o.reference_time = t;
                o.reached = true;
                o.date = date_of(sc.start_year, t);
            } else {
                o.unreachable = std::isnan(t);
            }
            targets_[c] = o;
        }
        render({plan.name(sc.name, rows.k0 + r), sc.name});
    }
}

namespace {

std::vector<std::string> sampled_paths(const Experiment& ex) {
    std::vector<std::string> v;
    for (const auto& sc : ex.scenarios)
        if (const auto* smp = find_analysis<SampleSpec>(sc))
            for (const auto& p : smp->paths) add_unique(v, p);
    return v;
}

/// Whether samples.csv has date columns: a sampled scenario has a start_year.
bool sampled_dates(const Experiment& ex) {
    for (const auto& sc : ex.scenarios)
        if (find_analysis<SampleSpec>(sc) && sc.start_year) return true;
    return false;
}

std::vector<std::string> sampled_labels(const Experiment& ex) {
    std::vector<std::string> v;
    for (const auto& sc : ex.scenarios)
        if (find_analysis<SampleSpec>(sc))
            for (const auto& t : sc.targets) add_unique(v, target_label(t));
    return v;
}

}  // namespace

SamplesCsv::SamplesCsv(const Experiment& ex, CsvStream& out)
    : ex_(ex), paths_(sampled_paths(ex)), labels_(sampled_labels(ex)), out_(out), dates_(sampled_dates(ex)) {}

std::string SamplesCsv::header(const Experiment& ex) {
    return grouped_header(columns::samples, columns::sample_parameter, sampled_paths(ex), columns::sample_target,
                          sampled_labels(ex), sampled_dates(ex));
}

void SamplesCsv::row(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                     const std::vector<double>& times) {
    if (of_ != &sc) {
        // Worked out once per scenario of the experiment (its samples come one after another),
        // for every row of a scenario from elsewhere.
        const std::less<const ScenarioSpec*> before;
        const bool own =
            !ex_.scenarios.empty() && !before(&sc, &ex_.scenarios.front()) && !before(&ex_.scenarios.back(), &sc);
        const SampleSpec& sp = *find_analysis<SampleSpec>(sc);
        path_of_.assign(paths_.size(), -1);
        for (std::size_t c = 0; c < paths_.size(); ++c) {
            const auto it = std::find(sp.paths.begin(), sp.paths.end(), paths_[c]);
            if (it != sp.paths.end()) path_of_[c] = static_cast<int>(it - sp.paths.begin());
        }
        target_of_.assign(labels_.size(), -1);
        for (std::size_t c = 0; c < labels_.size(); ++c) {
            std::size_t k = 0;
            while (k < sc.targets.size() && target_label(sc.targets[k]) != labels_[c]) ++k;
            if (k < sc.targets.size()) target_of_[c] = static_cast<int>(k);
        }
        of_ = own ? &sc : nullptr;
    }
    line_.clear();
    cells(line_, columns::samples, columns::SampleRow{sc.name, index});
    for (const int j : path_of_)
        columns::sample_parameter.cell(line_,
                                       j < 0 ? std::nullopt : std::optional<double>(x[static_cast<std::size_t>(j)]));
    for (const int k : target_of_) {
        std::optional<columns::Outcome> o;
        if (k >= 0) {
            const double t = times[static_cast<std::size_t>(k)];
            o.emplace();
            if (std::isfinite(t)) {
                o->time = t;
                o->reached = true;
                o->date = date_of(sc.start_year, t);
            }
        }
        target_group(line_, columns::sample_target, dates_, o);
    }
    out_.row(line_.str());
}

namespace {

std::string table_header(const TableDef& def) {
    csv::Line line;
    for (const auto& c : def.columns) line.text(c.name);
    return line.str();
}

}  // namespace

TableCsv::TableCsv(const fs::path& dir, const TableDef& def)
    : def_(def), out_(dir / (std::string(def.name) + ".csv"), table_header(def)) {}

void TableCsv::rows(const TableRows& rows) {
    if (&rows.table() != &def_) throw std::logic_error("racesim: rows of another table");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows.cells(i, cells_);
        if (cells_.size() != def_.columns.size())
            throw std::logic_error("racesim: a row of " + std::string(def_.name) + ".csv has " +
                                   std::to_string(cells_.size()) + " cells for " + std::to_string(def_.columns.size()) +
                                   " columns");
        line_.clear();
        for (std::size_t k = 0; k < cells_.size(); ++k) {
            const Cell& c = cells_[k];
            if (std::holds_alternative<std::monostate>(c)) {
                line_.empty_field();
                continue;
            }
            switch (def_.columns[k].kind) {
                case CellKind::number:
                    line_.number(std::get<double>(c));
                    break;
                case CellKind::integer:
                    line_.integer(std::get<std::int64_t>(c));
                    break;
                case CellKind::text:
                    line_.text(std::get<std::string>(c));
                    break;
                case CellKind::word:
                    line_.word(std::get<std::string>(c));
                    break;
            }
        }
        out_.row(line_.str());
    }
}

}  // namespace racesim
