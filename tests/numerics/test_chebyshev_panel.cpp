// The header-only Clenshaw–Curtis panel (framework/src/integrate/chebyshev_panel.hpp) on its own,
// at the degree the stepper uses (quadrature_panel_evaluations, 12) and at 16: exactness on
// polynomials, the integral of analytic functions anywhere in [−1, 1] against their
// antiderivatives, its error estimate against the actual error, and the grouped evaluation.
//
// Rounding. The panel's values are sums of N + 2 terms of the size of the integrand's scale
// |f|max (the coefficients) times at most 2 (the integral over [−1, 1]); each sum is exact to a
// few eps times Σ|terms|. Every bar below is 64·eps·|f|max: up to 18 terms of rounding ~ eps
// each, twice (the transform and the recurrence), with a factor 2 to spare.
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>

#include "integrate/chebyshev_panel.hpp"
#include "racesim/integrate/problem.hpp"

using racesim::ChebyshevPanel;
using StepperPanel = ChebyshevPanel<racesim::quadrature_panel_evaluations>;
using Panel16 = ChebyshevPanel<16>;

namespace {

constexpr double eps = std::numeric_limits<double>::epsilon();

/// f at the panel's nodes, and its largest magnitude there.
template <class Panel>
std::array<double, Panel::points> sample(const std::function<double(double)>& f, double& fmax) {
    std::array<double, Panel::points> v{};
    fmax = 0;
    for (std::size_t j = 0; j < Panel::points; ++j) {
        v[j] = f(Panel::nodes()[j]);
        fmax = std::max(fmax, std::abs(v[j]));
    }
    return v;
}

/// The largest |integral(s) − (F(s) − F(−1))| at 201 points of [−1, 1].
template <class Panel>
double worst_error(const Panel& p, const std::function<double(double)>& F) {
    double worst = 0;
    for (int i = 0; i <= 200; ++i) {
        const double s = -1 + i / 100.0;
        worst = std::max(worst, std::abs(p.integral(s) - (F(s) - F(-1))));
    }
    return worst;
}

}  // namespace

TEMPLATE_TEST_CASE("chebyshev panel: nodes from 1 down to -1, symmetric", "", StepperPanel, Panel16) {
    using Panel = TestType;
    constexpr std::size_t N = Panel::points - 1;
    const auto& s = Panel::nodes();
    CHECK(s.front() == 1.0);
    CHECK(s.back() == -1.0);
    CHECK(s[N / 2] == 0.0);
    for (std::size_t j = 0; j < Panel::points; ++j) {
        CHECK(s[j] == -s[N - j]);
        if (j > 0) CHECK(s[j] < s[j - 1]);
    }
}

TEMPLATE_TEST_CASE("chebyshev panel: exact on polynomials up to degree N", "", StepperPanel, Panel16) {
    using Panel = TestType;
    constexpr int N = static_cast<int>(Panel::points) - 1;
    // s^k integrates to (s^(k+1) − (−1)^(k+1))/(k+1); the interpolant through N + 1 points is
    // the polynomial itself for k <= N, so only rounding remains, anywhere in [−1, 1].
    for (int k = 0; k <= N; ++k) {
        INFO("degree " << k);
        double fmax = 0;
        Panel p;
        const double tail = p.fit(sample<Panel>([k](double s) { return std::pow(s, k); }, fmax));
        const auto F = [k](double s) { return std::pow(s, k + 1) / (k + 1); };
        CHECK(worst_error(p, F) <= 64 * eps * fmax);
        CHECK(std::abs(p.total() - (F(1) - F(-1))) <= 64 * eps * fmax);
        CHECK(std::abs(p.integral(-1.0)) <= 64 * eps * fmax);
        // The estimate sees the two highest coefficients: 0 up to degree N − 2 (but rounding).
        if (k <= N - 2) CHECK(tail <= 64 * eps * fmax);
        // s^k = 2^(1−k)·T_k + ...: the estimate sees degrees N − 1 and N.
        if (k >= N - 1) CHECK(tail >= 0.5 * std::ldexp(1.0, 1 - k));
    }
}

TEMPLATE_TEST_CASE("chebyshev panel: analytic functions, and the error estimate bounds the error", "", StepperPanel,
                   Panel16) {
    using Panel = TestType;
    // e^(a·s) (∫ = e^(a·s)/a) and cos(w·s) (∫ = sin(w·s)/w) over growing a and w: the error falls
    // geometrically with the function's smoothness on the panel; the estimate |a_(N−1)| + |a_N|
    // stays above the actual error wherever that error is above rounding (and is at most 1e4
    // times it: it is not so pessimistic that panels become needlessly short).
    struct Case {
        const char* name;
        std::function<double(double)> f, F;
    };
    std::vector<Case> cases;
    for (double a : {0.5, 1.0, 2.0, 4.0, 8.0, 12.0, -6.0})
        cases.push_back(
            {"exp", [a](double s) { return std::exp(a * s); }, [a](double s) { return std::exp(a * s) / a; }});
    for (double w : {1.0, 3.0, 6.0, 10.0})
        cases.push_back(
            {"cos", [w](double s) { return std::cos(w * s); }, [w](double s) { return std::sin(w * s) / w; }});
    for (const auto& c : cases) {
        double fmax = 0;
        Panel p;
        const double tail = p.fit(sample<Panel>(c.f, fmax));
        const double err = worst_error(p, c.F), bar = 64 * eps * fmax;
        INFO(c.name << ": f(1) = " << c.f(1) << ", error " << err << ", estimate " << tail << ", rounding " << bar);
        CHECK(std::isfinite(tail));
        if (err > bar) {
            CHECK(tail >= err);
            CHECK(tail <= 1e4 * err);
        } else {
            CHECK(err <= bar);
        }
    }
}

TEMPLATE_TEST_CASE("chebyshev panel: the grouped evaluation gives the single one's doubles", "", StepperPanel,
                   Panel16) {
    using Panel = TestType;
    Panel p;
    double fmax = 0;
    p.fit(sample<Panel>([](double s) { return std::exp(3 * s) * (1 + 0.5 * s); }, fmax));
    for (std::size_t n : {0u, 1u, 3u, 4u, 5u, 9u, 301u}) {
        std::vector<double> s(n), out(n);
        for (std::size_t i = 0; i < n; ++i) s[i] = -1 + 2.0 * static_cast<double>(i) / std::max<std::size_t>(n, 2);
        p.integral(s.data(), out.data(), n);
        for (std::size_t i = 0; i < n; ++i) CHECK(out[i] == p.integral(s[i]));
        // In place, as the stepper calls it.
        std::vector<double> inplace = s;
        p.integral(inplace.data(), inplace.data(), n);
        CHECK(inplace == out);
    }
}

TEST_CASE("chebyshev panel: a NaN or an infinity in the samples shows in the estimate") {
    StepperPanel p;
    std::array<double, StepperPanel::points> f{};
    f.fill(1.0);
    f[5] = std::numeric_limits<double>::infinity();
    CHECK_FALSE(std::isfinite(p.fit(f)));
    f[5] = std::nan("");
    CHECK_FALSE(std::isfinite(p.fit(f)));
}
