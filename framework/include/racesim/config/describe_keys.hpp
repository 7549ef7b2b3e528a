// The framework's config keys, every block, described from their declarations
// (racesim/config/keys.hpp): `racesim describe --config-keys`; the Markdown is
// docs/reference/config-keys.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace racesim {

std::string describe_config_keys_text();
std::string describe_config_keys_markdown();
nlohmann::ordered_json describe_config_keys_json();

}  // namespace racesim
