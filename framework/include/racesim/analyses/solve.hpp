// `solve:` — goal seek: the value of one parameter of a scenario at which a target is reached at
// a given time, found by TOMS 748 on ln C(at) - ln C_target (each evaluation a simulation to
// `at`); the scenario then runs at the value found in place of the declared one. An analysis
// module (racesim/run/analysis.hpp): framework/src/analyses/solve/. Its table: solve.csv; its
// object in the scenario's entry of summary.json: "solve".
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "racesim/run/analysis.hpp"

namespace racesim {

/// What `solve:` said.
struct SolveSpec final : AnalysisSpec {
    std::string path;
    Mark path_mark;
    double lo = 0, hi = 0;  ///< bracket
    Mark bracket_mark;
    double at = 0;           ///< yr
    std::size_t target = 0;  ///< index into the scenario's targets
    bool log_scale = false;
    double tolerance = 1e-12;  ///< relative, on the parameter (the declared default: solve_keys)
};

/// The outcome of a scenario's goal seek: one row of solve.csv.
struct SolveResult {
    SolveSpec spec;
    bool found = false;
    double value = 0;            ///< the parameter value that reaches the target at spec.at
    std::string message;         ///< why nothing was found
    double g_lo = 0, g_hi = 0;   ///< ln(C(at)/C_target) at the ends of the bracket
    double lo = 0, hi = 0;       ///< the final bracket around the root
    int evaluations = 0;         ///< simulations run
    std::optional<double> time;  ///< time to target of the scenario re-run at `value` (check: = at)
    std::string scenario;        ///< the scenario's name
    std::string target;          ///< the target's label
};

/// Goal seek on scenario `sc` with its `solve:` block `spec`: the value of spec.path in its
/// bracket at which target spec.target is reached at exactly spec.at.
SolveResult solve(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, const SolveSpec& spec);
/// The same, with the scenario's own `solve:` block.
SolveResult solve(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc);

/// The module (one instance for the program's lifetime).
const Analysis& solve_analysis();
/// Its block's keys, and those of its `target:`.
const KeyBlock& solve_keys();
const KeyBlock& solve_target_keys();

}  // namespace racesim
