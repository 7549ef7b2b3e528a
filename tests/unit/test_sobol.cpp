// `sobol:` (global sensitivity) against analytic Sobol indices of models built from the closed
// form (docs/model.md), the estimators' formulas on hand-computed data, and the independence of
// its results from the thread count and from the evaluation path.
#include <tbb/global_control.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "racesim/analyses/sobol.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::models;

namespace {

/// Moments of X ~ loguniform[l, h]: E[X^p] = (h^p - l^p) / (p ln(h/l)).
double loguniform_moment(double l, double h, double p) {
    return (std::pow(h, p) - std::pow(l, p)) / (p * std::log(h / l));
}

const SobolRow& row(const std::vector<SobolRow>& rows, const std::string& quantity, const std::string& parameter) {
    for (const auto& r : rows)
        if (r.quantity == quantity && r.parameter == parameter) return r;
    FAIL("no sobol row for " << quantity << ", " << parameter);
    throw std::logic_error("unreachable");
}

/// With gamma = 0, P0 = 1... the closed form (docs/model.md) gives C(t) = E0·P0·(1 + tau + t), so
/// the time to an absolute loss target L* is t* = C*/(E0·P0) - (1 + tau), C* = C_ref·(L*/L0)^(-1/kappa).
/// Here C_ref = 1, L0 = 1, kappa = 0.5: C* = L*^-2.
std::string config(const std::string& target, const std::string& params, const std::string& sobol,
                   const std::string& solver = "solver: {method: closed-form}\n") {
    return "racesim: 1\nhorizon: 20000\n" + solver + R"(defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.5, L0: 1, C_ref: 1}
  targets: {loss: [)" +
           target +
           R"(]}
  reference: relative-loss
scenarios:
  - name: s
    sample:
      n: 10
      seed: 5
      parameters:
)" + params +
           "    sobol: " + sobol + "\n";
}

}  // namespace

TEST_CASE("sobol: the Jansen estimators on data computed by hand") {
    // fA = (1, 2), fB = (3, 5), f(A_B^i) = (1, 5). V = var(1, 2, 3, 5) = 8.75/3 (mean 2.75);
    // S1 = (V - ((3-1)^2 + (5-5)^2)/4)/V = 1 - 3/8.75; ST = ((1-1)^2 + (2-5)^2)/4/V = 6.75/8.75.
    const double fA[] = {1, 2}, fB[] = {3, 5}, fAB[] = {1, 5};
    CHECK(saltelli_variance(fA, fB, 2) == Approx(8.75 / 3).epsilon(1e-15));
    const SobolIndices s = jansen_indices(fA, fB, fAB, 2);
    // Tolerance 1e-14: a handful of floating-point operations on small integers.
    CHECK(s.first == Approx(1 - 3 / 8.75).epsilon(1e-14));
    CHECK(s.total == Approx(6.75 / 8.75).epsilon(1e-14));
    // A resample picks rows: rows (1, 1) is the data (2, 2), (5, 5), (5, 5).
    const std::size_t pick[] = {1, 1};
    const SobolIndices r = jansen_indices(fA, fB, fAB, 2, pick);
    // V = var(2, 2, 5, 5) = 9/3 = 3; S1 = (3 - 0)/3 = 1; ST = 2 * 9/4 / 3 = 1.5.
    CHECK(r.first == Approx(1).epsilon(1e-14));
    CHECK(r.total == Approx(1.5).epsilon(1e-14));
    // No variance: no index.
    const double c[] = {4, 4};
    CHECK(std::isnan(jansen_indices(c, c, c, 2).first));
}

TEST_CASE("sobol: an additive model from the closed form has its analytic indices") {
    // t* = 100/E0 - (1 + tau) with E0 ~ loguniform[1, 2], tau ~ uniform[0, 40] (L* = 0.1: C* = 100;
    // C* > C0 = E0 (1 + tau) everywhere). Additive: S1 = ST = V_i / V with V_E0 = 100^2 Var(1/E0),
    // 1/E0 ~ loguniform[1/2, 1], and V_tau = 40^2/12.
    const double m1 = loguniform_moment(0.5, 1, 1), m2 = loguniform_moment(0.5, 1, 2);
    const double v_e = 1e4 * (m2 - m1 * m1), v_t = 1600.0 / 12, V = v_e + v_t;
    Diagnostics d;
    auto ex = load(config("0.1",
                          "        efficiency.E0: {dist: loguniform, low: 1, high: 2}\n"
                          "        baseline.tau: {dist: uniform, low: 0, high: 40}\n",
                          "{n: 20000, bootstrap: 100, seed: 3}"),
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<SobolRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    for (const auto& [path, exact] : {std::pair{"efficiency.E0", v_e / V}, std::pair{"baseline.tau", v_t / V}}) {
        const SobolRow& r = row(*rows, "loss=0.1", path);
        INFO(path << ": S1 " << *r.first << " [" << *r.first_low << ", " << *r.first_high << "], ST " << *r.total
                  << " [" << *r.total_low << ", " << *r.total_high << "], exact " << exact);
        // The estimates are Monte Carlo: their error is about 1/sqrt(N) of the spread of the
        // summands. The bootstrap 95 % interval is about 4 standard errors wide; a wrong
        // estimator (A and B swapped, a missing factor 2) misses by far more than the interval.
        // Checked: the exact value within the interval widened by half its width on each side,
        // and the interval narrower than 0.05 (so the check is sharp).
        const double w1 = *r.first_high - *r.first_low, wt = *r.total_high - *r.total_low;
        CHECK(w1 < 0.05);
        CHECK(wt < 0.05);
        CHECK(exact > *r.first_low - w1 / 2);
        CHECK(exact < *r.first_high + w1 / 2);
        CHECK(exact > *r.total_low - wt / 2);
        CHECK(exact < *r.total_high + wt / 2);
        CHECK(r.censored == 0);
        CHECK(r.evaluations == 20000 * 4);
    }
    // The mean and variance of the output over A and B: E[t*] = 100 E[1/E0] - 21 and V, to
    // within 4 standard errors of a mean over 40,000 draws (sd(t*) = sqrt(V)).
    const SobolRow& r = row(*rows, "loss=0.1", "baseline.tau");
    CHECK(std::abs(r.mean - (100 * m1 - 21)) < 4 * std::sqrt(V / 40000));
    CHECK(std::abs(r.variance / V - 1) < 0.05);  // the relative sd of a variance estimate over 40,000 draws is < 1 %
}

TEST_CASE("sobol: a product of two factors has its analytic first-order and total indices") {
    // t* = 1e4/(E0 P0) - 1 with E0, P0 ~ loguniform[1, 4] (L* = 0.01: C* = 1e4). With U = 1/E0,
    // W = 1/P0 independent, loguniform[1/4, 1], mean m and variance s2: V_E0 = V_P0 = 1e8 s2 m^2,
    // V_E0,P0 = 1e8 s2^2, V = the sum. S1 = V_E0/V, ST = (V_E0 + V_E0,P0)/V: ST - S1 = 0.072.
    const double m1 = loguniform_moment(0.25, 1, 1), m2 = loguniform_moment(0.25, 1, 2), s2 = m2 - m1 * m1;
    const double vi = s2 * m1 * m1, v12 = s2 * s2, V = 2 * vi + v12;
    Diagnostics d;
    auto ex = load(config("0.01",
                          "        efficiency.E0: {dist: loguniform, low: 1, high: 4}\n"
                          "        power.P0: {dist: loguniform, low: 1, high: 4}\n",
                          "{n: 20000, bootstrap: 100, seed: 4}"),
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<SobolRow>(res.tables);
    REQUIRE(rows);
    for (const char* path : {"efficiency.E0", "power.P0"}) {
        const SobolRow& r = row(*rows, "loss=0.01", path);
        INFO(path << ": S1 " << *r.first << " [" << *r.first_low << ", " << *r.first_high << "], ST " << *r.total
                  << " [" << *r.total_low << ", " << *r.total_high << "], exact " << vi / V << ", " << (vi + v12) / V);
        // As above: within the bootstrap interval widened by half its width, which is < 0.05
        // (the interaction, ST - S1 = 0.072, is larger than that).
        const double w1 = *r.first_high - *r.first_low, wt = *r.total_high - *r.total_low;
        CHECK(w1 < 0.05);
        CHECK(wt < 0.05);
        CHECK(vi / V > *r.first_low - w1 / 2);
        CHECK(vi / V < *r.first_high + w1 / 2);
        CHECK((vi + v12) / V > *r.total_low - wt / 2);
        CHECK((vi + v12) / V < *r.total_high + wt / 2);
    }
}

TEST_CASE("sobol: results do not depend on the thread count or on the evaluation path") {
    const std::string text = config("0.1",
                                    "        efficiency.E0: {dist: loguniform, low: 1, high: 2}\n"
                                    "        baseline.tau: {dist: uniform, low: 0, high: 40}\n"
                                    "        power.P0: {dist: uniform, low: 0.5, high: 1}\n",
                                    "{n: 1000, bootstrap: 30, dates: [2]}");
    Diagnostics d;
    auto ex = load(text, d);
    INFO(messages(d));
    REQUIRE(ex);
    auto rows_with = [&](const Experiment& e, std::size_t threads) {
        tbb::global_control c(tbb::global_control::max_allowed_parallelism, threads);
        const RunResult res = run_experiment(models(), e);
        return *rows_of<SobolRow>(res.tables);
    };
    // A constant parameter (fixed, or clipped to one value) explains nothing: 0, not noise.
    Diagnostics dc;
    auto with_fixed = load(config("0.1",
                                  "        efficiency.E0: {dist: loguniform, low: 1, high: 2}\n"
                                  "        power.P0: {dist: fixed, value: 0.5}\n",
                                  "{n: 100, bootstrap: 10}"),
                           dc);
    INFO(messages(dc));
    REQUIRE(with_fixed);
    const auto fixed_rows = rows_with(*with_fixed, 2);
    REQUIRE(fixed_rows.size() == 2);
    CHECK(fixed_rows[1].parameter == "power.P0");
    CHECK(fixed_rows[1].first == 0.0);
    CHECK(fixed_rows[1].total_high == 0.0);
    CHECK(fixed_rows[1].note == "the parameter is constant: its indices are 0");

    const auto one = rows_with(*ex, 1), two = rows_with(*ex, 2);
    REQUIRE(one.size() == 6);
    for (std::size_t k = 0; k < one.size(); ++k) {  // bitwise: every reduction is in a fixed order
        CHECK(one[k].first == two[k].first);
        CHECK(one[k].total == two[k].total);
        CHECK(one[k].first_low == two[k].first_low);
        CHECK(one[k].total_high == two[k].total_high);
    }
    // Scenario by scenario (the vectorised closed form off), and integrated (no closed form):
    // the same indices. The closed forms differ by a few ulps (docs/monte-carlo.md), the ODE
    // by its tolerance (rel_tol 1e-10 on C: times to about 1e-10 relative); an index is a
    // ratio of sums of squared differences of such times, so it moves by about 1e-9 at most:
    // 1e-8 (observed: 6e-16, gamma = 0 makes the rate constant, which the ODE integrates exactly).
    Experiment scalar = *ex;
    scalar.solver.vectorise = false;
    Experiment ode = *ex;
    ode.solver.closed_form = false;
    for (const Experiment* e : {&scalar, &ode}) {
        const auto other = rows_with(*e, 2);
        REQUIRE(other.size() == one.size());
        for (std::size_t k = 0; k < one.size(); ++k) {
            INFO(one[k].quantity << " " << one[k].parameter);
            CHECK(*other[k].first == Approx(*one[k].first).margin(1e-8));
            CHECK(*other[k].total == Approx(*one[k].total).margin(1e-8));
            CHECK(*other[k].first_high == Approx(*one[k].first_high).margin(1e-8));
        }
    }
}

TEST_CASE("sobol: the loss at a date, and a target not reached by the horizon counts as the horizon") {
    // L(t) = L0 (E0 P0 (1 + tau + t)/C_ref)^(-kappa) = (E0 (1 + t))^(-1/2) with only E0 sampled:
    // it alone moves L, so S1 = ST = 1 exactly (f(A_B^E0) = f(B) and f(A) - f(A_B^E0) = f(A) - f(B):
    // the Jansen S1 is exactly V_hat/V_hat, up to rounding).
    Diagnostics d;
    auto ex = load(config("0.1", "        efficiency.E0: {dist: loguniform, low: 1, high: 2}\n",
                          "{n: 500, bootstrap: 20, dates: [0, 3]}"),
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<SobolRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    const SobolRow& l3 = row(*rows, "L(t=3)", "efficiency.E0");
    CHECK(*l3.first == Approx(1).epsilon(1e-12));
    // ST = sum (f(A) - f(B))^2 / (2N) / V, with V over the same 2N values: close to 1, not exactly.
    CHECK(*l3.total == Approx(1).margin(0.2));
    // The mean loss at t = 3: E[(4 E0)^(-1/2)] = E0's moment -1/2 over 2, to 4 standard errors.
    CHECK(std::abs(l3.mean - loguniform_moment(1, 2, -0.5) / 2) < 4 * std::sqrt(l3.variance / 1000));

    // A horizon of 60 yr: t* = 100/E0 - 1 is 49 to 99 yr, so some evaluations are censored.
    Experiment short_ex = *ex;
    short_ex.scenarios[0].horizon = 60;
    const RunResult cut = run_experiment(models(), short_ex);
    const SobolRow& t = row(*rows_of<SobolRow>(cut.tables), "loss=0.1", "efficiency.E0");
    // P(100/E0 - 1 > 60) = P(E0 < 100/61) = ln(100/61)/ln 2 = 0.713 for E0 ~ loguniform[1, 2];
    // over 2000 evaluations (N (d + 2)) the fraction is within 0.05 (4.4 standard errors).
    CHECK(std::abs(t.censored - std::log(100.0 / 61) / std::log(2.0)) < 0.05);
    CHECK_THAT(t.note, Catch::Contains("do not reach the target by the horizon: their time is the horizon, 60 yr"));
    CHECK(t.mean <= 60);
}

TEST_CASE("sobol: refused without a sample block, with correlations, and with bad keys") {
    Diagnostics d;
    std::string text = config("0.1",
                              "        efficiency.E0: {dist: loguniform, low: 1, high: 2}\n"
                              "        baseline.tau: {dist: uniform, low: 0, high: 4}\n"
                              "      correlations: [[efficiency.E0, baseline.tau, 0.5]]\n",
                              "{n: 100}");
    // Refused when the config is read (the check sees the scenario's sample block).
    CHECK_FALSE(load(text, d));
    {
        const std::string m = messages(d);
        CHECK_THAT(m, Catch::Contains("t.yaml:19:12: error: sobol: the sample block of scenario 's' sets rank "
                                      "correlations; Sobol indices need independent parameters"));
        CHECK_THAT(m, Catch::Contains("t.yaml:13:7: note: the correlations are in this sample block"));
    }
    Diagnostics bad;
    CHECK_FALSE(load(config("0.1", "        efficiency.E0: {dist: loguniform, low: 1, high: 2}\n",
                            "{n: 100, bootstrp: 10, confidence: 1, dates: [20001]}"),
                     bad));
    const std::string m = messages(bad);
    CHECK_THAT(m, Catch::Contains("unknown key 'bootstrp' in 'sobol'"));
    CHECK_THAT(m, Catch::Contains("did you mean 'bootstrap'?"));
    CHECK_THAT(m, Catch::Contains("sobol.confidence = 1 is out of range"));
    CHECK_THAT(m, Catch::Contains("sobol.dates: 20001 is outside the scenario's time span [0, 20000] yr"));
}
