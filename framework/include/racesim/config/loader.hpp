// YAML text -> Document (syntax, duplicate keys) -> Experiment (validated against the
// plugin schemas). Every problem is collected as a diagnostic with file:line:col.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/config/keys.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/plugins/registry.hpp"

namespace racesim {

/// Format version this racesim reads.
inline constexpr int config_format_version = 1;

struct Document {
    std::filesystem::path path;  ///< as given by the user (also used in messages)
    YAML::Node root;
};

/// Limits that keep hostile input cheap to reject.
struct DocumentLimits {
    std::size_t max_nodes = 200'000;  ///< nodes visited, counting every alias expansion
    std::size_t max_depth = 64;
    std::uintmax_t max_bytes = 16u << 20;
};

/// Reads and parses a config file; reports syntax errors and duplicate keys.
std::optional<Document> parse_document(const std::filesystem::path& path, Diagnostics& diags,
                                       const DocumentLimits& limits = {});

/// Same, from text already in memory (`path` is used for messages only).
std::optional<Document> parse_document_text(const std::string& text, const std::filesystem::path& path,
                                            Diagnostics& diags, const DocumentLimits& limits = {});

/// The `plugin_paths:` of a document, relative ones taken relative to the config's directory.
/// Each must be an existing directory inside the config's own directory tree or inside one of
/// `trusted` (the directories the user named: --plugin-path, RACESIM_PLUGIN_PATH), symbolic
/// links resolved; any other is reported as an error (docs/plugins.md, "Trust").
std::vector<std::filesystem::path> document_plugin_paths(const Document& doc, Diagnostics& diags,
                                                         const std::vector<std::filesystem::path>& trusted = {});

/// The keys the loader accepts at the top level, in a scenario (with `analyses`) and under
/// `defaults:`: the declared ones (racesim/config/keys.hpp), from which the JSON Schema is
/// generated too (tests/unit/test_framework_keys.cpp keeps them in sync).
std::vector<std::string> accepted_top_level_keys(const AnalysisKinds& analyses = {});
std::vector<std::string> accepted_scenario_keys(const AnalysisKinds& analyses = {});
const std::vector<std::string>& accepted_defaults_keys();

/// Checks a scenario beyond its schemas and returns the problems found, each at the position
/// of the value that caused it. racesim::model_check (racesim/model/model.hpp) builds its models.
using ScenarioCheck = std::function<std::vector<Diagnostic>(const ScenarioSpec&)>;

/// Validates a document against the plugin schemas in `registry`. `check`, when given, is
/// asked about each scenario as it is resolved, and about each combination of values of a
/// sweep of up to ExperimentLimits::check_combinations scenarios; its problems are reported
/// in place, in file order. `analyses` are the analysis modules a scenario may use (their
/// keys join the scenario's; racesim/config/analysis.hpp). The experiment's `plugin_paths`
/// are left for the caller to set.
std::optional<Experiment> validate(const Document& doc, const Registry& registry, Diagnostics& diags,
                                   const ExperimentLimits& limits = {}, const ScenarioCheck& check = {},
                                   const AnalysisKinds& analyses = {});

}  // namespace racesim
