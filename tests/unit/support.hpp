// Shared helpers of the unit tests: the built plugins, loading a config from text, messages.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include "racesim/analyses/builtin.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/model/model.hpp"

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

/// Builds models from the built plugins.
inline const ModelBuilder& models() {
    static const ModelBuilder builder(registry());
    return builder;
}

/// The live models of a scenario (throws ConfigError when they cannot be built).
inline Model model(const ScenarioSpec& sc) {
    return models().build(sc);
}

/// Parses and validates a config given as text (named "t.yaml" in messages), its models
/// checked as a Session checks them.
inline std::optional<Experiment> load(const std::string& text, Diagnostics& d, ExperimentLimits lim = {}) {
    auto doc = parse_document_text(text, "t.yaml", d);
    if (!doc) return std::nullopt;
    return validate(*doc, registry(), d, lim, model_check(registry()), builtin_analyses());
}

/// Everything the diagnostics would print.
inline std::string messages(const Diagnostics& d) {
    std::ostringstream os;
    d.print(os);
    return os.str();
}

}  // namespace racesim::test
