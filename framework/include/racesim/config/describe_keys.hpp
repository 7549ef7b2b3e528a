// The framework's config keys, every block, described from their declarations
// (racesim/config/keys.hpp): `racesim describe --config-keys`; the Markdown is
// docs/reference/config-keys.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "racesim/config/keys.hpp"

namespace racesim {

std::string describe_config_keys_text(const AnalysisKinds& analyses = {});
std::string describe_config_keys_markdown(const AnalysisKinds& analyses = {});
nlohmann::ordered_json describe_config_keys_json(const AnalysisKinds& analyses = {});

}  // namespace racesim
