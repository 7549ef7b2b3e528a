#include "racesim/output/writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <unordered_set>

#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
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

std::vector<std::string> csv_file_names(const RunResult& r) {
    std::vector<std::string> names;
    std::unordered_set<std::string> taken;
    for (const auto& s : r.scenarios) {
        const std::string base = csv_file_name(s.spec->name);
        std::string name = base;
        // Names that differ only in replaced characters ("a b", "a_b") get "-2", "-3", ...
        for (int k = 2; taken.count(name); ++k)
            name = base.substr(0, base.size() - 4) + "-" + std::to_string(k) + ".csv";
        taken.insert(name);
        names.push_back(name);
    }
    return names;
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

bool any_sweep(const RunResult& r) {
    for (const auto& s : r.scenarios)
        if (!s.spec->sweep.empty()) return true;
    return false;
}

/// sweep.csv: one row per expanded scenario, its swept values, and each target's outcome.
void write_sweep_csv(const RunResult& r, const fs::path& file) {
    std::vector<std::string> paths, labels;
    auto add = [](std::vector<std::string>& v, const std::string& x) {
        if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
    };
    for (const auto& s : r.scenarios) {
        if (s.spec->sweep.empty()) continue;
        for (const auto& a : s.spec->sweep) add(paths, a.path);
        for (const auto& t : s.targets) add(labels, target_label(t.spec));
    }
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    out << "scenario,origin";
    for (const auto& p : paths) out << ',' << field(p);
    for (const auto& l : labels)
        out << ',' << field(l + " time") << ',' << field(l + " reached") << ',' << field(l + " reference_time");
    out << '\n';
    for (const auto& s : r.scenarios) {
        if (s.spec->sweep.empty()) continue;
        out << field(s.spec->name) << ',' << field(s.spec->origin);
        for (const auto& p : paths) {
            std::optional<double> v;
            for (const auto& a : s.spec->sweep)
                if (a.path == p) v = parameter_value(*s.spec, p);
            out << ',' << cell(v);
        }
        for (const auto& l : labels) {
            const TargetResult* t = nullptr;
            for (const auto& x : s.targets)
                if (target_label(x.spec) == l) t = &x;
            if (!t) {
                out << ",,,";
                continue;
            }
            out << ',' << cell(t->time) << ',' << (t->reached ? "true" : (t->unreachable ? "unreachable" : "false"))
                << ',' << cell(t->reference_time);
        }
        out << '\n';
    }
    finish(out, file);
}

bool any_solve(const RunResult& r) {
    for (const auto& s : r.scenarios)
        if (s.solve) return true;
    return false;
}

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

void write_solve_csv(const RunResult& r, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    out << "scenario,parameter,lo,hi,at,target,found,value,time_check,simulations,message\n";
    for (const auto& s : r.scenarios) {
        if (!s.solve) continue;
        const SolveResult& v = *s.solve;
        out << field(s.spec->name) << ',' << field(v.spec.path) << ','
            << fmt::format("{},{},{}", v.spec.lo, v.spec.hi, v.spec.at) << ','
            << field(target_label(s.spec->targets.at(v.spec.target))) << ',' << (v.found ? "true" : "false") << ','
            << (v.found ? fmt::format("{}", v.value) : "") << ',' << cell(v.time) << ',' << v.evaluations << ','
            << field(v.message) << '\n';
    }
    finish(out, file);
}

void write_sensitivity_csv(const RunResult& r, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    out << "scenario,parameter,target,value,step,low,high,time,time_low,time_high,delta_low,delta_high,"
           "derivative,elasticity,note\n";
    for (const auto& s : r.sensitivity) {
        auto delta = [&](const std::optional<double>& x) {
            return x && s.time ? std::optional<double>(*x - *s.time) : std::nullopt;
        };
        out << field(s.scenario) << ',' << field(s.path) << ',' << field(s.target) << ','
            << fmt::format("{},{},{},{}", s.value, s.step, s.low, s.high) << ',' << cell(s.time) << ','
            << cell(s.time_low) << ',' << cell(s.time_high) << ',' << cell(delta(s.time_low)) << ','
            << cell(delta(s.time_high)) << ',' << cell(s.derivative) << ',' << cell(s.elasticity) << ','
            << field(s.note) << '\n';
    }
    finish(out, file);
}

/// samples.csv: one row per Monte Carlo sample of every sampled scenario.
void write_samples_csv(const RunResult& r, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    std::vector<std::string> paths, labels;
    auto add = [](std::vector<std::string>& v, const std::string& x) {
        if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
    };
    for (const auto& mc : r.monte_carlo) {
        for (const auto& p : mc.spec->sample->paths) add(paths, p);
        for (const auto& t : mc.spec->targets) add(labels, target_label(t));
    }
    out << "scenario,sample";
    for (const auto& p : paths) out << ',' << field(p);
    for (const auto& l : labels) out << ',' << field(l + " time") << ',' << field(l + " reached");
    out << '\n';
    std::string line;
    for (const auto& mc : r.monte_carlo) {
        const auto& sp = *mc.spec->sample;
        const std::size_t d = sp.paths.size();
        std::vector<int> col(paths.size(), -1), tcol(labels.size(), -1);
        for (std::size_t j = 0; j < paths.size(); ++j)
            for (std::size_t k = 0; k < d; ++k)
                if (sp.paths[k] == paths[j]) col[j] = static_cast<int>(k);
        for (std::size_t j = 0; j < labels.size(); ++j)
            for (std::size_t k = 0; k < mc.spec->targets.size(); ++k)
                if (target_label(mc.spec->targets[k]) == labels[j]) tcol[j] = static_cast<int>(k);
        const std::string name = field(mc.spec->name);
        for (std::size_t i = 0; i < sp.n; ++i) {
            line = name;
            line += fmt::format(",{}", i);
            for (const int c : col)
                line += c < 0 ? std::string(",") : fmt::format(",{}", mc.draws[i * d + static_cast<std::size_t>(c)]);
            for (const int c : tcol) {
                if (c < 0) {
                    line += ",,";
                    continue;
                }
                const double t = mc.times[static_cast<std::size_t>(c)][i];
                line += std::isfinite(t) ? fmt::format(",{},true", t) : std::string(",,false");
            }
            line += '\n';
            out << line;
        }
    }
    finish(out, file);
}

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
    for (const auto& st : monte_carlo_stats(mc)) {
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

std::string random_suffix() {
    std::random_device rd;
    return fmt::format("{:08x}", rd());
}

bool holds_racesim_results(const fs::path& dir) {
    std::ifstream in(dir / "summary.json");
    if (!in) return false;
    try {
        const auto j = nlohmann::json::parse(in);
        return j.contains("racesim_version");
    } catch (...) {
        return false;
    }
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

ordered_json summary_json(const RunResult& r) {
    const Experiment& ex = *r.experiment;
    ordered_json j;
    j["racesim_version"] = plugin::racesim_version;
    j["experiment"] = ex.name;
    j["config"] = ex.file.string();
    j["horizon"] = ex.horizon;
    ordered_json scs = ordered_json::array();
    ordered_json timing_sc = ordered_json::object();
    const auto csv = csv_file_names(r);
    for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
        const ScenarioResult& s = r.scenarios[i];
        const ScenarioSpec& sc = *s.spec;
        ordered_json o;
        o["name"] = sc.name;
        if (sc.origin != sc.name) o["origin"] = sc.origin;
        o["csv"] = s.rows.empty() ? ordered_json(nullptr) : ordered_json(csv[i]);
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
            for (const auto& q : sc.model.auxiliary)
                aux.push_back({{"name", q.name}, {"unit", q.unit}, {"doc", q.doc}});
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
        scs.push_back(o);
        timing_sc[sc.name] = s.wall_seconds;
    }
    j["scenarios"] = scs;
    if (!r.comparisons.empty()) {
        ordered_json cs = ordered_json::array();
        for (const auto& c : r.comparisons) cs.push_back(comparison_json(c));
        j["comparisons"] = cs;
    }
    if (!r.sensitivity.empty()) j["sensitivity_csv"] = "sensitivity.csv";
    if (!r.monte_carlo.empty()) {
        ordered_json mcs = ordered_json::array();
        for (const auto& mc : r.monte_carlo) mcs.push_back(monte_carlo_json(mc));
        j["monte_carlo"] = mcs;
        j["samples_csv"] = "samples.csv";
    }
    if (any_sweep(r)) j["sweep_csv"] = "sweep.csv";
    if (any_solve(r)) j["solve_csv"] = "solve.csv";
    j["resolved_config"] = ex.resolved;
    // Wall-clock times vary from run to run: they live here, apart, so comparisons can drop them.
    j["timing"] = {{"wall_seconds", r.wall_seconds}, {"scenario_wall_seconds", timing_sc}};
    return j;
}

namespace {

fs::path normal_dir(const fs::path& dir_in) {
    fs::path dir = dir_in.lexically_normal();
    if (dir.filename().empty() && dir.has_parent_path()) dir = dir.parent_path();  // "out/" -> "out"
    return dir;
}

/// Removes `.<leaf>.tmp-<pid>-*` and `.<leaf>.old-<pid>-*` left by a racesim process that no
/// longer exists (killed by SIGKILL or a power cut while writing). Live processes' are kept.
void remove_stale_temporaries(const fs::path& parent, const std::string& leaf) {
    std::error_code ec;
    for (const auto& ent : fs::directory_iterator(parent, ec)) {
        const std::string name = ent.path().filename().string();
        for (const char* kind : {".tmp-", ".old-"}) {
            const std::string prefix = "." + leaf + kind;
            if (name.rfind(prefix, 0) != 0) continue;
            const std::string rest = name.substr(prefix.size());
            const auto dash = rest.find('-');
            if (dash == std::string::npos || dash == 0) continue;
            long pid = 0;
            try {
                pid = std::stol(rest.substr(0, dash));
            } catch (...) {
                continue;
            }
            if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
            if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) {
                std::error_code rm;
                fs::remove_all(ent.path(), rm);
            }
        }
    }
}

/// Atomically swaps two directory entries (Linux renameat2 RENAME_EXCHANGE). False when the
/// file system does not support it.
bool exchange(const fs::path& a, const fs::path& b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
    return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
    (void)a;
    (void)b;
    return false;
#endif
}

}  // namespace

void check_results_dir(const fs::path& dir_in, bool force) {
    const fs::path dir = normal_dir(dir_in);
    std::error_code ec;
    const auto st = fs::symlink_status(dir, ec);
    if (fs::exists(st)) {
        if (!fs::is_directory(fs::status(dir, ec)))
            throw RunError("results path " + dir.string() + " exists and is not a directory");
        if (!force) {
            if (holds_racesim_results(dir))
                throw RunError("results directory " + dir.string() +
                               " already exists (results of an earlier run); pass --force to replace it, or choose "
                               "another --out");
            throw RunError("results directory " + dir.string() +
                           " already exists and does not hold racesim results; choose another --out or pass --force to "
                           "replace it");
        }
    }
    // The nearest existing ancestor must be a directory we may create entries in.
    fs::path p = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    while (!p.empty() && !fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
    if (p.empty()) p = ".";
    if (!fs::exists(p, ec)) return;  // a relative path whose first component is missing: "." exists
    if (!fs::is_directory(p, ec))
        throw RunError("cannot write results to " + dir.string() + ": " + p.string() + " is not a directory");
    if (::access(p.c_str(), W_OK | X_OK) != 0)
        throw RunError("cannot write results to " + dir.string() + ": " + p.string() + " is not writable (" +
                       std::strerror(errno) + ")");
}

void write_results(const RunResult& r, const fs::path& dir_in, bool force) {
    const fs::path dir = normal_dir(dir_in);
    const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    const std::string leaf = dir.filename().string();
    check_results_dir(dir, force);
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw RunError("cannot create " + parent.string() + ": " + ec.message());
    remove_stale_temporaries(parent, leaf);

    const std::string tag = std::to_string(::getpid()) + "-" + random_suffix();
    const fs::path tmp = parent / ("." + leaf + ".tmp-" + tag);
    try {
        if (!fs::create_directory(tmp, ec) || ec) throw RunError("cannot create " + tmp.string() + ": " + ec.message());
        const auto csv = csv_file_names(r);
        for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
            check_interrupt();
            if (!r.scenarios[i].rows.empty()) write_csv(r.scenarios[i], tmp / csv[i]);
        }
        check_interrupt();
        if (any_sweep(r)) write_sweep_csv(r, tmp / "sweep.csv");
        if (any_solve(r)) write_solve_csv(r, tmp / "solve.csv");
        if (!r.sensitivity.empty()) write_sensitivity_csv(r, tmp / "sensitivity.csv");
        check_interrupt();
        if (!r.monte_carlo.empty()) write_samples_csv(r, tmp / "samples.csv");
        for (const auto& c : r.comparisons) write_compare_csv(c, tmp / compare_file_name(c));
        {
            std::ofstream out(tmp / "summary.json");
            out << summary_json(r).dump(2) << '\n';
            out.flush();
            if (!out) throw RunError("error while writing " + (tmp / "summary.json").string());
        }
        check_interrupt();  // the last point where an interrupt discards the results
        // Commit: one rename. SIGKILL at any instant leaves the old directory or the new one,
        // never a mix (plus, at worst, a hidden .<leaf>.tmp-* that the next run removes).
        if (fs::exists(fs::symlink_status(dir, ec))) {
            if (exchange(tmp, dir)) {
                fs::remove_all(tmp, ec);  // now holds the previous results
                return;
            }
            // No RENAME_EXCHANGE on this file system: move the old one aside, then rename.
            const fs::path old = parent / ("." + leaf + ".old-" + tag);
            fs::rename(dir, old, ec);
            if (ec) throw RunError("cannot move the previous " + dir.string() + " aside: " + ec.message());
            fs::rename(tmp, dir, ec);
            if (ec) {
                fs::rename(old, dir);
                throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
            }
            fs::remove_all(old, ec);
        } else {
            fs::rename(tmp, dir, ec);
            if (ec) throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
        }
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
}

void print_table(const RunResult& r, std::ostream& os) {
    const Experiment& ex = *r.experiment;
    fmt::print(os, "experiment '{}' ({}): {} scenario(s), horizon {} yr\n", ex.name, ex.file.string(),
               r.scenarios.size(), ex.horizon);
    fmt::print(os, "{:<22} {:>9} {:>8} {:>16} {:>16} {:>10} {:>12}\n", "scenario", "L target", "R", "time (yr)",
               "reference (yr)", "time err", "max R err");
    auto t_str = [](const std::optional<double>& t, bool unreachable) {
        if (t) return fmt::format("{:.6g}", *t);
        return std::string(unreachable ? "unreachable" : "not reached");
    };
    for (const auto& s : r.scenarios) {
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
    for (const auto& s : r.scenarios) {
        if (!s.solve) continue;
        const SolveResult& v = *s.solve;
        if (v.found)
            fmt::print(os, "solve '{}': {} = {:.10g} reaches {} at t = {} yr (re-run: {} yr; {} simulations)\n",
                       s.spec->name, v.spec.path, v.value, target_label(s.spec->targets.at(v.spec.target)), v.spec.at,
                       v.time ? fmt::format("{:.6g}", *v.time) : std::string("not reached"), v.evaluations);
        else
            fmt::print(os, "solve '{}': not found: {}\n", s.spec->name, v.message);
    }
    if (!r.sensitivity.empty()) fmt::print(os, "sensitivity: {} row(s) in sensitivity.csv\n", r.sensitivity.size());
    for (const auto& mc : r.monte_carlo) {
        const SampleSpec& sp = *mc.spec->sample;
        fmt::print(os, "monte carlo '{}': {} samples, seed {}\n", mc.spec->name, sp.n, sp.seed);
        auto q = [](const std::optional<double>& v) { return v ? fmt::format("{:.4g}", *v) : std::string(">H"); };
        for (const auto& st : monte_carlo_stats(mc)) {
            fmt::print(os, "  {:<12} P(reached) {:.4f}  p5 {}  p25 {}  p50 {}  p75 {}  p95 {} yr\n", st.target,
                       static_cast<double>(st.reached) / static_cast<double>(st.n), q(st.quantiles[0].second),
                       q(st.quantiles[2].second), q(st.quantiles[3].second), q(st.quantiles[4].second),
                       q(st.quantiles[6].second));
        }
    }
    for (const auto& c : r.comparisons) print_comparison(c, os);
}

}  // namespace racesim
