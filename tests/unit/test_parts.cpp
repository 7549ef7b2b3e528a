// A run split into parts (racesim/run/journal.hpp, docs/cluster.md): the blocks of units, the
// journal's encoding, `--shard` and its Slurm form, and the replay of every split of a run,
// which must give a sink what the run in one process gives it, bit for bit.
#include <fmt/format.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "racesim/racesim.hpp"

using namespace racesim;

namespace {

SessionOptions built_plugins() {
    SessionOptions o;
    o.plugin_paths = {RACESIM_PLUGIN_DIR};
    o.environment = false;
    return o;
}

/// Bitwise equality of doubles (NaN equal to itself, -0 not equal to +0).
bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_bits(a[i], b[i])) return false;
    return true;
}

bool same_bits(const std::optional<double>& a, const std::optional<double>& b) {
    return a.has_value() == b.has_value() && (!a || same_bits(*a, *b));
}

/// Everything a sink is handed, as text with every double's bits: two runs that print the same
/// handed the same.
class Recorder final : public RunSink {
public:
    std::vector<std::string> calls;
    void begin(const RunInfo& info) override {
        calls.push_back("begin " + std::to_string(info.scenarios) + " " + std::to_string(info.work_units) +
                        (info.trajectories ? " keep" : " drop"));
    }
    void scenario(const ScenarioResult& r) override {
        std::string s = "scenario " + std::to_string(r.index) + " " + r.spec->name + bits(r.C0) + bits(r.L_C0);
        for (const auto* c : {&r.trajectory.t, &r.trajectory.C, &r.trajectory.E, &r.trajectory.P, &r.trajectory.L,
                              &r.trajectory.R, &r.trajectory.R_ref, &r.trajectory.rel_err})
            for (double x : *c) s += bits(x);
        for (const auto& t : r.targets)
            s += bits(t.loss) + bits(t.relative) + opt(t.time) + opt(t.reference_time) + opt(t.time_rel_err) +
                 opt(t.condition) + (t.reached ? "R" : "r") + (t.unreachable ? "U" : "u");
        s += opt(r.max_rel_err) + opt(r.max_rel_err_time) + " steps " + std::to_string(r.stats.steps) + " rhs " +
             std::to_string(r.stats.rhs_evaluations);
        std::vector<Cell> cells;
        for (const auto& t : r.tables)
            for (std::size_t i = 0; i < t->size(); ++i) {
                t->cells(i, cells);
                s += " | " + std::string(t->table().name);
                for (const Cell& c : cells) s += cell(c);
            }
        calls.push_back(std::move(s));
    }
    void sample(const ScenarioSpec& sc, std::size_t i, const std::vector<double>& x,
                const std::vector<double>& t) override {
        std::string s = "sample " + sc.name + " " + std::to_string(i);
        for (double v : x) s += bits(v);
        for (double v : t) s += bits(v);
        calls.push_back(std::move(s));
    }
    void sweep_rows(const SweepRows& rows) override {
        std::string s = "rows " + std::to_string(rows.first) + " " + std::to_string(rows.n);
        for (const auto* list : {&rows.values, &rows.times})
            for (const auto& v : *list)
                for (double x : v) s += bits(x);
        calls.push_back(std::move(s));
    }
    void monte_carlo(const MonteCarloResult& mc) override {
        std::string s = "monte_carlo " + mc.spec->name;
        for (const auto& st : mc.stats) {
            s += " " + st.target + " " + std::to_string(st.reached) + opt(st.mean_if_reached);
            for (const auto& [p, q] : st.quantiles) s += bits(p) + opt(q);
            for (const auto& [d, pr] : st.reached_by) s += bits(d) + bits(pr);
        }
        std::vector<Cell> cells;
        for (const auto& t : mc.tables)
            for (std::size_t i = 0; i < t->size(); ++i) {
                t->cells(i, cells);
                s += " | " + std::string(t->table().name);
                for (const Cell& c : cells) s += cell(c);
            }
        calls.push_back(std::move(s));
    }
    void comparison(const Comparison& c) override {
        std::string s = "comparison " + c.a + " " + c.b;
        for (const auto& row : c.rows) s += bits(row.t) + bits(row.C_ratio) + bits(row.R_gap);
        calls.push_back(std::move(s));
    }
    void end(const RunSummary& s) override {
        calls.push_back("end " + std::to_string(s.scenarios) + " " + std::to_string(s.comparisons.size()) + " " +
                        std::to_string(s.monte_carlo.size()));
    }

private:
    static std::string bits(double x) { return fmt::format(" {:016x}", std::bit_cast<std::uint64_t>(x)); }
    static std::string opt(const std::optional<double>& x) { return x ? bits(*x) : " -"; }
    static std::string cell(const Cell& c) {
        if (const auto* d = std::get_if<double>(&c)) return bits(*d);
        if (const auto* i = std::get_if<std::int64_t>(&c)) return fmt::format(" i{}", *i);
        if (const auto* t = std::get_if<std::string>(&c)) return fmt::format(" '{}'", *t);
        return " _";
    }
};

/// A run of every kind of unit: a swept scenario run one by one (ODE), a goal seek, a
/// sensitivity, a Monte Carlo run with bands and a condition, a comparison.
const char* const mixed_yaml = R"(racesim: 1
name: parts
horizon: 20
output: {every: 2}
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  baseline: {tau: 0}
  targets: {relative: [0.95, 0.9]}
  reference: relative-loss
scenarios:
  - name: grid
    sweep:
      efficiency.gamma: [0.3, 0.6, 0.9]
      power.P0: [50, 100]
  - name: seek
    solve: {parameter: efficiency.gamma, at: 10, bracket: [0.05, 5], target: {relative: 0.9}}
    sensitivity: {parameters: [efficiency.gamma, power.P0]}
  - name: mc
    sample:
      n: 40
      seed: 11
      bands: [10, 50, 90]
      parameters:
        efficiency.gamma: {dist: uniform, low: 0.3, high: 1.5}
      conditions:
        - {target: R=0.95, by: 8}
compare:
  - {a: seek, b: mc}
)";

}  // namespace

TEST_CASE("shard_range cuts the units into contiguous blocks that differ by at most one unit", "[parts]") {
    for (std::size_t total : {0u, 1u, 5u, 7u, 100u, 1001u})
        for (std::size_t n : {1u, 2u, 3u, 7u, 16u}) {
            std::size_t next = 0, least = total, most = 0;
            for (std::size_t k = 1; k <= n; ++k) {
                const UnitRange r = shard_range(total, k, n);
                CHECK(r.first == next);
                next = r.last;
                least = std::min(least, r.size());
                most = std::max(most, r.size());
            }
            CHECK(next == total);
            CHECK(most - least <= 1);
        }
    CHECK(shard_range(10, 1, 3) == UnitRange{0, 4});
    CHECK(shard_range(10, 3, 3) == UnitRange{7, 10});
    CHECK_THROWS_AS(shard_range(10, 0, 3), std::invalid_argument);
    CHECK_THROWS_AS(shard_range(10, 4, 3), std::invalid_argument);
}

TEST_CASE("The shard option reads K/N and a Slurm array's environment, and says what is wrong", "[parts]") {
    const ShardSpec s = parse_shard("2/8");
    CHECK(s.k == 2);
    CHECK(s.n == 8);
    std::map<std::string, std::string> env{
        {"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_MIN", "5"}, {"SLURM_ARRAY_TASK_COUNT", "4"}};
    auto get = [&](const char* name) -> const char* {
        const auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    const ShardSpec a = parse_shard("slurm", get);
    CHECK(a.k == 3);  // tasks 5, 6, 7, 8: the third
    CHECK(a.n == 4);
    env["SLURM_ARRAY_TASK_ID"] = "9";
    CHECK_THROWS_WITH(parse_shard("slurm", get), Catch::Contains("is not one of the 4 tasks from 5"));
    env.erase("SLURM_ARRAY_TASK_MIN");
    CHECK_THROWS_WITH(parse_shard("slurm", get), Catch::Contains("SLURM_ARRAY_TASK_MIN is not set"));
    for (const char* bad : {"0/3", "4/3", "3/0", "a/b", "3", "1/3/5", "-1/3", ""})
        CHECK_THROWS_AS(parse_shard(bad), std::invalid_argument);
    CHECK_THROWS_WITH(parse_shard("4/3"), Catch::Contains("expected 1 <= K <= N"));
}

TEST_CASE("A journal reads back every value exactly, across parts, and refuses a damaged one", "[parts]") {
    const std::vector<double> awkward{0.1,
                                      -0.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::max(),
                                      std::nan("0x5")};  // a NaN with a payload keeps its bits
    std::vector<std::string> parts(3);
    {
        JournalWriter w;
        w.record(journal_tag::scenario, 0);
        w.f64s(awkward);
        w.str(std::string("a\0b", 3));
        w.opt(std::optional<double>{});
        w.opt(std::optional<double>{2.5});
        parts[0] = w.take();
    }  // parts[1] empty: a shard with no units
    {
        JournalWriter w;
        w.record(journal_tag::after_run, 1);
        w.i64(-3);
        w.flag(true);
        parts[2] = w.take();
    }
    JournalReader r = JournalReader::memory(&parts);
    CHECK(r.peek() == journal_tag::scenario);
    r.expect(journal_tag::scenario, 0);
    CHECK(same_bits(r.f64s(), awkward));
    CHECK(r.str() == std::string("a\0b", 3));
    std::optional<double> o = 1.0;
    r.opt(o);
    CHECK_FALSE(o);
    r.opt(o);
    CHECK(same_bits(o, std::optional<double>{2.5}));
    r.expect(journal_tag::after_run, 1);  // across the empty part
    CHECK(r.i64() == -3);
    CHECK(r.flag());
    CHECK(r.peek() == 0);

    // Truncated inside a record.
    std::vector<std::string> cut{parts[0].substr(0, parts[0].size() - 3)};
    JournalReader t = JournalReader::memory(&cut);
    t.expect(journal_tag::scenario, 0);
    (void)t.f64s();
    (void)t.str();
    std::optional<double> x;
    t.opt(x);
    CHECK_THROWS_WITH(t.opt(x), Catch::Contains("part 1") && Catch::Contains("ends inside a record"));
    // A unit out of its place, and a count larger than the journal.
    JournalReader u = JournalReader::memory(&parts);
    CHECK_THROWS_WITH(u.expect(journal_tag::scenario, 4), Catch::Contains("unit 0 where unit 4 was expected"));
    std::vector<std::string> huge(1);
    {
        JournalWriter w;
        w.u64(std::uint64_t{1} << 60);
        huge[0] = w.take();
    }
    JournalReader h = JournalReader::memory(&huge);
    CHECK_THROWS_WITH(h.f64s(), Catch::Contains("does not fit"));
}

TEST_CASE("Every split of a run, replayed, hands the sink what the run in one process does", "[parts]") {
    const Session session(built_plugins());
    const Experiment ex = session.load_text(mixed_yaml);
    const std::size_t units = Session::work_units(ex);
    // 6 swept + 1 + 1 scenarios, 40 samples and their 40 trajectories (bands).
    REQUIRE(units == 8 + 80);
    for (const auto keep : {Trajectories::keep, Trajectories::drop}) {
        RunOptions ro;
        ro.jobs = 2;
        ro.trajectories = keep;
        Recorder one;
        (void)session.run(ex, ro, one);
        REQUIRE(one.calls.size() == 1 + 8 + 40 + 1 + 1 + 1);
        for (const std::size_t n : {1u, 2u, 3u, 7u, 50u, 100u}) {  // 100 > units: empty parts
            std::vector<std::string> parts;
            for (std::size_t k = 1; k <= n; ++k) parts.push_back(session.run_units(ex, ro, shard_range(units, k, n)));
            Recorder merged;
            (void)session.replay(ex, ro, parts, merged);
            INFO("parts: " << n);
            CHECK(merged.calls == one.calls);
            // A part left out, or given twice, is refused: not replayed into a wrong result.
            if (n >= 3) {
                auto missing = parts;
                missing.erase(missing.begin() + 1);
                Recorder r;
                CHECK_THROWS_AS(session.replay(ex, ro, missing, r), JournalError);
                auto twice = parts;
                twice.insert(twice.begin() + 1, parts[1]);
                CHECK_THROWS_AS(session.replay(ex, ro, twice, r), JournalError);
            }
        }
    }
}
