// A JSON Schema (draft 2020-12) for racesim config files, generated from the loaded plugins'
// schemas, so that editors validate and complete racesim YAML. `racesim describe
// --json-schema` prints it; docs/reference/racesim-config.schema.json is its committed output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "racesim/plugins/registry.hpp"

namespace racesim {

/// One key of the config language, with the JSON Schema of its value. The top-level and the
/// scenario keys are listed once, in json_schema.cpp (config_keys); extend them there when the
/// loader learns a key (a test compares them with the loader's accepted keys).
struct ConfigKey {
    std::string name;
    nlohmann::ordered_json schema;
    bool per_scenario = false;  ///< a scenario's own key, not allowed in `defaults` (sweep, solve, ...)
};

/// The top-level keys (`racesim`, `name`, `horizon`, ..., `scenarios`) and the keys of one
/// scenario (`name`, `extends`, `efficiency`, ...), given the plugin-derived block schemas.
std::vector<ConfigKey> top_level_config_keys(const Registry& registry);
std::vector<ConfigKey> scenario_config_keys(const Registry& registry);

/// The whole schema document.
nlohmann::ordered_json config_json_schema(const Registry& registry);

/// The JSON Schema of one parameter's value.
nlohmann::ordered_json parameter_json_schema(const plugin::ParamSpec& p);

}  // namespace racesim
