#include "racesim/config/sample.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "racesim/plugin/math.hpp"

namespace racesim {

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

namespace {

/// A double in the open interval (0, 1) from 53 random bits.
double open_unit(std::mt19937_64& g) {
    // (k + 0.5)·2^-53 for k < 2^53; k + 0.5 rounds to an integer above 2^52, so the largest k
    // would give exactly 1 (an infinite quantile): kept below 1.
    return std::min((static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53, draw_u_max);
}

}  // namespace

const char* to_string(Distribution::Kind k) {
    switch (k) {
        case Distribution::Kind::fixed:
            return "fixed";
        case Distribution::Kind::uniform:
            return "uniform";
        case Distribution::Kind::normal:
            return "normal";
        case Distribution::Kind::lognormal:
            return "lognormal";
        case Distribution::Kind::loguniform:
            return "loguniform";
        case Distribution::Kind::choice:
            return "choice";
    }
    return "?";
}

double normal_quantile(double p) {
    return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

double normal_cdf(double z) {
    return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

double Distribution::quantile(double u) const {
    double x = a;
    switch (kind) {
        case Kind::fixed:
            x = a;
            break;
        case Kind::uniform:
            x = a + u * (b - a);
            break;
        case Kind::loguniform:
            x = std::exp(std::log(a) + u * (std::log(b) - std::log(a)));
            break;
        case Kind::normal:
            x = a + b * normal_quantile(u);
            break;
        case Kind::lognormal:
            x = std::exp(a + b * normal_quantile(u));
            break;
        case Kind::choice: {
            const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
            x = values[std::min<std::size_t>(static_cast<std::size_t>(it - cdf.begin()), values.size() - 1)];
            break;
        }
    }
    if (min) x = std::max(x, *min);
    if (max) x = std::min(x, *max);
    return x;
}

double Distribution::lowest() const {
    // Every distribution's quantile is non-decreasing in u, and quantile() clips.
    return kind == Kind::choice ? std::clamp(*std::min_element(values.begin(), values.end()),
                                             min.value_or(-std::numeric_limits<double>::infinity()),
                                             max.value_or(std::numeric_limits<double>::infinity()))
                                : quantile(draw_u_min);
}

double Distribution::highest() const {
    return kind == Kind::choice ? std::clamp(*std::max_element(values.begin(), values.end()),
                                             min.value_or(-std::numeric_limits<double>::infinity()),
                                             max.value_or(std::numeric_limits<double>::infinity()))
                                : quantile(draw_u_max);
}

std::string Distribution::describe() const {
    using plugin::math::format;
    // fmt rather than operator+ chains: GCC 12 reports a false -Wrestrict on "(" + std::string.
    std::string s;
    switch (kind) {
        case Kind::fixed:
            s = fmt::format("fixed({})", format(a));
            break;
        case Kind::uniform:
        case Kind::loguniform:
            s = fmt::format("{}({}, {})", to_string(kind), format(a), format(b));
            break;
        case Kind::normal:
            s = fmt::format("normal(mean={}, sd={})", format(a), format(b));
            break;
        case Kind::lognormal:
            s = fmt::format("lognormal(mu={}, sigma={})", format(a), format(b));
            break;
        case Kind::choice: {
            std::vector<std::string> parts;
            for (std::size_t i = 0; i < values.size(); ++i)
                parts.push_back(fmt::format("{}:{}", format(values[i]), format(cdf[i] - (i ? cdf[i - 1] : 0))));
            s = fmt::format("choice({})", fmt::join(parts, ", "));
            break;
        }
    }
    if (min) s += fmt::format(" min {}", format(*min));
    if (max) s += fmt::format(" max {}", format(*max));
    return s;
}

double copula_correlation(double rho_s) {
    return 2 * std::sin(M_PI * rho_s / 6);
}

std::optional<std::vector<double>> cholesky(const std::vector<double>& a, std::size_t d) {
    std::vector<double> l(d * d, 0.0);
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j <= i; ++j) {
            double s = a[i * d + j];
            for (std::size_t k = 0; k < j; ++k) s -= l[i * d + k] * l[j * d + k];
            if (i == j) {
                if (!(s > 1e-12)) return std::nullopt;
                l[i * d + i] = std::sqrt(s);
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    return l;
}

std::vector<double> draw(const SampleSpec& s, std::uint64_t index) {
    const std::size_t d = s.dists.size();
    std::mt19937_64 g(splitmix64(splitmix64(s.seed) ^ index));
    std::vector<double> u(d);
    for (auto& x : u) x = open_unit(g);
    if (!s.cholesky.empty()) {
        std::vector<double> z(d), y(d, 0.0);
        for (std::size_t i = 0; i < d; ++i) z[i] = normal_quantile(u[i]);
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t k = 0; k <= i; ++k) y[i] += s.cholesky[i * d + k] * z[k];
        for (std::size_t i = 0; i < d; ++i) u[i] = std::clamp(normal_cdf(y[i]), draw_u_min, draw_u_max);
    }
    std::vector<double> x(d);
    for (std::size_t i = 0; i < d; ++i) x[i] = s.dists[i].quantile(u[i]);
    return x;
}

}  // namespace racesim
