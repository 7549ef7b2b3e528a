// A validated experiment: every scenario resolved (defaults, extends), every plugin block
// checked against its schema and instantiated. Nothing downstream reads YAML.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "racesim/core/diagnostics.hpp"
#include "racesim/plugin/models.hpp"
#include "racesim/plugins/registry.hpp"

namespace racesim {

/// A plugin named in a scenario, with its resolved parameters.
struct BlockSpec {
    plugin::Selection selection;  ///< type + resolved params (defaults filled in)
    const PluginEntry* entry = nullptr;
    Mark mark;
};

struct TargetSpec {
    enum class Kind { loss, relative } kind = Kind::loss;
    double value = 0;
    Mark mark;
};

/// The instantiated models of one scenario. The plugin objects keep their libraries loaded.
struct Model {
    std::shared_ptr<const plugin::RateModel> efficiency;
    std::shared_ptr<const plugin::RateModel> power;
    std::shared_ptr<const plugin::LossLaw> loss;
    std::shared_ptr<const plugin::ReferenceModel> reference;  ///< may be null
    double C0 = 0;                                            ///< PFLOP
    double log_C0 = 0;
    double L_start = 0;                       ///< L(C0): R = L / L_start
    std::vector<plugin::Quantity> auxiliary;  ///< loss->auxiliary(): extra trajectory columns
};

struct ScenarioSpec {
    std::string name;
    Mark mark;
    double horizon = 0;  ///< yr: the scenario's own `horizon:`, else the experiment's
    BlockSpec efficiency, power, loss;
    std::optional<BlockSpec> reference;
    std::optional<double> tau;  ///< set when C0 = E0·P0·(1+tau)·1 yr
    std::optional<double> C0;   ///< set when given explicitly
    std::vector<TargetSpec> targets;
    Model model;
    nlohmann::ordered_json resolved;  ///< the scenario as resolved, for summary.json
};

struct OutputSpec {
    std::optional<double> every;  ///< grid step, yr; default: each scenario's horizon / 300
    std::vector<double> times;    ///< extra exact times
};

struct SolverSpec {
    double rel_tol = 1e-10;
    double abs_tol = 0;                  ///< PFLOP
    std::int64_t max_steps = 1'000'000;  ///< per segment
};

struct Experiment {
    std::filesystem::path file;
    std::string name;
    double horizon = 0;
    OutputSpec output;
    SolverSpec solver;
    std::vector<ScenarioSpec> scenarios;
    nlohmann::ordered_json resolved;  ///< the whole experiment as resolved
};

}  // namespace racesim
