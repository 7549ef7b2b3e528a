// dC/dt = E(t)·P(t) integrated from t = 0 to the horizon, with ln(C/C0) at the output times and
// the first time it reaches each threshold. integrate() is a short driver over two parts:
//   stepper.hpp   the Stepper: segments, the jump audit, the per-step formulations and the
//                 step-size controller on Dormand–Prince 5(4), one accepted step at a time,
//                 with the dense output of the last step and the statistics;
//   crossing.hpp  the CrossingFinder: the first crossing of each threshold, TOMS 748 on the
//                 dense output of the step that crosses it, polished by Newton on a fresh step.
// problem.hpp holds what they share: the problem, the options, the statistics, the segments.
#pragma once

#include <optional>
#include <vector>

#include "racesim/integrate/problem.hpp"
#include "racesim/plugin/models.hpp"

namespace racesim {

struct IntegrationResult {
    std::vector<double> log_ratio;                       ///< ln(C/C0) at each output time
    std::vector<std::optional<double>> threshold_times;  ///< per log_threshold; nullopt: not reached
    std::vector<plugin::Segment> segments;
    IntegrationStats stats;
};

/// Integrates the problem: ln(C/C0) at the output times from the stepper's dense output (its
/// own value at a step's end), and the threshold times from the crossing finder. Throws
/// RunError (naming scenario, model and time) when a rate is NaN, +inf or negative, or a
/// segment cannot be finished; PluginError for a jump a rate model did not declare.
IntegrationResult integrate(const IntegrationProblem& problem, const IntegratorOptions& options);

}  // namespace racesim
