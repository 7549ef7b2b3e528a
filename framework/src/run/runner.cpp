#include "racesim/run/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "racesim/core/diagnostics.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugins/registry.hpp"

namespace racesim {

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

ScenarioResult run_scenario(const Experiment& ex, const ScenarioSpec& sc) {
    const auto t0 = std::chrono::steady_clock::now();
    const Model& m = sc.model;
    ScenarioResult out;
    out.spec = &sc;

    IntegrationProblem pb;
    pb.efficiency = m.efficiency.get();
    pb.power = m.power.get();
    pb.log_C0 = m.log_C0;
    pb.horizon = sc.horizon;
    pb.output_times = output_grid(ex, sc);
    pb.scenario = sc.name;
    pb.efficiency_name = sc.efficiency.selection.type;
    pb.power_name = sc.power.selection.type;

    for (const auto& t : sc.targets) {
        TargetResult tr;
        tr.spec = t;
        tr.loss = t.kind == TargetSpec::Kind::loss ? t.value : t.value * m.L_start;
        tr.relative = tr.loss / m.L_start;
        std::string why;
        const auto log_C = m.loss->log_compute_for_loss(tr.loss, why);
        if (!log_C)
            throw RunError("scenario '" + sc.name + "': target loss " + plugin::math::format(tr.loss) +
                           " cannot be expressed: " + why);
        pb.log_thresholds.push_back(*log_C - m.log_C0);
        out.targets.push_back(tr);
    }

    IntegratorOptions opt{ex.solver.rel_tol, ex.solver.abs_tol, ex.solver.max_steps};
    IntegrationResult ir = integrate(pb, opt);
    out.stats = ir.stats;

    out.rows.reserve(pb.output_times.size());
    double max_err = -1;
    for (std::size_t i = 0; i < pb.output_times.size(); ++i) {
        const double t = pb.output_times[i];
        const double u = ir.log_ratio[i];
        const plugin::Segment& s = segment_at(ir.segments, t);
        const double log_C = m.log_C0 + u;
        Row r{};
        r.t = t;
        r.C = std::exp(log_C);
        r.E = m.efficiency->value(t, log_C, s);
        r.P = m.power->value(t, log_C, s);
        r.L = m.loss->loss(log_C);
        r.R = r.L / m.L_start;
        if (!std::isfinite(r.C) || !std::isfinite(r.E) || !std::isfinite(r.P) || !std::isfinite(r.L) ||
            !std::isfinite(r.R))
            throw RunError("scenario '" + sc.name + "': at t = " + plugin::math::format(t) +
                           " yr the results leave the range of a double (ln(C/C0) = " + plugin::math::format(u) +
                           ", C = " + plugin::math::format(r.C) + ", E = " + plugin::math::format(r.E) +
                           ", L = " + plugin::math::format(r.L) + "); shorten the horizon or lower gamma");
        if (m.reference) {
            const double R_ref = m.loss->loss(m.log_C0 + m.reference->log_compute_ratio(t)) / m.L_start;
            r.R_ref = R_ref;
            r.rel_err = std::abs(r.R / R_ref - 1);
            if (*r.rel_err > max_err) {
                max_err = *r.rel_err;
                out.max_rel_err_time = t;
            }
        }
        out.rows.push_back(r);
    }
    if (m.reference) out.max_rel_err = max_err;

    for (std::size_t k = 0; k < out.targets.size(); ++k) {
        TargetResult& tr = out.targets[k];
        tr.time = ir.threshold_times[k];
        tr.reached = tr.time.has_value();
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

RunResult run_experiment(const Experiment& ex) {
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r;
    r.experiment = &ex;
    for (const auto& sc : ex.scenarios) {
        try {
            r.scenarios.push_back(run_scenario(ex, sc));
        } catch (PluginError& e) {  // the registry's guards know the plugin and the time, not the scenario
            if (e.scenario.empty()) e.scenario = sc.name;
            const BlockSpec& b = e.kind == "power" ? sc.power : sc.efficiency;
            if (e.library.empty() && b.entry) e.library = b.entry->library->path;
            throw;
        }
    }
    r.wall_seconds = seconds_since(t0);
    return r;
}

}  // namespace racesim
