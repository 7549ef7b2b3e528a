// Issue 4, benchmark 1: one verified trajectory per problem (continuous gamma = 2; discrete
// steps T = 1; continuous x peaked duty 0.22; and issue 18's logistic, experience curve, linear
// time series and linear ramp; 30 yr, 301 outputs, one time to target) at
// rel_tol 1e-6 and 1e-10, with the real plugins loaded through the Registry.
//
//   BM_Integrate/<problem>/<tol>    integrate(): the ODE, the outputs and the time to target, as
//                                   racesim run does it (the built-in plugins, contract-tested,
//                                   are not audited for undeclared jumps)
//   BM_IntegrateAuditAll/<problem>/<tol>  integrate() with every rate model audited for undeclared
//                                   jumps (`solver: {audit: all}`; what a third-party plugin costs)
//   BM_IntegrateRungeKutta/<problem>/<tol>  integrate() without the quadrature panels
//                                   (IntegratorOptions::quadrature off): Dormand–Prince 5(4) in
//                                   the plain forms, as before the panels (problems 3, 5, 6: the
//                                   state-independent ones without an exact step)
//   BM_IntegrateHighOrder/<problem>/<tol>  the same with DOP853 for the plain forms
//                                   (IntegratorOptions::high_order_tol, experimental; problems
//                                   3-6, the ones without an exact step)
//   BM_RunScenario/<problem>/<tol>  run_scenario(): the above plus the rows (E, P, L, R) and the
//                                   check of every row and target against the reference plugin
//   BM_RunScenarioUnchecked/<problem>/<tol>  run_scenario() of the same scenarios without a
//                                   reference: the rows, nothing checked (what the rows cost
//                                   apart from their check)
//
// Counters: rhs (RHS evaluations), steps, segments, err_C (max |C/C_exact - 1| over the 301
// outputs), err_t (|t*/t*_exact - 1|); "exact" is the relative-loss or piecewise-exact plugin.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>

#include "bench_common.hpp"

using namespace racesim;
using namespace racesim::bench;

namespace {

const Experiment& problems(int tol_exp, bool references = true) {
    static std::map<std::pair<int, bool>, std::unique_ptr<Experiment>> cache;
    auto& p = cache[{tol_exp, references}];
    if (!p) p = std::make_unique<Experiment>(load_experiment(problems_yaml(std::pow(10.0, -tol_exp), references)));
    return *p;
}

void set_counters(benchmark::State& state, const IntegrationStats& st, const Errors& e) {
    state.counters["rhs"] = static_cast<double>(st.rhs_evaluations);
    state.counters["steps"] = static_cast<double>(st.steps);
    state.counters["segments"] = static_cast<double>(st.segments);
    state.counters["err_C"] = e.C;
    state.counters["err_t"] = e.t;
}

/// Times integrate() of problem range(0) at rel_tol 10^-range(1) with the options of racesim
/// run, changed by `tweak`, and sets its counters.
template <class Tweak>
void time_integrate(benchmark::State& state, Tweak tweak) {
    const Experiment& ex = problems(static_cast<int>(state.range(1)));
    const ScenarioInstance& sc = instance(ex, static_cast<std::size_t>(state.range(0)));
    const IntegrationProblem pb = problem_of(ex, sc);
    IntegratorOptions opt = options_of(ex);
    tweak(opt);
    IntegrationResult r;
    for (auto _ : state) {
        r = integrate(pb, opt);
        benchmark::DoNotOptimize(r.log_ratio.data());
    }
    set_counters(state, r.stats, errors_of(sc, pb, r));
    // The reference's time to target, cross-checked by bench/run-all against mpmath.
    state.counters["t_exact"] = sc.model.reference->time_to_log_compute_ratio(pb.log_thresholds.at(0)).value_or(-1);
    state.SetLabel(sc.spec->name);
}

void BM_Integrate(benchmark::State& state) {
    time_integrate(state, [](IntegratorOptions&) {});
}

// integrate() with its audit for undeclared jumps on every rate model, the contract-tested
// built-ins included (IntegratorOptions::audit_contract_tested, `solver: {audit: all}`): what
// the same models would cost as third-party plugins.
void BM_IntegrateAuditAll(benchmark::State& state) {
    time_integrate(state, [](IntegratorOptions& o) { o.audit_contract_tested = true; });
}

// integrate() with Runge–Kutta steps (Dormand–Prince 5(4)) where a state-independent rate
// would take quadrature panels (IntegratorOptions::quadrature off): how racesim integrated
// these problems before the panels.
void BM_IntegrateRungeKutta(benchmark::State& state) {
    time_integrate(state, [](IntegratorOptions& o) { o.quadrature = false; });
}

// integrate() with DOP853 for the Runge–Kutta steps in the plain forms
// (IntegratorOptions::high_order_tol, experimental, off in racesim run), the quadrature panels off.
void BM_IntegrateHighOrder(benchmark::State& state) {
    time_integrate(state, [](IntegratorOptions& o) {
        o.high_order_tol = 1e-7;
        o.quadrature = false;
    });
}

/// Times run_scenario() of problem range(0) of `ex`, as racesim run calls it; the last result.
ScenarioResult time_run_scenario(benchmark::State& state, const Experiment& ex) {
    const ScenarioInstance& sc = instance(ex, static_cast<std::size_t>(state.range(0)));
    ScenarioResult r;
    for (auto _ : state) {
        r = run_scenario(ex, sc);
        benchmark::DoNotOptimize(r.trajectory.t.data());
    }
    state.SetLabel(sc.spec->name);
    return r;
}

void BM_RunScenario(benchmark::State& state) {
    const Experiment& ex = problems(static_cast<int>(state.range(1)));
    const ScenarioInstance& sc = instance(ex, static_cast<std::size_t>(state.range(0)));
    const ScenarioResult r = time_run_scenario(state, ex);
    // The same errors, from an integration outside the timed loop (run_scenario's own check
    // is relative to R, not C).
    const IntegrationProblem pb = problem_of(ex, sc);
    const IntegrationResult ir = integrate(pb, options_of(ex));
    set_counters(state, r.stats, errors_of(sc, pb, ir));
    state.counters["max_rel_err_R"] = r.max_rel_err.value_or(-1);
}

// run_scenario() of the problems without their reference: the same rows (C, E, P, L, R at the
// 301 outputs) and target times, nothing checked. Its counters are those of the integration.
void BM_RunScenarioUnchecked(benchmark::State& state) {
    const ScenarioResult r = time_run_scenario(state, problems(static_cast<int>(state.range(1)), false));
    if (r.max_rel_err || r.trajectory.t.size() != 301 || !r.trajectory.R_ref.empty())
        state.SkipWithError("a reference was checked, or the rows are not the 301 outputs");
    state.counters["rhs"] = static_cast<double>(r.stats.rhs_evaluations);
}

void problem_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"problem", "tol_exp"});
    for (int p = 0; p < problem_count; ++p)
        for (int tol : {6, 10}) b->Args({p, tol});
}

}  // namespace

BENCHMARK(BM_Integrate)->Apply(problem_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntegrateAuditAll)->Apply(problem_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntegrateHighOrder)
    ->ArgNames({"problem", "tol_exp"})
    ->ArgsProduct({{3, 4, 5, 6}, {6, 10}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntegrateRungeKutta)
    ->ArgNames({"problem", "tol_exp"})
    ->ArgsProduct({{3, 5, 6}, {6, 10}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunScenario)->Apply(problem_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunScenarioUnchecked)->Apply(problem_args)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
