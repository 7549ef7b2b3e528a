// The generated JSON Schema for config files (racesim describe --json-schema):
//   - it lists exactly the keys the loader accepts (top level, scenario, defaults), so a key
//     added to the loader without the schema (or the other way round) fails here;
//   - a small validator for the subset of JSON Schema the generator uses accepts every shipped
//     config (configs/paper, configs/examples) and rejects typical mistakes the loader rejects.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "racesim/analyses/builtin.hpp"
#include "racesim/config/json_schema.hpp"
#include "racesim/config/loader.hpp"

using namespace racesim;
using nlohmann::ordered_json;

namespace {

const Registry& registry() {
    static const Registry reg = [] {
        Registry r;
        r.load_directories({RACESIM_PLUGIN_DIR});
        return r;
    }();
    return reg;
}

std::set<std::string> names(const std::vector<ConfigKey>& keys) {
    std::set<std::string> s;
    for (const auto& k : keys) s.insert(k.name);
    return s;
}
std::set<std::string> names(const std::vector<std::string>& keys) {
    return {keys.begin(), keys.end()};
}
std::set<std::string> names(const ordered_json& properties) {
    std::set<std::string> s;
    for (const auto& [k, v] : properties.items()) s.insert(k);
    return s;
}

/// YAML -> JSON with YAML's scalars typed as racesim reads them (numbers, true/false, null).
ordered_json to_json(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            ordered_json j = ordered_json::object();
            for (const auto& kv : n) j[kv.first.Scalar()] = to_json(kv.second);
            return j;
        }
        case YAML::NodeType::Sequence: {
            ordered_json j = ordered_json::array();
            for (const auto& x : n) j.push_back(to_json(x));
            return j;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            if (n.Tag() != "!") {
                if (s == "true" || s == "false") return s == "true";
                try {
                    std::size_t used = 0;
                    const long long i = std::stoll(s, &used);
                    if (used == s.size()) return i;
                } catch (...) {
                }
                try {
                    std::size_t used = 0;
                    const double d = std::stod(s, &used);
                    if (used == s.size()) return d;
                } catch (...) {
                }
            }
            return s;
        }
        default:
            return nullptr;
    }
}

/// The subset of draft 2020-12 the generator emits. Appends a message per violation.
void check(const ordered_json& s, const ordered_json& v, const std::string& at, std::vector<std::string>& errs) {
    auto err = [&](const std::string& m) { errs.push_back(at + ": " + m); };
    if (s.is_boolean()) {
        if (!s.get<bool>()) err("not allowed");
        return;
    }
    if (s.contains("type")) {
        const std::string t = s["type"];
        const bool ok = (t == "object" && v.is_object()) || (t == "array" && v.is_array()) ||
                        (t == "number" && v.is_number()) || (t == "integer" && v.is_number_integer()) ||
                        (t == "string" && v.is_string()) || (t == "boolean" && v.is_boolean()) ||
                        (t == "null" && v.is_null());
        if (!ok) return err("not of type " + t);
    }
    if (s.contains("const") && s["const"] != v) err("not " + s["const"].dump());
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
        err(v.dump() + " not in " + s["enum"].dump());
    if (v.is_number()) {
        const double x = v.get<double>();
        if (s.contains("minimum") && x < s["minimum"].get<double>()) err("below minimum");
        if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>()) err("not above minimum");
        if (s.contains("maximum") && x > s["maximum"].get<double>()) err("above maximum");
        if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>()) err("not below maximum");
    }
    if (v.is_object()) {
        for (const auto& r : s.value("required", ordered_json::array()))
            if (!v.contains(r.get<std::string>())) err("missing " + r.get<std::string>());
        const auto props = s.value("properties", ordered_json::object());
        for (const auto& [k, x] : v.items()) {
            if (props.contains(k))
                check(props[k], x, at + "." + k, errs);
            else if (s.contains("additionalProperties") && s["additionalProperties"] == false)
                err("unknown key '" + k + "'");
        }
    }
    if (v.is_array()) {
        if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>()) err("too few items");
        if (s.contains("maxItems") && v.size() > s["maxItems"].get<std::size_t>()) err("too many items");
        const auto prefix = s.value("prefixItems", ordered_json::array());
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string ai = at + "[" + std::to_string(i) + "]";
            if (i < prefix.size())
                check(prefix[i], v[i], ai, errs);
            else if (s.contains("items"))
                check(s["items"], v[i], ai, errs);
        }
    }
    if (s.contains("allOf"))
        for (const auto& sub : s["allOf"]) check(sub, v, at, errs);
    if (s.contains("anyOf")) {
        bool any = false;
        for (const auto& sub : s["anyOf"]) {
            std::vector<std::string> e;
            check(sub, v, at, e);
            any = any || e.empty();
        }
        if (!any) err("matches none of anyOf");
    }
    if (s.contains("if")) {
        std::vector<std::string> e;
        check(s["if"], v, at, e);
        if (e.empty() && s.contains("then")) check(s["then"], v, at, errs);
    }
}

std::vector<std::string> validate_text(const std::string& yaml) {
    std::vector<std::string> errs;
    check(config_json_schema(registry(), builtin_analyses()), to_json(YAML::Load(yaml)), "$", errs);
    return errs;
}

}  // namespace

TEST_CASE("JSON Schema: lists exactly the keys the loader accepts") {
    const auto schema = config_json_schema(registry(), builtin_analyses());
    CHECK(names(schema["properties"]) == names(accepted_top_level_keys(builtin_analyses())));
    CHECK(names(top_level_config_keys(registry(), builtin_analyses())) ==
          names(accepted_top_level_keys(builtin_analyses())));
    CHECK(names(scenario_config_keys(registry(), builtin_analyses())) ==
          names(accepted_scenario_keys(builtin_analyses())));
    CHECK(names(schema["properties"]["defaults"]["properties"]) == names(accepted_defaults_keys()));
    CHECK(names(schema["properties"]["scenarios"]["items"]["properties"]) ==
          names(accepted_scenario_keys(builtin_analyses())));
}

TEST_CASE("JSON Schema: every parameter of every plugin is in its block's schema") {
    const auto schema = config_json_schema(registry(), builtin_analyses());
    const auto& blocks = schema["properties"]["defaults"]["properties"];
    int n = 0;
    for (const auto& e : registry().entries()) {
        if (e.descriptor.kind == plugin::Kind::reference) continue;
        const ordered_json& entry = blocks[plugin::to_string(e.descriptor.kind)];
        // An optional block that `~` drops (algorithms) is anyOf [the block, null].
        const ordered_json& block = entry.contains("anyOf") ? entry["anyOf"][0] : entry;
        bool found = false;
        for (const auto& c : block["allOf"])
            if (c["if"]["properties"]["type"]["const"] == e.descriptor.type) {
                found = true;
                std::set<std::string> want{"type"};
                for (const auto& p : e.descriptor.schema.params()) want.insert(p.name);
                CHECK(names(c["then"]["properties"]) == want);
                ++n;
            }
        CHECK(found);
    }
    CHECK(n == 15);
}

TEST_CASE("JSON Schema: the shipped configs are valid") {
    std::vector<std::filesystem::path> files;
    for (const char* dir : {"configs/paper", "configs/examples"})
        for (const auto& f : std::filesystem::directory_iterator(std::filesystem::path(RACESIM_SOURCE_DIR) / dir))
            if (f.path().extension() == ".yaml") files.push_back(f.path());
    CHECK(files.size() >= 8);
    for (const auto& f : files) {
        std::vector<std::string> errs;
        check(config_json_schema(registry(), builtin_analyses()), to_json(YAML::LoadFile(f.string())), "$", errs);
        INFO(f.string());
        for (const auto& e : errs) INFO(e);
        CHECK(errs.empty());
    }
}

TEST_CASE("JSON Schema: rejects what the loader rejects") {
    const std::string head = "racesim: 1\nhorizon: 10\n";
    CHECK(validate_text(head + "scenarios: [{name: a, efficiency: {type: continuous-doubling, E0: 1, gama: 1}}]")
              .size() == 1);  // misspelt parameter
    CHECK(validate_text(head + "scenarios: [{name: a, efficiency: {type: continous-doubling}}]").size() == 1);
    CHECK(validate_text(head + "scenarios: [{name: a, power: {type: peaked, duty: 1.5}}]").size() == 1);
    CHECK(validate_text(head + "scenarios: [{name: a, efficiency: {type: generation-table, steps: [[0, 1], [2]]}}]")
              .size() == 1);  // a row of one number
    CHECK(validate_text(head + "scenarios: [{name: a, loss: {type: chinchilla, constants: kaplan}}]").size() == 1);
    CHECK(validate_text(head + "scenario: []").size() == 2);  // unknown key, and 'scenarios' missing
    CHECK(validate_text(head + "scenarios: [{name: a, reference: ~}]").empty());
    CHECK(validate_text(head + "scenarios: [{name: a, efficiency: {gamma: 2}}]").empty());  // inherits its type
}
