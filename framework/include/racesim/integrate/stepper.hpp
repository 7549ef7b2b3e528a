// The stepper: one trajectory u(t) = ln(C(t)/C0) of dC/dt = E(t)·P(t), taken one accepted step
// at a time over the segments between the declared breakpoints of E and P, with the rate
// regimes frozen on each segment (docs/architecture.md), by a controlled Dormand–Prince 5(4) method
// (Boost.Odeint's runge_kutta_dopri5, racesim's own step-size controller), or, where no fitted
// form is exact and the rate does not depend on C (or is affine in ln C), by Clenshaw–Curtis
// quadrature panels (IntegratorOptions::quadrature; docs/numerics.md). Like CVODE in its
// one-step mode: the caller drives it step by step and reads the dense output of the last
// step; output times and targets are the caller's (integrate(), the crossing finder).
//
// Every step starts from an anchor C_a = C(t_a) and integrates one of
//   x = ln(1 + q·(C − C_a)/C_a), q > 0   ("log" form; q = 1 is ln(C/C_a), the ln C form), or
//   x = (C − C_a)/C_a                    ("linear" form, the relative increment), or
//   x = ((C/C_a)^(1 − beta) − 1)/(1 − beta)  ("power" form, panels of a rate affine in ln C),
// with q fitted to the step from the observed slope of ln(E·P) so that a rate exponential in
// t (and a constant one, in the linear form) makes x exactly linear in t (docs/numerics.md).
// Every form is controlled on the error of ln C. x is 0 at the step's start and increases
// with u, so a crossing of u can be found in x (crossing.hpp).
//
// Before the first step the constructor audits both rate models for jumps they did not declare
// (IntegratorOptions::check_jumps; docs/numerics.md, "Undeclared jumps").
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "racesim/integrate/problem.hpp"

namespace racesim {

class Stepper {
public:
    /// The last accepted step [t0, t1]: u = ln(C/C0) at both ends and the step's own variable
    /// at its end (x is 0 at t0).
    struct Step {
        double t0 = 0, t1 = 0;
        double u0 = 0, u1 = 0;
        double x1 = 0;
    };

    /// Cuts [0, horizon] into segments (make_segments: RunError on bad breakpoints) and, with
    /// options.check_jumps, audits both rate models for undeclared jumps (PluginError naming
    /// the model and the time). The stepper is then at t = 0, u = 0, before its first step.
    /// `problem` (its models and names; output_times and log_thresholds are not used) must
    /// outlive the stepper.
    Stepper(const IntegrationProblem& problem, const IntegratorOptions& options);
    ~Stepper();
    Stepper(Stepper&&) noexcept;
    Stepper& operator=(Stepper&&) noexcept;
    Stepper(const Stepper&) = delete;
    Stepper& operator=(const Stepper&) = delete;

    /// Takes one accepted step (rejected attempts before it are counted in stats()), moving on
    /// to the next segment where the current one is finished: the last step of a segment ends
    /// exactly on the segment's end. Returns false, having taken no step, once every segment is
    /// finished (time() is then the horizon). Throws RunError when a rate is NaN, +inf or
    /// negative, the step size underflows or a segment takes more than options.max_steps
    /// attempts; racesim::Interrupted after a signal.
    bool step();
    /// Steps until the last step reaches t (time() >= t). Returns false when the horizon comes
    /// first (t beyond it). The dense output then covers t when t > last_step().t0.
    bool advance(double t);

    /// t at the end of the last accepted step (0 before the first).
    [[nodiscard]] double time() const;
    /// u = ln(C/C0) at time().
    [[nodiscard]] double log_ratio() const;
    /// The last accepted step (all zero before the first).
    [[nodiscard]] const Step& last_step() const;

    // Dense output of the last accepted step (t in [t0, t1]; undefined before the first step).
    // After a DOP853 step the first call evaluates the interpolant's three extra stages (three
    // RHS evaluations, counted in stats()), hence not const.
    /// u at t: the step's interpolant of its variable (Dormand–Prince 5(4)'s of order 4, or
    /// DOP853's of order 7), converted to u; u1 exactly at t >= t1. Not error-controlled
    /// (docs/numerics.md, "Output values").
    [[nodiscard]] double dense_log_ratio(double t);
    /// The same at the leading times that the last step reaches: u[i] at times[i] for every
    /// i < n with times[0..n) <= t1, times sorted; returns n. One call for all the output
    /// times inside a step (integrate()).
    std::size_t dense_log_ratio(std::span<const double> times, std::span<double> u);
    /// The step's own variable at t, from the same interpolant (x1 at t >= t1).
    [[nodiscard]] double dense_x(double t);
    /// The step's own variable where u − u0 = du (du >= 0): the inverse of its change of variable.
    [[nodiscard]] double x_of(double du) const;
    /// x and dx/dt at t in (t0, t1] by a fresh step of the same method (5th order, or DOP853's
    /// 8th) from t0 in the same form: as accurate as the step itself (its local error is at most
    /// the accepted step's, as t − t0 <= t1 − t0). Costs six RHS evaluations, twelve after a
    /// DOP853 step (counted in stats()). After a quadrature panel, x is the panel's own integral
    /// at t (as accurate there as at its end) and dx/dt a fresh evaluation: one RHS evaluation.
    void fresh_step(double t, double& x, double& dxdt);

    /// The segments of [0, horizon] (make_segments), in order.
    [[nodiscard]] const std::vector<plugin::Segment>& segments() const;
    /// Work so far: segments entered, accepted steps (by form), rejected attempts and RHS
    /// evaluations (those of fresh_step() included; the jump audit calls the models directly
    /// and is not counted).
    [[nodiscard]] const IntegrationStats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace racesim
