// The framework's config keys are declared once (framework/src/config/framework_keys.cpp);
// these tests fail when the loader, the JSON Schema, the reference or the structs' defaults
// drift from the declarations:
//   - every key the loader accepts is declared, and every declared key is accepted (by name,
//     and by the loader's own "valid keys here" list of each block);
//   - every declared key has a doc string, and a unit when it is a number;
//   - the JSON Schema describes exactly the declared keys, block by block, with their ranges;
//   - the loader enforces the declared ranges and applies the declared defaults, and the
//     structs' member defaults (experiment.hpp, sample.hpp, integrator.hpp) equal them.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <set>
#include <sstream>

#include "racesim/analyses/builtin.hpp"
#include "racesim/analyses/compare.hpp"
#include "racesim/analyses/sample.hpp"
#include "racesim/analyses/sensitivity.hpp"
#include "racesim/analyses/solve.hpp"
#include "racesim/analyses/sweep.hpp"
#include "racesim/config/describe_keys.hpp"
#include "racesim/config/json_schema.hpp"
#include "racesim/config/keys.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/integrate/integrator.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/plugins/describe.hpp"
#include "support.hpp"

using namespace racesim;
using nlohmann::ordered_json;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::registry;

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
}

std::vector<std::string> property_names(const ordered_json& properties) {
    std::vector<std::string> out;
    for (const auto& [k, v] : properties.items()) out.push_back(k);
    return out;
}

/// A valid config with one scenario 's' (a target, so that solve has one to aim at);
/// `top` is added at the top level, `scenario` to the scenario.
std::string config(const std::string& top, const std::string& scenario = "", const std::string& horizon = "10") {
    return "racesim: 1\nhorizon: " + horizon + "\n" + top +
           "\nscenarios:\n  - name: s\n"
           "    efficiency: {type: continuous-doubling, E0: 2.0, gamma: 0.5}\n"
           "    power: {type: mean-field, P0: 3.0}\n"
           "    loss: {type: power-law, kappa: 0.05, L0: 2.0}\n" +
           (scenario.rfind("targets:", 0) == 0 ? "" : "    targets: {relative: [0.9]}\n") +
           (scenario.empty() ? "" : "    " + scenario + "\n");
}

/// Loads `text`; returns the messages ("" when it loads).
std::string problems(const std::string& text) {
    Diagnostics d;
    const auto ex = load(text, d);
    return ex ? std::string() : messages(d);
}

/// The JSON Schema of `schema` describes exactly the keys of `block`, recursively.
void check_schema_block(const ordered_json& schema, const KeyBlock& block, const std::string& at) {
    INFO(at);
    REQUIRE(schema.contains("properties"));
    CHECK(property_names(schema["properties"]) == block.names());
    for (const auto& k : block.keys()) {
        const ordered_json& s = schema["properties"][k.name()];
        INFO(k.name());
        CHECK(s.contains("description"));
        switch (k.shape) {
            case KeyShape::block:
                check_schema_block(s, *k.block, at + "." + k.name());
                break;
            case KeyShape::block_list:
                check_schema_block(s["items"], *k.block, at + "." + k.name() + "[]");
                break;
            case KeyShape::block_map:
                check_schema_block(s["additionalProperties"], *k.block, at + "." + k.name() + ".*");
                break;
            case KeyShape::value:
                if (k.numeric() && !s.contains("const")) {  // a single allowed value is a const
                    if (k.param.lower)
                        CHECK(s[k.param.lower->inclusive ? "minimum" : "exclusiveMinimum"] == k.param.lower->value);
                    if (k.param.upper)
                        CHECK(s[k.param.upper->inclusive ? "maximum" : "exclusiveMaximum"] == k.param.upper->value);
                }
                if (k.param.default_value)
                    std::visit([&](const auto& x) { CHECK(s["default"] == ordered_json(x)); }, *k.param.default_value);
                if (!k.param.choices.empty()) CHECK(s["enum"] == ordered_json(k.param.choices));
                break;
            default:
                break;
        }
    }
    if (const auto& open = block.open_keys(); open && open->block) {
        const ordered_json& values = schema["additionalProperties"];
        const ordered_json& map = values.contains("oneOf") ? values["oneOf"].back() : values;
        check_schema_block(map, *open->block, at + ".*");
    } else {
        CHECK(schema["additionalProperties"] == false);
    }
}

/// The config language with the built-in analyses, as a session has it.
const KeyCatalog& catalog() {
    static const KeyCatalog c(builtin_analyses());
    return c;
}

}  // namespace

TEST_CASE("framework keys: the loader accepts exactly the declared keys") {
    CHECK(accepted_top_level_keys() == top_level_keys().names());
    CHECK(accepted_scenario_keys(builtin_analyses()) == catalog().scenario().names());
    CHECK(accepted_defaults_keys() == defaults_keys().names());
    // `defaults` takes the scenario keys that are passed on, and only those.
    std::vector<std::string> inherited;
    for (const auto& k : scenario_keys().keys())
        if (k.inherited) inherited.push_back(k.name());
    CHECK(defaults_keys().names() == inherited);

    // Each block's own check names the declared keys, in their order.
    struct Probe {
        const KeyBlock& block;
        std::string text;
    };
    const std::vector<Probe> probes{
        {catalog().top_level(), config("bogus: 1")},
        {output_keys(), config("output: {bogus: 1}")},
        {solver_keys(), config("solver: {bogus: 1}")},
        {defaults_keys(), config("defaults: {bogus: 1}")},
        {catalog().scenario(), config("", "bogus: 1")},
        {sweep_range_keys(), config("", "sweep: {efficiency.gamma: {from: 0, to: 1, count: 2, bogus: 1}}")},
        {solve_keys(), config("", "solve: {parameter: efficiency.gamma, bracket: [0.1, 1], at: 5, bogus: 1}")},
        {sensitivity_keys(), config("", "sensitivity: {bogus: 1}")},
        {sample_keys(),
         config("", "sample: {n: 2, parameters: {efficiency.gamma: {dist: fixed, value: 1}}, bogus: 1}")},
        {compare_keys(), config("compare: [{a: s, b: s, bogus: 1}]")},
    };
    for (const auto& p : probes) {
        INFO(p.block.name());
        const std::string m = problems(p.text);
        CHECK_THAT(m, Catch::Contains("unknown key 'bogus'"));
        CHECK_THAT(m, Catch::Contains("valid keys here: " + join(p.block.names()) + "\n"));
    }
    // A distribution takes the declared keys of its kind.
    const KeyBlock& dist = distribution_keys();
    for (const auto& kind : dist.at("dist").param.choices) {
        INFO(kind);
        const std::string m =
            problems(config("", "sample: {n: 2, parameters: {efficiency.gamma: {dist: " + kind + ", bogus: 1}}}"));
        CHECK_THAT(m, Catch::Contains("valid keys here: " + join(dist.names_when(kind)) + "\n"));
    }
    // baseline and targets: their unknown keys are refused with a suggestion from the declaration.
    CHECK_THAT(problems(config("", "baseline: {taux: 1}")), Catch::Contains("did you mean 'tau'?"));
    CHECK_THAT(problems(config("", "targets: {relativ: 0.5}")), Catch::Contains("did you mean 'relative'?"));
    // And every declared key of theirs is accepted.
    CHECK(problems(config("", "baseline: {tau: 0.5}")).empty());
    CHECK(problems(config("", "baseline: {C0: 5}")).empty());
    CHECK(problems(config("", "targets: {loss: 1.9, relative: [0.9, 0.8]}")).empty());
    CHECK(problems(config("output: {every: 0.5, times: [1, 2]}\nsolver: {method: ode, rel_tol: 1e-9, abs_tol: 0, "
                          "max_steps: 100}\nplugin_paths: []\nname: x\ncompare: []"))
              .empty());
}

TEST_CASE("framework keys: every key has a doc string, and a unit when it is a number") {
    std::set<std::string> blocks;
    for (const KeyBlock* b : catalog().blocks()) {
        INFO(b->name());
        CHECK(blocks.insert(b->name()).second);  // each block once
        CHECK(!b->doc().empty());
        for (const auto& k : b->keys()) {
            INFO(k.name());
            CHECK(!k.param.doc.empty());
            if (k.numeric()) CHECK(!k.param.unit.empty());
            if (k.shape == KeyShape::block || k.shape == KeyShape::block_list || k.shape == KeyShape::block_map) {
                REQUIRE(k.block != nullptr);
                // Every nested block is listed (so the reference documents it).
                const auto all = catalog().blocks();
                CHECK(std::find(all.begin(), all.end(), k.block) != all.end());
            }
            if (k.param.default_value) CHECK_FALSE(k.param.required);
        }
    }
    // The framework's 15, sample.conditions' items, sobol, decompose, and fit with its t and observe.
    CHECK(blocks.size() == 21);
}

TEST_CASE("framework keys: the JSON Schema describes exactly the declared keys") {
    const ordered_json schema = config_json_schema(registry(), builtin_analyses());
    check_schema_block(schema, catalog().top_level(), "$");
    std::vector<std::string> required;
    for (const auto& k : top_level_keys().keys())
        if (k.param.required) required.push_back(k.name());
    CHECK(schema["required"] == ordered_json(required));
    CHECK(schema["properties"]["racesim"]["const"] == config_format_version);
    // Each block also on its own (the selector's cases, the open keys).
    for (const KeyBlock* b : catalog().blocks())
        check_schema_block(key_block_json_schema(*b, registry()), *b, b->name());
    const ordered_json dist = key_block_json_schema(distribution_keys(), registry());
    const auto& kinds = distribution_keys().at("dist").param.choices;
    REQUIRE(dist["allOf"].size() == kinds.size());
    for (std::size_t i = 0; i < kinds.size(); ++i)
        CHECK(property_names(dist["allOf"][i]["then"]["properties"]) == distribution_keys().names_when(kinds[i]));
}

TEST_CASE("framework keys: the reference lists every declared key") {
    const std::string md = describe_config_keys_markdown(builtin_analyses());
    for (const KeyBlock* b : catalog().blocks()) {
        CHECK_THAT(md, Catch::Contains("\n## " + b->name() + "\n"));
        for (const auto& k : b->keys()) CHECK_THAT(md, Catch::Contains("| `" + k.name() + "` |"));
    }
    const ordered_json j = describe_config_keys_json(builtin_analyses());
    CHECK(j.size() == catalog().blocks().size());
}

TEST_CASE("framework keys: the structs' defaults are the declared defaults") {
    const KeyBlock& solver = solver_keys();
    const SolverSpec s{};
    CHECK(s.closed_form == (declared_string(solver, "method") == "closed-form"));
    CHECK(s.rel_tol == declared_real(solver, "rel_tol"));
    CHECK(s.abs_tol == declared_real(solver, "abs_tol"));
    CHECK(s.max_steps == declared_integer(solver, "max_steps"));
    CHECK(s.target_time_tol == declared_real(solver, "target_time_tol"));
    const IntegratorOptions io{};
    CHECK(io.rel_tol == declared_real(solver, "rel_tol"));
    CHECK(io.abs_tol == declared_real(solver, "abs_tol"));
    CHECK(io.max_steps == declared_integer(solver, "max_steps"));
    CHECK(io.target_time_tol == declared_real(solver, "target_time_tol"));
    CHECK(SolveSpec{}.tolerance == declared_real(solve_keys(), "tolerance"));
    CHECK(SensitivitySpec{}.step == declared_real(sensitivity_keys(), "step"));
    CHECK(SampleSpec{}.seed == static_cast<std::uint64_t>(declared_integer(sample_keys(), "seed")));
    CHECK(SweepPlan{}.zip == declared_boolean(sweep_keys(), "zip"));
    CHECK(declared_string(sweep_range_keys(), "scale") == "linear");
    // The distribution kinds are declared in the order of Distribution::Kind (the loader maps
    // a choice to the kind by its index).
    const auto& kinds = distribution_keys().at("dist").param.choices;
    for (std::size_t i = 0; i < kinds.size(); ++i) CHECK(kinds[i] == to_string(static_cast<Distribution::Kind>(i)));
    CHECK(kinds.size() == 6);

    // The loader applies the declared defaults.
    Diagnostics d;
    auto ex = load(config("", "sensitivity: {}"), d);
    REQUIRE(ex);
    CHECK(ex->solver.closed_form == s.closed_form);
    CHECK(ex->solver.rel_tol == s.rel_tol);
    CHECK(ex->solver.abs_tol == s.abs_tol);
    CHECK(ex->solver.max_steps == s.max_steps);
    CHECK(ex->solver.target_time_tol == s.target_time_tol);
    REQUIRE(ex->scenarios.size() == 1);
    CHECK(ex->scenarios[0].tau == declared_real(baseline_keys(), "tau"));
    REQUIRE(find_analysis<SensitivitySpec>(ex->scenarios[0]));
    CHECK(find_analysis<SensitivitySpec>(ex->scenarios[0])->step == declared_real(sensitivity_keys(), "step"));
    CHECK(resolved_config_json(*ex)["solver"]["rel_tol"] == declared_real(solver, "rel_tol"));
}

TEST_CASE("framework keys: the loader enforces the declared ranges") {
    // For each bounded number: its bound is accepted exactly when inclusive, and a value just
    // beyond it is refused.
    struct Case {
        const KeyBlock& block;
        std::string key;
        std::function<std::string(const std::string&)> text;
    };
    const std::vector<Case> cases{
        {top_level_keys(), "horizon", [](const std::string& v) { return config("", "", v); }},
        {output_keys(), "every", [](const std::string& v) { return config("output: {every: " + v + "}"); }},
        {solver_keys(), "rel_tol", [](const std::string& v) { return config("solver: {rel_tol: " + v + "}"); }},
        {solver_keys(), "abs_tol", [](const std::string& v) { return config("solver: {abs_tol: " + v + "}"); }},
        {solver_keys(), "max_steps", [](const std::string& v) { return config("solver: {max_steps: " + v + "}"); }},
        {solver_keys(), "target_time_tol",
         [](const std::string& v) { return config("solver: {target_time_tol: " + v + "}"); }},
        {baseline_keys(), "tau", [](const std::string& v) { return config("", "baseline: {tau: " + v + "}"); }},
        {baseline_keys(), "C0", [](const std::string& v) { return config("", "baseline: {C0: " + v + "}"); }},
        {scenario_keys(), "horizon", [](const std::string& v) { return config("", "horizon: " + v); }},
        {sensitivity_keys(), "step", [](const std::string& v) { return config("", "sensitivity: {step: " + v + "}"); }},
        {solve_keys(), "tolerance",
         [](const std::string& v) {
             return config("", "solve: {parameter: efficiency.gamma, bracket: [0.1, 1], at: 5, tolerance: " + v + "}");
         }},
        {sample_keys(), "n",
         [](const std::string& v) {
             return config("", "sample: {n: " + v + ", parameters: {efficiency.gamma: {dist: fixed, value: 1}}}");
         }},
    };
    for (const auto& c : cases) {
        const plugin::ParamSpec& p = c.block.at(c.key).param;
        INFO(c.block.name() << "." << c.key);
        REQUIRE((p.lower || p.upper));
        const bool integer = p.type == plugin::ParamType::integer;
        auto text = [&](double x) {
            std::ostringstream os;
            os.precision(17);
            os << x;
            return os.str();
        };
        for (const bool lower : {true, false}) {
            const auto& b = lower ? p.lower : p.upper;
            if (!b) continue;
            const double beyond = integer ? b->value + (lower ? -1 : 1)
                                          : b->value + (lower ? -1 : 1) * std::max(std::abs(b->value) * 1e-6, 1e-300);
            INFO("bound " << b->value);
            CHECK(problems(c.text(text(b->value))).empty() == b->inclusive);
            CHECK_FALSE(problems(c.text(text(beyond))).empty());
        }
    }
}
