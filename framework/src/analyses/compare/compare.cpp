// `compare:`, pairs of scenarios set side by side. A top-level analysis module: its keys, its
// block's reading, its checks of the names against the experiment's scenarios, the trajectories
// it asks the run to keep, and the comparisons it makes once every scenario (and every Monte
// Carlo run) is done.
#include "racesim/analyses/compare.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "racesim/analysis/compare.hpp"
#include "racesim/config/block_reader.hpp"
#include "racesim/config/sample.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/run/runner.hpp"
#include "racesim/run/sink.hpp"

namespace racesim {

const KeyBlock& compare_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("comparison", "Two scenarios set side by side: an item of 'compare'.");
        k.add_string("a").required().doc("A scenario name (the expanded name for a swept scenario).");
        k.add_string("b").required().doc("Another scenario name.");
        return k;
    }();
    return b;
}

namespace {

/// The declared scenario of that name, or null.
const ScenarioSpec* declared(const Experiment& ex, const std::string& name) {
    for (const auto& sc : ex.scenarios)
        if (sc.name == name) return &sc;
    return nullptr;
}

/// The samples' kept times of declared scenario `sc` in a run's Monte Carlo results.
const std::vector<std::vector<double>>& kept_times(const std::vector<MonteCarloResult>& mcs, const ScenarioSpec& sc) {
    for (const auto& mc : mcs)
        if (mc.spec == &sc) return mc.times;
    throw std::logic_error("racesim: no Monte Carlo result for scenario '" + sc.name + "'");
}

/// The paired comparison of `c` from the samples' kept times, or why two sampled scenarios are
/// not paired.
void pair_samples(const Experiment& ex, const CompareSpec& c, const std::vector<MonteCarloResult>& mcs,
                  Comparison& out) {
    const ScenarioSpec *a = declared(ex, c.a), *b = declared(ex, c.b);
    const SampleSpec* sa = a ? find_analysis<SampleSpec>(*a) : nullptr;
    const SampleSpec* sb = b ? find_analysis<SampleSpec>(*b) : nullptr;
    if (!sa || !sb) return;
    if (!samples_paired(ex, c)) {
        out.unpaired = "sampled with different seeds or sample counts (seed " + std::to_string(sa->seed) + ", n " +
                       std::to_string(sa->n) + " against seed " + std::to_string(sb->seed) + ", n " +
                       std::to_string(sb->n) +
                       "): give both the same sample.seed and sample.n for paired per-sample differences";
        return;
    }
    auto labels = [](const ScenarioSpec& sc) {
        std::vector<std::string> l;
        for (const auto& t : sc.targets) l.push_back(target_label(t));
        return l;
    };
    out.paired = paired_comparison(labels(*a), kept_times(mcs, *a), labels(*b), kept_times(mcs, *b));
    out.paired->seed = sa->seed;
}

/// The series of the compared scenarios, by name, as the run hands them over.
using Compared = std::map<std::string, Series>;

class Compare final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return compare_keys(); }
    [[nodiscard]] AnalysisScope scope() const override { return AnalysisScope::experiment; }
    [[nodiscard]] KeyShape shape() const override { return KeyShape::block_list; }
    [[nodiscard]] std::string key_doc() const override { return "Pairs of scenarios compared side by side."; }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {}; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec&) const override {
        r.error(n, "'compare' is a top-level block, not a scenario's");
        return nullptr;
    }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read_experiment(const BlockReader& r,
                                                                      const YAML::Node& c) const override {
        if (!r.expect(c, YAML::NodeType::Sequence, "a list of pairs for 'compare' ([{a: <scenario>, b: <scenario>}])"))
            return nullptr;
        auto s = std::make_shared<CompareBlock>();
        s->kind = this;
        s->mark = r.mark(c);
        for (const auto& p : c) {
            if (!r.expect(p, YAML::NodeType::Map, "a pair {a: <scenario>, b: <scenario>} in 'compare'")) continue;
            r.check_keys(p, compare_keys(), "a comparison");
            if (!p["a"] || !p["b"] || !p["a"].IsScalar() || !p["b"].IsScalar()) {
                r.error(p, "a comparison needs two scenario names: {a: <scenario>, b: <scenario>}");
                continue;
            }
            s->pairs.push_back(
                CompareSpec{p["a"].Scalar(), p["b"].Scalar(), r.mark(p), r.mark(p["a"]), r.mark(p["b"])});
        }
        return s;
    }

    void check_experiment(const AnalysisSpec& spec, const Experiment& ex, Diagnostics& d) const override {
        const auto& block = dynamic_cast<const CompareBlock&>(spec);
        std::vector<std::string> names;  // for suggestions: declared names and the scenarios of small sweeps
        for (const auto& sc : ex.scenarios) {
            if (!sc.sweep_plan) {
                names.push_back(sc.name);
                continue;
            }
            for (std::size_t k = 0; k < std::min<std::size_t>(sc.sweep_plan->size(), 1000); ++k)
                names.push_back(sc.sweep_plan->name(sc.name, k));
        }
        for (const auto& c : block.pairs) {
            for (int k = 0; k < 2; ++k) {
                const std::string& n = k ? c.b : c.a;
                const Mark& at = k ? c.b_mark : c.a_mark;
                const ScenarioSpec* sc = declared(ex, n);
                if (sc && !sc->sweep_plan) continue;
                if (sc) {
                    auto& e = d.error(at, "compare: '" + n + "' is a sweep, not one scenario");
                    note(e, "name one of its scenarios, e.g. '" + sc->sweep_plan->name(n, 0) + "'");
                    continue;
                }
                if (sweep_containing(ex, n)) continue;
                auto& e = d.error(at, "compare: no scenario named '" + n + "'");
                if (auto s = suggest(n, names); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, "swept scenarios are named like 'base[gamma=0.5]'");
            }
            if (c.a == c.b) d.error(c.mark, "compare: a scenario compared with itself ('" + c.a + "')");
        }
    }

    void after_scenario(const AnalysisContext&, const AnalysisSpec&, const ScenarioResult&, const std::any&,
                        TableSet&) const override {}

    [[nodiscard]] bool keeps_trajectory(const AnalysisSpec& spec, const std::string& scenario) const override {
        const auto& block = dynamic_cast<const CompareBlock&>(spec);
        return std::any_of(block.pairs.begin(), block.pairs.end(),
                           [&](const CompareSpec& c) { return c.a == scenario || c.b == scenario; });
    }

    [[nodiscard]] bool needs_scenarios_of(const AnalysisSpec& spec, const ScenarioSpec& declared) const override {
        const auto& block = dynamic_cast<const CompareBlock&>(spec);
        const std::string prefix = declared.name + "[";
        return std::any_of(block.pairs.begin(), block.pairs.end(), [&](const CompareSpec& c) {
            return c.a.rfind(prefix, 0) == 0 || c.b.rfind(prefix, 0) == 0;
        });
    }

    void scenario_done(const AnalysisSpec& spec, const ScenarioResult& res, std::any& state) const override {
        if (!state.has_value()) {
            Compared compared;
            for (const auto& c : dynamic_cast<const CompareBlock&>(spec).pairs) compared[c.a], compared[c.b];
            state = std::move(compared);
        }
        auto& compared = std::any_cast<Compared&>(state);
        if (auto it = compared.find(res.spec->name); it != compared.end()) it->second = series_of(res);
    }

    void after_experiment(const AfterRunContext& ctx, const AnalysisSpec& spec, std::any& state) const override {
        const auto& block = dynamic_cast<const CompareBlock&>(spec);
        const Compared none;
        const Compared& compared = state.has_value() ? std::any_cast<const Compared&>(state) : none;
        for (const auto& c : block.pairs) {
            try {
                ctx.summary.comparisons.push_back(compare(compared.at(c.a), compared.at(c.b)));
                pair_samples(ctx.experiment, c, ctx.summary.monte_carlo, ctx.summary.comparisons.back());
            } catch (const std::invalid_argument& e) {
                throw RunError(std::string("compare: ") + e.what());
            }
            ctx.sink.comparison(ctx.summary.comparisons.back());
        }
    }

private:
    std::string key_ = "compare";
};

}  // namespace

bool samples_paired(const Experiment& ex, const CompareSpec& c) {
    const ScenarioSpec *a = declared(ex, c.a), *b = declared(ex, c.b);
    const SampleSpec* sa = a ? find_analysis<SampleSpec>(*a) : nullptr;
    const SampleSpec* sb = b ? find_analysis<SampleSpec>(*b) : nullptr;
    return sa && sb && sa->seed == sb->seed && sa->n == sb->n;
}

bool samples_compared(const Experiment& ex, const ScenarioSpec& sc) {
    const auto* block = find_analysis<CompareBlock>(ex);
    if (!block) return false;
    return std::any_of(block->pairs.begin(), block->pairs.end(), [&](const CompareSpec& c) {
        return (c.a == sc.name || c.b == sc.name) && samples_paired(ex, c);
    });
}

const Analysis& compare_analysis() {
    static const Compare module;
    return module;
}

}  // namespace racesim
