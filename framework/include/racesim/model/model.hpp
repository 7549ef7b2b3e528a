// Experiment + registry -> live models: the one place where a scenario's plain description
// (racesim/config/experiment.hpp) becomes plugin objects. The validator asks this layer to
// check each scenario (model_check); the runner, goal seek, sensitivity, Monte Carlo and the
// vectorised sweeps ask it to build the scenarios they run.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/config/loader.hpp"  // ScenarioCheck
#include "racesim/core/diagnostics.hpp"
#include "racesim/plugin/models.hpp"
#include "racesim/plugins/registry.hpp"

namespace racesim {

/// The live models of one scenario. The plugin objects keep their libraries loaded.
struct Model {
    std::shared_ptr<const plugin::RateModel> efficiency;
    std::shared_ptr<const plugin::RateModel> power;
    std::shared_ptr<const plugin::LossLaw> loss;
    std::shared_ptr<const plugin::ReferenceModel> reference;  ///< null when the scenario has none
    double C0 = 0;                                            ///< PFLOP (effective compute at t = 0)
    double log_C0 = 0;
    double L_start = 0;                       ///< L(C0): R = L / L_start
    std::vector<plugin::Quantity> auxiliary;  ///< loss->auxiliary(): extra trajectory columns
    /// While it (or a copy) lives, the worker's breadcrumb says its thread runs this scenario
    /// (WorkerTrace::scenario); null without a trace.
    std::shared_ptr<const void> activity;
    /// A(t), the multiplier of effective compute; null when the scenario has no `algorithms:`.
    std::shared_ptr<const plugin::RateModel> algorithms;
    /// ln C_physical(0) = ln C0 - ln A(0) (docs/model.md, "Effective compute"); ln C0 without algorithms.
    double log_C0_physical = 0;
    /// Each rate model comes from a library listed as having passed the plugin contract tests
    /// (LoadedLibrary::contract_tested).
    bool efficiency_contract_tested = false, power_contract_tested = false, algorithms_contract_tested = false;

    /// The loss a target stands for: its value, or (relative) its value times L(C0).
    [[nodiscard]] double target_loss(const TargetSpec& t) const {
        return t.kind == TargetSpec::Kind::loss ? t.value : t.value * L_start;
    }
};

/// A scenario ready to run: its description and its live models. `spec` points into the
/// experiment (a declared scenario) or into `owned` (one made for the occasion: a sweep's,
/// a goal seek's, a sample's).
struct ScenarioInstance {
    const ScenarioSpec* spec = nullptr;
    std::shared_ptr<const ScenarioSpec> owned;
    std::size_t declared = 0;  ///< the index of its declared scenario in the experiment
    Model model;
};

/// Builds models from a registry. Cheap to copy; the registry must outlive it and every
/// experiment it builds for.
class ModelBuilder {
public:
    /// `max_breakpoints`: the most breakpoints a rate model may declare over a scenario's
    /// horizon (ExperimentLimits::max_breakpoints); more is a diagnostic at its block.
    explicit ModelBuilder(const Registry& registry, std::size_t max_breakpoints = ExperimentLimits{}.max_breakpoints)
        : registry_(&registry), max_breakpoints_(max_breakpoints) {}

    [[nodiscard]] const Registry& registry() const { return *registry_; }

    /// The problems that keep `sc`'s models from being built, each at the position of the value
    /// that caused it: C0, a plugin refusing its parameters, L(C0), targets the loss law cannot
    /// express, a reference that does not apply. Empty when the models can be built.
    /// Throws PluginError for a plugin fault (not a config problem).
    [[nodiscard]] std::vector<Diagnostic> check(const ScenarioSpec& sc) const;

    /// The models of `sc`; throws ConfigError with check()'s diagnostics when they cannot be built.
    [[nodiscard]] Model build(const ScenarioSpec& sc) const;

    /// A declared scenario of the experiment, with its models (`spec` points at `sc`).
    [[nodiscard]] ScenarioInstance instance(const ScenarioSpec& sc, std::size_t declared = 0) const;

    /// Scenario i of the run (racesim::expand) with its models. A sweep's combination of values
    /// that is refused throws ConfigError, noting which scenario of which sweep it is.
    [[nodiscard]] ScenarioInstance expand(const Experiment& ex, std::size_t i) const;

    /// racesim::with_parameters, then the models (throws ConfigError when either refuses).
    [[nodiscard]] ScenarioInstance with_parameters(const ScenarioSpec& base, const std::vector<Assignment>& assignments,
                                                   const std::string& name, bool record = true) const;

    /// The registry entry a block names (nullptr when its type is not in the registry).
    [[nodiscard]] const PluginEntry* entry(const BlockSpec& b, plugin::Kind kind) const;

private:
    std::vector<Diagnostic> build(const ScenarioSpec& sc, Model& m) const;
    const Registry* registry_;
    std::size_t max_breakpoints_;
};

/// The validator's model check (racesim::validate): builds each scenario's models with
/// `registry` and reports why they cannot be built. The builder's registry must outlive it.
ScenarioCheck model_check(const Registry& registry, const ExperimentLimits& limits = {});

/// How many breakpoints a rate model declares in (0, horizon), found without asking for more
/// than about `budget` at once: the model is asked about windows [0, w] that double from
/// horizon·2^-32 (16-fold while empty), and the count is extrapolated. Returns the exact count when it is at most
/// `budget`, else an estimate above `budget` (a lower bound when the count in a window
/// already exceeds it). Best effort for a model whose breakpoints crowd at the end.
struct BreakpointCount {
    double count = 0;   ///< exact, or the estimate over the horizon
    bool exact = true;  ///< false: extrapolated from the window below
    double window = 0;  ///< yr: the window the estimate comes from
    std::size_t in_window = 0;
};
BreakpointCount count_breakpoints(const plugin::RateModel& m, double horizon, std::size_t budget);

}  // namespace racesim
