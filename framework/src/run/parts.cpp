// A run split into parts (racesim/run/journal.hpp): run_part records what a block of work
// units produced; replay_parts reads the records of every part back, in order, and hands a sink
// what the unsplit run would have.
#include <algorithm>
#include <any>
#include <array>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "racesim/config/scenario.hpp"
#include "racesim/core/errors.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

namespace {

// ---- a scenario's result ----

/// The numeric parameters of a scenario, each with its value (nullopt: unset).
std::vector<std::pair<std::string, std::optional<plugin::Value>>> parameter_values(const ScenarioSpec& sc) {
    std::vector<std::pair<std::string, std::optional<plugin::Value>>> out;
    for (const std::string& path : parameter_paths(sc)) {
        const auto dot = path.find('.');
        const std::string block = path.substr(0, dot), name = path.substr(dot + 1);
        std::optional<plugin::Value> v;
        if (block == "baseline") {
            const std::optional<double> x = name == "tau" ? sc.tau : name == "C0" ? sc.C0 : std::nullopt;
            if (x) v = plugin::Value{*x};
        } else if (const BlockSpec* b = block_of(sc, block)) {
            for (const auto& [k, value] : b->selection.params.entries())
                if (k == name) v = value;
        }
        out.emplace_back(path, std::move(v));
    }
    return out;
}

void put_value(JournalWriter& w, const std::optional<plugin::Value>& v) {
    if (!v) {
        w.u64(0);
    } else if (const auto* d = std::get_if<double>(&*v)) {
        w.u64(1);
        w.f64(*d);
    } else if (const auto* i = std::get_if<std::int64_t>(&*v)) {
        w.u64(2);
        w.i64(*i);
    } else {
        throw std::logic_error("racesim: a numeric parameter that holds no number");
    }
}

std::optional<plugin::Value> get_value(JournalReader& r) {
    switch (r.u64()) {
        case 0:
            return std::nullopt;
        case 1:
            return plugin::Value{r.f64()};
        case 2:
            return plugin::Value{r.i64()};
        default:
            r.fail("a parameter value of an unknown kind (corrupt record)");
    }
}

void put_cell(JournalWriter& w, const Cell& c) {
    w.u64(c.index());
    if (const auto* d = std::get_if<double>(&c)) w.f64(*d);
    if (const auto* i = std::get_if<std::int64_t>(&c)) w.i64(*i);
    if (const auto* s = std::get_if<std::string>(&c)) w.str(*s);
}

Cell get_cell(JournalReader& r) {
    switch (r.u64()) {
        case 0:
            return Cell{};
        case 1:
            return Cell{r.f64()};
        case 2:
            return Cell{r.i64()};
        case 3:
            return Cell{r.str()};
        default:
            r.fail("a table cell of an unknown kind (corrupt record)");
    }
}

void put_stats(JournalWriter& w, const IntegrationStats& s) {
    for (const std::int64_t v : {s.segments, s.steps, s.rejected, s.rhs_evaluations, s.linear_steps, s.log_C_steps,
                                 s.fitted_steps, s.panel_steps, s.panel_rejected, s.refinements})
        w.i64(v);
}

IntegrationStats get_stats(JournalReader& r) {
    IntegrationStats s;
    for (std::int64_t* v : {&s.segments, &s.steps, &s.rejected, &s.rhs_evaluations, &s.linear_steps, &s.log_C_steps,
                            &s.fitted_steps, &s.panel_steps, &s.panel_rejected, &s.refinements})
        *v = r.i64();
    return s;
}

/// The columns of a trajectory (const or not), in the order they are recorded (aux apart).
template <class Traj>
auto columns(Traj& t) {
    return std::array{&t.t, &t.C, &t.E, &t.P, &t.L, &t.R, &t.R_ref, &t.rel_err, &t.A, &t.C_physical};
}

void encode_scenario(JournalWriter& w, const ScenarioResult& r) {
    w.record(journal_tag::scenario, r.index);
    const ScenarioSpec& sc = *r.spec;
    // The scenario it ran: its numeric parameters (a goal seek or a fit may have changed some).
    const auto params = parameter_values(sc);
    w.u64(params.size());
    for (const auto& [path, v] : params) {
        w.str(path);
        put_value(w, v);
    }
    w.f64(r.C0);
    w.f64(r.L_C0);
    w.u64(r.auxiliary.size());
    for (const auto& q : r.auxiliary) {
        w.str(q.name);
        w.str(q.unit);
        w.str(q.doc);
    }
    for (const auto* c : columns(r.trajectory)) w.f64s(*c);
    w.u64(r.trajectory.aux.size());
    for (const auto& c : r.trajectory.aux) w.f64s(c);
    w.u64(r.targets.size());
    for (const auto& t : r.targets) {
        w.f64(t.loss);
        w.f64(t.relative);
        w.flag(t.reached);
        w.opt(t.time);
        w.flag(t.unreachable);
        w.flag(t.at_start);
        w.flag(t.has_reference);
        w.opt(t.reference_time);
        w.opt(t.time_rel_err);
        w.opt(t.condition);
        w.opt(t.time_error_estimate);
    }
    w.opt(r.max_rel_err);
    w.opt(r.max_rel_err_time);
    put_stats(w, r.stats);
    w.f64(r.wall_seconds);
    // Its analyses' rows, as cells, and what the analyses say of it (they cannot read cells).
    w.u64(r.tables.size());
    std::vector<Cell> cells;
    for (const auto& t : r.tables) {
        w.str(t->table().name);
        w.u64(t->size());
        for (std::size_t i = 0; i < t->size(); ++i) {
            t->cells(i, cells);
            w.u64(cells.size());
            for (const Cell& c : cells) put_cell(w, c);
        }
    }
    nlohmann::ordered_json said = nlohmann::ordered_json::object();
    std::string console;
    SweepCounts counts;
    for (const auto& a : sc.analyses) {
        analysis_of(*a).summarize(*a, r, said);
        analysis_of(*a).console(*a, r, console);
        analysis_of(*a).count(*a, r, counts);
    }
    w.str(said.dump());
    w.str(console);
    w.u64(counts.counts().size());
    for (const auto& [key, n] : counts.counts()) {
        w.str(key);
        w.u64(n);
    }
}

/// The table of that name among the analyses of a declared scenario and of the experiment.
const TableDef& table_named(const Experiment& ex, const ScenarioSpec& declared, const std::string& name,
                            JournalReader& r) {
    for (const auto* list : {&declared.analyses, &ex.analyses})
        for (const auto& a : *list)
            for (const TableDef* t : analysis_of(*a).tables())
                if (t->name == name) return *t;
    r.fail("rows of a table '" + name + "' that no analysis of scenario '" + declared.name +
           "' writes (a journal of another config?)");
}

ScenarioResult decode_scenario(JournalReader& r, const Experiment& ex, std::size_t index) {
    ScenarioResult out;
    out.index = index;
    // The scenario: the run's scenario `index`, at the parameters it ran with.
    ScenarioRef ref = expand(ex, index);
    const ScenarioSpec& base = *ref.spec;
    const std::size_t np = r.count(9);
    std::vector<std::pair<std::string, std::optional<plugin::Value>>> ran;
    for (std::size_t k = 0; k < np; ++k) {
        std::string path = r.str();
        ran.emplace_back(std::move(path), get_value(r));
    }
    const auto had = parameter_values(base);
    if (had.size() != ran.size())
        r.fail("scenario '" + base.name + "' has other parameters (a journal of another config?)");
    std::vector<Assignment> changed;
    for (std::size_t k = 0; k < ran.size(); ++k) {
        const auto& [path, v] = ran[k];
        if (path != had[k].first)
            r.fail("scenario '" + base.name + "' has no parameter '" + path + "' (a journal of another config?)");
        if (v == had[k].second) continue;
        const auto dot = path.find('.');
        const BlockSpec* b = block_of(base, path.substr(0, dot));
        if (b) {  // a parameter given relative to another follows it: not assigned itself
            const auto q = b->quoted.find(path.substr(dot + 1));
            if (q != b->quoted.end() && !q->second.relative_to.empty()) continue;
        }
        if (!v) r.fail("scenario '" + base.name + "': '" + path + "' was unset when it ran");
        changed.push_back(Assignment{path, *v, "", {}});
    }
    if (changed.empty()) {
        out.spec = ref.spec;
        out.owned = std::move(ref.owned);
    } else {
        auto made = std::make_shared<ScenarioSpec>(with_parameters(base, changed, base.name, false));
        made->analyses = base.analyses;
        if (parameter_values(*made) != ran)
            r.fail("scenario '" + base.name + "' cannot be made again at the parameters it ran with");
        out.spec = made.get();
        out.owned = std::move(made);
    }
    const ScenarioSpec& declared = ex.scenarios[ref.declared];

    out.C0 = r.f64();
    out.L_C0 = r.f64();
    out.auxiliary.resize(r.count(24));
    for (auto& q : out.auxiliary) {
        q.name = r.str();
        q.unit = r.str();
        q.doc = r.str();
    }
    for (auto* c : columns(out.trajectory)) *c = r.f64s();
    out.trajectory.aux.resize(r.count(8));
    for (auto& c : out.trajectory.aux) c = r.f64s();
    const std::size_t nt = r.count(8);
    if (nt != out.spec->targets.size())
        r.fail("scenario '" + base.name + "' has other targets (a journal of another config?)");
    out.targets.resize(nt);
    for (std::size_t k = 0; k < nt; ++k) {
        TargetResult& t = out.targets[k];
        t.spec = out.spec->targets[k];
        t.loss = r.f64();
        t.relative = r.f64();
        t.reached = r.flag();
        r.opt(t.time);
        t.unreachable = r.flag();
        t.at_start = r.flag();
        t.has_reference = r.flag();
        r.opt(t.reference_time);
        r.opt(t.time_rel_err);
        r.opt(t.condition);
        r.opt(t.time_error_estimate);
    }
    r.opt(out.max_rel_err);
    r.opt(out.max_rel_err_time);
    out.stats = get_stats(r);
    out.wall_seconds = r.f64();
    const std::size_t ntab = r.count(16);
    for (std::size_t k = 0; k < ntab; ++k) {
        const std::string name = r.str();
        auto rows = std::make_shared<CellRows>(table_named(ex, declared, name, r));
        rows->rows.resize(r.count(8));
        for (auto& row : rows->rows) {
            row.resize(r.count(8));
            for (Cell& c : row) c = get_cell(r);
        }
        out.tables.push_back(std::move(rows));
    }
    auto said = std::make_shared<AnalysesSaid>();
    said->summary = r.str();
    said->console = r.str();
    const std::size_t nc = r.count(16);
    for (std::size_t k = 0; k < nc; ++k) {
        const std::string key = r.str();
        said->counts.add(key, r.u64());
    }
    out.said = std::move(said);
    return out;
}

// ---- rows of a sweep evaluated at once ----

void encode_rows(JournalWriter& w, const Experiment& ex, const SweepRows& rows) {
    w.record(journal_tag::sweep_rows, rows.first);
    w.u64(static_cast<std::uint64_t>(rows.declared - ex.scenarios.data()));
    w.u64(rows.k0);
    w.u64(rows.n);
    w.u64(rows.values.size());
    for (const auto& v : rows.values) w.f64s(v);
    w.u64(rows.times.size());
    for (const auto& t : rows.times) w.f64s(t);
}

SweepRows decode_rows(JournalReader& r, const Experiment& ex, std::size_t first) {
    SweepRows rows;
    rows.first = first;
    const std::size_t d = r.u64();
    if (d >= ex.scenarios.size() || !ex.scenarios[d].sweep_plan)
        r.fail("rows of a sweep the config does not declare (a journal of another config?)");
    rows.declared = &ex.scenarios[d];
    rows.k0 = r.u64();
    rows.n = r.u64();
    rows.values.resize(r.count(8));
    for (auto& v : rows.values) v = r.f64s();
    rows.times.resize(r.count(8));
    for (auto& t : rows.times) t = r.f64s();
    if (rows.values.size() != rows.declared->sweep_plan->axes.size() ||
        rows.times.size() != rows.declared->targets.size())
        r.fail("rows of sweep '" + rows.declared->name + "' with other axes or targets (a journal of another config?)");
    for (const auto* list : {&rows.values, &rows.times})
        for (const auto& v : *list)
            if (v.size() != rows.n)
                r.fail("rows of sweep '" + rows.declared->name + "' of unequal lengths (corrupt record)");
    return rows;
}

/// Receives nothing: the context of an analysis's part, which records instead.
class NoSink final : public RunSink {
public:
    void scenario(const ScenarioResult&) override {}
    void sample(const ScenarioSpec&, std::size_t, const std::vector<double>&, const std::vector<double>&) override {}
    void sweep_rows(const SweepRows&) override {}
};

}  // namespace

void run_part(const ModelBuilder& models, const Experiment& ex, UnitRange range, JournalWriter& out,
              const Progress& progress, std::optional<bool> trajectories) {
    const bool keep = trajectories.value_or(ex.output.trajectories);
    const std::size_t total = work_units(ex), scenarios = scenario_count(ex);
    if (range.last > total || range.first > range.last)
        throw std::invalid_argument("racesim: units " + std::to_string(range.first) + " to " +
                                    std::to_string(range.last) + " of a run of " + std::to_string(total));
    std::atomic<std::size_t> finished{0};
    const std::function<void(std::size_t)> tick = [&](std::size_t k) {
        const std::size_t now = finished += k;
        if (progress) progress(now, range.size());
    };
    detail::run_scenarios(
        models, ex, keep, range, [&](const ScenarioResult& r) { encode_scenario(out, r); },
        [&](const SweepRows& rows) { encode_rows(out, ex, rows); }, tick);
    NoSink none;
    RunSummary summary;
    const AfterRunContext after{models, ex, none, tick, summary};
    std::size_t offset = scenarios;
    for (const auto& sc : ex.scenarios)
        for (const auto& a : sc.analyses) {
            const std::size_t n = analysis_of(*a).units_after_run(*a, sc);
            const std::size_t lo = std::clamp(range.first, offset, offset + n) - offset;
            const std::size_t hi = std::clamp(range.last, offset, offset + n) - offset;
            if (lo < hi) analysis_of(*a).after_run_part(after, *a, sc, offset, lo, hi, out);
            offset += n;
        }
}

RunSummary replay_parts(const ModelBuilder& models, const Experiment& ex, JournalReader& in, RunSink& sink,
                        std::optional<bool> trajectories) {
    const auto t0 = std::chrono::steady_clock::now();
    const bool keep = trajectories.value_or(ex.output.trajectories);
    const RunInfo info = run_info(models, ex, keep);
    RunSummary summary;
    summary.experiment = &ex;
    summary.scenarios = info.scenarios;
    summary.trajectories = keep;
    sink.begin(info);
    std::vector<std::any> states(ex.analyses.size());
    std::size_t unit = 0;
    while (unit < info.scenarios) {
        const char tag = in.peek();
        if (tag == journal_tag::scenario) {
            in.expect(tag, unit);
            const ScenarioResult r = decode_scenario(in, ex, unit);
            for (std::size_t k = 0; k < ex.analyses.size(); ++k)
                analysis_of(*ex.analyses[k]).scenario_done(*ex.analyses[k], r, states[k]);
            sink.scenario(r);
            ++unit;
        } else if (tag == journal_tag::sweep_rows) {
            in.expect(tag, unit);
            const SweepRows rows = decode_rows(in, ex, unit);
            sink.sweep_rows(rows);
            unit += rows.n;
        } else {
            in.expect(journal_tag::scenario, unit);  // throws: says what was found instead
        }
    }
    const std::function<void(std::size_t)> tick = [](std::size_t) {};
    const AfterRunContext after{models, ex, sink, tick, summary};
    for (const auto& sc : ex.scenarios)
        for (const auto& a : sc.analyses) {
            const std::size_t n = analysis_of(*a).units_after_run(*a, sc);
            if (n) analysis_of(*a).after_run_replay(after, *a, sc, unit, in);
            unit += n;
        }
    if (in.peek() != 0) in.fail("records after the last unit of the run (a part repeated, or of another config?)");
    for (std::size_t k = 0; k < ex.analyses.size(); ++k)
        analysis_of(*ex.analyses[k]).after_experiment(after, *ex.analyses[k], states[k]);
    for (auto& mc : summary.monte_carlo) mc.times = {};
    summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink.end(summary);
    return summary;
}

}  // namespace racesim
