// Two trajectories side by side: the difference in time to each target, the largest gap in
// relative loss R and when it occurs, and the ratio of cumulative compute over time. Works on
// plain series, so it serves both a run in memory and a results directory read back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racesim {

struct Series {
    std::string name;
    std::vector<double> t, C, L, R;
    struct Target {
        std::string label;  ///< e.g. "loss=0.68"
        std::optional<double> time;
    };
    std::vector<Target> targets;
};

struct CompareRow {
    double t, C_a, C_b, C_ratio, R_a, R_b, R_gap;  ///< C_ratio = C_a/C_b, R_gap = R_a - R_b
};

struct TargetDifference {
    std::string label;
    std::optional<double> time_a, time_b, difference;  ///< difference = time_a - time_b
};

/// The paired comparison of two scenarios sampled with one seed (common random numbers): per
/// target, the distribution of the per-sample difference time_a - time_b.
struct PairedTarget {
    std::string label;
    std::size_t n = 0;             ///< samples
    std::size_t both_reached = 0;  ///< samples in which both reach the target by their horizons
    /// Samples in which A reaches it strictly first, B strictly first, or neither first (equal
    /// times, or neither reached); an unreached target counts as reached at +infinity.
    std::size_t a_first = 0, b_first = 0, ties = 0;
    std::optional<double> mean;  ///< of time_a - time_b over the samples in which both reach it
    /// (p, quantile of time_a - time_b) over the samples in which both reach it (type 7);
    /// empty when there are none.
    std::vector<std::pair<double, double>> quantiles;
};

struct PairedComparison {
    std::uint64_t seed = 0;
    std::size_t n = 0;
    std::vector<PairedTarget> targets;  ///< the targets both scenarios have, by label, in A's order
};

struct Comparison {
    std::string a, b;
    std::vector<CompareRow> rows;  ///< at the times both series share
    std::vector<TargetDifference> targets;
    std::optional<double> max_abs_R_gap, max_abs_R_gap_t, R_gap_at_max;  ///< the largest |R_a - R_b|
    std::optional<double> min_C_ratio, min_C_ratio_t, max_C_ratio, max_C_ratio_t;
    std::size_t unmatched_times = 0;  ///< times of either series the other lacks (ignored)
    /// When both were sampled with the same seed and number of samples: their paired comparison.
    std::optional<PairedComparison> paired;
    /// Why two sampled scenarios were not compared sample by sample ("" otherwise).
    std::string unpaired;
};

/// Per-sample differences of two scenarios' times to their targets (per target, per sample;
/// +inf when not reached), targets paired by label; the quantiles at
/// time_quantile_probabilities. Throws std::invalid_argument when the sample counts differ.
PairedComparison paired_comparison(const std::vector<std::string>& labels_a,
                                   const std::vector<std::vector<double>>& times_a,
                                   const std::vector<std::string>& labels_b,
                                   const std::vector<std::vector<double>>& times_b);

/// The probabilities of the time quantiles racesim reports (Monte Carlo statistics, paired
/// comparisons, conditional forecasts): p5, p10, p25, p50, p75, p90, p95.
inline constexpr std::array<double, 7> time_quantile_probabilities{0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

/// The p-quantile of ascending, non-empty `sorted` by linear interpolation between order
/// statistics (Hyndman and Fan's type 7, numpy's default): h = (n - 1)·p, x[floor h] +
/// (h - floor h)·(x[floor h + 1] - x[floor h]).
double quantile_type7(const std::vector<double>& sorted, double p);

/// quantile_type7 of ascending times in which +inf stands for "not reached": nullopt when the
/// quantile falls among them (its upper order statistic is infinite).
std::optional<double> quantile_censored(const std::vector<double>& sorted, double p);

/// Compares `a` with `b` at their common times (equal to 1e-12 relative). Targets are paired by
/// label. Throws std::invalid_argument when the series share no time.
Comparison compare(const Series& a, const Series& b);

}  // namespace racesim
