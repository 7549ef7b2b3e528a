// Experiment -> Results: integrates every scenario, finds the time to each target and
// compares with the scenario's reference model. Knows nothing of YAML or of file formats.
// The models come from a ModelBuilder (racesim/model/model.hpp), which the caller gives.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "racesim/analysis/compare.hpp"
#include "racesim/config/experiment.hpp"
#include "racesim/integrate/integrator.hpp"
#include "racesim/model/model.hpp"
#include "racesim/run/results.hpp"
#include "racesim/run/sink.hpp"

namespace racesim {

/// A scenario's output grid: 0, every, 2·every, ..., its horizon, and every extra time exactly.
std::vector<double> output_grid(const Experiment& ex, const ScenarioSpec& sc);

/// One trajectory. Without `keep_rows` the rows are still computed (and checked against the
/// reference) but not kept: the result has targets and errors only.
ScenarioResult run_scenario(const Experiment& ex, const ScenarioInstance& sc, bool keep_rows = true);

/// ln(C(t)/C0) of a scenario, integrated to t only (0 at t = 0).
double log_ratio_at(const Experiment& ex, const ScenarioInstance& sc, double t);

/// ln(C(t)/C0) of a scenario at each of `times` (ascending, within its horizon): its exact
/// solution with `solver: {method: closed-form}`, else one integration to its horizon.
std::vector<double> log_ratios_at(const Experiment& ex, const ScenarioInstance& sc, const std::vector<double>& times);

/// The time to each target of a scenario (nullopt: not reached by its horizon), integrated
/// without an output grid.
std::vector<std::optional<double>> target_times(const Experiment& ex, const ScenarioInstance& sc);

/// The series of a result, for comparisons.
Series series_of(const ScenarioResult& r);

/// Called (from any thread) as scenarios and samples finish: (done, total).
using Progress = std::function<void(std::size_t, std::size_t)>;

/// Whether the scenarios of the declared swept scenario `sc` are evaluated all at once by its
/// reference's vectorised closed form: `solver: {method: closed-form}`, trajectories not kept,
/// a reference with batch_time_to_target that reads every swept path, no goal seek or
/// analyses, none of its scenarios compared, and `ex.solver.vectorise` (on by default).
bool sweep_batchable(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc);
/// The same with trajectories kept or not as given (instead of `ex.output.trajectories`).
bool sweep_batchable(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, bool trajectories);

/// The number of runs `run_experiment` reports progress over: scenarios plus the analyses' work
/// after them (Monte Carlo samples).
std::size_t work_units(const Experiment& ex);

/// Runs every scenario (sweeps made one scenario at a time), its goal seek and analyses'
/// rows, its Monte Carlo samples, and the experiment's comparisons, in parallel (oneTBB),
/// handing results to `sink` in order. At most a few batches of scenarios are in flight, so
/// memory does not grow with the number of scenarios. The first failure by scenario order
/// is thrown (RunError, PluginError with the scenario named, or ConfigError for a sweep's
/// combination of values that is refused), whatever the schedule.
/// `trajectories`: whether each scenario's trajectory is kept (handed to the sink); unset:
/// `ex.output.trajectories`.
RunSummary run_experiment(const ModelBuilder& models, const Experiment& ex, RunSink& sink,
                          const Progress& progress = {}, std::optional<bool> trajectories = {});

/// The same, kept in memory.
RunResult run_experiment(const ModelBuilder& models, const Experiment& ex, const Progress& progress = {},
                         std::optional<bool> trajectories = {});

}  // namespace racesim
