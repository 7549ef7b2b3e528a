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
    std::shared_ptr<const ScenarioSpec> owned;  ///< holds `spec` when it was made at run time (goal seek)
    std::optional<SolveResult> solve;
    std::vector<Row> rows;
    std::vector<TargetResult> targets;
    std::optional<double> max_rel_err;  ///< max |R/R_ref - 1| over the rows
    std::optional<double> max_rel_err_time;
    IntegrationStats stats;
    double wall_seconds = 0;
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

/// The outcome of a scenario's `sample:` (Monte Carlo). Sample i's values and target times are
/// at index i, whatever the number of threads that made them.
struct MonteCarloResult {
    const ScenarioSpec* spec = nullptr;
    std::vector<double> draws;               ///< n x d, row-major (d = sampled paths)
    std::vector<std::vector<double>> times;  ///< per target, per sample; +inf when not reached
};

/// Summary statistics of one target over the samples.
struct MonteCarloTargetStats {
    std::string target;
    std::size_t n = 0, reached = 0;
    std::vector<std::pair<double, std::optional<double>>> quantiles;  ///< (p, time); nullopt: beyond the horizon
    std::optional<double> mean_if_reached;
    std::vector<std::pair<double, double>> reached_by;  ///< (date, probability)
};

std::vector<MonteCarloTargetStats> monte_carlo_stats(const MonteCarloResult& mc);

struct RunResult {
    const Experiment* experiment = nullptr;
    std::vector<ScenarioResult> scenarios;
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

/// Runs the n samples of a scenario with `sample:`, in parallel (oneTBB); `done` is called with
/// the number of samples each finished chunk held.
MonteCarloResult monte_carlo(const Experiment& ex, const ScenarioSpec& sc,
                             const std::function<void(std::size_t)>& done = {});

/// The series of a result, for comparisons.
Series series_of(const ScenarioResult& r);

/// Called (from any thread) as scenarios and samples finish: (done, total).
using Progress = std::function<void(std::size_t, std::size_t)>;

/// The number of runs `run_experiment` reports progress over: scenarios plus samples.
std::size_t work_units(const Experiment& ex);

/// Runs every scenario, its goal seek and sensitivity rows, its Monte Carlo samples, and the
/// experiment's comparisons.
RunResult run_experiment(const Experiment& ex, const Progress& progress = {});

}  // namespace racesim
