// The header-only DOP853 stepper (framework/src/integrate/dop853.hpp): its tableau, agreement
// with SciPy's DOP853 on fixed steps (data/dop853_reference.csv, made once by
// data/dop853_reference.py with Debian's /usr/bin/python3 and SciPy 1.10), its order of
// convergence, exactness on polynomials, the stage times it evaluates and its dense-output state.
//
// Rounding. eps = 2^-52. A sum of n products computed in double differs from the exact sum by
// at most about n·eps/2·Σ|terms| (in practice a few eps·Σ|terms|), so every tolerance below is a
// few eps times the size of the terms that produced the value (a "magnitude"), not of the value:
// the error estimates and the interpolant's coefficients are small differences of large terms.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "integrate/dop853.hpp"

using racesim::Dop853;

namespace {

const bool precise_doubles = [] {  // print doubles in failure messages with every digit
    Catch::StringMaker<double>::precision = 17;
    return true;
}();

constexpr double eps = std::numeric_limits<double>::epsilon();  // 2^-52
constexpr long double half_ulp = eps / 2;                       // 2^-53: rounding of a coefficient to double

template <std::size_t N>
long double abs_sum(const std::array<double, N>& v) {
    long double s = 0;
    for (double x : v) s += std::abs(static_cast<long double>(x));
    return s;
}

/// Σ_i w_i·c_i^(k−1) over the step's 12 stages, and Σ |w_i·c_i^(k−1)|, in long double.
struct Moment {
    long double sum = 0, abs = 0;
};
Moment moment(const std::array<double, Dop853::n_stages>& w, int k) {
    Moment m;
    for (std::size_t i = 0; i < w.size(); ++i) {
        long double p = 1;
        for (int e = 1; e < k; ++e) p *= Dop853::c[i];
        m.sum += w[i] * p;
        m.abs += std::abs(w[i] * p);
    }
    return m;
}

}  // namespace

// Every coefficient is the double nearest to a 30-digit decimal (dop853.f), off by at most
// 2^-53 relative, so an identity of the exact method holds for the doubles only to within
// 2^-53·(Σ|terms|): the tolerances are that bound (times the power of c involved, plus the
// rounding of the right-hand side), with the sums themselves taken in long double (64-bit
// mantissa: ≤ 16·2^-64·Σ|terms|, negligible). Not a flat 1e-15: rows 8–11 of a have Σ|a_ij|
// of 62–96, and the exact sum of row 9's doubles misses c_9 = 0.6 by 1.8e-15 (a plain double sum
// by 6.1e-15); the bounds run from 1.2e-17 (row 1) to 2.1e-14 (row 8).
TEST_CASE("dop853: tableau order conditions", "[numerics][dop853]") {
    SECTION("row sums: sum_j a_ij = c_i for every stage") {
        for (std::size_t i = 1; i < Dop853::n_stages_extended; ++i) {
            long double sum = 0, abs = 0;
            for (std::size_t j = 0; j < i; ++j) {
                sum += Dop853::a[i][j];
                abs += std::abs(static_cast<long double>(Dop853::a[i][j]));
            }
            for (std::size_t j = i; j < Dop853::a[i].size(); ++j) REQUIRE(Dop853::a[i][j] == 0.0);  // explicit
            // a_ij and c_i each rounded by <= 2^-53 relative, |c_i| <= Σ|a_ij|.
            const long double tol = 2 * half_ulp * abs;
            INFO("stage " << i << ": sum " << static_cast<double>(sum) << ", c " << Dop853::c[i]);
            CHECK(std::abs(sum - Dop853::c[i]) <= tol);
        }
    }
    SECTION("quadrature conditions: sum_i b_i c_i^(k-1) = 1/k, k = 1..8, and not for k = 9") {
        for (int k = 1; k <= 8; ++k) {
            const Moment m = moment(Dop853::b, k);
            // b_i·c_i^(k−1) carries k roundings of 2^-53; 1/k one more.
            const long double tol = (k + 1) * half_ulp * m.abs;
            INFO("k = " << k << ": error " << static_cast<double>(m.sum - 1.0L / k));
            CHECK(std::abs(m.sum - 1.0L / k) <= tol);
            CHECK(std::abs(m.sum - 1.0L / k) <= 1e-14);
        }
        // Order exactly 8: Σ b_i c_i^8 − 1/9 = 2.7e-5, far from rounding.
        CHECK(std::abs(moment(Dop853::b, 9).sum - 1.0L / 9) > 1e-6);
        // b is row 12 of a (the FSAL stage is evaluated at the solution).
        for (std::size_t i = 0; i < Dop853::n_stages; ++i) CHECK(Dop853::b[i] == Dop853::a[Dop853::n_stages][i]);
    }
    SECTION("error weights: sum to 0, and annihilate c^(k-1) up to the embedded orders 5 and 3") {
        // e5 = b − (a 5th-order b̂): its moments k = 1..5 vanish; e3 (3rd order): k = 1..3. The
        // next moment does not (what makes them estimate an error at all).
        const auto check = [](const std::array<double, Dop853::n_stages>& w, int order, const char* name) {
            for (int k = 1; k <= order; ++k) {
                const Moment m = moment(w, k);
                INFO(name << " k = " << k << ": sum " << static_cast<double>(m.sum));
                CHECK(std::abs(m.sum) <= (k + 1) * half_ulp * m.abs);
            }
            CHECK(std::abs(moment(w, order + 1).sum) > 1e-4);
        };
        check(Dop853::e5, 5, "e5");
        check(Dop853::e3, 3, "e3");
        CHECK(std::abs(abs_sum(Dop853::e5) - 4.187199105294629L) < 1e-12);  // not all zero
    }
    SECTION("stage_c: the step's stages after the first, then the FSAL derivative at c = 1") {
        REQUIRE(Dop853::stage_c.size() == 12);
        for (std::size_t i = 0; i + 1 < Dop853::stage_c.size(); ++i) CHECK(Dop853::stage_c[i] == Dop853::c[i + 1]);
        CHECK(Dop853::stage_c[10] == 1.0);  // stage 11
        CHECK(Dop853::stage_c[11] == 1.0);  // FSAL
        CHECK(Dop853::dense_stage_c == std::array<double, 3>{0.1, 0.2, 7.0 / 9.0});
    }
}

namespace {

/// The reference problems, written as dop853_reference.py writes them (same operation order).
double rhs(const std::string& problem, double t, double x) {
    if (problem == "exp") return x;
    if (problem == "logistic") return std::exp(-x) * (1 + 0.5 * t);
    if (problem == "gauss") return -2 * t * x;
    throw std::runtime_error("unknown problem " + problem);
}

struct RefRow {
    std::string problem;
    double h, t, x0, dxdt0, x1, dxdt1, err5, err3, scale, err_norm, x1_mag, err5_mag, err3_mag, dense_mag;
    std::array<double, 5> tq, xq;
};

std::vector<RefRow> read_reference() {
    std::ifstream in(RACESIM_DOP853_CSV);
    REQUIRE(in.good());
    std::vector<RefRow> rows;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (header) {  // the column order below
            REQUIRE(line.rfind("problem,h,step,t,x0,dxdt0,x1,dxdt1,err5,err3,scale,err_norm,x1_mag,err5_mag,", 0) == 0);
            header = false;
            continue;
        }
        std::vector<std::string> cells;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
        REQUIRE(cells.size() == 26);
        auto num = [&](std::size_t i) { return std::strtod(cells[i].c_str(), nullptr); };  // exact round trip
        RefRow r;
        r.problem = cells[0];
        r.h = num(1);
        r.t = num(3);
        r.x0 = num(4);
        r.dxdt0 = num(5);
        r.x1 = num(6);
        r.dxdt1 = num(7);
        r.err5 = num(8);
        r.err3 = num(9);
        r.scale = num(10);
        r.err_norm = num(11);
        r.x1_mag = num(12);
        r.err5_mag = num(13);
        r.err3_mag = num(14);
        r.dense_mag = num(15);
        for (std::size_t i = 0; i < 5; ++i) {
            r.tq[i] = num(16 + 2 * i);
            r.xq[i] = num(17 + 2 * i);
        }
        rows.push_back(r);
    }
    return rows;
}

}  // namespace

// SciPy's DOP853 (rk_step, E5/E3, _estimate_error_norm, _dense_output_impl, Dop853DenseOutput)
// on 3 problems × h = 0.1, 0.5, 1.3 × 3 steps, each step started from the CSV's exact inputs.
// Dop853 does SciPy's operations in SciPy's order (the stages' dot products summed in index
// order, as the reference BLAS that Debian's NumPy uses does), and the right-hand sides are the
// same expressions with the same libm exp: on this machine the results agree to the last bit.
// A BLAS that sums in another order (or another libm) moves each dot product by a few
// eps·Σ|terms|, and that propagates through the later stages by a factor about
// |h·∂f/∂x|·Σ|b_i| <= 17 here; hence 8·eps·(the magnitude of the terms), per quantity:
//   x1:    |x0| + |h|·Σ|b_i k_i|          err5/err3: |h|·Σ|e_i k_i|
//   dense: |x0| + |F0| + |F1| + |F2| + |h|·Σ|d_rj k_j|  (the interpolant's terms)
// (the *_mag columns). That is 1e-15..1e-14 relative for x1 and the dense output, and
// relative 1e-5..1e-2 for the tiny, cancelling error estimates, which have no more digits.
// The worst differences (in units of eps·magnitude) are printed.
TEST_CASE("dop853: agrees with SciPy's DOP853 on fixed steps", "[numerics][dop853]") {
    const auto rows = read_reference();
    REQUIRE(rows.size() == 27);
    double worst_x1 = 0, worst_err = 0, worst_dense = 0, worst_norm = 0;
    for (const RefRow& r : rows) {
        auto sys = [&](double x, double& dxdt, double t) { dxdt = rhs(r.problem, t, x); };
        INFO(r.problem << " h = " << r.h << " t = " << r.t);
        Dop853 rk;
        double x1 = 0, dxdt1 = 0, err5 = 0, err3 = 0;
        rk.do_step(sys, r.x0, r.dxdt0, r.t, x1, dxdt1, r.h, err5, err3);
        CHECK(std::abs(x1 - r.x1) <= 8 * eps * r.x1_mag);
        CHECK(dxdt1 == rhs(r.problem, r.t + r.h, x1));  // FSAL: f at (t + h, x1), exactly
        // The CSV's FSAL derivative is the same f at SciPy's x1 (a libm exp may differ by 1 ulp).
        CHECK(std::abs(r.dxdt1 - rhs(r.problem, r.t + r.h, r.x1)) <= 2 * eps * std::abs(r.dxdt1));
        CHECK(std::abs(err5 - r.err5) <= 8 * eps * r.err5_mag);
        CHECK(std::abs(err3 - r.err3) <= 8 * eps * r.err3_mag);
        worst_x1 = std::max(worst_x1, std::abs(x1 - r.x1) / (eps * r.x1_mag));
        worst_err = std::max(
            {worst_err, std::abs(err5 - r.err5) / (eps * r.err5_mag), std::abs(err3 - r.err3) / (eps * r.err3_mag)});
        // The combination, from SciPy's own err5 and err3: a handful of roundings on either side
        // (SciPy: 2 divisions, squares, a sum, a root, a division and ·|h|; here 2 divisions,
        // hypot, a product), each <= eps/2 relative.
        const double norm = Dop853::error_norm(r.err5, r.err3, r.scale);
        CHECK(std::abs(norm - r.err_norm) <= 8 * eps * r.err_norm);
        worst_norm = std::max(worst_norm, std::abs(norm - r.err_norm) / (eps * r.err_norm));
        rk.prepare_dense(sys);
        for (std::size_t i = 0; i < r.tq.size(); ++i) {
            const double v = rk.calc_state(r.tq[i]);
            INFO("tq = " << r.tq[i]);
            CHECK(std::abs(v - r.xq[i]) <= 8 * eps * r.dense_mag);
            worst_dense = std::max(worst_dense, std::abs(v - r.xq[i]) / (eps * r.dense_mag));
        }
    }
    std::printf(
        "[numerics] dop853 vs SciPy, worst |difference| / (eps * magnitude): x1 %.3g, err5/err3 %.3g, dense %.3g; "
        "error_norm %.3g eps relative\n",
        worst_x1, worst_err, worst_dense, worst_norm);
}

namespace {

/// y' = y, y(0) = 1, to t = 1 in n fixed steps of h = 1/n (exact); returns y(1) − e, and the
/// largest |dense output − e^t| at the steps' midpoints.
struct ExpRun {
    long double end_error = 0, mid_error = 0;
};
ExpRun run_exp(int n) {
    const long double e = std::exp(1.0L);  // long double: 64-bit mantissa, error ~1e-19
    auto sys = [](double x, double& dxdt, double) { dxdt = x; };
    Dop853 rk;
    const double h = 1.0 / n;
    double x = 1, dxdt = 1, err5 = 0, err3 = 0;
    ExpRun out;
    for (int k = 0; k < n; ++k) {
        const double t = k * h;
        rk.do_step(sys, x, dxdt, t, x, dxdt, h, err5, err3);
        rk.prepare_dense(sys);
        const double mid = t + h / 2;
        out.mid_error = std::max(out.mid_error, std::abs(rk.calc_state(mid) - std::exp(static_cast<long double>(mid))));
    }
    out.end_error = x - e;
    return out;
}

}  // namespace

// Global error at t = 1 of y' = y: ≈ C·h^8, as one step multiplies by R(h) = e^h − 6.4e-8·h^9 + …
// (R, the stability polynomial of the double coefficients, in exact arithmetic gives R(h)^n − e =
// −5.64e-10, −2.42e-12, −9.61e-15 for h = 1/2, 1/4, 1/8: ratios 2^7.86 and 2^7.98). Smaller steps cannot be measured in
// double: at h = 1/16 the truncation error would be 3.8e-17, below both the rounding of the result (ulp(e) = 4.4e-16)
// and the 2.1e-16 that the rounding of the coefficients alone (Σ b_i = 1 + 7e-17) leaves at any h. So the order is
// measured on h = 1/2, 1/4, 1/8 (not 1/8, 1/16, 1/32), where the error is >= 20 ulps of e: ratios accepted in [2^7.5,
// 2^8.5]. h = 1/16 and 1/32 are checked to stay at the rounding level: <= n·4·eps·e (n steps, each adding a few
// roundings). The dense output is 7th order (local error O(h^8), plus the O(h^8) global error it starts from): its
// error at the midpoints must fall by at least 2^7 per halving.
TEST_CASE("dop853: convergence order on y' = y", "[numerics][dop853]") {
    const ExpRun r2 = run_exp(2), r4 = run_exp(4), r8 = run_exp(8), r16 = run_exp(16), r32 = run_exp(32);
    const double lo = std::pow(2.0, 7.5), hi = std::pow(2.0, 8.5);
    const long double q1 = r2.end_error / r4.end_error, q2 = r4.end_error / r8.end_error;
    INFO("errors " << static_cast<double>(r2.end_error) << " " << static_cast<double>(r4.end_error) << " "
                   << static_cast<double>(r8.end_error) << " " << static_cast<double>(r16.end_error) << " "
                   << static_cast<double>(r32.end_error));
    CHECK(q1 >= lo);
    CHECK(q1 <= hi);
    CHECK(q2 >= lo);
    CHECK(q2 <= hi);
    const long double e = std::exp(1.0L);
    CHECK(std::abs(r16.end_error) <= 16 * 4 * eps * e);
    CHECK(std::abs(r32.end_error) <= 32 * 4 * eps * e);
    const long double d1 = r2.mid_error / r4.mid_error, d2 = r4.mid_error / r8.mid_error;
    INFO("dense midpoint errors " << static_cast<double>(r2.mid_error) << " " << static_cast<double>(r4.mid_error)
                                  << " " << static_cast<double>(r8.mid_error));
    CHECK(d1 >= 128);
    CHECK(d2 >= 128);
    std::printf("[numerics] dop853 y' = y: global error ratios 2^%.3f 2^%.3f, dense midpoint 2^%.3f 2^%.3f\n",
                static_cast<double>(std::log2(q1)), static_cast<double>(std::log2(q2)),
                static_cast<double>(std::log2(d1)), static_cast<double>(std::log2(d2)));
}

namespace {

/// p(t) = Σ coef[i]·t^i by Horner, in long double.
template <std::size_t N>
long double poly(const std::array<long double, N>& coef, long double t) {
    long double v = 0;
    for (std::size_t i = N; i-- > 0;) v = v * t + coef[i];
    return v;
}

template <std::size_t N>
std::array<long double, N - 1> derivative(const std::array<long double, N>& coef) {
    std::array<long double, N - 1> d{};
    for (std::size_t i = 1; i < N; ++i) d[i - 1] = static_cast<long double>(i) * coef[i];
    return d;
}

/// One step on y' = p'(t) from (t, p(t)); returns x1 − (the exact solution through x0 at the
/// exact t + h) and a rounding bound: 4·eps·(|x0| + |h|·Σ|b_i·k_i|) for the coefficients
/// (2^-53 each) and the sums, plus the rounding of the stage times t + c_i·h (by <= eps/2·|t_i|,
/// moving k_i by |p''(t_i)| times that), 2·|h|·Σ|b_i·p''(t_i)|·eps/2·|t_i|.
template <std::size_t N>
std::pair<long double, long double> poly_step(const std::array<long double, N>& y, double t, double h) {
    const auto dy = derivative(y);
    const auto d2y = derivative(dy);
    auto sys = [&](double, double& dxdt, double s) { dxdt = static_cast<double>(poly(dy, s)); };
    const double x0 = static_cast<double>(poly(y, t));
    double x1 = 0, dxdt1 = 0, err5 = 0, err3 = 0;
    Dop853 rk;
    rk.do_step(sys, x0, static_cast<double>(poly(dy, t)), t, x1, dxdt1, h, err5, err3);
    long double mag = std::abs(static_cast<long double>(x0)), time_term = 0;
    for (std::size_t i = 0; i < Dop853::n_stages; ++i) {
        const long double ti = static_cast<long double>(t) + Dop853::c[i] * h;
        mag += std::abs(h * Dop853::b[i] * poly(dy, ti));
        time_term += std::abs(h * Dop853::b[i] * poly(d2y, ti) * ti);
    }
    const long double exact = poly(y, static_cast<long double>(t) + h) - poly(y, t) + x0;
    return {x1 - exact, 4 * eps * mag + eps * time_term};
}

}  // namespace

// Order 8 integrates y' = f(t) exactly when f is a polynomial of degree <= 7 (the quadrature
// conditions), and the 7th-order dense output reproduces a solution of degree <= 7. "Exactly"
// up to rounding: the bounds are computed per case (poly_step; the dense output's below).
// A degree-8 f (y of degree 9) is not integrated exactly: a check that these tests can fail.
TEST_CASE("dop853: exact on polynomials", "[numerics][dop853]") {
    SECTION("one step of y' = 3t^2") {
        const std::array<long double, 4> y{0.25L, 0, 0, 1};  // y = t^3 + 1/4
        double worst = 0;
        for (const auto& [t, h] : {std::pair{0.0, 1.0}, {0.3, 0.9}, {-1.7, 2.3}, {2.0, -0.65}}) {
            const auto [err, tol] = poly_step(y, t, h);
            INFO("t = " << t << " h = " << h << ": error " << static_cast<double>(err) << ", bound "
                        << static_cast<double>(tol));
            CHECK(std::abs(err) <= tol);
            worst = std::max(worst, static_cast<double>(std::abs(err) / tol));
        }
        std::printf("[numerics] dop853 exactness, y' = 3t^2: worst |error| / bound %.3g\n", worst);
    }
    SECTION("one step of a degree-7 y' (y of degree 8)") {
        const std::array<long double, 9> y{1, 1, 0, -1, 0, 0.5L, 0, 0, 1};  // t^8 + t^5/2 − t^3 + t + 1
        double worst = 0;
        for (const auto& [t, h] : {std::pair{0.0, 1.0}, {0.3, 0.9}, {-1.1, 1.7}, {0.8, -0.45}}) {
            const auto [err, tol] = poly_step(y, t, h);
            INFO("t = " << t << " h = " << h << ": error " << static_cast<double>(err) << ", bound "
                        << static_cast<double>(tol));
            CHECK(std::abs(err) <= tol);
            worst = std::max(worst, static_cast<double>(std::abs(err) / tol));
        }
        std::printf("[numerics] dop853 exactness, degree-7 y': worst |error| / bound %.3g\n", worst);
    }
    SECTION("degree-8 y' (y = t^9) is not exact: error = (Σ b_i c_i^8 − 1/9)·9·h^9") {
        const std::array<long double, 10> y{0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        const auto [err, tol] = poly_step(y, 0.0, 1.0);
        CHECK(std::abs(err) > 1e6 * tol);
        CHECK(static_cast<double>(err) ==
              Approx(9 * static_cast<double>(moment(Dop853::b, 9).sum - 1.0L / 9)).epsilon(1e-9));
    }
    SECTION("the dense output reproduces a degree-7 solution") {
        const std::array<long double, 8> y{1, 1, 0, -2, 0, 0, 0, 1};  // t^7 − 2t^3 + t + 1
        const auto dy = derivative(y);
        auto sys = [&](double, double& dxdt, double s) { dxdt = static_cast<double>(poly(dy, s)); };
        // The interpolant x0 + θ(F0 + (1−θ)(F1 + …)) has terms |F_{3+r}| = |h·Σ_j d_rj k_j|, each
        // weighted by θ^m(1−θ)^n <= 1/16, with Σ|d_rj| = 3673 over all r: rounding of at most
        // eps·(|x0| + 3·|x1 − x0| + |h|·max|f|·(2 + Σ|d_rj|/16)) plus the step's own (x1 enters
        // through F0..F2): 4·eps times that.
        long double d_abs = 0;
        for (const auto& row : Dop853::d) d_abs += abs_sum(row);
        double worst = 0;
        for (const auto& [t, h] : {std::pair{0.0, 1.0}, {0.3, 0.9}, {-1.1, 1.7}, {0.8, -0.45}}) {
            const double x0 = static_cast<double>(poly(y, t));
            double x1 = 0, dxdt1 = 0, err5 = 0, err3 = 0;
            Dop853 rk;
            rk.do_step(sys, x0, static_cast<double>(poly(dy, t)), t, x1, dxdt1, h, err5, err3);
            rk.prepare_dense(sys);
            long double fmax = 0;
            for (int i = 0; i <= 64; ++i)
                fmax = std::max(fmax, std::abs(poly(dy, static_cast<long double>(t) + h * i / 64.0L)));
            const long double tol = 4 * eps *
                                    (std::abs(x0) + 3 * std::abs(static_cast<long double>(x1) - x0) +
                                     std::abs(h) * fmax * (2 + d_abs / 16));
            for (int i = 0; i <= 10; ++i) {
                const double tq = t + h * i / 10.0;
                const long double exact = poly(y, tq) - poly(y, t) + x0;
                INFO("t = " << t << " h = " << h << " tq = " << tq << ": error "
                            << static_cast<double>(rk.calc_state(tq) - exact) << ", bound "
                            << static_cast<double>(tol));
                CHECK(std::abs(rk.calc_state(tq) - exact) <= tol);
                worst = std::max(worst, static_cast<double>(std::abs(rk.calc_state(tq) - exact) / tol));
            }
        }
        std::printf("[numerics] dop853 exactness, dense output of a degree-7 solution: worst |error| / bound %.3g\n",
                    worst);
    }
}

// The times the system is called at: exactly t + stage_c[i]·h in that order (12 calls, the last
// the FSAL derivative at x1), then t + dense_stage_c[i]·h for prepare_dense (3 calls, once).
TEST_CASE("dop853: stage times", "[numerics][dop853]") {
    for (const auto& [t, h] : {std::pair{0.3, 0.7}, {12.5, 1e-3}, {-2.0, -0.45}, {1e6, 3.3}}) {
        std::vector<double> ts, xs;
        auto sys = [&](double x, double& dxdt, double s) {
            ts.push_back(s);
            xs.push_back(x);
            dxdt = std::sin(s) + 0.1 * x;
        };
        Dop853 rk;
        double x1 = 0, dxdt1 = 0, err5 = 0, err3 = 0;
        rk.do_step(sys, 1.5, std::sin(t) + 0.15, t, x1, dxdt1, h, err5, err3);
        INFO("t = " << t << " h = " << h);
        REQUIRE(ts.size() == Dop853::stage_c.size());
        for (std::size_t i = 0; i < ts.size(); ++i) CHECK(ts[i] == t + Dop853::stage_c[i] * h);
        CHECK(ts.back() == t + h);
        CHECK(xs.back() == x1);
        CHECK(dxdt1 == std::sin(t + h) + 0.1 * x1);
        ts.clear();
        rk.prepare_dense(sys);
        REQUIRE(ts.size() == Dop853::dense_stage_c.size());
        for (std::size_t i = 0; i < ts.size(); ++i) CHECK(ts[i] == t + Dop853::dense_stage_c[i] * h);
        rk.prepare_dense(sys);  // ready already: no calls
        CHECK(ts.size() == Dop853::dense_stage_c.size());
    }
}

TEST_CASE("dop853: dense output state and error_norm", "[numerics][dop853]") {
    int calls = 0;
    auto sys = [&](double x, double& dxdt, double) {
        ++calls;
        dxdt = -x;
    };
    Dop853 rk;
    CHECK_FALSE(rk.dense_ready());
#ifdef NDEBUG  // without NDEBUG these assert
    CHECK(std::isnan(rk.calc_state(0.0)));
    rk.prepare_dense(sys);  // no step: nothing to do
    CHECK(calls == 0);
    CHECK_FALSE(rk.dense_ready());
#endif
    double x1 = 0, dxdt1 = 0, err5 = 0, err3 = 0;
    rk.do_step(sys, 2.0, -2.0, 0.1, x1, dxdt1, 0.3, err5, err3);
    CHECK(calls == 12);
    CHECK_FALSE(rk.dense_ready());
#ifdef NDEBUG
    CHECK(std::isnan(rk.calc_state(0.25)));  // a step, but no prepare_dense
#endif
    rk.prepare_dense(sys);
    CHECK(calls == 15);
    CHECK(rk.dense_ready());
    CHECK(rk.calc_state(0.1) == 2.0);  // the ends exactly
    CHECK(rk.calc_state(0.1 + 0.3) == x1);
    CHECK(rk.calc_state(0.25) == Approx(2.0 * std::exp(-0.15)).epsilon(1e-9));
    // The error estimates are signed: y' = −y decays, the estimates say by how much too little.
    CHECK(err5 != 0);
    CHECK(err3 != 0);
    // A new step forgets the dense output.
    rk.do_step(sys, x1, dxdt1, 0.4, x1, dxdt1, 0.3, err5, err3);
    CHECK_FALSE(rk.dense_ready());

    // error_norm: the 0/0 case, symmetry in sign, the formula, and non-finite estimates.
    CHECK(Dop853::error_norm(0.0, 0.0, 1e-9) == 0.0);
    CHECK(Dop853::error_norm(0.0, 1e-3, 1e-9) == 0.0);
    // Exact values up to the rounding of the decimal inputs and a handful of operations: 8 eps.
    CHECK(Dop853::error_norm(-3e-9, 0.0, 1e-9) == Approx(3.0).epsilon(8 * eps));               // err3 = 0: |err5|/scale
    CHECK(Dop853::error_norm(3e-9, -4e-8, 1e-9) == Approx(3.0 * 3.0 / 5.0).epsilon(8 * eps));  // hypot(3, 4) = 5
    // Squares of these would underflow or overflow.
    CHECK(Dop853::error_norm(1e-300, 1e-299, 1e-290) == Approx(1e-10 / std::sqrt(2.0)).epsilon(8 * eps));
    CHECK(Dop853::error_norm(1e200, 1e201, 1e-10) == Approx(1e210 / std::sqrt(2.0)).epsilon(8 * eps));
    CHECK_FALSE(Dop853::error_norm(std::numeric_limits<double>::quiet_NaN(), 1.0, 1.0) <= 1);
    CHECK_FALSE(Dop853::error_norm(std::numeric_limits<double>::infinity(), 1.0, 1.0) <= 1);
    STATIC_REQUIRE(Dop853::error_estimator_order == 7);
    STATIC_REQUIRE(Dop853::order == 8);
}
