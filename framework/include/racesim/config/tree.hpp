// A config given as an in-memory tree (a dict from Python, a JSON document) is written as YAML
// flow text, one token per line, and read by the same parser and validator as a file. The
// SourceMap turns a position in that text back into the key path that the user wrote, so
// that a diagnostic names "scenarios[0].efficiency.gamma" instead of a line of text they never saw.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "racesim/core/diagnostics.hpp"

namespace racesim {

class SourceMap {
public:
    /// The key path of the node at (line, column) (1-based) of the text, or of the nearest node
    /// before it; "" for the root.
    [[nodiscard]] std::string path_at(int line, int column) const;
    /// Rewrites a mark into `file` of the text into one that names the key path.
    [[nodiscard]] Mark remap(const Mark& m, const std::string& file) const;
    /// Rewrites every mark (and note mark) of the diagnostics that points into `file`.
    [[nodiscard]] Diagnostics remap(const Diagnostics& d, const std::string& file) const;

    /// Records that the node with this key path starts at (line, column).
    void add(int line, int column, std::string path);

private:
    std::vector<std::pair<std::pair<int, int>, std::string>> positions_;  ///< sorted by position
};

/// YAML flow text equal to `tree` (strings double-quoted, numbers exact to the last bit, NaN
/// and infinities as .nan/.inf), and where each node starts in it.
std::string tree_to_yaml(const nlohmann::ordered_json& tree, SourceMap& map);

}  // namespace racesim
