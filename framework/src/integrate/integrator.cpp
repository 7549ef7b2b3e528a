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

/// Samples per segment of the jump audit: 64, fewer (at least 8) beyond 128 segments.
int audit_samples(std::size_t segments) {
    return static_cast<int>(std::clamp<std::size_t>(8192 / segments, 8, 64));
}

/// Looks for a jump of a rate model inside a segment, where it declared none. Samples the
/// model at `samples` + 1 points of each segment; an interval whose ln-rate changes by more
/// than `tiny` is bisected, following the half that changes more, while that half holds more
/// than 90 % of the change (a continuous function soon shares it evenly; a jump never does),
/// until the interval holds two adjacent doubles: a jump. Costs one evaluation per sample for
/// a model constant on the segment, about two for a continuous one. Best effort: a jump small
/// next to the model's smooth change over one sample interval, or a burst narrower than the
/// sample spacing, can be missed (the plugin contract tests look closer).
///
/// Adds the model's ln-rate at the first, second and last sample of segment i to probe[3i],
/// probe[3i + 1] and probe[3i + 2]: what the integrator assumes about ln(E·P) on the segment
/// before its first step there.
void audit_jumps(const plugin::RateModel& m, const std::vector<plugin::Segment>& segments, double log_C,
                 const std::string& kind, const std::string& type, const std::string& scenario,
                 std::vector<double>& probe, std::vector<double>& buffer) {
    constexpr double tiny = 1e-6;
    const int samples = audit_samples(segments.size());
    buffer.resize(static_cast<std::size_t>(samples) + 1);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& s = segments[i];
        auto at = [&](int k) { return k == samples ? s.end : s.begin + (s.end - s.begin) * k / samples; };
        // Every sample once; the bisection below re-uses them.
        for (int k = 0; k <= samples; ++k) buffer[static_cast<std::size_t>(k)] = m.log_value(at(k), log_C, s);
        probe[3 * i] += buffer[0];
        probe[3 * i + 1] += buffer[1];
        probe[3 * i + 2] += buffer[static_cast<std::size_t>(samples)];
        // ln-rates more than 30 below the segment's largest sample (a rate under 1e-13 of it) count
        // as equal: a rate that falls continuously to 0 (ln -> -inf, e.g. a linear ramp to zero)
        // is no jump, and a jump that small changes no result.
        const double top = *std::max_element(buffer.begin(), buffer.end());
        if (!std::isfinite(top)) continue;  // zero (or no finite value) throughout
        const double floor = top - 30;
        auto f = [&](double t) { return std::max(m.log_value(t, log_C, s), floor); };
        double a = s.begin, fa = std::max(buffer[0], floor);
        for (int k = 1; k <= samples; ++k) {
            const double b = at(k), fb = std::max(buffer[static_cast<std::size_t>(k)], floor);
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

constexpr double inf = std::numeric_limits<double>::infinity();

/// The variable of one step, relative to its anchor C_a = C(t_a) (integrator.hpp):
///   log form     x = ln(1 + q·(C − C_a)/C_a), q > 0 (q = 1: x = ln(C/C_a)),
///                dx/dt = E·P/(C_a/q + C − C_a) = exp(ln(E·P) − ln(C_a/q) − x);
///   linear form  x = (C − C_a)/C_a,  dx/dt = E·P/C_a = exp(ln(E·P) − ln C_a).
/// If ln(E·P) = l_a + sigma·(t − t_a) and q = sigma/u'(t_a) (u' = E·P/C), the log form's
/// solution is x = sigma·(t − t_a), linear in t: Runge–Kutta stages reproduce it exactly. A
/// constant rate makes the linear form's x linear. q = 1 is the ln C form.
struct Frame {
    bool linear = false;
    double q = 1;       ///< log form only
    double log_q = 0;   ///< ln q
    double log_Ca = 0;  ///< ln C_a (C in PFLOP)

    /// ln(C/C_a) at x; NaN or -inf where x stands for C <= 0 (a stage far below the anchor).
    /// Accurate in absolute terms (a few 1e-16), which is what u = ln(C/C0) needs; log and
    /// exp rather than log1p and expm1 where that holds, as they cost half as much.
    double du(double x) const {
        if (linear) return std::log(1 + x);
        if (q == 1) return x;
        if (x > 30) return x - log_q + std::log1p((q - 1) * std::exp(-x));  // no overflow of e^x
        // ln(1 + expm1(x)/q). For q >= 1/2 and x >= 0, e^x + q − 1 is at least q·e^x >= e^x/2
        // (q <= 1) or above e^x (q > 1), so ln(e^x + q − 1) − ln q is exact to a few
        // ulps; for small q, expm1(x)/q has to be computed relative-exact.
        if (q >= 0.5) return std::log(std::exp(x) + (q - 1)) - log_q;
        return std::log(1 + std::expm1(x) / q);
    }
    /// The inverse of du: x at ln(C/C_a) = d >= 0.
    double x_of(double d) const {
        if (linear) return std::expm1(d);
        if (q == 1) return d;
        return d <= 30 ? std::log1p(q * std::expm1(d)) : d + log_q + std::log1p((1 - q) * std::exp(-d) / q);
    }
    /// d ln C / dx at x: turns an error in x into the error in ln C that the tolerance bounds.
    double du_dx(double x) const {
        if (linear) return 1 / (1 + x);
        if (q == 1) return 1;
        return x <= 30 ? std::exp(x) / (q + std::expm1(x)) : 1 / (1 + (q - 1) * std::exp(-x));
    }
    /// dx/dt at x, given ln(E·P).
    double rate(double lr, double x) const {
        return linear ? std::exp(lr - log_Ca) : std::exp(lr - (log_Ca - log_q) - x);
    }
};

/// The log form with q = sigma/u'(t_a) (u' = E·P/C), or the linear form where that q would
/// be below 1e-6 (a rate nearly flat next to the growth of C) or sigma <= 0.
Frame fitted_frame(double log_Ca, double l_a, double sigma) {
    Frame fr;
    fr.log_Ca = log_Ca;
    // ln q = ln sigma - ln u'(t_a) = ln sigma - (l_a - ln C_a)
    const double log_q = sigma > 0 ? std::log(sigma) - (l_a - log_Ca) : -inf;
    if (!(l_a > -inf) || !(log_q >= -13.815510557964274)) {  // rate 0, q < 1e-6 (or NaN)
        fr.linear = true;
        return fr;
    }
    fr.log_q = std::min(log_q, 600.0);
    fr.q = std::exp(fr.log_q);
    return fr;
}

/// Where ln(E·P) is not known to be linear in t over the step: ln C (q = 1) or the linear form,
/// whichever has the smaller rate of change of its derivative, to first order:
/// (ln C)'' = u'·(sigma − u') and (C/C_a)'' = u'·sigma, sigma = d ln(E·P)/dt along the solution.
/// Always ln C for a state-dependent rate (`allow_linear` false): on experience-curve × growth
/// the linear form's longer steps gave 50× larger errors between steps (dense output).
Frame plain_frame(double log_Ca, double l_a, double sigma, bool allow_linear) {
    Frame fr;
    fr.log_Ca = log_Ca;
    const double du = std::exp(l_a - log_Ca);
    fr.linear = allow_linear && (!(l_a > -inf) || std::abs(sigma) < std::abs(sigma - du));
    return fr;
}

/// Stage times of Dormand–Prince 5(4) after the first, in the order odeint evaluates them
/// (the last is the first-same-as-last derivative at the step's end).
constexpr std::array<double, 6> stage_c{0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0};

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
    const std::size_t n_seg = res.segments.size();
    const int samples = audit_samples(n_seg);
    // ln(E·P) at the first, second and last audit sample of each segment (at ln C0, which a
    // state-independent model ignores).
    std::vector<double> probe(3 * n_seg, 0.0), buffer;
    if (opt.check_jumps) {
        audit_jumps(*pb.efficiency, res.segments, pb.log_C0, "efficiency", pb.efficiency_name, pb.scenario, probe,
                    buffer);
        audit_jumps(*pb.power, res.segments, pb.log_C0, "power", pb.power_name, pb.scenario, probe, buffer);
    } else {  // the same three samples, without the audit
        for (std::size_t i = 0; i < n_seg; ++i) {
            const auto& s = res.segments[i];
            const double ts[3] = {s.begin, s.begin + (s.end - s.begin) * 1 / samples, s.end};
            for (int k = 0; k < 3; ++k)
                probe[3 * i + static_cast<std::size_t>(k)] =
                    pb.efficiency->log_value(ts[k], pb.log_C0, s) + pb.power->log_value(ts[k], pb.log_C0, s);
        }
    }
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
    // How far from a straight line ln(E·P) may be at a fitted step's stages (absolute): 1/64 of
    // the tolerance, or 64 ulps of ln(E·P) where rounding alone is larger. A fitted step whose
    // rate is exponential to within delta errs by O(delta·x) however its error estimate fares.
    auto fit_tolerance = [&](double a, double b) {
        return std::max(eps_abs / 64,
                        64 * std::numeric_limits<double>::epsilon() * std::max({1.0, std::abs(a), std::abs(b)}));
    };

    plugin::Segment seg{0, 0};
    Frame frame;
    double last_lr = 0;                // ln(E·P) of the latest evaluation: at the step's end after a do_step
    std::array<double, 6> stage_lr{};  // ln(E·P) at the stages of the latest step
    std::size_t stage = 0;
    bool bad_stage = false;                            // a stage stood for C <= 0 (state-dependent models only)
    auto fail = [&](double le, double lp, double t) {  // throws
        const bool e_bad = std::isnan(le) || le == inf;
        const bool p_bad = std::isnan(lp) || lp == inf;
        if (e_bad || !p_bad)
            throw RunError("scenario '" + pb.scenario + "': efficiency '" + pb.efficiency_name + "' returned ln E = " +
                           plugin::math::format(le) + " at t = " + plugin::math::format(t) + " yr" +
                           (e_bad ? std::string(" (a rate must be finite and >= 0)")
                                  : ", with ln P = " + plugin::math::format(lp) + ": E·P overflows"));
        throw RunError("scenario '" + pb.scenario + "': power '" + pb.power_name +
                       "' returned ln P = " + plugin::math::format(lp) + " at t = " + plugin::math::format(t) +
                       " yr (a rate must be finite and >= 0)");
    };
    auto rhs = [&](const State& x, State& dxdt, double t) {
        ++res.stats.rhs_evaluations;
        double log_C = 0.0;  // what a state-independent model is passed, as before
        if (state_dep) {
            const double d = frame.du(x[0]);
            if (!std::isfinite(d)) {  // C <= 0 or C overflowing at this stage: the step will be rejected
                bad_stage = true;
                dxdt[0] = 0;
                return;
            }
            log_C = frame.log_Ca + d;
        }
        const double le = pb.efficiency->log_value(t, log_C, seg);
        const double lp = pb.power->log_value(t, log_C, seg);
        const double lr = le + lp;
        if (!(lr < inf)) fail(le, lp, t);  // NaN or +inf in either (or an overflowing sum)
        last_lr = lr;
        if (stage < stage_lr.size()) stage_lr[stage++] = lr;
        dxdt[0] = frame.rate(lr, x[0]);
    };

    odeint::runge_kutta_dopri5<State> rk;
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
    for (std::size_t si = 0; si < n_seg; ++si) {
        const auto& s = res.segments[si];
        seg = s;
        ++res.stats.segments;
        const double len = s.end - s.begin, h1 = len / samples;
        // What the samples say about ln(E·P) on the segment. `fit`: it lies on a line of slope
        // sigma_fit >= 0 (or is -inf: no power) at samples 0, 1 and n, so the steps start in the
        // fitted form, each checked at its own stages. `sigma`: the slope of the plain forms.
        const double p0 = probe[3 * si], p1 = probe[3 * si + 1], pn = probe[3 * si + 2];
        double sigma = (p0 > -inf && p1 > -inf) ? (p1 - p0) / h1 : 0.0;
        bool fit = false, zero = false;
        double sigma_fit = 0;
        if (opt.formulation == Formulation::automatic && !state_dep) {
            if (p0 == -inf && p1 == -inf && pn == -inf) {
                fit = zero = true;
            } else if (std::isfinite(p0) && std::isfinite(p1) && std::isfinite(pn)) {
                sigma_fit = (pn - p0) / len;
                fit = sigma_fit >= 0 && std::abs(p1 - p0 - sigma_fit * h1) <= fit_tolerance(p0, pn);
            }
        }
        double t = s.begin;
        // ln(E·P) at the segment start, at the current state: a fresh derivative, since the
        // last one of the previous segment belongs to the regime before the breakpoint. A rate
        // that does not depend on C was sampled there already (probe: -inf or finite; anything
        // else is evaluated again, and diagnosed).
        double l_a = p0;
        if (state_dep || !(p0 < inf)) {
            frame = Frame{};
            frame.log_Ca = pb.log_C0 + u;
            State x0{0.0}, d0{};
            rhs(x0, d0, t);
            l_a = last_lr;
        }
        double dt = dt_hint > 0 ? std::min(dt_hint, len) : std::min(len, 1e-2);
        std::int64_t steps_here = 0;
        while (t < s.end) {
            const double log_Ca = pb.log_C0 + u;
            switch (opt.formulation) {
                case Formulation::log_C:
                    frame = Frame{};
                    frame.log_Ca = log_Ca;
                    break;
                case Formulation::linear:
                    frame = Frame{};
                    frame.linear = true;
                    frame.log_Ca = log_Ca;
                    break;
                case Formulation::automatic:
                    frame = fit ? fitted_frame(log_Ca, l_a, sigma_fit) : plain_frame(log_Ca, l_a, sigma, !state_dep);
                    break;
            }
            // A fitted step is exact in principle, so its error estimate does not stop it from
            // growing past the method's stability limit: dx/dt = E·P/(C_a/q + C − C_a) feeds x
            // back with the factor −dx/dt, and Dormand–Prince is stable for h·|factor| up to
            // about 3.3 only (beyond, rounding grows: 1e-10 at h·sigma = 25). Hence h·sigma <= 3.
            if (fit && !frame.linear) dt = std::min(dt, 3.0 / frame.rate(l_a, 0.0));
            const double dt_planned = dt;
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
            const State x{0.0};
            const State dxdt{frame.rate(l_a, 0.0)};
            State x_new{}, dxdt_new{}, xerr{};
            bad_stage = false;
            stage = 0;
            rk.do_step(rhs, x, dxdt, t, x_new, dxdt_new, dt, xerr);
            const double l_b = last_lr;
            if (fit) {
                // The fitted form's error estimate can be far too small where the rate is not
                // exponential (a Taylor coefficient that the fit cancels): trust the step only
                // if ln(E·P) is on the assumed line at every stage.
                const double tol = fit_tolerance(l_a, l_b);
                bool on_line = true;
                for (std::size_t i = 0; i < stage_c.size() && on_line; ++i)
                    on_line =
                        zero ? stage_lr[i] == -inf : std::abs(stage_lr[i] - (l_a + sigma_fit * stage_c[i] * dt)) <= tol;
                if (!on_line) {
                    // Not exponential after all: the plain forms for the rest of the segment.
                    fit = false;
                    sigma = (l_a > -inf && l_b > -inf) ? (l_b - l_a) / dt : 0.0;
                    ++res.stats.rejected;
                    continue;
                }
            }
            // The error estimate in ln C (the tolerance's unit). NaN (an overflowing stage, or
            // a stage at C <= 0) fails the test below, as does a result that is no number or
            // stands for C <= 0 (a Runge–Kutta result can fall below its start: b5 < 0).
            const double err = bad_stage ? inf : std::abs(xerr[0]) * frame.du_dx(x_new[0]) / eps_abs;
            const double du_new = frame.du(x_new[0]);
            if (!(err <= 1) || !std::isfinite(du_new) || !std::isfinite(dxdt_new[0])) {
                ++res.stats.rejected;
                // Odeint's rule (controlled_runge_kutta's default_step_adjuster); a step that
                // produced no number is retried with a quarter of its length.
                dt *= std::isfinite(err) ? std::max(0.9 * std::pow(err, -1.0 / 3.0), 0.2) : 0.25;
                continue;
            }
            ++res.stats.steps;
            if (frame.linear)
                ++res.stats.linear_steps;
            else if (frame.q == 1)
                ++res.stats.log_C_steps;
            else
                ++res.stats.fitted_steps;
            const double t_old = t;
            t = last ? s.end : t + dt;  // land exactly on the segment end
            // The controller's proposal for the next step (odeint's rule: grow by at most 4.5×).
            double dt_next = dt;
            static const double grow_max = 0.9 * std::pow(3.2e-4, -0.2);  // 4.5 (5^-5 = 3.2e-4)
            if (err < 0.5) dt_next = dt * (err <= 3.2e-4 ? grow_max : 0.9 * std::pow(err, -0.2));
            // A step shortened to land on the segment end says nothing against the longer one
            // planned: the next segment starts with at least that.
            if (last) dt_next = std::max(dt_next, dt_planned);
            const double u_old = u, u_new = u + du_new;
            auto dense = [&](double tq) {
                if (tq >= t) return x_new[0];
                State out{};
                rk.calc_state(tq, out, x, dxdt, t_old, x_new, dxdt_new, t);
                return out[0];
            };
            while (next_output < pb.output_times.size() && pb.output_times[next_output] <= t) {
                const double tq = pb.output_times[next_output];
                res.log_ratio[next_output++] = tq >= t ? u_new : u_old + frame.du(dense(tq));
            }
            while (next_threshold < order.size() && pb.log_thresholds[order[next_threshold]] <= u_new) {
                const double target = pb.log_thresholds[order[next_threshold]];
                double when = t;
                if (target <= u_old) {
                    when = t_old;
                } else {
                    // The crossing in the step's own variable: x is increasing in t, as u is.
                    const double xt = std::min(frame.x_of(target - u_old), x_new[0]);
                    boost::uintmax_t iters = 100;
                    auto f = [&](double tq) { return dense(tq) - xt; };
                    const auto r = boost::math::tools::toms748_solve(
                        f, t_old, t, -xt, x_new[0] - xt, boost::math::tools::eps_tolerance<double>(52), iters);
                    when = polish(0.5 * (r.first + r.second), t_old, t, x, dxdt, xt);
                }
                res.threshold_times[order[next_threshold++]] = when;
            }
            // The slope of ln(E·P) over this step, along the solution (so a state-dependent
            // rate's dependence on C is included): what the next plain step assumes.
            sigma = (l_a > -inf && l_b > -inf) ? (l_b - l_a) / dt : 0.0;
            u = u_new;
            l_a = l_b;
            dt = dt_next;
            dt_hint = dt_next;
        }
    }
    // Output times at the horizon that rounding may have left.
    while (next_output < pb.output_times.size()) res.log_ratio[next_output++] = u;
    return res;
}

}  // namespace racesim
