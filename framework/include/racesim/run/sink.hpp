// Where a run's results go: a sink receives each result as it is made, in the run's order,
// from one thread at a time. The results-directory writer (racesim/output/writer.hpp) is one
// sink; CollectingSink, which keeps everything in memory, is another.
#pragma once

#include <cstddef>
#include <vector>

#include "racesim/run/results.hpp"

namespace racesim {

/// Receives a run's results as they are made: in order, from one thread at a time. What it does
/// not keep is gone, so a run's memory does not grow with its number of scenarios.
///
/// The calls, in order: begin; then, for each scenario of the run in turn, scenario (or, for
/// the rows of a sweep evaluated by a vectorised closed form, sweep_rows); then, for each
/// scenario with `sample:`, its samples in order followed by monte_carlo; then comparison for
/// each `compare:`; then end. A run that fails or is interrupted stops calling the sink; end is
/// not called then.
class RunSink {
public:
    virtual ~RunSink() = default;
    /// Before anything else.
    virtual void begin(const RunInfo& /*info*/) {}
    /// Scenario r.index of the run, called for 0, 1, 2, ... in turn (after its goal seek and
    /// analyses' rows, r.tables). `r.trajectory` is empty unless trajectories are kept (RunInfo) or the
    /// scenario is compared.
    virtual void scenario(const ScenarioResult& r) = 0;
    /// The same, from a run that has no further use for r: a sink that keeps results takes it
    /// instead of copying it (the hand-over is the run's one serial step). Calls scenario(r)
    /// unless overridden.
    virtual void take_scenario(ScenarioResult&& r) { scenario(r); }
    /// Monte Carlo sample `index` of `sc`, called for 0, 1, 2, ... in turn: the drawn values
    /// (one per sampled path) and the time to each target (+inf: not reached by the horizon).
    virtual void sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                        const std::vector<double>& times) = 0;
    /// Rows of a sweep evaluated in closed form at once, in their place in the run's order
    /// (only in summary-only runs with `solver: {method: closed-form}`, see sweep_batchable).
    virtual void sweep_rows(const SweepRows& rows) = 0;
    /// The statistics of a scenario's Monte Carlo run, after its last sample (`mc.draws` is
    /// empty: the draws went to sample()).
    virtual void monte_carlo(const MonteCarloResult& /*mc*/) {}
    /// One `compare:` of the experiment.
    virtual void comparison(const Comparison& /*c*/) {}
    /// After the last result: what the run kept in memory.
    virtual void end(const RunSummary& /*summary*/) {}
};

/// Keeps every result in memory, in the run's order: the whole run as a RunResult.
class CollectingSink final : public RunSink {
public:
    void begin(const RunInfo& info) override;
    void scenario(const ScenarioResult& r) override;
    void take_scenario(ScenarioResult&& r) override;
    void sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                const std::vector<double>& times) override;
    void sweep_rows(const SweepRows& rows) override;
    void monte_carlo(const MonteCarloResult& mc) override;
    void comparison(const Comparison& c) override;
    void end(const RunSummary& summary) override;

    /// The run so far (complete after end()).
    [[nodiscard]] const RunResult& result() const { return result_; }
    /// Moves the result out.
    [[nodiscard]] RunResult take() { return std::move(result_); }

private:
    RunResult result_;
    std::vector<MonteCarloResult> pending_;  ///< draws and times of the sampled scenarios, by order of appearance
};

}  // namespace racesim
