// Experiment -> Results: integrates every scenario, finds the time to each target and
// compares with the scenario's reference model. Knows nothing of YAML or of file formats.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "racesim/analysis/compare.hpp"
#include "racesim/config/experiment.hpp"
#include "racesim/integrate/integrator.hpp"

namespace racesim {

struct Row {
    double t, C, E, P, L, R;
    std::optional<double> R_ref, rel_err;
    std::vector<double> aux;  ///< one value per Model::auxiliary quantity
};

struct TargetResult {
    TargetSpec spec;
    double loss = 0;      ///< the target as a loss, nats/token
    double relative = 0;  ///< the target as L / L(C0)
    bool reached = false;
    std::optional<double> time;  ///< yr, when reached within the horizon
    bool unreachable = false;    ///< proven never reached at any time (by the reference)
    bool has_reference = false;
    std::optional<double> reference_time;
    std::optional<double> time_rel_err;  ///< |t - t_ref| / t_ref (absolute when t_ref = 0)
};

/// One row of a one-at-a-time sensitivity table: a parameter moved by ±step, one target.
struct SensitivityRow {
    std::string scenario, path, target;
    double value = 0, step = 0;
    double low = 0, high = 0;  ///< the parameter's moved values
    std::optional<double> time, time_low, time_high;
    std::optional<double> derivative;  ///< d(time)/d(parameter), central (or one-sided) difference
    std::optional<double> elasticity;  ///< derivative · value / time
    std::string note;                  ///< why a side is missing
};

/// The outcome of a scenario's `solve:` (goal seek).
struct SolveResult {
    SolveSpec spec;
    bool found = false;
    double value = 0;            ///< the parameter value that reaches the target at spec.at
    std::string message;         ///< why nothing was found
    double g_lo = 0, g_hi = 0;   ///< ln(C(at)/C_target) at the ends of the bracket
    double lo = 0, hi = 0;       ///< the final bracket around the root
    int evaluations = 0;         ///< simulations run
    std::optional<double> time;  ///< time to target of the scenario re-run at `value` (check: = at)
};

struct ScenarioResult {
    const ScenarioSpec* spec = nullptr;
    std::shared_ptr<const ScenarioSpec> owned;  ///< holds `spec` when it was made at run time (sweep, goal seek)
    std::size_t index = 0;                      ///< in the run (racesim::expand)
    std::optional<SolveResult> solve;
    std::vector<Row> rows;
    std::vector<TargetResult> targets;
    std::optional<double> max_rel_err;  ///< max |R/R_ref - 1| over the rows
    std::optional<double> max_rel_err_time;
    IntegrationStats stats;
    double wall_seconds = 0;
    std::vector<SensitivityRow> sensitivity;  ///< with `sensitivity:`
};

/// Summary statistics of one target over the samples.
struct MonteCarloTargetStats {
    std::string target;
    std::size_t n = 0, reached = 0;
    std::vector<std::pair<double, std::optional<double>>> quantiles;  ///< (p, time); nullopt: beyond the horizon
    std::optional<double> mean_if_reached;
    std::vector<std::pair<double, double>> reached_by;  ///< (date, probability)
};

/// The outcome of a scenario's `sample:` (Monte Carlo). Sample i's values and target times are
/// at index i, whatever the number of threads that made them.
struct MonteCarloResult {
    const ScenarioSpec* spec = nullptr;
    std::vector<MonteCarloTargetStats> stats;  ///< per target
    /// Only in a RunResult (a streamed run hands them to its sink and keeps the statistics):
    std::vector<double> draws;               ///< n x d, row-major (d = sampled paths)
    std::vector<std::vector<double>> times;  ///< per target, per sample; +inf when not reached
};

/// The statistics of each target from the samples' times (per target, per sample; +inf: not
/// reached), sorted in place: the times are taken, not copied.
std::vector<MonteCarloTargetStats> monte_carlo_stats(const ScenarioSpec& sc, std::vector<std::vector<double>> times);
inline std::vector<MonteCarloTargetStats> monte_carlo_stats(const MonteCarloResult& mc) {
    return monte_carlo_stats(*mc.spec, mc.times);
}

/// Consecutive scenarios of one sweep evaluated at once by the reference's vectorised closed
/// form (Descriptor::batch_time_to_target): no model, no trajectory, no per-scenario object;
/// the time to each target is also its reference time.
struct SweepRows {
    const ScenarioSpec* declared = nullptr;   ///< the swept scenario (sweep_plan set)
    std::size_t first = 0;                    ///< index in the run of the first row
    std::size_t k0 = 0, n = 0;                ///< rows k0 .. k0+n-1 of the sweep
    std::vector<std::vector<double>> values;  ///< per axis, per row
    std::vector<std::vector<double>> times;   ///< per target, per row: yr; +inf not reached by the horizon, NaN never
};

/// Receives a run's results as they are made: in order, from one thread at a time. What it
/// does not keep is gone, so a run's memory does not grow with its number of scenarios.
class RunSink {
public:
    virtual ~RunSink() = default;
    /// Scenario r.index of the run, called for 0, 1, 2, ... in turn (after its goal seek and
    /// sensitivity rows). `r.rows` is empty unless the experiment keeps trajectories or the
    /// scenario is compared.
    virtual void scenario(const ScenarioResult& r) = 0;
    /// Monte Carlo sample `index` of `sc`, called for 0, 1, 2, ... in turn: the drawn values
    /// (one per sampled path) and the time to each target (+inf: not reached by the horizon).
    virtual void sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                        const std::vector<double>& times) = 0;
    /// Rows of a sweep evaluated in closed form at once, in their place in the run's order
    /// (only in summary-only runs with `solver: {method: closed-form}`, see sweep_batchable).
    virtual void sweep_rows(const SweepRows& rows) = 0;
};

/// What a streamed run keeps in memory: a few numbers per Monte Carlo sample, the comparisons.
struct RunSummary {
    const Experiment* experiment = nullptr;
    std::size_t scenarios = 0;
    std::vector<Comparison> comparisons;
    std::vector<MonteCarloResult> monte_carlo;  ///< times only (the draws went to the sink)
    double wall_seconds = 0;
};

/// A whole run in memory (tests, small runs): every scenario's result, every sample's draws.
struct RunResult {
    const Experiment* experiment = nullptr;
    std::vector<ScenarioResult> scenarios;
    std::vector<SweepRows> sweep_rows;  ///< sweeps evaluated by a vectorised closed form
    std::vector<SensitivityRow> sensitivity;
    std::vector<Comparison> comparisons;
    std::vector<MonteCarloResult> monte_carlo;
    double wall_seconds = 0;
};

/// A scenario's output grid: 0, every, 2·every, ..., its horizon, and every extra time exactly.
std::vector<double> output_grid(const Experiment& ex, const ScenarioSpec& sc);

/// One trajectory. Without `keep_rows` the rows are still computed (and checked against the
/// reference) but not kept: the result has targets and errors only.
ScenarioResult run_scenario(const Experiment& ex, const ScenarioSpec& sc, bool keep_rows = true);

/// ln(C(t)/C0) of a scenario, integrated to t only (0 at t = 0).
double log_ratio_at(const Experiment& ex, const ScenarioSpec& sc, double t);

/// Goal seek: the value of `sc.solve->path` in its bracket at which the target is reached at
/// exactly `at` (TOMS 748 on ln C(at) - ln C_target, each evaluation a simulation to `at`).
SolveResult solve(const Experiment& ex, const ScenarioSpec& sc);

/// The one-at-a-time sensitivity rows of a scenario with `sensitivity:` (base result given).
std::vector<SensitivityRow> sensitivity(const Experiment& ex, const ScenarioSpec& sc, const ScenarioResult& base);

/// The time to each target of a scenario (nullopt: not reached by its horizon), integrated
/// without an output grid.
std::vector<std::optional<double>> target_times(const Experiment& ex, const ScenarioSpec& sc);

/// Runs the n samples of a scenario with `sample:`, in parallel (oneTBB), handing each to
/// `sink` in order; `done` is called (from any thread) with the number of samples finished.
/// Throws RunError naming the first failing sample by index.
MonteCarloResult monte_carlo(const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                             const std::function<void(std::size_t)>& done = {});

/// The series of a result, for comparisons.
Series series_of(const ScenarioResult& r);

/// Called (from any thread) as scenarios and samples finish: (done, total).
using Progress = std::function<void(std::size_t, std::size_t)>;

/// Whether the scenarios of the declared swept scenario `sc` are evaluated all at once by its
/// reference's vectorised closed form: `solver: {method: closed-form}`, trajectories not kept,
/// a reference with batch_time_to_target that reads every swept path, no goal seek or
/// sensitivity, none of its scenarios compared, and `ex.solver.vectorise` (on by default).
bool sweep_batchable(const Experiment& ex, const ScenarioSpec& sc);

/// The number of runs `run_experiment` reports progress over: scenarios plus samples.
std::size_t work_units(const Experiment& ex);

/// Runs every scenario (sweeps made one scenario at a time), its goal seek and sensitivity
/// rows, its Monte Carlo samples, and the experiment's comparisons, in parallel (oneTBB),
/// handing results to `sink` in order. At most a few batches of scenarios are in flight, so
/// memory does not grow with the number of scenarios. The first failure by scenario order
/// is thrown (RunError, PluginError with the scenario named, or ConfigError for a sweep's
/// combination of values that is refused), whatever the schedule.
RunSummary run_experiment(const Experiment& ex, RunSink& sink, const Progress& progress = {});

/// The same, kept in memory.
RunResult run_experiment(const Experiment& ex, const Progress& progress = {});

}  // namespace racesim
