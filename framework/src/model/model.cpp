#include "racesim/model/model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "racesim/config/scenario.hpp"
#include "racesim/plugin/math.hpp"

namespace racesim {

namespace {

Diagnostic make_diag(Mark m, std::string message) {
    Diagnostic d;
    d.mark = std::move(m);
    d.message = std::move(message);
    return d;
}

}  // namespace

const PluginEntry* ModelBuilder::entry(const BlockSpec& b, plugin::Kind kind) const {
    return registry_->find(kind, b.selection.type);
}

std::vector<Diagnostic> ModelBuilder::build(const ScenarioSpec& sc, Model& m) const {
    if (WorkerTrace* trace = registry_->trace()) m.activity = trace->scenario(sc.name);
    std::vector<Diagnostic> out;
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
    }
    m.C0 = baseline_compute(sc).value_or(0);
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
    // The validator found every type in this registry; an experiment run with another one may not.
    auto find = [&](const BlockSpec& b, plugin::Kind kind, const std::string& block) -> const PluginEntry* {
        const PluginEntry* e = entry(b, kind);
        if (!e)
            out.push_back(make_diag(b.mark, "scenario '" + sc.name + "': " + block + " type '" + b.selection.type +
                                                "' is not provided by any loaded plugin library"));
        return e;
    };
    const PluginEntry* eff = find(sc.efficiency, plugin::Kind::efficiency, "efficiency");
    const PluginEntry* pow = find(sc.power, plugin::Kind::power, "power");
    const PluginEntry* los = find(sc.loss, plugin::Kind::loss, "loss");
    if (!eff || !pow || !los) return out;
    try {
        m.efficiency = registry_->make_rate(*eff, sc.efficiency.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.efficiency, "efficiency", err);
    }
    try {
        m.power = registry_->make_rate(*pow, sc.power.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.power, "power", err);
    }
    try {
        m.loss = registry_->make_loss(*los, sc.loss.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.loss, "loss", err);
    }
    if (!m.efficiency || !m.power || !m.loss) return out;
    m.efficiency_contract_tested = eff->library && eff->library->contract_tested;
    m.power_contract_tested = pow->library && pow->library->contract_tested;
    m.log_C0_physical = m.log_C0;
    if (sc.algorithms) {
        const PluginEntry* alg = find(*sc.algorithms, plugin::Kind::algorithms, "algorithms");
        if (!alg) return out;
        try {
            m.algorithms = registry_->make_rate(*alg, sc.algorithms->selection.params, ctx);
        } catch (const PluginError& err) {
            report(*sc.algorithms, "algorithms", err);
        }
        if (!m.algorithms) return out;
        m.algorithms_contract_tested = alg->library && alg->library->contract_tested;
        // C_physical is integrated as a scenario of its own, dC_physical/dt = E·P, beside the
        // effective one (runner.cpp): that needs E and P independent of C, which would
        // otherwise have to say whether they see effective or physical compute.
        for (const auto& [rate, b, block] : {std::tuple{m.efficiency.get(), &sc.efficiency, "efficiency"},
                                             std::tuple{m.power.get(), &sc.power, "power"}})
            if (rate->depends_on_state()) {
                auto d = make_diag(sc.algorithms->mark,
                                   "scenario '" + sc.name + "': algorithms '" + sc.algorithms->selection.type +
                                       "' cannot be combined with " + block + " '" + b->selection.type +
                                       "', whose rate depends on cumulative compute C");
                note(d,
                     "with algorithms, C is effective compute and C_physical is integrated on its own; a rate that "
                     "reads C would need both at once, which racesim does not integrate yet");
                out.push_back(std::move(d));
            }
        if (!out.empty()) return out;
        // A(0): the regime of a segment at t = 0 that holds none of A's breakpoints (a table's
        // row at t = 0), asked for in a window so short that it holds few of them, if any (the
        // breakpoint budget is checked below).
        std::vector<double> bp;
        const double w = std::ldexp(sc.horizon, -32);
        m.algorithms->breakpoints(0.0, w, bp);
        const double first_end = bp.empty() || !(bp.front() > 0 && bp.front() < w) ? w : bp.front();
        const double log_A0 = m.algorithms->log_value(0.0, m.log_C0, plugin::Segment{0.0, first_end});
        if (!std::isfinite(log_A0)) {
            out.push_back(make_diag(sc.algorithms->mark,
                                    "algorithms '" + sc.algorithms->selection.type +
                                        "' gives A(0) = " + plugin::math::format(std::exp(log_A0)) + " in scenario '" +
                                        sc.name + "': the multiplier at t = 0 must be positive and finite"));
            return out;
        }
        m.log_C0_physical = m.log_C0 - log_A0;
    }

    // Bounded before anything asks for all of them (the integrator's segments, the contract).
    for (const auto& [rate, b, block] :
         {std::tuple{m.efficiency.get(), &sc.efficiency, "efficiency"}, std::tuple{m.power.get(), &sc.power, "power"},
          std::tuple{m.algorithms.get(), sc.algorithms ? &*sc.algorithms : nullptr, "algorithms"}}) {
        if (!rate) continue;
        BreakpointCount n;
        try {
            n = count_breakpoints(*rate, sc.horizon, max_breakpoints_);
        } catch (const PluginError&) {
            // A faulty breakpoints(): reported where the breakpoints are used (the integrator's
            // segments), for the interval they are asked for there.
            continue;
        }
        if (n.count <= static_cast<double>(max_breakpoints_)) continue;
        auto d = make_diag(b->mark, fmt::format("{} '{}' declares {}{} breakpoints over the horizon of {} yr in "
                                                "scenario '{}': more than the budget of {}",
                                                block, b->selection.type, n.exact ? "" : "about ",
                                                n.exact ? fmt::format("{}", n.count) : fmt::format("{:.2g}", n.count),
                                                plugin::math::format(sc.horizon), sc.name, max_breakpoints_));
        if (!n.exact) note(d, fmt::format("{} in the first {} yr", n.in_window, plugin::math::format(n.window)));
        note(d,
             "each breakpoint is a segment the integrator solves on its own: use a longer period, a shorter "
             "horizon, or raise the budget with --max-breakpoints");
        out.push_back(std::move(d));
    }
    if (!out.empty()) return out;

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
        std::string why;
        if (!m.loss->log_compute_for_loss(m.target_loss(t), why)) {
            auto d = make_diag(t.mark, "target " +
                                           std::string(t.kind == TargetSpec::Kind::loss ? "loss " : "relative loss ") +
                                           plugin::math::format(t.value) + " cannot be expressed by loss '" +
                                           sc.loss.selection.type + "' in scenario '" + sc.name + "'");
            note(d, why);
            out.push_back(std::move(d));
        }
    }
    if (sc.reference) {
        const PluginEntry* ref = find(*sc.reference, plugin::Kind::reference, "reference");
        if (!ref) return out;
        plugin::ReferenceInput in{sc.efficiency.selection, sc.power.selection, sc.loss.selection, m.C0, sc.horizon};
        if (sc.algorithms) in.algorithms = sc.algorithms->selection;
        std::string why;
        try {
            m.reference = registry_->make_reference(*ref, in, why);
            if (!m.reference) {
                auto d = make_diag(sc.reference->mark, "reference '" + sc.reference->selection.type +
                                                           "' does not apply to scenario '" + sc.name + "'");
                note(d, why);
                note(d, "reference types: " +
                            fmt::format("{}", fmt::join(registry_->types(plugin::Kind::reference), ", ")) +
                            "; or drop the reference with 'reference: ~'");
                out.push_back(std::move(d));
            }
        } catch (const PluginError& err) {
            report(*sc.reference, "reference", err);
        }
    }
    return out;
}

std::vector<Diagnostic> ModelBuilder::check(const ScenarioSpec& sc) const {
    Model m;
    return build(sc, m);
}

Model ModelBuilder::build(const ScenarioSpec& sc) const {
    Model m;
    auto problems = build(sc, m);
    if (!problems.empty()) {
        Diagnostics d;
        d.add(std::move(problems));
        throw ConfigError(std::move(d));
    }
    return m;
}

ScenarioInstance ModelBuilder::instance(const ScenarioSpec& sc, std::size_t declared) const {
    return ScenarioInstance{&sc, nullptr, declared, build(sc)};
}

ScenarioInstance ModelBuilder::with_parameters(const ScenarioSpec& base, const std::vector<Assignment>& assignments,
                                               const std::string& name, bool record) const {
    auto made = std::make_shared<const ScenarioSpec>(racesim::with_parameters(base, assignments, name, record));
    Model m = build(*made);
    const ScenarioSpec* p = made.get();
    return ScenarioInstance{p, std::move(made), 0, std::move(m)};
}

ScenarioInstance ModelBuilder::expand(const Experiment& ex, std::size_t i) const {
    ScenarioRef ref = racesim::expand(ex, i);
    if (!ref.owned) return instance(*ref.spec, ref.declared);
    try {
        Model m = build(*ref.owned);
        return ScenarioInstance{ref.spec, std::move(ref.owned), ref.declared, std::move(m)};
    } catch (const ConfigError& e) {
        throw in_sweep(e, ex.scenarios[ref.declared], ref.sweep_index);
    }
}

ScenarioCheck model_check(const Registry& registry, const ExperimentLimits& limits) {
    return [builder = ModelBuilder(registry, limits.max_breakpoints)](const ScenarioSpec& sc) {
        return builder.check(sc);
    };
}

BreakpointCount count_breakpoints(const plugin::RateModel& m, double horizon, std::size_t budget) {
    std::vector<double> bp;
    double w = std::ldexp(horizon, -32);
    for (;;) {
        bp.clear();
        m.breakpoints(0.0, w, bp);
        const auto n = bp.size();
        if (w >= horizon) return {static_cast<double>(n), true, horizon, n};
        const double estimate = static_cast<double>(n) * (horizon / w);
        // 64 or more in the window: enough to extrapolate a regular spacing.
        if (n > budget || (n >= 64 && estimate > static_cast<double>(budget))) return {estimate, false, w, n};
        w = std::min(horizon, (n == 0 ? 16 : 2) * w);
    }
}

}  // namespace racesim
