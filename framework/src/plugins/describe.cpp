#include "racesim/plugins/describe.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "racesim/plugins/quoted.hpp"

namespace racesim {

std::string value_text(const plugin::Value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string>)
                return x;
            else if constexpr (std::is_same_v<T, plugin::Table>)
                return fmt::format("{} rows", x.size());
            else if constexpr (std::is_same_v<T, bool>)
                return x ? "true" : "false";
            else
                return fmt::format("{}", x);
        },
        v);
}

namespace {

std::string default_text(const plugin::ParamSpec& p) {
    if (p.required) return "required";
    if (p.default_value) return value_text(*p.default_value);
    if (!p.default_note.empty()) return p.default_note;
    return "optional";
}

/// "real", ..., and for tables "table [time, multiplier]".
std::string type_text(const plugin::ParamSpec& p) {
    std::string s = plugin::to_string(p.type);
    if (p.type == plugin::ParamType::table) {
        s += " [";
        for (std::size_t i = 0; i < p.columns.size(); ++i) s += (i ? ", " : "") + p.columns[i];
        s += "]";
    }
    return s;
}

/// "{per_year: <factor>}, {percent_per_year: <%>}, ...": the forms a parameter may also be written in.
std::string forms_list(const plugin::ParamSpec& p) {
    std::string s;
    const auto forms = form_patterns(p);
    for (std::size_t i = 0; i < forms.size(); ++i) s += (i ? ", " : "") + forms[i];
    if (p.forms_when.size() == 2) s += " (with " + p.forms_when[0] + ": " + p.forms_when[1] + ")";
    return s;
}

/// "efficiency.gamma, efficiency.E0, ...": what a vectorised reference evaluates over arrays.
std::string vectorised_paths(const plugin::Descriptor& d) {
    std::string s;
    for (std::size_t i = 0; i < d.batch_paths.size(); ++i) s += (i ? ", " : "") + d.batch_paths[i];
    return s;
}

}  // namespace

std::string describe_text(const PluginEntry& e) {
    const auto& d = e.descriptor;
    std::string s = fmt::format("{} '{}' — {}\n  library: {}\n", plugin::to_string(d.kind), d.type, d.summary,
                                e.library->path.string());
    if (!d.doc.empty()) s += "  " + d.doc + "\n";
    if (d.batch_time_to_target) s += "  vectorised time to target over: " + vectorised_paths(d) + "\n";
    if (d.schema.params().empty()) return s + "  parameters: none\n";
    s += "  parameters:\n";
    for (const auto& p : d.schema.params()) {
        s += fmt::format("    {:<8} {:<8} {:<12} {:<14} {}\n", p.name, type_text(p), p.unit.empty() ? "-" : p.unit,
                         p.constraint().empty() ? "-" : p.constraint(), default_text(p));
        s += fmt::format("             {}\n", p.doc);
        if (accepts_forms(p)) s += fmt::format("             or as: {}\n", forms_list(p));
    }
    return s;
}

std::string describe_markdown(const PluginEntry& e) {
    const auto& d = e.descriptor;
    std::string s = fmt::format("### {} `{}`\n\n{}\n\n", plugin::to_string(d.kind), d.type, d.summary);
    if (!d.doc.empty()) s += d.doc + "\n\n";
    if (d.batch_time_to_target)
        s += "Vectorised time to target (closed-form sweeps and Monte Carlo samples over arrays) over: " +
             vectorised_paths(d) + ".\n\n";
    if (d.schema.params().empty()) return s + "No parameters.\n";
    s += "| parameter | type | unit | constraint | default | description |\n|---|---|---|---|---|---|\n";
    for (const auto& p : d.schema.params()) {
        std::string doc = p.doc;
        if (accepts_forms(p)) {
            doc += " Or as:";
            const auto forms = form_patterns(p);
            for (std::size_t i = 0; i < forms.size(); ++i) doc += (i ? ", `" : " `") + forms[i] + "`";
            if (p.forms_when.size() == 2) doc += " (with " + p.forms_when[0] + ": " + p.forms_when[1] + ")";
            doc += ".";
        }
        s += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", p.name, type_text(p), p.unit.empty() ? "—" : p.unit,
                         p.constraint().empty() ? "—" : p.constraint(), default_text(p), doc);
    }
    return s;
}

nlohmann::ordered_json describe_json(const PluginEntry& e) {
    const auto& d = e.descriptor;
    nlohmann::ordered_json j;
    j["kind"] = plugin::to_string(d.kind);
    j["type"] = d.type;
    j["summary"] = d.summary;
    j["doc"] = d.doc;
    j["library"] = e.library->path.string();
    if (d.batch_time_to_target) j["vectorised_paths"] = d.batch_paths;
    auto ps = nlohmann::ordered_json::array();
    for (const auto& p : d.schema.params()) {
        nlohmann::ordered_json pj;
        pj["name"] = p.name;
        pj["type"] = plugin::to_string(p.type);
        pj["unit"] = p.unit;
        pj["doc"] = p.doc;
        pj["required"] = p.required;
        if (p.default_value)
            std::visit([&](const auto& x) { pj["default"] = x; }, *p.default_value);
        else
            pj["default"] = nullptr;
        if (!p.default_note.empty()) pj["default_note"] = p.default_note;
        if (p.lower) pj["minimum"] = {{"value", p.lower->value}, {"inclusive", p.lower->inclusive}};
        if (p.upper) pj["maximum"] = {{"value", p.upper->value}, {"inclusive", p.upper->inclusive}};
        if (!p.choices.empty()) pj["choices"] = p.choices;
        if (!p.columns.empty()) pj["columns"] = p.columns;
        pj["constraint"] = p.constraint();
        if (accepts_forms(p)) pj["forms"] = form_patterns(p);  // quantities as they are quoted (docs/config.md)
        ps.push_back(pj);
    }
    j["parameters"] = ps;
    return j;
}

}  // namespace racesim
