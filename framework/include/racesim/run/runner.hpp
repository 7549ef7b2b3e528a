// Experiment -> Results: integrates every scenario, finds the time to each target and
// compares with the scenario's reference model. Knows nothing of YAML or of file formats.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/integrate/integrator.hpp"

namespace racesim {

struct Row {
    double t, C, E, P, L, R;
    std::optional<double> R_ref, rel_err;
    std::vector<double> aux;  ///< one value per Model::auxiliary quantity
};

struct TargetResult {
    TargetSpec spec;
    double loss = 0;      ///< the target as a loss, nats/token
    double relative = 0;  ///< the target as L / L(C0)
    bool reached = false;
    std::optional<double> time;  ///< yr, when reached within the horizon
    bool unreachable = false;    ///< proven never reached at any time (by the reference)
    bool has_reference = false;
    std::optional<double> reference_time;
    std::optional<double> time_rel_err;  ///< |t - t_ref| / t_ref (absolute when t_ref = 0)
};

struct ScenarioResult {
    const ScenarioSpec* spec = nullptr;
    std::vector<Row> rows;
    std::vector<TargetResult> targets;
    std::optional<double> max_rel_err;  ///< max |R/R_ref - 1| over the rows
    std::optional<double> max_rel_err_time;
    IntegrationStats stats;
    double wall_seconds = 0;
};

struct RunResult {
    const Experiment* experiment = nullptr;
    std::vector<ScenarioResult> scenarios;
    double wall_seconds = 0;
};

/// A scenario's output grid: 0, every, 2·every, ..., its horizon, and every extra time exactly.
std::vector<double> output_grid(const Experiment& ex, const ScenarioSpec& sc);

ScenarioResult run_scenario(const Experiment& ex, const ScenarioSpec& sc);
RunResult run_experiment(const Experiment& ex);

}  // namespace racesim
