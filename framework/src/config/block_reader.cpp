#include "racesim/config/block_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "racesim/config/analysis.hpp"
#include "racesim/plugin/math.hpp"

namespace racesim {

std::string describe_node(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null:
            return "nothing (null)";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Scalar:
            return n.Tag() == "!" ? "the string \"" + n.Scalar() + "\"" : "'" + n.Scalar() + "'";
        default:
            return "an undefined value";
    }
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

Mark node_mark(const std::filesystem::path& file, const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return Mark{file.string(), 0, 0};
    return Mark{file.string(), m.line + 1, m.column + 1};  // yaml-cpp marks are 0-based
}

std::string either(const std::vector<std::string>& choices) {
    std::string s;
    for (std::size_t i = 0; i < choices.size(); ++i)
        s += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + ("'" + choices[i] + "'");
    return s;
}

NumParse parse_real(const std::string& text, double& out) {
    std::string t = text;
    if (!t.empty() && t[0] == '+') t.erase(0, 1);
    static const std::set<std::string> infs{".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF"};
    static const std::set<std::string> nans{".nan", ".NaN", ".NAN", "nan", "NaN", "inf", "-inf", "infinity"};
    if (infs.count(t) || nans.count(t)) return NumParse::not_finite;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    if (ec == std::errc::result_out_of_range) return NumParse::out_of_range;
    if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return NumParse::not_a_number;
    if (!std::isfinite(out)) return NumParse::not_finite;
    return NumParse::ok;
}

bool parse_int(const std::string& text, std::int64_t& out) {
    std::string t = text;
    if (!t.empty() && t[0] == '+') t.erase(0, 1);
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && p == t.data() + t.size() && !t.empty();
}

Mark BlockReader::mark(const YAML::Node& n) const {
    return node_mark(file_, n);
}

Diagnostic& BlockReader::error(const YAML::Node& n, std::string message) const {
    return d_.error(mark(n), std::move(message));
}

void BlockReader::check_keys(const YAML::Node& node, const std::vector<std::string>& allowed,
                             const std::string& where) const {
    for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        auto& e = d_.error(mark(it->first), "unknown key '" + key + "' in " + where);
        if (auto s = suggest(key, allowed); !s.empty()) note(e, "did you mean '" + s + "'?");
        note(e, "valid keys here: " + join(allowed));
    }
}

bool BlockReader::expect(const YAML::Node& n, YAML::NodeType::value type, const std::string& what) const {
    if (n.Type() == type) return true;
    d_.error(mark(n), "expected " + what + ", got " + describe_node(n));
    return false;
}

std::optional<double> BlockReader::real(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar() || n.Tag() == "!") {
        d_.error(mark(n), "expected a number for " + what + ", got " + describe_node(n));
        return std::nullopt;
    }
    double v = 0;
    switch (parse_real(n.Scalar(), v)) {
        case NumParse::ok:
            return v;
        case NumParse::not_a_number:
            d_.error(mark(n), "expected a number for " + what + ", got " + describe_node(n));
            break;
        case NumParse::out_of_range:
            d_.error(mark(n), what + " = " + n.Scalar() + " is outside the range of a double (about 1e-308 to 1e308)");
            break;
        case NumParse::not_finite:
            d_.error(mark(n), "expected a finite number for " + what + ", got " + n.Scalar());
            break;
    }
    return std::nullopt;
}

std::optional<double> BlockReader::bounded(const YAML::Node& n, const std::string& what, const plugin::ParamSpec& spec,
                                           bool doc_note) const {
    auto v = real(n, what);
    if (v && !spec.admits(*v)) {
        auto& e = d_.error(mark(n), what + " = " + n.Scalar() + " is out of range: it must be " + spec.constraint());
        if (spec.constraint().empty()) e.message = "expected a finite number for " + what + ", got " + n.Scalar();
        if (doc_note && !spec.doc.empty()) note(e, spec.name + ": " + spec.doc);
        return std::nullopt;
    }
    return v;
}

std::optional<std::int64_t> BlockReader::integer_key(const YAML::Node& n, const std::string& what,
                                                     const KeySpec& key) const {
    std::int64_t k = 0;
    if (!n.IsScalar() || !parse_int(n.Scalar(), k) || !key.param.admits(static_cast<double>(k))) {
        d_.error(mark(n),
                 std::string("expected a ") + integer_kind(key) + " integer for " + what + ", got " + describe_node(n));
        return std::nullopt;
    }
    return k;
}

std::optional<std::string> BlockReader::choice_key(const YAML::Node& n, const std::string& what,
                                                   const KeySpec& key) const {
    const auto& choices = key.param.choices;
    const std::string v = n.IsScalar() ? n.Scalar() : "";
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
    auto& e = d_.error(mark(n), "expected " + either(choices) + " for " + what + ", got " + describe_node(n));
    if (auto sg = suggest(v, choices); !sg.empty()) note(e, "did you mean '" + sg + "'?");
    return std::nullopt;
}

std::optional<bool> BlockReader::boolean_key(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
        d_.error(mark(n), "expected true or false for " + what + ", got " + describe_node(n));
        return std::nullopt;
    }
    return n.Scalar() == "true";
}

std::optional<std::vector<double>> BlockReader::times(const YAML::Node& n, const std::string& key,
                                                      double horizon) const {
    if (!expect(n, YAML::NodeType::Sequence, "a list of times (yr) for " + key)) return std::nullopt;
    std::vector<double> out;
    bool ok = true;
    for (const auto& v : n) {
        const auto t = real(v, "a date of " + key);
        if (!t) {
            ok = false;
        } else if (*t < 0 || *t > horizon) {
            error(v, key + ": " + plugin::math::format(*t) + " is outside the scenario's time span [0, " +
                         plugin::math::format(horizon) + "] yr");
            ok = false;
        } else {
            out.push_back(*t);
        }
    }
    if (!ok) return std::nullopt;
    return out;
}

void AnalysisKind::check(const AnalysisSpec&, const ScenarioSpec&, const Experiment&, Diagnostics&) const {}

std::shared_ptr<const AnalysisSpec> AnalysisKind::read_experiment(const BlockReader& r, const YAML::Node& node) const {
    r.error(node, "'" + key() + "' is a scenario's block, not a top-level one");
    return nullptr;
}

void AnalysisKind::check_experiment(const AnalysisSpec&, const Experiment&, Diagnostics&) const {}

bool AnalysisKind::stand_ins(const BlockReader&, const YAML::Node&, const std::string&, const PlanContext&,
                             std::vector<StandIn>&, std::any&) const {
    return true;
}

std::shared_ptr<const SweepPlan> AnalysisKind::plan(const BlockReader&, const ScenarioSpec&, PlanContext&,
                                                    std::any&) const {
    return nullptr;
}

}  // namespace racesim
