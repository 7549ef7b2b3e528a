// `sweep:`, the analysis that plans: its keys, the reading of its block in two steps around the
// building of the declared scenario (the swept paths and their first values, which stand in the
// scenario; then every value typed and checked against the built scenario's schemas, the names
// of its scenarios kept distinct), and the SweepPlan it makes. The loader applies the stand-ins,
// checks the plan against the experiment's limits and, for a small plan, every combination; the
// run follows the plan wherever a scenario runs (racesim::expand, the vectorised batches).
#include "racesim/analyses/sweep.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>

#include "racesim/config/block_reader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/plugin/math.hpp"

namespace racesim {

using plugin::ParamType;

const KeyBlock& sweep_range_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("sweep range", "Generated sweep values: {from, to, step} or {from, to, count, scale}.");
        k.add_real("from").required().unit(param_unit).doc("First value.");
        k.add_real("to").required().unit(param_unit).doc("Last value (reached exactly).");
        k.add_real("step").unit(param_unit).doc("Non-zero, pointing from 'from' to 'to'; not with 'count'.");
        k.add_integer("count").at_least(1).unit("values").doc("The number of values; not with 'step'.");
        k.add_string("scale")
            .choices({"linear", "log"})
            .default_value(std::string("linear"))
            .doc("With 'count': linear or geometric spacing (log needs from, to > 0).");
        return k;
    }();
    return b;
}

const KeyBlock& sweep_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("sweep",
                   "Expands the scenario into one scenario per value (or combination of values) of parameter paths.");
        k.add_boolean("zip").default_value(false).doc(
            "Pair the paths' values one to one instead of taking their cartesian product.");
        k.open(OpenKeys{"a parameter path <block>.<parameter> (block efficiency, power, loss, algorithms or baseline)",
                        "a non-empty list of numbers, or a range", &sweep_range_keys(), true});
        return k;
    }();
    return b;
}

namespace {

/// One swept path of the block, as read in step 1.
struct RawAxis {
    std::string path;
    Mark key_mark;
    Mark values_mark;
    std::vector<YAML::Node> nodes;    ///< list form: the values as written
    std::optional<SweepRange> range;  ///< range form: {from, to, step} or {from, to, count, scale}
    YAML::Node first;                 ///< the node that stands for the first value in the base scenario
    std::vector<Assignment> values;
    std::string label;

    [[nodiscard]] std::size_t size() const { return range ? range->count : nodes.size(); }
};

/// What step 1 keeps for step 2.
struct Read {
    std::string scenario;
    YAML::Node node;
    std::vector<RawAxis> axes;
    bool zip = false;
};

bool read_range(const BlockReader& r, const ExperimentLimits& lim, const YAML::Node& n, RawAxis& axis) {
    Diagnostics& d = r.diagnostics();
    const std::string what = "sweep of " + axis.path;
    const KeyBlock& rk = sweep_range_keys();
    r.check_keys(n, rk, "a sweep range");
    const YAML::Node from = n["from"], to = n["to"], step = n["step"], count = n["count"], scale = n["scale"];
    if (!from || !to) {
        auto& e = r.error(n, "the sweep range of " + axis.path + " needs 'from' and 'to'");
        note(e, "write {from: a, to: b, step: s} or {from: a, to: b, count: n, scale: linear|log}");
        return false;
    }
    const auto a = r.real(from, what + ".from"), b = r.real(to, what + ".to");
    if (!a || !b) return false;
    axis.first = from;
    if (step && count) {
        r.error(step, "the sweep range of " + axis.path + " gives both 'step' and 'count': give one");
        return false;
    }
    if (step) {
        if (scale) {
            r.error(scale, "'scale' goes with 'count', not with 'step'");
            return false;
        }
        const auto h = r.real(step, what + ".step");
        if (!h) return false;
        if (*h == 0 || (*b - *a) * *h < 0) {
            r.error(step, "step " + step.Scalar() + " does not lead from " + from.Scalar() + " to " + to.Scalar() +
                              ": it must be non-zero and point from 'from' to 'to'");
            return false;
        }
        const double n_steps = std::floor((*b - *a) / *h + 1e-9);
        if (n_steps + 1 > static_cast<double>(lim.max_scenarios)) {
            r.error(step, "the sweep range of " + axis.path + " has " + plugin::math::format(n_steps + 1) +
                              " values; at most " + std::to_string(lim.max_scenarios) +
                              " scenarios are allowed in an experiment");
            return false;
        }
        axis.range = SweepRange{*a, *b, *h, static_cast<std::size_t>(n_steps) + 1, false};
        return true;
    }
    if (!count) {
        auto& e = r.error(n, "the sweep range of " + axis.path + " needs 'step' or 'count'");
        note(e, "write {from: a, to: b, step: s} or {from: a, to: b, count: n, scale: linear|log}");
        return false;
    }
    const auto counted = r.integer_key(count, "the sweep count", rk.at("count"));
    if (!counted) return false;
    const std::int64_t k = *counted;
    if (static_cast<std::uint64_t>(k) > lim.max_scenarios) {
        r.error(count, "the sweep range of " + axis.path + " has " + std::to_string(k) + " values; at most " +
                           std::to_string(lim.max_scenarios) + " scenarios are allowed in an experiment");
        return false;
    }
    bool log = declared_string(rk, "scale") == "log";
    if (scale) {
        const auto sv = r.choice_key(scale, "the sweep scale", rk.at("scale"));
        if (!sv) return false;
        log = *sv == "log";
    }
    if (log && !(*a > 0 && *b > 0)) {
        d.error(r.mark(scale),
                "a log-scale sweep needs positive 'from' and 'to' (got " + from.Scalar() + " and " + to.Scalar() + ")");
        return false;
    }
    if (k == 1 && *a != *b) {
        r.error(count, "count 1 cannot span from " + from.Scalar() + " to " + to.Scalar() + ": use count >= 2");
        return false;
    }
    axis.range = SweepRange{*a, *b, 0.0, static_cast<std::size_t>(k), log};
    return true;
}

bool read_axes(const BlockReader& r, const ExperimentLimits& lim, Read& s) {
    const YAML::Node& sw = s.node;
    if (!r.expect(sw, YAML::NodeType::Map,
                  "a map of parameter paths for 'sweep' (e.g. {efficiency.gamma: [0, 0.5, 1]})"))
        return false;
    bool ok = true;
    const KeyBlock& swk = sweep_keys();
    s.zip = declared_boolean(swk, "zip");
    for (auto it = sw.begin(); it != sw.end(); ++it) {
        const std::string key = it->first.Scalar();
        const YAML::Node v = it->second;
        if (swk.find(key)) {  // zip; any other key is a parameter path (the block's open keys)
            if (auto z = r.boolean_key(v, "sweep." + key))
                s.zip = *z;
            else
                ok = false;
            continue;
        }
        RawAxis axis;
        axis.path = key;
        axis.key_mark = r.mark(it->first);
        axis.values_mark = r.mark(v);
        if (v.IsSequence()) {
            if (v.size() == 0) {
                r.error(v, "the sweep of " + key + " has no values");
                ok = false;
                continue;
            }
            for (const auto& x : v) axis.nodes.push_back(x);
            axis.first = axis.nodes.front();
        } else if (v.IsMap()) {
            if (!read_range(r, lim, v, axis)) {
                ok = false;
                continue;
            }
        } else {
            auto& e = r.error(
                v, "expected a list of values or a range for the sweep of " + key + ", got " + describe_node(v));
            note(e, "write [a, b, c], {from: a, to: b, step: s} or {from: a, to: b, count: n, scale: linear|log}");
            ok = false;
            continue;
        }
        s.axes.push_back(std::move(axis));
    }
    if (ok && s.axes.empty()) {
        r.error(sw, "'sweep' of scenario '" + s.scenario + "' names no parameter");
        ok = false;
    }
    return ok;
}

/// Two scenarios of a sweep share a name exactly when they share every value as written. In a
/// product that means a value repeated on one axis; with zip, a repeated tuple. A range is
/// strictly monotonic unless its step vanishes in the rounding to 15 digits.
bool unique_names(Diagnostics& d, const SweepPlan& plan, const std::string& scenario) {
    bool ok = true;
    for (const auto& a : plan.axes) {
        if (a.range) {
            for (std::size_t i = 1; i < a.range->count; ++i)
                if (a.range->value(i) == a.range->value(i - 1)) {
                    auto& e = d.error(a.mark, "the sweep range of " + a.path + " repeats the value " +
                                                  fmt::format("{}", a.range->value(i)) + " (values " +
                                                  std::to_string(i) + " and " + std::to_string(i + 1) +
                                                  "): its step is below the 15 significant digits values keep");
                    note(e, "use a larger step or fewer values");
                    ok = false;
                    break;
                }
            continue;
        }
        if (plan.zip) continue;
        std::map<std::string, const Assignment*> seen;
        for (const auto& v : a.listed)
            if (auto [it, fresh] = seen.emplace(v.text, &v); !fresh) {
                auto& e = d.error(v.mark, "sweep value " + a.path + " = " + v.text +
                                              " is repeated: two scenarios would have the same name");
                note(e, "first given here", it->second->mark);
                ok = false;
                break;
            }
    }
    if (!ok || !plan.zip) return ok;
    for (const auto& a : plan.axes)
        if (a.range) return true;  // a monotonic axis makes every tuple distinct
    const std::size_t n = plan.size();
    std::vector<std::size_t> order(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = k;
    auto tuple_less = [&](std::size_t x, std::size_t y) {
        for (const auto& a : plan.axes)
            if (const int c = a.listed[x].text.compare(a.listed[y].text); c != 0) return c < 0;
        return false;
    };
    std::sort(order.begin(), order.end(), tuple_less);
    for (std::size_t k = 1; k < n; ++k)
        if (!tuple_less(order[k - 1], order[k])) {
            const std::size_t first = std::min(order[k - 1], order[k]), second = std::max(order[k - 1], order[k]);
            auto& e = d.error(plan.axes.front().listed[second].mark,
                              "sweep of scenario '" + scenario + "': values " + std::to_string(first + 1) + " and " +
                                  std::to_string(second + 1) +
                                  " of the zipped paths are the same: two scenarios would be named '" +
                                  plan.name(scenario, first) + "'");
            note(e, "remove one of the two", plan.axes.front().listed[first].mark);
            return false;
        }
    return true;
}

class Sweep final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override {
        static const std::string k = "sweep";
        return k;
    }
    [[nodiscard]] const KeyBlock& keys() const override { return sweep_keys(); }
    [[nodiscard]] std::string key_doc() const override {
        return "Sweep parameters: one scenario per value or combination.";
    }
    [[nodiscard]] bool plans() const override { return true; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader&, const YAML::Node&,
                                                           ScenarioSpec&) const override {
        throw std::logic_error("racesim: 'sweep' is read in two steps (stand_ins, plan), not by read()");
    }

    bool stand_ins(const BlockReader& r, const YAML::Node& node, const std::string& scenario, const PlanContext& ctx,
                   std::vector<StandIn>& out, std::any& state) const override {
        Read s;
        s.scenario = scenario;
        s.node = node;
        if (!read_axes(r, ctx.limits, s)) return false;
        for (const auto& a : s.axes) out.push_back(StandIn{a.path, a.first, a.key_mark});
        state = std::move(s);
        return true;
    }

    [[nodiscard]] std::shared_ptr<const SweepPlan> plan(const BlockReader& r, const ScenarioSpec& base,
                                                        PlanContext& ctx, std::any& state) const override {
        Read& s = std::any_cast<Read&>(state);
        Diagnostics& d = r.diagnostics();
        auto& axes = s.axes;
        bool ok = true;
        // Typed values of every axis, each checked where it was written (a range's values are
        // checked one by one but not kept: they are computed again when needed).
        for (auto& a : axes) {
            const std::size_t n = a.size();
            // A range of a real parameter is monotonic and real constraints are intervals: its two
            // ends decide for every value in between.
            std::string why_path;
            const auto pp = parse_parameter_path(base, a.path, why_path);
            const plugin::ParamSpec* ps = pp ? parameter_spec(base, *pp) : nullptr;
            const bool ends_only = a.range && (!ps || ps->type == ParamType::real);
            for (std::size_t i = 0; i < n; ++i) {
                if (ends_only && i > 0 && i + 1 < n) i = n - 1;
                Assignment as;
                if (a.range) {
                    as = Assignment{a.path, plugin::Value{a.range->value(i)}, {}, a.values_mark};
                    as.text = fmt::format("{}", std::get<double>(as.value));
                } else {
                    const auto v = r.real(a.nodes[i], "the sweep of " + a.path);
                    if (!v) {
                        ok = false;
                        continue;
                    }
                    as = Assignment{a.path, plugin::Value{*v}, a.nodes[i].Scalar(), r.mark(a.nodes[i])};
                }
                if (auto why = check_parameter_value(base, a.path, as.value); !why.empty()) {
                    d.error(as.mark, "sweep value " + a.path + " = " + as.text + " is refused: " + why);
                    ok = false;
                    if (a.range) break;  // one message per range, not one per generated value
                    continue;
                }
                if (!a.range) a.values.push_back(std::move(as));
            }
            a.label = a.path.substr(a.path.find('.') + 1);
        }
        for (auto& a : axes)  // labels are the parameter names unless two axes share one
            if (std::count_if(axes.begin(), axes.end(),
                              [&](const RawAxis& b) { return b.path.substr(b.path.find('.') + 1) == a.label; }) > 1)
                a.label = a.path;
        if (!ok) return nullptr;

        // The number of scenarios, before any is made.
        double total = 1;
        if (s.zip) {
            for (const auto& a : axes)
                if (a.size() != axes.front().size()) {
                    auto& e = d.error(a.key_mark, "'zip: true' pairs values one to one, but " + a.path + " has " +
                                                      std::to_string(a.size()) + " values and " + axes.front().path +
                                                      " has " + std::to_string(axes.front().size()));
                    note(e, "give every swept path the same number of values, or drop 'zip' for the cartesian product");
                    return nullptr;
                }
            total = static_cast<double>(axes.front().size());
        } else {
            for (const auto& a : axes) total *= static_cast<double>(a.size());
        }
        if (total + static_cast<double>(ctx.scenarios_before) > static_cast<double>(ctx.limits.max_scenarios)) {
            auto& e = d.error(r.mark(s.node), "the sweep of scenario '" + s.scenario + "' expands to " +
                                                  plugin::math::format(total) + " scenarios; at most " +
                                                  std::to_string(ctx.limits.max_scenarios) +
                                                  " are allowed in an experiment (" +
                                                  std::to_string(ctx.scenarios_before) + " already defined)");
            note(e, "sweep fewer values, use 'zip: true' to pair them, or raise the limit with --max-scenarios");
            ctx.over_limit = true;
            return nullptr;
        }

        auto plan = std::make_shared<SweepPlan>();
        plan->zip = s.zip;
        plan->mark = r.mark(s.node);
        for (auto& a : axes)
            plan->axes.push_back(SweepAxis{a.path, a.label, std::move(a.values), a.range, a.values_mark, a.key_mark});
        if (!unique_names(d, *plan, s.scenario)) return nullptr;
        return plan;
    }

    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {}; }
    void after_scenario(const AnalysisContext&, const AnalysisSpec&, const ScenarioResult&, const std::any&,
                        TableSet&) const override {}
};

}  // namespace

const Analysis& sweep_analysis() {
    static const Sweep a;
    return a;
}

}  // namespace racesim
