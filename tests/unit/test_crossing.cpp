// The crossing finder on its own (racesim/integrate/crossing.hpp), on steps whose curves are
// known functions with known roots, with no ODE behind them.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "racesim/integrate/crossing.hpp"

using namespace racesim;

namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();

/// A step whose interpolant is the polynomial x(t) = sum_k c[k]·(t − t0)^(k+1), with u = u0 + x
/// (the step's variable is u itself, measured from u0). refine() gives the same polynomial and
/// its derivative, exactly as a perfect fresh step would, or nothing (`refinable` false).
struct Polynomial : StepCurve {
    std::vector<double> c;
    bool refinable = true;
    int refines = 0;
    Polynomial(double t0_, double t1_, double u0_, std::vector<double> coeffs) : c(std::move(coeffs)) {
        t0 = t0_;
        t1 = t1_;
        u0 = u0_;
        x1 = value(t1);
        u1 = u0 + x1;
    }
    [[nodiscard]] double value(double t) const {
        const double s = t - t0;
        double v = 0;
        for (auto k = c.size(); k-- > 0;) v = (v + c[k]) * s;
        return v;
    }
    [[nodiscard]] double slope(double t) const {
        const double s = t - t0;
        double d = 0;
        for (auto k = c.size(); k-- > 0;) d = d * s + static_cast<double>(k + 1) * c[k];
        return d;
    }
    [[nodiscard]] double x(double t) const override { return t >= t1 ? x1 : value(t); }
    [[nodiscard]] double x_of(double du) const override { return du; }
    bool refine(double t, double& x, double& dxdt) override {
        ++refines;
        x = value(t);
        dxdt = slope(t);
        return refinable;
    }
};

/// A step of x(t) = e^(t − t0) − 1 whose interpolant is off by 1e-6·s·(h − s), s = t − t0 (zero
/// at both ends, still increasing), while refine() gives the exact curve: what the Newton polish
/// is for (the stepper's interpolant is not error-controlled, its fresh steps are).
struct PerturbedExp : StepCurve {
    PerturbedExp(double t0_, double t1_) {
        t0 = t0_;
        t1 = t1_;
        u0 = 0;
        x1 = std::expm1(t1 - t0);
        u1 = x1;
    }
    [[nodiscard]] double x(double t) const override {
        const double s = t - t0;
        return std::expm1(s) + 1e-6 * s * (t1 - t0 - s);
    }
    [[nodiscard]] double x_of(double du) const override { return du; }
    bool refine(double t, double& x, double& dxdt) override {
        x = std::expm1(t - t0);
        dxdt = std::exp(t - t0);
        return true;
    }
};

}  // namespace

TEST_CASE("crossing: the root of a polynomial interpolant, exactly where it is known") {
    // x = s² + s on [0, 1]: x = 0.75 at s = 0.5, a double, as are all the coefficients.
    Polynomial p(0.0, 1.0, 0.0, {1.0, 1.0});
    // TOMS 748 to 52 bits leaves a bracket of a few ulps; Newton on the exact polynomial then
    // stops within 4 ulps of max(1, t) (its stopping rule): 4·eps bounds the error.
    CHECK(std::abs(crossing_time(p, 0.75) - 0.5) <= 4 * eps);
    CHECK(p.refines >= 1);
    // Without refine(), the root of the interpolant alone: the midpoint of TOMS 748's final
    // bracket of 52 bits, so within a few ulps too.
    p.refinable = false;
    CHECK(std::abs(crossing_time(p, 0.75) - 0.5) <= 4 * eps);
    // A step that starts neither at t = 0 nor at u = 0: x = 2s³ + s on [3, 3.5] from u0 = 10
    // is 2/64 + 1/4 = 0.28125 at s = 0.25, so u = 10.28125 (a double) at t = 3.25.
    Polynomial q(3.0, 3.5, 10.0, {1.0, 0.0, 2.0});
    CHECK(std::abs(crossing_time(q, 10.28125) - 3.25) <= 4 * eps * 3.25);
}

TEST_CASE("crossing: the Newton polish corrects the interpolant's error") {
    PerturbedExp s(0.0, 1.0);
    // x = 1 at t = ln 2. The interpolant alone would err by about 1e-6·ln2·(1 − ln2)/2 ≈ 1e-7;
    // Newton on the exact curve converges quadratically from there (1e-7 → 1e-14 → rounding),
    // to a few ulps.
    const double t = crossing_time(s, 1.0);
    CHECK(std::abs(t - std::log(2.0)) <= 4 * eps);
}

TEST_CASE("crossing finder: no crossing, a crossing at a step's end, several levels in any order") {
    // Three consecutive steps of u: [0, 1] with x = s² + s (u: 0 → 2), [1, 2] with x = 2s
    // (u: 2 → 4), [2, 3] with x = s (u: 4 → 5).
    Polynomial a(0.0, 1.0, 0.0, {1.0, 1.0});
    Polynomial b(1.0, 2.0, 2.0, {2.0});
    Polynomial c(2.0, 3.0, 4.0, {1.0});
    REQUIRE(a.u1 == 2.0);
    REQUIRE(b.u1 == 4.0);
    REQUIRE(c.u1 == 5.0);
    // Levels in any order, with a repeat, one at a step's end (2 = a.u1), ones at and below 0
    // (reached at t = 0), one never reached (7).
    const std::vector<double> levels{3.0, 0.75, 7.0, -1.0, 2.0, 0.0, 0.75, 4.5};
    CrossingFinder f(levels);
    CHECK(f.times()[3] == 0.0);
    CHECK(f.times()[5] == 0.0);
    CHECK(f.next_level() == 0.75);

    f.scan(a);
    // x = 0.75 at s = 0.5 (as above), for both copies of the level.
    REQUIRE(f.times()[1]);
    REQUIRE(f.times()[6]);
    CHECK(std::abs(*f.times()[1] - 0.5) <= 4 * eps);
    CHECK(*f.times()[6] == *f.times()[1]);
    // Exactly at the step's end: found in this step (level <= u1), at t1 itself: TOMS 748 has
    // its root at the bracket's end, and Newton on the exact curve does not move it.
    REQUIRE(f.times()[4]);
    CHECK(*f.times()[4] == 1.0);
    CHECK_FALSE(f.times()[0]);  // not yet
    CHECK(f.next_level() == 3.0);

    const auto refines = b.refines;
    f.scan(b);
    REQUIRE(f.times()[0]);
    CHECK(std::abs(*f.times()[0] - 1.5) <= 4 * eps * 1.5);  // 2 + 2s = 3 at s = 0.5
    CHECK(b.refines > refines);
    CHECK(*f.times()[4] == 1.0);  // not found again at the start of the next step

    f.scan(c);
    REQUIRE(f.times()[7]);
    CHECK(std::abs(*f.times()[7] - 2.5) <= 4 * eps * 2.5);  // 4 + s = 4.5 at s = 0.5
    CHECK_FALSE(f.times()[2]);                              // 7 is beyond the last step: no crossing
    CHECK(f.next_level() == 7.0);
    CHECK(std::move(f).take_times().size() == levels.size());
}

TEST_CASE("crossing finder: a step that reaches no new level costs no root finding") {
    Polynomial a(0.0, 1.0, 0.0, {1.0, 1.0});  // u: 0 → 2
    CrossingFinder f({5.0});
    f.scan(a);
    CHECK_FALSE(f.times()[0]);
    CHECK(a.refines == 0);
    // A level the finder was never shown a step for is reached at the start of the first step
    // that is above it (the steps of a trajectory are fed in order from t = 0, so this happens
    // only to a caller that skips steps).
    Polynomial late(4.0, 5.0, 6.0, {1.0});
    f.scan(late);
    REQUIRE(f.times()[0]);
    CHECK(*f.times()[0] == 4.0);
    CHECK(std::isinf(f.next_level()));
}

TEST_CASE("crossing finder: no levels") {
    Polynomial a(0.0, 1.0, 0.0, {1.0});
    CrossingFinder f(std::vector<double>{});
    f.scan(a);
    CHECK(f.times().empty());
    CHECK(std::isinf(f.next_level()));
}
