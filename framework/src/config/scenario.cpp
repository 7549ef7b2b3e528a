#include "racesim/config/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "racesim/config/keys.hpp"
#include "racesim/plugin/math.hpp"

using nlohmann::ordered_json;

namespace racesim {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
}

ordered_json selection_json(const plugin::Selection& s) {
    ordered_json j;
    j["type"] = s.type;
    // Not a structured binding: clang 14 (the asan preset) cannot capture one in a lambda.
    for (const auto& kv : s.params.entries()) {
        const auto& key = kv.first;
        std::visit([&](const auto& x) { j[key] = x; }, kv.second);
    }
    return j;
}

BlockSpec* block_of(ScenarioSpec& sc, const std::string& block) {
    if (block == "efficiency") return &sc.efficiency;
    if (block == "power") return &sc.power;
    if (block == "loss") return &sc.loss;
    return nullptr;
}

const BlockSpec* block_of(const ScenarioSpec& sc, const std::string& block) {
    return block_of(const_cast<ScenarioSpec&>(sc), block);
}

Diagnostic make_diag(Mark m, std::string message) {
    Diagnostic d;
    d.mark = std::move(m);
    d.message = std::move(message);
    return d;
}

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

std::vector<Diagnostic> instantiate(ScenarioSpec& sc, const Registry& reg, bool describe) {
    std::vector<Diagnostic> out;
    Model m;
    // C0 = E0 · P0 · (1 + tau) · 1 yr needs parameters named E0 and P0 (docs/model.md).
    if (sc.tau) {
        const auto& e = sc.efficiency.selection.params;
        const auto& p = sc.power.selection.params;
        if (!e.has("E0") || !p.has("P0")) {
            auto d = make_diag(sc.mark,
                               "scenario '" + sc.name + "': the baseline C0 = E0*P0*(1+tau)*1 yr needs " +
                                   std::string(!e.has("E0") ? "an efficiency parameter E0" : "a power parameter P0"));
            note(d, "give the baseline compute explicitly: 'baseline: {C0: <PFLOP>}'");
            out.push_back(std::move(d));
            return out;
        }
        m.C0 = e.real("E0") * p.real("P0") * (1 + *sc.tau);
    } else {
        m.C0 = sc.C0.value_or(0);
    }
    if (!std::isfinite(m.C0) || !(m.C0 > 0)) {
        out.push_back(make_diag(sc.mark, "scenario '" + sc.name + "': the baseline compute C0 = " +
                                             plugin::math::format(m.C0) + " PFLOP is not a positive finite number"));
        return out;
    }
    m.log_C0 = std::log(m.C0);
    const plugin::BuildContext ctx{m.C0, sc.horizon};

    auto report = [&](const BlockSpec& b, const std::string& block, const PluginError& err) {
        if (!err.parameter_error) {  // a plugin fault, not a config problem: exit 3 (docs/reliability.md)
            PluginError fault = err;
            fault.scenario = sc.name;
            throw fault;
        }
        Mark where = b.mark;
        if (auto it = b.value_marks.find(err.key); !err.key.empty() && it != b.value_marks.end()) where = it->second;
        auto d = make_diag(where, block + " '" + b.selection.type + "' rejected its parameters in scenario '" +
                                      sc.name + "': " + err.what());
        note(d, "plugin library: " + err.library.string());
        out.push_back(std::move(d));
    };
    try {
        m.efficiency = reg.make_rate(*sc.efficiency.entry, sc.efficiency.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.efficiency, "efficiency", err);
    }
    try {
        m.power = reg.make_rate(*sc.power.entry, sc.power.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.power, "power", err);
    }
    try {
        m.loss = reg.make_loss(*sc.loss.entry, sc.loss.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.loss, "loss", err);
    }
    if (!m.efficiency || !m.power || !m.loss) return out;

    m.auxiliary = m.loss->auxiliary();
    for (std::size_t i = 0; i < m.auxiliary.size(); ++i) {
        const std::string& n = m.auxiliary[i].name;
        const bool ok = !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        });
        bool clash = std::find(trajectory_columns.begin(), trajectory_columns.end(), n) != trajectory_columns.end();
        for (std::size_t k = 0; k < i; ++k) clash = clash || m.auxiliary[k].name == n;
        if (!ok || clash) {
            std::string taken;
            for (const std::string_view c : trajectory_columns) {
                if (!taken.empty()) taken += ", ";
                taken += c;
            }
            out.push_back(make_diag(sc.loss.mark, "loss '" + sc.loss.selection.type +
                                                      "' declares an auxiliary quantity named '" + n +
                                                      "': names must be unique, made of letters, digits and '_', "
                                                      "and differ from " +
                                                      taken));
            return out;
        }
    }

    m.L_start = m.loss->loss(m.log_C0);
    if (!std::isfinite(m.L_start) || !(m.L_start > 0)) {
        out.push_back(make_diag(
            sc.loss.mark, "loss '" + sc.loss.selection.type + "' gives L(C0) = " + plugin::math::format(m.L_start) +
                              " in scenario '" + sc.name + "': the starting loss must be positive and finite"));
        return out;
    }
    for (const auto& t : sc.targets) {
        const double L = t.kind == TargetSpec::Kind::loss ? t.value : t.value * m.L_start;
        std::string why;
        if (!m.loss->log_compute_for_loss(L, why)) {
            auto d = make_diag(t.mark, "target " +
                                           std::string(t.kind == TargetSpec::Kind::loss ? "loss " : "relative loss ") +
                                           plugin::math::format(t.value) + " cannot be expressed by loss '" +
                                           sc.loss.selection.type + "' in scenario '" + sc.name + "'");
            note(d, why);
            out.push_back(std::move(d));
        }
    }
    if (sc.reference) {
        const plugin::ReferenceInput in{sc.efficiency.selection, sc.power.selection, sc.loss.selection, m.C0,
                                        sc.horizon};
        std::string why;
        try {
            m.reference = reg.make_reference(*sc.reference->entry, in, why);
            if (!m.reference) {
                auto d = make_diag(sc.reference->mark, "reference '" + sc.reference->selection.type +
                                                           "' does not apply to scenario '" + sc.name + "'");
                note(d, why);
                note(d, "reference types: " + join(reg.types(plugin::Kind::reference)) +
                            "; or drop the reference with 'reference: ~'");
                out.push_back(std::move(d));
            }
        } catch (const PluginError& err) {
            report(*sc.reference, "reference", err);
        }
    }
    if (!out.empty()) return out;
    sc.model = std::move(m);
    if (!describe) return out;

    ordered_json j;
    j["name"] = sc.name;
    if (sc.origin != sc.name) j["origin"] = sc.origin;
    if (!sc.sweep.empty()) {
        ordered_json sw = ordered_json::object();
        for (const auto& a : sc.sweep) std::visit([&](const auto& x) { sw[a.path] = x; }, a.value);
        j["sweep"] = sw;
    }
    j["efficiency"] = selection_json(sc.efficiency.selection);
    j["power"] = selection_json(sc.power.selection);
    j["loss"] = selection_json(sc.loss.selection);
    j["horizon"] = sc.horizon;
    if (sc.reference) j["reference"] = sc.reference->selection.type;
    if (sc.tau)
        j["baseline"] = {{"tau", *sc.tau}};
    else
        j["baseline"] = {{"C0", *sc.C0}};
    ordered_json tl = ordered_json::array(), tr = ordered_json::array();
    for (const auto& t : sc.targets) (t.kind == TargetSpec::Kind::loss ? tl : tr).push_back(t.value);
    j["targets"] = {{"loss", tl}, {"relative", tr}};
    sc.resolved = std::move(j);
    return out;
}

std::vector<std::string> parameter_paths(const ScenarioSpec& sc) {
    std::vector<std::string> out;
    for (const char* b : {"efficiency", "power", "loss"}) {
        const BlockSpec* bs = block_of(sc, b);
        if (!bs || !bs->entry) continue;
        for (const auto& p : bs->entry->descriptor.schema.params())
            if (p.type == plugin::ParamType::real || p.type == plugin::ParamType::integer)
                out.push_back(std::string(b) + "." + p.name);
    }
    for (const auto& k : baseline_keys().keys()) out.push_back("baseline." + k.name());
    return out;
}

std::optional<ParameterPath> parse_parameter_path(const ScenarioSpec& sc, const std::string& path, std::string& why) {
    const auto all = parameter_paths(sc);
    if (std::find(all.begin(), all.end(), path) == all.end()) {
        why = "'" + path + "' is not a numeric parameter of scenario '" + sc.origin + "'";
        if (auto s = suggest(path, all); !s.empty()) why += "; did you mean '" + s + "'?";
        why += " (parameters: " + join(all) + ")";
        return std::nullopt;
    }
    const auto dot = path.find('.');
    return ParameterPath{path.substr(0, dot), path.substr(dot + 1)};
}

const plugin::ParamSpec* parameter_spec(const ScenarioSpec& sc, const ParameterPath& p) {
    const BlockSpec* b = block_of(sc, p.block);
    if (!b || !b->entry) return nullptr;
    return b->entry->descriptor.schema.find(p.name);
}

std::optional<double> parameter_value(const ScenarioSpec& sc, const std::string& path) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) return std::nullopt;
    const std::string block = path.substr(0, dot), name = path.substr(dot + 1);
    if (block == "baseline") {
        if (name == "tau") return sc.tau;
        if (name == "C0") return sc.C0 ? sc.C0 : std::optional<double>(sc.model.C0);
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
                             const std::string& name, const Registry& registry, bool record, bool describe) {
    ScenarioSpec sc = base;
    sc.name = name;
    sc.model = Model{};
    sc.solve.reset();
    sc.sensitivity.reset();
    sc.sample.reset();
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
    }
    if (record)
        for (const auto& a : assignments) sc.sweep.push_back(a);
    if (diags.empty()) diags.add(instantiate(sc, registry, describe));
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

ScenarioRef expand(const Experiment& ex, std::size_t i, bool describe) {
    std::size_t k = i;
    for (std::size_t d = 0; d < ex.scenarios.size(); ++d) {
        const ScenarioSpec& sc = ex.scenarios[d];
        if (!sc.sweep_plan) {
            if (k == 0) return ScenarioRef{&sc, nullptr, d};
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
            made = std::make_shared<ScenarioSpec>(
                with_parameters(sc, as, plan.name(sc.name, k), *ex.registry, true, describe));
        } catch (const ConfigError& e) {  // say which sweep, and which of its scenarios
            Diagnostics ds;
            for (Diagnostic dg : e.diagnostics.errors()) {
                note(dg,
                     "scenario " + std::to_string(k + 1) + " of the " + std::to_string(n) + " of the sweep of '" +
                         sc.name + "' (a large sweep's combinations are checked as they run)",
                     plan.mark);
                ds.add(dg);
            }
            throw ConfigError(std::move(ds));
        }
        made->sweep_plan.reset();
        made->solve = sc.solve;
        made->sensitivity = sc.sensitivity;
        const ScenarioSpec* p = made.get();
        return ScenarioRef{p, std::move(made), d};
    }
    throw std::out_of_range("racesim::expand: scenario " + std::to_string(i) + " of " +
                            std::to_string(scenario_count(ex)));
}

}  // namespace racesim
