// Numerically careful building blocks for closed-form models (used by the reference plugins
// and available to plugin authors). Everything works in logarithms so that 2^(gamma·t) never
// has to exist as a double.
#pragma once

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace racesim::plugin::math {

inline constexpr double ln2 = 0.693147180559945309417232121458176568;
inline constexpr double neg_inf = -std::numeric_limits<double>::infinity();

/// ln(e^a + e^b), exact for a or b = -inf.
inline double log_add_exp(double a, double b) {
    if (a == neg_inf) return b;
    if (b == neg_inf) return a;
    const double m = a > b ? a : b;
    const double d = a > b ? b - a : a - b;
    return m + std::log1p(std::exp(d));
}

/// ln(e^a - e^b) for a >= b; -inf when a == b.
inline double log_sub_exp(double a, double b) {
    if (b == neg_inf) return a;
    if (a <= b) return neg_inf;
    return a + std::log1p(-std::exp(b - a));
}

/// ln(e^y - 1) for y > 0: accurate for tiny y, where log_sub_exp(y, 0) loses about ε/y of
/// relative accuracy, and without overflow for large y.
inline double log_expm1(double y) {
    if (!(y > 0)) return neg_inf;
    return y <= 30 ? std::log(std::expm1(y)) : y + std::log1p(-std::exp(-y));
}

/// ln of the integral of e^(g·u) du over u in [0, s]: ln(expm1(g·s)/g), and ln(s) at g = 0.
/// Accurate as g -> 0 and for g·s far beyond the double range of e^(g·s).
inline double log_growth_integral(double g, double s) {
    if (!(s > 0)) return neg_inf;
    if (g == 0) return std::log(s);
    const double x = g * s;
    if (x > 30) return x - std::log(g) + std::log1p(-std::exp(-x));
    return std::log(std::expm1(x) / g);
}

/// The s >= 0 with ln(integral of e^(g·u) over [0, s]) = log_I, or NaN when no s reaches it
/// (only possible for g < 0, whose integral is bounded by -1/g).
inline double solve_growth_integral(double g, double log_I) {
    if (log_I == neg_inf) return 0;
    if (g == 0) return std::exp(log_I);
    if (g > 0) {
        const double ln_gI = std::log(g) + log_I;
        if (ln_gI > 30) return (ln_gI + std::log1p(std::exp(-ln_gI))) / g;
        return std::log1p(std::exp(ln_gI)) / g;
    }
    const double w = g * std::exp(log_I);  // in (-inf, 0)
    if (!(w > -1)) return std::numeric_limits<double>::quiet_NaN();
    return std::log1p(w) / g;
}

/// A number for a message: up to 15 significant digits, no trailing zeros ("0.8", "1e-09").
inline std::string format(double x) {
    std::ostringstream os;
    os.precision(15);
    os << x;
    return os.str();
}

}  // namespace racesim::plugin::math
