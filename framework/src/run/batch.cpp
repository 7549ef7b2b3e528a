#include "racesim/run/batch.hpp"

#include <algorithm>
#include <cmath>

#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"

namespace racesim::detail {

bool batch_applies(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc,
                   const std::vector<std::string>& paths) {
    if (!ex.solver.closed_form || !ex.solver.vectorise || !sc.reference) return false;
    const PluginEntry* e = models.entry(*sc.reference, plugin::Kind::reference);
    if (!e) return false;
    const plugin::Descriptor& d = e->descriptor;
    if (!d.batch_time_to_target) return false;
    return std::all_of(paths.begin(), paths.end(), [&](const std::string& p) {
        return std::find(d.batch_paths.begin(), d.batch_paths.end(), p) != d.batch_paths.end();
    });
}

bool batch_times_impl(const ModelBuilder& models, const ScenarioSpec& sc, std::size_t n,
                      const std::vector<std::pair<std::string, plugin::Column>>& varying,
                      std::vector<std::vector<double>>& times, std::string& why, std::size_t& bad) {
    const PluginEntry& ref = *models.entry(*sc.reference, plugin::Kind::reference);  // batch_applies found it
    // Each path the reference reads: a varying column, else the declared scenario's own value.
    plugin::BatchInput in;
    in.n = n;
    in.horizon = sc.horizon;
    std::vector<double> fixed(ref.descriptor.batch_paths.size());
    for (std::size_t p = 0; p < ref.descriptor.batch_paths.size(); ++p) {
        const std::string& path = ref.descriptor.batch_paths[p];
        plugin::Column c;
        for (const auto& [name, col] : varying)
            if (name == path) c = col;
        if (!c.set())
            if (const auto v = parameter_value(sc, path)) {
                fixed[p] = *v;
                c = plugin::Column{&fixed[p], 0};
            }
        in.columns.emplace_back(path, c);
    }
    plugin::ReferenceInput base{sc.efficiency.selection, sc.power.selection, sc.loss.selection,
                                baseline_compute(sc).value_or(0), sc.horizon};
    if (sc.algorithms) base.algorithms = sc.algorithms->selection;
    times.assign(sc.targets.size(), std::vector<double>(n));
    bad = n;
    for (std::size_t k = 0; k < sc.targets.size(); ++k) {
        const TargetSpec& t = sc.targets[k];
        bool ok = false;
        try {
            ok = ref.descriptor.batch_time_to_target(base, in, {t.kind == TargetSpec::Kind::relative, t.value},
                                                     times[k].data(), why);
        } catch (const std::exception& e) {
            throw RunError("scenario '" + sc.name + "': reference '" + ref.descriptor.type + "' (" +
                           ref.library->path.string() + ") threw in its vectorised time to target: " + e.what());
        }
        if (!ok) return false;
        for (std::size_t i = 0; i < n && bad == n; ++i)
            if (times[k][i] < 0) bad = i;
    }
    return true;
}

}  // namespace racesim::detail
