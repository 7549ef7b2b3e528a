// `sensitivity:`, one-at-a-time sensitivity: each parameter moved by ±step (relative) while the
// others keep their values; the change in the time to each target, with the central-difference
// derivative. An analysis module: its keys, its block's reading, its run and its table.
#include "racesim/analyses/sensitivity.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "racesim/config/block_reader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

const KeyBlock& sensitivity_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("sensitivity",
                   "One-at-a-time sensitivity of the times to target: each parameter moved by ±step (relative).");
        k.add_real("step")
            .in_range(plugin::Bound{1e-9, true}, plugin::Bound{1, false})
            .default_value(0.1)
            .unit("1")
            .doc(
                "The relative change of each parameter. At least 1e-9: the derivative's relative error is about "
                "the time's (1e-15 closed form, about solver.rel_tol with the ODE solver) divided by step.");
        k.add_list("parameters", plugin::ParamType::string)
            .computed_default("every real parameter with a non-zero value")
            .doc("The parameter paths <block>.<parameter> to move.");
        return k;
    }();
    return b;
}

namespace {

std::optional<double> delta(const SensitivityRow& s, const std::optional<double>& x) {
    return x && s.time ? std::optional<double>(*x - *s.time) : std::nullopt;
}

// clang-format off
const TableDef table_def{"sensitivity", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"parameter", "", "the path moved", CellKind::text},
    {"target", "", "the target's label", CellKind::text},
    {"value", "as configured", "the parameter's value"},
    {"step", "1", "the relative step"},
    {"low", "as configured", "value * (1 - step)"},
    {"high", "as configured", "value * (1 + step)"},
    {"time", "yr", "time to the target at value"},
    {"time_low", "yr", "time to the target at low"},
    {"time_high", "yr", "time to the target at high"},
    {"delta_low", "yr", "time_low - time"},
    {"delta_high", "yr", "time_high - time"},
    {"derivative", "yr per unit", "(time_high - time_low) / (high - low), one-sided when a side is missing"},
    {"elasticity", "1", "derivative * value / time"},
    {"note", "", "why a side is missing", CellKind::text},
}};
// clang-format on

void render(const SensitivityRow& s, std::vector<Cell>& out) {
    out.insert(out.end(), {Cell{s.scenario}, Cell{s.path}, Cell{s.target}, Cell{s.value}, Cell{s.step}, Cell{s.low},
                           Cell{s.high}, number_cell(s.time), number_cell(s.time_low), number_cell(s.time_high),
                           number_cell(delta(s, s.time_low)), number_cell(delta(s, s.time_high)),
                           number_cell(s.derivative), number_cell(s.elasticity), Cell{s.note}});
}

using Rows = TypedRows<SensitivityRow>;

class Sensitivity final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return sensitivity_keys(); }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {&table_def}; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec& base) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'sensitivity' ({step: 0.1, parameters: [...]})"))
            return nullptr;
        const KeyBlock& sk = sensitivity_keys();
        r.check_keys(n, sk, "'sensitivity'");
        auto s = std::make_shared<SensitivitySpec>();
        s->kind = this;
        s->mark = r.mark(n);
        s->step = declared_real(sk, "step");
        bool ok = true;
        if (const YAML::Node st = n["step"]) {
            if (auto v = r.real_key(st, "sensitivity.step", sk.at("step")))
                s->step = *v;
            else
                ok = false;
        }
        if (const YAML::Node ps = n["parameters"]) {
            if (!r.expect(ps, YAML::NodeType::Sequence, "a list of parameter paths for sensitivity.parameters"))
                return nullptr;
            for (const auto& p : ps) {
                std::string why;
                if (!p.IsScalar()) {
                    r.error(p, "expected a parameter path, got " + describe_node(p));
                    ok = false;
                } else if (!parse_parameter_path(base, p.Scalar(), why)) {
                    r.error(p, why);
                    ok = false;
                } else {
                    s->paths.push_back(p.Scalar());
                }
            }
        }
        if (!ok) return nullptr;
        return s;
    }

    void after_scenario(const AnalysisContext& ctx, const AnalysisSpec& analysis_spec, const ScenarioResult& base,
                        const std::any&, TableSet& tables) const override {
        const auto& spec = dynamic_cast<const SensitivitySpec&>(analysis_spec);
        const ModelBuilder& models = ctx.models;
        const Experiment& ex = ctx.experiment;
        const ScenarioSpec& sc = *base.spec;
        auto out = std::make_unique<Rows>(table_def, render);
        std::vector<SensitivityRow>& rows = out->rows;
        std::vector<std::string> paths = spec.paths;
        if (paths.empty()) {
            for (const auto& p : parameter_paths(sc)) {
                std::string why;
                const auto pp = parse_parameter_path(sc, p, why);
                const plugin::ParamSpec* ps = pp ? parameter_spec(sc, *pp) : nullptr;
                if (ps && ps->type != plugin::ParamType::real) continue;  // integers do not move by a percentage
                if (p == "baseline.tau" && !sc.tau) continue;
                if (p == "baseline.C0" && !sc.C0) continue;
                const auto v = parameter_value(sc, p);
                if (v && *v != 0) paths.push_back(p);
            }
        }
        for (const auto& path : paths) {
            const auto v = parameter_value(sc, path);
            std::optional<ScenarioResult> side[2];
            double moved[2] = {0, 0};
            std::string note;
            if (!v || *v == 0) {
                note = "value is 0 (or unset): a relative step does not move it";
            } else {
                for (int k = 0; k < 2; ++k) {
                    moved[k] = *v * (k ? 1 + spec.step : 1 - spec.step);
                    const Assignment a{path, plugin::Value{moved[k]}, plugin::math::format(moved[k]), spec.mark};
                    if (auto why = check_parameter_value(sc, path, a.value); !why.empty()) {
                        note += (note.empty() ? "" : "; ") + path + " = " + a.text + " is refused: " + why;
                        continue;
                    }
                    try {
                        side[k] = run_scenario(ex, models.with_parameters(sc, {a}, sc.name, false));
                        side[k]->spec = nullptr;  // only the target times are kept
                        side[k]->owned.reset();
                    } catch (const ConfigError& e) {
                        const auto& d = e.diagnostics.errors();
                        note += (note.empty() ? "" : "; ") + (d.empty() ? std::string(e.what()) : d.front().message);
                    }
                }
            }
            for (std::size_t t = 0; t < base.targets.size(); ++t) {
                SensitivityRow r;
                r.scenario = sc.name;
                r.path = path;
                r.target = target_label(base.targets[t].spec);
                r.value = v.value_or(0);
                r.step = spec.step;
                r.low = moved[0];
                r.high = moved[1];
                r.time = base.targets[t].time;
                if (side[0]) r.time_low = side[0]->targets[t].time;
                if (side[1]) r.time_high = side[1]->targets[t].time;
                r.note = note;
                if (r.time_low && r.time_high)
                    r.derivative = (*r.time_high - *r.time_low) / (r.high - r.low);
                else if (r.time && r.time_high)
                    r.derivative = (*r.time_high - *r.time) / (r.high - r.value);
                else if (r.time && r.time_low)
                    r.derivative = (*r.time - *r.time_low) / (r.value - r.low);
                // Never a NaN or an infinity in the table: a difference that does not exist is left empty.
                if (r.derivative && !std::isfinite(*r.derivative)) {
                    r.derivative.reset();
                    r.note += std::string(r.note.empty() ? "" : "; ") +
                              "no finite difference: the moved values do not differ";
                }
                if (r.derivative && r.time && *r.time > 0) r.elasticity = *r.derivative * r.value / *r.time;
                rows.push_back(std::move(r));
            }
        }
        tables.push_back(std::move(out));
    }

private:
    std::string key_ = "sensitivity";
};

}  // namespace

const Analysis& sensitivity_analysis() {
    static const Sensitivity module;
    return module;
}

}  // namespace racesim
