// Shared helpers of the unit tests: the built plugins, loading a config from text, messages.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include "racesim/config/loader.hpp"

namespace racesim::test {

/// The registry of the built plugins (loaded once).
inline const Registry& registry() {
    static const Registry reg = [] {
        Registry r;
        r.load_directories({RACESIM_PLUGIN_DIR});
        return r;
    }();
    return reg;
}

/// Parses and validates a config given as text (named "t.yaml" in messages).
inline std::optional<Experiment> load(const std::string& text, Diagnostics& d, ExperimentLimits lim = {}) {
    auto doc = parse_document_text(text, "t.yaml", d);
    if (!doc) return std::nullopt;
    return validate(*doc, registry(), d, lim);
}

/// Everything the diagnostics would print.
inline std::string messages(const Diagnostics& d) {
    std::ostringstream os;
    d.print(os);
    return os.str();
}

}  // namespace racesim::test
