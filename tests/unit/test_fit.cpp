// `fit:` (framework/src/analyses/fit/): calibration to data.
//   - a log-scale fit of continuous doubling is linear least squares in (ln E0, gamma): the
//     estimates equal the normal equations' solution to 1e-9 and the standard errors, intervals,
//     correlation and sample: distribution the textbook formulas to 1e-6;
//   - recovery of known parameters from synthetic data with noise: a nonlinear (logistic) fit
//     on a linear scale and a trajectory fit of C(t) on a discrete-steps scenario, each within 4
//     standard errors of the truth, and the noiseless trajectory to 1e-7;
//   - the coverage of the 95 % interval over 300 synthetic data sets (0.91 to 0.99);
//   - the bootstrap: reproducible from its seed, and near the Jacobian's standard error;
//   - the scenario runs at the estimate, and the sample: text is a valid `sample:` block;
//   - bad input, each at its file:line:col.
// tests/fit/compare_scipy.py checks the same module against SciPy's curve_fit.
#include <boost/math/distributions/students_t.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include "racesim/analyses/fit.hpp"
#include "racesim/analyses/solve.hpp"
#include "racesim/config/sample.hpp"
#include "racesim/core/csv.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::models;

namespace {

const double ln2 = std::log(2.0);

/// A scratch directory of this test case's own (test cases run in parallel processes).
std::filesystem::path scratch(const std::string& name) {
    const auto d = std::filesystem::temp_directory_path() / ("racesim-test-fit-" + name);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

std::string write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p.string();
}

/// Standard normal draws from a fully specified generator (mt19937_64 and Box-Muller), so the
/// data are the same with every standard library.
struct Normal {
    explicit Normal(std::uint64_t seed) : g(seed) {}
    double operator()() {
        const double u1 = (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53;
        const double u2 = (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53;
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }
    std::mt19937_64 g;
};

/// `s` with the first `from` replaced by `to` (built anew: GCC 12 warns falsely on replace()).
std::string replaced(const std::string& s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.substr(0, at) + to + s.substr(at + from.size());
}

std::string num(double x) {
    std::ostringstream s;
    s.precision(17);
    s << x;
    return s.str();
}

const FitRow& row(const RunResult& r, const std::string& scenario, const std::string& parameter) {
    const auto* rows = rows_of<FitRow>(r.tables);
    REQUIRE(rows);
    for (const auto& x : *rows)
        if (x.scenario == scenario && x.parameter == parameter) return x;
    FAIL("no fit row for " << scenario << " " << parameter);
    throw std::logic_error("unreachable");
}

/// Synthetic E(t) = E0·2^(gamma·t)·exp(sigma·z) at t = -8, -7.75, ..., 0.
std::string linear_data(double E0, double gamma, double sigma, std::uint64_t seed, std::vector<double>* t = nullptr,
                        std::vector<double>* y = nullptr) {
    Normal z(seed);
    std::string csv = "# synthetic: E0 = " + num(E0) + ", gamma = " + num(gamma) + "\nyear,efficiency\n";
    for (int i = 0; i <= 32; ++i) {
        const double ti = -8 + 0.25 * i, yi = E0 * std::exp(gamma * ln2 * ti + sigma * z());
        csv += num(2030 + ti) + "," + num(yi) + "\n";
        if (t) t->push_back(ti);
        if (y) y->push_back(yi);
    }
    return csv;
}

std::string scenario_head(double horizon = 10) {
    return "racesim: 1\nhorizon: " + num(horizon) + R"(
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0e10, gamma: 0.1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.9]}
scenarios:
)";
}

std::string linear_fit_block(const std::string& file, const std::string& extra = "") {
    return "    fit:\n      data: " + file +
           "\n      t: {column: year, origin: 2030}\n      observe: {quantity: E, column: efficiency}\n"
           "      parameters: [efficiency.gamma, efficiency.E0]\n" +
           extra;
}

}  // namespace

TEST_CASE("fit: a log-scale fit of continuous doubling is the linear least-squares solution") {
    const auto dir = scratch("linear");
    std::vector<double> t, y;
    const std::string file = write(dir / "e.csv", linear_data(2e10, 0.4, 0.1, 42, &t, &y));
    Diagnostics d;
    auto ex = load(scenario_head() + "  - name: s\n" + linear_fit_block(file), d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const FitRow& g = row(res, "s", "efficiency.gamma");
    const FitRow& e = row(res, "s", "efficiency.E0");

    // The normal equations of ln y = a + b·x, x = ln2·t: b = gamma, a = ln E0.
    const double n = static_cast<double>(t.size());
    double xm = 0, ym = 0;
    for (std::size_t i = 0; i < t.size(); ++i) xm += ln2 * t[i] / n, ym += std::log(y[i]) / n;
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < t.size(); ++i)
        sxx += (ln2 * t[i] - xm) * (ln2 * t[i] - xm), sxy += (ln2 * t[i] - xm) * (std::log(y[i]) - ym);
    const double b = sxy / sxx, a = ym - b * xm;
    double rss = 0;
    for (std::size_t i = 0; i < t.size(); ++i) rss += std::pow(std::log(y[i]) - a - b * ln2 * t[i], 2);
    const double s2 = rss / (n - 2);
    const double se_b = std::sqrt(s2 / sxx), se_a = std::sqrt(s2 * (1 / n + xm * xm / sxx));
    const double cov_ab = -s2 * xm / sxx, rho = cov_ab / (se_a * se_b);

    CHECK(g.converged);
    CHECK(g.n == 33);
    CHECK(g.dof == 31);
    CHECK(g.estimate == Approx(b).epsilon(1e-9));
    CHECK(e.estimate == Approx(std::exp(a)).epsilon(1e-9));
    CHECK(g.rss == Approx(rss).epsilon(1e-9));
    CHECK(*g.sigma == Approx(std::sqrt(s2)).epsilon(1e-9));
    CHECK(*g.se == Approx(se_b).epsilon(1e-6));
    CHECK(*e.se == Approx(std::exp(a) * se_a).epsilon(1e-6));  // delta method: exact for the linearised covariance
    const double q = boost::math::quantile(boost::math::students_t(31), 0.975);
    CHECK(*g.ci_high - g.estimate == Approx(q * *g.se).epsilon(1e-12));
    CHECK(g.estimate - *g.ci_low == Approx(q * *g.se).epsilon(1e-12));
    // The truth lies within 4 standard errors (it does: |error| / se is about 0.5 here).
    CHECK(std::abs(g.estimate - 0.4) < 4 * *g.se);
    CHECK(std::abs(e.estimate - 2e10) < 4 * *e.se);

    // The covariance table: Cov(E0, gamma) = E0·Cov(a, b), the correlation, its rank correlation.
    const auto* cov = rows_of<FitCovarianceRow>(res.tables);
    REQUIRE(cov);
    REQUIRE(cov->size() == 3);  // (gamma, gamma), (gamma, E0), (E0, E0)
    const auto& ge = (*cov)[1];
    CHECK(ge.a == "efficiency.gamma");
    CHECK(ge.b == "efficiency.E0");
    CHECK(*ge.covariance == Approx(std::exp(a) * cov_ab).epsilon(1e-6));
    CHECK(*ge.correlation == Approx(rho).epsilon(1e-6));
    CHECK(*ge.rank_correlation == Approx(6 / std::numbers::pi * std::asin(*ge.correlation / 2)).epsilon(1e-14));
    // sample: takes the rank correlation and turns it back into the copula's Pearson rho.
    CHECK(copula_correlation(*ge.rank_correlation) == Approx(*ge.correlation).epsilon(1e-12));
    CHECK(ge.sample == "[efficiency.gamma, efficiency.E0, " + csv::number(*ge.rank_correlation) + "]");
    CHECK(g.sample == "{dist: normal, mean: " + csv::number(g.estimate) + ", sd: " + csv::number(*g.se) + "}");
    // E0 > 0: a lognormal, ln E0 ~ N(a, se_a), sigma = se(E0) / E0.
    REQUIRE(e.sample.rfind("{dist: lognormal, mu: ", 0) == 0);
    CHECK(std::stod(e.sample.substr(e.sample.find("mu: ") + 4)) == Approx(a).epsilon(1e-9));
    CHECK(std::stod(e.sample.substr(e.sample.find("sigma: ") + 7)) == Approx(se_a).epsilon(1e-6));

    // Residuals: ln(fitted / observed), fitted = E0·2^(gamma·t).
    const auto* res_rows = rows_of<FitResidualRow>(res.tables);
    REQUIRE(res_rows);
    REQUIRE(res_rows->size() == 33);
    for (std::size_t i = 0; i < 33; ++i) {
        const auto& r = (*res_rows)[i];
        CHECK(r.line == static_cast<std::int64_t>(i) + 3);  // a comment line, the header, then the rows
        CHECK(r.t == Approx(t[i]).margin(1e-12));
        CHECK(r.fitted == Approx(e.estimate * std::exp2(g.estimate * r.t)).epsilon(1e-12));
        CHECK(r.residual == Approx(std::log(r.fitted / r.observed)).margin(1e-12));
    }
    // The curve spans the data, with a band around it.
    const auto* curve = rows_of<FitCurveRow>(res.tables);
    REQUIRE(curve);
    REQUIRE(curve->size() == 201);
    CHECK(curve->front().t == Approx(-8).margin(1e-12));
    CHECK(curve->back().t == Approx(0).margin(1e-12));
    for (const auto& c : *curve) {
        REQUIRE(c.low);
        CHECK(*c.low < c.fitted);
        CHECK(*c.high > c.fitted);
    }
    // The band at the data's mean time is the intercept's: ln E(t) = a + b·x has variance
    // s2·(1/n + (x - xm)^2/sxx), smallest at x = xm.
    const auto& last = curve->back();  // t = 0: the variance of a
    CHECK(std::log(*last.high / last.fitted) == Approx(q * se_a).epsilon(1e-6));

    // The scenario ran at the estimate.
    REQUIRE(res.scenarios.size() == 1);
    const ScenarioSpec& ran = *res.scenarios[0].spec;
    CHECK(ran.efficiency.selection.params.real("gamma") == g.estimate);
    CHECK(ran.efficiency.selection.params.real("E0") == e.estimate);
    CHECK(ran.name == "s");
    CHECK(find_analysis<FitSpec>(ran) != nullptr);  // its analyses kept
    CHECK(res.scenarios[0].trajectory.E.front() == Approx(e.estimate).epsilon(1e-15));
}

TEST_CASE("fit: the sample: distribution it writes is a valid sample: block") {
    const auto dir = scratch("sample");
    const std::string file = write(dir / "e.csv", linear_data(2e10, 0.4, 0.1, 7));
    Diagnostics d;
    auto ex = load(scenario_head() + "  - name: s\n" + linear_fit_block(file), d);
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const FitRow& g = row(res, "s", "efficiency.gamma");
    const FitRow& e = row(res, "s", "efficiency.E0");
    const auto& ge = (*rows_of<FitCovarianceRow>(res.tables))[1];
    const std::string config =
        scenario_head() + "  - name: mc\n    efficiency: {gamma: " + num(g.estimate) + ", E0: " + num(e.estimate) +
        "}\n    sample:\n      n: 4000\n      seed: 3\n" + "      parameters:\n        efficiency.gamma: " + g.sample +
        "\n        efficiency.E0: " + e.sample + "\n      correlations:\n        - " + ge.sample + "\n";
    Diagnostics d2;
    auto mc = load(config, d2);
    INFO(config << messages(d2));
    REQUIRE(mc);
    const SampleSpec& s = *find_analysis<SampleSpec>(mc->scenarios[0]);
    REQUIRE(s.paths.size() == 2);
    // The draws have the fit's means and standard errors (4000 draws: within 5 standard errors
    // of the sample mean), and the normal scores the fit's correlation.
    double m0 = 0, m1 = 0, v0 = 0;
    std::vector<double> g_draws, e_draws;
    for (std::uint64_t i = 0; i < s.n; ++i) {
        const auto v = draw(s, i);
        g_draws.push_back(v[0]);
        e_draws.push_back(std::log(v[1]));
    }
    const double n = static_cast<double>(s.n);
    for (std::size_t i = 0; i < s.n; ++i) m0 += g_draws[i] / n, m1 += e_draws[i] / n;
    for (std::size_t i = 0; i < s.n; ++i) v0 += (g_draws[i] - m0) * (g_draws[i] - m0) / (n - 1);
    CHECK(std::abs(m0 - g.estimate) < 5 * *g.se / std::sqrt(n));
    CHECK(std::sqrt(v0) == Approx(*g.se).epsilon(0.05));
    double c = 0, s1 = 0;
    for (std::size_t i = 0; i < s.n; ++i)
        c += (g_draws[i] - m0) * (e_draws[i] - m1), s1 += std::pow(e_draws[i] - m1, 2);
    const double rho = c / std::sqrt(v0 * (n - 1) * s1);
    CHECK(rho == Approx(*ge.correlation).margin(0.03));
}

TEST_CASE("fit: recovers the parameters of a logistic efficiency from noisy data (linear scale)") {
    const auto dir = scratch("logistic");
    const double E0 = 1, gamma = 1, Emax = 20, sigma = 0.2;
    Normal z(11);
    std::string csv = "t,E\n";
    for (int i = 0; i <= 40; ++i) {
        const double t = 0.25 * i;
        csv += num(t) + "," + num(Emax / (1 + (Emax / E0 - 1) * std::exp2(-gamma * t)) + sigma * z()) + "\n";
    }
    const std::string file = write(dir / "logistic.csv", csv);
    Diagnostics d;
    auto ex = load(scenario_head() + R"(  - name: s
    efficiency: {type: logistic, E0: 2, gamma: 0.5, E_max: 10}
    fit:
      data: )" + file + R"(
      t: {column: t}
      observe: {quantity: E, column: E, scale: linear}
      parameters: [efficiency.E0, efficiency.gamma, efficiency.E_max]
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const double truth[3] = {E0, gamma, Emax};
    const char* paths[3] = {"efficiency.E0", "efficiency.gamma", "efficiency.E_max"};
    for (int j = 0; j < 3; ++j) {
        const FitRow& r = row(res, "s", paths[j]);
        INFO(paths[j] << " = " << r.estimate << " +- " << r.se.value_or(-1));
        CHECK(r.converged);
        CHECK(r.scale == "linear");
        REQUIRE(r.se);
        CHECK(std::abs(r.estimate - truth[j]) < 4 * *r.se);
        CHECK(*r.se < 0.2 * truth[j]);  // the data determine each parameter
    }
    CHECK(*row(res, "s", paths[0]).sigma == Approx(sigma).epsilon(0.3));
}

TEST_CASE("fit: a trajectory fit of C(t) on a discrete-steps scenario") {
    const auto dir = scratch("trajectory");
    // Exact C(t) of discrete steps x mean-field (docs/model.md): with q = 2^(gamma·T), n = floor(t/T),
    // C = C0 + E0·P0·[T·(q^n - 1)/(q - 1) + (t - nT)·q^n], C0 = E0·P0·(1 + tau).
    const double E0 = 1, P0 = 3, gamma = 0.5, T = 1, tau = 0.25;
    auto C = [&](double t) {
        const double q = std::exp2(gamma * T), n = std::floor(t / T);
        return E0 * P0 * (1 + tau) + E0 * P0 * (T * (std::pow(q, n) - 1) / (q - 1) + (t - n * T) * std::pow(q, n));
    };
    const std::string head = scenario_head(10) + R"(  - name: noisy
    efficiency: {type: discrete-steps, E0: 1, gamma: 0.3, period: 1}
    power: {P0: 1.5}
    baseline: {tau: 0.25}
    fit:
      data: DATA
      t: {column: t}
      observe: {quantity: C, column: C}
      parameters: [efficiency.gamma, power.P0]
)";
    Normal z(5);
    std::string noisy = "t,C\n", exact = "t,C\n";
    for (int i = 1; i <= 20; ++i) {
        const double t = 0.5 * i;
        noisy += num(t) + "," + num(C(t) * std::exp(0.02 * z())) + "\n";
        exact += num(t) + "," + num(C(t)) + "\n";
    }
    std::string config = replaced(head, "DATA", write(dir / "noisy.csv", noisy));
    std::string exact_block = head.substr(head.find("  - name: noisy"));
    exact_block = replaced(replaced(exact_block, "noisy", "exact"), "DATA", write(dir / "exact.csv", exact));
    config = replaced(config + exact_block, "defaults:", "solver: {rel_tol: 1e-12}\ndefaults:");
    Diagnostics d;
    auto ex = load(config, d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const FitRow& g = row(res, "noisy", "efficiency.gamma");
    const FitRow& p = row(res, "noisy", "power.P0");
    INFO("gamma " << g.estimate << " +- " << *g.se << ", P0 " << p.estimate << " +- " << *p.se);
    CHECK(g.converged);
    CHECK(g.quantity == "C");
    CHECK(std::abs(g.estimate - gamma) < 4 * *g.se);
    CHECK(std::abs(p.estimate - P0) < 4 * *p.se);
    CHECK(*g.se < 0.02);
    // Without noise the fit returns the truth, to the integration's accuracy.
    CHECK(row(res, "exact", "efficiency.gamma").estimate == Approx(gamma).epsilon(1e-7));
    CHECK(row(res, "exact", "power.P0").estimate == Approx(P0).epsilon(1e-7));
    CHECK(row(res, "exact", "power.P0").rss < 1e-18);
    // And the scenario ran at the estimate: its C(10) is the data's.
    const auto& traj = res.scenarios[1].trajectory;
    CHECK(traj.C.back() == Approx(C(10)).epsilon(1e-7));
}

/// "s<k>" (appended, not "s" + ...: GCC 12 warns falsely on a prepend).
std::string sname(int k) {
    std::string s = "s";
    s += std::to_string(k);
    return s;
}

TEST_CASE("fit: the 95 % interval covers the truth in about 95 % of synthetic data sets") {
    const auto dir = scratch("coverage");
    const int sets = 300;
    std::string config = scenario_head();
    for (int k = 0; k < sets; ++k)
        config += "  - name: " + sname(k) + "\n" +
                  linear_fit_block(write(dir / (sname(k) + ".csv"),
                                         linear_data(2e10, 0.4, 0.3, 1000 + static_cast<std::uint64_t>(k))));
    Diagnostics d;
    auto ex = load(config, d);
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    int covered_g = 0, covered_e = 0;
    for (int k = 0; k < sets; ++k) {
        const FitRow& g = row(res, sname(k), "efficiency.gamma");
        const FitRow& e = row(res, sname(k), "efficiency.E0");
        covered_g += *g.ci_low <= 0.4 && 0.4 <= *g.ci_high;
        covered_e += *e.ci_low <= 2e10 && 2e10 <= *e.ci_high;
    }
    // Binomial(300, 0.95): standard deviation 0.0126. gamma's interval is exact (a linear model
    // with normal errors); E0's is the delta method's, close to it.
    INFO("gamma covered " << covered_g << ", E0 " << covered_e << " of " << sets);
    CHECK(covered_g >= 0.91 * sets);
    CHECK(covered_g <= 0.99 * sets);
    CHECK(covered_e >= 0.90 * sets);
    CHECK(covered_e <= 0.99 * sets);
}

TEST_CASE("fit: the bootstrap is reproducible from its seed and agrees with the Jacobian's error") {
    const auto dir = scratch("bootstrap");
    const std::string file = write(dir / "e.csv", linear_data(2e10, 0.4, 0.1, 3));
    const std::string boot = "      bootstrap: 400\n      seed: 9\n";
    Diagnostics d;
    auto ex = load(scenario_head() + "  - name: a\n" + linear_fit_block(file, boot) + "  - name: b\n" +
                       linear_fit_block(file, boot) + "  - name: c\n" +
                       linear_fit_block(file, "      bootstrap: 400\n      seed: 10\n"),
                   d);
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const FitRow& a = row(res, "a", "efficiency.gamma");
    const FitRow& b = row(res, "b", "efficiency.gamma");
    const FitRow& c = row(res, "c", "efficiency.gamma");
    CHECK(a.bootstrap == 400);
    CHECK(a.bootstrap_failed == 0);
    CHECK(*a.bootstrap_se == *b.bootstrap_se);  // same seed: the same resamples, bit for bit
    CHECK(*a.bootstrap_low == *b.bootstrap_low);
    CHECK(*a.bootstrap_se != *c.bootstrap_se);
    // Homoscedastic normal errors: the pairs bootstrap estimates the same standard error.
    CHECK(*a.bootstrap_se == Approx(*a.se).epsilon(0.25));
    CHECK(*a.bootstrap_low < a.estimate);
    CHECK(*a.bootstrap_high > a.estimate);
}

TEST_CASE("fit: bad input is reported at its file:line:col") {
    const auto dir = scratch("errors");
    const std::string data =
        write(dir / "d.csv", "# a comment\nyear,efficiency,label\n2020,1.5,a\n2021,abc,b\n2022,0,c\n");
    const std::string good = write(dir / "good.csv", "year,efficiency\n2020,1\n2021,2\n2022,4\n");
    auto errors_of = [&](const std::string& block) {
        Diagnostics d;
        CHECK_FALSE(load(scenario_head() + "  - name: s\n" + block, d));
        return messages(d);
    };
    auto fit = [](const std::string& file, const std::string& observe, const std::string& params,
                  const std::string& t = "{column: year, origin: 2022}") {
        return "    fit:\n      data: " + file + "\n      t: " + t + "\n      observe: " + observe +
               "\n      parameters: " + params + "\n";
    };
    // An unknown column, with a did-you-mean among the file's columns.
    std::string m = errors_of(fit(good, "{quantity: E, column: eficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains("t.yaml:13:38: error: fit.observe.column: no column 'eficiency' in " + good));
    CHECK_THAT(m, Catch::Contains("note: did you mean 'efficiency'?"));
    CHECK_THAT(m, Catch::Contains("note: its columns: year, efficiency"));
    // A cell that is not a number: the CSV's file:line:col, and a note at the config.
    m = errors_of(fit(data, "{quantity: E, column: efficiency, scale: linear}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains(data + ":4:6: error: 'abc' in column 'efficiency' is not a number"));
    CHECK_THAT(m, Catch::Contains("t.yaml:11:13: note: read as the data of 'fit' in scenario 's'"));
    // A log scale with an observation that is not positive.
    m = errors_of(fit(data, "{quantity: E, column: efficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains(data + ":5:6: error: fit.observe.scale is log, but efficiency = 0 is not positive"));
    // A missing file.
    m = errors_of(fit("no-such.csv", "{quantity: E, column: efficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains("t.yaml:11:13: error: fit.data = 'no-such.csv': no such file"));
    CHECK_THAT(m, Catch::Contains("note: a relative path is read relative to the directory of the config file"));
    // Not a regular file: a device would be read without end, a pipe without a writer would hang.
    m = errors_of(fit("/dev/zero", "{quantity: E, column: efficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains("error: fit.data = '/dev/zero': not a regular file (a device, a pipe or a socket)"));
    m = errors_of(fit(dir.string(), "{quantity: E, column: efficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains("': a directory, not a file"));
    // An unknown parameter path.
    m = errors_of(fit(good, "{quantity: E, column: efficiency}", "[efficiency.gama]"));
    CHECK_THAT(m, Catch::Contains("t.yaml:14:20: error: 'efficiency.gama' is not a numeric parameter of scenario 's'; "
                                  "did you mean 'efficiency.gamma'?"));
    // Fewer rows than parameters.
    const std::string two = write(dir / "two.csv", "year,efficiency\n2020,1\n2021,2\n");
    m = errors_of(fit(two, "{quantity: E, column: efficiency}", "[efficiency.gamma, efficiency.E0, power.P0]"));
    CHECK_THAT(m, Catch::Contains("t.yaml:14:19: error: fit: 2 data rows for 3 parameters: a least-squares fit needs "
                                  "at least as many rows as parameters"));
    // A simulated quantity before the scenario's start.
    m = errors_of(fit(good, "{quantity: C, column: efficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains(good + ":2:1: error: year = 2020 is t = -2 yr, before the scenario's start (t = 0): "
                                         "C is simulated from t = 0 to the horizon"));
    // A loss parameter cannot move E.
    m = errors_of(fit(good, "{quantity: E, column: efficiency}", "[loss.kappa]"));
    CHECK_THAT(m, Catch::Contains("cannot fit loss.kappa to observations of E: the loss law does not change E"));
    // Keys are checked like every other block's.
    m = errors_of(fit(good, "{quantity: X, column: efficiency}", "[efficiency.gamma]"));
    CHECK_THAT(m, Catch::Contains("expected 'E', 'P', 'C', 'L' or 'R' for fit.observe.quantity, got 'X'"));
    m = errors_of(fit(good, "{quantity: E, column: efficiency}", "[efficiency.gamma]", "{colum: year}"));
    CHECK_THAT(m, Catch::Contains("unknown key 'colum' in 'fit.t'"));
}

TEST_CASE("fit: a model that cannot be evaluated at the start stops the run with the reason") {
    const auto dir = scratch("start");
    const std::string file = write(dir / "e.csv", "t,E\n0.5,1\n1.5,2\n2.5,4\n");
    Diagnostics d;
    // P is 0 half of the time (peaked power, duty 0.5): ln 0 does not exist on a log scale.
    auto ex = load(scenario_head() + R"(  - name: s
    power: {type: peaked, P0: 1, duty: 0.5}
    fit:
      data: )" + file + R"(
      t: {column: t}
      observe: {quantity: P, column: E}
      parameters: [power.P0]
)",
                   d);
    REQUIRE(ex);
    CHECK_THROWS_WITH(run_experiment(models(), *ex),
                      Catch::Contains("scenario 's': fit: the model cannot be evaluated at the start (power.P0 = 1)"));
}

TEST_CASE("fit and solve in one scenario: the goal seek seeks on the fitted scenario") {
    // The fit runs first (builtin_analyses lists fit before solve), so the goal seek on
    // baseline.tau sees the estimated gamma. With continuous doubling and constant power the
    // relative loss depends on gamma and tau only: C(t)/C0 = 1 + (2^(gamma·t) - 1) / (gamma·ln2·(1 + tau)),
    // so R = 0.9 at t = 5 needs 1 + tau = (2^(5·gamma) - 1) / (gamma·ln2·(0.9^(-1/kappa) - 1)).
    // At the declared gamma (0.1) that is tau = -0.25, outside the bracket: a goal seek on the
    // declared scenario finds nothing.
    const auto dir = scratch("fit-solve");
    const std::string file = write(dir / "e.csv", linear_data(2e10, 0.4, 0.05, 7));
    Diagnostics d;
    auto ex = load(scenario_head() + "  - name: s\n" + linear_fit_block(file) +
                       "    solve: {parameter: baseline.tau, bracket: [0, 10], at: 5}\n",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const double g = row(res, "s", "efficiency.gamma").estimate;
    const auto* solved = rows_of<SolveResult>(res.tables);
    REQUIRE(solved);
    REQUIRE(solved->size() == 1);
    const SolveResult& s = solved->front();
    REQUIRE(s.found);
    const double X = std::pow(0.9, -1 / 0.048);
    const double tau = (std::exp2(5 * g) - 1) / (g * ln2 * (X - 1)) - 1;
    // The root is exact to the integration's error in ln C (rel_tol 1e-10) over d ln C / d tau.
    CHECK(s.value == Approx(tau).epsilon(1e-8));
    REQUIRE(s.time);
    CHECK(*s.time == Approx(5).epsilon(1e-8));
    // The scenario ran at both: the estimate and the value found.
    const ScenarioSpec& ran = *res.scenarios.at(0).spec;
    CHECK(ran.efficiency.selection.params.real("gamma") == g);
    REQUIRE(ran.tau);
    CHECK(*ran.tau == s.value);
}
