// dC/dt = E(t)·P(t) integrated as u = ln(C/C0), du/dt = E·P/C, segment by segment between
// the merged breakpoints of E and P, with a fresh controlled Dormand–Prince 5(4) stepper per
// segment and the rate regimes frozen on each segment (ARCHITECTURE.md). Times to targets
// are root-found (TOMS 748) on the stepper's dense-output interpolant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "racesim/plugin/models.hpp"

namespace racesim {

struct IntegratorOptions {
    double rel_tol = 1e-10;              ///< relative tolerance on C = absolute tolerance on ln C
    double abs_tol = 0;                  ///< absolute tolerance on C, PFLOP (adds abs_tol/C0 on ln(C/C0))
    std::int64_t max_steps = 1'000'000;  ///< per segment
};

/// What the integrator needs to know about a scenario.
struct IntegrationProblem {
    const plugin::RateModel* efficiency = nullptr;
    const plugin::RateModel* power = nullptr;
    double log_C0 = 0;
    double horizon = 0;
    std::vector<double> output_times;    ///< sorted, unique, within [0, horizon]
    std::vector<double> log_thresholds;  ///< targets as ln(C/C0), any order
    std::string scenario;                ///< for messages
    std::string efficiency_name, power_name;
};

struct IntegrationStats {
    std::int64_t segments = 0;
    std::int64_t steps = 0;
    std::int64_t rejected = 0;
    std::int64_t rhs_evaluations = 0;
};

struct IntegrationResult {
    std::vector<double> log_ratio;                       ///< ln(C/C0) at each output time
    std::vector<std::optional<double>> threshold_times;  ///< per log_threshold; nullopt: not reached
    std::vector<plugin::Segment> segments;
    IntegrationStats stats;
};

/// The segments of [0, horizon] between the declared breakpoints of both models.
/// Breakpoints closer than 1e-12 (relative) are merged. Throws RunError on a model that
/// declares breakpoints out of order or outside the interval.
std::vector<plugin::Segment> make_segments(const plugin::RateModel& e, const plugin::RateModel& p, double horizon,
                                           const std::string& scenario);

/// Integrates the problem. Throws RunError (naming scenario, model and time) when a rate
/// is NaN, +inf or negative, or a segment cannot be finished.
IntegrationResult integrate(const IntegrationProblem& problem, const IntegratorOptions& options);

/// The segment that contains t (the one starting at t when t is a breakpoint; the last at the horizon).
const plugin::Segment& segment_at(const std::vector<plugin::Segment>& segments, double t);

}  // namespace racesim
