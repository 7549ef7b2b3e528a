// The embedding API (racesim/racesim.hpp): loading from a file, YAML text and an in-memory tree
// gives the same experiment and the same diagnostics; a run hands every result to its sink in
// the documented order; sessions work from several threads.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "racesim/racesim.hpp"

using namespace racesim;
namespace fs = std::filesystem;

namespace {

SessionOptions built_plugins() {
    SessionOptions o;
    o.plugin_paths = {RACESIM_PLUGIN_DIR};
    o.environment = false;
    return o;
}

const char* const small_yaml = R"(racesim: 1
name: api
horizon: 30
output: {every: 1}
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  baseline: {tau: 0}
  targets: {relative: [0.95, 0.9]}
  reference: relative-loss
scenarios:
  - name: slow
  - name: fast
    efficiency: {gamma: 2}
    sample:
      n: 64
      seed: 7
      parameters:
        efficiency.gamma: {dist: uniform, low: 1, high: 3}
compare:
  - {a: slow, b: fast}
)";

/// The same config as a tree (what a Python dict becomes).
nlohmann::ordered_json small_tree() {
    using J = nlohmann::ordered_json;
    J t;
    t["racesim"] = 1;
    t["name"] = "api";
    t["horizon"] = 30;
    t["output"] = {{"every", 1}};
    t["defaults"] = {{"efficiency", {{"type", "continuous-doubling"}, {"E0", 1.0}, {"gamma", 0.5}}},
                     {"power", {{"type", "mean-field"}, {"P0", 70}}},
                     {"loss", {{"type", "power-law"}, {"kappa", 0.048}, {"L0", 1.0}}},
                     {"baseline", {{"tau", 0}}},
                     {"targets", {{"relative", {0.95, 0.9}}}},
                     {"reference", "relative-loss"}};
    J fast = {{"name", "fast"}, {"efficiency", {{"gamma", 2}}}};
    fast["sample"] = {
        {"n", 64}, {"seed", 7}, {"parameters", {{"efficiency.gamma", {{"dist", "uniform"}, {"low", 1}, {"high", 3}}}}}};
    t["scenarios"] = J::array({J{{"name", "slow"}}, fast});
    t["compare"] = J::array({J{{"a", "slow"}, {"b", "fast"}}});
    return t;
}

/// Every time to target of a run, in order.
std::vector<std::optional<double>> times(const RunResult& r) {
    std::vector<std::optional<double>> out;
    for (const auto& s : r.scenarios)
        for (const auto& t : s.targets) out.push_back(t.time);
    return out;
}

std::string printed(const Diagnostics& d) {
    std::ostringstream os;
    d.print(os);
    return os.str();
}

/// The diagnostics of a tree that fails to load.
std::string tree_errors(const Session& s, const nlohmann::ordered_json& tree) {
    try {
        (void)s.load_tree(tree);
    } catch (const ConfigError& e) {
        return printed(e.diagnostics);
    }
    FAIL("the tree was accepted");
    return {};
}

/// The summary.json a run of `ex` writes into a fresh results directory (removed afterwards).
nlohmann::json written_summary(const Session& session, const Experiment& ex) {
    const fs::path dir = fs::temp_directory_path() / ("racesim-api-summary-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    {
        ResultsWriter out(ex, dir, false);
        session.run(ex, RunOptions{}, out);
    }
    std::ifstream in(dir / "summary.json");
    auto j = nlohmann::json::parse(in);
    fs::remove_all(dir);
    return j;
}

}  // namespace

TEST_CASE("a file, its YAML text and the equivalent tree load the same experiment and give the same results", "[api]") {
    const Session session(built_plugins());
    const fs::path file = fs::temp_directory_path() / "racesim-api-test.yaml";
    { std::ofstream(file) << small_yaml; }
    const Experiment from_file = session.load(file);
    const Experiment from_text = session.load_text(small_yaml);
    const Experiment from_tree = session.load_tree(small_tree());
    fs::remove(file);
    REQUIRE(Session::scenario_count(from_file) == 2);
    const RunResult a = session.run(from_file), b = session.run(from_text), c = session.run(from_tree);
    REQUIRE(times(a).size() == 4);
    CHECK(times(a) == times(b));
    CHECK(times(a) == times(c));
    for (const RunResult* r : {&b, &c}) {
        REQUIRE(r->scenarios.size() == 2);
        CHECK(r->scenarios[1].trajectory.C == a.scenarios[1].trajectory.C);
        REQUIRE(r->monte_carlo.size() == 1);
        CHECK(r->monte_carlo[0].times == a.monte_carlo[0].times);
        CHECK(r->monte_carlo[0].draws == a.monte_carlo[0].draws);
    }
}

TEST_CASE("a run's trajectories are columns of equal length with the reference where there is one", "[api]") {
    const Session session(built_plugins());
    const RunResult r = session.run(session.load_text(small_yaml));
    REQUIRE(r.scenarios.size() == 2);
    const Trajectory& tr = r.scenarios[0].trajectory;
    REQUIRE(tr.size() == 31);  // 0, 1, ..., 30 yr
    for (const auto* c : {&tr.C, &tr.E, &tr.P, &tr.L, &tr.R, &tr.R_ref, &tr.rel_err}) CHECK(c->size() == tr.size());
    CHECK(tr.t.front() == 0);
    CHECK(tr.t.back() == 30);
    CHECK(tr.R.front() == 1);
    // The closed form is within the integrator's tolerance (rel_tol 1e-10 on ln C, so R to ~1e-11).
    for (std::size_t i = 0; i < tr.size(); ++i) CHECK(tr.rel_err[i] < 1e-9);
    CHECK(tr.has_reference());
}

TEST_CASE(
    "a sink receives begin first, every scenario in order, samples before their statistics, "
    "comparisons, and end last",
    "[api]") {
    struct Recorder final : RunSink {
        std::vector<std::string> calls;
        RunInfo info;
        void begin(const RunInfo& i) override {
            info = i;
            calls.push_back("begin");
        }
        void scenario(const ScenarioResult& r) override { calls.push_back("scenario " + r.spec->name); }
        void sample(const ScenarioSpec&, std::size_t index, const std::vector<double>&,
                    const std::vector<double>&) override {
            if (index == 0) calls.push_back("sample 0");
            ++samples;
        }
        void sweep_rows(const SweepRows&) override { calls.push_back("sweep_rows"); }
        void monte_carlo(const MonteCarloResult& mc) override {
            calls.push_back("monte_carlo " + mc.spec->name);
            stats = mc.stats.size();
        }
        void comparison(const Comparison& c) override { calls.push_back("comparison " + c.a + " " + c.b); }
        void end(const RunSummary&) override { calls.push_back("end"); }
        std::size_t samples = 0, stats = 0;
    } rec;
    const Session session(built_plugins());
    const Experiment ex = session.load_text(small_yaml);
    session.run(ex, RunOptions{}, rec);
    CHECK(rec.calls == std::vector<std::string>{"begin", "scenario slow", "scenario fast", "sample 0",
                                                "monte_carlo fast", "comparison slow fast", "end"});
    CHECK(rec.samples == 64);
    CHECK(rec.stats == 2);  // one per target
    CHECK(rec.info.scenarios == 2);
    CHECK(rec.info.work_units == 2 + 64);
    CHECK(rec.info.trajectories);
}

TEST_CASE("RunOptions::trajectories: automatic keeps them for small runs, drop makes a summary-only run", "[api]") {
    const Session session(built_plugins());
    const Experiment ex = session.load_text(small_yaml);
    CHECK(Session::keeps_trajectories(ex, RunOptions{}));
    RunOptions drop;
    drop.trajectories = Trajectories::drop;
    CHECK_FALSE(Session::keeps_trajectories(ex, drop));
    const RunResult r = session.run(ex, drop);
    CHECK_FALSE(r.trajectories);
    // The compared scenarios keep theirs (the comparison needs them); their targets are the same.
    const RunResult kept = session.run(ex);
    CHECK(times(r) == times(kept));
    // The experiment itself is not changed by a run.
    CHECK(ex.output.trajectories);
}

TEST_CASE("results do not depend on the number of jobs, and two threads can run at once", "[api]") {
    const Session session(built_plugins());
    const Experiment ex = session.load_text(small_yaml);
    RunOptions one;
    one.jobs = 1;
    const RunResult ref = session.run(ex, one);
    RunResult a, b;
    std::thread ta([&] { a = session.run(ex); });
    std::thread tb([&] {
        RunOptions two;
        two.jobs = 2;
        b = session.run(session.load_text(small_yaml), two);
    });
    ta.join();
    tb.join();
    CHECK(times(a) == times(ref));
    CHECK(times(b) == times(ref));
    CHECK(a.monte_carlo.at(0).times == ref.monte_carlo.at(0).times);
    CHECK(b.monte_carlo.at(0).draws == ref.monte_carlo.at(0).draws);
}

TEST_CASE("YAML text: diagnostics name the text and its line and column", "[api]") {
    const Session session(built_plugins());
    std::string bad = small_yaml;
    bad.replace(bad.find("gamma: 0.5"), 10, "gama: 0.5");
    try {
        (void)session.load_text(bad, LoadOptions{{}, "inline.yaml", {}});
        FAIL("accepted");
    } catch (const ConfigError& e) {
        const std::string m = printed(e.diagnostics);
        CHECK_THAT(m, Catch::Contains("inline.yaml:6:"));
        CHECK_THAT(m, Catch::Contains("'gama'"));
        CHECK_THAT(m, Catch::Contains("did you mean 'gamma'"));
    }
}

TEST_CASE("a tree's diagnostics name the key path of the offending value", "[api]") {
    const Session session(built_plugins());
    SECTION("an unknown parameter, with a suggestion") {
        auto t = small_tree();
        t["scenarios"][1]["efficiency"] = {{"gama", 2}};
        const std::string m = tree_errors(session, t);
        CHECK_THAT(m, Catch::Contains("<tree>:scenarios[1].efficiency.gama: error:"));
        CHECK_THAT(m, Catch::Contains("did you mean 'gamma'"));
    }
    SECTION("a value of the wrong type") {
        auto t = small_tree();
        t["horizon"] = "forty";
        CHECK_THAT(tree_errors(session, t), Catch::Contains("<tree>:horizon: error:"));
    }
    SECTION("a value out of range, deep in a list") {
        auto t = small_tree();
        t["defaults"]["targets"]["relative"][1] = -0.5;
        CHECK_THAT(tree_errors(session, t), Catch::Contains("<tree>:defaults.targets.relative[1]: error:"));
    }
    SECTION("NaN is refused like .nan in a file") {
        auto t = small_tree();
        t["defaults"]["loss"]["kappa"] = std::nan("");
        CHECK_THAT(tree_errors(session, t), Catch::Contains("<tree>:defaults.loss.kappa: error:"));
    }
    SECTION("a missing required key is reported at its parent") {
        auto t = small_tree();
        t.erase("horizon");
        CHECK_THAT(tree_errors(session, t), Catch::Contains("missing required key 'horizon'"));
    }
    SECTION("a key longer than YAML allows for an implicit key is still a key, reported at its path") {
        // YAML limits an implicit key to 1024 characters; the tree's text writes a longer one as
        // an explicit key ("? KEY"). Found by the tree fuzzer: a 2,730-byte key was a syntax error.
        for (const std::size_t n : {998, 999, 3000}) {  // 998 + 2 quotes: the longest implicit key
            auto t = small_tree();
            t["scenarios"][1]["efficiency"][std::string(n, 'k')] = 1;
            t["scenarios"][1]["efficiency"]["gama"] = 2;  // the keys after it are still read
            const std::string m = tree_errors(session, t);
            CHECK_THAT(m, !Catch::Contains("YAML"));
            CHECK_THAT(m, Catch::Contains("<tree>:scenarios[1].efficiency.kkkkkkkkkk"));
            CHECK_THAT(m, Catch::Contains("unknown parameter 'kkkkkkkkkk"));
            CHECK_THAT(m, Catch::Contains("<tree>:scenarios[1].efficiency.gama: error:"));
        }
        auto t = small_tree();  // 200 control characters: 1,200 bytes of \u0001 escapes, an explicit key
        t["scenarios"][1]["efficiency"][std::string(200, '\x01')] = 1;
        CHECK_THAT(tree_errors(session, t), Catch::Contains("unknown parameter"));
    }
    SECTION("strings that look like numbers stay strings") {
        auto t = small_tree();
        t["defaults"]["power"]["P0"] = "70";
        CHECK_THAT(tree_errors(session, t), Catch::Contains("<tree>:defaults.power.P0: error:"));
    }
}

TEST_CASE("a tree keeps every double exactly and every string as written", "[api]") {
    const Session session(built_plugins());
    auto t = small_tree();
    const double E0 = 44604413485.714294, gamma = 0.1 + 0.2;  // not a short decimal
    t["defaults"]["efficiency"]["E0"] = E0;
    t["defaults"]["efficiency"]["gamma"] = gamma;
    t["scenarios"][0]["name"] = "quote \" and colon: and unicode \u00e9";
    t["compare"][0]["a"] = t["scenarios"][0]["name"];
    const Experiment ex = session.load_tree(t);
    REQUIRE(ex.scenarios.size() == 2);
    CHECK(ex.scenarios[0].name == "quote \" and colon: and unicode \u00e9");
    CHECK(ex.scenarios[0].efficiency.selection.params.real("E0") == E0);
    CHECK(ex.scenarios[0].efficiency.selection.params.real("gamma") == gamma);
}

TEST_CASE("session errors: a plugin path that is not a directory, an unknown type", "[api]") {
    SessionOptions o = built_plugins();
    o.plugin_paths.insert(o.plugin_paths.begin(), "/no/such/racesim/plugins");
    const Session bad(o);
    CHECK_THROWS_AS(bad.load_text(small_yaml), PluginPathError);
    const Session session(built_plugins());
    try {
        (void)session.describe("continuous-doubing", DescribeFormat::text);
        FAIL("accepted");
    } catch (const UnknownTypeError& e) {
        CHECK(e.suggestion == "continuous-doubling");
    }
    const auto j = session.describe_json("continuous-doubling");
    REQUIRE(j.is_array());
    CHECK(j.at(0).at("type") == "continuous-doubling");
    const PluginListing list = session.plugins();
    CHECK(std::any_of(list.types.begin(), list.types.end(),
                      [](const PluginInfo& p) { return p.type == "relative-loss"; }));
}

TEST_CASE("check reports the contract of every model of every scenario", "[api]") {
    const Session session(built_plugins());
    const auto checks = session.check(session.load_text(small_yaml));
    REQUIRE(checks.size() == 6);  // 2 scenarios x (efficiency, power, loss)
    for (const auto& c : checks) CHECK(c.report.problems.empty());
    CHECK(checks[0].what == "efficiency 'continuous-doubling'");
}

namespace {

/// E(t) = E0 · 2^(gamma·t), made in this process (what a model written in Python becomes).
class InProcessDoubling final : public plugin::RateModel {
public:
    InProcessDoubling(double E0, double gamma) : log_E0_(std::log(E0)), rate_(gamma * std::log(2.0)) {}
    double log_value(double t, double, const plugin::Segment&) const override {
        if (t > 1e6) throw std::runtime_error("never");
        return log_E0_ + rate_ * t;
    }

private:
    double log_E0_, rate_;
};

plugin::Descriptor in_process_doubling(const std::string& type) {
    plugin::Descriptor d;
    d.kind = plugin::Kind::efficiency;
    d.type = type;
    d.summary = "in-process doubling";
    d.schema.add_real("E0").positive().required();
    d.schema.add_real("gamma").default_value(0.5);
    d.make_rate = [](const plugin::Params& p, const plugin::BuildContext&) -> std::unique_ptr<plugin::RateModel> {
        return std::make_unique<InProcessDoubling>(p.real("E0"), p.real("gamma"));
    };
    return d;
}

}  // namespace

TEST_CASE("SessionOptions::types: an in-process type runs like the library's, schema-checked and listed", "[api]") {
    SessionOptions o = built_plugins();
    o.types.push_back(in_process_doubling("in-process-doubling"));
    o.types_origin = "<test>";
    const Session session(std::move(o));
    std::string yaml = small_yaml;
    const Experiment library = session.load_text(yaml);
    yaml.replace(yaml.find("type: continuous-doubling"), 25, "type: in-process-doubling");
    yaml.replace(yaml.find("  reference: relative-loss"), 26, "  reference: ~");
    const Experiment mine = session.load_text(yaml);
    const RunResult a = session.run(library), b = session.run(mine);
    REQUIRE(a.scenarios.size() == b.scenarios.size());
    for (std::size_t i = 0; i < a.scenarios.size(); ++i)
        for (std::size_t k = 0; k < a.scenarios[i].trajectory.size(); ++k)
            CHECK(b.scenarios[i].trajectory.R[k] == Approx(a.scenarios[i].trajectory.R_ref[k]).epsilon(1e-10));
    const PluginListing list = session.plugins();
    CHECK(std::any_of(list.types.begin(), list.types.end(),
                      [](const PluginInfo& p) { return p.type == "in-process-doubling" && p.library == "<test>"; }));
    yaml.replace(yaml.find("E0: 1.0"), 7, "E0: -1.0");
    CHECK_THROWS_AS(session.load_text(yaml), ConfigError);
}

TEST_CASE("SessionOptions::types: a type registered twice or without a factory is refused", "[api]") {
    SessionOptions o = built_plugins();
    o.types = {in_process_doubling("twice"), in_process_doubling("twice")};
    CHECK_THROWS_AS(Session(std::move(o)).plugins(), std::invalid_argument);
    SessionOptions p = built_plugins();
    p.types = {in_process_doubling("no-factory")};
    p.types[0].make_rate = nullptr;
    CHECK_THROWS_AS(Session(std::move(p)).plugins(), std::invalid_argument);
}

TEST_CASE("request_interrupt stops a run with Interrupted; clear_interrupt lets the next one run", "[api]") {
    const Session session(built_plugins());
    const Experiment ex = session.load_text(small_yaml);
    request_interrupt(SIGINT);
    CHECK(interrupt_signal() == SIGINT);
    CHECK_THROWS_AS(session.run(ex), Interrupted);
    clear_interrupt();
    CHECK(interrupt_signal() == 0);
    CHECK(session.run(ex).scenarios.size() == 2);
}

TEST_CASE("run_report of a run kept in memory is the report of the writer: the same summary.json", "[api]") {
    const Session session(built_plugins());
    const Experiment ex = session.load_text(small_yaml);
    const RunResult r = session.run(ex);
    const fs::path dir = fs::temp_directory_path() / ("racesim-run-report-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    write_results(r, dir, false);
    std::ifstream in(dir / "summary.json");
    const auto written = nlohmann::ordered_json::parse(in);
    const auto reported = summary_json(run_report(r));
    CHECK(written == reported);
    CHECK(reported.at("scenarios").at(0).at("C0").get<double>() > 0);  // listed scenarios keep C0
    fs::remove_all(dir);
}

TEST_CASE("the results directory's summary.json holds each scenario's C0 and L(C0) as the run made them", "[api]") {
    // A C0 baseline and a loss law with its own C_ref, so that neither value is a default.
    const std::string yaml = R"(racesim: 1
name: api-summary
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 2.5, C_ref: 1000}
  baseline: {C0: 300}
  targets: {relative: [0.95]}
scenarios:
  - name: a
  - name: b
    baseline: {C0: 7000}
)";
    const Session session(built_plugins());
    const Experiment ex = session.load_text(yaml);
    const RunResult mem = session.run(ex);
    const auto j = written_summary(session, ex);
    REQUIRE(j["scenarios"].size() == mem.scenarios.size());
    for (std::size_t i = 0; i < mem.scenarios.size(); ++i) {
        const auto& s = mem.scenarios[i];
        CHECK(s.C0 == (i == 0 ? 300.0 : 7000.0));
        // L(C0) = L0 · (C0 / C_ref)^-kappa; the law computes it through logarithms, so a few
        // ulp apart from pow (1e-14 relative is ~50 ulp).
        CHECK(s.L_C0 == Approx(2.5 * std::pow(s.C0 / 1000, -0.048)).epsilon(1e-14));
        CHECK(j["scenarios"][i]["C0"].get<double>() == s.C0);
        CHECK(j["scenarios"][i]["L_C0"].get<double>() == s.L_C0);
    }
}

TEST_CASE("a target at or above the starting loss is met at t = 0 and marked at_start", "[api]") {
    const std::string yaml = R"(racesim: 1
name: api-at-start
horizon: 10
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 2.5, C_ref: 1000}
  baseline: {C0: 300}
scenarios:
  - name: a
    targets: {relative: [1.2, 1.0, 0.99]}
)";
    const Session session(built_plugins());
    const Experiment ex = session.load_text(yaml);
    const RunResult mem = session.run(ex);
    const auto& t = mem.scenarios.at(0).targets;
    REQUIRE(t.size() == 3);
    CHECK(t[0].at_start);
    CHECK(t[0].time == 0.0);
    CHECK(t[1].at_start);
    CHECK(t[1].time == 0.0);
    CHECK_FALSE(t[2].at_start);
    REQUIRE(t[2].time);
    CHECK(*t[2].time > 0);

    const auto j = written_summary(session, ex);
    const auto& jt = j["scenarios"][0]["targets"];
    CHECK(jt[0]["at_start"] == true);
    CHECK(jt[1]["at_start"] == true);
    CHECK_FALSE(jt[2].contains("at_start"));
}
