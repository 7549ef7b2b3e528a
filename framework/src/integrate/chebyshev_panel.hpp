// A Clenshaw–Curtis panel: the integral of a smooth function over one step from its values at
// the step's Chebyshev–Lobatto points, with the integral's value anywhere in the step (the
// dense output) and an estimate of its error from the last Chebyshev coefficients. The stepper
// takes such panels where the rate does not depend on C: then dC/dt = E(t)·P(t) is a
// quadrature, and a panel of N + 1 points is exact for polynomials of degree N and converges
// geometrically in N for an analytic rate (docs/numerics.md, "Quadrature panels").
// Header-only; no heap allocation, no virtual calls, no global mutable state (the table of
// cosines is a function-local constant).
//
// Source of the method: L. N. Trefethen, "Approximation Theory and Approximation Practice",
// SIAM 2013 (the Chebyshev interpolant through the Chebyshev points of the second kind, its
// coefficients by the discrete cosine transform, chapter 3; Clenshaw–Curtis quadrature, chapter
// 19), and the integration of a Chebyshev series term by term (J. C. Mason, D. C. Handscomb,
// "Chebyshev Polynomials", CRC 2003, eq. 2.43).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>

namespace racesim {

template <std::size_t N>
class ChebyshevPanel {
    static_assert(N >= 4 && N % 2 == 0);

public:
    static constexpr std::size_t points = N + 1;

    /// s_j = cos(π·j/N), j = 0..N: from 1 (the step's end) down to −1 (its start). The step
    /// [t0, t0 + h] maps to s by t = t0 + h·(1 + s)/2.
    static const std::array<double, points>& nodes() {
        static const std::array<double, points> s = [] {
            std::array<double, points> v{};
            for (std::size_t j = 0; j < points; ++j) v[j] = cosine(j);
            return v;
        }();
        return s;
    }

    /// Fits the interpolant through f[j] = f(s_j) and integrates it: afterwards integral(s) is
    /// ∫_{−1}^{s} p. Returns the error estimate |a_{N−1}| + |a_N| (the interpolant's last two
    /// coefficients: for a function resolved by the panel they decay geometrically, and the
    /// error of the integral over any part of [−1, 1] is below it). NaN or inf when f holds one.
    double fit(const std::array<double, points>& f) {
        // a_k = (2/N)·Σ'' f_j·cos(π·j·k/N), the end terms halved; the interpolant is Σ'' a_k·T_k.
        std::array<double, points> c{};
        for (std::size_t k = 0; k < points; ++k) {
            double sum = 0.5 * (f[0] + (k % 2 == 0 ? f[N] : -f[N]));
            for (std::size_t j = 1; j < N; ++j) sum += f[j] * cosine((j * k) % (2 * N));
            c[k] = sum * (2.0 / N);
        }
        const double tail = std::abs(c[N - 1]) + std::abs(c[N]);
        c[0] *= 0.5;
        c[N] *= 0.5;
        // ∫T_0 = T_1, ∫T_1 = T_2/4, ∫T_k = T_{k+1}/(2(k+1)) − T_{k−1}/(2(k−1)) (k >= 2), so
        // B_1 = c_0 − c_2/2 and B_m = (c_{m−1} − c_{m+1})/(2m) for m >= 2; B_0 makes F(−1) = 0.
        b_[1] = c[0] - 0.5 * c[2];
        for (std::size_t m = 2; m <= N + 1; ++m) {
            const double next = m + 1 <= N ? c[m + 1] : 0.0;
            b_[m] = (c[m - 1] - next) / (2.0 * static_cast<double>(m));
        }
        // F(−1) = B_0 + Σ (−1)^m·B_m = 0; F(1) − F(−1) = 2·Σ_{m odd} B_m, without the cancellation.
        double even = 0, odd = 0;
        for (std::size_t m = 1; m <= N + 1; ++m) (m % 2 == 0 ? even : odd) += b_[m];
        b_[0] = odd - even;
        total_ = 2 * odd;
        // The recurrence stops at the last coefficient that matters: those above it add up to
        // at most 2^-55 of Σ|B_m|, below the rounding of the sum itself (a few 2^-53 of it), and
        // |T_m| <= 1. A panel on which the rate is constant or linear evaluates 2 or 3 terms.
        double scale = 0;
        for (std::size_t m = 0; m <= N + 1; ++m) scale += std::abs(b_[m]);
        double dropped = 0;
        top_ = N + 1;
        while (top_ > 0 && dropped + std::abs(b_[top_]) <= 0x1p-55 * scale) dropped += std::abs(b_[top_--]);
        return tail;
    }

    /// ∫_{−1}^{s} of the interpolant, s in [−1, 1] (Clenshaw's recurrence, up to the last
    /// coefficient that matters: see fit()); integral(1) is total() but for rounding.
    [[nodiscard]] double integral(double s) const {
        double b1 = 0, b2 = 0;
        for (std::size_t m = top_; m >= 1; --m) {
            const double b0 = 2 * s * b1 - b2 + b_[m];
            b2 = b1;
            b1 = b0;
        }
        return s * b1 - b2 + b_[0];
    }
    /// integral(s[i]) for every i: the same recurrence for a group of points at once, whose
    /// independent chains the processor overlaps (a single point waits on each step's result).
    void integral(const double* s, double* out, std::size_t n) const {
        // Two pairs of points in SSE2 registers (GCC's and Clang's vector extension: the same
        // operations, in the same order, as integral(s) on each point).
        typedef double pair __attribute__((vector_size(16)));
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            const pair sa = {s[i], s[i + 1]}, sb = {s[i + 2], s[i + 3]};
            const pair ta = 2 * sa, tb = 2 * sb;
            pair a1 = {0, 0}, a2 = {0, 0}, c1 = {0, 0}, c2 = {0, 0};
            for (std::size_t m = top_; m >= 1; --m) {
                const pair a0 = ta * a1 - a2 + b_[m], c0 = tb * c1 - c2 + b_[m];
                a2 = a1, a1 = a0, c2 = c1, c1 = c0;
            }
            const pair ra = sa * a1 - a2 + b_[0], rb = sb * c1 - c2 + b_[0];
            out[i] = ra[0], out[i + 1] = ra[1], out[i + 2] = rb[0], out[i + 3] = rb[1];
        }
        for (; i < n; ++i) out[i] = integral(s[i]);
    }
    /// ∫_{−1}^{1} of the interpolant: the Clenshaw–Curtis rule.
    [[nodiscard]] double total() const { return total_; }

private:
    /// cos(π·m/N) for m in [0, 2N).
    static double cosine(std::size_t m) {
        static const std::array<double, 2 * N> table = [] {
            // The first quarter from sin(π·(N/2 − m)/N) (accurate near 0, where cos loses
            // digits), the rest by symmetry, so that the nodes are exactly symmetric about 0:
            // cos(π − x) = −cos x, cos(2π − x) = cos x.
            std::array<double, 2 * N> v{};
            for (std::size_t i = 0; i <= N / 2; ++i)
                v[i] = std::sin(std::numbers::pi * static_cast<double>(N / 2 - i) / static_cast<double>(N));
            for (std::size_t i = N / 2 + 1; i <= N; ++i) v[i] = -v[N - i];
            for (std::size_t i = N + 1; i < 2 * N; ++i) v[i] = v[2 * N - i];
            return v;
        }();
        return table[m];
    }

    std::array<double, N + 2> b_{};  ///< the integral's Chebyshev coefficients B_0..B_{N+1}
    std::size_t top_ = N + 1;        ///< the last one the recurrence uses
    double total_ = 0;
};

}  // namespace racesim
