// Issue 4, benchmark 1: one verified trajectory per problem (continuous gamma = 2; discrete
// steps T = 1; continuous x peaked duty 0.22; 30 yr, 301 outputs, one time to target) at
// rel_tol 1e-6 and 1e-10, with the real plugins loaded through the Registry.
//
//   BM_Integrate/<problem>/<tol>    integrate(): the ODE, the outputs and the time to target
//   BM_RunScenario/<problem>/<tol>  run_scenario(): the above plus the rows (E, P, L, R) and the
//                                   check of every row and target against the reference plugin
//
// Counters: rhs (RHS evaluations), steps, segments, err_C (max |C/C_exact - 1| over the 301
// outputs), err_t (|t*/t*_exact - 1|); "exact" is the relative-loss or piecewise-exact plugin.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <boost/math/tools/roots.hpp>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <map>
#include <memory>

#include "bench_common.hpp"

using namespace racesim;
using namespace racesim::bench;

namespace {

const Experiment& problems(int tol_exp) {
    static std::map<int, std::unique_ptr<Experiment>> cache;
    auto& p = cache[tol_exp];
    if (!p) p = std::make_unique<Experiment>(load_experiment(problems_yaml(std::pow(10.0, -tol_exp))));
    return *p;
}

void set_counters(benchmark::State& state, const IntegrationStats& st, const Errors& e) {
    state.counters["rhs"] = static_cast<double>(st.rhs_evaluations);
    state.counters["steps"] = static_cast<double>(st.steps);
    state.counters["segments"] = static_cast<double>(st.segments);
    state.counters["err_C"] = e.C;
    state.counters["err_t"] = e.t;
}

void BM_Integrate(benchmark::State& state) {
    const Experiment& ex = problems(static_cast<int>(state.range(1)));
    const ScenarioSpec& sc = ex.scenarios.at(static_cast<std::size_t>(state.range(0)));
    const IntegrationProblem pb = problem_of(ex, sc);
    const IntegratorOptions opt{ex.solver.rel_tol, ex.solver.abs_tol, ex.solver.max_steps};
    IntegrationResult r;
    for (auto _ : state) {
        r = integrate(pb, opt);
        benchmark::DoNotOptimize(r.log_ratio.data());
    }
    set_counters(state, r.stats, errors_of(sc, pb, r));
    // The reference's time to target, cross-checked by bench/run-all against mpmath.
    state.counters["t_exact"] = sc.model.reference->time_to_log_compute_ratio(pb.log_thresholds.at(0)).value_or(-1);
    state.SetLabel(sc.name);
}

// integrate() without its audit for undeclared jumps (IntegratorOptions::check_jumps): the
// integration alone, to show what the audit costs. racesim run always audits.
void BM_IntegrateNoAudit(benchmark::State& state) {
    const Experiment& ex = problems(static_cast<int>(state.range(1)));
    const ScenarioSpec& sc = ex.scenarios.at(static_cast<std::size_t>(state.range(0)));
    const IntegrationProblem pb = problem_of(ex, sc);
    IntegratorOptions opt{ex.solver.rel_tol, ex.solver.abs_tol, ex.solver.max_steps};
    opt.check_jumps = false;
    IntegrationResult r;
    for (auto _ : state) {
        r = integrate(pb, opt);
        benchmark::DoNotOptimize(r.log_ratio.data());
    }
    set_counters(state, r.stats, errors_of(sc, pb, r));
    state.SetLabel(sc.name);
}

void BM_RunScenario(benchmark::State& state) {
    const Experiment& ex = problems(static_cast<int>(state.range(1)));
    const ScenarioSpec& sc = ex.scenarios.at(static_cast<std::size_t>(state.range(0)));
    ScenarioResult r;
    for (auto _ : state) {
        r = run_scenario(ex, sc);
        benchmark::DoNotOptimize(r.rows.data());
    }
    // The same errors, from an integration outside the timed loop (run_scenario's own check
    // is relative to R, not C).
    const IntegrationProblem pb = problem_of(ex, sc);
    const IntegrationResult ir = integrate(pb, {ex.solver.rel_tol, ex.solver.abs_tol, ex.solver.max_steps});
    set_counters(state, r.stats, errors_of(sc, pb, ir));
    state.counters["max_rel_err_R"] = r.max_rel_err.value_or(-1);
    state.SetLabel(sc.name);
}

// ---------------------------------------------------------------------------------------
// A PROTOTYPE, not racesim's integrator: what would close the gap on piecewise-constant rates.
// When no rate depends on the state (depends_on_state() is false for every built-in plugin),
// dC/dt = E(t)·P(t) is a quadrature. Integrating u = ln C makes it nonlinear (du/dt = E·P/C):
// on a segment where E·P is constant, C is linear in t but ln C is not, so dopri5 needs ~33
// steps per segment at 1e-10. This prototype integrates, per step, the relative increment
// w = C/C_a - 1 from an anchor C_a re-set at every accepted step (dw/dt = E·P/C_a, so
// u = u_a + log1p(w)): exact for constant E·P (one step per segment), still tolerance-
// controlled on the relative error of C, and it never overflows (w is reset every step).
struct ProtoResult {
    std::vector<double> log_ratio;
    std::vector<std::optional<double>> threshold_times;
    IntegrationStats stats;
};

ProtoResult integrate_relative_increment(const IntegrationProblem& pb, const IntegratorOptions& opt) {
    namespace odeint = boost::numeric::odeint;
    using State = std::array<double, 1>;
    ProtoResult res;
    res.log_ratio.assign(pb.output_times.size(), 0.0);
    res.threshold_times.assign(pb.log_thresholds.size(), std::nullopt);
    const auto segments = make_segments(*pb.efficiency, *pb.power, pb.horizon, pb.scenario);
    plugin::Segment seg{0, 0};
    double log_anchor = pb.log_C0;  // ln C_a
    auto rhs = [&](const State&, State& dxdt, double t) {
        ++res.stats.rhs_evaluations;
        dxdt[0] = std::exp(pb.efficiency->log_value(t, 0.0, seg) + pb.power->log_value(t, 0.0, seg) - log_anchor);
    };
    auto stepper = odeint::make_controlled(opt.rel_tol, 0.0, odeint::runge_kutta_dopri5<State>());
    odeint::runge_kutta_dopri5<State> polisher;
    const double threshold = pb.log_thresholds.at(0);
    std::size_t next_out = 1;
    double u = 0, dt_hint = 0;
    for (const auto& s : segments) {
        seg = s;
        ++res.stats.segments;
        stepper.reset();
        double t = s.begin;
        State x{0.0}, dxdt{}, x_new{}, dxdt_new{};
        log_anchor = pb.log_C0 + u;
        rhs(x, dxdt, t);
        double dt = dt_hint > 0 ? std::min(dt_hint, s.end - s.begin) : std::min(s.end - s.begin, 1e-2);
        while (t < s.end) {
            const bool last = dt >= s.end - t;
            if (last) dt = s.end - t;
            const double t_old = t;
            double dt_try = dt;
            if (stepper.try_step(rhs, x, dxdt, t, x_new, dxdt_new, dt_try) != odeint::success) {
                ++res.stats.rejected;
                dt = dt_try;
                continue;
            }
            ++res.stats.steps;
            if (last) t = s.end;
            dt_hint = dt = dt_try;
            const double u_old = u, u_new = u + std::log1p(x_new[0]);
            const auto& rk = stepper.stepper();
            auto dense = [&](double tq) {
                if (tq >= t) return u_new;
                State o{};
                rk.calc_state(tq, o, x, dxdt, t_old, x_new, dxdt_new, t);
                return u_old + std::log1p(o[0]);
            };
            while (next_out < pb.output_times.size() && pb.output_times[next_out] <= t)
                res.log_ratio[next_out] = dense(pb.output_times[next_out]), ++next_out;
            if (!res.threshold_times[0] && threshold <= u_new) {
                boost::uintmax_t iters = 100;
                auto f = [&](double tq) { return dense(tq) - threshold; };
                const auto r = boost::math::tools::toms748_solve(f, t_old, t, u_old - threshold, u_new - threshold,
                                                                 boost::math::tools::eps_tolerance<double>(52), iters);
                double tc = 0.5 * (r.first + r.second);
                for (int it = 0; it < 4; ++it) {  // Newton on a fresh 5th-order step, as integrate()
                    State xo{}, dxo{};
                    polisher.do_step(rhs, x, dxdt, t_old, xo, dxo, tc - t_old);
                    const double g = u_old + std::log1p(xo[0]) - threshold, dg = dxo[0] / (1 + xo[0]);
                    if (!(dg > 0)) break;
                    const double next = std::clamp(tc - g / dg, t_old, t);
                    const bool done = std::abs(next - tc) <= 4e-16 * std::max(1.0, tc);
                    tc = next;
                    if (done) break;
                }
                res.threshold_times[0] = tc;
            }
            // Re-anchor: C_a <- C(t); w <- 0, and dw/dt scales by C_a(old)/C_a(new).
            u = u_new;
            log_anchor = pb.log_C0 + u;
            x[0] = 0.0;
            dxdt[0] = dxdt_new[0] / (1 + x_new[0]);
        }
    }
    while (next_out < pb.output_times.size()) res.log_ratio[next_out++] = u;
    return res;
}

void BM_Prototype_RelativeIncrement(benchmark::State& state) {
    const Experiment& ex = problems(static_cast<int>(state.range(1)));
    const ScenarioSpec& sc = ex.scenarios.at(static_cast<std::size_t>(state.range(0)));
    const IntegrationProblem pb = problem_of(ex, sc);
    const IntegratorOptions opt{ex.solver.rel_tol, ex.solver.abs_tol, ex.solver.max_steps};
    ProtoResult r;
    for (auto _ : state) {
        r = integrate_relative_increment(pb, opt);
        benchmark::DoNotOptimize(r.log_ratio.data());
    }
    IntegrationResult ir;
    ir.log_ratio = r.log_ratio;
    ir.threshold_times = r.threshold_times;
    set_counters(state, r.stats, errors_of(sc, pb, ir));
    state.SetLabel(sc.name);
}

void problem_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"problem", "tol_exp"});
    for (int p = 0; p < 3; ++p)
        for (int tol : {6, 10}) b->Args({p, tol});
}

}  // namespace

BENCHMARK(BM_Integrate)->Apply(problem_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntegrateNoAudit)->Apply(problem_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunScenario)->Apply(problem_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Prototype_RelativeIncrement)->Apply(problem_args)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
