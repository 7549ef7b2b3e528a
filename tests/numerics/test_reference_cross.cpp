// The two closed-form references against each other where both apply
// (continuous-doubling x mean-field): relative-loss evaluates the paper's formula directly,
// piecewise-exact sums its one segment. Thousands of random cases, gamma of both signs.
//
// Tolerances are those of test_reference_values.cpp (which compares both with mpmath):
// R, C/C0 and ln(C/C0) within 1e-13 relative; times within 1e-13 relative where the time is
// well-conditioned (cond = |x|/(t·u'(t)) <= 10), else a backward error (forward / cond)
// within 1e-13. Both references must agree on whether a threshold is reached by the horizon,
// except for thresholds within 1e-12 (relative) of u(horizon), where either answer is right.
#include <catch2/catch.hpp>

#include <cmath>

#include "common.hpp"

using namespace numerics;

TEST_CASE("relative-loss and piecewise-exact agree on continuous-doubling x mean-field") {
    ScenarioSampler S(0x5eed'c405'5001ULL);
    Worst wR{"cross: R, relative"}, wC{"cross: C/C0, relative"}, wu{"cross: ln(C/C0), relative"},
        wt{"cross: time, relative (cond <= 10)"}, wtb{"cross: time, backward error (cond > 10)"};
    std::size_t disagreements_near_horizon = 0;
    const int cases = 4000;
    for (int i = 0; i < cases; ++i) {
        Scenario sc = S.draw("continuous-doubling", "mean-field");
        // Both signs of gamma here: a decline is in the references' domain too.
        if (i % 4 == 1) sc.gamma = -sc.gamma;
        if (i % 50 == 7) sc.gamma = (i % 100 == 7 ? 1 : -1) * S.log_uniform(1e-13, 1e-8);
        const auto rl = sc.make_reference("relative-loss");
        const auto pe = sc.make_reference("piecewise-exact");
        INFO(sc.describe());
        const double g = sc.gamma * std::log(2.0), c = 1 + sc.tau();
        for (int k = 0; k < 12; ++k) {
            const double t = k == 0 ? sc.horizon : k == 1 ? 1e-7 * sc.horizon : S.uniform(0, sc.horizon);
            INFO("t = " << t);
            const double u1 = rl->log_compute_ratio(t), u2 = pe->log_compute_ratio(t);
            const double eR = rel_err(std::exp(-sc.kappa * u1), std::exp(-sc.kappa * u2));
            const double eC = rel_err(std::exp(u1), std::exp(u2));
            const double eu = rel_err(u1, u2);
            auto where = [&] { return sc.describe() + " t=" + std::to_string(t); };
            wR.add(eR, where);
            wC.add(eC, where);
            wu.add(eu, where);
            CHECK(eR <= 1e-13);
            CHECK(eC <= 1e-13);
            CHECK(eu <= 1e-13);

            // A threshold reached at t (by construction), and its conditioning.
            const double x = u1;
            if (!(x > 0)) continue;
            const auto t1 = rl->time_to_log_compute_ratio(x), t2 = pe->time_to_log_compute_ratio(x);
            const double uH = rl->log_compute_ratio(sc.horizon);
            if (t1.has_value() != t2.has_value()) {
                // Only acceptable where x is u(horizon) up to rounding.
                CHECK(std::abs(x / uH - 1) <= 1e-12);
                ++disagreements_near_horizon;
                continue;
            }
            if (!t1) {
                CHECK(std::abs(x / uH - 1) <= 1e-12);
                continue;
            }
            // u'(t) = e^(g t) / (c · e^u): cond = x / (t u'(t)) = x c e^(u - g t) / t.
            const double cond = x * c * std::exp(x - g * *t1) / *t1;
            const double e = rel_err(*t1, *t2);
            INFO("x = " << x << ", times " << *t1 << " vs " << *t2 << ", cond " << cond);
            if (cond <= 10) {
                wt.add(e, where);
                CHECK(e <= 1e-13);
            } else {
                wtb.add(e / cond, where);
                CHECK(e / cond <= 1e-13);
            }
        }
    }
    std::printf("[numerics] cross-check: %d random continuous-doubling x mean-field cases; %zu thresholds x = u(horizon) "
                "that one reference reached at the horizon and the other (rounding t* just past it) did not\n",
                cases, disagreements_near_horizon);
    for (const Worst* w : {&wR, &wC, &wu, &wt, &wtb}) w->print();
}
