// The framework's config keys described from their declarations (racesim/config/keys.hpp):
// `racesim describe --config-keys`; the Markdown is docs/reference/config-keys.md.
#include "racesim/config/describe_keys.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "racesim/config/keys.hpp"
#include "racesim/plugins/describe.hpp"

namespace racesim {

namespace {

std::string join_names(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

/// Text for Markdown: '<' and '>' (as in "<block>.<parameter>") would read as HTML tags.
std::string md(const std::string& text) {
    std::string s;
    for (char c : text) {
        if (c == '<')
            s += "&lt;";
        else if (c == '>')
            s += "&gt;";
        else
            s += c;
    }
    return s;
}

/// The GitHub anchor of a Markdown heading "## <name>".
std::string anchor(const std::string& name) {
    std::string a;
    for (char c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
            a += c;
        else if (c == ' ')
            a += '-';
    }
    return a;
}

std::string key_type_text(const KeySpec& k, bool markdown) {
    const std::string t = plugin::to_string(k.param.type);
    auto link = [&](const KeyBlock& b) {
        return markdown ? "[" + b.name() + "](#" + anchor(b.name()) + ")" : "'" + b.name() + "'";
    };
    switch (k.shape) {
        case KeyShape::value:
            return t;
        case KeyShape::list:
            return "list of " + t;
        case KeyShape::value_or_list:
            return t + " or list of " + t;
        case KeyShape::pair:
            return "[" + t + ", " + t + "]";
        case KeyShape::tuples:
            return "list of [" + join_names(k.param.columns) + "]";
        case KeyShape::block:
            return "map: " + link(*k.block);
        case KeyShape::block_list:
            return "list of maps: " + link(*k.block);
        case KeyShape::block_map:
            return "map of maps: " + link(*k.block);
        case KeyShape::plugin: {
            std::string s = std::string(plugin::to_string(k.kind)) + " plugin block";
            if (k.scalar_shorthand) s += ", type name";
            if (k.nullable) s += " or ~";
            return s;
        }
    }
    return t;
}

std::string key_constraint(const KeySpec& k) {
    const auto& lo = k.param.lower;
    const auto& hi = k.param.upper;
    std::string c = lo && hi && lo->inclusive && hi->inclusive && lo->value == hi->value
                        ? fmt::format("= {}", lo->value)
                        : k.param.constraint();
    if (k.min_items > 0) c += std::string(c.empty() ? "" : "; ") + "at least " + std::to_string(k.min_items);
    return c;
}

std::string key_default(const KeySpec& k) {
    if (k.param.required) return "required";
    if (k.param.default_value) return value_text(*k.param.default_value);
    if (!k.param.default_note.empty()) return k.param.default_note;
    return "optional";
}

std::string key_description(const KeyBlock& b, const KeySpec& k) {
    std::string s;
    if (!k.when.empty()) s += "Only with " + b.selector_key() + ": " + join_names(k.when) + ". ";
    s += k.param.doc;
    if (k.inherited) s += " Passed on by 'defaults' and 'extends'.";
    return s;
}

/// Where a block is used: "`solver` in the top level".
std::vector<std::string> uses_of(const KeyCatalog& catalog, const KeyBlock& b, bool markdown) {
    std::vector<std::string> out;
    for (const KeyBlock* parent : catalog.blocks()) {
        for (const auto& k : parent->keys())
            if (k.block == &b)
                out.push_back((markdown
                                   ? "`" + k.name() + "` in [" + parent->name() + "](#" + anchor(parent->name()) + ")"
                                   : "'" + k.name() + "' in " + parent->name()));
        if (const auto& open = parent->open_keys(); open && open->block == &b)
            out.push_back("the values of " + parent->name() + " (" + open->keys + ")");
    }
    return out;
}

std::string block_notes(const KeyBlock& b, bool markdown) {
    std::string s;
    if (const auto& open = b.open_keys()) {
        s += "Other keys: " + open->keys + "; each value: " + open->doc;
        if (open->block)
            s += " (" +
                 (markdown ? "[" + open->block->name() + "](#" + anchor(open->block->name()) + ")"
                           : "'" + open->block->name() + "'") +
                 ")";
        s += ".\n";
    }
    if (!b.selector_key().empty()) {
        s += "'" + b.selector_key() + "' decides which other keys apply:";
        for (const auto& v : b.at(b.selector_key()).param.choices) {
            auto names = b.names_when(v);
            names.erase(std::remove(names.begin(), names.end(), b.selector_key()), names.end());
            s += (markdown ? " `" : " ") + v + (markdown ? "`" : "") + ": " + join_names(names) + ";";
        }
        s.back() = '.';
        s += "\n";
    }
    return s;
}

}  // namespace

std::string describe_config_keys_markdown(const AnalysisKinds& analyses) {
    const KeyCatalog catalog(analyses);
    std::string s =
        "# Config key reference\n\n"
        "Generated by `racesim describe --config-keys --format markdown` from the framework's key declarations "
        "(`framework/src/config/framework_keys.cpp`); do not edit. The loader validates these keys from the same "
        "declarations, and the JSON Schema [racesim-config.schema.json](racesim-config.schema.json) is generated "
        "from them. What the keys mean, with examples, is in [../config.md](../config.md); the parameters of the "
        "plugin blocks (`efficiency`, `power`, `loss`, `reference`) are in [plugins.md](plugins.md).\n\n"
        "Units: `1` is dimensionless; \"the parameter's\" is the unit of the parameter that the path names. A "
        "constraint on a list holds for each item.\n";
    for (const KeyBlock* b : catalog.blocks()) {
        s += "\n## " + b->name() + "\n\n" + md(b->doc()) + "\n";
        if (const auto uses = uses_of(catalog, *b, true); !uses.empty())
            s += "\nUsed as: " + md(join_names(uses, "; ")) + ".\n";
        s += "\n| key | type | unit | constraint | default | description |\n|---|---|---|---|---|---|\n";
        for (const auto& k : b->keys()) {
            const std::string c = key_constraint(k);
            s += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", k.name(), key_type_text(k, true),
                             k.param.unit.empty() ? "—" : k.param.unit, c.empty() ? "—" : c, md(key_default(k)),
                             md(key_description(*b, k)));
        }
        if (const auto notes = block_notes(*b, true); !notes.empty()) {
            s += '\n';
            s += md(notes);
        }
    }
    return s;
}

std::string describe_config_keys_text(const AnalysisKinds& analyses) {
    const KeyCatalog catalog(analyses);
    std::string s;
    for (const KeyBlock* b : catalog.blocks()) {
        s += b->name() + " — " + b->doc() + "\n";
        for (const auto& use : uses_of(catalog, *b, false)) s += "  used as " + use + "\n";
        for (const auto& k : b->keys()) {
            const std::string c = key_constraint(k);
            s += fmt::format("    {:<13} {:<28} {:<16} {:<18} {}\n", k.name(), key_type_text(k, false),
                             k.param.unit.empty() ? "-" : k.param.unit, c.empty() ? "-" : c, key_default(k));
            s += fmt::format("                  {}\n", key_description(*b, k));
        }
        if (const auto notes = block_notes(*b, false); !notes.empty()) s += "  " + notes;
        s += "\n";
    }
    return s;
}

nlohmann::ordered_json describe_config_keys_json(const AnalysisKinds& analyses) {
    const KeyCatalog catalog(analyses);
    auto out = nlohmann::ordered_json::array();
    for (const KeyBlock* b : catalog.blocks()) {
        nlohmann::ordered_json bj;
        bj["block"] = b->name();
        bj["doc"] = b->doc();
        auto keys = nlohmann::ordered_json::array();
        for (const auto& k : b->keys()) {
            nlohmann::ordered_json kj;
            kj["name"] = k.name();
            kj["shape"] = to_string(k.shape);
            kj["type"] = key_type_text(k, false);
            kj["unit"] = k.param.unit;
            kj["doc"] = k.param.doc;
            kj["required"] = k.param.required;
            if (k.param.default_value)
                std::visit([&](const auto& x) { kj["default"] = x; }, *k.param.default_value);
            else
                kj["default"] = nullptr;
            if (!k.param.default_note.empty()) kj["default_note"] = k.param.default_note;
            if (k.param.lower)
                kj["minimum"] = {{"value", k.param.lower->value}, {"inclusive", k.param.lower->inclusive}};
            if (k.param.upper)
                kj["maximum"] = {{"value", k.param.upper->value}, {"inclusive", k.param.upper->inclusive}};
            if (!k.param.choices.empty()) kj["choices"] = k.param.choices;
            kj["constraint"] = key_constraint(k);
            if (k.block) kj["block"] = k.block->name();
            if (!k.when.empty()) kj["when"] = k.when;
            kj["inherited"] = k.inherited;
            keys.push_back(kj);
        }
        bj["keys"] = keys;
        if (const auto& open = b->open_keys())
            bj["other_keys"] = {
                {"keys", open->keys}, {"doc", open->doc}, {"block", open->block ? open->block->name() : ""}};
        out.push_back(bj);
    }
    return out;
}

}  // namespace racesim
