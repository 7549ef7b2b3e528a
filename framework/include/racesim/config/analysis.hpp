// The configuration half of an analysis module: the key it answers to in a scenario
// (`sensitivity:`), the declaration of its block's keys, and the reading of that block with
// positions. What the block said is an AnalysisSpec of the module's own type, which the
// scenario carries (ScenarioSpec::analyses) as a plain value. The run half (racesim/run/analysis.hpp)
// adds what the analysis does with a scenario and the table it writes.
//
// The loader knows no analysis by name: the kinds it is given (validate's `analyses`) are the
// ones a config may use, and their keys join the scenario's keys. docs/architecture.md, "Add
// an analysis", shows the steps.
#pragma once

#include <any>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/config/keys.hpp"
#include "racesim/core/diagnostics.hpp"

namespace YAML {
class Node;
}

namespace racesim {

class AnalysisKind;
class BlockReader;  // racesim/config/block_reader.hpp: a module's read() includes it
struct StandIn;     // racesim/config/block_reader.hpp

/// What an analysis that plans (AnalysisKind::plans) sees of the experiment while its block is
/// read, and what it tells the loader.
struct PlanContext {
    const ExperimentLimits& limits;
    std::size_t scenarios_before = 0;  ///< the experiment's scenarios so far, each plan counted by its size
    bool over_limit = false;           ///< set by a plan refused for exceeding limits.max_scenarios
};

/// What an analysis block of a scenario said, validated. Each module derives its own.
struct AnalysisSpec {
    virtual ~AnalysisSpec() = default;
    /// The module that read it (never null; modules live as long as the program).
    const AnalysisKind* kind = nullptr;
    Mark mark;  ///< where the block was written
};

/// Where an analysis's block is written: in a scenario (`sensitivity:`), or once at the top
/// level of the config, for the whole experiment (`compare:`).
enum class AnalysisScope { scenario, experiment };

/// An analysis as the config sees it. Stateless: one const instance per kind.
class AnalysisKind {
public:
    virtual ~AnalysisKind() = default;
    /// Where its block is written (a scenario by default).
    [[nodiscard]] virtual AnalysisScope scope() const { return AnalysisScope::scenario; }
    /// Its key in a scenario ("sensitivity"); unique among the kinds a session knows.
    [[nodiscard]] virtual const std::string& key() const = 0;
    /// Its block's keys, declared like the framework's own (validation of unknown keys, the
    /// JSON Schema and docs/reference/config-keys.md come from it).
    [[nodiscard]] virtual const KeyBlock& keys() const = 0;
    /// Reads its block `node` of scenario `base` (resolved: defaults, extends, the first value
    /// of each swept path). Reports every problem through `r` and returns null when there is
    /// one. It may add a target to `base` (a goal seek aims at one).
    [[nodiscard]] virtual std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& node,
                                                                   ScenarioSpec& base) const = 0;
    /// Once the whole experiment has been read without error (every scenario with its other
    /// blocks, `sample:` included): the checks of `spec`, in declared scenario `sc`, that need
    /// more than its own block (another scenario, the sample block, the limits). Reports into
    /// `d`, with positions, so that `racesim validate` finds them. None by default.
    virtual void check(const AnalysisSpec& spec, const ScenarioSpec& sc, const Experiment& ex, Diagnostics& d) const;

    // An analysis of the whole experiment (scope() == experiment) instead:

    /// The shape of its top-level key: a block, or a list of blocks (`compare: [{a, b}, ...]`),
    /// each item declared by keys().
    [[nodiscard]] virtual KeyShape shape() const { return KeyShape::block; }
    /// What its key says in the key reference and the JSON Schema (its block's doc by default).
    [[nodiscard]] virtual std::string key_doc() const { return keys().doc(); }
    /// Reads its top-level block `node`, before the scenarios are read. Reports every problem
    /// through `r` and returns null when there is one.
    [[nodiscard]] virtual std::shared_ptr<const AnalysisSpec> read_experiment(const BlockReader& r,
                                                                              const YAML::Node& node) const;
    /// Once the scenarios have been read (whether or not they had errors, so that a misnamed
    /// scenario is reported with the rest): the checks of `spec` against them.
    virtual void check_experiment(const AnalysisSpec& spec, const Experiment& ex, Diagnostics& d) const;

    // An analysis that plans (plans() true: `sweep:`) makes its declared scenario stand for the
    // scenarios of a plan (ScenarioSpec::sweep_plan), which every part of a run follows. Its block
    // is read in two steps around the building of the scenario, instead of read(); the scenario
    // keeps the plan, and the analysis is not among its analyses.

    [[nodiscard]] virtual bool plans() const { return false; }
    /// Step 1, before scenario `scenario` is built: reads block `node`, reports its problems
    /// through `r` and returns false when there is one; else appends to `out` the parameter values
    /// that stand in the declared scenario (a sweep's first values), which the loader checks
    /// against the scenario's blocks. What it keeps for step 2 goes to `state`.
    virtual bool stand_ins(const BlockReader& r, const YAML::Node& node, const std::string& scenario,
                           const PlanContext& ctx, std::vector<StandIn>& out, std::any& state) const;
    /// Step 2, once scenario `base` is built with the stand-ins: the plan, or null after reporting
    /// its problems through `r` (setting ctx.over_limit when it has too many scenarios: the loader
    /// then reads no further scenario). The loader then checks each of the plan's scenarios when
    /// there are at most limits.check_combinations of them.
    [[nodiscard]] virtual std::shared_ptr<const SweepPlan> plan(const BlockReader& r, const ScenarioSpec& base,
                                                                PlanContext& ctx, std::any& state) const;
};

/// The analysis kinds a config may use, in the order their results are reported.
using AnalysisKinds = std::vector<const AnalysisKind*>;

/// The spec of kind `K` among the experiment's own analyses (top-level blocks), or null.
template <class Spec>
[[nodiscard]] const Spec* find_analysis(const Experiment& ex) {
    for (const auto& a : ex.analyses)
        if (const auto* s = dynamic_cast<const Spec*>(a.get())) return s;
    return nullptr;
}

/// The spec of kind `K` in a scenario, or null: `find_analysis<SensitivitySpec>(sc)`.
template <class Spec>
[[nodiscard]] const Spec* find_analysis(const ScenarioSpec& sc) {
    for (const auto& a : sc.analyses)
        if (const auto* s = dynamic_cast<const Spec*>(a.get())) return s;
    return nullptr;
}

}  // namespace racesim
