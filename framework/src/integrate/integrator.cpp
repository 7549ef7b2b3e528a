// integrate(): the stepper (stepper.hpp) driven step by step, the output times read from its
// dense output, and the crossing finder (crossing.hpp) fed each step.
#include "racesim/integrate/integrator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "racesim/integrate/crossing.hpp"
#include "racesim/integrate/stepper.hpp"

namespace racesim {

namespace {

/// The stepper's last step as the crossing finder sees it: the root is found in the step's own
/// variable, and polished on fresh steps from the step's start.
class StepperCurve final : public StepCurve {
public:
    explicit StepperCurve(Stepper& stepper) : stepper_(stepper) {}
    void set(const Stepper::Step& s) {
        t0 = s.t0;
        t1 = s.t1;
        u0 = s.u0;
        u1 = s.u1;
        x1 = s.x1;
    }
    [[nodiscard]] double x(double t) const override { return stepper_.dense_x(t); }
    [[nodiscard]] double x_of(double du) const override { return stepper_.x_of(du); }
    bool refine(double t, double& x, double& dxdt) override {
        stepper_.fresh_step(t, x, dxdt);
        return true;
    }

private:
    Stepper& stepper_;
};

/// The segment whose regime holds just before t: the first with end >= t.
const plugin::Segment& segment_before(const std::vector<plugin::Segment>& segments, double t) {
    const auto it = std::lower_bound(segments.begin(), segments.end(), t,
                                     [](const plugin::Segment& s, double v) { return s.end < v; });
    return it == segments.end() ? segments.back() : *it;
}

/// The smallest tolerance on ln C a refinement uses: solver.rel_tol's lower bound.
constexpr double min_refine_tol = 1e-14;

/// Fills res.threshold_conditions and res.threshold_error_estimates for tolerance eps.
void condition_all(const IntegrationProblem& pb, IntegrationResult& res, double eps) {
    const std::size_t n = pb.log_thresholds.size();
    res.threshold_conditions.assign(n, std::nullopt);
    res.threshold_error_estimates.assign(n, std::nullopt);
    for (std::size_t j = 0; j < n; ++j) {
        if (!res.threshold_times[j]) continue;
        res.threshold_conditions[j] = time_condition(pb, res.segments, *res.threshold_times[j], pb.log_thresholds[j]);
        if (res.threshold_conditions[j]) res.threshold_error_estimates[j] = *res.threshold_conditions[j] * eps;
    }
}

/// Refines the target times whose estimated error exceeds opt.target_time_tol: integrates
/// again (targets only, up to the last of them) with the tolerance on ln C lowered to
/// target_time_tol / (2·worst condition), not below min_refine_tol, at most four times.
void refine(const IntegrationProblem& pb, const IntegratorOptions& opt, double eps0, IntegrationResult& res) {
    const double bound = opt.target_time_tol;
    double eps = eps0;
    for (int round = 0; round < 4; ++round) {
        std::vector<std::size_t> which;
        double worst = 0;
        for (std::size_t j = 0; j < pb.log_thresholds.size(); ++j) {
            const auto& e = res.threshold_error_estimates[j];
            if (e && *e > bound) {
                which.push_back(j);
                worst = std::max(worst, *res.threshold_conditions[j]);
            }
        }
        if (which.empty()) return;
        const double eps_new = std::max(min_refine_tol, bound / (2 * worst));
        if (!(eps_new < eps)) return;  // no tighter tolerance left: the estimates say so
        IntegratorOptions o = opt;
        // Both parts of the tolerance scaled alike, so that eps_new = rel_tol + abs_tol/C0.
        o.rel_tol = opt.rel_tol * (eps_new / eps0);
        o.abs_tol = opt.abs_tol * (eps_new / eps0);
        o.target_time_tol = 0;
        o.check_jumps = false;  // audited by the first integration; the same samples decide the forms
        std::vector<double> levels;
        for (const std::size_t j : which) levels.push_back(pb.log_thresholds[j]);
        Stepper stepper(pb, o);
        CrossingFinder crossings(levels);
        StepperCurve curve(stepper);
        while (crossings.next_level() < std::numeric_limits<double>::infinity() && stepper.step()) {
            curve.set(stepper.last_step());
            crossings.scan(curve);
        }
        ++res.stats.refinements;
        res.stats.rhs_evaluations += stepper.stats().rhs_evaluations;
        eps = eps_new;
        for (std::size_t k = 0; k < which.size(); ++k) {
            const std::size_t j = which[k];
            const auto& t = crossings.times()[k];
            if (!t) continue;  // rounding put it beyond the horizon this time: keep the first result
            res.threshold_times[j] = t;
            res.threshold_conditions[j] = time_condition(pb, res.segments, *t, pb.log_thresholds[j]);
            res.threshold_error_estimates[j] =
                res.threshold_conditions[j] ? std::optional<double>(*res.threshold_conditions[j] * eps) : std::nullopt;
        }
    }
}

}  // namespace

std::optional<double> time_condition(const IntegrationProblem& pb, const std::vector<plugin::Segment>& segments,
                                     double time, double log_threshold) {
    if (!(time > 0) || segments.empty()) return std::nullopt;
    const plugin::Segment& s = segment_before(segments, time);
    const double log_C = pb.log_C0 + log_threshold;
    double lr = pb.efficiency->log_value(time, log_C, s) + pb.power->log_value(time, log_C, s);
    if (pb.algorithms) lr += pb.algorithms->log_value(time, log_C, s);
    // C*/(t*·E·P), in logs: E·P may be far outside the range of a double where C is not.
    const double c = std::exp(log_C - lr - std::log(time));
    if (!std::isfinite(c)) return std::nullopt;
    return c;
}

IntegrationResult integrate(const IntegrationProblem& pb, const IntegratorOptions& opt) {
    IntegrationResult res;
    {
        Stepper stepper(pb, opt);
        CrossingFinder crossings(pb.log_thresholds);
        StepperCurve curve(stepper);
        const std::size_t n_out = pb.output_times.size();
        res.log_ratio.assign(n_out, 0.0);
        std::size_t next_output = 0;
        while (next_output < n_out && pb.output_times[next_output] <= 0) res.log_ratio[next_output++] = 0.0;
        while (stepper.step()) {
            const Stepper::Step& s = stepper.last_step();
            // Output times do not shorten steps: those inside the step come from its dense output.
            next_output += stepper.dense_log_ratio(std::span(pb.output_times).subspan(next_output),
                                                   std::span(res.log_ratio).subspan(next_output));
            curve.set(s);
            crossings.scan(curve);
        }
        // Output times at the horizon that rounding may have left.
        while (next_output < n_out) res.log_ratio[next_output++] = stepper.log_ratio();
        res.threshold_times = std::move(crossings).take_times();
        res.segments = stepper.segments();
        res.stats = stepper.stats();
    }
    const double eps = opt.rel_tol + opt.abs_tol * std::exp(-pb.log_C0);
    condition_all(pb, res, eps);
    if (opt.target_time_tol > 0) refine(pb, opt, eps, res);
    return res;
}

std::optional<std::string> conditioning_warning(double time, double condition, double error_estimate) {
    if (!(error_estimate > ill_conditioned_error)) return std::nullopt;
    const double tol_needed = ill_conditioned_error / condition;
    // The estimate is the condition number times the tolerance: it can exceed the bar with a
    // loose tolerance on a well-conditioned time (condition 2.6 at rel_tol 1e-8), so the time
    // is called ill-conditioned only where no tolerance will do.
    std::string s = fmt::format(
        "its time {:.10g} yr has an estimated relative error of {:.3g}, above {:g}: its condition number is "
        "{:.3g} (a relative error d in C moves it by {:.3g}·d)",
        time, error_estimate, ill_conditioned_error, condition, condition);
    if (tol_needed >= min_refine_tol)
        s += fmt::format("; tighten solver.rel_tol to {:.1e} or below, or set solver.target_time_tol", tol_needed);
    else
        s += fmt::format(
            "; no tolerance brings it below that (at the smallest, 1e-14, it is {:.3g}): the target lies where C "
            "barely grows (e.g. near the bound of a declining rate), so its time is ill-conditioned and known only "
            "to about this relative accuracy",
            condition * min_refine_tol);
    return s;
}

}  // namespace racesim
