// A scenario's models: instantiated from its resolved plugin selections, and instantiated
// again with some parameters changed (sweeps, goal seek, sensitivity). Nothing here reads YAML.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/core/diagnostics.hpp"

namespace racesim {

/// Creates the scenario's models from its selections (C0, the loss at C0, the targets'
/// compute thresholds, the reference) and fills `sc.resolved`. Returns the problems found,
/// each at the position of the value that caused it; `sc.model` is complete only when none.
std::vector<Diagnostic> instantiate(ScenarioSpec& sc, const Registry& registry, bool describe = true);

/// A parameter path of a scenario, split: block "efficiency", "power", "loss" or "baseline".
struct ParameterPath {
    std::string block;
    std::string name;
};

/// Splits and checks `path` against the scenario's plugin schemas. On failure returns
/// nullopt and sets `why` (with a did-you-mean where one is close).
std::optional<ParameterPath> parse_parameter_path(const ScenarioSpec& sc, const std::string& path, std::string& why);

/// Every path a sweep, a goal seek or a sensitivity run may change in this scenario.
std::vector<std::string> parameter_paths(const ScenarioSpec& sc);

/// The schema entry of a plugin parameter path (nullptr for baseline.tau / baseline.C0).
const plugin::ParamSpec* parameter_spec(const ScenarioSpec& sc, const ParameterPath& p);

/// The current numeric value of a path (nullopt when it is unset or not numeric).
std::optional<double> parameter_value(const ScenarioSpec& sc, const std::string& path);

/// Checks a value for a path: the plugin's constraint, or tau > -1 / C0 > 0. Returns the
/// reason it is refused, or "" when it is admissible.
std::string check_parameter_value(const ScenarioSpec& sc, const std::string& path, const plugin::Value& v);

/// A copy of `base` named `name` with the assignments applied and its models instantiated
/// anew (the copy records the assignments in `sweep` only when `record` is true).
/// Throws ConfigError with diagnostics at the assignments' marks when a value is refused.
/// `describe = false` skips `resolved` (for Monte Carlo samples, which are never written whole).
ScenarioSpec with_parameters(const ScenarioSpec& base, const std::vector<Assignment>& assignments,
                             const std::string& name, const Registry& registry, bool record = true,
                             bool describe = true);

/// The number of scenarios an experiment runs: each declared scenario, a swept one counted
/// as the number of scenarios of its sweep.
std::size_t scenario_count(const Experiment& ex);

/// A scenario of a run: a declared one (`spec` points into the experiment), or one of a sweep,
/// made for the occasion and owned here.
struct ScenarioRef {
    const ScenarioSpec* spec = nullptr;
    std::shared_ptr<const ScenarioSpec> owned;
    std::size_t declared = 0;  ///< the index of its declared scenario in ex.scenarios
};

/// Scenario i of the run (0 <= i < scenario_count(ex)): declared scenarios in file order, a
/// sweep's scenarios in its order. A swept scenario is instantiated now (with `resolved` only
/// when `describe`), keeps the declared scenario's solve and sensitivity, and records its
/// values in `sweep`. Throws ConfigError (at the sweep values' marks) when its combination of
/// values is refused.
ScenarioRef expand(const Experiment& ex, std::size_t i, bool describe = true);

/// Rounds to 15 significant digits (generated sweep values: 0.1 + 2·0.1 is 0.3).
double clean_decimal(double x);

/// "loss=0.68" or "R=0.5": a target's label in tables and column names.
std::string target_label(const TargetSpec& t);

}  // namespace racesim
