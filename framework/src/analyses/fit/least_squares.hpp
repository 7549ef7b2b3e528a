// The numerical core of `fit:`: a nonlinear least-squares problem handed to Ceres Solver's
// Levenberg–Marquardt (dense QR, bounds on the variables), the Jacobian by finite differences,
// and the covariance of the estimates from it. Knows nothing of scenarios: the fit module
// (fit.cpp) gives it a residual function over the variables it works in.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace racesim::fit {

/// min over x of sum_i r_i(x)^2, x in [lower, upper].
struct Problem {
    std::size_t n = 0;  ///< residuals
    std::size_t p = 0;  ///< variables
    /// The n residuals at x; false when x cannot be evaluated (a refused parameter value, a
    /// failed simulation): the solver then takes a shorter step.
    std::function<bool(const std::vector<double>& x, std::vector<double>& r)> residuals;
    /// Finite-difference step of variable j at x: max(step[j], rel_step[j] * |x_j|).
    std::vector<double> step, rel_step;
    std::vector<double> lower, upper;  ///< bounds (+-infinity: none)
    int max_iterations = 200;
    /// Polled between iterations: true stops the solver (an error that must not be retried).
    std::function<bool()> stop;
};

struct Solution {
    std::vector<double> x, r;
    std::vector<double> J;  ///< n x p, row-major, at x
    double rss = 0;         ///< sum of r_i^2
    int iterations = 0;
    bool converged = false;  ///< Ceres reports CONVERGENCE
    bool usable = false;     ///< x, r and J are set (converged or not)
    std::string message;     ///< Ceres's termination message
};

/// The finite-difference step of variable j at x.
double step_at(const Problem& pb, std::size_t j, const std::vector<double>& x);

/// The n x p Jacobian at x (row-major): central differences, one-sided at a bound or where one
/// side cannot be evaluated. False when a column cannot be had at all.
bool jacobian(const Problem& pb, const std::vector<double>& x, std::vector<double>& J);

/// Levenberg–Marquardt from x0 (which must lie within the bounds and be evaluable).
Solution solve(const Problem& pb, const std::vector<double>& x0);

/// s2 · (J^T J)^-1 by the singular value decomposition of J (n x p, row-major); empty, with
/// `why`, when J is rank-deficient (condition number above 1e12: the data do not determine
/// every variable).
struct Covariance {
    std::vector<double> cov;  ///< p x p, row-major
    double condition = 0;     ///< largest / smallest singular value of J
    std::string why;
};
Covariance covariance(const std::vector<double>& J, std::size_t n, std::size_t p, double s2);

}  // namespace racesim::fit
