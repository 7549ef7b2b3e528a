#include "racesim/integrate/integrator.hpp"

#include <algorithm>
#include <array>
#include <boost/math/tools/roots.hpp>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugins/registry.hpp"

namespace racesim {

namespace odeint = boost::numeric::odeint;
using State = std::array<double, 1>;

namespace {

void collect(const plugin::RateModel& m, double horizon, std::vector<double>& out, const std::string& what,
             const std::string& scenario) {
    std::vector<double> bp;
    m.breakpoints(0.0, horizon, bp);
    for (std::size_t i = 0; i < bp.size(); ++i) {
        if (!(bp[i] > 0 && bp[i] < horizon))
            throw RunError("scenario '" + scenario + "': " + what +
                           " declared a breakpoint at t = " + plugin::math::format(bp[i]) +
                           ", outside the open interval (0, " + plugin::math::format(horizon) + ") it was asked for");
        if (i > 0 && !(bp[i] >= bp[i - 1]))
            throw RunError("scenario '" + scenario + "': " + what + " declared breakpoints out of order (" +
                           plugin::math::format(bp[i - 1]) + " then " + plugin::math::format(bp[i]) + ")");
    }
    out.insert(out.end(), bp.begin(), bp.end());
}

/// |a - b| for ln-rates, where -inf (a zero rate) differs infinitely from any finite value.
double log_gap(double a, double b) {
    if (a == b) return 0;
    if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<double>::infinity();
    return std::abs(a - b);
}

/// Looks for a jump of a rate model inside a segment, where it declared none. Samples the
/// model at `samples` + 1 points of each segment; an interval whose ln-rate changes by more
/// than `tiny` is bisected, following the half that changes more, while that half holds more
/// than 90 % of the change (a continuous function soon shares it evenly; a jump never does),
/// until the interval holds two adjacent doubles: a jump. Costs about two evaluations per
/// sample for a continuous model. Best effort: a jump small next to the model's smooth change
/// over one sample interval, or a burst narrower than the sample spacing, can be missed (the
/// plugin contract tests look closer).
void audit_jumps(const plugin::RateModel& m, const std::vector<plugin::Segment>& segments, double log_C,
                 const std::string& kind, const std::string& type, const std::string& scenario) {
    constexpr double tiny = 1e-6;
    const int samples = static_cast<int>(std::clamp<std::size_t>(8192 / segments.size(), 8, 64));
    for (const auto& s : segments) {
        // ln-rates more than 30 below the segment's largest sample (a rate under 1e-13 of it) count
        // as equal: a rate that falls continuously to 0 (ln -> -inf, e.g. a linear ramp to zero)
        // is no jump, and a jump that small changes no result.
        double top = -std::numeric_limits<double>::infinity();
        for (int k = 0; k <= samples; ++k) {
            const double t = k == samples ? s.end : s.begin + (s.end - s.begin) * k / samples;
            top = std::max(top, m.log_value(t, log_C, s));
        }
        if (!std::isfinite(top)) continue;  // zero (or no finite value) throughout
        const double floor = top - 30;
        auto f = [&](double t) { return std::max(m.log_value(t, log_C, s), floor); };
        double a = s.begin, fa = f(a);
        for (int k = 1; k <= samples; ++k) {
            const double b = k == samples ? s.end : s.begin + (s.end - s.begin) * k / samples;
            const double fb = f(b);
            double lo = a, hi = b, flo = fa, fhi = fb;
            while (log_gap(flo, fhi) > tiny) {
                const double mid = 0.5 * (lo + hi);
                if (!(mid > lo && mid < hi)) {
                    // The library is filled in by the runner, which knows the scenario's entries.
                    PluginError err(type, {}, "",
                                    "jumps (ln of its rate from " + plugin::math::format(flo) + " to " +
                                        plugin::math::format(fhi) + ") inside the segment [" +
                                        plugin::math::format(s.begin) + ", " + plugin::math::format(s.end) +
                                        "), where it declared no breakpoint: a plugin must declare every "
                                        "discontinuity (RateModel::breakpoints) and evaluate the regime of the "
                                        "segment");
                    err.kind = kind;
                    err.scenario = scenario;
                    err.time = mid;
                    throw err;
                }
                const double fm = f(mid), whole = log_gap(flo, fhi), g1 = log_gap(flo, fm), g2 = log_gap(fm, fhi);
                // Continuous there: halving the interval shares the change between the halves
                // (at most 3/4 in one half, near an extremum). A jump stays whole in one half.
                if (std::isfinite(whole) && std::max(g1, g2) <= 0.9 * whole) break;
                if (g1 >= g2)
                    hi = mid, fhi = fm;
                else
                    lo = mid, flo = fm;
            }
            a = b, fa = fb;
        }
    }
}

}  // namespace

std::vector<plugin::Segment> make_segments(const plugin::RateModel& e, const plugin::RateModel& p, double horizon,
                                           const std::string& scenario) {
    std::vector<double> bp;
    collect(e, horizon, bp, "the efficiency model", scenario);
    collect(p, horizon, bp, "the power schedule", scenario);
    std::sort(bp.begin(), bp.end());
    std::vector<plugin::Segment> seg;
    double begin = 0.0;
    const double tol = 1e-12 * std::max(1.0, horizon);
    for (double b : bp) {
        if (b - begin <= tol || horizon - b <= tol) continue;
        seg.push_back({begin, b});
        begin = b;
    }
    seg.push_back({begin, horizon});
    return seg;
}

const plugin::Segment& segment_at(const std::vector<plugin::Segment>& segments, double t) {
    auto it = std::upper_bound(segments.begin(), segments.end(), t,
                               [](double v, const plugin::Segment& s) { return v < s.begin; });
    return it == segments.begin() ? segments.front() : *(it - 1);
}

IntegrationResult integrate(const IntegrationProblem& pb, const IntegratorOptions& opt) {
    IntegrationResult res;
    res.segments = make_segments(*pb.efficiency, *pb.power, pb.horizon, pb.scenario);
    audit_jumps(*pb.efficiency, res.segments, pb.log_C0, "efficiency", pb.efficiency_name, pb.scenario);
    audit_jumps(*pb.power, res.segments, pb.log_C0, "power", pb.power_name, pb.scenario);
    res.log_ratio.assign(pb.output_times.size(), 0.0);
    res.threshold_times.assign(pb.log_thresholds.size(), std::nullopt);

    // Thresholds in increasing order (u = ln(C/C0) never decreases: rates are >= 0).
    std::vector<std::size_t> order(pb.log_thresholds.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return pb.log_thresholds[a] < pb.log_thresholds[b]; });
    std::size_t next_threshold = 0;
    while (next_threshold < order.size() && pb.log_thresholds[order[next_threshold]] <= 0)
        res.threshold_times[order[next_threshold++]] = 0.0;
    std::size_t next_output = 0;
    while (next_output < pb.output_times.size() && pb.output_times[next_output] <= 0)
        res.log_ratio[next_output++] = 0.0;

    const double eps_abs = opt.rel_tol + opt.abs_tol * std::exp(-pb.log_C0);
    const bool state_dep = pb.efficiency->depends_on_state() || pb.power->depends_on_state();

    plugin::Segment seg{0, 0};
    auto rhs = [&](const State& x, State& dxdt, double t) {
        ++res.stats.rhs_evaluations;
        const double log_C = pb.log_C0 + x[0];
        const double le = pb.efficiency->log_value(t, state_dep ? log_C : 0.0, seg);
        const double lp = pb.power->log_value(t, state_dep ? log_C : 0.0, seg);
        if (std::isnan(le) || le == std::numeric_limits<double>::infinity())
            throw RunError("scenario '" + pb.scenario + "': efficiency '" + pb.efficiency_name +
                           "' returned ln E = " + plugin::math::format(le) + " at t = " + plugin::math::format(t) +
                           " yr (a rate must be finite and >= 0)");
        if (std::isnan(lp) || lp == std::numeric_limits<double>::infinity())
            throw RunError("scenario '" + pb.scenario + "': power '" + pb.power_name +
                           "' returned ln P = " + plugin::math::format(lp) + " at t = " + plugin::math::format(t) +
                           " yr (a rate must be finite and >= 0)");
        dxdt[0] = std::exp(le + lp - log_C);
    };

    auto stepper = odeint::make_controlled(eps_abs, 0.0, odeint::runge_kutta_dopri5<State>());

    // The dense-output interpolant is 4th order and not error-controlled: near t = 0 its
    // error, divided by a small t, can approach 1e-8 in a target time. Polish the crossing
    // with Newton on a fresh 5th-order step from the step's start (local error <= the
    // accepted step's, as h <= dt), which gives the target time the integrator's accuracy.
    odeint::runge_kutta_dopri5<State> polisher;
    auto polish = [&](double tc, double ta, double tb, const State& xa, const State& dxa, double target) {
        for (int it = 0; it < 4; ++it) {
            const double h = tc - ta;
            if (!(h > 0)) break;
            State xo{}, dxo{};
            polisher.do_step(rhs, xa, dxa, ta, xo, dxo, h);
            if (!(dxo[0] > 0)) break;
            const double next = std::clamp(tc - (xo[0] - target) / dxo[0], ta, tb);
            const bool done = std::abs(next - tc) <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, tc);
            tc = next;
            if (done) break;
        }
        return tc;
    };
    double dt_hint = 0;
    double u = 0;
    for (const auto& s : res.segments) {
        seg = s;
        ++res.stats.segments;
        stepper.reset();  // a fresh stepper: the FSAL derivative must not cross a breakpoint
        double t = s.begin;
        State x{u}, dxdt{}, x_new{}, dxdt_new{};
        rhs(x, dxdt, t);
        const double len = s.end - s.begin;
        double dt = dt_hint > 0 ? std::min(dt_hint, len) : std::min(len, 1e-2);
        std::int64_t steps_here = 0;
        while (t < s.end) {
            const bool last = dt >= s.end - t;
            if (last) dt = s.end - t;
            if (!(t + dt > t))
                throw RunError("scenario '" + pb.scenario +
                               "': the step size underflowed at t = " + plugin::math::format(t) + " yr in segment [" +
                               plugin::math::format(s.begin) + ", " + plugin::math::format(s.end) +
                               "): a rate model may jump where it declared no breakpoint");
            check_interrupt();
            if (++steps_here > opt.max_steps)
                throw RunError("scenario '" + pb.scenario + "': no progress after " + std::to_string(opt.max_steps) +
                               " steps in segment [" + plugin::math::format(s.begin) + ", " +
                               plugin::math::format(s.end) + ") at t = " + plugin::math::format(t) +
                               " yr (solver.max_steps): a rate model may jump where it declared no breakpoint");
            const double t_old = t;
            double dt_try = dt;
            if (stepper.try_step(rhs, x, dxdt, t, x_new, dxdt_new, dt_try) != odeint::success) {
                ++res.stats.rejected;
                dt = dt_try;
                continue;
            }
            // A NaN error estimate compares as "small enough": Odeint accepts the step. That
            // happens when a too-long first step of a segment (where the rate starts at 0 and
            // rises steeply) drives a stage's ln C so low that E·P/C overflows. Reject it.
            if (!std::isfinite(x_new[0]) || !std::isfinite(dxdt_new[0])) {
                ++res.stats.rejected;
                t = t_old;
                dt *= 0.25;
                continue;
            }
            ++res.stats.steps;
            if (last) t = s.end;  // land exactly on the segment end
            dt_hint = dt_try;     // the controller's proposal for the next step
            dt = dt_try;
            const double u_old = x[0], u_new = x_new[0];
            const auto& rk = stepper.stepper();
            auto dense = [&](double tq) {
                if (tq >= t) return u_new;
                State out{};
                rk.calc_state(tq, out, x, dxdt, t_old, x_new, dxdt_new, t);
                return out[0];
            };
            while (next_output < pb.output_times.size() && pb.output_times[next_output] <= t)
                res.log_ratio[next_output] = dense(pb.output_times[next_output]), ++next_output;
            while (next_threshold < order.size() && pb.log_thresholds[order[next_threshold]] <= u_new) {
                const double target = pb.log_thresholds[order[next_threshold]];
                double when = t;
                if (target <= u_old) {
                    when = t_old;
                } else {
                    boost::uintmax_t iters = 100;
                    auto f = [&](double tq) { return dense(tq) - target; };
                    const auto r =
                        boost::math::tools::toms748_solve(f, t_old, t, u_old - target, u_new - target,
                                                          boost::math::tools::eps_tolerance<double>(52), iters);
                    when = polish(0.5 * (r.first + r.second), t_old, t, x, dxdt, target);
                }
                res.threshold_times[order[next_threshold++]] = when;
            }
            x = x_new;
            dxdt = dxdt_new;
        }
        u = x[0];
    }
    // Output times at the horizon that rounding may have left.
    while (next_output < pb.output_times.size()) res.log_ratio[next_output++] = u;
    return res;
}

}  // namespace racesim
