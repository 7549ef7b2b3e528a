// Quantities as they are quoted (racesim/plugins/quoted.hpp) and calendar dates (start_year):
//   - each quoted form gives the same results, byte for byte, as a config that writes the
//     converted number (the conversion is made once, at load, with the formula docs/config.md
//     states), and the converted numbers agree with exact values;
//   - a cap given relative to the start value moves with it in sweeps, goal seeks,
//     sensitivity runs and samples (racesim::with_parameters);
//   - dates are start_year + t, exactly, in summary.json, the trajectory CSV and Monte Carlo;
//     sample dates are calendar years with start_year.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "racesim/config/scenario.hpp"
#include "racesim/racesim.hpp"
#include "support.hpp"

using namespace racesim;
namespace fs = std::filesystem;

namespace {

SessionOptions built_plugins() {
    SessionOptions o;
    o.plugin_paths = {RACESIM_PLUGIN_DIR};
    o.environment = false;
    return o;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

/// A config: growth power capped, continuous or discrete efficiency, with `efficiency` and
/// `power` blocks substituted in.
std::string config(const std::string& efficiency, const std::string& power, const std::string& extra = "") {
    return "racesim: 1\nname: quoted\nhorizon: 30\noutput: {every: 0.5}\n" + extra +
           "defaults:\n"
           "  efficiency: " +
           efficiency +
           "\n"
           "  power: " +
           power +
           "\n"
           "  loss: {type: power-law, kappa: 0.048, L0: 1.0}\n"
           "  targets: {relative: [0.7, 0.8]}\n"
           "scenarios:\n"
           "  - name: continuous\n"
           "  - name: generations\n"
           "    efficiency: {type: discrete-steps, period: 2}\n";
}

/// Every file of the results directory a run of `yaml` writes: name -> content. summary.json
/// without its timing, and without the record of quoted forms (the only place they differ).
std::map<std::string, std::string> results(const std::string& yaml, const std::string& tag) {
    const Session session(built_plugins());
    const Experiment ex = session.load_text(yaml);
    const fs::path dir = fs::temp_directory_path() / ("racesim-quoted-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    {
        ResultsWriter out(ex, dir, false);
        session.run(ex, RunOptions{}, out);
    }
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.front() == '.') continue;  // the results directory's marker
        if (name == "summary.json") {
            auto j = nlohmann::ordered_json::parse(slurp(e.path()));
            j.erase("timing");
            for (auto& sc : j["resolved_config"]["scenarios"]) sc.erase("quoted");
            files[name] = j.dump(1);
        } else {
            files[name] = slurp(e.path());
        }
    }
    fs::remove_all(dir);
    return files;
}

/// The shortest text that reads back as exactly `x`.
std::string exact(double x) {
    return fmt::format("{}", x);
}

}  // namespace

TEST_CASE("each quoted form converts to the value its formula gives, and agrees with the exact value", "[quoted]") {
    // Exact references (mpmath, 30 digits): log2(1.4) = 0.485426827170241760..., and the
    // efficiency of 1.4134e12 FLOP/J at 40 % utilisation, 1.4134e12·0.4·0.0315576 =
    // 17841404736 PFLOP/yr/MW. Tolerance: 2 ulp (one rounding in the formula, one in log2).
    const auto& rate = quoted_forms(plugin::Quoted::doubling_rate);
    REQUIRE(rate.size() == 3);
    CHECK(rate[0].convert({1.4}) == Approx(0.485426827170241760).epsilon(4.5e-16));
    CHECK(rate[1].convert({40}) == Approx(0.485426827170241760).epsilon(4.5e-16));
    CHECK(rate[2].convert({2.5}) == 0.4);
    CHECK(rate[1].convert({-50}) == -1);  // halving: a decline
    const auto& power = quoted_forms(plugin::Quoted::power);
    CHECK(power.at(0).convert({50000, 700}) == 35);
    const auto& eff = quoted_forms(plugin::Quoted::efficiency);
    CHECK(eff.at(0).convert({1.4134e12, 0.4}) == Approx(17841404736.0).epsilon(4.5e-16));
    // The paper's H100 E0 (configs/paper/table2.yaml, 44604413485.714294) from 989.4 TFLOP/s / 700 W.
    CHECK(eff.at(0).convert({989.4e12 / 700, 1}) == Approx(44604413485.714294).epsilon(4.5e-16));
    // A duration in months: 8/12 yr, one rounding (the division), so within 1 ulp of 2/3.
    const auto& duration = quoted_forms(plugin::Quoted::duration);
    REQUIRE(duration.size() == 1);
    CHECK(duration[0].convert({8}) == Approx(2.0 / 3.0).epsilon(2.3e-16));
    CHECK(duration[0].convert({18}) == 1.5);
}

TEST_CASE("a quoted form gives results byte-identical to the converted number written out", "[quoted]") {
    const std::string eff_plain = "{type: continuous-doubling, E0: " + exact(1.4134e12 * 0.4 * 0.0315576) +
                                  ", gamma: " + exact(std::log2(1.4)) + "}";
    const std::string pow_plain =
        "{type: growth, P0: 35, rate: " + exact(std::log2(1 + 40.0 / 100)) + ", P_max: " + exact(5.0 * 35) + "}";
    const auto plain = results(config(eff_plain, pow_plain), "plain");
    REQUIRE(plain.size() == 3);  // summary.json and the two trajectories
    SECTION("growth factor, percentage, fleet, efficiency, relative cap") {
        const auto quoted = results(config("{type: continuous-doubling, E0: {flops_per_watt: 1.4134e12, utilization: "
                                           "0.4}, gamma: {per_year: 1.4}}",
                                           "{type: growth, P0: {gpus: 50000, watts_per_gpu: 700}, rate: "
                                           "{percent_per_year: 40}, P_max: {times_P0: 5}}"),
                                    "quoted");
        CHECK(quoted == plain);
    }
    SECTION("a doubling time") {
        const auto a = results(
            config("{type: continuous-doubling, E0: 1.0, gamma: {doubling_time: 2.5}}", "{type: mean-field, P0: 1}"),
            "dt");
        const auto b = results(config("{type: continuous-doubling, E0: 1.0, gamma: 0.4}", "{type: mean-field, P0: 1}"),
                               "dt-plain");
        CHECK(a == b);
    }
    SECTION("the summary records the form next to the converted value") {
        const Session session(built_plugins());
        const Experiment ex = session.load_text(
            config("{type: continuous-doubling, E0: 1.0, gamma: {percent_per_year: 40}}", "{type: mean-field, P0: 1}"));
        const auto j = resolved_config_json(ex);
        const auto& sc = j.at("scenarios").at(0);
        CHECK(sc.at("efficiency").at("gamma").get<double>() == std::log2(1 + 40.0 / 100));
        CHECK(sc.at("quoted").at("efficiency.gamma").at("percent_per_year").get<double>() == 40);
        // No quoted form, no record: existing configs' summaries are unchanged.
        const auto k = resolved_config_json(
            session.load_text(config("{type: continuous-doubling, E0: 1.0, gamma: 1}", "{type: mean-field, P0: 1}")));
        CHECK_FALSE(k.at("scenarios").at(0).contains("quoted"));
        CHECK_FALSE(k.contains("start_year"));
    }
}

TEST_CASE("a cap relative to the start value moves with it in every scenario made from the declared one", "[quoted]") {
    Diagnostics d;
    const auto ex = test::load(config("{type: continuous-doubling, E0: 1.0, gamma: 1}",
                                      "{type: growth, P0: 10, rate: 1, P_max: {times_P0: 5}}"),
                               d);
    REQUIRE(ex);
    const ScenarioSpec& base = ex->scenarios.at(0);
    CHECK(base.power.selection.params.real("P_max") == 50);
    // A sweep, goal seek, sensitivity run or sample sets P0 through with_parameters.
    const ScenarioSpec moved = with_parameters(base, {Assignment{"power.P0", plugin::Value{7.0}, "", {}}}, "m");
    CHECK(moved.power.selection.params.real("P_max") == 35);
    // Setting the cap itself replaces the relation with the number.
    const ScenarioSpec capped = with_parameters(base, {Assignment{"power.P_max", plugin::Value{60.0}, "", {}}}, "c");
    CHECK(capped.power.selection.params.real("P_max") == 60);
    CHECK(capped.power.quoted.count("P_max") == 0);
    const ScenarioSpec again = with_parameters(capped, {Assignment{"power.P0", plugin::Value{20.0}, "", {}}}, "a");
    CHECK(again.power.selection.params.real("P_max") == 60);
    // Through a whole run: a sweep of P0 and a sample of P0 each give P_max = 5 P0, and the
    // reported cap time is log2(5)/rate in every one of them (the growth's t_cap).
    const Session session(built_plugins());
    const Experiment sw = session.load_text(config("{type: continuous-doubling, E0: 1.0, gamma: 1}",
                                                   "{type: growth, P0: 10, rate: 1, P_max: {times_P0: 5}}")
                                                .append("    sweep: {power.P0: [1, 2, 40]}\n"));
    const RunResult r = session.run(sw);
    int swept = 0;
    for (const auto& s : r.scenarios)
        if (!s.spec->sweep.empty()) {
            ++swept;
            CHECK(s.spec->power.selection.params.real("P_max") == 5 * s.spec->power.selection.params.real("P0"));
        }
    CHECK(swept == 3);
}

TEST_CASE("growth's rate forms are doublings per year: refused in linear mode", "[quoted]") {
    Diagnostics d;
    CHECK_FALSE(test::load(config("{type: continuous-doubling, E0: 1.0, gamma: 1}",
                                  "{type: growth, mode: linear, P0: 1, rate: {percent_per_year: 40}}"),
                           d));
    CHECK_THAT(test::messages(d), Catch::Contains("this form gives doublings per year, which rate is only with mode: "
                                                  "exponential (here mode: linear)"));
}

TEST_CASE("dates are start_year + t in summary.json, the trajectory CSV and Monte Carlo", "[quoted][dates]") {
    const std::string eff = "{type: continuous-doubling, E0: 1.0, gamma: 1}", pow = "{type: mean-field, P0: 1}";
    const std::string with_mc =
        config(eff, pow, "start_year: 2027\n") +
        "    sample: {n: 50, parameters: {efficiency.gamma: {dist: uniform, low: 0.5, high: 1.5}}, "
        "dates: [2029, 2030.5]}\n";
    const std::string times_only = config(eff, pow) +
                                   "    sample: {n: 50, parameters: {efficiency.gamma: {dist: uniform, low: 0.5, high: "
                                   "1.5}}, dates: [2, 3.5]}\n";
    const Session session(built_plugins());
    const Experiment ex = session.load_text(with_mc);
    REQUIRE(ex.scenarios.at(1).start_year == 2027.0);
    REQUIRE(find_analysis<SampleSpec>(ex.scenarios.at(1))->dates ==
            std::vector<double>{2, 3.5});  // calendar years -> t
    const fs::path dir = fs::temp_directory_path() / ("racesim-dates-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    {
        ResultsWriter out(ex, dir, false);
        session.run(ex, RunOptions{}, out);
    }
    const auto j = nlohmann::json::parse(slurp(dir / "summary.json"));
    CHECK(j.at("resolved_config").at("start_year").get<double>() == 2027);
    for (const auto& sc : j.at("scenarios"))
        for (const auto& t : sc.at("targets")) CHECK(t.at("date").get<double>() == 2027 + t.at("time").get<double>());
    // The trajectory's year column: start_year + t, row by row, right after t.
    std::istringstream csv(slurp(dir / "continuous.csv"));
    std::string line;
    std::getline(csv, line);
    CHECK(line.rfind("t,year,C,", 0) == 0);
    int rows = 0;
    while (std::getline(csv, line)) {
        double t = 0, year = 0;
        REQUIRE(std::sscanf(line.c_str(), "%lf,%lf", &t, &year) == 2);
        CHECK(year == 2027 + t);
        ++rows;
    }
    CHECK(rows == 61);
    const auto& mc = j.at("monte_carlo").at(0).at("targets").at(0);
    for (const auto& [k, v] : mc.at("time_quantiles").items())
        CHECK(mc.at("date_quantiles").at(k).get<double>() == 2027 + v.get<double>());
    CHECK(mc.at("p_reached_by_date").at("2029") == mc.at("p_reached_by").at("2"));
    CHECK(mc.at("p_reached_by_date").at("2030.5") == mc.at("p_reached_by").at("3.5"));
    // samples.csv: each target's date right after its time, start_year + time.
    std::istringstream samples(slurp(dir / "samples.csv"));
    std::getline(samples, line);
    CHECK(line ==
          "scenario,sample,efficiency.gamma,R=0.7 time,R=0.7 date,R=0.7 reached,R=0.8 time,R=0.8 date,R=0.8 reached");
    int sampled = 0;
    while (std::getline(samples, line)) {
        std::vector<std::string> f;
        std::istringstream fields(line);
        for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
        REQUIRE(f.size() == 9);
        for (const std::size_t k : {3u, 6u})
            if (!f[k].empty()) CHECK(std::stod(f[k + 1]) == 2027 + std::stod(f[k]));
        ++sampled;
    }
    CHECK(sampled == 50);
    fs::remove_all(dir);
    // The same samples with the dates as times and no start_year: the same probabilities.
    const RunResult a = session.run(ex), b = session.run(session.load_text(times_only));
    REQUIRE(a.monte_carlo.size() == 1);
    CHECK(a.monte_carlo[0].stats.at(0).reached_by == b.monte_carlo[0].stats.at(0).reached_by);
    // A date before start_year is refused with a note that dates are calendar years.
    Diagnostics d;
    CHECK_FALSE(test::load(config(eff, pow, "start_year: 2027\n") +
                               "    sample: {n: 5, parameters: {efficiency.gamma: {dist: uniform, low: 0.5, high: "
                               "1.5}}, dates: [3]}\n",
                           d));
    CHECK_THAT(test::messages(d), Catch::Contains("sample date 3 lies outside [2027, 2057]"));
    CHECK_THAT(test::messages(d), Catch::Contains("with start_year set, sample dates are calendar years"));
}

TEST_CASE("a scenario's start_year replaces the top-level one and is inherited through extends", "[dates]") {
    const Session session(built_plugins());
    const std::string yaml =
        "racesim: 1\nhorizon: 10\nstart_year: 2027\n"
        "defaults:\n"
        "  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 1}\n"
        "  power: {type: mean-field, P0: 1}\n"
        "  loss: {type: power-law, kappa: 0.048, L0: 1.0}\n"
        "scenarios:\n"
        "  - name: a\n"
        "  - name: b\n"
        "    start_year: 2025.5\n"
        "  - name: c\n"
        "    extends: b\n";
    const Experiment ex = session.load_text(yaml);
    CHECK(ex.scenarios.at(0).start_year == 2027.0);
    CHECK(ex.scenarios.at(1).start_year == 2025.5);
    CHECK(ex.scenarios.at(2).start_year == 2025.5);
    CHECK(date_of(ex.scenarios.at(1).start_year, 1.25) == 2026.75);
    CHECK_FALSE(date_of(std::nullopt, 1.0));
}
