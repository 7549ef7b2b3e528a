// The crossing finder (crossing.hpp): TOMS 748 on a step's interpolant, then Newton.
#include "racesim/integrate/crossing.hpp"

#include <algorithm>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <limits>

namespace racesim {

namespace {

/// Up to four Newton iterations on x(t) = target from tc, with x and dx/dt from
/// StepCurve::refine, each iterate kept within [t0, t1]; stops when an iterate moves by at
/// most 4 ulps (of max(1, t)), refine has nothing or dx/dt is not positive.
double polish(StepCurve& step, double tc, double target) {
    for (int it = 0; it < 4; ++it) {
        const double h = tc - step.t0;
        if (!(h > 0)) break;
        double xo = 0, dxo = 0;
        if (!step.refine(tc, xo, dxo)) break;
        if (!(dxo > 0)) break;
        const double next = std::clamp(tc - (xo - target) / dxo, step.t0, step.t1);
        const bool done = std::abs(next - tc) <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, tc);
        tc = next;
        if (done) break;
    }
    return tc;
}

}  // namespace

double crossing_time(StepCurve& step, double level) {
    // The crossing in the step's own variable: x is increasing in t, as u is, and 0 at t0.
    const double xt = std::min(step.x_of(level - step.u0), step.x1);
    boost::uintmax_t iters = 100;
    auto f = [&](double tq) { return step.x(tq) - xt; };
    const auto r = boost::math::tools::toms748_solve(f, step.t0, step.t1, -xt, step.x1 - xt,
                                                     boost::math::tools::eps_tolerance<double>(52), iters);
    return polish(step, 0.5 * (r.first + r.second), xt);
}

CrossingFinder::CrossingFinder(const std::vector<double>& levels)
    : levels_(levels), order_(levels.size()), times_(levels.size()) {
    // Levels in increasing order (u = ln(C/C0) never decreases: rates are >= 0).
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    std::sort(order_.begin(), order_.end(), [&](auto a, auto b) { return levels_[a] < levels_[b]; });
    while (next_ < order_.size() && levels_[order_[next_]] <= 0) times_[order_[next_++]] = 0.0;
}

void CrossingFinder::scan_crossed(StepCurve& step) {
    while (next_ < order_.size() && levels_[order_[next_]] <= step.u1) {
        const double level = levels_[order_[next_]];
        times_[order_[next_++]] = level <= step.u0 ? step.t0 : crossing_time(step, level);
    }
}

double CrossingFinder::next_level() const {
    return next_ < order_.size() ? levels_[order_[next_]] : std::numeric_limits<double>::infinity();
}

}  // namespace racesim
