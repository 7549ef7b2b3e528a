// The crossing finder: the first times at which a non-decreasing u(t) = ln(C(t)/C0), u(0) = 0,
// reaches given levels (targets as ln(C*/C0)), found step by step on a stepper's dense output,
// like CVODE's root finding beside its stepper. It knows nothing of the ODE: a step is a
// StepCurve, an interpolant plus an optional way to evaluate the curve accurately.
//
// In a step [t0, t1] with u0 < level <= u1 the crossing is bracketed on the interpolant and
// solved with Boost.Math's TOMS 748 (52 bits, at most 100 iterations; the midpoint of the last
// bracket), then polished by up to four Newton iterations on StepCurve::refine, kept within
// [t0, t1] (docs/numerics.md, "Time to target"). Since u never decreases, the first crossing
// is the only one.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace racesim {

/// One step [t0, t1] of u(t) as the crossing finder sees it. The step may have a variable x of
/// its own, 0 at t0 and increasing in t as u is (the stepper's per-step form); the root is
/// found in x, the variable the interpolant interpolates. A curve without one uses x = u − u0.
class StepCurve {
public:
    double t0 = 0, t1 = 0;  ///< the step
    double u0 = 0, u1 = 0;  ///< u at t0 and t1, u0 <= u1
    double x1 = 0;          ///< x at t1

    /// x at t in [t0, t1] from the step's interpolant (cheap, not necessarily accurate).
    [[nodiscard]] virtual double x(double t) const = 0;
    /// x where u − u0 = du, 0 <= du <= u1 − u0.
    [[nodiscard]] virtual double x_of(double du) const = 0;
    /// x and dx/dt at t in (t0, t1], accurately (for the Newton polish). False: no such
    /// evaluation, the interpolant's root is the answer.
    virtual bool refine(double t, double& x, double& dxdt) = 0;

    virtual ~StepCurve() = default;
};

/// The time in [t0, t1] at which u reaches `level`, for u0 < level <= u1: TOMS 748 on
/// x(t) − x*, x* = min(x_of(level − u0), x1), polished by Newton on refine().
double crossing_time(StepCurve& step, double level);

/// The first-crossing times of a set of levels, fed the steps of one trajectory in order.
class CrossingFinder {
public:
    /// Levels of u in any order (repeats allowed). Those <= 0 are reached at t = 0.
    explicit CrossingFinder(const std::vector<double>& levels);

    /// Records the time of every level not yet reached that the step reaches (level <= u1):
    /// crossing_time() for u0 < level, t0 for a level the previous steps should have reached
    /// already. Costs one comparison when the step reaches none.
    void scan(StepCurve& step) {
        if (next_ < order_.size() && levels_[order_[next_]] <= step.u1) scan_crossed(step);
    }

    /// The lowest level not reached yet (+inf when all are).
    [[nodiscard]] double next_level() const;
    /// Per level, in the order given: the first time u reached it, nullopt while it has not.
    [[nodiscard]] const std::vector<std::optional<double>>& times() const { return times_; }
    [[nodiscard]] std::vector<std::optional<double>>&& take_times() && { return std::move(times_); }

private:
    void scan_crossed(StepCurve& step);

    std::vector<double> levels_;
    std::vector<std::size_t> order_;  ///< indices of levels_ in increasing order of level
    std::size_t next_ = 0;            ///< order_[next_] is the lowest level not reached
    std::vector<std::optional<double>> times_;
};

}  // namespace racesim
