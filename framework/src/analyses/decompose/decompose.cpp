// `decompose:`, Shapley attribution: the change in each target's time (and in L at dates)
// from scenario A (`from:`) to this scenario B, split among factors (blocks). Each of the 2^k
// mixtures is scenario A with the blocks of the factors in a coalition taken from B; a
// factor's share is its exact Shapley value over them.
#include "racesim/analyses/decompose.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "racesim/analyses/solve.hpp"
#include "racesim/config/block_reader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

const KeyBlock& decompose_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("decompose",
                   "Shapley attribution of the change in each target's time (and in L at dates) from another "
                   "scenario to this one, among the blocks they differ in.");
        k.add_string("from").required().doc(
            "Scenario A, the start of the change: a declared scenario without sweep or solve, with this "
            "scenario's horizon and targets.");
        k.add_string("to")
            .computed_default("this scenario")
            .doc(
                "Scenario B, the end of the change: always the scenario that holds the block (it may be named here "
                "for readability).");
        k.add_list("factors", plugin::ParamType::string)
            .choices(decompose_factor_names())
            .computed_default("every block in which the two scenarios differ")
            .doc(
                "The blocks among which the change is split; together they must cover every block in which the "
                "two scenarios differ.");
        k.add_list("dates", plugin::ParamType::real)
            .unit("yr")
            .computed_default("none")
            .doc("Times in [0, horizon] at which the change in the loss L(t) is split too.");
        return k;
    }();
    return b;
}

std::vector<double> shapley_values(const std::vector<double>& v, std::size_t k) {
    // w[s] = s! (k - s - 1)! / k!, built as a product of ratios (no factorial overflows).
    std::vector<double> w(k, 0.0), phi(k, 0.0);
    for (std::size_t s = 0; s < k; ++s) {
        double x = 1.0 / static_cast<double>(k);  // s = 0: (k-1)!/k!
        for (std::size_t j = 1; j <= s; ++j) x *= static_cast<double>(j) / static_cast<double>(k - j);
        w[s] = x;
    }
    const std::size_t all = std::size_t{1} << k;
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t S = 0; S < all; ++S) {
            if (S & (std::size_t{1} << i)) continue;
            const auto s = static_cast<std::size_t>(std::popcount(S));
            phi[i] += w[s] * (v[S | (std::size_t{1} << i)] - v[S]);
        }
    return phi;
}

namespace {

// clang-format off
const TableDef table_def{"decompose", {
    {"scenario", "", "scenario B, the end of the change (the scenario with the block)", CellKind::text},
    {"from", "", "scenario A, the start of the change", CellKind::text},
    {"quantity", "", "the output: a target's label (its time), or L(t=<date>)", CellKind::text},
    {"factor", "", "the block whose share this is", CellKind::text},
    {"value_from", "yr or nats/token", "the quantity at A (every factor from A)"},
    {"value_to", "yr or nats/token", "the quantity at B (every factor from B)"},
    {"total", "yr or nats/token", "value_to - value_from"},
    {"contribution", "yr or nats/token", "the factor's Shapley value; the contributions add up to total"},
    {"share", "1", "contribution / total"},
    {"mixtures", "", "scenarios evaluated, 2^factors", CellKind::integer},
    {"note", "", "why a value is missing", CellKind::text},
}, true};
// clang-format on

void render(const DecomposeRow& s, std::vector<Cell>& out) {
    out.emplace_back(s.scenario);
    out.emplace_back(s.from);
    out.emplace_back(s.quantity);
    out.emplace_back(s.factor);
    out.push_back(number_cell(s.value_from));
    out.push_back(number_cell(s.value_to));
    out.push_back(number_cell(s.total));
    out.push_back(number_cell(s.contribution));
    out.push_back(number_cell(s.share));
    out.emplace_back(s.mixtures);
    out.emplace_back(s.note);
}

using Rows = TypedRows<DecomposeRow>;

bool same_params(const plugin::Params& a, const plugin::Params& b) {
    if (a.entries().size() != b.entries().size()) return false;
    for (const auto& entry : a.entries()) {  // not a structured binding: clang 14 cannot capture one
        const auto& e = b.entries();
        const auto it = std::find_if(e.begin(), e.end(), [&](const auto& p) { return p.first == entry.first; });
        if (it == e.end() || !(it->second == entry.second)) return false;
    }
    return true;
}

bool same_block(const BlockSpec& a, const BlockSpec& b) {
    return a.selection.type == b.selection.type && same_params(a.selection.params, b.selection.params);
}

/// Whether A and B differ in factor `f`.
bool differ(const ScenarioSpec& a, const ScenarioSpec& b, const std::string& f) {
    if (f == "efficiency") return !same_block(a.efficiency, b.efficiency);
    if (f == "power") return !same_block(a.power, b.power);
    if (f == "loss") return !same_block(a.loss, b.loss);
    if (f == "algorithms")  // optional: present in one only, or different in both
        return a.algorithms.has_value() != b.algorithms.has_value() ||
               (a.algorithms && !same_block(*a.algorithms, *b.algorithms));
    return a.tau != b.tau || a.C0 != b.C0;  // baseline
}

/// Where factor `f` is written in scenario `s`, for notes.
Mark factor_mark(const ScenarioSpec& s, const std::string& f) {
    if (f == "efficiency") return s.efficiency.mark;
    if (f == "power") return s.power.mark;
    if (f == "loss") return s.loss.mark;
    if (f == "algorithms" && s.algorithms) return s.algorithms->mark;
    return s.mark;
}

/// "A with {efficiency, power} from B".
std::string mixture_name(const ScenarioSpec& a, const ScenarioSpec& b, const std::vector<std::string>& factors,
                         std::size_t S) {
    std::vector<std::string> from_b;
    for (std::size_t i = 0; i < factors.size(); ++i)
        if (S & (std::size_t{1} << i)) from_b.push_back(factors[i]);
    if (from_b.empty()) return "'" + a.name + "' as it is";
    return "'" + a.name + "' with " + join(from_b) + " from '" + b.name + "'";
}

/// What before_scenario found: scenario A and the factors.
struct Plan {
    const ScenarioSpec* from = nullptr;
    std::vector<std::string> factors;
};

class Decompose final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return decompose_keys(); }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {&table_def}; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec& base) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'decompose' ({from: <scenario>, factors: [...]})"))
            return nullptr;
        r.check_keys(n, decompose_keys(), "'decompose'");
        auto s = std::make_shared<DecomposeSpec>();
        s->kind = this;
        s->mark = r.mark(n);
        bool ok = true;
        const YAML::Node from = n["from"];
        if (!from) {
            r.error(n, "decompose needs 'from: <scenario>', the scenario the change starts from");
            return nullptr;
        }
        if (!from.IsScalar() || from.Scalar().empty()) {
            r.error(from, "expected a scenario name for decompose.from, got " + describe_node(from));
            return nullptr;
        }
        s->from = from.Scalar();
        s->from_mark = r.mark(from);
        if (s->from == base.name || s->from == base.origin) {
            r.error(from, "decompose: '" + s->from +
                              "' is this scenario; 'from' names the scenario the change "
                              "starts from, and the change ends at this one");
            ok = false;
        }
        if (const YAML::Node to = n["to"]) {
            if (!to.IsScalar() || (to.Scalar() != base.name && to.Scalar() != base.origin)) {
                auto& e = r.error(to, "decompose.to is " + describe_node(to) +
                                          ", but the change ends at the "
                                          "scenario that holds the block, '" +
                                          base.origin + "'");
                note(e, "put the decompose block in the scenario the change ends at, or leave 'to' out");
                ok = false;
            }
        }
        if (const YAML::Node fs = n["factors"]) {
            if (!r.expect(fs, YAML::NodeType::Sequence, "a list of factors for decompose.factors")) return nullptr;
            s->factors_mark = r.mark(fs);
            const auto& names = decompose_factor_names();
            for (const auto& f : fs) {
                if (!f.IsScalar()) {
                    r.error(f, "expected a factor (" + either(names) + "), got " + describe_node(f));
                    ok = false;
                    continue;
                }
                const std::string& name = f.Scalar();
                if (std::find(names.begin(), names.end(), name) == names.end()) {
                    auto& e = r.error(f, "decompose: unknown factor '" + name + "'");
                    if (auto sg = suggest(name, names); !sg.empty()) note(e, "did you mean '" + sg + "'?");
                    note(e, "the factors are the blocks " + either(names));
                    ok = false;
                } else if (std::find(s->factors.begin(), s->factors.end(), name) != s->factors.end()) {
                    r.error(f, "decompose: factor '" + name + "' is listed twice");
                    ok = false;
                } else {
                    s->factors.push_back(name);
                }
            }
            if (ok && s->factors.empty()) {
                r.error(fs, "decompose.factors is empty: list the blocks to split the change among, or leave it out");
                ok = false;
            }
        }
        if (const YAML::Node ds = n["dates"]) {
            if (auto ts = r.times(ds, "decompose.dates", base.horizon))
                s->dates = std::move(*ts);
            else
                ok = false;
        }
        if (!ok) return nullptr;
        return s;
    }

    /// The checks that need scenario A: at validation, as configuration errors at the block.
    void check(const AnalysisSpec& spec, const ScenarioSpec& sc, const Experiment& ex, Diagnostics& d) const override {
        try {
            (void)plan_of(dynamic_cast<const DecomposeSpec&>(spec), sc, ex);
        } catch (const ConfigError& e) {
            d.add(e.diagnostics.errors());
        }
    }

    [[nodiscard]] std::optional<ScenarioInstance> before_scenario(const AnalysisContext& ctx, const AnalysisSpec& spec,
                                                                  const ScenarioInstance& inst,
                                                                  std::any& state) const override {
        state = plan_of(dynamic_cast<const DecomposeSpec&>(spec), *inst.spec, ctx.experiment);
        return std::nullopt;
    }

    /// Scenario A and the factors of the change to scenario b; throws ConfigError, at the block,
    /// when the change cannot be decomposed.
    static Plan plan_of(const DecomposeSpec& s, const ScenarioSpec& b, const Experiment& ex) {
        const auto& scs = ex.scenarios;
        const auto it = std::find_if(scs.begin(), scs.end(), [&](const ScenarioSpec& x) { return x.name == s.from; });
        if (it == scs.end()) {
            std::vector<std::string> names;
            for (const auto& x : scs) names.push_back(x.name);
            std::vector<Note> notes;
            if (auto sg = suggest(s.from, names); !sg.empty()) notes.push_back({"did you mean '" + sg + "'?", {}});
            notes.push_back({"the declared scenarios: " + join(names), {}});
            refuse(s.from_mark, "decompose: no scenario named '" + s.from + "'", notes);
        }
        const ScenarioSpec& a = *it;
        if (a.sweep_plan)
            refuse(s.from_mark, "decompose: '" + a.name + "' is a sweep, not one scenario",
                   {{"decompose from a declared scenario of its own (a sweep's scenarios are made as they run)",
                     a.sweep_plan->mark}});
        if (const SolveSpec* solve = find_analysis<SolveSpec>(a))
            refuse(s.from_mark,
                   "decompose: '" + a.name + "' has a goal seek, whose value is only known when it has run",
                   {{"decompose from a scenario with the value written in", solve->mark}});
        if (a.horizon != b.horizon)
            refuse(s.from_mark,
                   fmt::format("decompose: '{}' has horizon {} yr and '{}' {} yr; the change is taken "
                               "between scenarios with the same horizon",
                               a.name, plugin::math::format(a.horizon), b.origin, plugin::math::format(b.horizon)));
        bool same_targets = a.targets.size() == b.targets.size();
        for (std::size_t k = 0; same_targets && k < a.targets.size(); ++k)
            same_targets = a.targets[k].kind == b.targets[k].kind && a.targets[k].value == b.targets[k].value;
        if (!same_targets) {
            std::vector<std::string> ta, tb;
            for (const auto& t : a.targets) ta.push_back(target_label(t));
            for (const auto& t : b.targets) tb.push_back(target_label(t));
            refuse(s.from_mark, "decompose: '" + a.name + "' has targets " + join(ta) + " and '" + b.origin + "' has " +
                                    join(tb) +
                                    "; the change is taken between scenarios with the same "
                                    "targets");
        }
        Plan plan{&a, s.factors};
        if (plan.factors.empty()) {
            for (const auto& f : decompose_factor_names())
                if (differ(a, b, f)) plan.factors.push_back(f);
            if (plan.factors.empty())
                refuse(s.mark, "decompose: '" + a.name + "' and '" + b.name +
                                   "' do not differ in any factor: there is no change to split");
        } else {
            for (const auto& f : decompose_factor_names())
                if (differ(a, b, f) && std::find(plan.factors.begin(), plan.factors.end(), f) == plan.factors.end())
                    refuse(s.factors_mark,
                           "decompose: '" + a.name + "' and '" + b.name + "' differ in " + f +
                               ", which is not a factor: the factors would not account for the whole change",
                           {{"add '" + f + "' to decompose.factors", {}}, {"it is set here", factor_mark(b, f)}});
        }
        return plan;
    }

    void after_scenario(const AnalysisContext& ctx, const AnalysisSpec& analysis_spec, const ScenarioResult& base,
                        const std::any& state, TableSet& tables) const override {
        const auto& spec = dynamic_cast<const DecomposeSpec&>(analysis_spec);
        const auto& plan = std::any_cast<const Plan&>(state);
        const ScenarioSpec& a = *plan.from;
        const ScenarioSpec& b = *base.spec;
        const Experiment& ex = ctx.experiment;
        const std::vector<std::string>& factors = plan.factors;
        const std::size_t k = factors.size(), all = std::size_t{1} << k, nt = b.targets.size(),
                          nq = nt + spec.dates.size();
        // v[q][S]: quantity q of the mixture S (nullopt: the target is not reached by the horizon).
        std::vector<std::vector<std::optional<double>>> v(nq, std::vector<std::optional<double>>(all));
        for (std::size_t S = 0; S < all; ++S) {
            check_interrupt();
            auto m = std::make_shared<ScenarioSpec>(a);
            m->name = b.name;
            m->sweep.clear();
            m->sweep_plan.reset();
            m->analyses.clear();
            for (std::size_t i = 0; i < k; ++i) {
                if (!(S & (std::size_t{1} << i))) continue;
                const std::string& f = factors[i];
                if (f == "efficiency") m->efficiency = b.efficiency;
                if (f == "power") m->power = b.power;
                if (f == "loss") m->loss = b.loss;
                if (f == "algorithms") m->algorithms = b.algorithms;
                if (f == "baseline") {
                    m->tau = b.tau;
                    m->C0 = b.C0;
                }
            }
            // The reference only checks a trajectory, which a mixture does not keep; with the
            // closed-form solver it gives the times, and B's then serves every mixture.
            m->reference = ex.solver.closed_form ? b.reference : std::nullopt;
            Model model;
            try {
                model = ctx.models.build(*m);
            } catch (const ConfigError& e) {
                Diagnostics d;
                for (const auto& diag : e.diagnostics.errors()) {
                    Diagnostic copy = diag;
                    copy.notes.push_back(
                        {"in the mixture " + mixture_name(a, b, factors, S) + " of decompose", spec.mark});
                    d.add(copy);
                }
                throw ConfigError(std::move(d));
            }
            const ScenarioSpec* p = m.get();
            const ScenarioInstance inst{p, std::move(m), 0, std::move(model)};
            const auto times = target_times(ex, inst);
            for (std::size_t q = 0; q < nt; ++q) v[q][S] = times[q];
            for (std::size_t q = 0; q < spec.dates.size(); ++q)
                v[nt + q][S] = inst.model.loss->loss(inst.model.log_C0 + log_ratio_at(ex, inst, spec.dates[q]));
        }

        auto out = std::make_unique<Rows>(table_def, render);
        for (std::size_t q = 0; q < nq; ++q) {
            const std::string label =
                q < nt ? target_label(b.targets[q]) : "L(t=" + plugin::math::format(spec.dates[q - nt]) + ")";
            std::vector<std::string> unreached;
            std::vector<double> vals(all);
            for (std::size_t S = 0; S < all; ++S) {
                if (!v[q][S])
                    unreached.push_back(mixture_name(a, b, factors, S));
                else
                    vals[S] = *v[q][S];
            }
            std::vector<double> phi;
            if (unreached.empty()) phi = shapley_values(vals, k);
            for (std::size_t i = 0; i < k; ++i) {
                DecomposeRow r;
                r.scenario = b.name;
                r.from = a.name;
                r.quantity = label;
                r.factor = factors[i];
                r.value_from = v[q][0];
                r.value_to = v[q][all - 1];
                r.mixtures = static_cast<std::int64_t>(all);
                if (r.value_from && r.value_to) r.total = *r.value_to - *r.value_from;
                if (!phi.empty()) {
                    r.contribution = phi[i];
                    if (*r.total != 0) r.share = phi[i] / *r.total;
                } else {
                    r.note = "not reached by the horizon in " + join(unreached, "; ");
                }
                out->rows.push_back(std::move(r));
            }
        }
        tables.push_back(std::move(out));
    }

private:
    std::string key_ = "decompose";
};

}  // namespace

const Analysis& decompose_analysis() {
    static const Decompose module;
    return module;
}

}  // namespace racesim
