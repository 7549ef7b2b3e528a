// Human- and machine-readable descriptions of plugin types, generated from their schemas (the
// framework's own config keys: racesim/config/describe_keys.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "racesim/plugins/registry.hpp"

namespace racesim {

std::string describe_text(const PluginEntry& e);
std::string describe_markdown(const PluginEntry& e);
nlohmann::ordered_json describe_json(const PluginEntry& e);

/// A parameter value as text ("0.5", "true", "3 rows").
std::string value_text(const plugin::Value& v);

}  // namespace racesim
