// `decompose:` — Shapley attribution of the change in each target's time (and in the loss at
// given dates) from another scenario A (`from:`) to the scenario that holds the block (B) among
// factors, the blocks the two scenarios may differ in: the exact Shapley value over the 2^k
// mixtures, each the scenario A with some factors' blocks taken from B. An analysis module
// (racesim/run/analysis.hpp): framework/src/analyses/decompose/. Its table: decompose.csv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "racesim/run/analysis.hpp"

namespace racesim {

/// The factors a decomposition may split a change among: the blocks of a scenario.
inline const std::vector<std::string>& decompose_factor_names() {
    static const std::vector<std::string> names{"efficiency", "power", "loss", "baseline", "algorithms"};
    return names;
}

/// What `decompose:` said.
struct DecomposeSpec final : AnalysisSpec {
    std::string from;  ///< scenario A, a declared scenario without sweep or goal seek
    Mark from_mark;
    std::vector<std::string> factors;  ///< empty: every block in which A and B differ
    Mark factors_mark;
    std::vector<double> dates;  ///< yr: also decompose L at each date
};

/// The exact Shapley values of a k-player game given by v[S] for every coalition S (bit i of S
/// set: player i in S; v.size() == 2^k): phi_i = sum over S without i of
/// |S|! (k - |S| - 1)! / k! (v[S + i] - v[S]). They add up to v[all] - v[none].
std::vector<double> shapley_values(const std::vector<double>& v, std::size_t k);

/// One row of decompose.csv: one factor's share of the change in one quantity.
struct DecomposeRow {
    std::string scenario, from, quantity, factor;
    std::optional<double> value_from, value_to;  ///< the quantity at A (no factor from B) and at B (all)
    std::optional<double> total;                 ///< value_to - value_from
    std::optional<double> contribution;          ///< the factor's Shapley value
    std::optional<double> share;                 ///< contribution / total
    std::int64_t mixtures = 0;
    std::string note;
};

/// The module (one instance for the program's lifetime).
const Analysis& decompose_analysis();
/// Its block's keys.
const KeyBlock& decompose_keys();

}  // namespace racesim
