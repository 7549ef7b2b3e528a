// Config loading: merge semantics of defaults/extends, baseline, targets, positions.
#include <catch2/catch.hpp>
#include <cmath>

#include "racesim/config/loader.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::model;
using racesim::test::models;
using racesim::test::registry;

namespace {

const char* base = R"(racesim: 1
horizon: 10
defaults:
  loss: {type: power-law, kappa: 0.05, L0: 2.0}
  targets: {relative: [0.9]}
scenarios:
  - name: a
    efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0.5}
    power: {type: mean-field, P0: 3.0}
    baseline: {tau: 0.5}
    reference: relative-loss
)";

}  // namespace

TEST_CASE("all fifteen built-in plugin types are found") {
    CHECK(registry().types(plugin::Kind::efficiency) == std::vector<std::string>{"continuous-doubling",
                                                                                 "discrete-steps", "experience-curve",
                                                                                 "generation-table", "logistic"});
    CHECK(registry().types(plugin::Kind::power) ==
          std::vector<std::string>{"growth", "mean-field", "peaked", "reinvestment", "time-series"});
    CHECK(registry().types(plugin::Kind::loss) ==
          std::vector<std::string>{"chinchilla", "power-law", "power-law-irreducible"});
    CHECK(registry().types(plugin::Kind::reference) == std::vector<std::string>{"piecewise-exact", "relative-loss"});
    CHECK(registry().refused().empty());
}

TEST_CASE("defaults apply, C0 follows from E0·P0·(1+tau)") {
    Diagnostics d;
    auto ex = load(base, d);
    INFO(messages(d));
    REQUIRE(ex);
    REQUIRE(ex->scenarios.size() == 1);
    const auto& s = ex->scenarios[0];
    CHECK(model(s).C0 == Approx(2.0 * 3.0 * 1.5).epsilon(1e-15));
    CHECK(model(s).L_start == Approx(2.0).epsilon(1e-15));  // C_ref defaults to C0
    REQUIRE(s.targets.size() == 1);
    CHECK(s.targets[0].kind == TargetSpec::Kind::relative);
    CHECK(s.horizon == 10);
    CHECK(ex->name == "t");  // the file's stem
}

TEST_CASE("extends keeps inherited parameters when the type changes") {
    Diagnostics d;
    auto ex = load(std::string(base) + R"(  - name: b
    extends: a
    efficiency: {type: discrete-steps, period: 2}
    reference: piecewise-exact
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const auto& b = ex->scenarios[1];
    CHECK(b.efficiency.selection.type == "discrete-steps");
    CHECK(b.efficiency.selection.params.real("E0") == 2.0);
    CHECK(b.efficiency.selection.params.real("gamma") == 0.5);
    CHECK(b.efficiency.selection.params.real("period") == 2.0);
    CHECK(b.tau == 0.5);  // baseline inherited whole
    CHECK(b.reference->selection.type == "piecewise-exact");
}

TEST_CASE("an inherited key the new type does not declare is an error, and `key: ~` drops it") {
    const std::string child = R"(  - name: b
    extends: a
    power: {type: peaked, duty: 0.5)";
    Diagnostics d;
    // mean-field -> peaked keeps P0 (peaked declares it): fine. Now go the other way.
    auto ex = load(std::string(base) + child + "}\n    reference: ~\n" + R"(  - name: c
    extends: b
    power: {type: mean-field}
)",
                   d);
    REQUIRE_FALSE(ex);
    const std::string m = messages(d);
    CHECK_THAT(m,
               Catch::Contains("t.yaml:14:27: error: inherited key 'duty' is not a parameter of power 'mean-field'"));
    CHECK_THAT(m, Catch::Contains("write 'duty: ~'"));

    Diagnostics d2;
    auto ok = load(std::string(base) + child + "}\n    reference: ~\n" + R"(  - name: c
    extends: b
    power: {type: mean-field, duty: ~}
)",
                   d2);
    INFO(messages(d2));
    REQUIRE(ok);
    CHECK(ok->scenarios[2].power.selection.type == "mean-field");
    CHECK_FALSE(ok->scenarios[1].reference.has_value());  // `reference: ~` dropped the inherited one
}

TEST_CASE("targets and baseline are replaced whole; explicit C0") {
    Diagnostics d;
    auto ex = load(std::string(base) + R"(  - name: b
    extends: a
    baseline: {C0: 7.5}
    targets: {loss: [1.5, 1.2]}
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const auto& b = ex->scenarios[1];
    CHECK_FALSE(b.tau.has_value());
    CHECK(model(b).C0 == 7.5);
    REQUIRE(b.targets.size() == 2);
    CHECK(b.targets[0].kind == TargetSpec::Kind::loss);
    CHECK(b.targets[1].value == 1.2);
}

TEST_CASE("duplicate keys, which yaml-cpp accepts silently, are errors") {
    Diagnostics d;
    auto doc = parse_document_text("racesim: 1\nhorizon: 3\nhorizon: 4\n", "t.yaml", d);
    CHECK_FALSE(doc);
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:3:1: error: duplicate key 'horizon'"));
    CHECK_THAT(messages(d), Catch::Contains("t.yaml:2:1: note: first given here"));
}

TEST_CASE("an alias bomb is refused by the node limit") {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c, ++prev) {  // "b: &b [*a, *a, ... (10 times)]", built piece by piece
        text.append(1, c).append(": &").append(1, c).append(" [");  // (GCC 12 warns falsely on a + chain here)
        for (int k = 0; k < 10; ++k) text.append(k ? ", *" : "*").append(1, prev);
        text.append("]\n");
    }
    Diagnostics d;
    CHECK_FALSE(parse_document_text(text, "bomb.yaml", d));
    CHECK_THAT(messages(d), Catch::Contains("nodes (YAML aliases expanded): refused"));
}

TEST_CASE("a scenario horizon overrides the experiment's, and the grid holds every output time exactly") {
    Diagnostics d;
    auto ex = load(std::string(base) + R"(  - name: long
    extends: a
    horizon: 100
output: {every: 0.3, times: [0.1, 2.5, 9.9]}
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    const auto grid_a = output_grid(*ex, ex->scenarios[0]);
    CHECK(grid_a.front() == 0.0);
    CHECK(grid_a.back() == 10.0);
    for (double t : {0.1, 2.5, 9.9}) CHECK(std::count(grid_a.begin(), grid_a.end(), t) == 1);
    CHECK(std::is_sorted(grid_a.begin(), grid_a.end()));
    CHECK(std::adjacent_find(grid_a.begin(), grid_a.end()) == grid_a.end());
    CHECK(ex->scenarios[1].horizon == 100);
    CHECK(output_grid(*ex, ex->scenarios[1]).back() == 100.0);
}

TEST_CASE("an override in one scenario does not leak into defaults or later scenarios") {
    // yaml-cpp's Node::operator= assigns through shared nodes; the merge must rebind instead.
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}
  power: {type: mean-field, P0: 1.0}
  loss: {type: power-law, kappa: 0.05, L0: 1.0}
  baseline: {tau: 0}
  horizon: 20
scenarios:
  - name: fast
    efficiency: {gamma: 2.0}
    baseline: {C0: 5}
    horizon: 10
  - name: slow
  - name: child
    extends: fast
    efficiency: {gamma: 3.0}
  - name: after-child
    extends: fast
)",
                   d);
    INFO(messages(d));
    REQUIRE(ex);
    REQUIRE(ex->scenarios.size() == 4);
    const auto& fast = ex->scenarios[0];
    const auto& slow = ex->scenarios[1];
    CHECK(fast.efficiency.selection.params.real("gamma") == 2.0);
    CHECK(model(fast).C0 == 5.0);
    CHECK(fast.horizon == 10);
    CHECK(slow.efficiency.selection.params.real("gamma") == 0.5);
    CHECK(slow.tau == 0.0);
    CHECK(model(slow).C0 == 1.0);
    CHECK(slow.horizon == 20);
    CHECK(ex->scenarios[2].efficiency.selection.params.real("gamma") == 3.0);
    CHECK(ex->scenarios[3].efficiency.selection.params.real("gamma") == 2.0);
}
