// Sweeps, goal seek, sensitivity and comparisons, checked against closed forms (docs/model.md) and
// hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "racesim/analyses/sensitivity.hpp"
#include "racesim/analyses/solve.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/csv.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::models;
using racesim::test::registry;

namespace {

/// The names of the scenarios a run makes (sweeps expanded).
std::vector<std::string> names(const Experiment& ex) {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < scenario_count(ex); ++i) v.push_back(expand(ex, i).spec->name);
    return v;
}

const std::string head = R"(racesim: 1
horizon: 40
defaults:
  efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0.5}
  power: {type: mean-field, P0: 3.0}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  reference: relative-loss
scenarios:
)";

const double ln2 = std::log(2.0);

/// docs/model.md: time to relative loss y, continuous doubling x mean-field.
double t_star(double y, double gamma, double kappa, double tau = 0) {
    const double X = std::pow(y, -1 / kappa);
    if (gamma == 0) return (1 + tau) * (X - 1);
    return std::log1p(gamma * ln2 * (1 + tau) * (X - 1)) / (gamma * ln2);
}

}  // namespace

TEST_CASE("sweep: a list gives one scenario per value, named and recorded") {
    Diagnostics d;
    auto ex = load(head + "  - name: b\n    sweep: {efficiency.gamma: [0, 0.50, 2]}\n", d);
    REQUIRE(ex);
    CHECK(names(*ex) == std::vector<std::string>{"b[gamma=0]", "b[gamma=0.50]", "b[gamma=2]"});
    CHECK(expand(*ex, 1).spec->efficiency.selection.params.real("gamma") == 0.5);
    CHECK(expand(*ex, 1).spec->origin == "b");
    REQUIRE(expand(*ex, 2).spec->sweep.size() == 1);
    CHECK(expand(*ex, 2).spec->sweep[0].path == "efficiency.gamma");
    // The models are built for each value: the reference agrees with the swept gamma.
    CHECK(models().expand(*ex, 2).model.reference->time_to_log_compute_ratio(std::log1p(10.0)).value() ==
          Approx(std::log1p(2 * ln2 * 10.0) / (2 * ln2)).epsilon(1e-14));
}

TEST_CASE("sweep: two paths give the cartesian product, last path fastest; zip pairs them") {
    Diagnostics d;
    auto ex = load(head + "  - name: p\n    sweep: {efficiency.gamma: [1, 2], baseline.tau: [0, 0.5, 1]}\n", d);
    REQUIRE(ex);
    CHECK(names(*ex) == std::vector<std::string>{"p[gamma=1,tau=0]", "p[gamma=1,tau=0.5]", "p[gamma=1,tau=1]",
                                                 "p[gamma=2,tau=0]", "p[gamma=2,tau=0.5]", "p[gamma=2,tau=1]"});
    CHECK(models().expand(*ex, 4).model.C0 == Approx(2.0 * 3.0 * 1.5).epsilon(1e-15));

    Diagnostics d2;
    auto z = load(head + "  - name: z\n    sweep: {zip: true, efficiency.gamma: [1, 2], power.P0: [5, 7]}\n", d2);
    REQUIRE(z);
    CHECK(names(*z) == std::vector<std::string>{"z[gamma=1,P0=5]", "z[gamma=2,P0=7]"});
}

TEST_CASE("sweep: ranges by step and by count, linear and log, clean decimals") {
    Diagnostics d;
    auto ex = load(head + "  - name: s\n    sweep: {baseline.tau: {from: 0, to: 0.3, step: 0.1}}\n", d);
    REQUIRE(ex);
    CHECK(names(*ex) == std::vector<std::string>{"s[tau=0]", "s[tau=0.1]", "s[tau=0.2]", "s[tau=0.3]"});
    CHECK(*expand(*ex, 3).spec->tau == 0.3);  // not 0.30000000000000004

    Diagnostics d2;
    auto lg = load(head + "  - name: l\n    sweep: {power.P0: {from: 1, to: 1000, count: 4, scale: log}}\n", d2);
    REQUIRE(lg);
    CHECK(names(*lg) == std::vector<std::string>{"l[P0=1]", "l[P0=10]", "l[P0=100]", "l[P0=1000]"});

    Diagnostics d3;
    auto down = load(head + "  - name: d\n    sweep: {efficiency.gamma: {from: 2, to: 1, step: -0.5}}\n", d3);
    REQUIRE(down);
    CHECK(names(*down) == std::vector<std::string>{"d[gamma=2]", "d[gamma=1.5]", "d[gamma=1]"});
}

TEST_CASE("sweep: labels use the full path when two axes share a parameter name") {
    Diagnostics d;
    auto ex = load(head + R"(  - name: two
    efficiency: {type: discrete-steps, E0: 2.0, gamma: 1, period: 1}
    power: {type: peaked, P0: 3.0, duty: 0.5, period: 1}
    reference: piecewise-exact
    sweep: {efficiency.period: [1, 2], power.period: [1]}
)",
                   d);
    REQUIRE(ex);
    CHECK(names(*ex) == std::vector<std::string>{"two[efficiency.period=1,power.period=1]",
                                                 "two[efficiency.period=2,power.period=1]"});
}

TEST_CASE("sweep: errors at the value, the path and the block, and the expansion limit") {
    Diagnostics d;
    CHECK_FALSE(load(head + "  - name: b\n    sweep: {efficiency.gama: [1]}\n", d));
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:11:13: error: cannot sweep 'efficiency.gama'") &&
                                Catch::Contains("did you mean 'efficiency.gamma'?"));

    Diagnostics d2;
    CHECK_FALSE(load(head + "  - name: b\n    sweep: {power.P0: [1, -2, 3]}\n", d2));
    CHECK_THAT(messages(d2),
               Catch::Contains("t.yaml:11:27: error: sweep value power.P0 = -2 is refused: it must be > 0"));

    Diagnostics d3;
    CHECK_FALSE(load(head + "  - name: b\n    sweep: {zip: true, efficiency.gamma: [1, 2], power.P0: [1]}\n", d3));
    CHECK_THAT(messages(d3), Catch::Contains("'zip: true' pairs values one to one, but power.P0 has 1 values"));

    Diagnostics d4;
    CHECK_FALSE(load(head + "  - name: b\n    sweep: {efficiency.gamma: {from: 0, to: 1, count: 11}, power.P0: "
                            "{from: 1, to: 10, count: 10}}\n",
                     d4, ExperimentLimits{100}));
    CHECK_THAT(messages(d4), Catch::Contains("t.yaml:11:12: error: the sweep of scenario 'b' expands to 110 "
                                             "scenarios; at most 100 are allowed"));

    Diagnostics d5;
    CHECK_FALSE(load(head + "  - name: b\n    sweep: {baseline.tau: {from: 0, to: 1, step: -0.1}}\n", d5));
    CHECK_THAT(messages(d5), Catch::Contains("step -0.1 does not lead from 0 to 1"));
}

TEST_CASE("sweep: scenarios are made one at a time, in order, with what a declared one would have") {
    Diagnostics d;
    auto ex = load(head + R"(  - name: plain
  - name: p
    sweep: {efficiency.gamma: {from: 1, to: 2, count: 3}, baseline.tau: [0, 1]}
    sensitivity: {step: 0.01, parameters: [efficiency.gamma]}
)",
                   d);
    REQUIRE(ex);
    // Two declared scenarios stand for seven: the sweep is not expanded in the experiment.
    REQUIRE(ex->scenarios.size() == 2);
    REQUIRE(ex->scenarios[1].sweep_plan);
    CHECK(ex->scenarios[1].sweep_plan->size() == 6);
    CHECK(scenario_count(*ex) == 7);
    CHECK(expand(*ex, 0).spec == &ex->scenarios[0]);  // a declared scenario is not copied
    const ScenarioRef r = expand(*ex, 5);             // the sweep's 5th: gamma = 2 (third value), tau = 0
    CHECK(r.spec->name == "p[gamma=2,tau=0]");
    CHECK(r.declared == 1);
    CHECK(find_analysis<SensitivitySpec>(*r.spec) != nullptr);
    CHECK_FALSE(r.spec->sweep_plan);
    CHECK_THROWS_AS(expand(*ex, 7), std::out_of_range);

    // The streamed run hands scenarios over in order with their sensitivity rows, and agrees
    // with the closed form (docs/model.md) at each swept point.
    const RunResult res = run_experiment(models(), *ex);
    REQUIRE(res.scenarios.size() == 7);
    for (std::size_t i = 0; i < 7; ++i) CHECK(res.scenarios[i].index == i);
    const auto& t = res.scenarios[5].targets.at(0);
    CHECK(*t.time == Approx(t_star(0.68, 2, 0.048, 0)).epsilon(1e-9));
    CHECK(res.scenarios[6].spec->name == "p[gamma=2,tau=1]");
    CHECK(*res.scenarios[6].targets.at(0).time == Approx(t_star(0.68, 2, 0.048, 1)).epsilon(1e-9));
    CHECK(rows_of<SensitivityRow>(res.tables)->size() == 6);  // one parameter, one target, six swept scenarios
}

TEST_CASE("sweep: a combination of values that is refused is found at load, or at run in a large sweep") {
    const std::string text = head + R"(  - name: floor
    loss: {type: power-law-irreducible, kappa: 0.1, L0: 2.0, Linf: 1.0}
    targets: {loss: [1.2]}
    reference: null
    sweep: {loss.Linf: [0.5, 1.0, 1.5]}
)";
    Diagnostics d;
    CHECK_FALSE(load(text, d));  // small: every combination checked at load, at its value
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:12:22: error:") && Catch::Contains("floor[Linf=1.5]"));

    // Past the limit, the same problem is found when the scenario is made, with its position.
    ExperimentLimits lim;
    lim.check_combinations = 2;
    Diagnostics d2;
    auto ex = load(text, d2, lim);
    REQUIRE(ex);
    CHECK(scenario_count(*ex) == 3);
    try {
        (void)run_experiment(models(), *ex);
        FAIL("a refused combination ran");
    } catch (const ConfigError& e) {
        std::ostringstream os;
        e.diagnostics.print(os);
        CHECK_THAT(os.str(), Catch::Contains("t.yaml:12:22: error:") && Catch::Contains("floor[Linf=1.5]"));
    }
}

TEST_CASE("sweep: names stay unique: repeated values, repeated zipped pairs, declared look-alikes") {
    Diagnostics d;
    CHECK_FALSE(load(head + "  - name: b\n    sweep: {efficiency.gamma: [1, 2, 1]}\n", d));
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:11:38: error: sweep value efficiency.gamma = 1 is repeated") &&
                                Catch::Contains("first given here"));

    Diagnostics d2;
    CHECK_FALSE(
        load(head + "  - name: z\n    sweep: {zip: true, efficiency.gamma: [1, 2, 1], power.P0: [5, 7, 5]}\n", d2));
    CHECK_THAT(messages(d2), Catch::Contains("values 1 and 3 of the zipped paths are the same: two scenarios would be "
                                             "named 'z[gamma=1,P0=5]'"));
    Diagnostics d2b;  // repeats on one axis are fine when the pairs differ
    CHECK(load(head + "  - name: z\n    sweep: {zip: true, efficiency.gamma: [1, 2, 1], power.P0: [5, 7, 6]}\n", d2b));

    Diagnostics d3;
    CHECK_FALSE(load(head + "  - name: s\n    sweep: {efficiency.gamma: [1, 2]}\n  - name: s[gamma=2]\n", d3));
    CHECK_THAT(messages(d3), Catch::Contains("scenario name 's[gamma=2]' is also the name of a scenario of the "
                                             "sweep of 's'"));
}

TEST_CASE("compare: a sweep's scenarios by name, not the sweep itself") {
    Diagnostics d;
    CHECK(load(head + "  - name: s\n    sweep: {efficiency.gamma: {from: 1, to: 3, count: 3}}\ncompare:\n  - {a: "
                      "'s[gamma=1]', b: 's[gamma=3]'}\n",
               d));
    Diagnostics d2;
    CHECK_FALSE(
        load(head + "  - name: s\n    sweep: {efficiency.gamma: [1, 2]}\ncompare:\n  - {a: s, b: 's[gamma=2]'}\n", d2));
    CHECK_THAT(messages(d2), Catch::Contains("compare: 's' is a sweep, not one scenario") &&
                                 Catch::Contains("name one of its scenarios, e.g. 's[gamma=1]'"));
}

namespace {

/// The rows of sweep.csv written by a run of `ex`, split into cells (header first).
std::vector<std::vector<std::string>> sweep_csv(const Experiment& ex, const std::string& leaf) {
    const auto dir = std::filesystem::temp_directory_path() / ("racesim-unit-" + leaf);
    write_results(run_experiment(models(), ex), dir, true);
    std::ifstream in(dir / "sweep.csv");
    std::vector<std::vector<std::string>> rows;
    csv::Reader reader(in);  // the scenario names hold commas: they are quoted
    for (std::vector<std::string> cells; reader.next(cells);) rows.push_back(cells);
    std::filesystem::remove_all(dir);
    return rows;
}

}  // namespace

TEST_CASE("closed form: a vectorised sweep writes what the scenario-by-scenario path writes") {
    // gamma < 0 (bounded compute: the first target unreachable, the second reached or not),
    // gamma = 0, tau and kappa swept, a loss target with C_ref set, one beyond the horizon.
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 40
solver: {method: closed-form}
defaults:
  efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0.5}
  power: {type: mean-field, P0: 3.0}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68, 0.999]}
  reference: relative-loss
scenarios:
  - name: s
    sweep: {efficiency.gamma: [-1, -0.01, 0, 0.3, 2.5], baseline.tau: {from: 0, to: 2, count: 3}, loss.kappa: [0.048, 0.1]}
  - name: plain
  - name: lossy
    loss: {type: power-law, kappa: 0.05, L0: 2.0, C_ref: 10}
    targets: {loss: [1.5]}
    sweep: {power.P0: {from: 1, to: 1000, count: 7, scale: log}}
)",
                   d);
    REQUIRE(ex);
    ex->output.trajectories = false;
    REQUIRE(sweep_batchable(models(), *ex, ex->scenarios[0]));
    REQUIRE(sweep_batchable(models(), *ex, ex->scenarios[2]));
    const RunResult vec = run_experiment(models(), *ex);
    CHECK(vec.scenarios.size() == 1);  // 'plain' only: the sweeps went by rows
    CHECK(vec.sweep_rows.size() == 2);
    const auto a = sweep_csv(*ex, "vec");
    ex->solver.vectorise = false;
    CHECK_FALSE(sweep_batchable(models(), *ex, ex->scenarios[0]));
    const auto b = sweep_csv(*ex, "scalar");
    REQUIRE(a.size() == 1 + 30 + 7);
    REQUIRE(a.size() == b.size());
    bool unreachable = false, not_reached = false;
    for (std::size_t r = 0; r < a.size(); ++r) {
        REQUIRE(a[r].size() == b[r].size());
        for (std::size_t c = 0; c < a[r].size(); ++c) {
            INFO("row " << r << " column " << c << ": " << a[r][c] << " vs " << b[r][c]);
            unreachable = unreachable || a[r][c] == "unreachable";
            not_reached = not_reached || a[r][c] == "false";
            // Times agree to 1e-12 relative: the vectorised path computes ln(C_target/C0) as
            // -ln(y)/kappa directly, the scalar one through L(C0) and back (a few ulps of ln C).
            if (r > 0 && c >= 6 && !a[r][c].empty() && a[r][c] != "true" && a[r][c] != "false" &&
                a[r][c] != "unreachable") {
                CHECK(std::stod(a[r][c]) == Approx(std::stod(b[r][c])).epsilon(1e-12).margin(1e-14));
            } else {
                CHECK(a[r][c] == b[r][c]);
            }
        }
    }
    CHECK(unreachable);
    CHECK(not_reached);
}

TEST_CASE("goal seek: unfold in space needs y^(-1/kappa) times the baseline power, whatever L0") {
    for (const double L0 : {1.0, 2.5}) {
        Diagnostics d;
        const std::string text = std::string(R"(racesim: 1
horizon: 10
scenarios:
  - name: space
    efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0}
    power: {type: mean-field, P0: 5}
    loss: {type: power-law, kappa: 0.048, L0: )") +
                                 std::to_string(L0) + R"(, C_ref: 10}
    targets: {loss: [)" + std::to_string(0.68 * L0) +
                                 R"(]}
    solve: {parameter: power.P0, bracket: [1, 1.0e9], at: 0}
)";
        auto ex = load(text, d);
        REQUIRE(ex);
        const SolveResult s = solve(models(), *ex, ex->scenarios[0]);
        REQUIRE(s.found);
        // C_ref = 10 = E0 * P_ref * 1 yr with P_ref = 5: P = 5 * 0.68^(-1/0.048). Exact in closed
        // form (no integration at t = 0); TOMS 748 stops at 1e-12 relative in P.
        CHECK(s.value == Approx(5 * std::pow(0.68, -1 / 0.048)).epsilon(1e-11));
    }
}

TEST_CASE("goal seek: the smallest gamma that reaches a target by a deadline") {
    Diagnostics d;
    auto ex = load(head + "  - name: g\n    solve: {parameter: efficiency.gamma, bracket: [0.01, 10], at: 10}\n", d);
    REQUIRE(ex);
    const RunResult r = run_experiment(models(), *ex);
    const SolveResult& s = rows_of<SolveResult>(r.scenarios[0].tables)->at(0);
    REQUIRE(s.found);
    // Substituting the root into the closed form gives the deadline back: the root is exact to
    // the integration error (rel_tol 1e-10 on C, i.e. ~1e-10 in ln C, divided by d ln C/d gamma).
    CHECK(t_star(0.68, s.value, 0.048) == Approx(10).epsilon(1e-8));
    CHECK(*s.time == Approx(10).epsilon(1e-8));
    CHECK(r.scenarios[0].spec->efficiency.selection.params.real("gamma") == s.value);
}

TEST_CASE("goal seek: a bracket that holds no solution is reported with the bracket") {
    Diagnostics d;
    auto ex = load(head + "  - name: g\n    solve: {parameter: efficiency.gamma, bracket: [0.01, 0.1], at: 10}\n", d);
    REQUIRE(ex);
    const SolveResult s = solve(models(), *ex, ex->scenarios[0]);
    CHECK_FALSE(s.found);
    CHECK_THAT(s.message, Catch::Contains("no value of efficiency.gamma in [0.01, 0.1] reaches R=0.68 at t = 10 yr") &&
                              Catch::Contains("neither end reaches it by then"));
    CHECK(s.g_lo < 0);
    CHECK(s.g_hi < 0);
}

TEST_CASE("sensitivity: central differences agree with the analytic derivatives of t*") {
    Diagnostics d;
    auto ex = load(head + R"(  - name: s
    efficiency: {gamma: 2}
    baseline: {tau: 0.5}
    sensitivity: {step: 1.0e-4}
)",
                   d);
    REQUIRE(ex);
    const RunResult r = run_experiment(models(), *ex);
    const double g = 2, k = 0.048, tau = 0.5, y = 0.68;
    const double X = std::pow(y, -1 / k), a = g * ln2, S = 1 + a * (1 + tau) * (X - 1);
    const double t = std::log(S) / a;
    // d t*/d tau, d t*/d gamma and d t*/d kappa of t* = ln(1 + a(1+tau)(X-1))/a, a = gamma ln 2.
    const double dtau = (X - 1) / S;
    const double dgamma = (ln2 * (1 + tau) * (X - 1) / S) / a - t / g;
    const double dkappa = (a * (1 + tau) * X * std::log(y) / (k * k)) / S / a;
    int checked = 0;
    for (const auto& row : *rows_of<SensitivityRow>(r.tables)) {
        REQUIRE(row.derivative);
        double exact = 0;
        if (row.path == "baseline.tau")
            exact = dtau;
        else if (row.path == "efficiency.gamma")
            exact = dgamma;
        else if (row.path == "loss.kappa")
            exact = dkappa;
        else {
            // E0, P0 and L0 do not move a relative target (C0 scales with E0·P0).
            CHECK(std::abs(*row.derivative * row.value) < 1e-6);
            continue;
        }
        // Central difference: O(h^2) truncation (h = 1e-4 relative: ~1e-8) plus the time error
        // (~1e-11 relative) over 2h, ~1e-7. Stated tolerance: 1e-5.
        CHECK(*row.derivative == Approx(exact).epsilon(1e-5));
        ++checked;
    }
    CHECK(checked == 3);
}

TEST_CASE("compare: hand-computed series") {
    Series a{"a", {0, 1, 2, 3}, {1, 2, 4, 8}, {1, 1, 1, 1}, {1, 0.9, 0.8, 0.7}, {{"R=0.75", 2.5}}};
    Series b{"b", {0, 1, 2}, {1, 3, 3}, {1, 1, 1}, {1, 0.85, 0.85}, {{"R=0.75", std::nullopt}}};
    const Comparison c = compare(a, b);
    REQUIRE(c.rows.size() == 3);
    CHECK(c.unmatched_times == 1);
    CHECK(*c.max_abs_R_gap == Approx(0.05));
    CHECK(*c.max_abs_R_gap_t == 1);  // |0.9-0.85| = 0.05 at t = 1 ties |0.8-0.85| at t = 2: the first wins
    CHECK(*c.min_C_ratio == Approx(2.0 / 3.0));
    CHECK(*c.min_C_ratio_t == 1);
    CHECK(*c.max_C_ratio == Approx(4.0 / 3.0));
    CHECK(*c.max_C_ratio_t == 2);
    REQUIRE(c.targets.size() == 1);
    CHECK(*c.targets[0].time_a == 2.5);
    CHECK_FALSE(c.targets[0].difference);
    CHECK_THROWS_AS(compare(a, Series{"e", {0.5}, {1}, {1}, {1}, {}}), std::invalid_argument);
}

TEST_CASE("compare: yearly generations against continuous doubling, exact compute ratio") {
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 4
output: {every: 0.5}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
scenarios:
  - name: cont
  - name: yearly
    efficiency: {type: discrete-steps, period: 1}
compare:
  - {a: yearly, b: cont}
)",
                   d);
    REQUIRE(ex);
    const RunResult r = run_experiment(models(), *ex);
    REQUIRE(r.comparisons.size() == 1);
    for (const auto& row : r.comparisons[0].rows) {
        // docs/model.md: C0 = 1; continuous C = 1 + (2^t - 1)/ln 2; yearly (q = 2, T = 1)
        // C = 1 + (2^n - 1) + (t - n) 2^n with n = floor(t).
        const double t = row.t, n = std::floor(t);
        const double cont = 1 + std::expm1(t * ln2) / ln2, yearly = 1 + (std::exp2(n) - 1) + (t - n) * std::exp2(n);
        CHECK(row.C_ratio == Approx(yearly / cont).epsilon(1e-9));
    }
}

TEST_CASE("closed-form fast path: the same times as the ODE, and refused without a reference") {
    const std::string body = R"(
  - name: y
    sweep: {efficiency.gamma: [0, 0.5, 2, 3], baseline.tau: [-0.5, 0, 1]}
)";
    Diagnostics d1, d2;
    auto ode = load(head + body, d1);
    auto cf =
        load(std::string(head).replace(head.find("horizon: 40\n"), 12, "horizon: 40\nsolver: {method: closed-form}\n") +
                 body,
             d2);
    REQUIRE(ode);
    REQUIRE(cf);
    const RunResult a = run_experiment(models(), *ode), b = run_experiment(models(), *cf);
    REQUIRE(a.scenarios.size() == b.scenarios.size());
    for (std::size_t i = 0; i < a.scenarios.size(); ++i) {
        const auto &ta = a.scenarios[i].targets[0], &tb = b.scenarios[i].targets[0];
        REQUIRE(ta.time.has_value() == tb.time.has_value());
        if (ta.time) CHECK(*tb.time == Approx(*ta.time).epsilon(1e-9));  // the ODE's own error is ~1e-11
        CHECK(b.scenarios[i].stats.rhs_evaluations == 0);
    }
    Diagnostics d3;
    CHECK_FALSE(
        load("racesim: 1\nhorizon: 5\nsolver: {method: closed-form}\nscenarios:\n  - name: x\n"
             "    efficiency: {type: continuous-doubling, E0: 1, gamma: 1}\n"
             "    power: {type: mean-field, P0: 1}\n    loss: {type: power-law, kappa: 0.05, L0: 1}\n",
             d3));
    CHECK_THAT(messages(d3), Catch::Contains("t.yaml:3:18: error: solver.method 'closed-form' needs a reference for "
                                             "every scenario, and scenario 'x' has none"));
}

TEST_CASE("paired comparison: shares first, differences over the samples both reach, targets by label") {
    const double inf = std::numeric_limits<double>::infinity();
    // Five samples of target "x" (A's second target, B's first) and a target only A has.
    const std::vector<std::vector<double>> a{{1, 1, 1, 1, 1}, {1, 2, 3, inf, inf}};
    const std::vector<std::vector<double>> b{{2, 2, 3, 1, inf}};
    const PairedComparison p = paired_comparison({"only-a", "x"}, a, {"x"}, b);
    CHECK(p.n == 5);
    REQUIRE(p.targets.size() == 1);
    const PairedTarget& t = p.targets[0];
    CHECK(t.label == "x");
    CHECK(t.a_first == 1);  // sample 0: 1 < 2
    CHECK(t.b_first == 1);  // sample 3: A never reaches it, B at 1
    CHECK(t.ties == 3);     // samples 1, 2 (equal times) and 4 (neither reaches it)
    CHECK(t.both_reached == 3);
    REQUIRE(t.mean);
    CHECK(*t.mean == Approx(-1.0 / 3).epsilon(1e-15));  // (-1 + 0 + 0) / 3
    REQUIRE(t.quantiles.size() == time_quantile_probabilities.size());
    CHECK(t.quantiles[0].first == 0.05);
    CHECK(t.quantiles[0].second == Approx(-0.9).epsilon(1e-15));  // sorted -1, 0, 0: h = 0.1
    CHECK(t.quantiles[3].second == 0);                            // the median
    CHECK_THROWS_AS(paired_comparison({"x"}, {{1, 2}}, {"x"}, {{1, 2, 3}}), std::invalid_argument);
    // Type 7: h = (n - 1) p between order statistics.
    CHECK(quantile_type7({1, 2, 4, 8}, 0.5) == 3);
    CHECK(quantile_type7({1, 2, 4, 8}, 0.9) == Approx(4 + 0.7 * 4).epsilon(1e-15));
    CHECK(quantile_type7({7}, 0.3) == 7);
}
