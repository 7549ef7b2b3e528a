// Human- and machine-readable descriptions of plugin types, generated from their schemas, and
// of the framework's own config keys, generated from their declarations.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "racesim/plugins/registry.hpp"

namespace racesim {

std::string describe_text(const PluginEntry& e);
std::string describe_markdown(const PluginEntry& e);
nlohmann::ordered_json describe_json(const PluginEntry& e);

/// The framework's config keys (racesim/config/keys.hpp), every block: `racesim describe
/// --config-keys`; the Markdown is docs/reference/config-keys.md.
std::string describe_config_keys_text();
std::string describe_config_keys_markdown();
nlohmann::ordered_json describe_config_keys_json();

}  // namespace racesim
