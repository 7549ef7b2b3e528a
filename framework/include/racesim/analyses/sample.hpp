// `sample:` — Monte Carlo over a scenario's parameters: n samples drawn from the distributions
// of its block (config/sample.hpp: a draw depends only on (seed, index)), each the scenario with
// its drawn values, run after every scenario of the experiment has. An analysis module
// (racesim/run/analysis.hpp): framework/src/analyses/sample/. Its results go to the sink as
// samples (samples.csv) and statistics (summary.json's "monte_carlo"), with the tables bands.csv
// (sample.bands) and conditional.csv (sample.conditions).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "racesim/config/sample.hpp"
#include "racesim/run/analysis.hpp"
#include "racesim/run/results.hpp"

namespace racesim {

class RunSink;

/// The module (one instance for the program's lifetime).
const Analysis& sample_analysis();
/// Its block's keys, those of a distribution (an entry of `parameters`) and of a condition.
const KeyBlock& sample_keys();
const KeyBlock& distribution_keys();
const KeyBlock& condition_keys();

/// Runs the n samples of scenario `sc` with its `sample:` block, in parallel (oneTBB), handing
/// each to `sink` in order; `done` is called (from any thread) with the number of samples
/// finished. Throws RunError naming the first failing sample by index.
/// With `keep_times` the result keeps every sample's times (MonteCarloResult::times), for a
/// paired comparison. With `sample.bands` it also holds the bands table (bands.csv).
MonteCarloResult monte_carlo(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                             const std::function<void(std::size_t)>& done = {}, bool keep_times = false);

/// The statistics of each target from the samples' times (per target, per sample; +inf: not
/// reached), sorted in place: the times are taken, not copied.
/// A part of a scenario's Monte Carlo run (a sharded or MPI run): units [first, last) of its
/// after-run units (samples 0..n-1, then, with `bands`, the samples' trajectories), recorded in
/// `out`: the times to the targets of up to 4096 consecutive samples per record (their draws are
/// made again when read), and each trajectory's C, L and R in a record of its own.
void monte_carlo_part(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, std::size_t unit0,
                      std::size_t first, std::size_t last, JournalWriter& out,
                      const std::function<void(std::size_t)>& done = {});

/// The Monte Carlo run of a scenario from the records of all its units, read from `in` in order:
/// each sample handed to `sink`, the result monte_carlo would have returned (statistics,
/// conditional forecasts and bands recomputed from every sample).
MonteCarloResult monte_carlo_replay(const Experiment& ex, const ScenarioSpec& sc, std::size_t unit0, JournalReader& in,
                                    RunSink& sink, bool keep_times = false);

std::vector<MonteCarloTargetStats> monte_carlo_stats(const ScenarioSpec& sc, std::vector<std::vector<double>> times);
inline std::vector<MonteCarloTargetStats> monte_carlo_stats(const MonteCarloResult& mc) {
    return monte_carlo_stats(*mc.spec, mc.times);
}

}  // namespace racesim
