// Sweep statistics (SweepStats, racesim/output/writer.hpp): what summary.json and the table say
// about a sweep whose scenarios are not listed one by one.
#pragma once

#include "racesim/output/writer.hpp"

namespace racesim {

/// Counts one scenario of the sweep: its targets, its worst errors against the reference, its
/// goal seek.
void add_scenario(SweepStats& st, const ScenarioResult& r);

/// Counts the rows of a vectorised sweep, and marks the sweep vectorised.
void add_rows(SweepStats& st, const SweepRows& rows);

}  // namespace racesim
