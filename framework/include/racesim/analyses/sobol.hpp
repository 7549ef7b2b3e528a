// `sobol:` — global sensitivity: first-order and total Sobol indices of each target's time (and
// of the loss at given dates) over the distributions of the scenario's `sample:` block, by the
// Saltelli sampling scheme and the Jansen estimators, with bootstrap percentile intervals. An
// analysis module (racesim/run/analysis.hpp): framework/src/analyses/sobol/. Its table: sobol.csv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "racesim/run/analysis.hpp"

namespace racesim {

/// What `sobol:` said. The parameters, their distributions and the default seed are those of
/// the same scenario's `sample:` block.
struct SobolSpec final : AnalysisSpec {
    std::optional<std::size_t> n;       ///< base sample size N; unset: the sample block's n
    std::size_t bootstrap = 200;        ///< bootstrap resamples (0: no intervals)
    double confidence = 0.95;           ///< of the percentile intervals
    std::optional<std::uint64_t> seed;  ///< unset: the sample block's seed
    std::vector<double> dates;          ///< yr: also the indices of L at each date
};

/// The Jansen estimators of one parameter's indices from the Saltelli design.
struct SobolIndices {
    double first = 0;  ///< S1
    double total = 0;  ///< ST
};

/// S1 and ST of parameter i from the outputs at the rows of A, B and A_B^i (A with column i
/// taken from B), each of length N, and the variance V of the output:
///   S1 = (V - sum_j (f(B)_j - f(A_B^i)_j)^2 / (2N)) / V,   ST = sum_j (f(A)_j - f(A_B^i)_j)^2 / (2N) / V.
/// `rows` (optional, length N) picks the rows (a bootstrap resample); V is then that of the
/// picked rows of A and B.
SobolIndices jansen_indices(const double* fA, const double* fB, const double* fABi, std::size_t N,
                            const std::size_t* rows = nullptr);

/// The variance of the 2N outputs at A and B (denominator 2N - 1), optionally at picked rows.
double saltelli_variance(const double* fA, const double* fB, std::size_t N, const std::size_t* rows = nullptr);

/// One row of sobol.csv: one parameter, one quantity (a target's time, or L at a date).
struct SobolRow {
    std::string scenario, quantity, parameter, distribution;
    std::optional<double> first, first_low, first_high;  ///< S1 and its interval
    std::optional<double> total, total_low, total_high;  ///< ST and its interval
    double mean = 0, variance = 0;                       ///< of the quantity over A and B
    std::int64_t n = 0, evaluations = 0, bootstrap = 0;
    double confidence = 0;
    std::uint64_t seed = 0;
    double censored = 0;  ///< fraction of evaluations that did not reach the target by the horizon
    std::string note;
};

/// The module (one instance for the program's lifetime).
const Analysis& sobol_analysis();
/// Its block's keys.
const KeyBlock& sobol_keys();

}  // namespace racesim
