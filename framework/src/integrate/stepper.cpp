// The stepper (stepper.hpp): segments, the jump audit, the per-step formulations (Frame), the
// step-size controller on Odeint's dopri5, and the dense output of the last step. With
// `algorithms:` the rate is A·E·P (ln A added to ln(E·P) wherever it is evaluated), and "E·P"
// in the comments below stands for it.
#include "racesim/integrate/stepper.hpp"

#include <algorithm>
#include <array>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "chebyshev_panel.hpp"
#include "dop853.hpp"
#include "racesim/core/errors.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/math.hpp"

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

/// The variable of one step, relative to its anchor C_a = C(t_a) (stepper.hpp):
///   log form     x = ln(1 + q·(C − C_a)/C_a), q > 0 (q = 1: x = ln(C/C_a)),
///                dx/dt = E·P/(C_a/q + C − C_a) = exp(ln(E·P) − ln(C_a/q) − x);
///   falling log form (a rate declining exponentially), p > 0:
///                x = −ln(1 − p·(C − C_a)/C_a),
///                dx/dt = E·P/(C_a/p − (C − C_a)) = exp(ln(E·P) − ln(C_a/p) + x);
///   linear form  x = (C − C_a)/C_a,  dx/dt = E·P/C_a = exp(ln(E·P) − ln C_a).
/// If ln(E·P) = l_a + sigma·(t − t_a) and q = sigma/u'(t_a) (u' = E·P/C), the log form's
/// solution is x = sigma·(t − t_a) (sigma > 0), and with p = −sigma/u'(t_a) the falling form's
/// is x = −sigma·(t − t_a) (sigma < 0): linear in t, so Runge–Kutta stages reproduce it
/// exactly. In the falling form C/C_a = 1 + (1 − e^−x)/p stays below the exponential rate's
/// own asymptote 1 + 1/p for every x >= 0, and x -> inf as C approaches it: nothing takes the
/// log of a negative number along the solution. A constant rate makes the linear form's x
/// linear. q = 1 is the ln C form. Every form's x is 0 at t_a and increases with C.
struct Frame {
    bool linear = false;
    bool falling = false;  ///< the falling log form (q stands for p)
    /// The power form of a rate affine in ln C, ln(E·P) = a(t) + beta·ln C (quadrature panels):
    /// x = ((C/C_a)^(1 − beta) − 1)/(1 − beta) (ln(C/C_a) at beta = 1), dx/dt = (E·P)(t, C_a)/C_a.
    bool power = false;
    double omb = 1;     ///< 1 − beta, power form only
    double q = 1;       ///< log forms only (p in the falling form)
    double log_q = 0;   ///< ln q
    double log_Ca = 0;  ///< ln C_a (C in PFLOP)

    /// ln(C/C_a) at x; NaN or -inf where x stands for C <= 0 (a stage far below the anchor).
    /// Accurate in absolute terms (a few 1e-16), which is what u = ln(C/C0) needs; log and
    /// exp rather than log1p and expm1 where that holds, as they cost half as much.
    double du(double x) const {
        if (linear) return std::log(1 + x);
        if (power) return omb == 0 ? x : std::log1p(omb * x) / omb;  // NaN past a blow-up (omb < 0)
        // ln(1 + (1 − e^−x)/p) = log1p(−expm1(−x)/p): relative-exact as x -> 0 and as p -> 0
        // (each of expm1, the quotient and log1p is), and bounded by log1p(1/p) as x -> inf.
        if (falling) return std::log1p(-std::expm1(-x) / q);
        if (q == 1) return x;
        if (x > 30) return x - log_q + std::log1p((q - 1) * std::exp(-x));  // no overflow of e^x
        // ln(1 + expm1(x)/q). For q >= 1/2 and x >= 0, e^x + q − 1 is at least q·e^x >= e^x/2
        // (q <= 1) or above e^x (q > 1), so ln(e^x + q − 1) − ln q is exact to a few
        // ulps; for small q, expm1(x)/q has to be computed relative-exact.
        if (q >= 0.5) return std::log(std::exp(x) + (q - 1)) - log_q;
        return std::log(1 + std::expm1(x) / q);
    }
    /// The inverse of du: x at ln(C/C_a) = d >= 0 (+inf in the falling form at or beyond the
    /// asymptote, d >= log1p(1/p), which no point of the step reaches).
    double x_of(double d) const {
        if (linear) return std::expm1(d);
        if (power) return omb == 0 ? d : std::expm1(omb * d) / omb;
        if (falling) {
            const double a = q * std::expm1(d);  // 1 − e^−x
            return a < 1 ? -std::log1p(-a) : inf;
        }
        if (q == 1) return d;
        return d <= 30 ? std::log1p(q * std::expm1(d)) : d + log_q + std::log1p((1 - q) * std::exp(-d) / q);
    }
    /// d ln C / dx at x: turns an error in x into the error in ln C that the tolerance bounds.
    double du_dx(double x) const {
        if (linear) return 1 / (1 + x);
        if (power) return 1 / (1 + omb * x);
        if (falling) return std::exp(-x) / (q - std::expm1(-x));
        if (q == 1) return 1;
        return x <= 30 ? std::exp(x) / (q + std::expm1(x)) : 1 / (1 + (q - 1) * std::exp(-x));
    }
    /// dx/dt at x, given ln(E·P).
    double rate(double lr, double x) const {
        if (linear || power) return std::exp(lr - log_Ca);  // power: lr at C_a (the frozen state)
        return std::exp(lr - (log_Ca - log_q) + (falling ? x : -x));
    }
};

/// The log form with q = sigma/u'(t_a) (u' = E·P/C) for sigma > 0, the falling log form with
/// p = −sigma/u'(t_a) for sigma < 0, or the linear form where |q| would be below 1e-6 (a rate
/// nearly flat next to the growth of C), sigma = 0 or the rate is 0.
Frame fitted_frame(double log_Ca, double l_a, double sigma) {
    Frame fr;
    fr.log_Ca = log_Ca;
    // ln |q| = ln |sigma| - ln u'(t_a) = ln |sigma| - (l_a - ln C_a)
    const double log_q = sigma != 0 ? std::log(std::abs(sigma)) - (l_a - log_Ca) : -inf;
    if (!(l_a > -inf) || !(log_q >= -13.815510557964274)) {  // rate 0, |q| < 1e-6 (or NaN)
        fr.linear = true;
        return fr;
    }
    fr.falling = sigma < 0;
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

/// A quadrature panel's form: linear for a rate that does not depend on C, the power form with
/// 1 − beta for one affine in ln C with slope beta.
Frame panel_frame(double log_Ca, bool state_dep, double beta) {
    Frame fr;
    fr.log_Ca = log_Ca;
    fr.linear = !state_dep;
    fr.power = state_dep;
    fr.omb = 1 - beta;
    return fr;
}

/// DOP853 steps are held to the tolerance divided by this. Its 7th-order interpolant is less
/// accurate than its steps: at the tolerance itself the dense output erred by up to 66× the
/// tolerance in C on a linear power ramp (bench problem "ramp", rel_tol 1e-10), 5× with this
/// margin (docs/numerics.md, "DOP853").
constexpr double kHighOrderMargin = 10;

/// The quadrature panels (IntegratorOptions::quadrature): degree 12, 13 points, 12 new RHS
/// evaluations per panel (the first point is the last panel's end). On the bench problems at
/// rel_tol 1e-10, degree 12 took the least time of 8, 10, 12, 16, 24 and 32 (docs/numerics.md).
using Panel = ChebyshevPanel<quadrature_panel_evaluations>;
constexpr std::size_t kPanelDegree = Panel::points - 1;

/// Stage times of Dormand–Prince 5(4) after the first, in the order odeint evaluates them
/// (the last is the first-same-as-last derivative at the step's end).
constexpr std::array<double, 6> stage_c{0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0};

}  // namespace

std::vector<plugin::Segment> make_segments(const plugin::RateModel& e, const plugin::RateModel& p, double horizon,
                                           const std::string& scenario, const plugin::RateModel* a) {
    std::vector<double> bp;
    collect(e, horizon, bp, "the efficiency model", scenario);
    collect(p, horizon, bp, "the power schedule", scenario);
    if (a) collect(*a, horizon, bp, "the algorithms model", scenario);
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

struct Stepper::Impl {
    const IntegrationProblem& pb;
    const IntegratorOptions opt;
    std::vector<plugin::Segment> segments;
    int samples = 0;
    /// ln(E·P) at the first, second and last audit sample of each segment (at ln C0, which a
    /// state-independent model ignores).
    std::vector<double> probe;
    double eps_abs = 0;
    bool state_dep = false;
    IntegrationStats stats;

    // The integration.
    plugin::Segment seg{0, 0};         ///< the current segment
    Frame frame;                       ///< the form of the current (or last accepted) step
    double last_lr = 0;                // ln(E·P) of the latest evaluation: at the step's end after a do_step
    std::array<double, 6> stage_lr{};  // ln(E·P) at the stages of the latest step
    std::size_t stage = 0;
    bool bad_stage = false;  // a stage stood for C <= 0 (state-dependent models only)
    odeint::runge_kutta_dopri5<State> rk;
    // The dense-output interpolant is 4th order and not error-controlled: near t = 0 its
    // error, divided by a small t, can approach 1e-8 in a target time. fresh_step() serves the
    // crossing finder's Newton polish with a fresh 5th-order step from the step's start (local
    // error <= the accepted step's, as h <= dt), which gives the target time the integrator's
    // accuracy. Its own dopri5, so that the dense output of `rk` stays that of the last step.
    odeint::runge_kutta_dopri5<State> polisher;
    // DOP853 for the plain forms at tight tolerances (IntegratorOptions::high_order_tol): the
    // step (whose dense output is prepared on demand) and its own fresh steps, like rk and polisher.
    Dop853 hi_rk, hi_polisher;
    bool last_hi = false;  ///< the last accepted step is a DOP853 step
    // Quadrature panels (IntegratorOptions::quadrature): the last attempted panel's integral.
    Panel panel;
    bool last_panel = false;  ///< the last accepted step is a quadrature panel
    double panel_lr_mid = 0;  ///< ln(E·P) at the last panel's middle point (at C_a)
    double dt_hint = 0;       ///< the step size the controller last proposed
    double u = 0;             ///< ln(C/C0) at t

    // The current segment.
    std::size_t next_segment = 0;  ///< the index of the next segment to enter
    bool in_segment = false;
    double t = 0;      ///< now: the end of the last accepted step, or the start of the segment entered
    double dt = 0;     ///< the next step's size
    double l_a = 0;    ///< ln(E·P) at t
    double sigma = 0;  ///< the slope of ln(E·P) that the plain forms assume
    bool fit = false;  ///< the segment's steps are in the fitted form (see enter_segment)
    /// A state-dependent rate found affine in ln C by the probe at the segment's start (at its
    /// middle), slope `beta`: its steps are quadrature panels in the power form, each checked at
    /// its middle and end.
    bool affine = false;
    double beta = 0;
    bool zero = false;     ///< ... with E·P = 0 throughout
    double sigma_fit = 0;  ///< the fitted form's slope of ln(E·P)
    std::int64_t steps_here = 0;

    // The last accepted step: the anchor (x = 0) and its derivative, the end and its derivative.
    Step last;
    const State x0{0.0};
    State dxdt0{}, x1{}, dxdt1{};

    Impl(const IntegrationProblem& problem, const IntegratorOptions& options)
        : pb(problem),
          opt(options),
          segments(make_segments(*pb.efficiency, *pb.power, pb.horizon, pb.scenario, pb.algorithms)) {
        const std::size_t n_seg = segments.size();
        samples = audit_samples(n_seg);
        probe.assign(3 * n_seg, 0.0);
        // Each rate model is audited for undeclared jumps (adding its samples to `probe`), or,
        // when the audit is off or skips it (a library that passed the contract tests), only
        // sampled at the three points `probe` holds.
        std::vector<double> buffer;
        const auto sample = [&](const plugin::RateModel& m, bool contract_tested, const char* kind,
                                const std::string& type) {
            if (opt.check_jumps && (!contract_tested || opt.audit_contract_tested)) {
                audit_jumps(m, segments, pb.log_C0, kind, type, pb.scenario, probe, buffer);
                return;
            }
            for (std::size_t i = 0; i < n_seg; ++i) {
                const auto& s = segments[i];
                probe[3 * i] += m.log_value(s.begin, pb.log_C0, s);
                probe[3 * i + 1] += m.log_value(s.begin + (s.end - s.begin) * 1 / samples, pb.log_C0, s);
                probe[3 * i + 2] += m.log_value(s.end, pb.log_C0, s);
            }
        };
        sample(*pb.efficiency, pb.efficiency_contract_tested, "efficiency", pb.efficiency_name);
        sample(*pb.power, pb.power_contract_tested, "power", pb.power_name);
        if (pb.algorithms) sample(*pb.algorithms, pb.algorithms_contract_tested, "algorithms", pb.algorithms_name);
        eps_abs = opt.rel_tol + opt.abs_tol * std::exp(-pb.log_C0);
        state_dep = pb.efficiency->depends_on_state() || pb.power->depends_on_state() ||
                    (pb.algorithms && pb.algorithms->depends_on_state());
    }

    /// How far from a straight line ln(E·P) may be at a fitted step's stages (absolute): 1/64 of
    /// the tolerance, or 64 ulps of ln(E·P) where rounding alone is larger. A fitted step whose
    /// rate is exponential to within delta errs by O(delta·x) however its error estimate fares.
    double fit_tolerance(double a, double b) const {
        return std::max(eps_abs / 64,
                        64 * std::numeric_limits<double>::epsilon() * std::max({1.0, std::abs(a), std::abs(b)}));
    }

    [[noreturn]] void fail(double le, double lp, double at) const {
        const bool e_bad = std::isnan(le) || le == inf;
        const bool p_bad = std::isnan(lp) || lp == inf;
        if (e_bad || !p_bad)
            throw RunError("scenario '" + pb.scenario + "': efficiency '" + pb.efficiency_name + "' returned ln E = " +
                           plugin::math::format(le) + " at t = " + plugin::math::format(at) + " yr" +
                           (e_bad ? std::string(" (a rate must be finite and >= 0)")
                                  : ", with ln P = " + plugin::math::format(lp) + ": E·P overflows"));
        throw RunError("scenario '" + pb.scenario + "': power '" + pb.power_name +
                       "' returned ln P = " + plugin::math::format(lp) + " at t = " + plugin::math::format(at) +
                       " yr (a rate must be finite and >= 0)");
    }

    /// dx/dt in the current frame and segment.
    void rhs(const State& x, State& dxdt, double at) {
        double log_C = 0.0;  // what a state-independent model is passed, as before
        if (state_dep) {
            const double d = frame.du(x[0]);
            if (!std::isfinite(d)) {  // C <= 0 or C overflowing at this stage: the step will be rejected
                ++stats.rhs_evaluations;
                bad_stage = true;
                dxdt[0] = 0;
                return;
            }
            log_C = frame.log_Ca + d;
        }
        const double lr = log_rate(at, log_C);
        if (stage < stage_lr.size()) stage_lr[stage++] = lr;
        dxdt[0] = frame.rate(lr, x[0]);
    }

    /// ln(E·P) (ln(A·E·P) with `algorithms:`) at t = at, ln C = log_C, in the current segment:
    /// one RHS evaluation (counted; last_lr). Throws RunError for NaN or +inf.
    double log_rate(double at, double log_C) {
        ++stats.rhs_evaluations;
        const double le = pb.efficiency->log_value(at, log_C, seg);
        const double lp = pb.power->log_value(at, log_C, seg);
        double lr = le + lp;
        if (!(lr < inf)) fail(le, lp, at);  // NaN or +inf in either (or an overflowing sum)
        if (pb.algorithms) {                // effective compute: ln(A·E·P)
            const double la = pb.algorithms->log_value(at, log_C, seg);
            lr += la;
            if (!(lr < inf))
                throw RunError("scenario '" + pb.scenario + "': algorithms '" + pb.algorithms_name +
                               "' returned ln A = " + plugin::math::format(la) + " at t = " + plugin::math::format(at) +
                               " yr" +
                               (std::isnan(la) || la == inf
                                    ? std::string(" (a multiplier must be finite and >= 0)")
                                    : ", with ln(E·P) = " + plugin::math::format(le + lp) + ": A·E·P overflows"));
        }
        last_lr = lr;
        return lr;
    }

    /// The same without diagnosing or counting: NaN where a model gives no number. For the
    /// probe of a state-dependent rate at states off the solution (enter_segment).
    double probe_log_rate(double at, double log_C) const {
        double lr = pb.efficiency->log_value(at, log_C, seg) + pb.power->log_value(at, log_C, seg);
        if (pb.algorithms) lr += pb.algorithms->log_value(at, log_C, seg);
        return lr;
    }

    auto system() {
        return [this](const State& x, State& dxdt, double at) { rhs(x, dxdt, at); };
    }
    auto scalar_system() {
        return [this](double x, double& dxdt, double at) {
            State d{};
            rhs(State{x}, d, at);
            dxdt = d[0];
        };
    }

    /// Starts segment i at the current state.
    void enter_segment(std::size_t i) {
        const auto& s = segments[i];
        seg = s;
        ++stats.segments;
        const double len = s.end - s.begin, h1 = len / samples;
        // What the samples say about ln(E·P) on the segment. `fit`: it lies on a line of slope
        // sigma_fit, of either sign, (or is -inf: no power) at samples 0, 1 and n, so the steps
        // start in the fitted form (falling for sigma_fit < 0), each checked at its own stages.
        // `sigma`: the slope of the plain forms.
        const double p0 = probe[3 * i], p1 = probe[3 * i + 1], pn = probe[3 * i + 2];
        sigma = (p0 > -inf && p1 > -inf) ? (p1 - p0) / h1 : 0.0;
        fit = false;
        zero = false;
        sigma_fit = 0;
        if (opt.formulation == Formulation::automatic && !state_dep) {
            if (p0 == -inf && p1 == -inf && pn == -inf) {
                fit = zero = true;
            } else if (std::isfinite(p0) && std::isfinite(p1) && std::isfinite(pn)) {
                sigma_fit = (pn - p0) / len;
                fit = std::abs(p1 - p0 - sigma_fit * h1) <= fit_tolerance(p0, pn);
            }
        }
        t = s.begin;
        // ln(E·P) at the segment start, at the current state: a fresh derivative, since the
        // last one of the previous segment belongs to the regime before the breakpoint. A rate
        // that does not depend on C was sampled there already (probe: -inf or finite; anything
        // else is evaluated again, and diagnosed).
        l_a = p0;
        if (state_dep || !(p0 < inf)) {
            frame = Frame{};
            frame.log_Ca = pb.log_C0 + u;
            State xs{0.0}, d0{};
            rhs(xs, d0, t);
            l_a = last_lr;
        }
        // A state-dependent rate whose ln is affine in ln C here, ln(E·P) = a(t) + beta·ln C (the
        // experience curve, reinvestment: powers of C), separates: in the power form (Frame)
        // its steps are quadrature panels too, each checked against the assumption (attempt()).
        // Probed at the segment's middle (where a rate that is 0 at an end, e.g. an interpolated
        // power series through 0, is not) at C, C·e and C·e² (three evaluations, counted): beta
        // from the longer lever, and the two slopes must agree as the fitted forms' samples must.
        affine = false;
        if (state_dep && panels()) {
            const double lc = pb.log_C0 + u, tm = s.mid();
            const double l0 = probe_log_rate(tm, lc), l1 = probe_log_rate(tm, lc + 1), l2 = probe_log_rate(tm, lc + 2);
            stats.rhs_evaluations += 3;
            if (std::isfinite(l0) && std::isfinite(l1) && std::isfinite(l2) &&
                std::abs((l1 - l0) - 0.5 * (l2 - l0)) <= fit_tolerance(l0, l2)) {
                affine = true;
                beta = 0.5 * (l2 - l0);
            }
        }
        dt = dt_hint > 0 ? std::min(dt_hint, len) : std::min(len, 1e-2);
        if (dt_hint == 0 && panel_segment() && !fit) {
            // A panel's first size: the time in which C grows by a factor e at the starting rate
            // (1/u', u' = E·P/C), or in which its ln-rate changes by 4 at the slope the samples
            // show, whichever is shorter.
            const double u_rate = std::exp(l_a - (pb.log_C0 + u));
            dt = std::min(len, 1 / std::max({u_rate, std::abs(sigma) / 4, 1 / len}));
        }
        steps_here = 0;
    }

    /// A quadrature panel over [t, t + dt] in the linear or power form (frame; evaluated at C_a
    /// in the power form): dx/dt at the panel's Chebyshev points, the end last (so that last_lr
    /// is ln(E·P) there), integrated; sets x1 and dxdt1 and returns the estimated error of x
    /// anywhere in the panel.
    double do_panel() {
        const auto& s = Panel::nodes();
        std::array<double, Panel::points> f{};
        f[kPanelDegree] = dxdt0[0];
        State d{};
        for (std::size_t j = kPanelDegree - 1; j > 0; --j) {
            rhs(x0, d, t + 0.5 * dt * (1 + s[j]));
            f[j] = d[0];
            if (j == kPanelDegree / 2) panel_lr_mid = last_lr;
        }
        rhs(x0, d, t + dt);
        f[0] = d[0];
        const double tail = panel.fit(f);
        x1[0] = 0.5 * dt * panel.total();
        dxdt1[0] = f[0];
        return 0.5 * dt * tail;
    }

    /// The problem's steps take quadrature panels where not fitted (a state-dependent rate: where
    /// it is affine in ln C, `affine`).
    [[nodiscard]] bool panels() const {
        return opt.quadrature && (opt.formulation == Formulation::automatic || opt.formulation == Formulation::plain);
    }

    /// The current segment's steps, where not fitted, are panels: the rate does not depend on C, or
    /// the probe found it affine in ln C.
    [[nodiscard]] bool panel_segment() const { return panels() && (!state_dep || affine); }

    /// The last panel's variable s in [−1, 1] at time tq (the panel is [t0, t1] of `last`).
    [[nodiscard]] double panel_s(double tq) const {
        return std::clamp(2 * (tq - last.t0) / (last.t1 - last.t0) - 1, -1.0, 1.0);
    }

    /// A power-form panel's assumption, checked where it matters: ln(E·P) at the solution's own C,
    /// at the panel's middle and end, is its value at C_a plus beta·ln(C/C_a) (within the fitted
    /// forms' tolerance; the error of x is then O(delta·x)). Two RHS evaluations; last_lr is then
    /// ln(E·P) at the end at the solution's C, as the next step needs. True where the panel gave
    /// no number (it is rejected as any step is).
    bool check_power_panel() {
        const double lr_end = last_lr;
        const double d1 = frame.du(x1[0]), dm = frame.du(0.5 * dt * panel.integral(0.0));
        if (!std::isfinite(d1) || !std::isfinite(dm)) return true;
        const double lm = log_rate(t + 0.5 * dt, frame.log_Ca + dm);
        const double le = log_rate(t + dt, frame.log_Ca + d1);
        // log_gap: a rate that is 0 (ln = −inf) where the assumption says so passes, one that is
        // 0 where it says not (or the reverse) fails, whatever the tolerance.
        const auto close = [this](double got, double at_Ca, double want) {
            return log_gap(got, want) <= fit_tolerance(std::isfinite(got) ? got : 0, std::isfinite(at_Ca) ? at_Ca : 0);
        };
        return close(lm, panel_lr_mid, panel_lr_mid + beta * dm) && close(le, lr_end, lr_end + beta * d1);
    }

    /// One attempt at a step from t in the current segment: true when it was accepted.
    bool attempt() {
        const double log_Ca = pb.log_C0 + u;
        // A rate that does not depend on C makes the linear form's dx/dt = E·P/C_a a function of t
        // alone: a quadrature, taken in panels where no fitted form is exact (docs/numerics.md);
        // so does the power form's for a rate affine in ln C.
        const bool quad = panel_segment();
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
            case Formulation::plain:  // never `fit` (enter_segment)
                if (fit) {
                    frame = fitted_frame(log_Ca, l_a, sigma_fit);
                    // A declining exponential rate adds at most log1p(1/p) to ln C from here on
                    // (its asymptote). Once that is below a quarter ulp of u, the rest of the
                    // segment cannot change u: the plain (linear) form takes it in a few long
                    // steps, where the falling form would be held to h·|sigma| <= 3 for nothing.
                    if (frame.falling &&
                        std::log1p(1 / frame.q) <= 0.25 * std::numeric_limits<double>::epsilon() * std::max(1.0, u)) {
                        fit = false;
                        sigma = sigma_fit;
                    }
                }
                if (!fit)
                    frame = quad ? panel_frame(log_Ca, state_dep, beta) : plain_frame(log_Ca, l_a, sigma, !state_dep);
                break;
        }
        // A fitted step is exact in principle, so its error estimate does not stop it from
        // growing past the method's stability limit: dx/dt = E·P/(C_a/q + C − C_a) feeds x
        // back with the factor −dx/dt, and Dormand–Prince is stable for h·|factor| up to
        // about 3.3 only (beyond, rounding grows: 1e-10 at h·sigma = 25). Hence h·sigma <= 3.
        // The falling form feeds x back with +dx/dt = |sigma|: a perturbation of a stage grows
        // by at most about e^3 = 20 within the step (and every step starts afresh at x = 0),
        // while d ln C/dx <= e^−x/p shrinks it again; the same bound, h·|sigma| <= 3.
        if (fit && !frame.linear) dt = std::min(dt, 3.0 / frame.rate(l_a, 0.0));
        const double dt_planned = dt;
        const bool lands = dt >= seg.end - t;  // the segment's last step
        if (lands) dt = seg.end - t;
        if (!(t + dt > t))
            throw RunError("scenario '" + pb.scenario + "': the step size underflowed at t = " +
                           plugin::math::format(t) + " yr in segment [" + plugin::math::format(seg.begin) + ", " +
                           plugin::math::format(seg.end) + "): a rate model may jump where it declared no breakpoint");
        check_interrupt();
        if (++steps_here > opt.max_steps)
            throw RunError("scenario '" + pb.scenario + "': no progress after " + std::to_string(opt.max_steps) +
                           " steps in segment [" + plugin::math::format(seg.begin) + ", " +
                           plugin::math::format(seg.end) + ") at t = " + plugin::math::format(t) +
                           " yr (solver.max_steps): a rate model may jump where it declared no breakpoint");
        dxdt0 = State{frame.rate(l_a, 0.0)};
        State xerr{};
        bad_stage = false;
        stage = 0;
        // A quadrature panel, or DOP853 when asked for, where the step is not known to be exact
        // (docs/numerics.md).
        const bool panel_step = quad && !fit;
        const bool hi = !panel_step && !fit && eps_abs <= opt.high_order_tol;
        double e5 = 0, e3 = 0, err_panel = 0;
        if (panel_step)
            err_panel = do_panel();
        else if (hi)
            hi_rk.do_step(scalar_system(), 0.0, dxdt0[0], t, x1[0], dxdt1[0], dt, e5, e3);
        else
            rk.do_step(system(), x0, dxdt0, t, x1, dxdt1, dt, xerr);
        if (panel_step && frame.power && !check_power_panel()) {
            // Not affine in ln C along the solution: Runge–Kutta for the rest of the segment.
            affine = false;
            ++stats.rejected;
            ++stats.panel_rejected;
            return false;
        }
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
                ++stats.rejected;
                return false;
            }
        }
        // The error estimate in ln C (the tolerance's unit). NaN (an overflowing stage, or
        // a stage at C <= 0) fails the test below, as does a result that is no number or
        // stands for C <= 0 (a Runge–Kutta result can fall below its start: b5 < 0).
        // A panel's estimate bounds the error of x anywhere in the step, where d ln C/dx <= 1, but
        // in the power form with beta > 1, where it grows to its value at the end, (C/C_a)^(beta − 1).
        const double err_x = panel_step ? err_panel : hi ? Dop853::error_norm(e5, e3, 1.0) : std::abs(xerr[0]);
        const double err = bad_stage    ? inf
                           : panel_step ? err_x * std::max(1.0, frame.du_dx(x1[0])) / eps_abs
                                        : err_x * frame.du_dx(x1[0]) / (hi ? eps_abs / kHighOrderMargin : eps_abs);
        const double du_new = frame.du(x1[0]);
        if (!(err <= 1) || !std::isfinite(du_new) || !std::isfinite(dxdt1[0])) {
            ++stats.rejected;
            if (panel_step) ++stats.panel_rejected;
            // Odeint's rule (controlled_runge_kutta's default_step_adjuster), with DOP853's
            // exponent −1/8 (Hairer's and SciPy's) and a panel's −1/N (its error falls like h^N
            // or faster); a step that produced no number is retried with a quarter of its length.
            const double expo = panel_step ? -1.0 / kPanelDegree : hi ? -0.125 : -1.0 / 3.0;
            dt *= std::isfinite(err) ? std::max(0.9 * std::pow(err, expo), 0.2) : 0.25;
            return false;
        }
        ++stats.steps;
        if (panel_step) ++stats.panel_steps;
        if (frame.linear)
            ++stats.linear_steps;
        else if (!frame.falling && !frame.power && frame.q == 1)
            ++stats.log_C_steps;
        else
            ++stats.fitted_steps;
        const double t_old = t;
        t = lands ? seg.end : t + dt;  // land exactly on the segment end
        // The controller's proposal for the next step (odeint's rule: grow by at most 4.5×).
        double dt_next = dt;
        static const double grow_max = 0.9 * std::pow(3.2e-4, -0.2);  // 4.5 (5^-5 = 3.2e-4)
        if (panel_step) {
            // A panel: 0.9·err^(−1/N), growing by at most 8× (a resolved panel's estimate is often
            // at rounding; with 4× the experience-curve bench problem took 61 RHS evaluations, not
            // 47), never shrinking.
            const double f = err > 0 ? 0.9 * std::pow(err, -1.0 / kPanelDegree) : 8.0;
            if (f > 1) dt_next = dt * std::min(f, 8.0);
        } else if (hi) {
            // DOP853: 0.9·err^(−1/8), growing by at most 6× (Hairer's dop853 bound), never shrinking.
            const double f = err > 0 ? 0.9 * std::pow(err, -0.125) : 6.0;
            if (f > 1) dt_next = dt * std::min(f, 6.0);
        } else if (err < 0.5) {
            dt_next = dt * (err <= 3.2e-4 ? grow_max : 0.9 * std::pow(err, -0.2));
        }
        // A step shortened to land on the segment end says nothing against the longer one
        // planned: the next segment starts with at least that.
        if (lands) dt_next = std::max(dt_next, dt_planned);
        const double u_old = u, u_new = u + du_new;
        last = Step{t_old, t, u_old, u_new, x1[0]};
        last_hi = hi;
        last_panel = panel_step;
        // The slope of ln(E·P) over this step, along the solution (so a state-dependent
        // rate's dependence on C is included): what the next plain step assumes.
        sigma = (l_a > -inf && l_b > -inf) ? (l_b - l_a) / dt : 0.0;
        u = u_new;
        l_a = l_b;
        dt = dt_next;
        dt_hint = dt_next;
        return true;
    }

    bool step() {
        for (;;) {
            if (!in_segment) {
                if (next_segment == segments.size()) return false;
                enter_segment(next_segment++);
                in_segment = true;
            }
            if (!(t < seg.end)) {
                in_segment = false;
                continue;
            }
            if (attempt()) return true;
        }
    }

    double dense_x(double tq) {
        if (tq >= last.t1) return x1[0];
        if (last_panel) {
            return 0.5 * (last.t1 - last.t0) * panel.integral(panel_s(tq));
        }
        if (last_hi) {
            // The frame, segment and anchor are still the step's: the next attempt changes them.
            hi_rk.prepare_dense(scalar_system());
            return hi_rk.calc_state(tq);
        }
        State out{};
        rk.calc_state(tq, out, x0, dxdt0, last.t0, x1, dxdt1, last.t1);
        return out[0];
    }

    double dense_log_ratio(double tq) { return tq >= last.t1 ? last.u1 : last.u0 + frame.du(dense_x(tq)); }
};

Stepper::Stepper(const IntegrationProblem& problem, const IntegratorOptions& options)
    : impl_(std::make_unique<Impl>(problem, options)) {}
Stepper::~Stepper() = default;
Stepper::Stepper(Stepper&&) noexcept = default;
Stepper& Stepper::operator=(Stepper&&) noexcept = default;

bool Stepper::step() {
    return impl_->step();
}

bool Stepper::advance(double t) {
    while (impl_->last.t1 < t)
        if (!impl_->step()) return false;
    return true;
}

double Stepper::time() const {
    return impl_->last.t1;
}
double Stepper::log_ratio() const {
    return impl_->u;
}
const Stepper::Step& Stepper::last_step() const {
    return impl_->last;
}

double Stepper::dense_log_ratio(double t) {
    return impl_->dense_log_ratio(t);
}

std::size_t Stepper::dense_log_ratio(std::span<const double> times, std::span<double> u) {
    Impl& m = *impl_;
    const std::size_t n = std::min(times.size(), u.size());
    std::size_t i = 0;
    if (m.last_panel) {
        // All of them through the panel's integral at once; the step's end exactly.
        const Stepper::Step& s = m.last;
        std::size_t k = 0;
        while (k < n && times[k] < s.t1) ++k;
        const double h = s.t1 - s.t0;
        for (std::size_t j = 0; j < k; ++j) u[j] = m.panel_s(times[j]);
        m.panel.integral(u.data(), u.data(), k);
        for (std::size_t j = 0; j < k; ++j) u[j] = s.u0 + m.frame.du(0.5 * h * u[j]);
        i = k;
    }
    for (; i < n && times[i] <= m.last.t1; ++i) u[i] = m.dense_log_ratio(times[i]);
    return i;
}
double Stepper::dense_x(double t) {
    return impl_->dense_x(t);
}
double Stepper::x_of(double du) const {
    return impl_->frame.x_of(du);
}

void Stepper::fresh_step(double t, double& x, double& dxdt) {
    Impl& m = *impl_;
    if (m.last_panel) {
        // The panel's integral is as accurate anywhere in it as at its end: x from it, dx/dt fresh.
        x = m.dense_x(t);
        State d{};
        m.rhs(m.x0, d, t);
        dxdt = d[0];
        return;
    }
    if (m.last_hi) {
        double e5 = 0, e3 = 0;
        m.hi_polisher.do_step(m.scalar_system(), 0.0, m.dxdt0[0], m.last.t0, x, dxdt, t - m.last.t0, e5, e3);
        return;
    }
    State xo{}, dxo{};
    m.polisher.do_step(m.system(), m.x0, m.dxdt0, m.last.t0, xo, dxo, t - m.last.t0);
    x = xo[0];
    dxdt = dxo[0];
}

const std::vector<plugin::Segment>& Stepper::segments() const {
    return impl_->segments;
}
const IntegrationStats& Stepper::stats() const {
    return impl_->stats;
}

}  // namespace racesim
