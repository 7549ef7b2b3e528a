// One-at-a-time sensitivity: each parameter moved by ±step (relative) while the others keep
// their values; the change in the time to each target, with the central-difference derivative.
#include <cmath>

#include "racesim/config/scenario.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

std::vector<SensitivityRow> sensitivity(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc,
                                        const ScenarioResult& base) {
    const SensitivitySpec& spec = *sc.sensitivity;
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
    std::vector<SensitivityRow> rows;
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
                r.note +=
                    std::string(r.note.empty() ? "" : "; ") + "no finite difference: the moved values do not differ";
            }
            if (r.derivative && r.time && *r.time > 0) r.elasticity = *r.derivative * r.value / *r.time;
            rows.push_back(std::move(r));
        }
    }
    return rows;
}

}  // namespace racesim
