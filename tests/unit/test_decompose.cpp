// `decompose:` (Shapley attribution) against Shapley values known in closed form, its
// efficiency (the contributions add up to the total change) on a nonlinear case, and its
// refusals.
#include <catch2/catch.hpp>
#include <cmath>

#include "racesim/analyses/decompose.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::models;

namespace {

const DecomposeRow& row(const std::vector<DecomposeRow>& rows, const std::string& quantity, const std::string& factor) {
    for (const auto& r : rows)
        if (r.quantity == quantity && r.factor == factor) return r;
    FAIL("no decompose row for " << quantity << ", " << factor);
    throw std::logic_error("unreachable");
}

/// gamma = 0: C(t) = E0·P0·(1 + tau + t) (docs/model.md), so with C_ref = 1 and kappa = 1/2 the
/// time to the loss L* is t* = C*/(E0·P0) - (1 + tau) with C* = (L*/L0)^-2, and the loss at t is
/// L(t) = L0·(E0·P0·(1 + tau + t))^(-1/2).
const std::string head = R"(racesim: 1
horizon: 1000
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.5, L0: 1, C_ref: 1}
  baseline: {tau: 0}
  targets: {loss: [0.1]}
  reference: relative-loss
scenarios:
  - name: a
)";

}  // namespace

TEST_CASE("decompose: Shapley values of games computed by hand") {
    // Two players: v(0) = 0, v(1) = 1, v(2) = 2, v(12) = 5: phi_1 = (1 - 0)/2 + (5 - 2)/2 = 2,
    // phi_2 = (2 - 0)/2 + (5 - 1)/2 = 3. Exact in binary floating point.
    CHECK(shapley_values({0, 1, 2, 5}, 2) == std::vector<double>{2, 3});
    // Three players, v(S) = |S|^2: symmetric, so each gets v(all)/3 = 3. Tolerance: a sum of
    // seven terms of size <= 9 with weights 1/3 and 1/6, rounding to a few ulps.
    const std::vector<double> sq{0, 1, 1, 4, 1, 4, 4, 9};
    for (const double p : shapley_values(sq, 3)) CHECK(p == Approx(3).epsilon(1e-14));
    // One player gets the whole change.
    CHECK(shapley_values({2, 7}, 1) == std::vector<double>{5});
}

TEST_CASE("decompose: a time to target whose Shapley values are known in closed form") {
    // From a (E0 = 1, P0 = 1, L0 = 1, tau = 0) to b (E0 = 2, P0 = 1.5, L0 = 1.2, tau = 0.5):
    // t* = K·x_E·x_P·x_L - (1 + tau) with K = (L*)^-2 = 100, x_E = 1/E0, x_P = 1/P0, x_L = L0^2.
    // The game is a product game of efficiency, power and loss plus an additive game of the
    // baseline, so (Shapley values add over games, and a player a game does not depend on gets
    // nothing): phi_baseline = -(tau_b - tau_a) and, for i in the product with the others j, k,
    //   phi_i = K (b_i - a_i) [a_j a_k / 3 + (b_j a_k + a_j b_k) / 6 + b_j b_k / 3].
    Diagnostics d;
    auto ex = load(head + R"(  - name: b
    efficiency: {E0: 2}
    power: {P0: 1.5}
    loss: {L0: 1.2}
    baseline: {tau: 0.5}
    decompose: {from: a, factors: [efficiency, power, loss, baseline]}
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<DecomposeRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 4);
    const double K = 100;
    const double a[3] = {1, 1, 1}, b[3] = {1 / 2.0, 1 / 1.5, 1.2 * 1.2};
    const char* names[3] = {"efficiency", "power", "loss"};
    double sum = 0;
    for (int i = 0; i < 3; ++i) {
        const int j = (i + 1) % 3, k = (i + 2) % 3;
        const double exact = K * (b[i] - a[i]) * (a[j] * a[k] / 3 + (b[j] * a[k] + a[j] * b[k]) / 6 + b[j] * b[k] / 3);
        const DecomposeRow& r = row(*rows, "loss=0.1", names[i]);
        // The times come from the ODE (rel_tol 1e-10 on C, so about 1e-10 relative on times of
        // 100 to 190 yr); the Shapley value is a weighted sum of differences of them: 1e-7 yr.
        CHECK(*r.contribution == Approx(exact).margin(1e-7));
        CHECK(r.mixtures == 16);
        sum += exact;
    }
    CHECK(*row(*rows, "loss=0.1", "baseline").contribution == Approx(-0.5).margin(1e-7));
    // The total: t*(b) - t*(a) = 100·1.44/3 - 1.5 - 99 = -52.5.
    const DecomposeRow& r0 = rows->front();
    CHECK(*r0.value_from == Approx(99).margin(1e-7));
    CHECK(*r0.total == Approx(-52.5).margin(1e-7));
    CHECK(sum - 0.5 == Approx(-52.5).margin(1e-12));  // the closed forms themselves add up
}

TEST_CASE("decompose: the loss at a date, two factors, in closed form; a factor that does not change gets 0") {
    // L(t) = L0 (E0 P0 (1 + tau + t))^(-1/2): between a and b only E0 (1 -> 4) and P0 (1 -> 2)
    // change, so with x = E0^(-1/2), y = P0^(-1/2) and c = (1 + t)^(-1/2), L = c·x·y and
    // phi_E = c (x_b - x_a)(y_a + y_b)/2, phi_P = c (y_b - y_a)(x_a + x_b)/2. `loss` is listed
    // though it is the same in a and b: a null player, exactly 0.
    Diagnostics d;
    auto ex = load(head + R"(  - name: b
    efficiency: {E0: 4}
    power: {P0: 2}
    decompose: {from: a, to: b, factors: [efficiency, power, loss], dates: [3]}
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<DecomposeRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 6);
    const double c = 0.5, xa = 1, xb = 0.5, ya = 1, yb = 1 / std::sqrt(2.0);
    // L(3) is computed through ln C from the ODE: about 1e-10 relative on C, 5e-11 on L (~0.2).
    CHECK(*row(*rows, "L(t=3)", "efficiency").contribution == Approx(c * (xb - xa) * (ya + yb) / 2).margin(1e-10));
    CHECK(*row(*rows, "L(t=3)", "power").contribution == Approx(c * (yb - ya) * (xa + xb) / 2).margin(1e-10));
    CHECK(*row(*rows, "L(t=3)", "loss").contribution == 0);  // v(S + loss) and v(S) are the same scenario
    CHECK(*row(*rows, "loss=0.1", "loss").contribution == 0);
    CHECK(*row(*rows, "L(t=3)", "power").value_to == Approx(c * xb * yb).margin(1e-10));
}

TEST_CASE("decompose: the contributions add up to the total change, to rounding") {
    // A nonlinear case (every factor changes, targets relative and absolute, continuous
    // doubling), integrated: the identity sum phi_i = v(B) - v(A) holds for any game, so only
    // rounding separates them: 16 mixtures, weighted sums of numbers of size <= 40: 1e-12.
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 60
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1, C_ref: 1}
  targets: {loss: [0.68, 0.6]}
scenarios:
  - name: a
  - name: b
    efficiency: {gamma: 2}
    power: {P0: 3}
    loss: {kappa: 0.06}
    baseline: {tau: 0.7}
    decompose: {from: a, dates: [1, 7.5]}
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<DecomposeRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 4 * 4);  // default factors: the four blocks that differ
    for (const char* q : {"loss=0.68", "loss=0.6", "L(t=1)", "L(t=7.5)"}) {
        double sum = 0;
        for (const char* f : {"efficiency", "power", "loss", "baseline"}) sum += *row(*rows, q, f).contribution;
        INFO(q);
        CHECK(std::abs(sum - *row(*rows, q, "power").total) < 1e-12);
    }
    // The ends are scenarios a and b themselves (evaluated without an output grid: equal to
    // their runs to the integration tolerance, 1e-10 relative on C).
    const DecomposeRow& t = row(*rows, "loss=0.68", "loss");
    CHECK(*t.value_from == Approx(*res.scenarios[0].targets[0].time).epsilon(1e-8));
    CHECK(*t.value_to == Approx(*res.scenarios[1].targets[0].time).epsilon(1e-8));
}

TEST_CASE("decompose: refused with a wrong scenario, a missing factor or different targets") {
    // Refused when the config is read: the check runs once every scenario is known.
    auto run_error = [](const std::string& text) {
        Diagnostics d;
        if (load(text, d)) return std::string("no error");
        return messages(d);
    };
    std::string m = run_error(head + "  - name: b\n    efficiency: {E0: 2}\n    decompose: {from: aa}\n");
    CHECK_THAT(m, Catch::Contains("t.yaml:14:23: error: decompose: no scenario named 'aa'"));
    CHECK_THAT(m, Catch::Contains("did you mean 'a'?"));
    m = run_error(head +
                  "  - name: b\n    efficiency: {E0: 2}\n    power: {P0: 2}\n"
                  "    decompose: {from: a, factors: [power]}\n");
    CHECK_THAT(m, Catch::Contains("t.yaml:15:35: error: decompose: 'a' and 'b' differ in efficiency, which is not a "
                                  "factor"));
    CHECK_THAT(m, Catch::Contains("add 'efficiency' to decompose.factors"));
    m = run_error(head + "  - name: b\n    targets: {loss: [0.2]}\n    decompose: {from: a}\n");
    CHECK_THAT(m, Catch::Contains("'a' has targets loss=0.1 and 'b' has loss=0.2"));
    m = run_error(head + "  - name: b\n    decompose: {from: a}\n");
    CHECK_THAT(m, Catch::Contains("do not differ in any factor"));

    Diagnostics bad;
    CHECK_FALSE(load(head + "  - name: b\n    decompose: {from: b, to: c, factors: [efficency, algorithms, power, "
                            "power]}\n",
                     bad));
    const std::string b = messages(bad);
    CHECK_THAT(b, Catch::Contains("'b' is this scenario"));
    CHECK_THAT(b, Catch::Contains("decompose.to is 'c', but the change ends at the scenario that holds the block"));
    CHECK_THAT(b, Catch::Contains("unknown factor 'efficency'"));
    CHECK_THAT(b, Catch::Contains("did you mean 'efficiency'?"));
    CHECK_THAT(b, !Catch::Contains("unknown factor 'algorithms'"));  // a factor since the algorithms kind
    CHECK_THAT(b, Catch::Contains("factor 'power' is listed twice"));
}

TEST_CASE("decompose: a target a mixture does not reach leaves its contributions empty, with a note") {
    // t* = 100/E0 - 1 (gamma = 0): E0 = 0.05 needs 1999 yr, beyond the horizon of 1000 yr.
    Diagnostics d;
    auto ex = load(head + "  - name: b\n    efficiency: {E0: 0.05}\n    power: {P0: 2}\n    decompose: {from: a}\n", d);
    INFO(messages(d));
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    const auto* rows = rows_of<DecomposeRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    for (const auto& r : *rows) {
        CHECK_FALSE(r.contribution);
        CHECK(*r.value_from == Approx(99).margin(1e-7));
        // a with b's efficiency needs 100/0.05 - 1 = 1999 yr; b itself 100/(0.05 * 2) - 1 = 999 yr
        // (reached; ODE times to about 1e-10 relative): only one mixture misses.
        CHECK(*r.value_to == Approx(999).margin(1e-6));
        CHECK(r.note == "not reached by the horizon in 'a' with efficiency from 'b'");
    }
}
