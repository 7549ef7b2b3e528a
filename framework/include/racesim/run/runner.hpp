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
#include "racesim/integrate/problem.hpp"
#include "racesim/model/model.hpp"
#include "racesim/run/journal.hpp"
#include "racesim/run/results.hpp"
#include "racesim/run/sink.hpp"

namespace racesim {

/// A scenario's output grid: 0, every, 2·every, ..., its horizon, and every extra time exactly.
std::vector<double> output_grid(const Experiment& ex, const ScenarioSpec& sc);

/// The integration problem of a scenario up to `horizon`: its rate models (and which of them
/// passed the plugin contract tests), its targets as thresholds in ln(C/C0) (none when `targets`
/// is false) and no output times.
IntegrationProblem problem_of(const ScenarioInstance& s, double horizon, bool targets);

/// The integrator's options of an experiment's `solver:` block.
IntegratorOptions options_of(const Experiment& ex);

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

/// What `racesim run` warns about in one scenario (racesim::conditioning_warning): for each
/// target whose time's estimated relative error exceeds ill_conditioned_error, a line
/// "scenario 'NAME', target R=0.97: its time ... " (the target named by target_label, as in
/// the results files). The Python package raises the same lines as warnings.
std::vector<std::string> conditioning_warnings(const ScenarioResult& s);

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

/// What a run tells its sink first: the experiment, its scenarios and work units, whether
/// trajectories are kept, the plugin types its declared scenarios use.
RunInfo run_info(const ModelBuilder& models, const Experiment& ex, bool trajectories);
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

/// A part of a run (a shard, an MPI rank's share): runs the work units `range` of the
/// experiment (racesim/run/journal.hpp: scenarios, then the analyses' after-run units) and
/// records their results in `out`, in the order of the units. Nothing is handed to a sink.
/// Throws like run_experiment.
void run_part(const ModelBuilder& models, const Experiment& ex, UnitRange range, JournalWriter& out,
              const Progress& progress = {}, std::optional<bool> trajectories = {});

/// Reads the journals of all the parts of a run, in order, and hands `sink` exactly what
/// run_experiment would have (the scenarios' results, the samples, the Monte Carlo statistics
/// recomputed from every sample, the comparisons), then sink.end(). `trajectories` must be the
/// parts' own. Throws JournalError when the journals do not hold every unit exactly once, in
/// order, or do not read back.
RunSummary replay_parts(const ModelBuilder& models, const Experiment& ex, JournalReader& in, RunSink& sink,
                        std::optional<bool> trajectories = {});

namespace detail {
/// The scenarios of `range` (units below scenario_count: a sweep's rows one by one), run in
/// parallel and handed over in the run's order: to on_result (which may move the result out),
/// or to on_rows for the rows of a sweep evaluated at once.
void run_scenarios(const ModelBuilder& models, const Experiment& ex, bool keep, UnitRange range,
                   const std::function<void(ScenarioResult&)>& on_result,
                   const std::function<void(const SweepRows&)>& on_rows, const std::function<void(std::size_t)>& tick);
}  // namespace detail

}  // namespace racesim
