#include "racesim/run/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <any>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <map>
#include <sstream>

#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/batch.hpp"
#include "racesim/run/ordered_pipeline.hpp"

namespace racesim {

const Analysis& analysis_of(const AnalysisSpec& spec) {
    if (const auto* a = dynamic_cast<const Analysis*>(spec.kind)) return *a;
    throw std::logic_error("racesim: an analysis spec whose kind is not an analysis module");
}

std::optional<ScenarioInstance> Analysis::before_scenario(const AnalysisContext&, const AnalysisSpec&,
                                                          const ScenarioInstance&, std::any&) const {
    return std::nullopt;
}

void Analysis::summarize(const AnalysisSpec&, const ScenarioResult&, nlohmann::ordered_json&) const {}
void Analysis::console(const AnalysisSpec&, const ScenarioResult&, std::string&) const {}
void Analysis::count(const AnalysisSpec&, const ScenarioResult&, SweepCounts&) const {}
std::size_t Analysis::units_after_run(const AnalysisSpec&, const ScenarioSpec&) const {
    return 0;
}
void Analysis::after_run(const AfterRunContext&, const AnalysisSpec&, const ScenarioSpec&) const {}
void Analysis::after_run_part(const AfterRunContext&, const AnalysisSpec& spec, const ScenarioSpec& declared,
                              std::size_t, std::size_t, std::size_t, JournalWriter&) const {
    throw RunError("scenario '" + declared.name + "': its '" + spec.kind->key() +
                   "' analysis cannot be split into parts (a sharded or MPI run); run it in one process");
}
void Analysis::after_run_replay(const AfterRunContext&, const AnalysisSpec& spec, const ScenarioSpec& declared,
                                std::size_t, JournalReader&) const {
    throw RunError("scenario '" + declared.name + "': its '" + spec.kind->key() +
                   "' analysis cannot be split into parts (a sharded or MPI run); run it in one process");
}
bool Analysis::keeps_trajectory(const AnalysisSpec&, const std::string&) const {
    return false;
}
bool Analysis::needs_scenarios_of(const AnalysisSpec&, const ScenarioSpec&) const {
    return false;
}
void Analysis::scenario_done(const AnalysisSpec&, const ScenarioResult&, std::any&) const {}
void Analysis::after_experiment(const AfterRunContext&, const AnalysisSpec&, std::any&) const {}

IntegrationProblem problem_of(const ScenarioInstance& s, double horizon, bool targets) {
    const ScenarioSpec& sc = *s.spec;
    const Model& m = s.model;
    IntegrationProblem pb;
    pb.efficiency = m.efficiency.get();
    pb.power = m.power.get();
    pb.log_C0 = m.log_C0;
    pb.horizon = horizon;
    pb.scenario = sc.name;
    pb.efficiency_name = sc.efficiency.selection.type;
    pb.power_name = sc.power.selection.type;
    pb.efficiency_contract_tested = m.efficiency_contract_tested;
    pb.power_contract_tested = m.power_contract_tested;
    if (m.algorithms) {
        pb.algorithms = m.algorithms.get();
        pb.algorithms_name = sc.algorithms->selection.type;
        pb.algorithms_contract_tested = m.algorithms_contract_tested;
    }
    if (targets)
        for (const auto& t : sc.targets) {
            const double L = m.target_loss(t);
            if (L >= m.L_start) {
                // At or above the starting loss: C* <= C0, met at t = 0. The law's inverse could
                // round ln(C*/C0) to a tiny positive number and report t = 1e-15 instead.
                pb.log_thresholds.push_back(0);
                continue;
            }
            std::string why;
            const auto log_C = m.loss->log_compute_for_loss(L, why);
            if (!log_C)
                throw RunError("scenario '" + sc.name + "': target loss " + plugin::math::format(L) +
                               " cannot be expressed: " + why);
            pb.log_thresholds.push_back(*log_C - m.log_C0);
        }
    return pb;
}

IntegratorOptions options_of(const Experiment& ex) {
    IntegratorOptions o{ex.solver.rel_tol, ex.solver.abs_tol, ex.solver.max_steps};
    o.target_time_tol = ex.solver.target_time_tol;
    o.audit_contract_tested = ex.solver.audit_all;
    return o;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<double> output_grid(const Experiment& ex, const ScenarioSpec& sc) {
    const double H = sc.horizon, every = ex.output.every.value_or(H / 300);
    std::vector<double> t;
    const auto n = static_cast<std::int64_t>(std::floor(H / every * (1 + 1e-12)));
    for (std::int64_t k = 0; k <= n; ++k) t.push_back(std::min(H, static_cast<double>(k) * every));
    if (H - t.back() > 1e-9 * H)
        t.push_back(H);
    else
        t.back() = H;
    if (ex.output.times.empty()) return t;  // ascending and unique already
    // Extra times replace grid points within 1e-9·H of them, so they appear exactly.
    const double tol = 1e-9 * H;
    for (double x : ex.output.times) {
        t.erase(std::remove_if(t.begin(), t.end(), [&](double g) { return std::abs(g - x) <= tol && g != x; }),
                t.end());
        t.push_back(x);
    }
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    return t;
}

ScenarioResult run_scenario(const Experiment& ex, const ScenarioInstance& inst, bool keep_rows) {
    const auto t0 = std::chrono::steady_clock::now();
    const ScenarioSpec& sc = *inst.spec;
    const Model& m = inst.model;
    ScenarioResult out;
    out.spec = &sc;
    out.owned = inst.owned;
    out.C0 = m.C0;
    out.L_C0 = m.L_start;
    out.auxiliary = m.auxiliary;

    IntegrationProblem pb = problem_of(inst, sc.horizon, true);
    pb.output_times = output_grid(ex, sc);
    for (const auto& t : sc.targets) {
        TargetResult tr;
        tr.spec = t;
        tr.loss = m.target_loss(t);
        tr.relative = tr.loss / m.L_start;
        tr.at_start = tr.loss >= m.L_start;
        out.targets.push_back(tr);
    }

    const IntegratorOptions opt = options_of(ex);
    IntegrationResult ir;
    if (ex.solver.closed_form) {
        // The fast path: the scenario's exact solution, evaluated at the output times.
        for (const double t : pb.output_times) ir.log_ratio.push_back(m.reference->log_compute_ratio(t));
        for (const double x : pb.log_thresholds)
            ir.threshold_times.push_back(m.reference->time_to_log_compute_ratio(x));
        ir.segments = make_segments(*pb.efficiency, *pb.power, pb.horizon, sc.name, pb.algorithms);
        for (std::size_t j = 0; j < pb.log_thresholds.size(); ++j)  // no error estimate: no tolerance
            ir.threshold_conditions.push_back(
                ir.threshold_times[j] ? time_condition(pb, ir.segments, *ir.threshold_times[j], pb.log_thresholds[j])
                                      : std::nullopt);
    } else {
        ir = integrate(pb, opt);
    }
    out.stats = ir.stats;

    // With algorithms: the physical compute, dC_physical/dt = E·P from C_physical(0) = C0/A(0),
    // integrated as a problem of its own (E and P do not depend on C here: ModelBuilder::build),
    // at the same output times and tolerance; like a refinement's, its RHS evaluations count in
    // out.stats.rhs_evaluations and its steps do not (they describe the integration of C).
    std::vector<double> log_ratio_physical;
    if (m.algorithms && keep_rows) {
        IntegrationProblem phys = pb;
        phys.algorithms = nullptr;
        phys.algorithms_name.clear();
        phys.log_C0 = m.log_C0_physical;
        phys.log_thresholds.clear();
        IntegratorOptions o = opt;
        o.target_time_tol = 0;
        IntegrationResult pr = integrate(phys, o);
        out.stats.rhs_evaluations += pr.stats.rhs_evaluations;
        log_ratio_physical = std::move(pr.log_ratio);
    }

    Trajectory& tr = out.trajectory;
    const std::size_t n = pb.output_times.size();
    if (keep_rows) {  // every column written by row index below
        for (auto* c : {&tr.t, &tr.C, &tr.E, &tr.P, &tr.L, &tr.R}) c->resize(n);
        if (m.reference) tr.R_ref.resize(n), tr.rel_err.resize(n);
        if (m.algorithms) tr.A.resize(n), tr.C_physical.resize(n);
        tr.aux.assign(m.auxiliary.size(), std::vector<double>(n));
    }
    std::vector<double> aux;
    double max_err = -1;
    // C, E and P are stored only with the rows; without them (a summary-only run) their
    // exponentials are taken only where their logarithm exceeds 709 (e^709 ≈ 8.2e307), so that
    // such a run finds exactly the overflows a run with rows does, without three exponentials a row.
    // A NaN logarithm takes the exponential too (and fails the check below).
    const auto exp_kept = [keep_rows](double log_x) { return keep_rows || !(log_x <= 709) ? std::exp(log_x) : 0.0; };
    std::size_t seg = 0;  // the segment of the row: the last that begins at or before t (segment_at)
    for (std::size_t i = 0; i < n; ++i) {
        const double t = pb.output_times[i];
        const double u = ir.log_ratio[i];
        while (seg + 1 < ir.segments.size() && ir.segments[seg + 1].begin <= t) ++seg;  // the times ascend
        const plugin::Segment& s = ir.segments[seg];
        const double log_C = m.log_C0 + u;
        const double log_E = m.efficiency->log_value(t, log_C, s), log_P = m.power->log_value(t, log_C, s);
        const double C = exp_kept(log_C), E = exp_kept(log_E), P = exp_kept(log_P);
        const double L = m.loss->loss(log_C);
        const double R = L / m.L_start;
        if (!m.auxiliary.empty()) {
            aux.clear();  // auxiliary_values appends
            m.loss->auxiliary_values(log_C, aux);
            if (aux.size() != m.auxiliary.size())
                throw RunError("scenario '" + sc.name + "': loss '" + sc.loss.selection.type + "' gave " +
                               std::to_string(aux.size()) + " auxiliary values for " +
                               std::to_string(m.auxiliary.size()) + " declared quantities");
        }
        if (!std::isfinite(C) || !std::isfinite(E) || !std::isfinite(P) || !std::isfinite(L) || !std::isfinite(R))
            throw RunError("scenario '" + sc.name + "': at t = " + plugin::math::format(t) +
                           " yr the results leave the range of a double (ln(C/C0) = " + plugin::math::format(u) +
                           ", C = " + plugin::math::format(std::exp(log_C)) +
                           ", E = " + plugin::math::format(std::exp(log_E)) + ", L = " + plugin::math::format(L) +
                           "); shorten the horizon or lower gamma");
        double R_ref = 0, rel_err = 0;
        if (m.reference) {
            // Where the reference's ln(C/C0) is the integration's to the bit (21-76 % of the rows
            // of bench_trajectory's problems), its loss is the one just computed.
            const double u_ref = m.reference->log_compute_ratio(t);
            R_ref = std::bit_cast<std::uint64_t>(u_ref) == std::bit_cast<std::uint64_t>(u)
                        ? R
                        : m.loss->loss(m.log_C0 + u_ref) / m.L_start;
            rel_err = std::abs(R / R_ref - 1);
            if (rel_err > max_err) {
                max_err = rel_err;
                out.max_rel_err_time = t;
            }
        }
        if (keep_rows) {
            tr.t[i] = t;
            tr.C[i] = C;
            tr.E[i] = E;
            tr.P[i] = P;
            tr.L[i] = L;
            tr.R[i] = R;
            if (m.reference) {
                tr.R_ref[i] = R_ref;
                tr.rel_err[i] = rel_err;
            }
            for (std::size_t q = 0; q < aux.size(); ++q) tr.aux[q][i] = aux[q];
            if (m.algorithms) {
                tr.A[i] = m.algorithms->value(t, log_C, s);
                tr.C_physical[i] = std::exp(m.log_C0_physical + log_ratio_physical[i]);
            }
        }
    }
    if (m.reference) out.max_rel_err = max_err;

    for (std::size_t k = 0; k < out.targets.size(); ++k) {
        TargetResult& tr = out.targets[k];
        tr.time = ir.threshold_times[k];
        tr.reached = tr.time.has_value();
        if (k < ir.threshold_conditions.size()) tr.condition = ir.threshold_conditions[k];
        if (k < ir.threshold_error_estimates.size()) tr.time_error_estimate = ir.threshold_error_estimates[k];
        if (m.reference) {
            tr.has_reference = true;
            const double x = pb.log_thresholds[k];
            tr.reference_time = m.reference->time_to_log_compute_ratio(x);
            if (const auto lim = m.reference->log_compute_ratio_limit(); lim && x > *lim) tr.unreachable = true;
            if (tr.time && tr.reference_time) {
                const double d = std::abs(*tr.time - *tr.reference_time);
                tr.time_rel_err = *tr.reference_time > 0 ? d / *tr.reference_time : d;
            }
        }
    }
    out.wall_seconds = seconds_since(t0);
    return out;
}

double log_ratio_at(const Experiment& ex, const ScenarioInstance& sc, double t) {
    if (t <= 0) return 0;
    if (ex.solver.closed_form && sc.model.reference) return sc.model.reference->log_compute_ratio(t);
    IntegrationProblem pb = problem_of(sc, t, false);
    pb.output_times = {t};
    const IntegratorOptions opt = options_of(ex);
    return integrate(pb, opt).log_ratio.back();
}

std::vector<double> log_ratios_at(const Experiment& ex, const ScenarioInstance& sc, const std::vector<double>& times) {
    const Model& m = sc.model;
    if (ex.solver.closed_form && m.reference) {
        std::vector<double> out;
        out.reserve(times.size());
        for (const double t : times) out.push_back(m.reference->log_compute_ratio(t));
        return out;
    }
    IntegrationProblem pb = problem_of(sc, sc.spec->horizon, false);
    pb.output_times = times;
    return integrate(pb, options_of(ex)).log_ratio;
}

std::vector<std::optional<double>> target_times(const Experiment& ex, const ScenarioInstance& sc) {
    const Model& m = sc.model;
    const IntegrationProblem pb = problem_of(sc, sc.spec->horizon, true);
    if (ex.solver.closed_form && m.reference) {
        std::vector<std::optional<double>> out;
        for (const double x : pb.log_thresholds) out.push_back(m.reference->time_to_log_compute_ratio(x));
        return out;
    }
    return integrate(pb, options_of(ex)).threshold_times;
}

std::vector<std::string> conditioning_warnings(const ScenarioResult& s) {
    std::vector<std::string> out;
    for (const auto& t : s.targets)
        if (t.time && t.condition && t.time_error_estimate)
            if (const auto w = conditioning_warning(*t.time, *t.condition, *t.time_error_estimate))
                out.push_back(fmt::format("scenario '{}', target {}: {}", s.spec->name, target_label(t.spec), *w));
    return out;
}

Series series_of(const ScenarioResult& r) {
    Series s;
    s.name = r.spec->name;
    s.t = r.trajectory.t;
    s.C = r.trajectory.C;
    s.L = r.trajectory.L;
    s.R = r.trajectory.R;
    for (const auto& t : r.targets) s.targets.push_back({target_label(t.spec), t.time});
    return s;
}

namespace {

/// Scenario i of the run: made (when swept), its goal seek and then the scenario at the value
/// found, and the rows of its analyses.
ScenarioResult run_one(const ModelBuilder& models, const Experiment& ex, std::size_t i, bool keep) {
    ScenarioInstance inst = models.expand(ex, i);
    for (const auto& a : ex.analyses) keep = keep || analysis_of(*a).keeps_trajectory(*a, inst.spec->name);
    const AnalysisContext ctx{models, ex};
    const auto analyses = inst.spec->analyses;  // kept: the scenario that runs may be another
    std::vector<std::any> states(analyses.size());
    for (std::size_t k = 0; k < analyses.size(); ++k)
        if (auto other = analysis_of(*analyses[k]).before_scenario(ctx, *analyses[k], inst, states[k]))
            inst = std::move(*other);
    ScenarioResult res = run_scenario(ex, inst, keep);
    res.index = i;
    for (std::size_t k = 0; k < analyses.size(); ++k)
        analysis_of(*analyses[k]).after_scenario(ctx, *analyses[k], res, states[k], res.tables);
    return res;
}

/// The first exception, with a plugin fault given the scenario it happened in.
std::exception_ptr annotated(const ModelBuilder& models, const Experiment& ex, std::size_t i) {
    try {
        throw;
    } catch (PluginError& e) {  // the registry's guards know the plugin and the time, not the scenario
        try {
            const ScenarioRef ref = expand(ex, i);
            const ScenarioSpec& sc = *ref.spec;
            if (e.scenario.empty()) e.scenario = sc.name;
            const bool power = e.kind == "power";
            const PluginEntry* entry = e.kind == "algorithms" && sc.algorithms
                                           ? models.entry(*sc.algorithms, plugin::Kind::algorithms)
                                           : models.entry(power ? sc.power : sc.efficiency,
                                                          power ? plugin::Kind::power : plugin::Kind::efficiency);
            if (e.library.empty() && entry) e.library = entry->library->path;
        } catch (...) {
        }
        return std::current_exception();
    } catch (...) {
        return std::current_exception();
    }
}

/// The rows [k0, k0 + n) of a batchable sweep, by the reference's vectorised closed form;
/// nullopt when the reference declines them (`why` says why).
std::optional<SweepRows> batch_rows(const ModelBuilder& models, const ScenarioSpec& sc, std::size_t first,
                                    std::size_t k0, std::size_t n, std::string& why) {
    const SweepPlan& plan = *sc.sweep_plan;
    SweepRows rows;
    rows.declared = &sc;
    rows.first = first + k0;
    rows.k0 = k0;
    rows.n = n;
    rows.values.assign(plan.axes.size(), std::vector<double>(n));
    std::vector<std::pair<std::string, plugin::Column>> varying;
    for (std::size_t j = 0; j < plan.axes.size(); ++j) {
        for (std::size_t r = 0; r < n; ++r) rows.values[j][r] = plan.axes[j].number(plan.axis_index(k0 + r, j));
        varying.emplace_back(plan.axes[j].path, plugin::Column{rows.values[j].data(), 1});
    }
    if (!detail::batch_times(models, sc, n, varying, rows.times, why,
                             [&](std::size_t r) { return plan.name(sc.name, k0 + r); }))
        return std::nullopt;
    return rows;
}

}  // namespace

bool sweep_batchable(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc) {
    return sweep_batchable(models, ex, sc, ex.output.trajectories);
}

bool sweep_batchable(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, bool trajectories) {
    if (trajectories || !sc.sweep_plan || !sc.analyses.empty()) return false;
    std::vector<std::string> paths;
    for (const auto& a : sc.sweep_plan->axes) paths.push_back(a.path);
    if (!detail::batch_applies(models, ex, sc, paths)) return false;
    for (const auto& a : ex.analyses)
        if (analysis_of(*a).needs_scenarios_of(*a, sc)) return false;
    // The reference must accept this sweep: its first row, tried now.
    std::string why;
    return batch_rows(models, sc, 0, 0, 1, why).has_value();
}

std::size_t work_units(const Experiment& ex) {
    std::size_t n = scenario_count(ex);
    for (const auto& sc : ex.scenarios)
        for (const auto& a : sc.analyses) n += analysis_of(*a).units_after_run(*a, sc);
    return n;
}

RunInfo run_info(const ModelBuilder& models, const Experiment& ex, bool keep) {
    RunInfo info{&ex, scenario_count(ex), work_units(ex), keep, {}};
    for (const auto& sc : ex.scenarios) {
        auto add = [&](const BlockSpec& b, plugin::Kind kind) {
            for (const auto& p : info.plugins)
                if (p.kind == kind && p.type == b.selection.type) return;
            const PluginEntry* e = models.entry(b, kind);
            const LoadedLibrary* lib = e ? e->library.get() : nullptr;
            info.plugins.push_back(
                {kind, b.selection.type,
                 lib ? std::filesystem::absolute(lib->path).lexically_normal().string() : std::string(),
                 lib ? lib->sha256 : std::string()});
        };
        add(sc.efficiency, plugin::Kind::efficiency);
        add(sc.power, plugin::Kind::power);
        add(sc.loss, plugin::Kind::loss);
        if (sc.reference) add(*sc.reference, plugin::Kind::reference);
        if (sc.algorithms) add(*sc.algorithms, plugin::Kind::algorithms);
    }
    return info;
}

namespace detail {

void run_scenarios(const ModelBuilder& models, const Experiment& ex, bool keep, UnitRange range,
                   const std::function<void(ScenarioResult&)>& on_result,
                   const std::function<void(const SweepRows&)>& on_rows, const std::function<void(std::size_t)>& tick) {
    // Declared scenarios in turn: a batchable sweep by chunks of rows, anything else scenario
    // by scenario (a sweep made one scenario at a time), each in parallel and handed over in order.
    // Decided once per declared scenario: sweep_batchable asks the reference to evaluate a row.
    // Only the scenarios (and rows) in `range` run.
    std::vector<bool> batchable;
    for (const auto& sc : ex.scenarios) batchable.push_back(sweep_batchable(models, ex, sc, keep));
    std::size_t first = 0;
    std::size_t d = 0;
    while (d < ex.scenarios.size()) {
        const ScenarioSpec& sc = ex.scenarios[d];
        if (batchable[d]) {
            const std::size_t rows = sc.sweep_plan->size(), chunk = 4096;
            // Rows [lo, hi) of the sweep are in the range.
            const std::size_t lo = std::clamp(range.first, first, first + rows) - first;
            const std::size_t hi = std::clamp(range.last, first, first + rows) - first;
            if (lo < hi)
                detail::ordered_parallel<SweepRows>(
                    (hi - lo + chunk - 1) / chunk,
                    [&](std::size_t c) {
                        check_interrupt();
                        const std::size_t k0 = lo + c * chunk, m = std::min(chunk, hi - k0);
                        std::string why;
                        auto out = batch_rows(models, sc, first, k0, m, why);
                        if (!out)
                            throw RunError("scenario '" + sc.name + "': reference '" + sc.reference->selection.type +
                                           "' declined rows " + std::to_string(k0) + " to " +
                                           std::to_string(k0 + m - 1) +
                                           " of the sweep after accepting its first: " + why);
                        tick(m);
                        return std::move(*out);
                    },
                    [&](const SweepRows& b) { on_rows(b); }, [](std::size_t) { return std::current_exception(); },
                    [](std::size_t) {});
            first += rows;
            ++d;
            continue;
        }
        // A run of consecutive declared scenarios that are not batchable goes through one pipeline.
        std::size_t end = d, count = 0;
        while (end < ex.scenarios.size() && !batchable[end]) {
            count += ex.scenarios[end].sweep_plan ? ex.scenarios[end].sweep_plan->size() : 1;
            ++end;
        }
        const std::size_t lo = std::clamp(range.first, first, first + count);
        const std::size_t hi = std::clamp(range.last, first, first + count);
        detail::ordered_parallel<ScenarioResult>(
            hi - lo,
            [&](std::size_t i) {
                check_interrupt();
                return run_one(models, ex, lo + i, keep);
            },
            [&](ScenarioResult& res) { on_result(res); }, [&](std::size_t i) { return annotated(models, ex, lo + i); },
            tick);
        first += count;
        d = end;
    }
}

}  // namespace detail

RunSummary run_experiment(const ModelBuilder& models, const Experiment& ex, RunSink& sink, const Progress& progress,
                          std::optional<bool> trajectories) {
    const auto t0 = std::chrono::steady_clock::now();
    const bool keep = trajectories.value_or(ex.output.trajectories);
    RunSummary r;
    r.experiment = &ex;
    const RunInfo info = run_info(models, ex, keep);
    const std::size_t total = info.work_units;
    r.scenarios = info.scenarios;
    r.trajectories = keep;
    sink.begin(info);
    std::atomic<std::size_t> finished{0};
    auto tick = [&](std::size_t k) {
        const std::size_t now = finished += k;
        if (progress) progress(now, total);
    };
    std::vector<std::any> states(ex.analyses.size());  // the experiment's own analyses'

    detail::run_scenarios(
        models, ex, keep, UnitRange{0, info.scenarios},
        [&](ScenarioResult& res) {
            for (std::size_t k = 0; k < ex.analyses.size(); ++k)
                analysis_of(*ex.analyses[k]).scenario_done(*ex.analyses[k], res, states[k]);
            sink.take_scenario(std::move(res));
        },
        [&](const SweepRows& b) { sink.sweep_rows(b); }, tick);

    // The analyses' work after every scenario (Monte Carlo), scenario by scenario.
    const std::function<void(std::size_t)> tick_fn = tick;
    const AfterRunContext after{models, ex, sink, tick_fn, r};
    for (const auto& sc : ex.scenarios)
        for (const auto& a : sc.analyses) analysis_of(*a).after_run(after, *a, sc);
    for (std::size_t k = 0; k < ex.analyses.size(); ++k)
        analysis_of(*ex.analyses[k]).after_experiment(after, *ex.analyses[k], states[k]);
    for (auto& mc : r.monte_carlo) mc.times = {};  // kept for the experiment's analyses only (paired comparisons)
    r.wall_seconds = seconds_since(t0);
    sink.end(r);
    return r;
}

RunResult run_experiment(const ModelBuilder& models, const Experiment& ex, const Progress& progress,
                         std::optional<bool> trajectories) {
    CollectingSink sink;
    (void)run_experiment(models, ex, sink, progress, trajectories);
    return sink.take();
}

}  // namespace racesim
