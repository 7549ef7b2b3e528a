#include "racesim/config/json_schema.hpp"

#include <algorithm>

#include "racesim/config/keys.hpp"
#include "racesim/plugin/api.hpp"
#include "racesim/plugins/quoted.hpp"

using nlohmann::ordered_json;

namespace racesim {

namespace {

std::vector<const PluginEntry*> sorted_entries(const Registry& reg, plugin::Kind kind) {
    std::vector<const PluginEntry*> out;
    for (const auto& e : reg.entries())
        if (e.descriptor.kind == kind) out.push_back(&e);
    std::sort(out.begin(), out.end(),
              [](const PluginEntry* a, const PluginEntry* b) { return a->descriptor.type < b->descriptor.type; });
    return out;
}

/// A plugin parameter: its number, or, when it accepts them, any of its quoted forms (a map).
ordered_json plugin_parameter_json_schema(const plugin::ParamSpec& p) {
    ordered_json number = parameter_json_schema(p);
    if (!accepts_forms(p)) return number;
    ordered_json j{{"description", number["description"]}};
    number.erase("description");
    ordered_json any = ordered_json::array({number});
    auto form = [](const std::vector<plugin::ParamSpec>& keys) {
        ordered_json props = ordered_json::object(), required = ordered_json::array();
        for (const auto& k : keys) {
            props[k.name] = parameter_json_schema(k);
            if (k.required) required.push_back(k.name);
        }
        return ordered_json{
            {"type", "object"}, {"properties", props}, {"required", required}, {"additionalProperties", false}};
    };
    for (const auto& f : quoted_forms(p.quoted)) any.push_back(form(f.keys));
    if (!p.relative_to.empty()) {
        plugin::ParamSpec k;
        k.name = relative_key(p);
        k.doc = "a multiple of " + p.relative_to + ", kept when " + p.relative_to + " changes";
        k.lower = plugin::Bound{0, false};
        k.required = true;
        any.push_back(form({k}));
    }
    j["anyOf"] = any;
    return j;
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
        for (const auto& p : d.schema.params()) props[p.name] = plugin_parameter_json_schema(p);
        cases.push_back(
            {{"if", {{"properties", {{"type", {{"const", d.type}}}}}, {"required", ordered_json::array({"type"})}}},
             {"then", {{"properties", props}, {"additionalProperties", false}}}});
    }
    ordered_json j{{"type", "object"},
                   {"description", what + " A plugin: `type` and that type's parameters."},
                   {"properties", {{"type", {{"description", "plugin type"}, {"enum", types}}}}}};
    if (!cases.empty()) j["allOf"] = cases;
    return j;
}

ordered_json reference_schema(const Registry& reg, const std::string& what) {
    ordered_json types = ordered_json::array();
    for (const PluginEntry* e : sorted_entries(reg, plugin::Kind::reference)) types.push_back(e->descriptor.type);
    return {{"description", what},
            {"anyOf",
             {{{"type", "string"}, {"enum", types}},
              {{"type", "object"}, {"properties", {{"type", {{"enum", types}}}}}, {"additionalProperties", false}},
              {{"type", "null"}}}}};
}

/// "doc [unit] (default: note)", as parameter_json_schema describes a plugin parameter.
std::string key_doc(const KeySpec& k) {
    std::string doc = k.param.doc;
    if (!k.param.unit.empty()) doc += " [" + k.param.unit + "]";
    if (!k.param.default_note.empty()) doc += " (default: " + k.param.default_note + ")";
    return doc;
}

/// The schema of one value (or item) of type `type` with the constraints of `p`.
ordered_json item_schema(const plugin::ParamSpec& p, plugin::ParamType type) {
    plugin::ParamSpec q = p;
    q.type = type;
    q.doc.clear();
    q.unit.clear();
    q.default_note.clear();
    q.default_value.reset();
    if (type != plugin::ParamType::real && type != plugin::ParamType::integer) q.lower = q.upper = std::nullopt;
    ordered_json j = parameter_json_schema(q);
    j.erase("description");
    return j;
}

/// A value with both bounds inclusive and equal is that one value.
void pin_single_value(ordered_json& j) {
    if (j.contains("minimum") && j.contains("maximum") && j["minimum"] == j["maximum"]) {
        j["const"] = j["minimum"];
        j.erase("minimum");
        j.erase("maximum");
    }
}

std::vector<ConfigKey> config_keys(const KeyBlock& b, const Registry& reg) {
    std::vector<ConfigKey> out;
    for (const auto& k : b.keys()) out.push_back({k.name(), key_json_schema(k, reg), !k.inherited});
    return out;
}

}  // namespace

ordered_json key_json_schema(const KeySpec& k, const Registry& reg) {
    const std::string doc = key_doc(k);
    ordered_json j;
    switch (k.shape) {
        case KeyShape::value:
            j = parameter_json_schema(k.param);
            pin_single_value(j);
            return j;
        case KeyShape::list:
            j = {{"type", "array"}, {"description", doc}, {"items", item_schema(k.param, k.param.type)}};
            break;
        case KeyShape::value_or_list: {
            const ordered_json item = item_schema(k.param, k.param.type);
            return {{"description", doc + " (one value or a list)"},
                    {"anyOf", {item, {{"type", "array"}, {"items", item}}}}};
        }
        case KeyShape::pair:
            return {{"type", "array"},
                    {"description", doc},
                    {"items", item_schema(k.param, k.param.type)},
                    {"minItems", 2},
                    {"maxItems", 2}};
        case KeyShape::tuples: {
            ordered_json prefix = ordered_json::array();
            for (std::size_t i = 0; i < k.column_types.size(); ++i) {
                ordered_json c = item_schema(k.param, k.column_types[i]);
                c["title"] = k.param.columns[i];
                prefix.push_back(c);
            }
            const auto n = prefix.size();
            j = {{"type", "array"},
                 {"description", doc},
                 {"items",
                  {{"type", "array"}, {"prefixItems", prefix}, {"items", false}, {"minItems", n}, {"maxItems", n}}}};
            break;
        }
        case KeyShape::block:
            j = key_block_json_schema(*k.block, reg);
            j["description"] = doc;
            return j;
        case KeyShape::block_list:
            j = {{"type", "array"}, {"description", doc}, {"items", key_block_json_schema(*k.block, reg)}};
            break;
        case KeyShape::block_map:
            j = {{"type", "object"},
                 {"description", doc},
                 {"additionalProperties", key_block_json_schema(*k.block, reg)}};
            if (k.min_items > 0) j["minProperties"] = k.min_items;
            return j;
        case KeyShape::plugin:
            if (k.kind == plugin::Kind::reference) return reference_schema(reg, doc);
            if (k.nullable)
                return {{"description", doc}, {"anyOf", {block_schema(reg, k.kind, doc), {{"type", "null"}}}}};
            return block_schema(reg, k.kind, doc);
    }
    if (k.min_items > 0) j["minItems"] = k.min_items;
    return j;
}

ordered_json key_block_json_schema(const KeyBlock& b, const Registry& reg) {
    ordered_json props = ordered_json::object();
    ordered_json required = ordered_json::array();
    for (const auto& k : b.keys()) {
        props[k.name()] = key_json_schema(k, reg);
        if (k.param.required && k.when.empty()) required.push_back(k.name());
    }
    ordered_json j{{"type", "object"}, {"description", b.doc()}, {"properties", props}};
    if (!required.empty()) j["required"] = required;
    if (const auto& open = b.open_keys()) {
        // Keys beyond the declared ones (parameter paths): a list of numbers or a map.
        ordered_json values = ordered_json::array();
        if (open->number_list) values.push_back({{"type", "array"}, {"items", {{"type", "number"}}}, {"minItems", 1}});
        if (open->block) values.push_back(key_block_json_schema(*open->block, reg));
        ordered_json any = values.size() == 1 ? values[0] : ordered_json{{"oneOf", values}};
        any["description"] = open->keys + ": " + open->doc;
        j["additionalProperties"] = any;
    } else {
        j["additionalProperties"] = false;
    }
    if (!b.selector_key().empty()) {
        // Each value of the selector key allows its own keys (as a plugin block's type does).
        ordered_json cases = ordered_json::array();
        for (const auto& v : b.at(b.selector_key()).param.choices) {
            ordered_json allowed = ordered_json::object();
            ordered_json needed = ordered_json::array();
            for (const auto& name : b.names_when(v)) {
                allowed[name] = props[name];
                if (const KeySpec& k = b.at(name); k.param.required && !k.when.empty()) needed.push_back(name);
            }
            ordered_json then{{"properties", allowed}, {"additionalProperties", false}};
            if (!needed.empty()) then["required"] = needed;
            cases.push_back({{"if",
                              {{"properties", {{b.selector_key(), {{"const", v}}}}},
                               {"required", ordered_json::array({b.selector_key()})}}},
                             {"then", then}});
        }
        j["allOf"] = cases;
    }
    return j;
}

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

std::vector<ConfigKey> scenario_config_keys(const Registry& reg, const AnalysisKinds& analyses) {
    const KeyCatalog catalog(analyses);
    return config_keys(catalog.scenario(), reg);
}

std::vector<ConfigKey> top_level_config_keys(const Registry& reg, const AnalysisKinds& analyses) {
    const KeyCatalog catalog(analyses);
    auto keys = config_keys(catalog.top_level(), reg);
    for (auto& k : keys) k.per_scenario = false;
    return keys;
}

ordered_json config_json_schema(const Registry& reg, const AnalysisKinds& analyses) {
    const KeyCatalog catalog(analyses);
    const ordered_json top = key_block_json_schema(catalog.top_level(), reg);
    return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
            {"$id", "https://racesim.invalid/racesim-config.schema.json"},
            {"title", "racesim experiment config"},
            {"description", std::string("Generated by `racesim describe --json-schema` (racesim ") +
                                plugin::racesim_version + ", plugin API " + std::to_string(plugin::api_version) +
                                ") from the framework's key declarations and the plugin schemas; do not edit."},
            {"type", "object"},
            {"required", top["required"]},
            {"properties", top["properties"]},
            {"additionalProperties", false}};
}

}  // namespace racesim
