#include "racesim/plugins/json_schema.hpp"

#include <algorithm>

#include "racesim/plugin/api.hpp"

using nlohmann::ordered_json;

namespace racesim {

namespace {

ordered_json number(const std::string& doc, std::optional<double> exclusive_min = {},
                    std::optional<double> inclusive_min = {}) {
    ordered_json j{{"type", "number"}, {"description", doc}};
    if (exclusive_min) j["exclusiveMinimum"] = *exclusive_min;
    if (inclusive_min) j["minimum"] = *inclusive_min;
    return j;
}

ordered_json number_list(const std::string& doc) {
    return {{"type", "array"}, {"description", doc}, {"items", {{"type", "number"}}}};
}

std::vector<const PluginEntry*> sorted_entries(const Registry& reg, plugin::Kind kind) {
    std::vector<const PluginEntry*> out;
    for (const auto& e : reg.entries())
        if (e.descriptor.kind == kind) out.push_back(&e);
    std::sort(out.begin(), out.end(),
              [](const PluginEntry* a, const PluginEntry* b) { return a->descriptor.type < b->descriptor.type; });
    return out;
}

/// A model block: `type` names a plugin; for each type, only its parameters are allowed.
/// Nothing is required: a block may inherit its type and parameters (`extends`, `defaults`).
ordered_json block_schema(const Registry& reg, plugin::Kind kind, const std::string& what) {
    ordered_json types = ordered_json::array();
    ordered_json cases = ordered_json::array();
    for (const PluginEntry* e : sorted_entries(reg, kind)) {
        const auto& d = e->descriptor;
        types.push_back(d.type);
        ordered_json props{{"type", {{"const", d.type}}}};
        for (const auto& p : d.schema.params()) props[p.name] = parameter_json_schema(p);
        cases.push_back(
            {{"if", {{"properties", {{"type", {{"const", d.type}}}}}, {"required", ordered_json::array({"type"})}}},
             {"then", {{"properties", props}, {"additionalProperties", false}}}});
    }
    ordered_json j{{"type", "object"},
                   {"description", what + " (a plugin: `type` and its parameters)"},
                   {"properties", {{"type", {{"description", "plugin type"}, {"enum", types}}}}}};
    if (!cases.empty()) j["allOf"] = cases;
    return j;
}

ordered_json reference_schema(const Registry& reg) {
    ordered_json types = ordered_json::array();
    for (const PluginEntry* e : sorted_entries(reg, plugin::Kind::reference)) types.push_back(e->descriptor.type);
    return {{"description", "exact solution to compare with: a reference type, {type: ...}, or null to drop one"},
            {"anyOf",
             {{{"type", "string"}, {"enum", types}},
              {{"type", "object"}, {"properties", {{"type", {{"enum", types}}}}}, {"additionalProperties", false}},
              {{"type", "null"}}}}};
}

ordered_json scenario_blocks_schema(const Registry& reg, bool with_name) {
    ordered_json props = ordered_json::object();
    const auto keys = scenario_config_keys(reg);
    for (const auto& k : keys)
        if (with_name || (k.name != "name" && k.name != "extends" && !k.per_scenario)) props[k.name] = k.schema;
    ordered_json j{{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    if (with_name) j["required"] = ordered_json::array({"name"});
    return j;
}

}  // namespace

ordered_json parameter_json_schema(const plugin::ParamSpec& p) {
    ordered_json j;
    std::string doc = p.doc;
    if (!p.unit.empty()) doc += " [" + p.unit + "]";
    if (!p.default_note.empty()) doc += " (default: " + p.default_note + ")";
    switch (p.type) {
        case plugin::ParamType::real:
        case plugin::ParamType::integer:
            j["type"] = p.type == plugin::ParamType::real ? "number" : "integer";
            if (p.lower) j[p.lower->inclusive ? "minimum" : "exclusiveMinimum"] = p.lower->value;
            if (p.upper) j[p.upper->inclusive ? "maximum" : "exclusiveMaximum"] = p.upper->value;
            break;
        case plugin::ParamType::boolean:
            j["type"] = "boolean";
            break;
        case plugin::ParamType::string:
            j["type"] = "string";
            if (!p.choices.empty()) j["enum"] = p.choices;
            break;
        case plugin::ParamType::path:
            j["type"] = "string";
            doc += " (a file; relative to the config file's directory)";
            break;
        case plugin::ParamType::table: {
            const auto n = p.columns.size();
            j["type"] = "array";
            j["minItems"] = 1;
            j["items"] = {{"type", "array"}, {"description", "a row"}, {"prefixItems", ordered_json::array()},
                          {"items", false},  {"minItems", n},          {"maxItems", n}};
            for (const auto& c : p.columns) j["items"]["prefixItems"].push_back({{"type", "number"}, {"title", c}});
            break;
        }
    }
    j["description"] = doc;
    if (p.default_value) std::visit([&](const auto& x) { j["default"] = x; }, *p.default_value);
    return j;
}

std::vector<ConfigKey> scenario_config_keys(const Registry& reg) {
    using plugin::Kind;
    std::vector<ConfigKey> keys{
        {"name", {{"type", "string"}, {"description", "scenario name (unique; names its CSV file)"}}},
        {"extends", {{"type", "string"}, {"description", "name of a scenario whose blocks this one inherits"}}},
        {"horizon", number("this scenario's simulated time span [yr]", 0.0)},
        {"efficiency", block_schema(reg, Kind::efficiency, "efficiency model E(t)")},
        {"power", block_schema(reg, Kind::power, "power schedule P(t)")},
        {"loss", block_schema(reg, Kind::loss, "loss law L(C)")},
        {"reference", reference_schema(reg)},
        {"baseline",
         {{"type", "object"},
          {"description", "{tau} (C0 = E0*P0*(1+tau)*1 yr) or {C0}"},
          {"properties",
           {{"tau", number("perturbation of C0 [yr]", -1.0)}, {"C0", number("baseline compute [PFLOP]", 0.0)}}},
          {"additionalProperties", false}}},
        {"targets",
         {{"type", "object"},
          {"description", "losses to reach: absolute (nats/token) or relative to L(C0)"},
          {"properties",
           {{"loss", number_list("target losses [nats/token]")},
            {"relative", number_list("target relative losses L/L(C0)")}}},
          {"additionalProperties", false}}},
    };
    // The analyses of one scenario (docs/analyses.md, docs/monte-carlo.md): not allowed in `defaults`.
    keys.push_back({"sweep", ordered_json::parse(R"json({
        "type": "object",
        "description": "parameter paths (block.parameter) to values: a list, {from, to, step} or {from, to, count, scale}; zip: true pairs them",
        "properties": {"zip": {"type": "boolean"}},
        "additionalProperties": {"oneOf": [
            {"type": "array", "items": {"type": "number"}, "minItems": 1},
            {"type": "object", "required": ["from", "to"], "additionalProperties": false,
             "properties": {"from": {"type": "number"}, "to": {"type": "number"}, "step": {"type": "number"},
                            "count": {"type": "integer", "minimum": 1}, "scale": {"enum": ["linear", "log"]}}}]}})json"),
                    true});
    keys.push_back({"solve", ordered_json::parse(R"json({
        "type": "object",
        "description": "goal seek: the value of one parameter at which a target is reached at time `at` [yr]",
        "required": ["parameter", "bracket", "at"], "additionalProperties": false,
        "properties": {"parameter": {"type": "string"},
                       "bracket": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                       "at": {"type": "number", "minimum": 0},
                       "target": {"type": "object", "additionalProperties": false,
                                  "properties": {"loss": {"type": "number"}, "relative": {"type": "number"}}},
                       "scale": {"enum": ["linear", "log"]},
                       "tolerance": {"type": "number", "minimum": 1e-15, "maximum": 0.01}}})json"),
                    true});
    keys.push_back({"sensitivity", ordered_json::parse(R"json({
        "type": "object",
        "description": "one-at-a-time sensitivity of the times to target: each parameter moved by +-step (relative)",
        "additionalProperties": false,
        "properties": {"step": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                       "parameters": {"type": "array", "items": {"type": "string"}}}})json"),
                    true});
    keys.push_back({"sample", ordered_json::parse(R"json({
        "type": "object",
        "description": "Monte Carlo over parameters: n samples from distributions, rank correlations, a seed",
        "required": ["n", "parameters"], "additionalProperties": false,
        "properties": {"n": {"type": "integer", "minimum": 1}, "seed": {"type": "integer", "minimum": 0},
                       "parameters": {"type": "object", "additionalProperties": {"type": "object", "required": ["dist"],
                           "properties": {"dist": {"enum": ["fixed", "uniform", "normal", "lognormal", "loguniform", "choice"]}}}},
                       "correlations": {"type": "array", "items": {"type": "array", "minItems": 3, "maxItems": 3}},
                       "dates": {"type": "array", "items": {"type": "number", "minimum": 0}}}})json"),
                    true});
    return keys;
}

std::vector<ConfigKey> top_level_config_keys(const Registry& reg) {
    return {
        {"racesim", {{"const", 1}, {"description", "config format version"}}},
        {"name", {{"type", "string"}, {"description", "experiment name (default: the file's stem)"}}},
        {"horizon", number("simulated time span [yr]", 0.0)},
        {"output",
         {{"type", "object"},
          {"properties",
           {{"every", number("output grid step [yr] (default: horizon/300)", 0.0)},
            {"times", number_list("extra output times [yr], exactly")}}},
          {"additionalProperties", false}}},
        {"solver",
         {{"type", "object"},
          {"properties",
           {{"method", {{"enum", {"ode", "closed-form"}}, {"default", "ode"}}},
            {"rel_tol", {{"type", "number"}, {"minimum", 1e-14}, {"maximum", 1e-2}, {"default", 1e-10}}},
            {"abs_tol", {{"type", "number"}, {"minimum", 0}, {"default", 0}, {"description", "[PFLOP]"}}},
            {"max_steps", {{"type", "integer"}, {"minimum", 1}, {"default", 1000000}}}}},
          {"additionalProperties", false}}},
        {"defaults", scenario_blocks_schema(reg, false)},
        {"scenarios", {{"type", "array"}, {"minItems", 1}, {"items", scenario_blocks_schema(reg, true)}}},
        {"plugin_paths",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"description", "plugin directories, relative to the config file"}}},
        {"compare", ordered_json::parse(R"json({
            "type": "array",
            "description": "pairs of scenarios (expanded names for swept ones) compared side by side",
            "items": {"type": "object", "required": ["a", "b"], "additionalProperties": false,
                      "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}})json")},
    };
}

ordered_json config_json_schema(const Registry& reg) {
    ordered_json props = ordered_json::object();
    for (const auto& k : top_level_config_keys(reg)) props[k.name] = k.schema;
    return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
            {"$id", "https://racesim.invalid/racesim-config.schema.json"},
            {"title", "racesim experiment config"},
            {"description", std::string("Generated by `racesim describe --json-schema` (racesim ") +
                                plugin::racesim_version + ", plugin API " + std::to_string(plugin::api_version) +
                                ") from the plugin schemas; do not edit."},
            {"type", "object"},
            {"required", ordered_json::array({"racesim", "horizon", "scenarios"})},
            {"properties", props},
            {"additionalProperties", false}};
}

}  // namespace racesim
