#include "racesim/config/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "racesim/config/keys.hpp"
#include "racesim/plugin/math.hpp"

namespace racesim {

BlockSpec* block_of(ScenarioSpec& sc, const std::string& block) {
    if (block == "efficiency") return &sc.efficiency;
    if (block == "power") return &sc.power;
    if (block == "loss") return &sc.loss;
    if (block == "algorithms" && sc.algorithms) return &*sc.algorithms;
    return nullptr;
}

const BlockSpec* block_of(const ScenarioSpec& sc, const std::string& block) {
    return block_of(const_cast<ScenarioSpec&>(sc), block);
}

namespace {

std::optional<double> as_real(const plugin::Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return std::nullopt;
}

}  // namespace

double clean_decimal(double x) {
    char buf[32];
    const auto end = fmt::format_to_n(buf, sizeof buf, "{:.15g}", x).out;
    double y = x;
    std::from_chars(buf, end, y);
    return y;
}

std::string target_label(const TargetSpec& t) {
    return (t.kind == TargetSpec::Kind::loss ? "loss=" : "R=") + plugin::math::format(t.value);
}

std::optional<double> baseline_compute(const ScenarioSpec& sc) {
    if (!sc.tau) return sc.C0;
    const auto& e = sc.efficiency.selection.params;
    const auto& p = sc.power.selection.params;
    if (!e.has("E0") || !p.has("P0")) return std::nullopt;
    return e.real("E0") * p.real("P0") * (1 + *sc.tau);
}

namespace {

/// What a sweep, a sample or a goal seek can set: a real or integer parameter.
bool numeric(const plugin::ParamSpec& p) {
    return p.type == plugin::ParamType::real || p.type == plugin::ParamType::integer;
}

}  // namespace

std::vector<std::string> parameter_paths(const ScenarioSpec& sc) {
    std::vector<std::string> out;
    for (const char* b : {"efficiency", "power", "loss", "algorithms"}) {
        const BlockSpec* bs = block_of(sc, b);
        if (!bs || !bs->schema) continue;
        for (const auto& p : bs->schema->params())
            if (numeric(p)) out.push_back(std::string(b) + "." + p.name);
    }
    for (const auto& k : baseline_keys().keys()) out.push_back("baseline." + k.name());
    return out;
}

namespace {

/// Whether `path` is one of parameter_paths(sc), without making that list (a sweep's or a
/// sample's scenario checks every assignment it makes).
bool is_parameter_path(const ScenarioSpec& sc, const std::string& path) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) return false;
    const std::string block = path.substr(0, dot), name = path.substr(dot + 1);
    if (block == "baseline") {
        const auto& keys = baseline_keys().keys();
        return std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return k.name() == name; });
    }
    const BlockSpec* b = block_of(sc, block);  // null for any other block name
    const plugin::ParamSpec* p = b && b->schema ? b->schema->find(name) : nullptr;
    return p && numeric(*p);
}

}  // namespace

std::optional<ParameterPath> parse_parameter_path(const ScenarioSpec& sc, const std::string& path, std::string& why) {
    if (!is_parameter_path(sc, path)) {
        const auto all = parameter_paths(sc);
        why = "'" + path + "' is not a numeric parameter of scenario '" + sc.origin + "'";
        if (auto s = suggest(path, all); !s.empty()) why += "; did you mean '" + s + "'?";
        why += " (parameters: " + fmt::format("{}", fmt::join(all, ", ")) + ")";
        return std::nullopt;
    }
    const auto dot = path.find('.');
    return ParameterPath{path.substr(0, dot), path.substr(dot + 1)};
}

const plugin::ParamSpec* parameter_spec(const ScenarioSpec& sc, const ParameterPath& p) {
    const BlockSpec* b = block_of(sc, p.block);
    if (!b || !b->schema) return nullptr;
    return b->schema->find(p.name);
}

std::optional<double> parameter_value(const ScenarioSpec& sc, const std::string& path) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) return std::nullopt;
    const std::string block = path.substr(0, dot), name = path.substr(dot + 1);
    if (block == "baseline") {
        if (name == "tau") return sc.tau;
        if (name == "C0") return baseline_compute(sc);
        return std::nullopt;
    }
    const BlockSpec* b = block_of(sc, block);
    if (!b) return std::nullopt;
    for (const auto& [k, v] : b->selection.params.entries())
        if (k == name) return as_real(v);
    return std::nullopt;
}

std::string check_parameter_value(const ScenarioSpec& sc, const std::string& path, const plugin::Value& v) {
    std::string why;
    const auto p = parse_parameter_path(sc, path, why);
    if (!p) return why;
    const auto x = as_real(v);
    if (!x || !std::isfinite(*x)) return "a finite number is needed";
    if (p->block == "baseline") {
        const plugin::ParamSpec& spec = baseline_keys().at(p->name).param;
        return spec.admits(*x) ? "" : "it must be " + spec.constraint();
    }
    const plugin::ParamSpec* spec = parameter_spec(sc, *p);
    if (spec->type == plugin::ParamType::integer && std::get_if<double>(&v) && *x != std::floor(*x))
        return "it must be an integer";
    if (!spec->admits(*x)) return "it must be " + spec->constraint();
    return "";
}

ScenarioSpec with_parameters(const ScenarioSpec& base, const std::vector<Assignment>& assignments,
                             const std::string& name, bool record) {
    ScenarioSpec sc = base;
    sc.name = name;
    sc.analyses.clear();
    Diagnostics diags;
    for (const auto& a : assignments) {
        std::string why;
        const auto p = parse_parameter_path(sc, a.path, why);
        if (p) why = check_parameter_value(sc, a.path, a.value);
        if (!why.empty()) {
            const auto x = as_real(a.value);
            const std::string text = !a.text.empty() ? a.text : x ? plugin::math::format(*x) : "(not a number)";
            diags.error(a.mark, a.path + " = " + text + " is refused in scenario '" + name + "': " + why);
            continue;
        }
        const double x = *as_real(a.value);
        if (p->block == "baseline") {
            if (p->name == "tau") {
                sc.tau = x;
                sc.C0.reset();
            } else {
                sc.C0 = x;
                sc.tau.reset();
            }
            continue;
        }
        BlockSpec& b = *block_of(sc, p->block);
        const plugin::ParamSpec* spec = parameter_spec(sc, *p);
        if (spec->type == plugin::ParamType::integer)
            b.selection.params.set(p->name, plugin::Value{static_cast<std::int64_t>(x)});
        else
            b.selection.params.set(p->name, plugin::Value{x});
        b.value_marks[p->name] = a.mark;
        b.quoted.erase(p->name);  // set as a number now, no longer as it was quoted
    }
    // A parameter given relative to another ({times_P0: 5}) moves with it: P_max stays 5 × P0
    // whatever P0 a sweep, a goal seek, a sensitivity run or a sample gives.
    for (const char* block : {"efficiency", "power", "loss", "algorithms"}) {
        if (!block_of(sc, block)) continue;  // no algorithms: block
        BlockSpec& b = *block_of(sc, block);
        for (const auto& [pname, q] : b.quoted) {
            if (q.relative_to.empty() || !b.selection.params.has(q.relative_to)) continue;
            const double x = q.factor * b.selection.params.real(q.relative_to);
            const plugin::ParamSpec* spec = b.schema ? b.schema->find(pname) : nullptr;
            if (spec && !spec->admits(x)) {
                diags.error(b.value_marks[pname], std::string(block) + "." + pname + " = " +
                                                      plugin::math::format(q.factor) + " x " + q.relative_to + " = " +
                                                      plugin::math::format(x) + " is refused in scenario '" + name +
                                                      "': it must be " + spec->constraint());
                continue;
            }
            b.selection.params.set(pname, plugin::Value{x});
        }
    }
    if (record)
        for (const auto& a : assignments) sc.sweep.push_back(a);
    if (!diags.empty()) throw ConfigError(std::move(diags));
    return sc;
}

double SweepRange::value(std::size_t i) const {
    if (i == 0) return from;
    if (step != 0) return clean_decimal(from + static_cast<double>(i) * step);
    if (i + 1 == count) return to;
    const double f = static_cast<double>(i) / static_cast<double>(count - 1);
    return clean_decimal(log_scale ? std::exp(std::log(from) + f * (std::log(to) - std::log(from)))
                                   : from + f * (to - from));
}

Assignment SweepAxis::at(std::size_t i) const {
    if (!range) return listed.at(i);
    const double x = range->value(i);
    return Assignment{path, plugin::Value{x}, fmt::format("{}", x), mark};
}

std::size_t SweepPlan::size() const {
    if (axes.empty()) return 0;
    if (zip) return axes.front().size();
    std::size_t n = 1;
    for (const auto& a : axes) n *= a.size();
    return n;
}

void SweepPlan::assignments(std::size_t k, std::vector<Assignment>& out) const {
    out.resize(axes.size());
    std::size_t rest = k;
    for (std::size_t j = axes.size(); j-- > 0;) {  // the last axis varies fastest
        const std::size_t m = axes[j].size();
        out[j] = axes[j].at(zip ? k : rest % m);
        if (!zip) rest /= m;
    }
}

std::size_t SweepPlan::axis_index(std::size_t k, std::size_t j) const {
    if (zip) return k;
    for (std::size_t a = axes.size(); --a > j;) k /= axes[a].size();
    return k % axes[j].size();
}

double SweepAxis::number(std::size_t i) const {
    if (range) return range->value(i);
    const auto& v = listed.at(i).value;
    if (const auto* d = std::get_if<double>(&v)) return *d;
    return static_cast<double>(std::get<std::int64_t>(v));
}

std::string SweepPlan::name(const std::string& base, std::size_t k) const {
    std::string s = base + "[";
    for (std::size_t j = 0; j < axes.size(); ++j) {
        const SweepAxis& a = axes[j];
        const std::size_t i = axis_index(k, j);
        if (j) s += ',';
        s += a.label;
        s += '=';
        if (a.range)  // the shortest form of a generated value, as SweepAxis::at writes it
            fmt::format_to(std::back_inserter(s), "{}", a.range->value(i));
        else
            s += a.listed[i].text;
    }
    return s + "]";
}

std::size_t scenario_count(const Experiment& ex) {
    std::size_t n = 0;
    for (const auto& sc : ex.scenarios) n += sc.sweep_plan ? sc.sweep_plan->size() : 1;
    return n;
}

ConfigError in_sweep(const ConfigError& e, const ScenarioSpec& declared, std::size_t k) {
    const SweepPlan& plan = *declared.sweep_plan;
    Diagnostics ds;
    for (Diagnostic dg : e.diagnostics.errors()) {
        note(dg,
             "scenario " + std::to_string(k + 1) + " of the " + std::to_string(plan.size()) + " of the sweep of '" +
                 declared.name + "' (a large sweep's combinations are checked as they run)",
             plan.mark);
        ds.add(dg);
    }
    return ConfigError(std::move(ds));
}

ScenarioRef expand(const Experiment& ex, std::size_t i) {
    std::size_t k = i;
    for (std::size_t d = 0; d < ex.scenarios.size(); ++d) {
        const ScenarioSpec& sc = ex.scenarios[d];
        if (!sc.sweep_plan) {
            if (k == 0) return ScenarioRef{&sc, nullptr, d, 0};
            --k;
            continue;
        }
        const SweepPlan& plan = *sc.sweep_plan;
        const std::size_t n = plan.size();
        if (k >= n) {
            k -= n;
            continue;
        }
        std::vector<Assignment> as;
        plan.assignments(k, as);
        std::shared_ptr<ScenarioSpec> made;
        try {
            made = std::make_shared<ScenarioSpec>(with_parameters(sc, as, plan.name(sc.name, k), true));
        } catch (const ConfigError& e) {  // say which sweep, and which of its scenarios
            throw in_sweep(e, sc, k);
        }
        made->sweep_plan.reset();
        made->analyses = sc.analyses;
        const ScenarioSpec* p = made.get();
        return ScenarioRef{p, std::move(made), d, k};
    }
    throw std::out_of_range("racesim::expand: scenario " + std::to_string(i) + " of " +
                            std::to_string(scenario_count(ex)));
}

const ScenarioSpec* sweep_containing(const Experiment& ex, const std::string& name) {
    for (const auto& sc : ex.scenarios) {
        if (!sc.sweep_plan || name.size() <= sc.name.size() + 2 ||
            name.compare(0, sc.name.size() + 1, sc.name + "[") != 0)
            continue;
        const SweepPlan& plan = *sc.sweep_plan;
        for (std::size_t k = 0; k < plan.size(); ++k)
            if (plan.name(sc.name, k) == name) return &sc;
    }
    return nullptr;
}

}  // namespace racesim
