// The feedback power schedule `reinvestment`, P = P0·(C/C0)^beta (plugins/power/reinvestment/),
// a rate that reads the state:
//   1. against the closed form of its special case with continuous-doubling efficiency
//      (derived in docs/plugins.md): with y = C/C0, a = E0·P0·1 yr/C0 = 1/(1 + tau) and
//      I(t) = (2^(gamma·t) - 1)/(gamma·ln2) (I = t at gamma = 0),
//          dy/dt = a·2^(gamma·t)·y^beta  =>  y^(1-beta) = 1 + (1-beta)·a·I(t)   (beta < 1),
//                                              y = exp(a·I(t))                  (beta = 1),
//      and the time to y*: I(t*) = ((y*)^(1-beta) - 1)/((1-beta)·a) (or ln(y*)/a), t* =
//      log2(1 + gamma·ln2·I(t*))/gamma. The integrator's C(t) at every output time and its times
//      to target agree within 1e-8 (relative; rel_tol 1e-10, the suite's bar); the piecewise-exact
//      reference, which handles the feedback through the same transform, within 1e-12;
//   2. by convergence, also where this test has no closed form of its own (discrete-steps and
//      experience-curve efficiency x reinvestment):
//      C(horizon) and the times to target move by at most 1e-8 (relative) from rel_tol 1e-10 to
//      1e-12, and by no more from 1e-10 to 1e-12 than from 1e-8 to 1e-12.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "racesim/racesim.hpp"

namespace {

const double ln2 = std::log(2.0);

racesim::SessionOptions plugins() {
    racesim::SessionOptions o;
    o.plugin_paths = {RACESIM_PLUGIN_DIR};
    o.environment = false;
    return o;
}

const racesim::Session& session() {
    static const racesim::Session s(plugins());
    return s;
}

struct Case {
    double gamma, beta, tau;
};

std::string num(double x) {
    char b[64];
    std::snprintf(b, sizeof b, "%.17g", x);
    return b;
}

/// ln y(t) of the closed form (E0 = 1, P0 = 2, C0 = 2·(1 + tau)).
double log_y(const Case& c, double t) {
    const double I = c.gamma == 0 ? t : std::expm1(c.gamma * ln2 * t) / (c.gamma * ln2);
    const double aI = I / (1 + c.tau);
    return c.beta == 1 ? aI : std::log1p((1 - c.beta) * aI) / (1 - c.beta);
}

/// The time to y* = exp(x), or nullopt beyond `horizon`.
std::optional<double> time_to(const Case& c, double x, double horizon) {
    const double I = c.beta == 1 ? x * (1 + c.tau) : std::expm1((1 - c.beta) * x) * (1 + c.tau) / (1 - c.beta);
    const double t = c.gamma == 0 ? I : std::log1p(c.gamma * ln2 * I) / (c.gamma * ln2);
    if (!(t <= horizon)) return std::nullopt;
    return t;
}

const std::vector<double> targets{0.95, 0.9, 0.8};  // R = y^(-kappa): y* = R^(-1/kappa)
const double kappa = 0.048, horizon = 5;

std::string config(const std::vector<Case>& cases, double rel_tol, const std::string& extra = "") {
    std::string s = "racesim: 1\nname: feedback\nhorizon: " + num(horizon) +
                    "\noutput: {every: 0.05}\nsolver: {rel_tol: " + num(rel_tol) + R"(}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0}
  power: {type: reinvestment, P0: 2, beta: 0}
  loss: {type: power-law, kappa: 0.048, L0: 1}
  targets: {relative: [0.95, 0.9, 0.8]}
  reference: piecewise-exact
scenarios:
)";
    for (std::size_t k = 0; k < cases.size(); ++k)
        s += "  - name: c" + std::to_string(k) + "\n    efficiency: {gamma: " + num(cases[k].gamma) +
             "}\n    power: {beta: " + num(cases[k].beta) + "}\n    baseline: {tau: " + num(cases[k].tau) + "}\n";
    return s + extra;
}

std::vector<Case> grid() {
    std::vector<Case> cases;
    for (double gamma : {0.0, 0.5, 1.5})
        for (double beta : {-0.5, 0.0, 0.3, 0.7, 1.0})
            for (double tau : {0.0, 0.5}) cases.push_back({gamma, beta, tau});
    return cases;
}

}  // namespace

TEST_CASE("feedback: reinvestment power x continuous doubling against its closed form") {
    const auto cases = grid();
    const racesim::Experiment ex = session().load_text(config(cases, 1e-10));  // outlives its results
    const racesim::RunResult r = session().run(ex);
    REQUIRE(r.scenarios.size() == cases.size());
    double worst_C = 0, worst_t = 0, worst_ref = 0;
    int reached = 0;
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const Case& c = cases[k];
        const auto& s = r.scenarios[k];
        INFO("gamma " << c.gamma << " beta " << c.beta << " tau " << c.tau);
        const double C0 = 2 * (1 + c.tau);
        CHECK(s.C0 == Approx(C0).epsilon(1e-15));
        const auto& tr = s.trajectory;
        REQUIRE(tr.size() == 101);
        for (std::size_t i = 0; i < tr.size(); ++i) {
            const double ly = log_y(c, tr.t[i]);
            worst_C = std::max(worst_C, std::abs(std::expm1(std::log(tr.C[i] / C0) - ly)));
            CHECK(std::abs(std::expm1(std::log(tr.C[i] / C0) - ly)) <= 1e-8);
            // The reference: R_ref = y^(-kappa) from piecewise-exact's ln(C/C0).
            const double R_exact = std::exp(-kappa * ly);
            worst_ref = std::max(worst_ref, std::abs(tr.R_ref[i] / R_exact - 1));
            CHECK(std::abs(tr.R_ref[i] / R_exact - 1) <= 1e-12);
            // P = P0·y^beta in the CSV's P column.
            CHECK(tr.P[i] == Approx(2 * std::exp(c.beta * std::log(tr.C[i] / C0))).epsilon(1e-12));
        }
        for (std::size_t j = 0; j < targets.size(); ++j) {
            const auto want = time_to(c, -std::log(targets[j]) / kappa, horizon);
            const auto& got = s.targets[j];
            if (want && *want < horizon * (1 - 1e-6)) {
                REQUIRE(got.time);
                ++reached;
                worst_t = std::max(worst_t, std::abs(*got.time / *want - 1));
                CHECK(*got.time == Approx(*want).epsilon(1e-8));
                REQUIRE(got.reference_time);
                CHECK(*got.reference_time == Approx(*want).epsilon(1e-12));
            } else if (!want) {
                CHECK_FALSE(got.time);
            }
        }
    }
    CHECK(reached > 40);  // most of the 90 (case, target) pairs are reached within 5 years
    std::printf(
        "[numerics] feedback closed form: worst |C/C_exact - 1| %.2e, worst time %.2e, "
        "piecewise-exact R %.2e (%d targets reached)\n",
        worst_C, worst_t, worst_ref, reached);
}

TEST_CASE("feedback: reinvestment results are stable as rel_tol tightens") {
    // The closed-form grid, plus two cases without a closed form in this test.
    auto cases = grid();
    const std::string extra = R"(  - name: steps
    efficiency: {type: discrete-steps, E0: 1, gamma: 1, period: 0.5}
    power: {beta: 0.6}
  - name: experience
    efficiency: {type: experience-curve, E0: 1, b: 0.3, gamma: ~}
    power: {beta: 0.5}
)";
    std::vector<racesim::Experiment> experiments;  // they outlive their results (which point into them)
    for (double tol : {1e-8, 1e-10, 1e-12}) experiments.push_back(session().load_text(config(cases, tol, extra)));
    std::vector<racesim::RunResult> runs;
    for (const auto& ex : experiments) runs.push_back(session().run(ex));
    const std::size_t n = cases.size() + 2;
    double worst = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const auto &a = runs[0].scenarios[k], &b = runs[1].scenarios[k], &c = runs[2].scenarios[k];
        INFO("scenario " << c.spec->name);
        const double CH8 = a.trajectory.C.back(), CH10 = b.trajectory.C.back(), CH12 = c.trajectory.C.back();
        const double d10 = std::abs(CH10 / CH12 - 1), d8 = std::abs(CH8 / CH12 - 1);
        worst = std::max(worst, d10);
        CHECK(d10 <= 1e-8);
        CHECK(d10 <= std::max(d8, 1e-13));
        for (std::size_t j = 0; j < targets.size(); ++j) {
            REQUIRE(b.targets[j].reached == c.targets[j].reached);
            if (!c.targets[j].time) continue;
            const double t10 = *b.targets[j].time, t12 = *c.targets[j].time, t8 = *a.targets[j].time;
            const double e10 = std::abs(t10 / t12 - 1), e8 = std::abs(t8 / t12 - 1);
            worst = std::max(worst, e10);
            CHECK(e10 <= 1e-8);
            CHECK(e10 <= std::max(e8, 1e-13));
        }
    }
    std::printf("[numerics] feedback convergence: worst change from rel_tol 1e-10 to 1e-12 %.2e\n", worst);
}
