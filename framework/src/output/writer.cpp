#include "racesim/output/writer.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <unordered_set>

#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/output/results_dir.hpp"
#include "racesim/plugin/api.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace racesim {

std::string csv_file_name(const std::string& scenario) {
    std::string s;
    for (char c : scenario) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("._=+,[]-").find(c) != std::string_view::npos;
        s += ok ? c : '_';
    }
    return s + ".csv";
}

namespace {

ordered_json opt(const std::optional<double>& v) {
    return v ? ordered_json(*v) : ordered_json(nullptr);
}

void write_csv(const ScenarioResult& s, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    const bool ref = s.spec->model.reference != nullptr;
    out << "t,C,E,P,L,R" << (ref ? ",R_ref,rel_err" : "");
    for (const auto& q : s.spec->model.auxiliary) out << ',' << q.name;
    out << '\n';
    for (const auto& r : s.rows) {
        // fmt's "{}" is the shortest representation that reads back to the same double.
        fmt::print(out, "{},{},{},{},{},{}", r.t, r.C, r.E, r.P, r.L, r.R);
        if (ref) fmt::print(out, ",{},{}", *r.R_ref, *r.rel_err);
        for (double x : r.aux) fmt::print(out, ",{}", x);
        out << '\n';
    }
    out.flush();
    if (!out) throw RunError("error while writing " + file.string());
}

std::string cell(const std::optional<double>& v) {
    return v ? fmt::format("{}", *v) : std::string();
}

/// Quotes a CSV field when it needs it (RFC 4180).
std::string field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

void finish(std::ofstream& out, const fs::path& file) {
    out.flush();
    if (!out) throw RunError("error while writing " + file.string());
}

/// Appends `x` to `v` unless it is there already.
void add_unique(std::vector<std::string>& v, const std::string& x) {
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

/// A CSV file of the results, created at its first row (with its header), checked at close.
class CsvStream {
public:
    CsvStream(fs::path file, std::string header) : file_(std::move(file)), header_(std::move(header)) {}
    [[nodiscard]] bool opened() const { return out_.is_open(); }
    void row(const std::string& line) {
        if (!out_.is_open()) {
            out_.open(file_);
            if (!out_) throw RunError("cannot create " + file_.string());
            out_ << header_ << '\n';
        }
        out_ << line << '\n';
        if (!out_) throw RunError("error while writing " + file_.string());
    }
    void close() {
        if (!out_.is_open()) return;
        out_.flush();
        if (!out_) throw RunError("error while writing " + file_.string());
        out_.close();
    }

private:
    fs::path file_;
    std::string header_;
    std::ofstream out_;
};

ordered_json solve_json(const SolveResult& s) {
    ordered_json j;
    j["parameter"] = s.spec.path;
    j["bracket"] = {s.spec.lo, s.spec.hi};
    j["at"] = s.spec.at;
    j["scale"] = s.spec.log_scale ? "log" : "linear";
    j["tolerance"] = s.spec.tolerance;
    j["found"] = s.found;
    j["value"] = s.found ? ordered_json(s.value) : ordered_json(nullptr);
    j["final_bracket"] = {s.lo, s.hi};
    j["g_at_bracket"] = {s.g_lo, s.g_hi};
    j["simulations"] = s.evaluations;
    j["time_check"] = s.time ? ordered_json(*s.time) : ordered_json(nullptr);
    if (!s.message.empty()) j["message"] = s.message;
    return j;
}

/// sweep.csv: the swept paths and target labels of every sweep of the experiment.
struct SweepColumns {
    std::vector<std::string> paths, labels;
    explicit SweepColumns(const Experiment& ex) {
        for (const auto& sc : ex.scenarios) {
            if (!sc.sweep_plan) continue;
            for (const auto& a : sc.sweep_plan->axes) add_unique(paths, a.path);
            for (const auto& t : sc.targets) add_unique(labels, target_label(t));
        }
    }
    [[nodiscard]] std::string header() const {
        std::string h = "scenario,origin";
        for (const auto& p : paths) h += ',' + field(p);
        for (const auto& l : labels)
            h += ',' + field(l + " time") + ',' + field(l + " reached") + ',' + field(l + " reference_time");
        return h;
    }
    [[nodiscard]] std::string row(const ScenarioResult& s) const {
        std::string line = field(s.spec->name) + ',' + field(s.spec->origin);
        for (const auto& p : paths) {
            std::optional<double> v;
            for (const auto& a : s.spec->sweep)
                if (a.path == p) v = parameter_value(*s.spec, p);
            line += ',' + cell(v);
        }
        for (const auto& l : labels) {
            const TargetResult* t = nullptr;
            for (const auto& x : s.targets)
                if (target_label(x.spec) == l) t = &x;
            if (!t) {
                line += ",,,";
                continue;
            }
            line += ',' + cell(t->time) + ',' + (t->reached ? "true" : (t->unreachable ? "unreachable" : "false")) +
                    ',' + cell(t->reference_time);
        }
        return line;
    }
};

std::string solve_row(const ScenarioResult& s) {
    const SolveResult& v = *s.solve;
    return field(s.spec->name) + ',' + field(v.spec.path) + ',' +
           fmt::format("{},{},{}", v.spec.lo, v.spec.hi, v.spec.at) + ',' +
           field(target_label(s.spec->targets.at(v.spec.target))) + ',' + (v.found ? "true" : "false") + ',' +
           (v.found ? fmt::format("{}", v.value) : "") + ',' + cell(v.time) + ',' + std::to_string(v.evaluations) +
           ',' + field(v.message);
}

std::string sensitivity_row(const SensitivityRow& s) {
    auto delta = [&](const std::optional<double>& x) {
        return x && s.time ? std::optional<double>(*x - *s.time) : std::nullopt;
    };
    return field(s.scenario) + ',' + field(s.path) + ',' + field(s.target) + ',' +
           fmt::format("{},{},{},{}", s.value, s.step, s.low, s.high) + ',' + cell(s.time) + ',' + cell(s.time_low) +
           ',' + cell(s.time_high) + ',' + cell(delta(s.time_low)) + ',' + cell(delta(s.time_high)) + ',' +
           cell(s.derivative) + ',' + cell(s.elasticity) + ',' + field(s.note);
}

/// samples.csv: the sampled paths and target labels of every sampled scenario.
struct SampleColumns {
    std::vector<std::string> paths, labels;
    explicit SampleColumns(const Experiment& ex) {
        for (const auto& sc : ex.scenarios) {
            if (!sc.sample) continue;
            for (const auto& p : sc.sample->paths) add_unique(paths, p);
            for (const auto& t : sc.targets) add_unique(labels, target_label(t));
        }
    }
    [[nodiscard]] std::string header() const {
        std::string h = "scenario,sample";
        for (const auto& p : paths) h += ',' + field(p);
        for (const auto& l : labels) h += ',' + field(l + " time") + ',' + field(l + " reached");
        return h;
    }
};

ordered_json monte_carlo_json(const MonteCarloResult& mc) {
    const SampleSpec& sp = *mc.spec->sample;
    ordered_json j;
    j["scenario"] = mc.spec->name;
    j["n"] = sp.n;
    j["seed"] = sp.seed;
    ordered_json ps = ordered_json::object();
    for (std::size_t k = 0; k < sp.paths.size(); ++k) ps[sp.paths[k]] = sp.dists[k].describe();
    j["parameters"] = ps;
    if (!sp.rank_correlation.empty()) j["rank_correlation"] = sp.rank_correlation;
    ordered_json ts = ordered_json::array();
    for (const auto& st : mc.stats) {
        ordered_json t;
        t["target"] = st.target;
        t["p_reached_by_horizon"] = static_cast<double>(st.reached) / static_cast<double>(st.n);
        ordered_json by = ordered_json::object();
        for (const auto& [date, p] : st.reached_by) by[fmt::format("{}", date)] = p;
        t["p_reached_by"] = by;
        ordered_json q = ordered_json::object();
        for (const auto& [p, v] : st.quantiles) q[fmt::format("p{}", static_cast<int>(std::lround(p * 100)))] = opt(v);
        t["time_quantiles"] = q;
        t["mean_time_if_reached"] = opt(st.mean_if_reached);
        ts.push_back(t);
    }
    j["targets"] = ts;
    return j;
}

}  // namespace

std::string compare_file_name(const Comparison& c) {
    const std::string a = csv_file_name(c.a), b = csv_file_name(c.b);
    return "compare_" + a.substr(0, a.size() - 4) + "_vs_" + b;
}

void write_compare_csv(const Comparison& c, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    out << "t,C_a,C_b,C_ratio,R_a,R_b,R_gap\n";
    for (const auto& r : c.rows)
        out << fmt::format("{},{},{},{},{},{},{}\n", r.t, r.C_a, r.C_b, r.C_ratio, r.R_a, r.R_b, r.R_gap);
    finish(out, file);
}

ordered_json comparison_json(const Comparison& c) {
    ordered_json j;
    j["a"] = c.a;
    j["b"] = c.b;
    j["csv"] = compare_file_name(c);
    ordered_json ts = ordered_json::array();
    for (const auto& t : c.targets)
        ts.push_back({{"target", t.label},
                      {"time_a", opt(t.time_a)},
                      {"time_b", opt(t.time_b)},
                      {"difference", opt(t.difference)}});
    j["targets"] = ts;
    j["max_abs_R_gap"] = opt(c.max_abs_R_gap);
    j["max_abs_R_gap_at"] = opt(c.max_abs_R_gap_t);
    j["R_gap_at_max"] = opt(c.R_gap_at_max);
    j["C_ratio_min"] = opt(c.min_C_ratio);
    j["C_ratio_min_at"] = opt(c.min_C_ratio_t);
    j["C_ratio_max"] = opt(c.max_C_ratio);
    j["C_ratio_max_at"] = opt(c.max_C_ratio_t);
    j["C_ratio_final"] = c.rows.empty() ? ordered_json(nullptr) : ordered_json(c.rows.back().C_ratio);
    j["rows"] = c.rows.size();
    j["unmatched_times"] = c.unmatched_times;
    return j;
}

void print_comparison(const Comparison& c, std::ostream& os) {
    fmt::print(os, "compare '{}' (a) with '{}' (b), {} common output times\n", c.a, c.b, c.rows.size());
    auto t = [](const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string("-"); };
    for (const auto& d : c.targets)
        fmt::print(os, "  {:<14} time a {:>12}  time b {:>12}  a - b {:>12} yr\n", d.label, t(d.time_a), t(d.time_b),
                   t(d.difference));
    if (c.max_abs_R_gap)
        fmt::print(os, "  largest |R_a - R_b| = {:.6g} at t = {:.6g} yr (R_a - R_b = {:.6g})\n", *c.max_abs_R_gap,
                   *c.max_abs_R_gap_t, *c.R_gap_at_max);
    if (c.min_C_ratio)
        fmt::print(os, "  C_a/C_b: min {:.6g} at t = {:.6g} yr, max {:.6g} at t = {:.6g} yr, final {:.6g}\n",
                   *c.min_C_ratio, *c.min_C_ratio_t, *c.max_C_ratio, *c.max_C_ratio_t, c.rows.back().C_ratio);
}

namespace {

ordered_json scenario_json(const ScenarioResult& s, const std::string& csv) {
    const ScenarioSpec& sc = *s.spec;
    ordered_json o;
    o["name"] = sc.name;
    if (sc.origin != sc.name) o["origin"] = sc.origin;
    o["csv"] = csv.empty() ? ordered_json(nullptr) : ordered_json(csv);
    if (!sc.sweep.empty()) {
        ordered_json sw = ordered_json::object();
        for (const auto& a : sc.sweep) sw[a.path] = opt(parameter_value(sc, a.path));
        o["sweep"] = sw;
    }
    if (s.solve) o["solve"] = solve_json(*s.solve);
    o["efficiency"] = sc.resolved["efficiency"];
    o["power"] = sc.resolved["power"];
    o["loss"] = sc.resolved["loss"];
    o["baseline"] = sc.resolved["baseline"];
    o["horizon"] = sc.horizon;
    o["C0"] = sc.model.C0;
    o["L_C0"] = sc.model.L_start;
    if (!sc.model.auxiliary.empty()) {
        ordered_json aux = ordered_json::array();
        for (const auto& q : sc.model.auxiliary) aux.push_back({{"name", q.name}, {"unit", q.unit}, {"doc", q.doc}});
        o["auxiliary_columns"] = aux;
    }
    ordered_json ts = ordered_json::array();
    for (const auto& t : s.targets) {
        ordered_json tj;
        tj["kind"] = t.spec.kind == TargetSpec::Kind::loss ? "loss" : "relative";
        tj["loss"] = t.loss;
        tj["relative"] = t.relative;
        tj["reached"] = t.reached;
        tj["time"] = opt(t.time);
        tj["unreachable"] = t.unreachable;
        if (t.has_reference) {
            tj["reference_reached"] = t.reference_time.has_value();
            tj["reference_time"] = opt(t.reference_time);
            tj["time_rel_err"] = opt(t.time_rel_err);
        }
        ts.push_back(tj);
    }
    o["targets"] = ts;
    if (sc.reference) {
        o["reference"] = {{"type", sc.reference->selection.type},
                          {"max_rel_err_R", opt(s.max_rel_err)},
                          {"max_rel_err_R_at", opt(s.max_rel_err_time)}};
    } else {
        o["reference"] = nullptr;
    }
    o["solver"] = {{"segments", s.stats.segments},
                   {"steps", s.stats.steps},
                   {"rejected_steps", s.stats.rejected},
                   {"rhs_evaluations", s.stats.rhs_evaluations}};
    return o;
}

ordered_json sweep_json(const SweepStats& st, bool listed) {
    const SweepPlan& plan = *st.declared->sweep_plan;
    ordered_json j;
    j["scenario"] = st.declared->name;
    j["scenarios"] = st.scenarios;
    ordered_json paths = ordered_json::array();
    for (const auto& a : plan.axes) paths.push_back(a.path);
    j["paths"] = paths;
    j["zip"] = plan.zip;
    j["listed"] = listed;  // each scenario also in "scenarios" (trajectories kept), or only in sweep.csv
    ordered_json ts = ordered_json::array();
    for (const auto& t : st.targets)
        ts.push_back({{"target", t.label},
                      {"reached", t.reached},
                      {"unreachable", t.unreachable},
                      {"min_time", opt(t.min_time)},
                      {"max_time", opt(t.max_time)}});
    j["targets"] = ts;
    j["max_time_rel_err"] = opt(st.max_time_rel_err);
    j["max_time_rel_err_scenario"] =
        st.max_time_rel_err ? ordered_json(st.max_time_rel_err_scenario) : ordered_json(nullptr);
    j["max_rel_err_R"] = opt(st.max_rel_err_R);
    j["max_rel_err_R_scenario"] = st.max_rel_err_R ? ordered_json(st.max_rel_err_R_scenario) : ordered_json(nullptr);
    if (st.solves) j["solves_found"] = st.solves_found;
    // Evaluated by the reference's vectorised closed form: the times are the reference's own, so
    // there is no numerical solution to check against it (the max_*_err fields are null).
    j["vectorised"] = st.vectorised;
    return j;
}

}  // namespace

ordered_json summary_json(const RunReport& r) {
    const Experiment& ex = *r.experiment;
    ordered_json j;
    j["racesim_version"] = plugin::racesim_version;
    j["experiment"] = ex.name;
    j["config"] = ex.file.string();
    j["horizon"] = ex.horizon;
    j["scenario_count"] = r.scenarios;
    ordered_json scs = ordered_json::array();
    ordered_json timing_sc = ordered_json::object();
    for (std::size_t i = 0; i < r.listed.size(); ++i) {
        scs.push_back(scenario_json(r.listed[i], r.csv[i]));
        timing_sc[r.listed[i].spec->name] = r.listed[i].wall_seconds;
    }
    j["scenarios"] = scs;
    if (!r.sweeps.empty()) {
        ordered_json sw = ordered_json::array();
        for (const auto& st : r.sweeps) sw.push_back(sweep_json(st, ex.output.trajectories));
        j["sweeps"] = sw;
    }
    if (!r.comparisons.empty()) {
        ordered_json cs = ordered_json::array();
        for (const auto& c : r.comparisons) cs.push_back(comparison_json(c));
        j["comparisons"] = cs;
    }
    if (r.sensitivity_rows) j["sensitivity_csv"] = "sensitivity.csv";
    if (!r.monte_carlo.empty()) {
        ordered_json mcs = ordered_json::array();
        for (const auto& mc : r.monte_carlo) mcs.push_back(monte_carlo_json(mc));
        j["monte_carlo"] = mcs;
        j["samples_csv"] = "samples.csv";
    }
    if (!r.sweeps.empty()) j["sweep_csv"] = "sweep.csv";
    if (r.solves) j["solve_csv"] = "solve.csv";
    j["resolved_config"] = ex.resolved;
    // Wall-clock times vary from run to run: they live here, apart, so comparisons can drop them.
    j["timing"] = {{"wall_seconds", r.wall_seconds}, {"scenario_wall_seconds", timing_sc}};
    return j;
}

struct ResultsWriter::Impl {
    const Experiment& ex;
    AtomicResultsDir out;  // first: destroyed last, after the files written into it are closed
    fs::path tmp;
    std::unordered_set<std::string> csv_taken;
    SweepColumns sweep_cols;
    SampleColumns sample_cols;
    CsvStream sweep_csv, solve_csv, sensitivity_csv, samples_csv;
    std::string line;

    Impl(const Experiment& e, const fs::path& d, bool force)
        : ex(e),
          out(d, force, e.file),
          tmp(out.staging()),
          sweep_cols(e),
          sample_cols(e),
          sweep_csv(tmp / "sweep.csv", sweep_cols.header()),
          solve_csv(tmp / "solve.csv", "scenario,parameter,lo,hi,at,target,found,value,time_check,simulations,message"),
          sensitivity_csv(tmp / "sensitivity.csv",
                          "scenario,parameter,target,value,step,low,high,time,time_low,time_high,delta_low,"
                          "delta_high,derivative,elasticity,note"),
          samples_csv(tmp / "samples.csv", sample_cols.header()) {}

    /// A scenario's CSV file name, unique in the run ("-2", "-3", ... when two names map to one).
    std::string csv_name(const std::string& scenario) {
        const std::string base = csv_file_name(scenario);
        std::string name = base;
        for (int k = 2; csv_taken.count(name); ++k)
            name = base.substr(0, base.size() - 4) + "-" + std::to_string(k) + ".csv";
        csv_taken.insert(name);
        return name;
    }
};

ResultsWriter::ResultsWriter(const Experiment& ex, const fs::path& dir, bool force)
    : impl_(std::make_unique<Impl>(ex, dir, force)) {
    report_.experiment = &ex;
    for (const ScenarioSpec& sc : ex.scenarios) {
        if (!sc.sweep_plan) continue;
        SweepStats st;
        st.declared = &sc;
        for (const auto& t : sc.targets) st.targets.push_back(SweepStats::Target{target_label(t), 0, 0, {}, {}});
        report_.sweeps.push_back(std::move(st));
    }
}

ResultsWriter::~ResultsWriter() = default;  // an uncommitted temporary directory is removed (AtomicResultsDir)

void ResultsWriter::scenario(const ScenarioResult& r) {
    Impl& w = *impl_;
    const ScenarioSpec& sc = *r.spec;
    std::string csv;
    if (!r.rows.empty()) {
        csv = w.csv_name(sc.name);
        write_csv(r, w.tmp / csv);
    }
    if (!sc.sweep.empty()) w.sweep_csv.row(w.sweep_cols.row(r));
    if (r.solve) {
        report_.solves = true;
        w.solve_csv.row(solve_row(r));
    }
    for (const auto& row : r.sensitivity) w.sensitivity_csv.row(sensitivity_row(row));
    report_.sensitivity_rows += r.sensitivity.size();

    const bool swept = !sc.sweep.empty();
    if (swept) {
        SweepStats& st = stats_of(sc.origin);
        ++st.scenarios;
        for (std::size_t k = 0; k < r.targets.size() && k < st.targets.size(); ++k) {
            const TargetResult& t = r.targets[k];
            st.targets[k].add(t.time, t.unreachable);
            if (t.time_rel_err && (!st.max_time_rel_err || *t.time_rel_err > *st.max_time_rel_err)) {
                st.max_time_rel_err = t.time_rel_err;
                st.max_time_rel_err_scenario = sc.name;
            }
        }
        if (r.max_rel_err && (!st.max_rel_err_R || *r.max_rel_err > *st.max_rel_err_R)) {
            st.max_rel_err_R = r.max_rel_err;
            st.max_rel_err_R_scenario = sc.name;
        }
        if (r.solve) {
            ++st.solves;
            if (r.solve->found) ++st.solves_found;
        }
    }
    if (swept && !w.ex.output.trajectories) return;  // in sweep.csv and the sweep's summary only
    ScenarioResult kept = r;
    kept.rows.clear();
    kept.rows.shrink_to_fit();
    kept.sensitivity.clear();
    report_.listed.push_back(std::move(kept));
    report_.csv.push_back(csv);
}

SweepStats& ResultsWriter::stats_of(const std::string& swept) {
    for (auto& st : report_.sweeps)
        if (st.declared->name == swept) return st;
    throw std::logic_error("racesim: results of a sweep the experiment does not declare: " + swept);
}

void ResultsWriter::sweep_rows(const SweepRows& rows) {
    Impl& w = *impl_;
    const ScenarioSpec& sc = *rows.declared;
    const SweepPlan& plan = *sc.sweep_plan;
    SweepStats& st = stats_of(sc.name);
    // Each column of sweep.csv: its axis in this sweep, or none.
    std::vector<int> axis_of(w.sweep_cols.paths.size(), -1);
    for (std::size_t c = 0; c < axis_of.size(); ++c)
        for (std::size_t j = 0; j < plan.axes.size(); ++j)
            if (plan.axes[j].path == w.sweep_cols.paths[c]) axis_of[c] = static_cast<int>(j);
    std::vector<int> target_of(w.sweep_cols.labels.size(), -1);
    for (std::size_t c = 0; c < target_of.size(); ++c)
        for (std::size_t k = 0; k < sc.targets.size(); ++k)
            if (target_label(sc.targets[k]) == w.sweep_cols.labels[c]) target_of[c] = static_cast<int>(k);
    const std::string origin = field(sc.name);
    std::string& line = w.line;
    for (std::size_t r = 0; r < rows.n; ++r) {
        line.clear();
        const std::string name = plan.name(sc.name, rows.k0 + r);
        line = field(name);
        line += ',';
        line += origin;
        for (const int j : axis_of) {
            line += ',';
            if (j >= 0) fmt::format_to(std::back_inserter(line), "{}", rows.values[static_cast<std::size_t>(j)][r]);
        }
        for (const int k : target_of) {
            if (k < 0) {
                line += ",,,";
                continue;
            }
            const double t = rows.times[static_cast<std::size_t>(k)][r];
            if (std::isfinite(t))
                fmt::format_to(std::back_inserter(line), ",{},true,{}", t, t);
            else
                line += std::isnan(t) ? ",,unreachable," : ",,false,";
        }
        w.sweep_csv.row(line);
        ++st.scenarios;
        for (std::size_t k = 0; k < rows.times.size() && k < st.targets.size(); ++k) {
            const double t = rows.times[k][r];
            st.targets[k].add(std::isfinite(t) ? std::optional<double>(t) : std::nullopt, std::isnan(t));
        }
    }
    st.vectorised = true;
}

void ResultsWriter::sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                           const std::vector<double>& times) {
    Impl& w = *impl_;
    const SampleSpec& sp = *sc.sample;
    std::string& line = w.line;
    line = field(sc.name);
    fmt::format_to(std::back_inserter(line), ",{}", index);
    for (const auto& p : w.sample_cols.paths) {
        const auto it = std::find(sp.paths.begin(), sp.paths.end(), p);
        if (it == sp.paths.end())
            line += ',';
        else
            fmt::format_to(std::back_inserter(line), ",{}", x[static_cast<std::size_t>(it - sp.paths.begin())]);
    }
    for (const auto& l : w.sample_cols.labels) {
        std::size_t k = 0;
        while (k < sc.targets.size() && target_label(sc.targets[k]) != l) ++k;
        if (k == sc.targets.size()) {
            line += ",,";
            continue;
        }
        if (std::isfinite(times[k]))
            fmt::format_to(std::back_inserter(line), ",{},true", times[k]);
        else
            line += ",,false";
    }
    w.samples_csv.row(line);
}

void ResultsWriter::commit(RunSummary s) {
    Impl& w = *impl_;
    report_.scenarios = s.scenarios;
    report_.comparisons = std::move(s.comparisons);
    report_.monte_carlo = std::move(s.monte_carlo);
    report_.wall_seconds = s.wall_seconds;
    for (CsvStream* c : {&w.sweep_csv, &w.solve_csv, &w.sensitivity_csv, &w.samples_csv}) c->close();
    for (const auto& c : report_.comparisons) write_compare_csv(c, w.tmp / compare_file_name(c));
    {
        std::ofstream out(w.tmp / "summary.json");
        out << summary_json(report_).dump(2) << '\n';
        out.flush();
        if (!out) throw RunError("error while writing " + (w.tmp / "summary.json").string());
    }
    check_interrupt();  // the last point where an interrupt discards the results
    w.out.commit();
}

void write_results(const RunResult& r, const fs::path& dir, bool force) {
    ResultsWriter w(*r.experiment, dir, force);
    // Scenarios and vectorised sweep rows in the run's order.
    std::size_t b = 0;
    for (const auto& s : r.scenarios) {
        for (; b < r.sweep_rows.size() && r.sweep_rows[b].first < s.index; ++b) w.sweep_rows(r.sweep_rows[b]);
        w.scenario(s);
    }
    for (; b < r.sweep_rows.size(); ++b) w.sweep_rows(r.sweep_rows[b]);
    for (const auto& mc : r.monte_carlo) {
        const std::size_t d = mc.spec->sample->paths.size();
        std::vector<double> x(d), t(mc.times.size());
        for (std::size_t i = 0; i < mc.spec->sample->n; ++i) {
            std::copy_n(mc.draws.begin() + static_cast<std::ptrdiff_t>(i * d), d, x.begin());
            for (std::size_t k = 0; k < t.size(); ++k) t[k] = mc.times[k][i];
            w.sample(*mc.spec, i, x, t);
        }
    }
    RunSummary s;
    s.experiment = r.experiment;
    s.scenarios = r.scenarios.size();
    s.comparisons = r.comparisons;
    s.monte_carlo = r.monte_carlo;
    s.wall_seconds = r.wall_seconds;
    w.commit(s);
}

void print_table(const RunReport& r, std::ostream& os) {
    const Experiment& ex = *r.experiment;
    fmt::print(os, "experiment '{}' ({}): {} scenario(s), horizon {} yr\n", ex.name, ex.file.string(), r.scenarios,
               ex.horizon);
    fmt::print(os, "{:<22} {:>9} {:>8} {:>16} {:>16} {:>10} {:>12}\n", "scenario", "L target", "R", "time (yr)",
               "reference (yr)", "time err", "max R err");
    auto t_str = [](const std::optional<double>& t, bool unreachable) {
        if (t) return fmt::format("{:.6g}", *t);
        return std::string(unreachable ? "unreachable" : "not reached");
    };
    for (const auto& s : r.listed) {
        const std::string rerr = s.max_rel_err ? fmt::format("{:.2e}", *s.max_rel_err) : "-";
        if (s.targets.empty())
            fmt::print(os, "{:<22} {:>9} {:>8} {:>16} {:>16} {:>10} {:>12}\n", s.spec->name, "-", "-", "-", "-", "-",
                       rerr);
        for (const auto& t : s.targets) {
            const std::string ref = t.has_reference ? t_str(t.reference_time, t.unreachable) : "-";
            const std::string terr = t.time_rel_err ? fmt::format("{:.2e}", *t.time_rel_err) : "-";
            fmt::print(os, "{:<22} {:>9.4g} {:>8.4g} {:>16} {:>16} {:>10} {:>12}\n", s.spec->name, t.loss, t.relative,
                       t_str(t.time, t.unreachable), ref, terr, rerr);
        }
    }
    if (!ex.output.trajectories)
        for (const auto& st : r.sweeps) {
            fmt::print(os, "sweep '{}': {} scenarios, one row each in sweep.csv", st.declared->name, st.scenarios);
            if (st.max_time_rel_err) fmt::print(os, "; worst time err {:.2e}", *st.max_time_rel_err);
            if (st.max_rel_err_R) fmt::print(os, ", worst R err {:.2e}", *st.max_rel_err_R);
            fmt::print(os, "\n");
            for (const auto& t : st.targets) {
                fmt::print(os, "  {:<12} reached by {} of {}", t.label, t.reached, st.scenarios);
                if (t.min_time) fmt::print(os, ", in {:.6g} to {:.6g} yr", *t.min_time, *t.max_time);
                if (t.unreachable) fmt::print(os, " ({} unreachable)", t.unreachable);
                fmt::print(os, "\n");
            }
        }
    for (const auto& s : r.listed) {
        if (!s.solve) continue;
        const SolveResult& v = *s.solve;
        if (v.found)
            fmt::print(os, "solve '{}': {} = {:.10g} reaches {} at t = {} yr (re-run: {} yr; {} simulations)\n",
                       s.spec->name, v.spec.path, v.value, target_label(s.spec->targets.at(v.spec.target)), v.spec.at,
                       v.time ? fmt::format("{:.6g}", *v.time) : std::string("not reached"), v.evaluations);
        else
            fmt::print(os, "solve '{}': not found: {}\n", s.spec->name, v.message);
    }
    if (r.sensitivity_rows) fmt::print(os, "sensitivity: {} row(s) in sensitivity.csv\n", r.sensitivity_rows);
    for (const auto& mc : r.monte_carlo) {
        const SampleSpec& sp = *mc.spec->sample;
        fmt::print(os, "monte carlo '{}': {} samples, seed {}\n", mc.spec->name, sp.n, sp.seed);
        auto q = [](const std::optional<double>& v) { return v ? fmt::format("{:.4g}", *v) : std::string(">H"); };
        for (const auto& st : mc.stats) {
            fmt::print(os, "  {:<12} P(reached) {:.4f}  p5 {}  p25 {}  p50 {}  p75 {}  p95 {} yr\n", st.target,
                       static_cast<double>(st.reached) / static_cast<double>(st.n), q(st.quantiles[0].second),
                       q(st.quantiles[2].second), q(st.quantiles[3].second), q(st.quantiles[4].second),
                       q(st.quantiles[6].second));
        }
    }
    for (const auto& c : r.comparisons) print_comparison(c, os);
}

}  // namespace racesim
