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
#include <string>
#include <vector>

#include "racesim/integrate/problem.hpp"
#include "racesim/plugin/models.hpp"

namespace racesim {

struct IntegrationResult {
    std::vector<double> log_ratio;                       ///< ln(C/C0) at each output time
    std::vector<std::optional<double>> threshold_times;  ///< per log_threshold; nullopt: not reached
    std::vector<plugin::Segment> segments;
    IntegrationStats stats;
    /// Per log_threshold: time_condition() at its time; nullopt when not reached, reached at
    /// t = 0, or where the rate is 0 at the crossing.
    std::vector<std::optional<double>> threshold_conditions;
    /// Per log_threshold: the estimated relative error of its time, condition × the tolerance
    /// on ln C (rel_tol + abs_tol/C0) of the integration that found it; nullopt with the condition.
    std::vector<std::optional<double>> threshold_error_estimates;
};

/// The condition number of a time to target t* > 0, |d ln t*/d ln C*| = C*/(t*·(E·P)(t*)) =
/// 1/(t*·u'(t*)), u = ln(C/C0): the relative change of t* per relative change of C (an error
/// d in ln C moves t* by about condition·d relative) or of the compute target C*. E·P is
/// evaluated just before t* (in the segment that ends at or contains t*), at C = C*.
/// nullopt for t* <= 0 or where the rate is 0 there (an infinite condition).
std::optional<double> time_condition(const IntegrationProblem& problem, const std::vector<plugin::Segment>& segments,
                                     double time, double log_threshold);

/// Integrates the problem: ln(C/C0) at the output times from the stepper's dense output (its
/// own value at a step's end), and the threshold times from the crossing finder. Throws
/// RunError (naming scenario, model and time) when a rate is NaN, +inf or negative, or a
/// segment cannot be finished; PluginError for a jump a rate model did not declare. With
/// options.target_time_tol > 0, target times whose estimated error exceeds it are found again
/// by integrations with a tighter tolerance (stats.refinements).
IntegrationResult integrate(const IntegrationProblem& problem, const IntegratorOptions& options);

/// Above this estimated relative error of a target's time a run warns (docs/numerics.md).
inline constexpr double ill_conditioned_error = 1e-8;

/// What to tell the user about a target time of condition number `condition` whose estimated
/// relative error (condition × the tolerance on ln C) is `error_estimate`: nullopt when that is
/// at most ill_conditioned_error; else why and what to do (tighten solver.rel_tol to a value it
/// names, or, when even the smallest tolerance 1e-14 cannot do it, that the target is too
/// ill-conditioned for any). A time is not called ill-conditioned for a loose tolerance alone.
/// The caller names the scenario and target.
std::optional<std::string> conditioning_warning(double time, double condition, double error_estimate);

}  // namespace racesim
