// Two trajectories side by side: the difference in time to each target, the largest gap in
// relative loss R and when it occurs, and the ratio of cumulative compute over time. Works on
// plain series, so it serves both a run in memory and a results directory read back.
#pragma once

#include <optional>
#include <string>
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

struct Comparison {
    std::string a, b;
    std::vector<CompareRow> rows;  ///< at the times both series share
    std::vector<TargetDifference> targets;
    std::optional<double> max_abs_R_gap, max_abs_R_gap_t, R_gap_at_max;  ///< the largest |R_a - R_b|
    std::optional<double> min_C_ratio, min_C_ratio_t, max_C_ratio, max_C_ratio_t;
    std::size_t unmatched_times = 0;  ///< times of either series the other lacks (ignored)
};

/// Compares `a` with `b` at their common times (equal to 1e-12 relative). Targets are paired by
/// label. Throws std::invalid_argument when the series share no time.
Comparison compare(const Series& a, const Series& b);

}  // namespace racesim
