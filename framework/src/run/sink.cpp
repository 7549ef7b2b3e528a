#include "racesim/run/sink.hpp"

#include <algorithm>
#include <utility>

namespace racesim {

void CollectingSink::begin(const RunInfo& info) {
    result_ = RunResult{};
    result_.experiment = info.experiment;
    result_.trajectories = info.trajectories;
    result_.plugins = info.plugins;
    pending_.clear();
}

void CollectingSink::scenario(const ScenarioResult& r) {
    take_scenario(ScenarioResult(r));
}

void CollectingSink::take_scenario(ScenarioResult&& r) {
    for (const auto& t : r.tables) append_rows(result_.tables, *t);
    result_.scenarios.push_back(std::move(r));
}

void CollectingSink::sweep_rows(const SweepRows& rows) {
    result_.sweep_rows.push_back(rows);
}

void CollectingSink::sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                            const std::vector<double>& times) {
    if (index == 0 || pending_.empty() || pending_.back().spec != &sc)
        pending_.push_back(MonteCarloResult{&sc, {}, {}, std::vector<std::vector<double>>(times.size()), {}});
    MonteCarloResult& mc = pending_.back();
    mc.draws.insert(mc.draws.end(), x.begin(), x.end());
    for (std::size_t k = 0; k < times.size(); ++k) mc.times[k].push_back(times[k]);
}

void CollectingSink::monte_carlo(const MonteCarloResult& mc) {
    for (const auto& t : mc.tables) append_rows(result_.tables, *t);
    MonteCarloResult kept = mc;
    // The samples of this scenario, collected as they came (none when it has no sample).
    for (auto it = pending_.begin(); it != pending_.end(); ++it)
        if (it->spec == mc.spec) {
            kept.draws = std::move(it->draws);
            kept.times = std::move(it->times);
            pending_.erase(it);
            break;
        }
    result_.monte_carlo.push_back(std::move(kept));
}

void CollectingSink::comparison(const Comparison& c) {
    result_.comparisons.push_back(c);
}

void CollectingSink::end(const RunSummary& summary) {
    result_.wall_seconds = summary.wall_seconds;
}

}  // namespace racesim
