// The fourth rate kind, `algorithms` (effective compute, dC/dt = A·E·P): the integrator against
// closed forms written out here (not taken from a reference plugin), the references against the
// integrator, C_physical, the trajectory columns, the optional block's absence, sweeps and the
// vectorised closed form over algorithms.<param>, and decompose's `algorithms` factor.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "racesim/analyses/decompose.hpp"
#include "racesim/analyses/fit.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/run/analysis.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::models;

namespace {

constexpr double ln2 = 0.69314718055994530942;

Experiment must_load(const std::string& yaml) {
    Diagnostics d;
    auto ex = load(yaml, d);
    INFO(messages(d));
    REQUIRE(ex);
    return std::move(*ex);
}

const ScenarioResult& scenario(const RunResult& r, const std::string& name) {
    for (const auto& s : r.scenarios)
        if (s.spec->name == name) return s;
    FAIL("no scenario " << name);
    throw std::logic_error("unreachable");
}

double rel(double a, double b) {
    return std::abs(a / b - 1);
}

}  // namespace

TEST_CASE("algorithms: halving-time x continuous-doubling integrates to the closed form") {
    // E = E0·2^(gamma·t), P = P0, A = A0·2^(t/h): dC/dt = A0·E0·P0·2^(g·t/ln2), g = (gamma + 1/h)·ln2,
    //   C(t) = C0 + A0·E0·P0·expm1(g·t)/g,   C_physical(t) = C0/A0 + E0·P0·expm1(gamma·ln2·t)/(gamma·ln2).
    // Tolerance 1e-12 relative: A·E·P is exactly exponential on the one segment, so every step
    // is in the fitted log form, which reproduces an exponential rate up to rounding (a few ulps
    // of ln C per step, ~150 steps, ln C <= 60 here: ~1e-13); expm1 and exp above err by
    // ~1e-16. A wrong rate (A left out, or ln A counted twice) is off by orders of magnitude.
    for (const double A0 : {1.0, 2.5}) {
        const double E0 = 1.5, gamma = 0.5, P0 = 70, h = 0.75, C0 = E0 * P0;  // tau = 0
        const Experiment ex = must_load(R"(racesim: 1
horizon: 30
output: {every: 0.5}
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 1.5, gamma: 0.5}
    power: {type: mean-field, P0: 70}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    algorithms: {type: halving-time, halving_time: 0.75, A0: )" +
                                        std::to_string(A0) +
                                        R"(}
    targets: {relative: [0.5]}
)");
        const RunResult r = run_experiment(models(), ex);
        const ScenarioResult& s = scenario(r, "s");
        const Trajectory& tr = s.trajectory;
        REQUIRE(tr.has_algorithms());
        REQUIRE(tr.size() == 61);
        const double g = (gamma + 1 / h) * ln2, ge = gamma * ln2;
        double worst_C = 0, worst_Cp = 0, worst_A = 0;
        for (std::size_t i = 0; i < tr.size(); ++i) {
            const double t = tr.t[i];
            const double C = C0 + A0 * E0 * P0 * std::expm1(g * t) / g;
            const double Cp = C0 / A0 + E0 * P0 * std::expm1(ge * t) / ge;
            const double A = A0 * std::exp2(t / h);
            worst_C = std::max(worst_C, rel(tr.C[i], C));
            worst_Cp = std::max(worst_Cp, rel(tr.C_physical[i], Cp));
            worst_A = std::max(worst_A, rel(tr.A[i], A));
        }
        INFO("A0 = " << A0 << ": worst relative errors C " << worst_C << ", C_physical " << worst_Cp << ", A "
                     << worst_A);
        CHECK(worst_C < 1e-12);
        CHECK(worst_Cp < 1e-12);
        CHECK(worst_A < 1e-14);  // one exp of a value below 30: a few ulps
        // The loss law sees effective compute: the time to R = 0.5 solves C(t*) = C0·0.5^(-1/kappa).
        const double x = std::log(0.5) / -0.048;                                        // ln(C*/C0)
        const double t_star = std::log1p(g * C0 * std::expm1(x) / (A0 * E0 * P0)) / g;  // inverse of C(t)
        REQUIRE(s.targets.at(0).time);
        // 1e-10: the time's condition number x/(t·u') is ~1 here; the crossing finder polishes to
        // the integrator's tolerance (1e-10 on ln C).
        CHECK(*s.targets[0].time == Approx(t_star).epsilon(1e-10));
    }
}

TEST_CASE("algorithms: an algorithm-table gives the hand-derived piecewise-linear C and C_physical") {
    // E·P = 2·5 = 10 PFLOP/yr throughout. A = A0·m(t)/m(0) with m = 4, 12, 40 from t = 0, 2, 5,
    // so A/A0 = 1, 3, 10. With C0 = 100 and A0 = 2:
    //   C(t) = 100 + 20 t            (t <= 2)  -> C(2) = 140
    //        = 140 + 60 (t - 2)      (2..5)    -> C(5) = 320
    //        = 320 + 200 (t - 5)     (t >= 5)  -> C(8) = 920
    //   C_physical(t) = 100/2 + 10 t.
    // Every rate is constant on its segment, which the integrator's linear form takes exactly;
    // the values are integers below 2^53, so 1e-14 relative allows for rounding in exp/log of
    // the log-form bookkeeping only.
    const Experiment ex = must_load(R"(racesim: 1
horizon: 8
output: {every: 1}
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 2, gamma: 0}
    power: {type: mean-field, P0: 5}
    loss: {type: power-law, kappa: 0.5, L0: 1.0}
    baseline: {C0: 100}
    algorithms: {type: algorithm-table, A0: 2, steps: [[-1, 7], [0, 4], [2, 12], [5, 40]]}
    targets: {relative: [0.5]}
    reference: piecewise-exact
)");
    const RunResult r = run_experiment(models(), ex);
    const ScenarioResult& s = scenario(r, "s");
    const Trajectory& tr = s.trajectory;
    REQUIRE(tr.size() == 9);
    const double C[] = {100, 120, 140, 200, 260, 320, 520, 720, 920};
    const double A[] = {2, 2, 6, 6, 6, 20, 20, 20, 20};  // the regime from each row's time on
    for (std::size_t i = 0; i < tr.size(); ++i) {
        INFO("t = " << tr.t[i]);
        CHECK(tr.C[i] == Approx(C[i]).epsilon(1e-14));
        CHECK(tr.C_physical[i] == Approx(50 + 10 * tr.t[i]).epsilon(1e-14));
        CHECK(tr.A[i] == Approx(A[i]).epsilon(1e-15));
    }
    // R = (C/C0)^(-1/2) = 0.5 at C = 400: 320 + 200 (t - 5) = 400 at t = 5.4.
    REQUIRE(s.targets.at(0).time);
    CHECK(*s.targets[0].time == Approx(5.4).epsilon(1e-12));
    // piecewise-exact covers the table: it agrees with the integrator to rounding.
    REQUIRE(s.max_rel_err);
    CHECK(*s.max_rel_err < 1e-13);
    REQUIRE(s.targets[0].reference_time);
    CHECK(*s.targets[0].reference_time == Approx(5.4).epsilon(1e-13));
}

TEST_CASE("algorithms: absent, nothing changes, and A = 1 changes no number") {
    // The same scenario (steps and bursts: many segments) without the block and with A = 1
    // from a one-row table (A0 = 1 and m(t)/m(0) = 3/3). ln A = 0 is then added to ln(E·P)
    // wherever the rate is evaluated, so every C, every target time and C_physical must be bit
    // for bit those of the scenario without the block, whose CSV has no A or C_physical.
    const Experiment ex = must_load(R"(racesim: 1
horizon: 20
output: {every: 0.25}
defaults:
  efficiency: {type: discrete-steps, E0: 1.0, gamma: 0.7, period: 1.5}
  power: {type: peaked, P0: 10, duty: 0.3, period: 2}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.8]}
scenarios:
  - name: without
  - name: one
    algorithms: {type: algorithm-table, steps: [[0, 3]]}
)");
    REQUIRE_FALSE(ex.scenarios[0].algorithms);
    REQUIRE(ex.scenarios[1].algorithms);
    const RunResult r = run_experiment(models(), ex);
    const Trajectory& a = scenario(r, "without").trajectory;
    const Trajectory& b = scenario(r, "one").trajectory;
    CHECK_FALSE(a.has_algorithms());
    CHECK(a.A.empty());
    CHECK(a.C_physical.empty());
    REQUIRE(b.has_algorithms());
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("t = " << a.t[i]);
        CHECK(a.C[i] == b.C[i]);
        CHECK(b.A[i] == 1.0);
        // C_physical is the same problem without A, integrated on its own: the same numbers.
        CHECK(b.C_physical[i] == a.C[i]);
    }
    CHECK(scenario(r, "without").targets.at(0).time == scenario(r, "one").targets.at(0).time);
}

TEST_CASE("algorithms: relative-loss covers halving-time exactly and refuses the table") {
    // The reference's closed form against the integrator (fitted form: rounding level, as above)
    // on R over the trajectory and the target times, and A0 != 1 with tau != 0.
    const Experiment ex = must_load(R"(racesim: 1
horizon: 25
output: {every: 0.5}
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 3, gamma: 0.4}
    power: {type: mean-field, P0: 20}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    baseline: {tau: 1.5}
    algorithms: {type: halving-time, halving_time: 0.67, A0: 0.5}
    targets: {relative: [0.7, 0.5]}
    reference: relative-loss
)");
    const RunResult r = run_experiment(models(), ex);
    const ScenarioResult& s = scenario(r, "s");
    REQUIRE(s.max_rel_err);
    CHECK(*s.max_rel_err < 1e-12);
    for (const auto& t : s.targets) {
        REQUIRE(t.time);
        REQUIRE(t.reference_time);
        REQUIRE(t.time_rel_err);
        CHECK(*t.time_rel_err < 1e-10);  // the crossing finder's accuracy at rel_tol 1e-10, condition ~1
    }
    // Without the block the reference gives another answer: it does read A.
    Diagnostics d;
    auto plain = load(R"(racesim: 1
horizon: 25
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 3, gamma: 0.4}
    power: {type: mean-field, P0: 20}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    baseline: {tau: 1.5}
    targets: {relative: [0.7]}
    reference: relative-loss
)",
                      d);
    REQUIRE(plain);
    const Model with = models().build(ex.scenarios[0]), without = models().build(plain->scenarios[0]);
    CHECK(with.reference->log_compute_ratio(10) > without.reference->log_compute_ratio(10) + 1);

    // A table is not exponential: relative-loss refuses it, saying why, at the reference.
    auto table = load(R"(racesim: 1
horizon: 25
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 3, gamma: 0.4}
    power: {type: mean-field, P0: 20}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    algorithms: {type: algorithm-table, steps: [[0, 1], [3, 4]]}
    targets: {relative: [0.7]}
    reference: relative-loss
)",
                      d);
    CHECK_FALSE(table);
    CHECK_THAT(messages(d), Catch::Contains("reference 'relative-loss' does not apply") &&
                                Catch::Contains("'halving-time'") && Catch::Contains("piecewise-exact"));
}

TEST_CASE("algorithms: piecewise-exact covers both built-in models with steps and bursts") {
    // Discrete efficiency steps and a peaked power schedule (many breakpoints) with A from both
    // plugins: the reference against the integrator. Tolerance 1e-9 relative on R: the bar of
    // the suite's random-scenario checks at rel_tol 1e-10 (tests/numerics), here with bursts.
    for (const char* alg : {"{type: halving-time, halving_time: 0.67}",
                            "{type: algorithm-table, A0: 3, steps: [[0, 1], [1.3, 2.5], [4.1, 9], [7.7, 20]]}"}) {
        const Experiment ex = must_load(std::string(R"(racesim: 1
horizon: 10
output: {every: 0.1}
scenarios:
  - name: s
    efficiency: {type: discrete-steps, E0: 1.0, gamma: 0.8, period: 0.9}
    power: {type: peaked, P0: 10, duty: 0.25, period: 1.1, offset: 0.3}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    targets: {relative: [0.8, 0.7]}
    reference: piecewise-exact
    algorithms: )") + alg + "\n");
        const RunResult r = run_experiment(models(), ex);
        const ScenarioResult& s = scenario(r, "s");
        INFO(alg);
        REQUIRE(s.max_rel_err);
        CHECK(*s.max_rel_err < 1e-9);
        for (const auto& t : s.targets) {
            REQUIRE(t.time_rel_err);
            CHECK(*t.time_rel_err < 1e-8);
        }
    }
    // The other forms of a piece with A: logistic x constant power x a table (A joins the
    // piece's constant), linear power growth x halving-time (A's rate joins the exponential
    // factor of the exp-linear form), tables of E and linear power x halving-time.
    const Experiment more = must_load(R"(racesim: 1
horizon: 10
output: {every: 0.1}
defaults:
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.8]}
  reference: piecewise-exact
scenarios:
  - name: logistic
    efficiency: {type: logistic, E0: 1.0, gamma: 0.8, E_max: 100}
    power: {type: mean-field, P0: 10}
    algorithms: {type: algorithm-table, steps: [[0, 1], [2.5, 3], [6, 7]]}
  - name: linear-growth
    efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.8}
    power: {type: growth, P0: 10, rate: 0.3, mode: linear, P_max: 25}
    algorithms: {type: halving-time, halving_time: 0.67, A0: 2}
  - name: tables
    efficiency: {type: generation-table, E0: 1.0, steps: [[0, 1], [3, 4], [7, 9]]}
    power: {type: time-series, series: [[0, 5], [4, 20], [8, 10]], interpolation: linear}
    baseline: {C0: 10}
    algorithms: {type: halving-time, halving_time: 1.2}
)");
    const RunResult rm = run_experiment(models(), more);
    REQUIRE(rm.scenarios.size() == 3);
    for (const auto& s : rm.scenarios) {
        INFO(s.spec->name);
        REQUIRE(s.max_rel_err);
        CHECK(*s.max_rel_err < 1e-9);
        REQUIRE(s.targets.at(0).time_rel_err);
        CHECK(*s.targets[0].time_rel_err < 1e-8);
    }

    // halving-time x logistic efficiency has no elementary integral: refused with the reason.
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 10
scenarios:
  - name: s
    efficiency: {type: logistic, E0: 1.0, gamma: 0.8, E_max: 100}
    power: {type: mean-field, P0: 10}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    algorithms: {type: halving-time, halving_time: 0.67}
    reference: piecewise-exact
)",
                   d);
    CHECK_FALSE(ex);
    CHECK_THAT(messages(d), Catch::Contains("logistic efficiency times halving-time"));
}

TEST_CASE("algorithms: a rate that reads C is refused with algorithms, at the block") {
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 10
scenarios:
  - name: s
    efficiency: {type: experience-curve, E0: 1.0, b: 0.2}
    power: {type: mean-field, P0: 10}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    algorithms: {type: halving-time, halving_time: 0.67}
)",
                   d);
    CHECK_FALSE(ex);
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:8:17: error: scenario 's': algorithms 'halving-time' cannot be "
                                            "combined with efficiency 'experience-curve'"));
}

TEST_CASE("algorithms: sweeps, the vectorised closed form and inheritance over algorithms.<param>") {
    // A sweep of the halving time: the vectorised relative-loss path, the scalar reference path
    // and the integrator agree. The scalar and vectorised closed forms compute the same formula
    // in another order (1e-12 relative, as in test_analyses.cpp); the integrator to 1e-9 (the
    // crossing finder at rel_tol 1e-10, condition numbers ~1).
    const std::string yaml = R"(racesim: 1
horizon: 40
solver: {method: closed-form}
defaults:
  efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0.5}
  power: {type: mean-field, P0: 3.0}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  algorithms: {type: halving-time, halving_time: 1, A0: 1.5}
  targets: {relative: [0.68, 0.5]}
  reference: relative-loss
scenarios:
  - name: s
    sweep: {algorithms.halving_time: [0.42, 0.67, 1.17, 5], algorithms.A0: [1, 2]}
  - name: none
    algorithms: ~
)";
    Experiment ex = must_load(yaml);
    REQUIRE(ex.scenarios.size() == 2);
    CHECK_FALSE(ex.scenarios[1].algorithms);  // `algorithms: ~` drops the inherited block
    ex.output.trajectories = false;
    REQUIRE(sweep_batchable(models(), ex, ex.scenarios[0]));
    const RunResult vec = run_experiment(models(), ex);
    REQUIRE(vec.sweep_rows.size() == 1);
    const SweepRows& rows = vec.sweep_rows[0];
    REQUIRE(rows.n == 8);
    ex.solver.vectorise = false;
    const RunResult scalar = run_experiment(models(), ex);
    ex.solver.closed_form = false;
    const RunResult ode = run_experiment(models(), ex);
    REQUIRE(scalar.scenarios.size() == 9);
    REQUIRE(ode.scenarios.size() == 9);
    for (std::size_t i = 0; i < 8; ++i) {
        const ScenarioResult& a = scalar.scenarios[i];
        const ScenarioResult& b = ode.scenarios[i];
        INFO(a.spec->name);
        for (std::size_t k = 0; k < 2; ++k) {
            REQUIRE(a.targets[k].time);
            REQUIRE(b.targets[k].time);
            CHECK(rows.times[k][i] == Approx(*a.targets[k].time).epsilon(1e-12));
            CHECK(*b.targets[k].time == Approx(*a.targets[k].time).epsilon(1e-9));
        }
    }
    // A shorter halving time reaches a target sooner.
    CHECK(rows.times[0][0] < rows.times[0][2]);

    // A sweep of algorithms.<param> in a scenario without the block is refused, at the path.
    Diagnostics d;
    auto bad = load(R"(racesim: 1
horizon: 40
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0.5}
    power: {type: mean-field, P0: 3.0}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    sweep: {algorithms.halving_time: [0.5, 1]}
)",
                    d);
    CHECK_FALSE(bad);
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:8:13: error: cannot sweep 'algorithms.halving_time': scenario "
                                            "'s' has no 'algorithms' block"));
}

TEST_CASE("algorithms: decompose splits a change among factors including algorithms") {
    // From a scenario without algorithmic progress to one with it and a higher P0: the two
    // Shapley contributions add up to the total change of the time to target (exactly, by
    // construction of the values; to rounding in their sums).
    const Experiment ex = must_load(R"(racesim: 1
horizon: 40
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
scenarios:
  - name: a
  - name: b
    power: {P0: 3}
    algorithms: {type: halving-time, halving_time: 0.67}
    decompose: {from: a}
)");
    const RunResult r = run_experiment(models(), ex);
    const auto* rows = rows_of<DecomposeRow>(r.tables);
    REQUIRE(rows);
    std::vector<std::string> factors;
    double sum = 0, total = 0;
    for (const auto& row : *rows) {
        factors.push_back(row.factor);
        REQUIRE(row.contribution);
        REQUIRE(row.total);
        sum += *row.contribution;
        total = *row.total;
    }
    CHECK(factors == std::vector<std::string>{"power", "algorithms"});
    CHECK(total < 0);  // sooner
    CHECK(sum == Approx(total).epsilon(1e-12));
}

TEST_CASE("algorithms: fit recovers a halving time from effective compute C(t)") {
    // C(t) of halving-time x continuous-doubling x mean-field (the closed form of the first test
    // case) at h = 0.8, written exactly; fit: starts from h = 1.5 and must return 0.8 to the
    // integration's accuracy (1e-7, as in test_fit.cpp's noiseless trajectory fit). Without A
    // in the fit's own integration of C (its predict step) it would find no h that fits.
    const double E0 = 1, gamma = 0.5, P0 = 3, h = 0.8, C0 = E0 * P0;
    const double g = (gamma + 1 / h) * ln2;
    const auto dir = std::filesystem::temp_directory_path() / ("racesim-alg-fit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto csv = dir / "c.csv";
    {
        std::ofstream out(csv);
        out << "t,C\n";
        out.precision(17);
        for (int i = 1; i <= 16; ++i) {
            const double t = 0.5 * i;
            out << t << "," << C0 + E0 * P0 * std::expm1(g * t) / g << "\n";
        }
    }
    const Experiment ex = must_load(R"(racesim: 1
horizon: 10
solver: {rel_tol: 1e-12}
scenarios:
  - name: s
    efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
    power: {type: mean-field, P0: 3}
    loss: {type: power-law, kappa: 0.048, L0: 1.0}
    algorithms: {type: halving-time, halving_time: 1.5}
    fit:
      data: )" + csv.string() + R"(
      t: {column: t}
      observe: {quantity: C, column: C}
      parameters: [algorithms.halving_time]
)");
    const RunResult r = run_experiment(models(), ex);
    const auto* rows = rows_of<FitRow>(r.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().converged);
    CHECK(rows->front().estimate == Approx(h).epsilon(1e-7));
    std::filesystem::remove_all(dir);
}
