// `sensitivity:` — one-at-a-time sensitivity of the times to target: each parameter of the
// scenario moved by ±step (relative) while the others keep their values, with the change in
// the time to each target and the central-difference derivative. An analysis module
// (racesim/run/analysis.hpp): framework/src/analyses/sensitivity/. Its table: sensitivity.csv.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "racesim/run/analysis.hpp"

namespace racesim {

/// What `sensitivity:` said.
struct SensitivitySpec final : AnalysisSpec {
    double step = 0.1;               ///< the declared default (sensitivity_keys)
    std::vector<std::string> paths;  ///< empty: every real parameter with a non-zero value
};

/// One row of its table: a parameter moved by ±step, one target.
struct SensitivityRow {
    std::string scenario, path, target;
    double value = 0, step = 0;
    double low = 0, high = 0;  ///< the parameter's moved values
    std::optional<double> time, time_low, time_high;
    std::optional<double> derivative;  ///< d(time)/d(parameter), central (or one-sided) difference
    std::optional<double> elasticity;  ///< derivative · value / time
    std::string note;                  ///< why a side is missing
};

/// The module (one instance for the program's lifetime).
const Analysis& sensitivity_analysis();
/// Its block's keys.
const KeyBlock& sensitivity_keys();

}  // namespace racesim
