// Issue 4, benchmark 3: sweep throughput, trajectories with time to target per second, through
// run_experiment on an in-memory experiment of N scenarios (gamma swept over [0.1, 3], 40 yr,
// target R = 0.68 at kappa = 0.048, reference relative-loss checked on every row, rel_tol 1e-10).
//
//   BM_Sweep/n/jobs/grid/method   grid = 1: the default 301-point output grid; grid = 0: outputs at
//                          0 and the horizon only (time to target is what a sweep asks for);
//                          method = 1: `solver: {method: closed-form}` (see below)
//   BM_SweepLoad/n         parsing + validating + instantiating the N scenarios (not in BM_Sweep)
//   BM_ClosedForm_*        the relative-loss reference plugin evaluated per point, as the
//                          scalar baseline for the closed-form fast path (issue 4)
//
// items_per_second = scenarios (trajectories) per second of wall time. BM_Sweep's CPU time is
// the whole process's (all threads), so n / cpu_time is the throughput per core, and the
// 1 -> 2 thread speed-up is the ratio of real times (meaningful on an otherwise idle machine).
// BM_Sweep's free_s: seconds per iteration spent freeing the run's results afterwards (part of
// its time; serial, the caller's), which bench/run-all takes out for the run's own speed-up.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "bench_common.hpp"
#include "racesim/config/scenario.hpp"

#ifdef RACESIM_BENCH_HAVE_TBB
#include <tbb/global_control.h>
#endif

using namespace racesim;
using namespace racesim::bench;

namespace {

std::string sweep_yaml(long n, bool grid, bool closed_form = false) {
    return std::string(R"(racesim: 1
name: bench-sweep
horizon: 40
)") + (grid ? "" : "output: {every: 40}\n") +
           (closed_form ? "solver: {method: closed-form}\n" : "solver: {rel_tol: 1.0e-10, abs_tol: 0}\n") +
           R"(defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: relative-loss
scenarios:
  - name: g
    sweep:
      efficiency.gamma: {from: 0.1, to: 3, count: )" +
           std::to_string(n) + "}\n";
}

const Experiment& sweep(long n, bool grid, bool closed_form = false) {
    static std::map<std::tuple<long, bool, bool>, std::unique_ptr<Experiment>> cache;
    auto& p = cache[{n, grid, closed_form}];
    if (!p) p = std::make_unique<Experiment>(load_experiment(sweep_yaml(n, grid, closed_form)));
    return *p;
}

// ---------------------------------------------------------------------------------------
// THE HOOK FOR THE PARALLEL RUNNER. The parallel runner (issue 4, oneTBB) uses every core by
// default; this limits oneTBB to `jobs` threads for the call, so jobs = 1 really is one core
// whether or not the runner is parallel (on a serial runner the limit changes nothing).
// Configure with -DRACESIM_BENCH_HAVE_JOBS=ON once the parallel runner is in: BM_Sweep then also
// registers jobs = 2 and bench/run-all reports the 1 -> 2 thread speed-up.
RunResult run_with_jobs(const Experiment& ex, int jobs) {
#ifdef RACESIM_BENCH_HAVE_TBB
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(jobs));
#else
    (void)jobs;
#endif
    return run_experiment(models(), ex);
}
#ifdef RACESIM_BENCH_HAVE_JOBS
constexpr bool have_jobs = true;
#else
constexpr bool have_jobs = false;
#endif
// `solver: {method: closed-form}` (the closed-form fast path): configure with
// -DRACESIM_BENCH_HAVE_CLOSED_FORM=ON once it is in; BM_Sweep then also registers method = 1.
#ifdef RACESIM_BENCH_HAVE_CLOSED_FORM
constexpr bool have_closed_form = true;
#else
constexpr bool have_closed_form = false;
#endif
// ---------------------------------------------------------------------------------------

void BM_Sweep(benchmark::State& state) {
    const long n = state.range(0);
    const int jobs = static_cast<int>(state.range(1));
    const Experiment& ex = sweep(n, state.range(2) != 0, state.range(3) != 0);
    long reached = 0;
    double max_err = 0;
    (void)run_with_jobs(ex, jobs);  // untimed warm-up, as in BM_SweepStreamed
    double freeing = 0;             // s, in all iterations
    for (auto _ : state) {
        std::optional<RunResult> r = run_with_jobs(ex, jobs);
        reached = 0;
        max_err = 0;
        for (const auto& s : r->scenarios)
            for (const auto& t : s.targets) {
                reached += t.reached;
                max_err = std::max(max_err, t.time_rel_err.value_or(0));
            }
        benchmark::DoNotOptimize(r->scenarios.data());
        // Freeing the results is the caller's, after the run, on one thread: timed (it is part of
        // every iteration) and also reported on its own (free_s), so that the run's own 1 -> 2
        // thread speed-up can be told from it.
        const auto t0 = std::chrono::steady_clock::now();
        r.reset();
        freeing += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    state.SetItemsProcessed(state.iterations() * n);
    state.counters["reached"] = static_cast<double>(reached);
    state.counters["max_err_t"] = max_err;
    state.counters["jobs"] = jobs;
    state.counters["free_s"] = benchmark::Counter(freeing, benchmark::Counter::kAvgIterations);
}

void sweep_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"n", "jobs", "grid", "method"});  // method 0: ODE, 1: closed form
    for (long n : {1000L})
        for (int method : {0, 1}) {
            if (method == 1 && !have_closed_form) continue;
            for (int grid : {0, 1}) {
                b->Args({n, 1, grid, method});
                if (have_jobs) b->Args({n, 2, grid, method});
            }
        }
}

void BM_SweepLoad(benchmark::State& state) {
    const std::string yaml = sweep_yaml(state.range(0), true);
    for (auto _ : state) {
        Experiment ex = load_experiment(yaml);
        benchmark::DoNotOptimize(ex.scenarios.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// The scenarios of a sweep, made once (sweeps are expanded one scenario at a time when run).
const std::vector<ScenarioInstance>& expanded(const Experiment& ex) {
    static std::map<const Experiment*, std::vector<ScenarioInstance>> cache;
    auto& v = cache[&ex];
    if (v.empty())
        for (std::size_t i = 0; i < scenario_count(ex); ++i) v.push_back(models().expand(ex, i));
    return v;
}

/// Time to target by the reference plugin of each swept scenario: one virtual call per point.
void BM_ClosedForm_TimeToTarget(benchmark::State& state) {
    const Experiment& ex = sweep(state.range(0), false);
    std::vector<const plugin::ReferenceModel*> refs;
    std::vector<double> x;
    for (const auto& sc : expanded(ex)) {
        refs.push_back(sc.model.reference.get());
        std::string why;
        x.push_back(sc.model.loss->log_compute_for_loss(0.68 * sc.model.L_start, why).value() - sc.model.log_C0);
    }
    std::vector<double> out(refs.size());
    for (auto _ : state) {
        for (std::size_t i = 0; i < refs.size(); ++i) out[i] = refs[i]->time_to_log_compute_ratio(x[i]).value_or(-1);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(refs.size()));
}

/// R(t) = (C/C0)^(-kappa) on a 301-point grid by the reference plugin: points per second.
void BM_ClosedForm_Grid(benchmark::State& state) {
    const Experiment& ex = sweep(state.range(0), false);
    constexpr int kT = 301;
    std::vector<double> out(static_cast<std::size_t>(kT) * expanded(ex).size());
    for (auto _ : state) {
        std::size_t k = 0;
        for (const auto& sr : expanded(ex)) {
            const auto& ref = *sr.model.reference;
            for (int i = 0; i < kT; ++i) out[k++] = std::exp(-0.048 * ref.log_compute_ratio(40.0 * i / (kT - 1)));
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(out.size()));
}

/// The vectorised closed form (Descriptor::batch_time_to_target of relative-loss) over n rows
/// of gamma, as the runner calls it for a summary-only closed-form sweep: the kernel that
/// numpy's t_star is compared with (bench/peers/closed_form_numpy.py, same n and gamma).
void BM_ClosedForm_Batch(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const Experiment& ex = sweep(state.range(0), false, true);
    const ScenarioSpec& sc = ex.scenarios.at(0);
    const plugin::Descriptor& d = models().entry(*sc.reference, plugin::Kind::reference)->descriptor;
    std::vector<double> gamma(n), time(n);
    for (std::size_t i = 0; i < n; ++i) gamma[i] = sc.sweep_plan->axes[0].number(i);
    const double E0 = 1, P0 = 1, kappa = 0.048, L0 = 1, tau = 0;
    plugin::BatchInput in;
    in.n = n;
    in.horizon = sc.horizon;
    in.columns = {{"efficiency.gamma", {gamma.data(), 1}},
                  {"efficiency.E0", {&E0, 0}},
                  {"power.P0", {&P0, 0}},
                  {"loss.kappa", {&kappa, 0}},
                  {"loss.L0", {&L0, 0}},
                  {"baseline.tau", {&tau, 0}}};
    const plugin::ReferenceInput base{sc.efficiency.selection, sc.power.selection, sc.loss.selection,
                                      baseline_compute(sc).value(), sc.horizon};
    std::string why;
    for (auto _ : state) {
        if (!d.batch_time_to_target(base, in, {true, 0.68}, time.data(), why)) state.SkipWithError(why.c_str());
        benchmark::DoNotOptimize(time.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["t_first"] = time.front();
}

/// Discards what a streamed run hands over (the cost of the run alone).
class NullSink final : public RunSink {
public:
    void scenario(const ScenarioResult& r) override { benchmark::DoNotOptimize(&r); }
    void sample(const ScenarioSpec&, std::size_t, const std::vector<double>& x, const std::vector<double>&) override {
        benchmark::DoNotOptimize(x.data());
    }
    void sweep_rows(const SweepRows& rows) override { benchmark::DoNotOptimize(rows.times.data()); }
};

/// A summary-only sweep streamed through run_experiment (nothing kept, nothing written), with
/// `jobs` threads: method 0 ODE, method 1 closed form (vectorised, by rows of 4,096).
void BM_SweepStreamed(benchmark::State& state) {
    const long n = state.range(0);
    Experiment& ex = const_cast<Experiment&>(sweep(n, false, state.range(1) != 0));
    ex.output.trajectories = false;
    const auto jobs = static_cast<std::size_t>(state.range(2));
#ifdef RACESIM_BENCH_HAVE_TBB
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, jobs);
#endif
    state.counters["jobs"] = static_cast<double>(jobs);
    NullSink sink;
    // Untimed warm-up: oneTBB's workers started under this limit, the allocator's arenas grown.
    // Each repetition is one iteration here (0.5-1 s), so without it the first repetition of
    // every run paid for them (686 ms against 449-463 ms for the next four, 2 threads).
    (void)run_experiment(models(), sweep(1000, false, state.range(1) != 0), sink);
    for (auto _ : state) {
        const RunSummary s = run_experiment(models(), ex, sink);
        benchmark::DoNotOptimize(s.scenarios);
    }
    state.counters["vectorised"] = sweep_batchable(models(), ex, ex.scenarios.at(0)) ? 1 : 0;
    ex.output.trajectories = true;
    state.SetItemsProcessed(state.iterations() * n);
}

}  // namespace

BENCHMARK(BM_ClosedForm_Batch)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SweepStreamed)
    ->ArgNames({"n", "method", "jobs"})
    ->Args({100000, 0, 1})
    ->Args({100000, 0, 2})
    ->Args({100000, 1, 1})
    ->Args({100000, 1, 2})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_Sweep)->Apply(sweep_args)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_SweepLoad)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClosedForm_TimeToTarget)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClosedForm_Grid)->Arg(1000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
