// `fit:`, calibration to data: the named parameters of a scenario fitted by least squares to
// observations of E, P, C, L or R in a CSV file. An analysis module: its keys, the reading of
// its block and of the data (every problem at the config's or the CSV's file:line:col), the
// fit in before_scenario (which puts the scenario at the estimate in its place), and its tables.
//
// The solver works in variables x: ln(theta - lo) for a parameter bounded only from below by
// an open bound (E0 > 0, tau > -1), theta itself otherwise (with the parameter's bounds).
// The estimates do not depend on that choice; the covariance is reported for theta
// (Cov_theta = D Cov_x D, D = d theta / d x, exact for the linearised covariance).
#include "racesim/analyses/fit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <numbers>
#include <sstream>

#include "least_squares.hpp"
#include "predict.hpp"
#include "racesim/analysis/compare.hpp"  // quantile_type7
#include "racesim/config/block_reader.hpp"
#include "racesim/config/sample.hpp"  // splitmix64
#include "racesim/config/scenario.hpp"
#include "racesim/core/csv.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/math.hpp"

namespace racesim {

namespace {

const KeyBlock& fit_t_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("fit.t", "The time of each data row: t = <column> - origin (yr; t = 0 is the scenario's start).");
        k.add_string("column").required().doc("The CSV column holding the time (a number, e.g. a decimal year).");
        k.add_real("origin").default_value(0.0).unit("yr").doc(
            "The column's value that is t = 0 (e.g. 2024 for a column of calendar years).");
        return k;
    }();
    return b;
}

const KeyBlock& fit_observe_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("fit.observe", "What each data row observes: a quantity of the scenario and its CSV column.");
        k.add_string("quantity")
            .required()
            .choices({"E", "P", "C", "L", "R"})
            .doc(
                "E (PFLOP/yr/MW) and P (MW) are evaluated from the models; C (PFLOP), L (nats/token) and R "
                "are simulated (as is E or P of a model whose rate depends on the state).");
        k.add_string("column").required().doc("The CSV column holding the observation.");
        k.add_string("scale")
            .choices({"log", "linear"})
            .default_value(std::string("log"))
            .doc("Residuals ln(model) - ln(observed) (log; observations must be > 0) or model - observed.");
        k.add_real("factor").positive().default_value(1.0).unit("1").doc(
            "Observation = column * factor, in the quantity's unit (FLOP/J to PFLOP/yr/MW: 0.0315576).");
        return k;
    }();
    return b;
}

}  // namespace

const KeyBlock& fit_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("fit",
                   "Calibration to data: the named parameters fitted by least squares to observations of E, P, C, L "
                   "or R in a CSV file; the scenario then runs at the estimate.");
        k.add_string("data").required().doc(
            "The CSV file (a header line naming the columns; blank lines and lines starting with # are skipped); "
            "a relative path is read from the config file's directory.");
        k.add_block("t", fit_t_keys()).required().doc("The time of each row: {column, origin}.");
        k.add_block("observe", fit_observe_keys())
            .required()
            .doc("What each row observes: {quantity, column, scale, factor}.");
        k.add_list("parameters", plugin::ParamType::string)
            .required()
            .min_items(1)
            .doc(
                "The parameter paths <block>.<parameter> to fit (real parameters); their values in the scenario "
                "are the start.");
        k.add_string("label").computed_default("none").doc(
            "A CSV column copied into fit_residuals.csv to name each row (e.g. the chip).");
        k.add_integer("bootstrap")
            .at_least(0)
            .default_value(std::int64_t{0})
            .unit("resamples")
            .doc(
                "Resamples of the rows (with replacement) for bootstrap standard errors and percentile intervals; 0: "
                "none.");
        k.add_integer("seed")
            .at_least(0)
            .default_value(std::int64_t{1})
            .unit("1")
            .doc("Seed of the bootstrap's resampling (the same seed gives the same resamples).");
        k.add_integer("max_iterations")
            .at_least(1)
            .default_value(std::int64_t{200})
            .unit("iterations")
            .doc("Levenberg-Marquardt iterations at most (each a Jacobian: 2 evaluations per parameter).");
        return k;
    }();
    return b;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Tables.

// clang-format off
const TableDef fit_table{"fit", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"parameter", "", "the fitted path", CellKind::text},
    {"quantity", "", "the observed quantity (E, P, C, L or R)", CellKind::text},
    {"scale", "", "log: residuals ln(model/observed); linear: model - observed", CellKind::text},
    {"origin", "yr", "the data's time column at t = 0 (fit.t.origin)"},
    {"start", "as configured", "the scenario's value, where the fit started"},
    {"estimate", "as configured", "the least-squares estimate"},
    {"se", "as configured", "standard error: sqrt of the diagonal of s^2 (J^T J)^-1, s^2 = rss / dof"},
    {"ci_low", "as configured", "estimate - t(0.975, dof) * se"},
    {"ci_high", "as configured", "estimate + t(0.975, dof) * se"},
    {"bootstrap", "", "bootstrap resamples whose fit converged", CellKind::integer},
    {"bootstrap_failed", "", "bootstrap resamples whose fit did not converge", CellKind::integer},
    {"bootstrap_se", "as configured", "standard deviation of the bootstrap estimates"},
    {"bootstrap_low", "as configured", "2.5 % quantile of the bootstrap estimates"},
    {"bootstrap_high", "as configured", "97.5 % quantile of the bootstrap estimates"},
    {"n", "", "data rows", CellKind::integer},
    {"dof", "", "residual degrees of freedom, n - (parameters)", CellKind::integer},
    {"rss", "", "sum of squared residuals, in the fit's scale"},
    {"sigma", "", "residual standard deviation, sqrt(rss / dof)"},
    {"converged", "", "the solver met its convergence criteria", CellKind::word},
    {"iterations", "", "Levenberg-Marquardt iterations", CellKind::integer},
    {"evaluations", "", "model evaluations (or simulations) of the fit, its Jacobians included", CellKind::integer},
    {"sample", "", "this parameter's distribution for sample: (normal approximation)", CellKind::text},
    {"message", "", "the solver's termination message, or why there is no standard error", CellKind::text},
}, true};

const TableDef covariance_table{"fit_covariance", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"a", "", "a fitted path", CellKind::text},
    {"b", "", "a fitted path", CellKind::text},
    {"covariance", "unit of a * unit of b", "Cov(a, b) of the estimates, s^2 (J^T J)^-1"},
    {"correlation", "1", "Pearson correlation of the normal approximation"},
    {"rank_correlation", "1", "Spearman rank correlation of that normal, (6/pi) asin(correlation/2)"},
    {"sample", "", "[a, b, rank_correlation] for sample: correlations (a before b)", CellKind::text},
}, true};

const TableDef residuals_table{"fit_residuals", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"line", "", "the row's line in the data file", CellKind::integer},
    {"label", "", "the label column's value", CellKind::text},
    {"t", "yr", "the row's time"},
    {"observed", "the quantity's", "the observation (column * factor)"},
    {"fitted", "the quantity's", "the model at the estimate"},
    {"residual", "", "ln(fitted/observed) (log scale) or fitted - observed (linear)"},
}};

const TableDef curve_table{"fit_curve", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"t", "yr", "a time from the first to the last data row"},
    {"fitted", "the quantity's", "the model at the estimate"},
    {"low", "the quantity's", "pointwise 95 % confidence band of the fitted curve (delta method), low"},
    {"high", "the quantity's", "the same, high"},
}};
// clang-format on

void render_fit(const FitRow& r, std::vector<Cell>& out) {
    out.insert(out.end(), {Cell{r.scenario},
                           Cell{r.parameter},
                           Cell{r.quantity},
                           Cell{r.scale},
                           Cell{r.origin},
                           Cell{r.start},
                           Cell{r.estimate},
                           number_cell(r.se),
                           number_cell(r.ci_low),
                           number_cell(r.ci_high),
                           Cell{r.bootstrap},
                           Cell{r.bootstrap_failed},
                           number_cell(r.bootstrap_se),
                           number_cell(r.bootstrap_low),
                           number_cell(r.bootstrap_high),
                           Cell{r.n},
                           Cell{r.dof},
                           Cell{r.rss},
                           number_cell(r.sigma),
                           Cell{std::string(r.converged ? "true" : "false")},
                           Cell{r.iterations},
                           Cell{r.evaluations},
                           Cell{r.sample},
                           Cell{r.message}});
}

void render_covariance(const FitCovarianceRow& r, std::vector<Cell>& out) {
    out.insert(out.end(), {Cell{r.scenario}, Cell{r.a}, Cell{r.b}, number_cell(r.covariance),
                           number_cell(r.correlation), number_cell(r.rank_correlation), Cell{r.sample}});
}

void render_residual(const FitResidualRow& r, std::vector<Cell>& out) {
    out.insert(out.end(), {Cell{r.scenario}, Cell{r.line}, Cell{r.label}, Cell{r.t}, Cell{r.observed}, Cell{r.fitted},
                           Cell{r.residual}});
}

void render_curve(const FitCurveRow& r, std::vector<Cell>& out) {
    out.insert(out.end(), {Cell{r.scenario}, Cell{r.t}, Cell{r.fitted}, number_cell(r.low), number_cell(r.high)});
}

/// What before_scenario found, for after_scenario.
struct Outcome {
    std::vector<FitRow> fit;
    std::vector<FitCovarianceRow> covariance;
    std::vector<FitResidualRow> residuals;
    std::vector<FitCurveRow> curve;
};

// ---------------------------------------------------------------------------------------------
// Reading the data.

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

/// A CSV file as `fit:` reads it: records (RFC 4180 quoting) with the line each starts on,
/// blank lines and lines starting with '#' skipped, the first other record the header.
struct CsvFile {
    std::vector<std::string> header;
    struct Record {
        int line = 0;
        std::vector<std::string> fields;
        std::vector<int> columns;  ///< 1-based column of each field (0: unknown, e.g. a quoted field before it)
    };
    std::vector<Record> records;
};

/// The 1-based column where each field of `line` starts, while no field is quoted.
std::vector<int> field_columns(const std::string& line, std::size_t fields) {
    std::vector<int> col;
    std::size_t pos = 0;
    for (std::size_t k = 0; k < fields; ++k) {
        if (pos > line.size() || (pos < line.size() && line[pos] == '"')) {
            col.resize(fields, 0);
            return col;
        }
        col.push_back(static_cast<int>(pos) + 1);
        const auto comma = line.find(',', pos);
        if (comma == std::string::npos) {
            col.resize(fields, 0);
            return col;
        }
        pos = comma + 1;
    }
    return col;
}

std::optional<CsvFile> read_csv_file(const std::string& text, const std::string& file, Diagnostics& d,
                                     const std::string& where, const Mark& config) {
    std::vector<std::string> lines;
    {
        std::istringstream ls(text);
        for (std::string l; std::getline(ls, l);) lines.push_back(l);
    }
    std::istringstream in(text);
    csv::Reader reader(in);
    CsvFile out;
    std::vector<std::string> fields;
    try {
        while (reader.next(fields)) {
            const int line = static_cast<int>(reader.line());
            if (fields.size() == 1 && trim(fields[0]).empty()) continue;
            if (!fields.empty() && !fields[0].empty() && trim(fields[0]).rfind('#', 0) == 0) continue;
            CsvFile::Record r;
            r.line = line;
            r.fields = fields;
            r.columns = line >= 1 && static_cast<std::size_t>(line) <= lines.size()
                            ? field_columns(lines[static_cast<std::size_t>(line) - 1], fields.size())
                            : std::vector<int>(fields.size(), 0);
            if (out.header.empty()) {
                for (auto& f : r.fields) f = trim(f);
                out.header = r.fields;
                continue;
            }
            out.records.push_back(std::move(r));
        }
    } catch (const csv::Error& e) {
        note(d.error(Mark{file, static_cast<int>(e.line), 1}, e.what()), where, config);
        return std::nullopt;
    }
    if (out.header.empty()) {
        note(d.error(Mark{file, 1, 1}, "no header line naming the columns (the file has no data)"), where, config);
        return std::nullopt;
    }
    return out;
}

/// "a" or the nearest header with the list.
void column_notes(Diagnostic& e, const std::string& name, const std::vector<std::string>& header) {
    if (auto s = suggest(name, header); !s.empty()) note(e, "did you mean '" + s + "'?");
    note(e, "its columns: " + join(header));
}

char quantity_of(const std::string& q) {
    return q.empty() ? 'E' : q[0];
}

bool is_simulated_quantity(char q) {
    return q == 'C' || q == 'L' || q == 'R';
}

std::optional<std::string> scalar_string(const BlockReader& r, const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
        r.error(n, "expected a string for " + what + ", got " + describe_node(n));
        return std::nullopt;
    }
    return n.Scalar();
}

// ---------------------------------------------------------------------------------------------
// The fit.

/// How one fitted parameter maps to the solver's variable.
struct Variable {
    std::string path;
    double start = 0;
    bool log = false;                                         ///< x = ln(theta - lo)
    double lo = 0;                                            ///< the open lower bound of a log variable
    double lower = -std::numeric_limits<double>::infinity();  ///< bounds on x otherwise
    double upper = std::numeric_limits<double>::infinity();
    std::optional<double> clip_min, clip_max;  ///< closed (or nudged open) bounds on theta, for sample:
    bool lognormal = false;                    ///< sample: a lognormal (lo = 0)

    [[nodiscard]] double x_of(double theta) const { return log ? std::log(theta - lo) : theta; }
    [[nodiscard]] double theta_of(double x) const { return log ? lo + std::exp(x) : x; }
    /// d theta / d x.
    [[nodiscard]] double slope(double x) const { return log ? std::exp(x) : 1.0; }
};

Variable variable_of(const ScenarioSpec& sc, const std::string& path, double start) {
    Variable v;
    v.path = path;
    v.start = start;
    std::string why;
    const auto pp = parse_parameter_path(sc, path, why);
    const plugin::ParamSpec* ps = nullptr;
    if (pp && pp->block == "baseline")
        ps = &baseline_keys().at(pp->name).param;
    else if (pp)
        ps = parameter_spec(sc, *pp);
    const auto lower = ps ? ps->lower : std::nullopt;
    const auto upper = ps ? ps->upper : std::nullopt;
    if (lower && !lower->inclusive && !upper) {
        v.log = true;
        v.lo = lower->value;
        v.lognormal = v.lo == 0;
        if (!v.lognormal) v.clip_min = v.lo + 1e-12 * std::max(1.0, std::abs(v.lo));
        return v;
    }
    // Open bounds nudged inward (the solver's bounds are closed).
    if (lower) {
        v.lower = lower->inclusive ? lower->value : lower->value + 1e-12 * std::max(1.0, std::abs(lower->value));
        v.clip_min = v.lower;
    }
    if (upper) {
        v.upper = upper->inclusive ? upper->value : upper->value - 1e-12 * std::max(1.0, std::abs(upper->value));
        v.clip_max = v.upper;
    }
    return v;
}

std::string fmt_num(double x) {
    return csv::number(x);
}

/// The fit of one scenario: the estimates, their covariance, the residuals and the curve.
class Fitter {
public:
    Fitter(const AnalysisContext& ctx, const FitSpec& f, const ScenarioSpec& sc) : ctx_(ctx), f_(f), sc_(sc) {
        for (std::size_t j = 0; j < f.paths.size(); ++j) {
            const auto v = parameter_value(sc, f.paths[j]);
            if (!v) throw RunError("scenario '" + sc.name + "': fit: " + f.paths[j] + " has no value to start from");
            vars_.push_back(variable_of(sc, f.paths[j], *v));
        }
    }

    /// The scenario at parameter values theta (throws ConfigError when one is refused).
    [[nodiscard]] ScenarioInstance at(const std::vector<double>& theta) const {
        std::vector<Assignment> as;
        for (std::size_t j = 0; j < vars_.size(); ++j)
            as.push_back({vars_[j].path, plugin::Value{theta[j]}, plugin::math::format(theta[j]), f_.mark});
        return ctx_.models.with_parameters(sc_, as, sc_.name, false);
    }

    [[nodiscard]] std::vector<double> theta_of(const std::vector<double>& x) const {
        std::vector<double> th(x.size());
        for (std::size_t j = 0; j < x.size(); ++j) th[j] = vars_[j].theta_of(x[j]);
        return th;
    }

    /// The quantity at times t for variables x; false (with why_) when x cannot be evaluated. A
    /// fault that must not be retried (a plugin's, an interrupt) is kept and stops the solver.
    bool predict_at(const std::vector<double>& x, const std::vector<double>& t, std::vector<double>& out) {
        ++evaluations_;
        try {
            check_interrupt();
            const ScenarioInstance inst = at(theta_of(x));
            out = fit::predict(ctx_.experiment, inst, f_.quantity, t);
            for (double v : out)
                if (!std::isfinite(v) || (f_.log_scale && !(v > 0))) {
                    why_ = "the model gives " + fmt_num(v) + (f_.log_scale ? " (a log scale needs > 0)" : "");
                    return false;
                }
            return true;
        } catch (const ConfigError& e) {
            const auto& d = e.diagnostics.errors();
            why_ = d.empty() ? std::string(e.what()) : d.front().message;
        } catch (const PluginError& e) {
            if (!e.parameter_error) {
                fatal_ = std::current_exception();
                return false;
            }
            why_ = e.what();
        } catch (const RunError& e) {
            why_ = e.what();
        } catch (...) {
            fatal_ = std::current_exception();
        }
        return false;
    }

    /// The residuals of the rows `rows` (indices into the data) at x.
    bool residuals(const std::vector<double>& x, const std::vector<std::size_t>& rows, std::vector<double>& r) {
        std::vector<double> m;
        if (!predict_at(x, f_.t, m)) return false;
        r.resize(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::size_t k = rows[i];
            r[i] = f_.log_scale ? std::log(m[k]) - std::log(f_.y[k]) : m[k] - f_.y[k];
        }
        return true;
    }

    fit::Problem problem(const std::vector<std::size_t>& rows, double delta) {
        fit::Problem pb;
        pb.n = rows.size();
        pb.p = vars_.size();
        pb.residuals = [this, rows](const std::vector<double>& x, std::vector<double>& r) {
            return residuals(x, rows, r);
        };
        for (const auto& v : vars_) {
            // ln(theta - lo): a relative step of theta. theta itself: relative to its value, and
            // at least delta times its start (or delta where it starts at 0).
            pb.step.push_back(v.log ? delta : delta * (v.start != 0 ? std::abs(v.start) : 1.0));
            pb.rel_step.push_back(v.log ? 0.0 : delta);
            pb.lower.push_back(v.lower);
            pb.upper.push_back(v.upper);
        }
        pb.max_iterations = static_cast<int>(f_.max_iterations);
        pb.stop = [this] { return static_cast<bool>(fatal_); };
        return pb;
    }

    void rethrow_fatal() const {
        if (fatal_) std::rethrow_exception(fatal_);
    }

    std::shared_ptr<Outcome> run(std::vector<double>& theta_hat) {
        const std::size_t n = f_.t.size(), p = vars_.size();
        std::vector<std::size_t> all(n);
        for (std::size_t i = 0; i < n; ++i) all[i] = i;
        // Finite-difference steps: relative 1e-5 for exact evaluations (central differences then
        // err by ~1e-10), 1e-4 where a simulation's ~rel_tol noise divides by the step.
        const bool sim = f_.quantity != 'E' && f_.quantity != 'P' ? true : simulated_at_start();
        const double delta = sim ? 1e-4 : 1e-5;
        fit::Problem pb = problem(all, delta);
        std::vector<double> x0(p);
        for (std::size_t j = 0; j < p; ++j) x0[j] = vars_[j].x_of(vars_[j].start);
        std::vector<double> r0;
        if (!residuals(x0, all, r0)) {
            rethrow_fatal();
            throw RunError("scenario '" + sc_.name + "': fit: the model cannot be evaluated at the start (" +
                           start_text() + "): " + why_);
        }
        fit::Solution s = fit::solve(pb, x0);
        rethrow_fatal();
        if (!s.usable)
            throw RunError("scenario '" + sc_.name + "': fit: no solution from the start (" + start_text() +
                           "): " + s.message + (why_.empty() ? "" : " (last problem: " + why_ + ")"));
        theta_hat = theta_of(s.x);
        const std::int64_t evaluations = evaluations_;  // the fit's own, before any bootstrap

        auto out = std::make_shared<Outcome>();
        const std::int64_t dof = static_cast<std::int64_t>(n) - static_cast<std::int64_t>(p);
        const double s2 = dof > 0 ? s.rss / static_cast<double>(dof) : 0;
        std::vector<double> cov_x;
        std::string no_se;
        if (dof <= 0) {
            no_se = "no standard errors: as many data rows as parameters (no residual degrees of freedom)";
        } else {
            const fit::Covariance c = fit::covariance(s.J, n, p, s2);
            cov_x = c.cov;
            no_se = c.why;
        }
        const double q = dof > 0 ? boost::math::quantile(boost::math::students_t(static_cast<double>(dof)), 0.975) : 0;
        std::vector<double> cov(p * p, 0.0);
        if (!cov_x.empty())
            for (std::size_t i = 0; i < p; ++i)
                for (std::size_t j = 0; j < p; ++j)
                    cov[i * p + j] = vars_[i].slope(s.x[i]) * cov_x[i * p + j] * vars_[j].slope(s.x[j]);

        // Bootstrap: resample the rows with replacement, refit from the estimate.
        std::vector<std::vector<double>> boot(p);
        std::int64_t failed = 0;
        for (std::int64_t b = 0; b < f_.bootstrap; ++b) {
            std::uint64_t state = splitmix64(splitmix64(f_.seed) ^ static_cast<std::uint64_t>(b));
            std::vector<std::size_t> rows(n);
            for (auto& k : rows) {
                state = splitmix64(state);
                k = static_cast<std::size_t>(state % n);  // bias n / 2^64: none that matters
            }
            fit::Problem bp = problem(rows, delta);
            const fit::Solution bs = fit::solve(bp, s.x);
            rethrow_fatal();
            if (!bs.usable || !bs.converged) {
                ++failed;
                continue;
            }
            const auto th = theta_of(bs.x);
            for (std::size_t j = 0; j < p; ++j) boot[j].push_back(th[j]);
        }

        const std::string quantity(1, f_.quantity);
        for (std::size_t j = 0; j < p; ++j) {
            FitRow r;
            r.scenario = sc_.name;
            r.parameter = vars_[j].path;
            r.quantity = quantity;
            r.scale = f_.log_scale ? "log" : "linear";
            r.origin = f_.origin;
            r.start = vars_[j].start;
            r.estimate = theta_hat[j];
            if (!cov_x.empty()) {
                r.se = std::sqrt(cov[j * p + j]);
                r.ci_low = r.estimate - q * *r.se;
                r.ci_high = r.estimate + q * *r.se;
                const double se_x = std::sqrt(cov_x[j * p + j]);
                const Variable& v = vars_[j];
                if (v.lognormal) {
                    r.sample = "{dist: lognormal, mu: " + fmt_num(s.x[j]) + ", sigma: " + fmt_num(se_x) + "}";
                } else {
                    r.sample = "{dist: normal, mean: " + fmt_num(r.estimate) + ", sd: " + fmt_num(*r.se);
                    if (v.clip_min) r.sample += ", min: " + fmt_num(*v.clip_min);
                    if (v.clip_max) r.sample += ", max: " + fmt_num(*v.clip_max);
                    r.sample += "}";
                }
            }
            r.bootstrap = static_cast<std::int64_t>(boot[j].size());
            r.bootstrap_failed = failed;
            if (boot[j].size() >= 2) {
                std::vector<double> v = boot[j];
                double mean = 0;
                for (double e : v) mean += e;
                mean /= static_cast<double>(v.size());
                double ss = 0;
                for (double e : v) ss += (e - mean) * (e - mean);
                r.bootstrap_se = std::sqrt(ss / static_cast<double>(v.size() - 1));
                std::sort(v.begin(), v.end());
                r.bootstrap_low = quantile_type7(v, 0.025);
                r.bootstrap_high = quantile_type7(v, 0.975);
            }
            r.n = static_cast<std::int64_t>(n);
            r.dof = dof;
            r.rss = s.rss;
            if (dof > 0) r.sigma = std::sqrt(s2);
            r.converged = s.converged;
            r.iterations = s.iterations;
            r.evaluations = evaluations;
            r.message = s.message + (no_se.empty() ? "" : "; " + no_se);
            out->fit.push_back(std::move(r));
        }
        for (std::size_t i = 0; i < p; ++i)
            for (std::size_t j = i; j < p; ++j) {
                FitCovarianceRow c;
                c.scenario = sc_.name;
                c.a = vars_[i].path;
                c.b = vars_[j].path;
                if (!cov_x.empty()) {
                    c.covariance = cov[i * p + j];
                    const double rho = cov_x[i * p + j] / std::sqrt(cov_x[i * p + i] * cov_x[j * p + j]);
                    c.correlation = std::clamp(rho, -1.0, 1.0);
                    c.rank_correlation = 6 / std::numbers::pi * std::asin(*c.correlation / 2);
                    if (i < j) c.sample = "[" + c.a + ", " + c.b + ", " + fmt_num(*c.rank_correlation) + "]";
                }
                out->covariance.push_back(std::move(c));
            }

        std::vector<double> fitted;
        if (!predict_at(s.x, f_.t, fitted)) {
            rethrow_fatal();
            throw RunError("scenario '" + sc_.name + "': fit: the model cannot be evaluated at the estimate: " + why_);
        }
        for (std::size_t i = 0; i < n; ++i) {
            FitResidualRow rr;
            rr.scenario = sc_.name;
            rr.line = f_.lines[i];
            rr.label = f_.labels.empty() ? std::string() : f_.labels[i];
            rr.t = f_.t[i];
            rr.observed = f_.y[i];
            rr.fitted = fitted[i];
            rr.residual = f_.log_scale ? std::log(fitted[i]) - std::log(f_.y[i]) : fitted[i] - f_.y[i];
            out->residuals.push_back(std::move(rr));
        }
        std::vector<double> steps;
        for (std::size_t j = 0; j < p; ++j) steps.push_back(fit::step_at(pb, j, s.x));
        curve(s.x, steps, cov_x, q, *out);
        return out;
    }

private:
    bool simulated_at_start() {
        try {
            const ScenarioInstance inst = at(theta_of([&] {
                std::vector<double> x;
                for (const auto& v : vars_) x.push_back(v.x_of(v.start));
                return x;
            }()));
            return fit::simulated(f_.quantity, inst.model);
        } catch (const ConfigError&) {
            return true;
        }
    }

    [[nodiscard]] std::string start_text() const {
        std::string s;
        for (const auto& v : vars_) s += (s.empty() ? "" : ", ") + v.path + " = " + plugin::math::format(v.start);
        return s;
    }

    /// fit_curve.csv: the fitted quantity on a grid from the first to the last data time (and
    /// on both sides of each breakpoint inside it), with the pointwise 95 % band
    /// g(t) -+ q·sqrt(d g/dx^T Cov_x d g/dx), g = ln(model) (log scale) or the model.
    void curve(const std::vector<double>& x, const std::vector<double>& step, const std::vector<double>& cov_x,
               double q, Outcome& out) {
        const auto [lo_it, hi_it] = std::minmax_element(f_.t.begin(), f_.t.end());
        const double lo = *lo_it, hi = *hi_it;
        std::vector<double> grid;
        const int points = 200;
        for (int k = 0; k <= points; ++k) grid.push_back(hi > lo ? lo + (hi - lo) * k / points : lo);
        grid.back() = hi;
        try {
            const ScenarioInstance inst = at(theta_of(x));
            std::vector<double> bp;
            inst.model.efficiency->breakpoints(lo, hi, bp);
            inst.model.power->breakpoints(lo, hi, bp);
            for (double b : bp) {
                grid.push_back(b);
                grid.push_back(std::nextafter(b, -std::numeric_limits<double>::infinity()));
            }
        } catch (const ConfigError&) {
        }
        std::sort(grid.begin(), grid.end());
        grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
        std::vector<double> g0;
        if (!predict_at(x, grid, g0)) return;
        const std::size_t p = x.size(), m = grid.size();
        auto scale = [&](double v) { return f_.log_scale ? std::log(v) : v; };
        std::vector<std::vector<double>> grad(p, std::vector<double>(m, 0.0));
        bool band = !cov_x.empty();
        for (std::size_t j = 0; band && j < p; ++j) {
            std::vector<double> xp = x, xm = x, gp, gm;
            xp[j] += step[j];
            xm[j] -= step[j];
            const bool okp = xp[j] <= vars_[j].upper && predict_at(xp, grid, gp);
            const bool okm = xm[j] >= vars_[j].lower && predict_at(xm, grid, gm);
            if (okp && okm) {
                for (std::size_t k = 0; k < m; ++k) grad[j][k] = (scale(gp[k]) - scale(gm[k])) / (2 * step[j]);
            } else if (okp) {
                for (std::size_t k = 0; k < m; ++k) grad[j][k] = (scale(gp[k]) - scale(g0[k])) / step[j];
            } else if (okm) {
                for (std::size_t k = 0; k < m; ++k) grad[j][k] = (scale(g0[k]) - scale(gm[k])) / step[j];
            } else {
                band = false;
            }
        }
        rethrow_fatal();
        for (std::size_t k = 0; k < m; ++k) {
            FitCurveRow r;
            r.scenario = sc_.name;
            r.t = grid[k];
            r.fitted = g0[k];
            if (band) {
                double var = 0;
                for (std::size_t i = 0; i < p; ++i)
                    for (std::size_t j = 0; j < p; ++j) var += grad[i][k] * cov_x[i * p + j] * grad[j][k];
                const double w = q * std::sqrt(std::max(var, 0.0));
                r.low = f_.log_scale ? g0[k] * std::exp(-w) : g0[k] - w;
                r.high = f_.log_scale ? g0[k] * std::exp(w) : g0[k] + w;
            }
            out.curve.push_back(std::move(r));
        }
    }

    const AnalysisContext& ctx_;
    const FitSpec& f_;
    const ScenarioSpec& sc_;
    std::vector<Variable> vars_;
    std::int64_t evaluations_ = 0;
    std::string why_;
    std::exception_ptr fatal_;
};

// ---------------------------------------------------------------------------------------------
// The module.

class Fit final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return fit_keys(); }
    [[nodiscard]] std::vector<const TableDef*> tables() const override {
        return {&fit_table, &covariance_table, &residuals_table, &curve_table};
    }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec& base) const override {
        if (!r.expect(n, YAML::NodeType::Map,
                      "a map for 'fit' ({data: FILE, t: {column, origin}, observe: {quantity, column}, parameters: "
                      "[...]})"))
            return nullptr;
        const KeyBlock& k = fit_keys();
        const std::size_t errors_before = r.diagnostics().count();
        r.check_keys(n, k, "'fit'");
        auto s = std::make_shared<FitSpec>();
        s->kind = this;
        s->mark = r.mark(n);
        bool ok = true;
        for (const char* req : {"data", "t", "observe", "parameters"})
            if (!n[req]) {
                r.error(n, std::string("missing required key '") + req + "' in 'fit'");
                ok = false;
            }
        if (!ok) return nullptr;

        // t and observe.
        const YAML::Node tn = n["t"], on = n["observe"];
        if (!r.expect(tn, YAML::NodeType::Map, "a map for fit.t ({column: NAME, origin: 2024})")) return nullptr;
        if (!r.expect(on, YAML::NodeType::Map, "a map for fit.observe ({quantity: E, column: NAME, scale: log})"))
            return nullptr;
        r.check_keys(tn, fit_t_keys(), "'fit.t'");
        r.check_keys(on, fit_observe_keys(), "'fit.observe'");
        for (const auto& [node, req, where] :
             {std::tuple{tn, "column", "fit.t"}, std::tuple{on, "quantity", "fit.observe"},
              std::tuple{on, "column", "fit.observe"}})
            if (!node[req]) {
                r.error(node, std::string("missing required key '") + req + "' in '" + where + "'");
                ok = false;
            }
        if (!ok) return nullptr;
        const auto t_col = scalar_string(r, tn["column"], "fit.t.column");
        const auto o_col = scalar_string(r, on["column"], "fit.observe.column");
        ok = t_col && o_col;
        if (t_col) s->t_column = *t_col;
        if (o_col) s->column = *o_col;
        if (const YAML::Node o = tn["origin"]) {
            if (auto v = r.real_key(o, "fit.t.origin", fit_t_keys().at("origin")))
                s->origin = *v;
            else
                ok = false;
        }
        if (auto q = r.choice_key(on["quantity"], "fit.observe.quantity", fit_observe_keys().at("quantity")))
            s->quantity = quantity_of(*q);
        else
            ok = false;
        if (const YAML::Node sc = on["scale"]) {
            if (auto v = r.choice_key(sc, "fit.observe.scale", fit_observe_keys().at("scale")))
                s->log_scale = *v == "log";
            else
                ok = false;
        }
        if (const YAML::Node fc = on["factor"]) {
            if (auto v = r.real_key(fc, "fit.observe.factor", fit_observe_keys().at("factor")))
                s->factor = *v;
            else
                ok = false;
        }
        if (const YAML::Node lb = n["label"]) {
            if (auto v = scalar_string(r, lb, "fit.label"))
                s->label_column = *v;
            else
                ok = false;
        }
        for (const auto& [key, field] : {std::pair<const char*, std::int64_t*>{"bootstrap", &s->bootstrap},
                                         std::pair<const char*, std::int64_t*>{"max_iterations", &s->max_iterations}})
            if (const YAML::Node v = n[key]) {
                if (auto x = r.integer_key(v, std::string("fit.") + key, k.at(key)))
                    *field = *x;
                else
                    ok = false;
            }
        if (const YAML::Node v = n["seed"]) {
            if (auto x = r.integer_key(v, "fit.seed", k.at("seed")))
                s->seed = static_cast<std::uint64_t>(*x);
            else
                ok = false;
        }

        // Parameters.
        const YAML::Node ps = n["parameters"];
        if (!r.expect(ps, YAML::NodeType::Sequence, "a list of parameter paths for fit.parameters")) return nullptr;
        if (ps.size() == 0) {
            r.error(ps, "fit.parameters is empty: name at least one parameter to fit");
            return nullptr;
        }
        for (const auto& p : ps) {
            std::string why;
            if (!p.IsScalar()) {
                r.error(p, "expected a parameter path, got " + describe_node(p));
                ok = false;
                continue;
            }
            const std::string path = p.Scalar();
            const auto pp = parse_parameter_path(base, path, why);
            if (!pp) {
                r.error(p, why);
                ok = false;
                continue;
            }
            if (std::find(s->paths.begin(), s->paths.end(), path) != s->paths.end()) {
                r.error(p, "fit.parameters names " + path + " twice");
                ok = false;
                continue;
            }
            if (pp->block != "baseline") {
                const plugin::ParamSpec* spec = parameter_spec(base, *pp);
                if (spec && spec->type != plugin::ParamType::real) {
                    auto& e =
                        r.error(p, "cannot fit " + path + ": it is " +
                                       (spec->type == plugin::ParamType::integer ? "an integer" : "not a number") +
                                       " (a least-squares fit moves real parameters)");
                    (void)e;
                    ok = false;
                    continue;
                }
            }
            if (pp->block == "loss" && (s->quantity == 'E' || s->quantity == 'P' || s->quantity == 'C')) {
                auto& e = r.error(p, "cannot fit " + path + " to observations of " + std::string(1, s->quantity) +
                                         ": the loss law does not change " + std::string(1, s->quantity));
                note(e, "fit loss parameters to observations of L or R");
                ok = false;
                continue;
            }
            if (!parameter_value(base, path)) {
                auto& e = r.error(
                    p, "cannot fit " + path + ": it has no value in scenario '" + base.name + "' to start from");
                note(e, "give it a value in the scenario: the fit starts there");
                ok = false;
                continue;
            }
            s->paths.push_back(path);
            s->path_marks.push_back(r.mark(p));
        }

        // The data.
        const YAML::Node dn = n["data"];
        const auto data = scalar_string(r, dn, "fit.data");
        if (!data || !ok || r.diagnostics().count() != errors_before) return nullptr;
        s->data = *data;
        std::filesystem::path file(*data);
        if (file.is_relative()) file = r.file().parent_path() / file;
        s->file = file.lexically_normal().string();
        // A regular file of bounded size: a device (/dev/zero) would be read without end, a pipe
        // without a writer would hang.
        constexpr std::uintmax_t max_bytes = std::uintmax_t{1} << 26;
        std::error_code ec;
        const auto status = std::filesystem::status(file, ec);
        std::string problem;
        if (!std::filesystem::exists(status))
            problem = "no such file";
        else if (std::filesystem::is_directory(status))
            problem = "a directory, not a file";
        else if (!std::filesystem::is_regular_file(status))
            problem = "not a regular file (a device, a pipe or a socket): fit reads a CSV file";
        else if (const auto size = std::filesystem::file_size(file, ec); !ec && size > max_bytes)
            problem =
                std::to_string(size) + " bytes; fit reads files of at most " + std::to_string(max_bytes) + " bytes";
        if (!problem.empty()) {
            auto& e = r.error(dn, "fit.data = '" + *data + "': " + problem);
            if (std::filesystem::path(*data).is_relative())
                note(e, "a relative path is read relative to the directory of the config file");
            return nullptr;
        }
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in && !in.eof()) {
            r.error(dn, "fit.data = '" + *data + "': cannot be read");
            return nullptr;
        }
        Diagnostics& d = r.diagnostics();
        const std::string where = "read as the data of 'fit' in scenario '" + base.name + "'";
        auto csv = read_csv_file(text.str(), s->file, d, where, r.mark(dn));
        if (!csv) return nullptr;
        auto index_of = [&](const std::string& name, const YAML::Node& where,
                            const char* what) -> std::optional<std::size_t> {
            const auto it = std::find(csv->header.begin(), csv->header.end(), name);
            if (it != csv->header.end()) return static_cast<std::size_t>(it - csv->header.begin());
            auto& e = r.error(where, std::string(what) + ": no column '" + name + "' in " + s->file);
            column_notes(e, name, csv->header);
            return std::nullopt;
        };
        const auto ti = index_of(s->t_column, tn["column"], "fit.t.column");
        const auto yi = index_of(s->column, on["column"], "fit.observe.column");
        std::optional<std::size_t> li;
        if (!s->label_column.empty()) li = index_of(s->label_column, n["label"], "fit.label");
        if (!ti || !yi || (!s->label_column.empty() && !li)) return nullptr;

        // Every row: numbers in the time and observed columns.
        const std::string q(1, s->quantity);
        const bool sim = is_simulated_quantity(s->quantity);
        int bad = 0;
        Diagnostic* last = nullptr;
        auto cell_error = [&](const CsvFile::Record& rec, std::size_t col, const std::string& message) -> Diagnostic& {
            const int c = col < rec.columns.size() ? rec.columns[col] : 0;
            ++bad;
            auto& e = d.error(Mark{s->file, rec.line, c}, message);
            note(e, where, r.mark(dn));
            last = &e;
            return e;
        };
        for (const auto& rec : csv->records) {
            if (bad >= 10) {  // `last` is still valid: nothing was added since
                note(*last, "reading " + s->file + " stopped here, after 10 problems");
                break;
            }
            if (rec.fields.size() != csv->header.size()) {
                cell_error(rec, 0,
                           "this row has " + std::to_string(rec.fields.size()) + " fields; the header has " +
                               std::to_string(csv->header.size()));
                continue;
            }
            double tv = 0, yv = 0;
            bool row_ok = true;
            for (const auto& [col, name, out] : {std::tuple{*ti, s->t_column, &tv}, std::tuple{*yi, s->column, &yv}}) {
                const std::string cell = trim(rec.fields[col]);
                switch (parse_real(cell, *out)) {
                    case NumParse::ok:
                        break;
                    case NumParse::out_of_range:
                        cell_error(
                            rec, col,
                            "'" + printable(cell) + "' in column '" + name + "' is out of the range of a double");
                        row_ok = false;
                        break;
                    default:
                        cell_error(rec, col,
                                   (cell.empty() ? std::string("an empty cell") : "'" + printable(cell) + "'") +
                                       " in column '" + name + "' is not a number");
                        row_ok = false;
                }
            }
            if (!row_ok) continue;
            const double t = tv - s->origin, y = yv * s->factor;
            if (!std::isfinite(y)) {
                cell_error(rec, *yi,
                           name_value(s->column, yv) + " times factor " + fmt_num(s->factor) +
                               " leaves the range of a double");
                continue;
            }
            if (s->log_scale && !(y > 0)) {
                auto& e = cell_error(rec, *yi,
                                     "fit.observe.scale is log, but " + name_value(s->column, yv) +
                                         " is not positive: its logarithm does not exist");
                note(e, "use scale: linear, or leave the row out", r.mark(on["scale"] ? on["scale"] : on));
                continue;
            }
            if (sim && !(t >= 0 && t <= base.horizon)) {
                auto& e = cell_error(rec, *ti,
                                     name_value(s->t_column, tv) + " is t = " + fmt_num(t) + " yr, " +
                                         (t < 0 ? "before the scenario's start (t = 0)"
                                                : "after its horizon (" + fmt_num(base.horizon) + " yr)") +
                                         ": " + q + " is simulated from t = 0 to the horizon");
                note(e, "t = " + s->t_column + " - origin (" + fmt_num(s->origin) + ")", r.mark(tn));
                continue;
            }
            s->t.push_back(t);
            s->y.push_back(y);
            s->lines.push_back(rec.line);
            if (li) s->labels.push_back(trim(rec.fields[*li]));
        }
        if (bad > 0) return nullptr;
        if (s->t.size() < s->paths.size()) {
            auto& e = r.error(ps, "fit: " + std::to_string(s->t.size()) + " data row" + (s->t.size() == 1 ? "" : "s") +
                                      " for " + std::to_string(s->paths.size()) +
                                      " parameters: a least-squares fit needs at least as many rows as parameters");
            note(e, "the rows of " + s->file, r.mark(dn));
            return nullptr;
        }
        return s;
    }

    [[nodiscard]] std::optional<ScenarioInstance> before_scenario(const AnalysisContext& ctx, const AnalysisSpec& spec,
                                                                  const ScenarioInstance& inst,
                                                                  std::any& state) const override {
        const auto& f = dynamic_cast<const FitSpec&>(spec);
        Fitter fitter(ctx, f, *inst.spec);
        std::vector<double> theta;
        std::shared_ptr<const Outcome> outcome = fitter.run(theta);
        state = outcome;
        ScenarioInstance at = fitter.at(theta);
        auto copy = std::make_shared<ScenarioSpec>(*at.spec);
        copy->analyses = inst.spec->analyses;
        at.spec = copy.get();
        at.owned = std::move(copy);
        at.declared = inst.declared;
        return at;
    }

    void after_scenario(const AnalysisContext&, const AnalysisSpec&, const ScenarioResult&, const std::any& state,
                        TableSet& tables) const override {
        const auto& o = *std::any_cast<std::shared_ptr<const Outcome>>(state);
        auto fit = std::make_unique<TypedRows<FitRow>>(fit_table, render_fit);
        fit->rows = o.fit;
        auto cov = std::make_unique<TypedRows<FitCovarianceRow>>(covariance_table, render_covariance);
        cov->rows = o.covariance;
        auto res = std::make_unique<TypedRows<FitResidualRow>>(residuals_table, render_residual);
        res->rows = o.residuals;
        auto curve = std::make_unique<TypedRows<FitCurveRow>>(curve_table, render_curve);
        curve->rows = o.curve;
        tables.push_back(std::move(fit));
        tables.push_back(std::move(cov));
        tables.push_back(std::move(res));
        tables.push_back(std::move(curve));
    }

private:
    static std::string name_value(const std::string& column, double v) { return column + " = " + fmt_num(v); }
    std::string key_ = "fit";
};

}  // namespace

const Analysis& fit_analysis() {
    static const Fit module;
    return module;
}

}  // namespace racesim
