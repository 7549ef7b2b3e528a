// Edge cases of the model, for the integrator and both references: gamma = 0 exactly,
// |gamma| = 1e-12, a declining efficiency whose bound lies below a target (unreachable, never
// reached numerically), a horizon shorter than the first breakpoint, and targets at or above
// the start loss (reached at t = 0). Expected values are elementary formulas evaluated here,
// not the plugins' own code.
//
// Tolerances: references 1e-13 relative (their bar; they see 1 + tau through
// ln C0 - ln E0 - ln P0, so a few ulps of ~60 are expected), the integrator 1e-8 on times
// (the bar) and 1e-9 absolute on ln(C/C0) (rel_tol 1e-10 is an absolute tolerance on it).
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "common.hpp"
#include "racesim/analyses/builtin.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/run/runner.hpp"

using namespace numerics;

namespace {

racesim::IntegrationResult integrate(const Scenario& sc, std::vector<double> times, std::vector<double> thresholds) {
    const auto e = sc.make_efficiency();
    const auto p = sc.make_power();
    racesim::IntegrationProblem pb;
    pb.efficiency = e.get();
    pb.power = p.get();
    pb.log_C0 = std::log(sc.C0);
    pb.horizon = sc.horizon;
    pb.output_times = std::move(times);
    pb.log_thresholds = std::move(thresholds);
    pb.scenario = "edge";
    return racesim::integrate(pb, racesim::IntegratorOptions{});
}

std::vector<double> grid(double H, int n) {
    std::vector<double> t;
    for (int k = 0; k <= n; ++k) t.push_back(k == n ? H : H * k / n);
    return t;
}

// Runs a one-scenario YAML experiment and returns its result (the experiment must outlive it).
struct Run {
    std::optional<racesim::Experiment> ex;
    racesim::ScenarioResult result;
};
Run run_yaml(const std::string& text) {
    racesim::Diagnostics d;
    auto doc = racesim::parse_document_text(text, "edge.yaml", d);
    Run r;
    if (doc)
        r.ex =
            racesim::validate(*doc, registry(), d, {}, racesim::model_check(registry()), racesim::builtin_analyses());
    std::ostringstream os;
    d.print(os);
    INFO(os.str());
    REQUIRE(r.ex);
    REQUIRE(r.ex->scenarios.size() == 1);
    r.result = racesim::run_scenario(*r.ex, models().instance(r.ex->scenarios.front()));
    return r;
}

}  // namespace

TEST_CASE("gamma = 0 exactly: C/C0 = 1 + t/(1 + tau) for both efficiency models") {
    for (const char* eff : {"continuous-doubling", "discrete-steps"}) {
        for (double tau : {-0.85, 0.0, 0.5, 3.0}) {
            Scenario sc;
            sc.efficiency = eff;
            sc.gamma = 0.0;
            sc.step_period = 0.75;
            sc.E0 = 3.5e10;
            sc.P0 = 70;
            sc.C0 = sc.E0 * sc.P0 * (1 + tau);
            sc.horizon = 100;
            const double c = sc.C0 / (sc.E0 * sc.P0);  // 1 + tau as the plugins see it
            INFO(sc.describe());
            std::vector<std::shared_ptr<const ReferenceModel>> refs;
            refs.push_back(sc.make_reference("piecewise-exact"));
            if (!sc.discrete()) refs.push_back(sc.make_reference("relative-loss"));
            const auto times = grid(sc.horizon, 40);
            // Time to reach C/C0 = X: (1 + tau)(X - 1).
            const std::vector<double> X{1.5, 3.0, 20.0};  // t <= 4·19 = 76 < horizon
            std::vector<double> xs;
            for (double v : X) xs.push_back(std::log(v));
            const auto res = integrate(sc, times, xs);
            for (std::size_t k = 0; k < times.size(); ++k) {
                const double exact = std::log1p(times[k] / c);
                for (const auto& r : refs)
                    CHECK(std::abs(r->log_compute_ratio(times[k]) - exact) <= 1e-13 * std::max(1.0, exact));
                CHECK(std::abs(res.log_ratio[k] - exact) <= 1e-9);
            }
            for (std::size_t j = 0; j < X.size(); ++j) {
                const double exact = c * (X[j] - 1);
                INFO("X = " << X[j] << ", exact time " << exact);
                for (const auto& r : refs) {
                    const auto t = r->time_to_log_compute_ratio(xs[j]);
                    REQUIRE(t);
                    CHECK(rel_err(*t, exact) <= 1e-13);
                    if (!sc.discrete()) CHECK_FALSE(r->log_compute_ratio_limit().has_value());
                }
                REQUIRE(res.threshold_times[j]);
                CHECK(rel_err(*res.threshold_times[j], exact) <= 1e-8);
            }
        }
    }
}

TEST_CASE("|gamma| = 1e-12: the references follow the series, no cancellation") {
    // continuous: C/C0 - 1 = (e^(g t) - 1)/(g (1 + tau)) = (t/(1+tau)) (1 + g t/2 + (g t)^2/6 + ...),
    // g = gamma ln2; with |g t| <= 1e-10 the series to second order is exact to 1e-30.
    // discrete (docs/model.md): C/C0 - 1 = [T (q^n - 1)/(q - 1) + (t - nT) q^n]/(1 + tau), q = e^(g T),
    // evaluated as T expm1(n g T)/expm1(g T): no cancellation either.
    for (double gamma : {1e-12, -1e-12}) {
        for (const char* eff : {"continuous-doubling", "discrete-steps"}) {
            Scenario sc;
            sc.efficiency = eff;
            sc.gamma = gamma;
            sc.step_period = 0.5;
            sc.E0 = 2.0;
            sc.P0 = 5.0;
            sc.C0 = 10.0 * 1.25;
            sc.horizon = 100;
            INFO(sc.describe());
            const double g = gamma * std::log(2.0), c = 1.25;
            std::vector<std::shared_ptr<const ReferenceModel>> refs;
            refs.push_back(sc.make_reference("piecewise-exact"));
            if (!sc.discrete()) refs.push_back(sc.make_reference("relative-loss"));
            const auto times = grid(sc.horizon, 25);
            const auto res = integrate(sc, times, {std::log(1 + 10 / c)});
            for (std::size_t k = 0; k < times.size(); ++k) {
                const double t = times[k];
                double growth;
                if (sc.discrete()) {
                    const double T = sc.step_period, n = std::floor(t / T), a = g * T;
                    growth = (T * std::expm1(n * a) / std::expm1(a) + (t - n * T) * std::exp(n * a)) / c;
                } else {
                    growth = t / c * (1 + g * t / 2 + g * g * t * t / 6);
                }
                const double exact = std::log1p(growth);
                for (const auto& r : refs) {
                    const double u = r->log_compute_ratio(t);
                    CHECK(std::abs(u - exact) <= 1e-13 * std::max(1.0, exact));
                    // and it differs from the gamma = 0 curve, by about g t / 2 relative
                    if (t > 1) CHECK(std::abs(u - std::log1p(t / c)) <= 2 * std::abs(g) * t);
                }
                CHECK(std::abs(res.log_ratio[k] - exact) <= 1e-9);
            }
            REQUIRE(res.threshold_times[0]);
            CHECK(rel_err(*res.threshold_times[0], 10.0) <= 1e-8);
        }
    }
}

TEST_CASE("gamma < 0: a target above the bound is unreachable and never reached numerically") {
    // C/C0 -> 1 + 1/(|g| (1 + tau)): gamma = -0.5, tau = 0 gives ln(1 + 1/(0.5 ln2)) = 1.3572...
    Scenario sc;
    sc.gamma = -0.5;
    sc.E0 = 4.0;
    sc.P0 = 0.25;
    sc.C0 = 1.0;
    sc.horizon = 100;
    sc.kappa = 0.3;
    const double bound = std::log1p(1 / (0.5 * std::log(2.0)));
    const auto rl = sc.make_reference("relative-loss");
    const auto pe = sc.make_reference("piecewise-exact");
    const auto lim = rl->log_compute_ratio_limit();
    REQUIRE(lim);
    CHECK(rel_err(*lim, bound) <= 1e-14);
    // Above the bound (even by a hair): no time, by either reference or the integrator,
    // for a horizon of 100 yr (= 50 halvings: C is within 1e-15 of its bound at the end).
    const std::vector<double> xs{bound * (1 + 1e-9), bound + 0.01, 2 * bound};
    const auto res = integrate(sc, grid(sc.horizon, 50), xs);
    for (std::size_t j = 0; j < xs.size(); ++j) {
        INFO("x = " << xs[j] << " above the bound " << bound);
        CHECK_FALSE(rl->time_to_log_compute_ratio(xs[j]));
        CHECK_FALSE(pe->time_to_log_compute_ratio(xs[j]));
        CHECK_FALSE(res.threshold_times[j]);
        CHECK(xs[j] > *lim);
    }
    // The numerical solution approaches the bound from below and never exceeds it.
    CHECK(res.log_ratio.back() <= bound * (1 + 1e-10));
    CHECK(res.log_ratio.back() >= bound * (1 - 1e-10));
    // Just below the bound is reachable (eventually), but not within a short horizon.
    Scenario short_sc = sc;
    short_sc.horizon = 5;
    const auto rl_short = short_sc.make_reference("relative-loss");
    const double below = bound * (1 - 1e-3);
    CHECK_FALSE(rl_short->time_to_log_compute_ratio(below));
    REQUIRE(rl->time_to_log_compute_ratio(below));
    CHECK(below < *rl_short->log_compute_ratio_limit());

    // Through the runner: the target is flagged `unreachable` (not merely not reached).
    std::ostringstream y;
    y.precision(17);
    const double y_above = std::exp(-sc.kappa * (bound + 0.01)), y_below = std::exp(-sc.kappa * below);
    y << "racesim: 1\nhorizon: 100\nscenarios:\n  - name: decline\n"
      << "    efficiency: {type: continuous-doubling, E0: 4.0, gamma: -0.5}\n    power: {type: mean-field, P0: 0.25}\n"
      << "    loss: {type: power-law, kappa: 0.3, L0: 1.0}\n    baseline: {tau: 0}\n    reference: relative-loss\n"
      << "    targets: {relative: [" << y_above << ", " << y_below << "]}\n";
    const Run run = run_yaml(y.str());
    REQUIRE(run.result.targets.size() == 2);
    const auto& above = run.result.targets[0];
    CHECK_FALSE(above.reached);
    CHECK(above.unreachable);
    CHECK_FALSE(above.reference_time);
    const auto& reachable = run.result.targets[1];
    CHECK_FALSE(reachable.unreachable);
    REQUIRE(reachable.reached);
    REQUIRE(reachable.time_rel_err);
    // t* ~ 18 yr where C is within 1e-3 of its bound: cond ~ 1e3, still well within 1e-8.
    CHECK(*reachable.time_rel_err <= 1e-8);
}

TEST_CASE("horizon shorter than the first breakpoint") {
    SECTION("discrete steps: the first generation never ends") {
        Scenario sc;
        sc.efficiency = "discrete-steps";
        sc.gamma = 3.0;
        sc.step_period = 5.0;
        sc.E0 = 2.0;
        sc.P0 = 3.0;
        sc.C0 = 6.0;  // tau = 0
        sc.horizon = 4.0;
        const auto res = integrate(sc, grid(4.0, 8), {std::log(3.0), std::log(6.0)});
        CHECK(res.segments.size() == 1);
        const auto pe = sc.make_reference("piecewise-exact");
        for (std::size_t k = 0; k <= 8; ++k) {
            const double t = 0.5 * static_cast<double>(k);
            CHECK(std::abs(pe->log_compute_ratio(t) - std::log1p(t)) <= 1e-15);
            CHECK(std::abs(res.log_ratio[k] - std::log1p(t)) <= 1e-9);
        }
        REQUIRE(res.threshold_times[0]);
        CHECK(rel_err(*res.threshold_times[0], 2.0) <= 1e-8);
        CHECK_FALSE(res.threshold_times[1]);  // would be t = 5, past the horizon
        CHECK_FALSE(pe->time_to_log_compute_ratio(std::log(6.0)));
    }
    SECTION("peaked: the horizon ends before the first burst begins") {
        Scenario sc;
        sc.power = "peaked";
        sc.gamma = 1.0;
        sc.duty = 0.25;
        sc.offset = 0.5;
        sc.power_period = 4.0;  // first burst on [2, 3)
        sc.horizon = 1.5;
        const auto res = integrate(sc, grid(1.5, 6), {1e-12, -0.1});
        CHECK(res.segments.size() == 1);
        for (double u : res.log_ratio) CHECK(u == 0.0);
        CHECK_FALSE(res.threshold_times[0]);
        CHECK(res.threshold_times[1] == std::optional<double>(0.0));
        const auto pe = sc.make_reference("piecewise-exact");
        CHECK(pe->log_compute_ratio(1.5) == 0.0);
        CHECK_FALSE(pe->time_to_log_compute_ratio(1e-12));
    }
    SECTION("peaked: the horizon ends inside the first burst") {
        Scenario sc;
        sc.power = "peaked";
        sc.gamma = 2.0;
        sc.duty = 0.5;
        sc.offset = 0.0;
        sc.power_period = 4.0;  // first burst on [0, 2)
        sc.horizon = 1.5;
        sc.E0 = 1.0;
        sc.P0 = 1.0;
        sc.C0 = 1.0;
        const auto times = grid(1.5, 6);
        // C/C0 = 1 + 2 (2^(2t) - 1)/(2 ln2) while the burst (P = P0/duty = 2) is on.
        const auto exact = [](double t) { return std::log1p(std::expm1(2 * t * std::log(2.0)) / std::log(2.0)); };
        const auto res = integrate(sc, times, {exact(1.0)});
        CHECK(res.segments.size() == 1);
        const auto pe = sc.make_reference("piecewise-exact");
        for (std::size_t k = 0; k < times.size(); ++k) {
            CHECK(std::abs(pe->log_compute_ratio(times[k]) - exact(times[k])) <=
                  1e-14 * std::max(1.0, exact(times[k])));
            CHECK(std::abs(res.log_ratio[k] - exact(times[k])) <= 1e-9);
        }
        REQUIRE(res.threshold_times[0]);
        CHECK(rel_err(*res.threshold_times[0], 1.0) <= 1e-8);
    }
}

TEST_CASE("a target at or above the start loss is reached at t = 0") {
    for (const char* pow : {"mean-field", "peaked"}) {
        Scenario sc;
        sc.power = pow;
        sc.gamma = 0.5;
        sc.duty = 0.2;
        sc.offset = 0.3;  // peaked: nothing happens before t = 0.3
        sc.horizon = 10;
        INFO(sc.describe());
        const auto res = integrate(sc, {0.0, 10.0}, {0.0, -0.5, -1e-300});
        for (const auto& t : res.threshold_times) CHECK(t == std::optional<double>(0.0));
        for (const char* r : {"piecewise-exact", "relative-loss"}) {
            if (sc.peaked() && std::string(r) == "relative-loss") continue;
            const auto ref = sc.make_reference(r);
            for (double x : {0.0, -0.5, -1e-300})
                CHECK(ref->time_to_log_compute_ratio(x) == std::optional<double>(0.0));
        }
    }
    // Through the runner: relative targets 1 and 1.5 (loss at and above L(C0)).
    const Run run = run_yaml(
        "racesim: 1\nhorizon: 10\nscenarios:\n  - name: start\n"
        "    efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}\n"
        "    power: {type: peaked, P0: 1.0, duty: 0.2, offset: 0.3}\n"
        "    loss: {type: power-law, kappa: 0.1, L0: 2.0}\n    reference: piecewise-exact\n"
        "    targets: {relative: [1.0, 1.5], loss: [2.0, 3.0]}\n");
    REQUIRE(run.result.targets.size() == 4);
    for (const auto& tr : run.result.targets) {
        INFO("target relative " << tr.relative);
        CHECK(tr.reached);
        CHECK(tr.time == std::optional<double>(0.0));
        CHECK(tr.reference_time == std::optional<double>(0.0));
    }
}

TEST_CASE("a run without rows reports what a run with rows does, and the rows' reference is the reference's") {
    // run_scenario without rows (a summary-only run) skips the exponentials of C, E and P unless
    // their logarithm exceeds 709, and both modes reuse the loss where the reference's
    // ln(C/C0) equals the integration's to the bit. Neither may change a result: compared here
    // exactly, with the reference's column recomputed from the plugins directly.
    const std::pair<const char*, const char*> models_yaml[] = {
        // efficiency, power
        {"{type: continuous-doubling, E0: 1.0, gamma: 2.0}", "{type: mean-field, P0: 1.0}"},
        {"{type: discrete-steps, E0: 1.0, gamma: 2.0, period: 1.0}", "{type: peaked, P0: 1.0, duty: 0.3}"},
        {"{type: logistic, E0: 1.0, gamma: 2.0, E_max: 1.0e4}", "{type: mean-field, P0: 1.0}"},
        {"{type: continuous-doubling, E0: 1.0, gamma: -0.3}", "{type: mean-field, P0: 2.0}"},
    };
    for (const auto& [efficiency, power] : models_yaml) {
        INFO(efficiency << " x " << power);
        const Run run = run_yaml(std::string("racesim: 1\nhorizon: 20\nscenarios:\n  - name: rows\n    efficiency: ") +
                                 efficiency + "\n    power: " + power +
                                 "\n    loss: {type: power-law, kappa: 0.05, L0: 2.0}\n    reference: piecewise-exact\n"
                                 "    targets: {relative: [0.9, 0.7]}\n");
        const racesim::ScenarioResult& with = run.result;
        const racesim::ScenarioInstance inst = models().instance(run.ex->scenarios.front());
        const racesim::ScenarioResult without = racesim::run_scenario(*run.ex, inst, false);
        CHECK(without.trajectory.t.empty());
        REQUIRE(with.max_rel_err);
        CHECK(without.max_rel_err == with.max_rel_err);
        CHECK(without.max_rel_err_time == with.max_rel_err_time);
        CHECK(without.stats.rhs_evaluations == with.stats.rhs_evaluations);
        REQUIRE(without.targets.size() == with.targets.size());
        for (std::size_t k = 0; k < with.targets.size(); ++k) {
            CHECK(without.targets[k].time == with.targets[k].time);
            CHECK(without.targets[k].time_rel_err == with.targets[k].time_rel_err);
        }
        const racesim::Model& m = inst.model;
        const racesim::Trajectory& tr = with.trajectory;
        REQUIRE(tr.R_ref.size() == tr.t.size());
        std::size_t same = 0;
        for (std::size_t i = 0; i < tr.t.size(); ++i) {
            const double u_ref = m.reference->log_compute_ratio(tr.t[i]);
            CHECK(tr.R_ref[i] == m.loss->loss(m.log_C0 + u_ref) / m.L_start);
            CHECK(tr.rel_err[i] == std::abs(tr.R[i] / tr.R_ref[i] - 1));
            same += tr.R_ref[i] == tr.R[i];
        }
        CHECK(same > 0);  // the shortcut is exercised
    }
    // An overflow is found the same way with or without rows: C = e^(ln C) leaves the double range.
    const std::string fast =
        "racesim: 1\nhorizon: 400\nscenarios:\n  - name: fast\n"
        "    efficiency: {type: continuous-doubling, E0: 4.46e10, gamma: 3.0}\n    power: {type: mean-field, P0: "
        "70.0}\n"
        "    loss: {type: power-law, kappa: 0.048, L0: 1.0}\n";
    racesim::Diagnostics d;
    const auto doc = racesim::parse_document_text(fast, "edge.yaml", d);
    REQUIRE(doc);
    const auto ex =
        racesim::validate(*doc, registry(), d, {}, racesim::model_check(registry()), racesim::builtin_analyses());
    REQUIRE(ex);
    const racesim::ScenarioInstance inst = models().instance(ex->scenarios.front());
    std::string message[2];
    for (const bool keep : {true, false}) {
        try {
            (void)racesim::run_scenario(*ex, inst, keep);
        } catch (const racesim::RunError& e) {
            message[keep] = e.what();
        }
    }
    CHECK_THAT(message[1],
               Catch::Matchers::Contains("leave the range of a double") && Catch::Matchers::Contains("C = inf"));
    CHECK(message[0] == message[1]);
}
