// A JSON Schema (draft 2020-12) for racesim config files, generated from the framework's key
// declarations (racesim/config/keys.hpp) and the loaded plugins' schemas, so that editors
// validate and complete racesim YAML. `racesim describe --json-schema` prints it;
// docs/reference/racesim-config.schema.json is its committed output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "racesim/config/keys.hpp"
#include "racesim/plugins/registry.hpp"

namespace racesim {

/// One key of the config language, with the JSON Schema of its value. The keys are declared
/// once, in framework/src/config/framework_keys.cpp (racesim/config/keys.hpp); the loader
/// validates them from the same declarations.
struct ConfigKey {
    std::string name;
    nlohmann::ordered_json schema;
    bool per_scenario = false;  ///< a scenario's own key, not passed on by `defaults` or `extends` (sweep, solve, ...)
};

/// The top-level keys (`racesim`, `name`, `horizon`, ..., `scenarios`) and the keys of one
/// scenario (`name`, `extends`, `efficiency`, ..., and the key of each of `analyses`), given
/// the plugin-derived block schemas.
std::vector<ConfigKey> top_level_config_keys(const Registry& registry, const AnalysisKinds& analyses = {});
std::vector<ConfigKey> scenario_config_keys(const Registry& registry, const AnalysisKinds& analyses = {});

/// The whole schema document.
nlohmann::ordered_json config_json_schema(const Registry& registry, const AnalysisKinds& analyses = {});

/// The JSON Schema of one parameter's value.
nlohmann::ordered_json parameter_json_schema(const plugin::ParamSpec& p);

/// The JSON Schema of a declared framework key's value, and of a declared block of keys.
nlohmann::ordered_json key_json_schema(const KeySpec& key, const Registry& registry);
nlohmann::ordered_json key_block_json_schema(const KeyBlock& block, const Registry& registry);

}  // namespace racesim
