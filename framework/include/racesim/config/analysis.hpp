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

/// What an analysis block of a scenario said, validated. Each module derives its own.
struct AnalysisSpec {
    virtual ~AnalysisSpec() = default;
    /// The module that read it (never null; modules live as long as the program).
    const AnalysisKind* kind = nullptr;
    Mark mark;  ///< where the block was written
};

/// An analysis as the config sees it. Stateless: one const instance per kind.
class AnalysisKind {
public:
    virtual ~AnalysisKind() = default;
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
};

/// The analysis kinds a config may use, in the order their results are reported.
using AnalysisKinds = std::vector<const AnalysisKind*>;

/// The spec of kind `K` in a scenario, or null: `find_analysis<SensitivitySpec>(sc)`.
template <class Spec>
[[nodiscard]] const Spec* find_analysis(const ScenarioSpec& sc) {
    for (const auto& a : sc.analyses)
        if (const auto* s = dynamic_cast<const Spec*>(a.get())) return s;
    return nullptr;
}

}  // namespace racesim
