// The integrator on problems whose solutions are elementary (independent of the reference plugins).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "racesim/core/diagnostics.hpp"
#include "racesim/integrate/integrator.hpp"

using namespace racesim;
using plugin::Segment;

namespace {

/// E·P = a constant: C(t)/C0 = 1 + k·t.
struct Constant : plugin::RateModel {
    double log_v;
    explicit Constant(double v) : log_v(std::log(v)) {}
    double log_value(double, double, const Segment&) const override { return log_v; }
};

/// Jumps by a factor 4 at every integer time, declared.
struct Steps : plugin::RateModel {
    bool declare = true;
    double log_value(double, double, const Segment& s) const override { return std::log(4.0) * std::floor(s.mid()); }
    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        if (!declare) return;
        for (double k = std::floor(t0) + 1; k < t1; ++k) out.push_back(k);
    }
};

struct Bad : plugin::RateModel {
    double log_value(double t, double, const Segment&) const override { return t > 1 ? std::nan("") : 0.0; }
};

struct OutOfOrder : plugin::RateModel {
    double log_value(double, double, const Segment&) const override { return 0.0; }
    void breakpoints(double, double, std::vector<double>& out) const override { out = {2.0, 1.0}; }
};

}  // namespace

TEST_CASE("segments merge both models' breakpoints") {
    Steps e;
    Constant p(1.0);
    const auto seg = make_segments(e, p, 3.5, "s");
    REQUIRE(seg.size() == 4);
    CHECK(seg[0].begin == 0);
    CHECK(seg[1].begin == 1);
    CHECK(seg[3].end == 3.5);
    CHECK(segment_at(seg, 1.0).begin == 1.0);  // a breakpoint belongs to the segment it starts
    CHECK(segment_at(seg, 3.5).begin == 3.0);
}

TEST_CASE("constant rate: C/C0 = 1 + k t, target times exact") {
    Constant e(2.0), p(3.0);
    IntegrationProblem pb;
    pb.efficiency = &e;
    pb.power = &p;
    pb.log_C0 = std::log(6.0);  // k = E·P/C0 = 1 per yr
    pb.horizon = 50;
    pb.output_times = {0, 1, 10, 50};
    pb.log_thresholds = {std::log(11.0), std::log(100.0), -1.0};  // t = 10, never, at once
    // In ln C, u = ln(1 + t) is not a polynomial, so dopri5 is not exact: the local error per
    // step is bounded by rel_tol (absolute on u); the global error is a small multiple of it. The
    // project's bar is 1e-8 at the default 1e-10; at 1e-13 the error must shrink to ~1e-11.
    // The automatic choice integrates C/C_a - 1, linear in t here: exact up to rounding.
    for (auto form : {Formulation::log_C, Formulation::automatic}) {
        for (double tol : {1e-10, 1e-13}) {
            const double bound = form == Formulation::automatic ? 1e-15 : tol == 1e-10 ? 1e-8 : 1e-11;
            const auto r = integrate(pb, IntegratorOptions{tol, 0, 1'000'000, form});
            for (std::size_t i = 0; i < pb.output_times.size(); ++i)
                CHECK(std::abs(r.log_ratio[i] - std::log1p(pb.output_times[i])) <= bound);
            REQUIRE(r.threshold_times[0]);
            CHECK(std::abs(*r.threshold_times[0] / 10.0 - 1) <= bound);
            CHECK_FALSE(r.threshold_times[1]);
            CHECK(r.threshold_times[2] == 0.0);
            CHECK(r.stats.segments == 1);
            if (form == Formulation::automatic) CHECK(r.stats.linear_steps == r.stats.steps);
            if (form == Formulation::log_C) CHECK(r.stats.log_C_steps == r.stats.steps);
        }
    }
}

TEST_CASE("declared jumps are integrated segment by segment, exactly") {
    Steps e;
    Constant p(1.0);
    IntegrationProblem pb;
    pb.efficiency = &e;
    pb.power = &p;
    pb.log_C0 = 0;  // C0 = 1
    pb.horizon = 3.5;
    pb.output_times = {3.5};
    const auto r = integrate(pb, {});
    // C(3.5) = 1 + 1 + 4 + 16 + 0.5·64 = 54; rel_tol 1e-10 per step, 1e-8 is the project's bar.
    // The rate is constant on each segment: the linear form, exact up to rounding.
    CHECK(std::abs(std::exp(r.log_ratio[0]) / 54.0 - 1) <= 1e-14);
    CHECK(r.stats.segments == 4);
    CHECK(r.stats.linear_steps == r.stats.steps);
    // Without the declared breakpoints the same model must give a different (wrong) answer:
    // this is what the segmentation protects against (docs/architecture.md, 25 % errors).
    Steps undeclared;
    undeclared.declare = false;
    pb.efficiency = &undeclared;
    const auto wrong = integrate(pb, {});
    CHECK(wrong.stats.segments == 1);
    CHECK(std::abs(std::exp(wrong.log_ratio[0]) / 54.0 - 1) > 1e-3);
}

TEST_CASE("a rate returning NaN is a run error naming the scenario and the time") {
    Bad e;
    Constant p(1.0);
    IntegrationProblem pb;
    pb.efficiency = &e;
    pb.power = &p;
    pb.horizon = 3;
    pb.output_times = {3};
    pb.scenario = "sick";
    pb.efficiency_name = "bad-model";
    CHECK_THROWS_WITH(integrate(pb, {}),
                      Catch::Contains("scenario 'sick'") && Catch::Contains("bad-model") && Catch::Contains("at t = "));
}

TEST_CASE("breakpoints out of order are refused") {
    OutOfOrder e;
    Constant p(1.0);
    CHECK_THROWS_WITH(make_segments(e, p, 3, "s"), Catch::Contains("out of order"));
}

namespace {

/// E·P = exp(a + g·t): C(t) = C0 + e^a·(e^(g·t) − 1)/g. For g < 0, C rises to C0 + e^a/|g|.
struct Exponential : plugin::RateModel {
    double a, g;
    Exponential(double a_, double g_) : a(a_), g(g_) {}
    double log_value(double t, double, const Segment&) const override { return a + g * t; }
};

IntegrationProblem declining(const plugin::RateModel& e, const plugin::RateModel& p) {
    IntegrationProblem pb;
    pb.efficiency = &e;
    pb.power = &p;
    pb.log_C0 = 0;
    pb.horizon = 100;
    pb.scenario = std::string("decline");
    return pb;
}

}  // namespace

TEST_CASE("time_condition: 1/(t·u'(t)) at the crossing, and none at t = 0 or where the rate is 0") {
    // Constant rate k = 1, C0 = 6: u = ln(1 + t), u' = 1/(1 + t), so cond = (1 + t)/t.
    Constant e(2.0), p(3.0);
    IntegrationProblem pb;
    pb.efficiency = &e;
    pb.power = &p;
    pb.log_C0 = std::log(6.0);
    pb.horizon = 50;
    const auto seg = make_segments(e, p, pb.horizon, "s");
    for (double t : {1e-3, 1.0, 10.0, 49.0}) {
        const auto c = time_condition(pb, seg, t, std::log1p(t));
        REQUIRE(c);
        // Three roundings in logs (ln C*, ln(E·P), ln t) and one exp: a few ulps of the
        // exponent, whose magnitude is at most ln 50 + 7: 1e-14 relative is ample.
        CHECK(*c == Approx((1 + t) / t).epsilon(1e-14));
    }
    CHECK_FALSE(time_condition(pb, seg, 0.0, 0.0));
    // At a breakpoint the regime before it counts: rate 4^k on [k, k+1), C0 = 1, so C(1) = 2
    // and u'(1−) = 1/2, cond = 1/(1·1/2) = 2 (from the right it would be 4/2 · ... = 0.5).
    Steps st;
    Constant one(1.0);
    IntegrationProblem pj = pb;
    pj.efficiency = &st;
    pj.power = &one;
    pj.log_C0 = 0;
    pj.horizon = 3;
    const auto seg2 = make_segments(st, one, 3, "s");
    const auto cj = time_condition(pj, seg2, 1.0, std::log(2.0));
    REQUIRE(cj);
    CHECK(*cj == Approx(2.0).epsilon(1e-14));
    // No power: no rate at the crossing, an infinite condition, reported as none.
    struct Off : plugin::RateModel {
        double log_value(double, double, const Segment&) const override {
            return -std::numeric_limits<double>::infinity();
        }
    } off;
    pj.power = &off;
    CHECK_FALSE(time_condition(pj, seg2, 1.0, std::log(2.0)));
}

TEST_CASE("integrate: each reached target carries its condition and estimated error; the refinement meets a bound") {
    // A declining rate, integrated by the plain forms (Formulation::plain: no form is exact, the
    // error is the tolerance's, so refining changes the time): E·P = e^(−t/2), C0 = 1, so
    // C(t) = 1 + 2·(1 − e^(−t/2)) → 3. Targets at u = ln(C/C0) reached at t = 1, 10, 20:
    // cond = 1/(t·u'(t)) = C/(t·e^(−t/2)) grows to 3300, so at rel_tol 1e-10 the estimate of
    // the last is 3.3e-7, and a bound of 1e-9 needs a tolerance of 1.5e-13 (>= 1e-14).
    Exponential e(0.0, -0.5);
    Constant p(1.0);
    auto pb = declining(e, p);
    auto C = [](double t) { return 1 + 2 * -std::expm1(-t / 2); };
    const std::vector<double> ts{1.0, 10.0, 20.0};
    for (double t : ts) pb.log_thresholds.push_back(std::log(C(t)));
    pb.log_thresholds.push_back(-1.0);  // reached at t = 0: no condition
    pb.log_thresholds.push_back(2.0);   // beyond the bound ln 3: never reached
    IntegratorOptions opt;
    opt.formulation = Formulation::plain;
    const auto r0 = integrate(pb, opt);
    REQUIRE(r0.threshold_conditions.size() == pb.log_thresholds.size());
    REQUIRE(r0.threshold_error_estimates.size() == pb.log_thresholds.size());
    double worst_unrefined = 0;
    for (std::size_t j = 0; j < ts.size(); ++j) {
        REQUIRE(r0.threshold_times[j]);
        REQUIRE(r0.threshold_conditions[j]);
        // The condition C*/(t·E·P(t)) at the computed time t (C* exact): a few roundings.
        const double t = *r0.threshold_times[j];
        const double cond = C(ts[j]) / (t * std::exp(-t / 2));
        CHECK(*r0.threshold_conditions[j] == Approx(cond).epsilon(1e-13));
        CHECK(*r0.threshold_error_estimates[j] == Approx(cond * opt.rel_tol).epsilon(1e-13));
        worst_unrefined = std::max(worst_unrefined, std::abs(*r0.threshold_times[j] - ts[j]) / ts[j]);
    }
    CHECK_FALSE(r0.threshold_conditions[3]);  // t = 0
    CHECK_FALSE(r0.threshold_error_estimates[3]);
    CHECK_FALSE(r0.threshold_conditions[4]);  // not reached
    CHECK(r0.stats.refinements == 0);

    opt.target_time_tol = 1e-9;
    const auto r1 = integrate(pb, opt);
    CHECK(r1.stats.refinements >= 1);
    CHECK(r1.stats.rhs_evaluations > r0.stats.rhs_evaluations);  // the refinement's work is counted
    CHECK(r1.stats.steps == r0.stats.steps);                     // the trajectory's is unchanged
    CHECK(r1.log_ratio == r0.log_ratio);
    double worst_refined = 0;
    for (std::size_t j = 0; j < ts.size(); ++j) {
        REQUIRE(r1.threshold_error_estimates[j]);
        CHECK(*r1.threshold_error_estimates[j] <= 1e-9);
        // The estimate is condition × tolerance, not a bound; on this problem the true errors
        // stay below it (the plain forms' global error in ln C is within a few tolerances and
        // often far below): the refined times are within the requested 1e-9.
        const double err = std::abs(*r1.threshold_times[j] - ts[j]) / ts[j];
        worst_refined = std::max(worst_refined, err);
        CHECK(err <= 1e-9);
    }
    std::printf("[unit] refinement: worst time error %.2e unrefined (worst estimate %.2e), %.2e refined, %lld runs\n",
                worst_unrefined, *r0.threshold_error_estimates[2], worst_refined,
                static_cast<long long>(r1.stats.refinements));
    CHECK(r1.threshold_times[3] == std::optional<double>(0.0));
    CHECK_FALSE(r1.threshold_times[4]);
}

TEST_CASE("integrate: a bound no tolerance can meet stops at the smallest, 1e-14, and the estimate says so") {
    Exponential e(0.0, -0.5);
    Constant p(1.0);
    auto pb = declining(e, p);
    pb.log_thresholds.push_back(std::log(1 + 2 * -std::expm1(-30.0)));  // t = 60: cond = 3/(60·e^-30) = 5e11
    IntegratorOptions opt;
    opt.target_time_tol = 1e-9;
    const auto r = integrate(pb, opt);
    REQUIRE(r.threshold_error_estimates[0]);
    CHECK(*r.threshold_error_estimates[0] == Approx(*r.threshold_conditions[0] * 1e-14).epsilon(1e-12));
    CHECK(*r.threshold_error_estimates[0] > 1e-9);
    CHECK(r.stats.refinements >= 1);
    CHECK(r.stats.refinements <= 4);
}

TEST_CASE("conditioning_warning: silent up to 1e-8, else names the tolerance to use or says none will do") {
    CHECK_FALSE(conditioning_warning(5.0, 100.0, 1e-8));
    CHECK_FALSE(conditioning_warning(5.0, 1.0, 1e-10));
    const auto w = conditioning_warning(20.0, 200.0, 2e-8);
    REQUIRE(w);
    CHECK_THAT(*w, Catch::Contains("condition number is 200"));
    CHECK_THAT(*w, Catch::Contains("tighten solver.rel_tol to 5.0e-11"));
    CHECK_THAT(*w, Catch::Contains("solver.target_time_tol"));
    CHECK_THAT(*w, Catch::Contains("estimated relative error of 2e-08"));
    // A loose tolerance on a well-conditioned time: the tolerance is to blame, not the time.
    const auto loose = conditioning_warning(1.06, 2.57, 2.57e-8);
    REQUIRE(loose);
    CHECK_THAT(*loose, !Catch::Contains("ill-conditioned"));
    CHECK_THAT(*loose, Catch::Contains("tighten solver.rel_tol to 3.9e-09"));
    const auto h = conditioning_warning(50.0, 2.6e6, 2.6e-4);
    REQUIRE(h);
    CHECK_THAT(*h, Catch::Contains("no tolerance brings it below"));
    CHECK_THAT(*h, Catch::Contains("2.6e-08"));
    CHECK_THAT(*h, Catch::Contains("ill-conditioned"));
}
