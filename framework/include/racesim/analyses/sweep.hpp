// `sweep:` — one scenario per value (or combination of values) of parameter paths. An analysis
// module that plans (racesim/config/analysis.hpp, AnalysisKind::plans): its block is read around
// the building of the declared scenario, whose parameters take each axis's first value, and what
// it makes is the scenario's plan (ScenarioSpec::sweep_plan, a SweepPlan): the scenarios the
// declared one stands for, made one at a time when they run (racesim::expand). The run evaluates
// them like any other scenarios, or as vectorised batches where the reference can; the results
// directory lists them in sweep.csv with a column per axis. framework/src/analyses/sweep/.
#pragma once

#include "racesim/run/analysis.hpp"

namespace racesim {

/// The module (one instance for the program's lifetime).
const Analysis& sweep_analysis();
/// Its block's keys, and those of a generated range of values.
const KeyBlock& sweep_keys();
const KeyBlock& sweep_range_keys();

}  // namespace racesim
