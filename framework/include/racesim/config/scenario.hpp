// Scenarios as values: a scenario's parameters read, checked and changed (sweeps, goal seek,
// sensitivity, samples), and a sweep's scenarios made one at a time. Nothing here reads YAML or
// builds a plugin object: racesim/model/model.hpp turns a scenario into live models.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/core/diagnostics.hpp"

namespace racesim {

/// The baseline compute C0 in PFLOP: the given one, or E0 · P0 · (1 + tau) · 1 yr (nullopt when
/// tau is given but the efficiency has no E0 or the power no P0).
std::optional<double> baseline_compute(const ScenarioSpec& sc);

/// A parameter path of a scenario, split: block "efficiency", "power", "loss" or "baseline".
struct ParameterPath {
    std::string block;
    std::string name;
};

/// Splits and checks `path` against the scenario's plugin schemas. On failure returns
/// nullopt and sets `why` (with a did-you-mean where one is close).
std::optional<ParameterPath> parse_parameter_path(const ScenarioSpec& sc, const std::string& path, std::string& why);

/// The block of a scenario that a parameter path starts with ("efficiency", "power", "loss",
/// "algorithms"); nullptr for any other (baseline) or an absent algorithms block.
BlockSpec* block_of(ScenarioSpec& sc, const std::string& block);
const BlockSpec* block_of(const ScenarioSpec& sc, const std::string& block);

/// Every path a sweep, a goal seek or a sensitivity run may change in this scenario.
std::vector<std::string> parameter_paths(const ScenarioSpec& sc);

/// The schema entry of a plugin parameter path (nullptr for baseline.tau / baseline.C0).
const plugin::ParamSpec* parameter_spec(const ScenarioSpec& sc, const ParameterPath& p);

/// The current numeric value of a path (nullopt when it is unset or not numeric).
std::optional<double> parameter_value(const ScenarioSpec& sc, const std::string& path);

/// Checks a value for a path: the plugin's constraint, or tau > -1 / C0 > 0. Returns the
/// reason it is refused, or "" when it is admissible.
std::string check_parameter_value(const ScenarioSpec& sc, const std::string& path, const plugin::Value& v);

/// A copy of `base` named `name` with the assignments applied, each checked against its
/// parameter's schema (the copy records the assignments in `sweep` only when `record` is true;
/// it has no solve, sample or analyses). Throws ConfigError with diagnostics at the
/// assignments' marks when a value is refused. Its models are checked by the model layer.
ScenarioSpec with_parameters(const ScenarioSpec& base, const std::vector<Assignment>& assignments,
                             const std::string& name, bool record = true);

/// The number of scenarios an experiment runs: each declared scenario, a swept one counted
/// as the number of scenarios of its sweep.
std::size_t scenario_count(const Experiment& ex);

/// A scenario of a run: a declared one (`spec` points into the experiment), or one of a sweep,
/// made for the occasion and owned here.
struct ScenarioRef {
    const ScenarioSpec* spec = nullptr;
    std::shared_ptr<const ScenarioSpec> owned;
    std::size_t declared = 0;     ///< the index of its declared scenario in ex.scenarios
    std::size_t sweep_index = 0;  ///< a sweep's scenario: its index in the sweep
};

/// Scenario i of the run (0 <= i < scenario_count(ex)): declared scenarios in file order, a
/// sweep's scenarios in its order. A swept scenario is made now, keeps the declared scenario's
/// solve and sensitivity, and records its values in `sweep`. Throws ConfigError (at the sweep
/// values' marks, noted with in_sweep) when one of its values is refused.
ScenarioRef expand(const Experiment& ex, std::size_t i);

/// `e` with each diagnostic noted as the k-th scenario of the sweep of `declared`.
ConfigError in_sweep(const ConfigError& e, const ScenarioSpec& declared, std::size_t k);

/// Rounds to 15 significant digits (generated sweep values: 0.1 + 2·0.1 is 0.3).
double clean_decimal(double x);

/// "loss=0.68" or "R=0.5": a target's label in tables and column names.
std::string target_label(const TargetSpec& t);

/// The declared sweep of `ex` one of whose scenarios is named `name` ("s[gamma=1]"), or null.
/// Tries the sweep's scenario names one by one: meant for checks, not for a run's inner loop.
const ScenarioSpec* sweep_containing(const Experiment& ex, const std::string& name);

}  // namespace racesim
