// summary.json: the run's document (schema: docs/results.md).
#include <fmt/format.h>

#include <cmath>

#include "racesim/config/loader.hpp"  // config_format_version
#include "racesim/config/scenario.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/plugin/api.hpp"

using nlohmann::ordered_json;

namespace racesim {

namespace {

ordered_json opt(const std::optional<double>& v) {
    return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json selection_json(const plugin::Selection& s) {
    ordered_json j;
    j["type"] = s.type;
    // Not a structured binding: clang 14 (the asan preset) cannot capture one in a lambda.
    for (const auto& kv : s.params.entries()) {
        const auto& key = kv.first;
        std::visit([&](const auto& x) { j[key] = x; }, kv.second);
    }
    return j;
}

ordered_json baseline_json(const ScenarioSpec& sc) {
    return sc.tau ? ordered_json{{"tau", *sc.tau}} : ordered_json{{"C0", *sc.C0}};
}

/// A generated sweep range as written: {from, to, step} or {from, to, scale}, and its count.
ordered_json range_json(const SweepRange& r) {
    ordered_json j{{"from", r.from}, {"to", r.to}};
    if (r.step != 0)
        j["step"] = r.step;
    else
        j["scale"] = r.log_scale ? "log" : "linear";
    j["count"] = r.count;
    return j;
}

/// The parameters written in a quoted form, by path, each as written ({"percent_per_year": 40});
/// their values in the blocks are the converted ones. Empty when there are none.
ordered_json quoted_json(const ScenarioSpec& sc) {
    ordered_json j = ordered_json::object();
    for (const auto* b : {&sc.efficiency, &sc.power, &sc.loss}) {
        const char* block = b == &sc.efficiency ? "efficiency" : b == &sc.power ? "power" : "loss";
        for (const auto& [name, q] : b->quoted) {
            ordered_json f = ordered_json::object();
            for (const auto& [k, v] : q.given) f[k] = v;
            j[std::string(block) + "." + name] = std::move(f);
        }
    }
    if (sc.algorithms)
        for (const auto& [name, q] : sc.algorithms->quoted) {
            ordered_json f = ordered_json::object();
            for (const auto& [k, v] : q.given) f[k] = v;
            j["algorithms." + name] = std::move(f);
        }
    return j;
}

/// A declared scenario as resolved (defaults, extends, the first value of each swept path).
ordered_json resolved_scenario_json(const ScenarioSpec& sc) {
    ordered_json j;
    j["name"] = sc.name;
    if (sc.origin != sc.name) j["origin"] = sc.origin;
    if (!sc.sweep.empty()) {
        ordered_json sw = ordered_json::object();
        for (const auto& a : sc.sweep) std::visit([&](const auto& x) { sw[a.path] = x; }, a.value);
        j["sweep"] = sw;
    }
    j["efficiency"] = selection_json(sc.efficiency.selection);
    j["power"] = selection_json(sc.power.selection);
    j["loss"] = selection_json(sc.loss.selection);
    if (sc.algorithms) j["algorithms"] = selection_json(sc.algorithms->selection);
    if (auto q = quoted_json(sc); !q.empty()) j["quoted"] = std::move(q);
    j["horizon"] = sc.horizon;
    if (sc.start_year) j["start_year"] = *sc.start_year;
    if (sc.reference) j["reference"] = sc.reference->selection.type;
    j["baseline"] = baseline_json(sc);
    ordered_json tl = ordered_json::array(), tr = ordered_json::array();
    for (const auto& t : sc.targets) (t.kind == TargetSpec::Kind::loss ? tl : tr).push_back(t.value);
    j["targets"] = {{"loss", tl}, {"relative", tr}};
    if (const SweepPlan* plan = sc.sweep_plan.get()) {
        ordered_json sw = ordered_json::object();
        for (const auto& a : plan->axes) {
            if (!a.range) {  // a list: its values; a range: the range, not a million values
                ordered_json vs = ordered_json::array();
                for (const auto& v : a.listed) std::visit([&](const auto& x) { vs.push_back(x); }, v.value);
                sw[a.path] = std::move(vs);
            } else {
                sw[a.path] = range_json(*a.range);
            }
        }
        if (plan->zip) sw["zip"] = true;
        j["sweep"] = std::move(sw);
        j["sweep_scenarios"] = plan->size();
    }
    return j;
}

ordered_json monte_carlo_json(const MonteCarloResult& mc) {
    const SampleSpec& sp = *find_analysis<SampleSpec>(*mc.spec);
    ordered_json j;
    const std::optional<double> y0 = mc.spec->start_year;
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
        if (y0) {  // the same, keyed by calendar year (start_year + t: the years as written in dates:)
            ordered_json byd = ordered_json::object();
            for (const auto& [date, p] : st.reached_by) byd[fmt::format("{}", *y0 + date)] = p;
            t["p_reached_by_date"] = byd;
        }
        ordered_json q = ordered_json::object(), qd = ordered_json::object();
        for (const auto& [p, v] : st.quantiles) {
            const std::string key = fmt::format("p{}", static_cast<int>(std::lround(p * 100)));
            q[key] = opt(v);
            qd[key] = opt(date_of(y0, v));
        }
        t["time_quantiles"] = q;
        if (y0) t["date_quantiles"] = qd;
        t["mean_time_if_reached"] = opt(st.mean_if_reached);
        if (y0) t["mean_date_if_reached"] = opt(date_of(y0, st.mean_if_reached));
        ts.push_back(t);
    }
    j["targets"] = ts;
    return j;
}

/// An analysis table's rows as an array of objects keyed by column name.
ordered_json table_json(const TableRows& rows) {
    const TableDef& def = rows.table();
    ordered_json a = ordered_json::array();
    std::vector<Cell> cells;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows.cells(i, cells);
        ordered_json o = ordered_json::object();
        for (std::size_t k = 0; k < cells.size() && k < def.columns.size(); ++k) {
            const std::string name(def.columns[k].name);
            const Cell& c = cells[k];
            if (std::holds_alternative<std::monostate>(c))
                o[name] = nullptr;
            else if (const auto* x = std::get_if<double>(&c))
                o[name] = std::isfinite(*x) ? ordered_json(*x) : ordered_json(nullptr);
            else if (const auto* n = std::get_if<std::int64_t>(&c))
                o[name] = *n;
            else if (const auto& w = std::get<std::string>(c);
                     def.columns[k].kind == CellKind::word && (w == "true" || w == "false"))
                o[name] = w == "true";
            else
                o[name] = w;
        }
        a.push_back(std::move(o));
    }
    return a;
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
    if (c.paired) {
        const PairedComparison& p = *c.paired;
        const auto n = static_cast<double>(p.n);
        ordered_json pt = ordered_json::array();
        for (const auto& t : p.targets) {
            ordered_json q = ordered_json::object();
            for (const auto& [prob, v] : t.quantiles) q[fmt::format("p{}", std::lround(prob * 100))] = v;
            pt.push_back({{"target", t.label},
                          {"both_reached", t.both_reached},
                          {"a_first", static_cast<double>(t.a_first) / n},
                          {"b_first", static_cast<double>(t.b_first) / n},
                          {"ties", static_cast<double>(t.ties) / n},
                          {"mean_difference", opt(t.mean)},
                          {"difference_quantiles", q}});
        }
        j["paired"] = {{"seed", p.seed}, {"samples", p.n}, {"targets", pt}};
    }
    if (!c.unpaired.empty()) j["unpaired"] = c.unpaired;
    return j;
}

ordered_json scenario_json(const ScenarioResult& s, const std::string& csv, const ordered_json& said) {
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
    for (const auto& [key, value] : said.items()) o[key] = value;
    o["efficiency"] = selection_json(sc.efficiency.selection);
    o["power"] = selection_json(sc.power.selection);
    o["loss"] = selection_json(sc.loss.selection);
    if (sc.algorithms) o["algorithms"] = selection_json(sc.algorithms->selection);
    o["baseline"] = baseline_json(sc);
    o["horizon"] = sc.horizon;
    if (sc.start_year) o["start_year"] = *sc.start_year;
    o["C0"] = s.C0;
    o["L_C0"] = s.L_C0;
    if (!s.auxiliary.empty()) {
        ordered_json aux = ordered_json::array();
        for (const auto& q : s.auxiliary) aux.push_back({{"name", q.name}, {"unit", q.unit}, {"doc", q.doc}});
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
        if (sc.start_year) tj["date"] = opt(date_of(sc.start_year, t.time));
        tj["unreachable"] = t.unreachable;
        if (t.at_start) tj["at_start"] = true;  // only when so: results without such a target are unchanged
        if (t.has_reference) {
            tj["reference_reached"] = t.reference_time.has_value();
            tj["reference_time"] = opt(t.reference_time);
            if (sc.start_year) tj["reference_date"] = opt(date_of(sc.start_year, t.reference_time));
            tj["time_rel_err"] = opt(t.time_rel_err);
        }
        tj["condition"] = opt(t.condition);
        tj["time_error_estimate"] = opt(t.time_error_estimate);
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
                   {"rhs_evaluations", s.stats.rhs_evaluations},
                   {"refinements", s.stats.refinements}};
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
    const std::optional<double> y0 = st.declared->start_year;
    for (const auto& t : st.targets) {
        ordered_json tj{{"target", t.label},
                        {"reached", t.reached},
                        {"unreachable", t.unreachable},
                        {"min_time", opt(t.min_time)},
                        {"max_time", opt(t.max_time)}};
        if (y0) {
            tj["min_date"] = opt(date_of(y0, t.min_time));
            tj["max_date"] = opt(date_of(y0, t.max_time));
        }
        ts.push_back(std::move(tj));
    }
    j["targets"] = ts;
    j["max_time_rel_err"] = opt(st.max_time_rel_err);
    j["max_time_rel_err_scenario"] =
        st.max_time_rel_err ? ordered_json(st.max_time_rel_err_scenario) : ordered_json(nullptr);
    j["max_rel_err_R"] = opt(st.max_rel_err_R);
    j["max_rel_err_R_scenario"] = st.max_rel_err_R ? ordered_json(st.max_rel_err_R_scenario) : ordered_json(nullptr);
    for (const auto& [key, n] : st.counts.counts()) j[key] = n;
    // Evaluated by the reference's vectorised closed form: the times are the reference's own, so
    // there is no numerical solution to check against it (the max_*_err fields are null).
    j["vectorised"] = st.vectorised;
    return j;
}

}  // namespace

ordered_json resolved_config_json(const Experiment& ex) {
    ordered_json j;
    j["racesim"] = config_format_version;
    j["name"] = ex.name;
    j["horizon"] = ex.horizon;
    if (ex.start_year) j["start_year"] = *ex.start_year;
    j["output"] = {{"every", ex.output.every ? ordered_json(*ex.output.every) : ordered_json("horizon/300")},
                   {"times", ex.output.times}};
    j["solver"] = {{"method", ex.solver.closed_form ? "closed-form" : "ode"},
                   {"rel_tol", ex.solver.rel_tol},
                   {"abs_tol", ex.solver.abs_tol},
                   {"max_steps", ex.solver.max_steps},
                   {"target_time_tol", ex.solver.target_time_tol},
                   {"audit", ex.solver.audit_all ? "all" : "third-party"}};
    j["scenarios"] = ordered_json::array();
    for (const auto& sc : ex.scenarios) j["scenarios"].push_back(resolved_scenario_json(sc));
    return j;
}

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
        scs.push_back(scenario_json(r.listed[i], r.csv[i], r.listed_summary.at(i)));
        timing_sc[r.listed[i].spec->name] = r.listed[i].wall_seconds;
    }
    j["scenarios"] = scs;
    if (!r.sweeps.empty()) {
        ordered_json sw = ordered_json::array();
        for (const auto& st : r.sweeps) sw.push_back(sweep_json(st, r.trajectories));
        j["sweeps"] = sw;
    }
    if (!r.comparisons.empty()) {
        ordered_json cs = ordered_json::array();
        for (const auto& c : r.comparisons) cs.push_back(comparison_json(c));
        j["comparisons"] = cs;
    }
    for (const auto& [table, rows] : r.tables)
        if (rows) j[std::string(table->name) + "_csv"] = std::string(table->name) + ".csv";
    for (const auto& t : r.summary_tables) j[std::string(t->table().name)] = table_json(*t);
    if (!r.monte_carlo.empty()) {
        ordered_json mcs = ordered_json::array();
        for (const auto& mc : r.monte_carlo) mcs.push_back(monte_carlo_json(mc));
        j["monte_carlo"] = mcs;
        j["samples_csv"] = "samples.csv";
    }
    if (!r.sweeps.empty()) j["sweep_csv"] = "sweep.csv";
    // Which file provided each plugin type, and its SHA-256 when it was loaded.
    ordered_json plugins = ordered_json::array();
    for (const auto& p : r.plugins)
        plugins.push_back({{"kind", plugin::to_string(p.kind)},
                           {"type", p.type},
                           {"library", p.library.empty() ? ordered_json(nullptr) : ordered_json(p.library)},
                           {"sha256", p.sha256.empty() ? ordered_json(nullptr) : ordered_json(p.sha256)}});
    j["plugins"] = plugins;
    j["resolved_config"] = resolved_config_json(ex);
    // Wall-clock times vary from run to run: they live here, apart, so comparisons can drop them.
    j["timing"] = {{"wall_seconds", r.wall_seconds}, {"scenario_wall_seconds", timing_sc}};
    return j;
}

}  // namespace racesim
