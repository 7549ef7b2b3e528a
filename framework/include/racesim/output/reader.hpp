// Reads a results directory written by racesim back into series (for `racesim compare`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "racesim/analysis/compare.hpp"

namespace racesim {

/// The names of the scenarios in a results directory (from its summary.json).
std::vector<std::string> result_scenarios(const std::filesystem::path& dir);

/// One scenario's series from a results directory. Throws RunError naming the file and line
/// when the directory is not racesim results or a file is malformed, and, for an unknown
/// scenario, lists the ones there are.
Series read_series(const std::filesystem::path& dir, const std::string& scenario);

}  // namespace racesim
