// Goal seek. The function whose root is sought is g(p) = ln C(at; p) - ln C_target(p): it is
// continuous in p wherever the models are, needs a simulation only up to `at` (not to the
// horizon), and is defined whether or not the target is ever reached. C never decreases
// (rates are >= 0), so g(p) = 0 means the target is reached at `at` at the latest.
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>

#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

namespace {

using plugin::math::format;

struct Outcome {
    double g = 0;
    std::string error;  ///< set when the scenario cannot be built or the target not expressed
};

Outcome evaluate(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, double p) {
    const SolveSpec& s = *sc.solve;
    Assignment a{s.path, plugin::Value{p}, format(p), s.bracket_mark};
    try {
        const ScenarioInstance v = models.with_parameters(sc, {a}, sc.name, false);
        const Model& m = v.model;
        const double L = m.target_loss(v.spec->targets.at(s.target));
        std::string why;
        const auto log_C = m.loss->log_compute_for_loss(L, why);
        if (!log_C) return {0, "at " + s.path + " = " + format(p) + " the target cannot be expressed: " + why};
        return {m.log_C0 + log_ratio_at(ex, v, s.at) - *log_C, ""};
    } catch (const ConfigError& e) {
        const auto& d = e.diagnostics.errors();
        return {0, d.empty() ? e.what() : d.front().message};
    }
}

}  // namespace

SolveResult solve(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc) {
    const SolveSpec& s = *sc.solve;
    SolveResult r;
    r.spec = s;
    r.lo = s.lo;
    r.hi = s.hi;
    const std::string target = target_label(sc.targets.at(s.target));

    // Work in x = ln p on a log scale, so a bracket over decades converges as fast as a narrow one.
    auto to_p = [&](double x) { return s.log_scale ? std::exp(x) : x; };
    std::string failure;
    auto g = [&](double x) {
        const double p = to_p(x);
        ++r.evaluations;
        const Outcome o = evaluate(models, ex, sc, p);
        if (!o.error.empty() && failure.empty()) failure = o.error;
        if (!o.error.empty()) throw std::domain_error(o.error);
        return o.g;
    };
    const double x_lo = s.log_scale ? std::log(s.lo) : s.lo, x_hi = s.log_scale ? std::log(s.hi) : s.hi;
    try {
        r.g_lo = g(x_lo);
        r.g_hi = g(x_hi);
    } catch (const std::domain_error&) {
        r.message = failure;
        return r;
    }
    if (r.g_lo == 0 || r.g_hi == 0) {
        r.found = true;
        r.value = r.g_lo == 0 ? s.lo : s.hi;
        return r;
    }
    if ((r.g_lo > 0) == (r.g_hi > 0)) {
        r.message = "no value of " + s.path + " in [" + format(s.lo) + ", " + format(s.hi) + "] reaches " + target +
                    " at t = " + format(s.at) + " yr: ln(C/C_target) at t = " + format(s.at) + " is " + format(r.g_lo) +
                    " at " + format(s.lo) + " and " + format(r.g_hi) + " at " + format(s.hi) +
                    (r.g_lo > 0 ? " (both ends reach it earlier)" : " (neither end reaches it by then)");
        return r;
    }
    const double tol = s.tolerance;
    auto done = [&](double a, double b) {
        return std::abs(to_p(b) - to_p(a)) <= tol * std::max(std::abs(to_p(a)), std::abs(to_p(b)));
    };
    std::uintmax_t iters = 200;
    try {
        const auto [a, b] = boost::math::tools::toms748_solve(g, x_lo, x_hi, r.g_lo, r.g_hi, done, iters);
        r.lo = to_p(a);
        r.hi = to_p(b);
        r.value = to_p(a + (b - a) / 2);
        r.found = true;
        if (iters >= 200 && !done(a, b)) {
            r.found = false;
            r.message =
                "goal seek did not converge in 200 simulations (bracket [" + format(r.lo) + ", " + format(r.hi) + "])";
        }
    } catch (const std::domain_error&) {
        r.message = failure;
    }
    return r;
}

}  // namespace racesim
