// The analysis modules racesim ships: what a session offers a config unless told otherwise.
#pragma once

#include "racesim/run/analysis.hpp"

namespace racesim {

/// The built-in analysis modules, in the order their results are reported
/// (framework/src/analyses/builtin.cpp: one line per module).
const AnalysisKinds& builtin_analyses();

}  // namespace racesim
