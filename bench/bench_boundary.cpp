// Issue 4, benchmark 4: the cost of the plugin boundary. The same formulas (continuous
// doubling x mean-field, and continuous doubling x peaked duty 0.22) evaluated
//   * through the plugin objects the Registry made (a virtual call into a dlopen'ed library),
//   * through a RateModel subclass compiled into this binary (a virtual call, no library),
//   * inlined (the formula compiled into the loop);
// per RHS evaluation (ln E + ln P - ln C, exp), and for a whole trajectory: integrate() with
// plugin models vs host models, and a copy of the integrator's loop with the RHS inlined.
#include <benchmark/benchmark.h>

#include <array>
#include <boost/math/tools/roots.hpp>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "bench_common.hpp"
#include "racesim/plugin/math.hpp"

using namespace racesim;
using namespace racesim::bench;
namespace math = racesim::plugin::math;

namespace {

const Experiment& problems() {
    static const Experiment ex = load_experiment(problems_yaml(1e-10));
    return ex;
}

// --- the same formulas, compiled into this binary ---------------------------------------
struct InlineDoubling {
    double log_E0 = 0, rate = 2 * math::ln2;
    double log_value(double t) const { return log_E0 + rate * t; }
};
struct InlinePeaked {
    double log_peak = std::log(1 / 0.22), duty = 0.22, offset = 0, period = 1;
    bool on = true;  ///< the regime of the current segment
    void enter(const plugin::Segment& s) {
        const double m = s.mid();
        const double phase = (m - std::floor(m / period) * period) / period;
        on = phase >= offset && phase < offset + duty;
    }
    double log_value() const { return on ? log_peak : math::neg_inf; }
};

class HostDoubling final : public plugin::RateModel {
public:
    double log_value(double t, double, const plugin::Segment&) const override { return d_.log_value(t); }

private:
    InlineDoubling d_;
};
class HostMeanField final : public plugin::RateModel {
public:
    double log_value(double, double, const plugin::Segment&) const override { return 0.0; }
};

// --- per RHS evaluation -------------------------------------------------------------------
constexpr int kEvals = 1024;

std::vector<double> times() {
    std::vector<double> t(kEvals);
    for (int i = 0; i < kEvals; ++i) t[static_cast<std::size_t>(i)] = 30.0 * i / kEvals;
    return t;
}

void rhs_loop(benchmark::State& state, const plugin::RateModel* e, const plugin::RateModel* p) {
    const auto ts = times();
    const plugin::Segment seg{0, 30};
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(p);
    for (auto _ : state) {
        double sum = 0;
        for (double t : ts) sum += std::exp(e->log_value(t, 0.0, seg) + p->log_value(t, 0.0, seg) - 0.5 * t);
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * kEvals);
}

void BM_Rhs_Plugin(benchmark::State& state) {
    const auto& m = instance(problems(), 0).model;  // continuous x mean-field, from the plugins
    rhs_loop(state, m.efficiency.get(), m.power.get());
}
void BM_Rhs_HostVirtual(benchmark::State& state) {
    const HostDoubling e;
    const HostMeanField p;
    rhs_loop(state, &e, &p);
}
void BM_Rhs_Inline(benchmark::State& state) {
    const auto ts = times();
    InlineDoubling e;
    benchmark::DoNotOptimize(e);
    for (auto _ : state) {
        double sum = 0;
        for (double t : ts) sum += std::exp(e.log_value(t) + 0.0 - 0.5 * t);
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * kEvals);
}
void BM_Rhs_Plugin_Peaked(benchmark::State& state) {
    const auto& m = instance(problems(), 2).model;  // continuous x peaked
    rhs_loop(state, m.efficiency.get(), m.power.get());
}
void BM_Rhs_Inline_Peaked(benchmark::State& state) {
    const auto ts = times();
    InlineDoubling e;
    InlinePeaked p;
    p.enter({0, 0.22});
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(p);
    for (auto _ : state) {
        double sum = 0;
        for (double t : ts) sum += std::exp(e.log_value(t) + p.log_value() - 0.5 * t);
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * kEvals);
}

// --- whole trajectories (continuous gamma = 2, 30 yr, 301 outputs, one target, 1e-10) ----------
void BM_Trajectory_Plugin(benchmark::State& state) {
    const Experiment& ex = problems();
    const IntegrationProblem pb = problem_of(ex, instance(ex, 0));
    IntegrationResult r;
    for (auto _ : state) {
        r = integrate(pb, {1e-10, 0, 1'000'000});
        benchmark::DoNotOptimize(r.log_ratio.data());
    }
    state.counters["rhs"] = static_cast<double>(r.stats.rhs_evaluations);
}
void BM_Trajectory_HostVirtual(benchmark::State& state) {
    const Experiment& ex = problems();
    IntegrationProblem pb = problem_of(ex, instance(ex, 0));
    const HostDoubling e;
    const HostMeanField p;
    pb.efficiency = &e;
    pb.power = &p;
    IntegrationResult r;
    for (auto _ : state) {
        r = integrate(pb, {1e-10, 0, 1'000'000});
        benchmark::DoNotOptimize(r.log_ratio.data());
    }
    state.counters["rhs"] = static_cast<double>(r.stats.rhs_evaluations);
}

/// integrate()'s algorithm for one segment (continuous x mean-field has no breakpoints) with
/// the RHS inlined and no checks: the floor for the plugin design on this problem.
struct InlinedResult {
    std::vector<double> u;
    double t_star = 0;
    long rhs = 0;
};
InlinedResult integrate_inlined(const std::vector<double>& out_t, double threshold, double horizon, double rel_tol) {
    namespace odeint = boost::numeric::odeint;
    using State = std::array<double, 1>;
    InlinedResult res;
    res.u.assign(out_t.size(), 0.0);
    const InlineDoubling e;
    auto rhs = [&](const State& x, State& dxdt, double t) {
        ++res.rhs;
        dxdt[0] = std::exp(e.log_value(t) - x[0]);  // ln P = 0, ln C0 = 0
    };
    auto stepper = odeint::make_controlled(rel_tol, 0.0, odeint::runge_kutta_dopri5<State>());
    odeint::runge_kutta_dopri5<State> polisher;
    State x{0.0}, dxdt{}, x_new{}, dxdt_new{};
    double t = 0, dt = 1e-2;
    rhs(x, dxdt, t);
    std::size_t next_out = 1;
    bool found = false;
    while (t < horizon) {
        const bool last = dt >= horizon - t;
        if (last) dt = horizon - t;
        const double t_old = t;
        double dt_try = dt;
        if (stepper.try_step(rhs, x, dxdt, t, x_new, dxdt_new, dt_try) != odeint::success) {
            dt = dt_try;
            continue;
        }
        if (last) t = horizon;
        dt = dt_try;
        const auto& rk = stepper.stepper();
        auto dense = [&](double tq) {
            if (tq >= t) return x_new[0];
            State o{};
            rk.calc_state(tq, o, x, dxdt, t_old, x_new, dxdt_new, t);
            return o[0];
        };
        while (next_out < out_t.size() && out_t[next_out] <= t) res.u[next_out] = dense(out_t[next_out]), ++next_out;
        if (!found && x_new[0] >= threshold) {
            boost::uintmax_t iters = 100;
            auto f = [&](double tq) { return dense(tq) - threshold; };
            const auto r = boost::math::tools::toms748_solve(f, t_old, t, x[0] - threshold, x_new[0] - threshold,
                                                             boost::math::tools::eps_tolerance<double>(52), iters);
            double tc = 0.5 * (r.first + r.second);
            for (int it = 0; it < 4; ++it) {  // the same Newton polish as integrate()
                State xo{}, dxo{};
                polisher.do_step(rhs, x, dxdt, t_old, xo, dxo, tc - t_old);
                const double next = std::clamp(tc - (xo[0] - threshold) / dxo[0], t_old, t);
                if (std::abs(next - tc) <= 4e-16 * std::max(1.0, tc)) break;
                tc = next;
            }
            res.t_star = tc;
            found = true;
        }
        x = x_new;
        dxdt = dxdt_new;
    }
    return res;
}

void BM_Trajectory_Inlined(benchmark::State& state) {
    const Experiment& ex = problems();
    const ScenarioInstance& sc = instance(ex, 0);
    const IntegrationProblem pb = problem_of(ex, sc);
    InlinedResult r;
    for (auto _ : state) {
        r = integrate_inlined(pb.output_times, pb.log_thresholds.at(0), pb.horizon, 1e-10);
        benchmark::DoNotOptimize(r.u.data());
    }
    state.counters["rhs"] = static_cast<double>(r.rhs);
    const auto exact = sc.model.reference->time_to_log_compute_ratio(pb.log_thresholds.at(0)).value();
    state.counters["err_t"] = std::abs(r.t_star / exact - 1);
}

}  // namespace

BENCHMARK(BM_Rhs_Plugin);
BENCHMARK(BM_Rhs_HostVirtual);
BENCHMARK(BM_Rhs_Inline);
BENCHMARK(BM_Rhs_Plugin_Peaked);
BENCHMARK(BM_Rhs_Inline_Peaked);
BENCHMARK(BM_Trajectory_Plugin)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Trajectory_HostVirtual)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Trajectory_Inlined)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
