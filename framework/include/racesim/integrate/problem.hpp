// What the integrator is given (the problem, the options) and what it counts (the statistics),
// shared by the stepper (stepper.hpp), the crossing finder's driver and integrate()
// (integrator.hpp); and the segments of [0, horizon] between the models' declared breakpoints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "racesim/plugin/models.hpp"

namespace racesim {

/// The variable each step integrates (stepper.hpp). `automatic` chooses per step; the others
/// force one form everywhere (for tests and benchmarks: every form is exact in principle, they
/// differ in cost).
enum class Formulation {
    automatic,  ///< the log form with q fitted to the rate's slope, linear where the rate is flat or zero
    log_C,      ///< the log form with q = 1 throughout: ln C, as racesim integrated before the fitted forms
    linear,     ///< the relative increment throughout
    plain,      ///< `automatic` without the fitted forms: quadrature panels (IntegratorOptions::quadrature)
                ///< where they apply, else ln C or linear, chosen per step (what a rate gets that no fitted
                ///< form is exact for; tests and benchmarks compare it with the fitted forms)
};

struct IntegratorOptions {
    double rel_tol = 1e-10;              ///< relative tolerance on C = absolute tolerance on ln C
    double abs_tol = 0;                  ///< absolute tolerance on C, PFLOP (adds abs_tol/C0 on ln(C/C0))
    std::int64_t max_steps = 1'000'000;  ///< per segment
    Formulation formulation = Formulation::automatic;
    /// Sample every rate model for jumps it did not declare before integrating (docs/numerics.md,
    /// "Undeclared jumps"). Always on in `racesim run`; off only to time the integration alone.
    bool check_jumps = true;
    /// Audit the rate models that passed the plugin contract tests too
    /// (IntegrationProblem::efficiency_contract_tested ...; `solver: {audit: all}`).
    bool audit_contract_tested = false;
    /// Experimental, off by default: steps in the plain forms (ln C or the relative increment:
    /// where the rate is not known to be exponential) use DOP853, Dormand–Prince's 8th-order
    /// pair with its 7th-order dense output, held to a tenth of the tolerance, when the
    /// tolerance on ln C (rel_tol + abs_tol/C0) is at most this; Dormand–Prince 5(4) otherwise,
    /// and always in the fitted forms, which are exact for either. 0: never. What it gains and
    /// costs: docs/numerics.md, "DOP853".
    double high_order_tol = 0;
    /// Where no fitted form is exact and the rate does not depend on C, integrate C as what it
    /// then is, a quadrature: Clenshaw–Curtis panels of 13 Chebyshev points (12 new RHS
    /// evaluations each), the step chosen from the panel's last Chebyshev coefficients, the
    /// dense output the integral of the panel's interpolant (docs/numerics.md, "Quadrature
    /// panels"). A state-dependent rate affine in ln C (a power of C times a function of t)
    /// separates and takes them too, in the power form; any other keeps the Runge–Kutta steps.
    /// Takes precedence over high_order_tol. Off: Dormand–Prince 5(4) there, as before the panels.
    bool quadrature = true;
    /// When > 0: refine every reached target's time until its estimated relative error
    /// (time_condition() × the tolerance on ln C it was computed with) is at most this, by
    /// integrating again with a tighter tolerance, down to 1e-14 (docs/numerics.md,
    /// "Conditioning of a time to target"). 0: no refinement.
    double target_time_tol = 0;
};

/// RHS evaluations per quadrature panel attempt (IntegratorOptions::quadrature): the panel's
/// degree; its first point is the previous step's end.
inline constexpr std::size_t quadrature_panel_evaluations = 12;

/// What the integrator needs to know about a scenario.
struct IntegrationProblem {
    const plugin::RateModel* efficiency = nullptr;
    const plugin::RateModel* power = nullptr;
    double log_C0 = 0;
    double horizon = 0;
    std::vector<double> output_times;    ///< sorted, unique, within [0, horizon] (integrate() only)
    std::vector<double> log_thresholds;  ///< targets as ln(C/C0), any order (integrate() only)
    std::string scenario;                ///< for messages
    std::string efficiency_name, power_name;
    /// A(t) with `algorithms:` (the rate is then A·E·P: C is effective compute); null: A = 1.
    const plugin::RateModel* algorithms = nullptr;
    std::string algorithms_name;
    /// Each rate model's library is listed as having passed the plugin contract tests
    /// (LoadedLibrary::contract_tested): the jump audit skips it unless
    /// IntegratorOptions::audit_contract_tested.
    bool efficiency_contract_tested = false, power_contract_tested = false, algorithms_contract_tested = false;
};

struct IntegrationStats {
    std::int64_t segments = 0;
    std::int64_t steps = 0;
    std::int64_t rejected = 0;
    std::int64_t rhs_evaluations = 0;
    std::int64_t linear_steps = 0;  ///< accepted steps in the linear form
    std::int64_t log_C_steps = 0;   ///< accepted steps in the log form with q = 1 (ln C)
    /// accepted steps in a form fitted to the rate: the log forms with a fitted q != 1, and the
    /// power form of a rate affine in ln C
    std::int64_t fitted_steps = 0;
    /// Of the linear and fitted steps, those taken as quadrature panels
    /// (IntegratorOptions::quadrature): a panel attempt costs quadrature_panel_evaluations RHS
    /// evaluations (2 more in the power form, its check), a Runge–Kutta attempt 6.
    std::int64_t panel_steps = 0;
    std::int64_t panel_rejected = 0;  ///< of the rejected attempts, those at a quadrature panel
    /// Integrations run again with a tighter tolerance to refine target times
    /// (IntegratorOptions::target_time_tol); their RHS evaluations are in rhs_evaluations, their
    /// steps are not in the counts above (which describe the trajectory's integration). So are
    /// the evaluations of the physical compute's integration of a scenario with `algorithms:`.
    std::int64_t refinements = 0;
};

/// The segments of [0, horizon] between the declared breakpoints of the models (and of A(t) when
/// `a` is given). Breakpoints closer than 1e-12 (relative) are merged. Throws RunError on a model
/// that declares breakpoints out of order or outside the interval.
std::vector<plugin::Segment> make_segments(const plugin::RateModel& e, const plugin::RateModel& p, double horizon,
                                           const std::string& scenario, const plugin::RateModel* a = nullptr);

/// The segment that contains t (the one starting at t when t is a breakpoint; the last at the horizon).
const plugin::Segment& segment_at(const std::vector<plugin::Segment>& segments, double t);

}  // namespace racesim
