// The analysis interface (racesim/run/analysis.hpp) from the outside: an analysis defined here,
// in a test, with no edit anywhere in the framework, is read by the loader with positions,
// run by the runner, collected in memory and written by the results-directory writer (its
// table, summary.json and the console), exactly as the built-in ones are.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "racesim/analyses/builtin.hpp"
#include "racesim/analyses/sensitivity.hpp"
#include "racesim/config/block_reader.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::messages;
using racesim::test::models;
using racesim::test::registry;

namespace {

/// `stretch: {factor: f}`: each target's time multiplied by f.
struct StretchSpec final : AnalysisSpec {
    double factor = 1;
};

struct StretchRow {
    std::string scenario, target;
    std::optional<double> time, stretched;
    std::int64_t targets = 0;
};

const KeyBlock& stretch_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("stretch", "Each target's time multiplied by a factor (a test analysis).");
        k.add_real("factor").positive().default_value(1.0).unit("1").doc("The factor.");
        return k;
    }();
    return b;
}

const TableDef stretch_table{"stretch",
                             {{"scenario", "", "the scenario", CellKind::text},
                              {"target", "", "the target's label", CellKind::text},
                              {"time", "yr", "time to the target"},
                              {"stretched", "yr", "time * factor"},
                              {"targets", "", "targets of the scenario", CellKind::integer}}};

void render(const StretchRow& r, std::vector<Cell>& out) {
    out.emplace_back(r.scenario);
    out.emplace_back(r.target);
    out.push_back(r.time ? Cell{*r.time} : Cell{});
    out.push_back(r.stretched ? Cell{*r.stretched} : Cell{});
    out.emplace_back(r.targets);
}

class Stretch final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return stretch_keys(); }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {&stretch_table}; }
    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec&) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'stretch'")) return nullptr;
        r.check_keys(n, stretch_keys(), "'stretch'");
        auto s = std::make_shared<StretchSpec>();
        s->kind = this;
        s->mark = r.mark(n);
        if (const YAML::Node f = n["factor"]) {
            const auto v = r.real_key(f, "stretch.factor", stretch_keys().at("factor"));
            if (!v) return nullptr;
            s->factor = *v;
        }
        return s;
    }
    void after_scenario(const AnalysisContext&, const AnalysisSpec& spec, const ScenarioResult& base, const std::any&,
                        TableSet& tables) const override {
        const auto& s = dynamic_cast<const StretchSpec&>(spec);
        auto out = std::make_unique<TypedRows<StretchRow>>(stretch_table, render);
        for (const auto& t : base.targets)
            out->rows.push_back({base.spec->name, target_label(t.spec), t.time,
                                 t.time ? std::optional<double>(*t.time * s.factor) : std::nullopt,
                                 static_cast<std::int64_t>(base.targets.size())});
        tables.push_back(std::move(out));
    }

private:
    std::string key_ = "stretch";
};

const Stretch stretch_module;

/// `pin: {gamma: g}`: the scenario runs with efficiency.gamma = g instead (before_scenario puts
/// it in its place), and a row in pin.csv and in summary.json says what was replaced.
struct PinSpec final : AnalysisSpec {
    double gamma = 1;
};

struct PinRow {
    std::string scenario;
    double from = 0, to = 0;
    std::optional<double> time;
};

const KeyBlock& pin_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("pin", "Runs the scenario with another gamma (a test analysis).");
        k.add_real("gamma").positive().default_value(1.0).unit("doublings/yr").doc("The gamma to run with.");
        return k;
    }();
    return b;
}

const TableDef pin_table{"pin",
                         {{"scenario", "", "the scenario", CellKind::text},
                          {"from", "doublings/yr", "gamma as declared"},
                          {"to", "doublings/yr", "gamma it ran with"},
                          {"time", "yr", "time to the first target"}},
                         true};

class Pin final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return pin_keys(); }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {&pin_table}; }
    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec&) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'pin'")) return nullptr;
        r.check_keys(n, pin_keys(), "'pin'");
        auto s = std::make_shared<PinSpec>();
        s->kind = this;
        s->mark = r.mark(n);
        if (const YAML::Node g = n["gamma"]) {
            const auto v = r.real_key(g, "pin.gamma", pin_keys().at("gamma"));
            if (!v) return nullptr;
            s->gamma = *v;
        }
        return s;
    }
    [[nodiscard]] std::optional<ScenarioInstance> before_scenario(const AnalysisContext& ctx, const AnalysisSpec& spec,
                                                                  const ScenarioInstance& inst,
                                                                  std::any& state) const override {
        const auto& p = dynamic_cast<const PinSpec&>(spec);
        state = inst.spec->efficiency.selection.params.real("gamma");
        const Assignment a{"efficiency.gamma", plugin::Value{p.gamma}, "", p.mark};
        ScenarioInstance pinned = ctx.models.with_parameters(*inst.spec, {a}, inst.spec->name, false);
        auto spec_copy = std::make_shared<ScenarioSpec>(*pinned.spec);
        spec_copy->analyses = inst.spec->analyses;
        pinned.spec = spec_copy.get();
        pinned.owned = std::move(spec_copy);
        return pinned;
    }
    void after_scenario(const AnalysisContext&, const AnalysisSpec& spec, const ScenarioResult& base,
                        const std::any& state, TableSet& tables) const override {
        auto out = std::make_unique<TypedRows<PinRow>>(pin_table, [](const PinRow& r, std::vector<Cell>& c) {
            c.emplace_back(r.scenario);
            c.emplace_back(r.from);
            c.emplace_back(r.to);
            c.push_back(r.time ? Cell{*r.time} : Cell{});
        });
        out->rows.push_back({base.spec->name, std::any_cast<double>(state), dynamic_cast<const PinSpec&>(spec).gamma,
                             base.targets.at(0).time});
        tables.push_back(std::move(out));
    }

private:
    std::string key_ = "pin";
};

const Pin pin_module;

/// `halve: {path: p, from: f, count: n}`, an analysis that plans: the scenario stands for n
/// scenarios with p = f, f/2, f/4, ... (the first value stands in the declared scenario).
const KeyBlock& halve_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("halve", "One scenario per halving of a parameter (a test analysis that plans).");
        k.add_string("path").required().doc("The parameter path.");
        k.add_real("from").required().unit(param_unit).doc("The first value.");
        k.add_integer("count").at_least(1).default_value(std::int64_t{2}).unit("values").doc("How many values.");
        return k;
    }();
    return b;
}

struct HalveRead {
    std::string path;
    double from = 0;
    std::int64_t count = 2;
    Mark key_mark, mark;
};

class Halve final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return halve_keys(); }
    [[nodiscard]] bool plans() const override { return true; }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {}; }
    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader&, const YAML::Node&,
                                                           ScenarioSpec&) const override {
        throw std::logic_error("read in two steps");
    }
    bool stand_ins(const BlockReader& r, const YAML::Node& n, const std::string&, const PlanContext&,
                   std::vector<StandIn>& out, std::any& state) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'halve'")) return false;
        r.check_keys(n, halve_keys(), "'halve'");
        HalveRead h;
        h.path = n["path"].Scalar();
        h.key_mark = r.mark(n["path"]);
        h.mark = r.mark(n);
        const auto from = r.real(n["from"], "halve.from");
        if (!from) return false;
        h.from = *from;
        if (const YAML::Node c = n["count"]) {
            const auto k = r.integer_key(c, "halve.count", halve_keys().at("count"));
            if (!k) return false;
            h.count = *k;
        }
        out.push_back(StandIn{h.path, n["from"], h.key_mark});
        state = h;
        return true;
    }
    [[nodiscard]] std::shared_ptr<const SweepPlan> plan(const BlockReader&, const ScenarioSpec&, PlanContext&,
                                                        std::any& state) const override {
        const auto& h = std::any_cast<const HalveRead&>(state);
        auto plan = std::make_shared<SweepPlan>();
        plan->mark = h.mark;
        SweepAxis axis;
        axis.path = h.path;
        axis.label = h.path.substr(h.path.find('.') + 1);
        axis.key_mark = h.key_mark;
        for (std::int64_t i = 0; i < h.count; ++i) {
            const double v = std::ldexp(h.from, static_cast<int>(-i));
            axis.listed.push_back(Assignment{h.path, plugin::Value{v}, fmt::format("{}", v), h.mark});
        }
        plan->axes.push_back(std::move(axis));
        return plan;
    }
    void after_scenario(const AnalysisContext&, const AnalysisSpec&, const ScenarioResult&, const std::any&,
                        TableSet&) const override {}

private:
    std::string key_ = "halve";
};

const Halve halve_module;

AnalysisKinds with_stretch() {
    AnalysisKinds kinds = builtin_analyses();
    kinds.push_back(&stretch_module);
    kinds.push_back(&pin_module);
    kinds.push_back(&halve_module);
    return kinds;
}

std::optional<Experiment> load_with(const std::string& text, Diagnostics& d, const AnalysisKinds& kinds) {
    auto doc = parse_document_text(text, "t.yaml", d);
    if (!doc) return std::nullopt;
    return validate(*doc, registry(), d, {}, model_check(registry()), kinds);
}

const std::string config = R"(racesim: 1
horizon: 200
defaults:
  efficiency: {type: continuous-doubling, gamma: 1.5, E0: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1}
  reference: relative-loss
  targets: {relative: [0.7, 0.68]}
scenarios:
  - name: a
    stretch: {factor: 2.5}
    sensitivity: {step: 0.01, parameters: [efficiency.gamma]}
  - name: b
)";

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("analysis module: a new analysis is read with positions, and unknown without its module") {
    Diagnostics d;
    auto ex = load_with(config, d, with_stretch());
    REQUIRE(ex);
    const auto* s = find_analysis<StretchSpec>(ex->scenarios[0]);
    REQUIRE(s);
    CHECK(s->factor == 2.5);
    CHECK(s->mark.line == 11);
    CHECK(find_analysis<StretchSpec>(ex->scenarios[1]) == nullptr);
    // The built-in analysis of the same scenario is there too, after it in the scenario's order.
    CHECK(find_analysis<SensitivitySpec>(ex->scenarios[0]) != nullptr);

    // Its block is checked against its declaration, with file:line:col and a did-you-mean.
    Diagnostics bad;
    std::string typo = config;
    typo.replace(typo.find("factor: 2.5"), 11, "factr: 2.5");
    CHECK_FALSE(load_with(typo, bad, with_stretch()));
    const std::string m = messages(bad);
    CHECK_THAT(m, Catch::Contains("t.yaml:11:15: error: unknown key 'factr' in 'stretch'"));
    CHECK_THAT(m, Catch::Contains("did you mean 'factor'?"));
    Diagnostics negative;
    std::string neg = config;
    neg.replace(neg.find("factor: 2.5"), 11, "factor: -1");
    CHECK_FALSE(load_with(neg, negative, with_stretch()));
    CHECK_THAT(messages(negative), Catch::Contains("stretch.factor = -1 is out of range: it must be > 0"));

    // A session without the module does not know the key, and suggests the keys it knows.
    Diagnostics without;
    CHECK_FALSE(load_with(config, without, builtin_analyses()));
    CHECK_THAT(messages(without), Catch::Contains("t.yaml:11:5: error: unknown key 'stretch' in a scenario"));
    // And its key joins the scenario's keys: a typo of it gets a suggestion.
    Diagnostics near;
    std::string near_text = config;
    near_text.replace(near_text.find("stretch:"), 8, "strech:");
    CHECK_FALSE(load_with(near_text, near, with_stretch()));
    CHECK_THAT(messages(near), Catch::Contains("did you mean 'stretch'?"));
}

TEST_CASE("analysis module: its rows reach the collecting sink and the results directory") {
    Diagnostics d;
    auto ex = load_with(config, d, with_stretch());
    REQUIRE(ex);

    // In memory: typed rows, per scenario and for the whole run.
    const RunResult res = run_experiment(models(), *ex);
    REQUIRE(res.scenarios.size() == 2);
    const auto* rows = rows_of<StretchRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);  // scenario a, two targets; b has no stretch
    for (std::size_t k = 0; k < 2; ++k) {
        const auto& r = (*rows)[k];
        CHECK(r.scenario == "a");
        REQUIRE(r.time);
        CHECK(*r.stretched == *r.time * 2.5);  // exactly: one multiplication
        CHECK(*r.time == *res.scenarios[0].targets[k].time);
    }
    CHECK(rows_of<StretchRow>(res.scenarios[1].tables) == nullptr);
    REQUIRE(rows_of<SensitivityRow>(res.tables));
    CHECK(rows_of<SensitivityRow>(res.tables)->size() == 2);

    // On disk: stretch.csv from its TableDef, named in summary.json and on the console.
    const auto dir = std::filesystem::temp_directory_path() / "racesim-test-analysis-module";
    std::filesystem::remove_all(dir);
    ResultsWriter w(*ex, dir, false);
    (void)run_experiment(models(), *ex, w);
    const std::string csv = slurp(dir / "stretch.csv");
    std::istringstream lines(csv);
    std::string header, row1, row2, extra;
    std::getline(lines, header);
    std::getline(lines, row1);
    std::getline(lines, row2);
    CHECK(header == "scenario,target,time,stretched,targets");
    CHECK(row1.rfind("a,R=0.7,", 0) == 0);
    CHECK(row1.size() > 10);
    CHECK(row1.substr(row1.size() - 2) == ",2");
    CHECK(row2.rfind("a,R=0.68,", 0) == 0);
    CHECK_FALSE(std::getline(lines, extra));
    const std::string summary = slurp(dir / "summary.json");
    CHECK_THAT(summary, Catch::Contains("\"stretch_csv\": \"stretch.csv\""));
    CHECK_THAT(summary, Catch::Contains("\"sensitivity_csv\": \"sensitivity.csv\""));
    // The built-in table comes first: builtin_analyses() order, then the test's module.
    CHECK(summary.find("sensitivity_csv") < summary.find("stretch_csv"));
    std::ostringstream table;
    print_table(w.report(), table);
    CHECK_THAT(table.str(), Catch::Contains("stretch: 2 row(s) in stretch.csv"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("analysis module: before_scenario puts another scenario in its place, and a table can go to summary.json") {
    const std::string text = R"(racesim: 1
horizon: 200
defaults:
  efficiency: {type: continuous-doubling, gamma: 1.5, E0: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1}
  reference: relative-loss
  targets: {relative: [0.7]}
scenarios:
  - name: pinned
    pin: {gamma: 0.75}
  - name: declared
    efficiency: {gamma: 0.75}
  - name: plain
)";
    Diagnostics d;
    auto ex = load_with(text, d, with_stretch());
    REQUIRE(ex);
    const RunResult res = run_experiment(models(), *ex);
    REQUIRE(res.scenarios.size() == 3);
    // The pinned scenario ran with gamma = 0.75: the same computation as the one declared so,
    // so its time is the same double; the plain one (gamma = 1.5) is reached sooner.
    const auto t_pinned = res.scenarios[0].targets.at(0).time, t_declared = res.scenarios[1].targets.at(0).time;
    REQUIRE(t_pinned);
    REQUIRE(t_declared);
    CHECK(*t_pinned == *t_declared);
    CHECK(*res.scenarios[2].targets.at(0).time < *t_pinned);
    CHECK(res.scenarios[0].spec->name == "pinned");
    // The state before_scenario left reaches after_scenario: the declared gamma.
    const auto* rows = rows_of<PinRow>(res.tables);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK((*rows)[0].from == 1.5);
    CHECK((*rows)[0].to == 0.75);
    CHECK((*rows)[0].time == t_pinned);

    const auto dir = std::filesystem::temp_directory_path() / "racesim-test-analysis-pin";
    std::filesystem::remove_all(dir);
    ResultsWriter w(*ex, dir, false);
    (void)run_experiment(models(), *ex, w);
    const auto summary = nlohmann::json::parse(slurp(dir / "summary.json"));
    REQUIRE(summary.contains("pin"));
    REQUIRE(summary["pin"].size() == 1);
    CHECK(summary["pin"][0]["scenario"] == "pinned");
    CHECK(summary["pin"][0]["from"] == 1.5);
    CHECK(summary["pin"][0]["to"] == 0.75);
    CHECK(summary["pin"][0]["time"].get<double>() == *t_pinned);
    CHECK(summary["pin_csv"] == "pin.csv");
    // A table without in_summary stays out of it.
    CHECK_FALSE(summary.contains("stretch"));
    std::filesystem::remove_all(dir);
}

TEST_CASE(
    "analysis module: an analysis that plans makes its scenario stand for several, which run and are written "
    "like a sweep's") {
    const std::string text = R"(racesim: 1
horizon: 200
defaults:
  efficiency: {type: continuous-doubling, E0: 1}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1}
  reference: relative-loss
  targets: {relative: [0.7]}
scenarios:
  - name: h
    halve: {path: efficiency.gamma, from: 2, count: 3}
  - name: declared
    efficiency: {gamma: 0.5}
)";
    Diagnostics d;
    auto ex = load_with(text, d, with_stretch());
    INFO(messages(d));
    REQUIRE(ex);
    // The swept parameter needs no other value: the first one stands in the declared scenario.
    REQUIRE(ex->scenarios.at(0).sweep_plan);
    CHECK(ex->scenarios[0].efficiency.selection.params.real("gamma") == 2);
    CHECK(scenario_count(*ex) == 4);
    CHECK(expand(*ex, 1).spec->name == "h[gamma=1]");

    const RunResult res = run_experiment(models(), *ex);
    REQUIRE(res.scenarios.size() == 4);
    CHECK(res.scenarios[0].spec->name == "h[gamma=2]");
    CHECK(res.scenarios[2].spec->name == "h[gamma=0.5]");
    // The planned scenario at gamma = 0.5 is the same computation as the one declared so.
    REQUIRE(res.scenarios[2].targets.at(0).time);
    CHECK(*res.scenarios[2].targets[0].time == *res.scenarios[3].targets.at(0).time);
    CHECK(*res.scenarios[0].targets[0].time < *res.scenarios[1].targets[0].time);

    // The results directory lists the planned scenarios in sweep.csv, a column for the path.
    const auto dir = std::filesystem::temp_directory_path() / "racesim-test-analysis-plans";
    std::filesystem::remove_all(dir);
    ResultsWriter w(*ex, dir, false);
    (void)run_experiment(models(), *ex, w);
    std::istringstream sweep(slurp(dir / "sweep.csv"));
    std::string header, line;
    std::getline(sweep, header);
    CHECK(header.rfind("scenario,origin,efficiency.gamma,R=0.7 time,", 0) == 0);
    std::vector<std::string> rows;  // each row's first three cells
    while (std::getline(sweep, line)) {
        std::size_t end = 0;
        for (int c = 0; c < 3; ++c) end = line.find(',', end + (c > 0));
        rows.push_back(line.substr(0, end));
    }
    CHECK(rows == std::vector<std::string>{"h[gamma=2],h,2", "h[gamma=1],h,1", "h[gamma=0.5],h,0.5"});
    std::filesystem::remove_all(dir);

    // The loader checks the stand-ins' paths, naming the analysis, with a did-you-mean.
    Diagnostics bad;
    std::string typo = text;
    typo.replace(typo.find("efficiency.gamma"), 16, "efficiency.gama");
    CHECK_FALSE(load_with(typo, bad, with_stretch()));
    CHECK_THAT(messages(bad), Catch::Contains("t.yaml:11:19: error: cannot halve 'efficiency.gama': efficiency "
                                              "'continuous-doubling' has no parameter 'gama'"));
    CHECK_THAT(messages(bad), Catch::Contains("did you mean 'efficiency.gamma'?"));
    // Two analyses that plan cannot share a scenario.
    Diagnostics both;
    std::string two = text;
    two.replace(two.find("  - name: declared"), 0, "    sweep: {power.P0: [1, 2]}\n");
    CHECK_FALSE(load_with(two, both, with_stretch()));
    CHECK_THAT(messages(both), Catch::Contains("scenario 'h' has both 'sweep' and 'halve', which each make it "
                                               "stand for several: give one"));
}
