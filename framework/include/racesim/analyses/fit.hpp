// `fit:` — calibration to data: the named parameters of a scenario fitted by least squares to
// observations of E, P, C, L or R read from a CSV file, on log or linear residuals. E and P are
// evaluated from the models (C, L and R, and the rate of a state-dependent model, come from a
// simulation of the scenario). The estimates come with standard errors and 95 % intervals from
// the Jacobian (and by bootstrap when asked), the residuals, the fitted curve with its band, and
// a `sample:`-ready distribution of the estimates; the scenario then runs at the estimate.
// An analysis module (racesim/run/analysis.hpp): framework/src/analyses/fit/. Its tables:
// fit.csv (also in summary.json), fit_covariance.csv (also in summary.json), fit_residuals.csv
// and fit_curve.csv. docs/analyses.md, "Calibration to data: fit:".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "racesim/run/analysis.hpp"

namespace racesim {

/// What `fit:` said, with the data it read (validated: every cell a finite number, positive
/// on a log scale, times inside the horizon where the quantity is simulated).
struct FitSpec final : AnalysisSpec {
    std::string data;  ///< the file as written
    std::string file;  ///< the file as read (relative paths joined to the config's directory)
    std::string t_column;
    double origin = 0;    ///< t = <t column> - origin, yr
    char quantity = 'E';  ///< 'E', 'P', 'C', 'L' or 'R'
    std::string column;   ///< the observed column
    bool log_scale = true;
    double factor = 1;               ///< observation = <column> * factor, in the quantity's unit
    std::string label_column;        ///< a column copied into fit_residuals.csv; "" none
    std::vector<std::string> paths;  ///< the fitted parameters
    std::vector<Mark> path_marks;
    std::int64_t bootstrap = 0;  ///< resamples; 0: none
    std::uint64_t seed = 1;
    std::int64_t max_iterations = 200;

    // The data, one entry per row used (in file order).
    std::vector<double> t, y;  ///< yr; observation in the quantity's unit
    std::vector<int> lines;    ///< 1-based line of each row in the file
    std::vector<std::string> labels;
};

/// One row of fit.csv: one fitted parameter of one scenario.
struct FitRow {
    std::string scenario, parameter, quantity, scale;
    double origin = 0;  ///< fit.t.origin: the data's time column at t = 0
    double start = 0, estimate = 0;
    std::optional<double> se, ci_low, ci_high;  ///< from the Jacobian; none without residual dof or when singular
    std::int64_t bootstrap = 0;                 ///< resamples that converged
    std::int64_t bootstrap_failed = 0;
    std::optional<double> bootstrap_se, bootstrap_low, bootstrap_high;
    std::int64_t n = 0, dof = 0;
    double rss = 0;               ///< sum of squared residuals (in the scale of the fit)
    std::optional<double> sigma;  ///< sqrt(rss / dof)
    bool converged = false;
    std::int64_t iterations = 0, evaluations = 0;
    std::string sample;   ///< this parameter's distribution for `sample:` (YAML flow map)
    std::string message;  ///< the solver's
};

/// One row of fit_covariance.csv: a pair of fitted parameters (i <= j).
struct FitCovarianceRow {
    std::string scenario, a, b;
    std::optional<double> covariance, correlation, rank_correlation;
    std::string sample;  ///< "[a, b, rho_s]" for `sample: {correlations: [...]}` (i < j only)
};

/// One row of fit_residuals.csv: one data row.
struct FitResidualRow {
    std::string scenario;
    std::int64_t line = 0;
    std::string label;
    double t = 0, observed = 0, fitted = 0, residual = 0;  ///< residual in the fit's scale (ln ratio or difference)
};

/// One row of fit_curve.csv: the fitted quantity on a grid over the data, with its pointwise
/// 95 % confidence band (delta method).
struct FitCurveRow {
    std::string scenario;
    double t = 0, fitted = 0;
    std::optional<double> low, high;
};

/// The module (one instance for the program's lifetime).
const Analysis& fit_analysis();
/// Its block's keys.
const KeyBlock& fit_keys();

}  // namespace racesim
