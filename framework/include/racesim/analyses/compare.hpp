// `compare:` — pairs of scenarios set side by side: the ratio and gap of C, L and R over time
// (racesim/analysis/compare.hpp), and, for two scenarios sampled with one seed and one n, the
// per-sample differences of their times to target (common random numbers). A top-level
// analysis module (racesim/run/analysis.hpp, scope experiment): framework/src/analyses/compare/.
// Its results go to the sink as comparisons (compare_<a>_vs_<b>.csv, summary.json's
// "comparisons").
#pragma once

#include <vector>

#include "racesim/run/analysis.hpp"

namespace racesim {

/// What `compare:` said: its pairs, in order.
struct CompareBlock final : AnalysisSpec {
    std::vector<CompareSpec> pairs;
};

/// Whether comparison `c` pairs the samples of two scenarios: both sampled, with one seed and
/// one number of samples (sample i of each drew the same values: common random numbers).
bool samples_paired(const Experiment& ex, const CompareSpec& c);

/// Whether a comparison of the experiment pairs the samples of declared scenario `sc` with
/// another's (its Monte Carlo run then keeps its samples' times for it).
bool samples_compared(const Experiment& ex, const ScenarioSpec& sc);

/// The module (one instance for the program's lifetime).
const Analysis& compare_analysis();
/// The keys of one pair (an item of `compare:`).
const KeyBlock& compare_keys();

}  // namespace racesim
