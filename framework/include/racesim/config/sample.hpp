// Monte Carlo: distributions of parameters, a Gaussian copula for rank correlations, and
// reproducible draws. A draw depends only on (seed, sample index): never on the thread that
// makes it or on the order samples are made in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "racesim/config/analysis.hpp"
#include "racesim/core/diagnostics.hpp"

namespace racesim {

struct Distribution {
    enum class Kind { fixed, uniform, normal, lognormal, loguniform, choice } kind = Kind::fixed;
    /// fixed: value a. uniform, loguniform: [a, b]. normal: mean a, sd b. lognormal: ln X ~ N(a, b).
    double a = 0, b = 0;
    std::vector<double> values, cdf;  ///< choice: the values and their cumulative probabilities
    std::optional<double> min, max;   ///< clipping
    Mark mark;

    /// The value at probability u in (0, 1) (the inverse CDF), clipped to [min, max].
    [[nodiscard]] double quantile(double u) const;
    /// The smallest and largest value a draw can take: the quantile at the extreme probabilities
    /// the sampler produces (draw_u_min, draw_u_max), clipped; +-inf or 0 when that overflows.
    [[nodiscard]] double lowest() const;
    [[nodiscard]] double highest() const;
    /// E.g. "lognormal(mu=0.1, sigma=0.5)"; for summaries.
    [[nodiscard]] std::string describe() const;
};

const char* to_string(Distribution::Kind k);

/// The probabilities a draw is made at lie in [draw_u_min, draw_u_max]: 53-bit uniforms
/// ((k + 0.5)·2^-53, at most the largest double below 1) and, with correlations, the Gaussian
/// copula's clamp.
inline constexpr double draw_u_min = 0x1.0p-60;
inline constexpr double draw_u_max = 1 - 0x1.0p-53;

/// The standard normal quantile z with P(Z <= z) = p.
double normal_quantile(double p);
double normal_cdf(double z);

/// What `sample:` said (an analysis block: find_analysis<SampleSpec>(scenario)).
struct SampleSpec final : AnalysisSpec {
    std::size_t n = 0;
    std::uint64_t seed = 1;
    std::vector<std::string> paths;
    std::vector<Distribution> dists;
    std::vector<double> rank_correlation;  ///< d x d, row-major; empty: independent
    std::vector<double> cholesky;          ///< lower factor of the Gaussian copula's correlation, d x d
    std::vector<double> dates;             ///< yr: report P(reached by each date)
    std::vector<double> bands;             ///< percentiles (0, 100), ascending: C, L, R quantiles per output time
    /// Conditional forecasts: the samples that reach target `target` (an index into the
    /// scenario's targets) by time `by` (yr).
    struct Condition {
        std::size_t target = 0;
        double by = 0;
        Mark mark;
    };
    std::vector<Condition> conditions;
    Mark n_mark;  ///< where `n` was written
};

/// Spearman rank correlation -> the Pearson correlation of the Gaussian copula that has it.
double copula_correlation(double rank_correlation);

/// Lower Cholesky factor of a symmetric d x d matrix; nullopt when it is not positive definite.
std::optional<std::vector<double>> cholesky(const std::vector<double>& a, std::size_t d);

/// SplitMix64 (Steele, Lea and Flood 2014): decorrelates nearby seeds before they seed a
/// Mersenne Twister. Shared by the sampler and the analyses that draw their own streams.
std::uint64_t splitmix64(std::uint64_t x);

/// The parameter values of sample `index` (one per path), reproducible from (seed, index).
std::vector<double> draw(const SampleSpec& s, std::uint64_t index);

}  // namespace racesim
