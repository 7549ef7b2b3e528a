// What `fit:` compares with the data: a scenario's E, P, C, L or R at given times, the way
// its trajectory CSV defines them (E and P of the segment containing t: at a breakpoint, the
// segment starting there).
#pragma once

#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/model/model.hpp"

namespace racesim::fit {

/// Whether quantity `q` of this scenario needs a simulation (C, L, R; E or P of a model whose
/// rate depends on the state), which starts at t = 0 and ends at the horizon.
bool simulated(char q, const Model& m);

/// Quantity `q` ('E', 'P', 'C', 'L' or 'R') of scenario `inst` at each time of `t` (any order).
/// E and P of a state-independent model are evaluated at any t; the others come from one
/// simulation of [0, horizon] (or the reference with `solver: {method: closed-form}`), and
/// their times must lie in [0, horizon]. Throws RunError when a time does not.
std::vector<double> predict(const Experiment& ex, const ScenarioInstance& inst, char q, const std::vector<double>& t);

}  // namespace racesim::fit
