// Human- and machine-readable descriptions of plugin types, generated from their schemas.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "racesim/plugins/registry.hpp"

namespace racesim {

std::string describe_text(const PluginEntry& e);
std::string describe_markdown(const PluginEntry& e);
nlohmann::ordered_json describe_json(const PluginEntry& e);

}  // namespace racesim
