#include "racesim/config/loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "racesim/plugin/math.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace racesim {

namespace {

using plugin::Kind;
using plugin::ParamSpec;
using plugin::ParamType;

Mark mark_of(const fs::path& file, const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return Mark{file.string(), 0, 0};
    return Mark{file.string(), m.line + 1, m.column + 1};  // yaml-cpp marks are 0-based
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

std::string describe(const YAML::Node& n) {
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

enum class NumParse { ok, not_a_number, out_of_range, not_finite };

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

// ---------------------------------------------------------------------------------------
// Raw (unvalidated) scenario blocks, merged by `defaults` and `extends`.

struct Item {
    std::string key;
    Mark key_mark;
    YAML::Node value;
    std::string origin;  ///< "defaults" or the scenario that wrote it

    Item(std::string k, Mark m, const YAML::Node& v, std::string o)
        : key(std::move(k)), key_mark(std::move(m)), value(v), origin(std::move(o)) {}
    Item(const Item&) = default;
    /// yaml-cpp's Node::operator= writes *through* a node into the node it shares with the
    /// document (so an override would leak into `defaults` and later scenarios); rebind instead.
    Item& operator=(const Item& o) {
        key = o.key;
        key_mark = o.key_mark;
        value.reset(o.value);
        origin = o.origin;
        return *this;
    }
};

struct RawBlock {
    bool present = false;
    Mark mark;
    std::string origin;
    std::vector<Item> items;
    std::string replaced_type;  ///< the inherited type a later `type:` replaced, if any
    Mark replaced_type_mark;

    [[nodiscard]] const Item* find(const std::string& k) const {
        for (const auto& it : items)
            if (it.key == k) return &it;
        return nullptr;
    }
};

const std::vector<std::string> model_blocks{"efficiency", "power", "loss", "reference"};
const std::vector<std::string> whole_blocks{"baseline", "targets", "horizon"};
const std::vector<std::string> scenario_keys{"name", "extends",   "horizon",  "efficiency", "power",
                                             "loss", "reference", "baseline", "targets"};
const std::vector<std::string> defaults_keys{"horizon",   "efficiency", "power",  "loss",
                                             "reference", "baseline",   "targets"};
const std::vector<std::string> top_keys{"racesim", "name",     "horizon",   "output",
                                        "solver",  "defaults", "scenarios", "plugin_paths"};

using Blocks = std::map<std::string, RawBlock>;

struct RawScenario {
    std::string name;
    Mark mark;
    std::optional<std::string> extends;
    Mark extends_mark;
    Blocks own;
    std::optional<Blocks> resolved;
    bool valid = true;
};

Kind kind_of(const std::string& block) {
    if (block == "efficiency") return Kind::efficiency;
    if (block == "power") return Kind::power;
    if (block == "loss") return Kind::loss;
    return Kind::reference;
}

const char* kind_phrase(Kind k) {
    switch (k) {
        case Kind::efficiency:
            return "an efficiency model";
        case Kind::power:
            return "a power schedule";
        case Kind::loss:
            return "a loss law";
        case Kind::reference:
            return "a reference model";
    }
    return "";
}

/// Merges `child` over `base`: model blocks key by key (a null value drops an inherited
/// key), baseline and targets as a whole.
void merge_block(const std::string& name, RawBlock& base, const RawBlock& child) {
    const bool whole = std::find(whole_blocks.begin(), whole_blocks.end(), name) != whole_blocks.end();
    if (!child.present) return;
    if (whole || !base.present) {
        base = child;
        return;
    }
    base.mark = child.mark;
    base.origin = child.origin;
    for (const auto& it : child.items) {
        auto pos = std::find_if(base.items.begin(), base.items.end(), [&](const Item& b) { return b.key == it.key; });
        if (it.key == "type" && pos != base.items.end() && it.value.IsScalar() && pos->value.IsScalar() &&
            it.value.Scalar() != pos->value.Scalar()) {
            base.replaced_type = pos->value.Scalar();
            base.replaced_type_mark = pos->key_mark;
        }
        if (it.value.IsNull()) {
            if (pos != base.items.end()) base.items.erase(pos);
        } else if (pos != base.items.end()) {
            *pos = it;
        } else {
            base.items.push_back(it);
        }
    }
}

class Validator {
public:
    Validator(const Document& doc, const Registry& reg, Diagnostics& d) : doc_(doc), reg_(reg), d_(d) {}

    std::optional<Experiment> run();

private:
    Mark mark(const YAML::Node& n) const { return mark_of(doc_.path, n); }

    /// Reports keys of map `node` that are not in `allowed`.
    void check_keys(const YAML::Node& node, const std::vector<std::string>& allowed, const std::string& where) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string key = it->first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            auto& e = d_.error(mark(it->first), "unknown key '" + key + "' in " + where);
            if (auto s = suggest(key, allowed); !s.empty()) note(e, "did you mean '" + s + "'?");
            note(e, "valid keys here: " + join(allowed));
        }
    }

    bool expect(const YAML::Node& n, YAML::NodeType::value type, const std::string& what) {
        if (n.Type() == type) return true;
        d_.error(mark(n), "expected " + what + ", got " + describe(n));
        return false;
    }

    std::optional<double> real(const YAML::Node& n, const std::string& what) {
        if (!n.IsScalar() || n.Tag() == "!") {
            d_.error(mark(n), "expected a number for " + what + ", got " + describe(n));
            return std::nullopt;
        }
        double v = 0;
        switch (parse_real(n.Scalar(), v)) {
            case NumParse::ok:
                return v;
            case NumParse::not_a_number:
                d_.error(mark(n), "expected a number for " + what + ", got " + describe(n));
                break;
            case NumParse::out_of_range:
                d_.error(mark(n),
                         what + " = " + n.Scalar() + " is outside the range of a double (about 1e-308 to 1e308)");
                break;
            case NumParse::not_finite:
                d_.error(mark(n), "expected a finite number for " + what + ", got " + n.Scalar());
                break;
        }
        return std::nullopt;
    }

    /// A number that must satisfy `spec.admits`; reports with the constraint.
    std::optional<double> bounded(const YAML::Node& n, const std::string& what, const ParamSpec& spec) {
        auto v = real(n, what);
        if (v && !spec.admits(*v)) {
            auto& e =
                d_.error(mark(n), what + " = " + n.Scalar() + " is out of range: it must be " + spec.constraint());
            if (spec.constraint().empty()) e.message = "expected a finite number for " + what + ", got " + n.Scalar();
            if (!spec.doc.empty()) note(e, spec.name + ": " + spec.doc);
            return std::nullopt;
        }
        return v;
    }

    static ParamSpec rule(std::string name, std::optional<plugin::Bound> lo, std::optional<plugin::Bound> hi = {}) {
        ParamSpec s;
        s.name = std::move(name);
        s.lower = lo;
        s.upper = hi;
        return s;
    }

    void read_top();
    void read_scenarios();
    RawBlock read_block(const std::string& name, const YAML::Node& value, const YAML::Node& key,
                        const std::string& origin);
    Blocks read_blocks(const YAML::Node& map, const std::string& origin);
    const Blocks* resolve(std::size_t i, std::vector<std::size_t>& stack);
    std::optional<BlockSpec> check_model_block(const ScenarioSpec& sc, const std::string& name, const RawBlock& b);
    std::optional<plugin::Value> param_value(const ParamSpec& spec, const Item& it, const std::string& where);
    void build_scenario(RawScenario& raw);
    void instantiate(ScenarioSpec& sc, const Blocks& blocks);

    const Document& doc_;
    const Registry& reg_;
    Diagnostics& d_;
    Experiment ex_;
    Blocks defaults_;
    Mark every_mark_;
    std::vector<Mark> time_marks_;
    std::vector<RawScenario> raw_;
};

void Validator::read_top() {
    const YAML::Node& root = doc_.root;
    check_keys(root, top_keys, "the top level");

    if (const YAML::Node v = root["racesim"]; !v) {
        auto& e =
            d_.error(Mark{doc_.path.string(), 1, 1}, "missing required key 'racesim' (the config format version)");
        note(e, "add 'racesim: " + std::to_string(config_format_version) + "' as the first line");
    } else {
        std::int64_t ver = 0;
        if (!v.IsScalar() || v.Tag() == "!" || !parse_int(v.Scalar(), ver))
            d_.error(mark(v), "expected an integer format version for 'racesim', got " + describe(v));
        else if (ver != config_format_version)
            d_.error(mark(v), "unsupported config format version " + std::to_string(ver) +
                                  ": this racesim reads version " + std::to_string(config_format_version));
    }

    ex_.file = doc_.path;
    ex_.name = doc_.path.stem().string();
    if (const YAML::Node v = root["name"]) {
        if (!v.IsScalar() || v.Scalar().empty())
            d_.error(mark(v), "expected a non-empty string for 'name', got " + describe(v));
        else
            ex_.name = v.Scalar();
    }
    if (ex_.name.find('/') != std::string::npos || ex_.name == "." || ex_.name == "..")
        d_.error(mark(root["name"]), "experiment name '" + ex_.name + "' cannot be used as a directory name");

    if (const YAML::Node v = root["horizon"]; !v) {
        d_.error(Mark{doc_.path.string(), 1, 1}, "missing required key 'horizon' (the simulated time span, yr)");
    } else if (auto h = bounded(v, "horizon", rule("horizon", plugin::Bound{0, false}))) {
        ex_.horizon = *h;
    }

    if (const YAML::Node out = root["output"]) {
        if (expect(out, YAML::NodeType::Map, "a map for 'output' ({every: <yr>, times: [...]})")) {
            check_keys(out, {"every", "times"}, "'output'");
            if (const YAML::Node ev = out["every"]) {
                if (auto v = bounded(ev, "output.every", rule("every", plugin::Bound{0, false}))) {
                    ex_.output.every = *v;
                    every_mark_ = mark(ev);
                }
            }
            if (const YAML::Node ts = out["times"]) {
                if (expect(ts, YAML::NodeType::Sequence, "a list of times (yr) for 'output.times'")) {
                    for (const auto& t : ts) {
                        auto v = real(t, "an output time");
                        if (!v) continue;
                        if (*v < 0)
                            d_.error(mark(t), "output time " + t.Scalar() + " is negative: times start at 0");
                        else {
                            ex_.output.times.push_back(*v);
                            time_marks_.push_back(mark(t));
                        }
                    }
                }
            }
        }
    }

    if (const YAML::Node s = root["solver"]) {
        if (expect(s, YAML::NodeType::Map, "a map for 'solver' ({rel_tol, abs_tol, max_steps})")) {
            check_keys(s, {"rel_tol", "abs_tol", "max_steps"}, "'solver'");
            if (const YAML::Node v = s["rel_tol"])
                if (auto x = bounded(v, "solver.rel_tol",
                                     rule("rel_tol", plugin::Bound{1e-14, true}, plugin::Bound{1e-2, true})))
                    ex_.solver.rel_tol = *x;
            if (const YAML::Node v = s["abs_tol"])
                if (auto x = bounded(v, "solver.abs_tol", rule("abs_tol", plugin::Bound{0, true})))
                    ex_.solver.abs_tol = *x;
            if (const YAML::Node v = s["max_steps"]) {
                std::int64_t n = 0;
                if (!v.IsScalar() || !parse_int(v.Scalar(), n) || n < 1)
                    d_.error(mark(v), "expected a positive integer for solver.max_steps, got " + describe(v));
                else
                    ex_.solver.max_steps = n;
            }
        }
    }

    if (const YAML::Node def = root["defaults"]) {
        if (expect(def, YAML::NodeType::Map, "a map of scenario blocks for 'defaults'")) {
            check_keys(def, defaults_keys, "'defaults'");
            defaults_ = read_blocks(def, "defaults");
        }
    }
}

RawBlock Validator::read_block(const std::string& name, const YAML::Node& value, const YAML::Node& key,
                               const std::string& origin) {
    RawBlock b;
    b.origin = origin;
    b.mark = mark(value.IsNull() ? key : value);
    if (value.IsNull()) {
        // `reference: ~` drops an inherited block; elsewhere a null block is an error.
        if (name == "reference")
            b.present = false;
        else
            d_.error(mark(key), "'" + name + "' is empty: expected " +
                                    (name == "horizon" ? std::string("a number (yr)") : std::string("a map")));
        return b;
    }
    if (name == "horizon") {  // a scenario's own horizon: a scalar, kept as one item
        b.present = true;
        b.items.push_back(Item{"horizon", mark(key), value, origin});
        return b;
    }
    if (name == "reference" && value.IsScalar()) {  // shorthand: `reference: relative-loss`
        b.present = true;
        b.items.push_back(Item{"type", mark(value), value, origin});
        return b;
    }
    if (!expect(value, YAML::NodeType::Map, "a map for '" + name + "'")) return b;
    b.present = true;
    for (auto it = value.begin(); it != value.end(); ++it)
        b.items.push_back(Item{it->first.Scalar(), mark(it->first), it->second, origin});
    return b;
}

Blocks Validator::read_blocks(const YAML::Node& map, const std::string& origin) {
    Blocks out;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (key == "name" || key == "extends") continue;
        if (std::find(defaults_keys.begin(), defaults_keys.end(), key) == defaults_keys.end()) continue;
        RawBlock b = read_block(key, it->second, it->first, origin);
        // A `reference: ~` is kept (not present) so that resolve() drops an inherited reference.
        if (b.present || (key == "reference" && it->second.IsNull())) out[key] = b;
    }
    return out;
}

void Validator::read_scenarios() {
    const YAML::Node sc = doc_.root["scenarios"];
    if (!sc) {
        auto& e = d_.error(Mark{doc_.path.string(), 1, 1}, "missing required key 'scenarios'");
        note(e, "add a list: 'scenarios: [{name: base, efficiency: {...}, power: {...}, ...}]'");
        return;
    }
    if (!expect(sc, YAML::NodeType::Sequence, "a list of scenarios for 'scenarios'")) return;
    if (sc.size() == 0) d_.error(mark(sc), "'scenarios' is empty: an experiment needs at least one scenario");

    std::map<std::string, Mark> seen;
    for (const auto& s : sc) {
        if (!expect(s, YAML::NodeType::Map, "a scenario (a map with 'name', 'efficiency', 'power', ...)")) continue;
        check_keys(s, scenario_keys, "a scenario");
        RawScenario r;
        r.mark = mark(s);
        const YAML::Node n = s["name"];
        if (!n) {
            d_.error(mark(s), "scenario without a 'name'");
            r.valid = false;
        } else if (!n.IsScalar() || n.Scalar().empty()) {
            d_.error(mark(n), "expected a non-empty string for the scenario name, got " + describe(n));
            r.valid = false;
        } else {
            r.name = n.Scalar();
            if (r.name.size() > 200) {
                d_.error(mark(n), "scenario name is " + std::to_string(r.name.size()) +
                                      " characters long; at most 200 are allowed (it names a file)");
                r.valid = false;
            } else if (r.name.find('/') != std::string::npos || r.name == "." || r.name == "..") {
                d_.error(mark(n), "scenario name '" + r.name + "' cannot be used as a file name (no '/', '.' or '..')");
                r.valid = false;
            }
            if (auto it = seen.find(r.name); it != seen.end()) {
                auto& e = d_.error(mark(n), "duplicate scenario name '" + r.name + "'");
                note(e, "first defined here", it->second);
                r.valid = false;
            } else {
                seen.emplace(r.name, mark(n));
            }
        }
        if (const YAML::Node e = s["extends"]) {
            if (!e.IsScalar()) {
                d_.error(mark(e), "expected the name of a scenario for 'extends', got " + describe(e));
                r.valid = false;
            } else {
                r.extends = e.Scalar();
                r.extends_mark = mark(e);
            }
        }
        r.own = read_blocks(s, r.name);
        raw_.push_back(std::move(r));
    }
}

const Blocks* Validator::resolve(std::size_t i, std::vector<std::size_t>& stack) {
    RawScenario& r = raw_[i];
    if (r.resolved) return &*r.resolved;
    if (std::find(stack.begin(), stack.end(), i) != stack.end()) {
        std::string chain;
        for (auto j = std::find(stack.begin(), stack.end(), i); j != stack.end(); ++j) chain += raw_[*j].name + " -> ";
        chain += r.name;
        d_.error(r.extends_mark, "'extends' forms a cycle: " + chain);
        return nullptr;
    }
    Blocks base = defaults_;
    if (r.extends) {
        auto parent =
            std::find_if(raw_.begin(), raw_.end(), [&](const RawScenario& x) { return x.name == *r.extends; });
        if (parent == raw_.end() || !parent->valid) {
            if (parent == raw_.end()) {
                std::vector<std::string> names;
                for (const auto& x : raw_)
                    if (x.valid && x.name != r.name) names.push_back(x.name);
                auto& e =
                    d_.error(r.extends_mark, "scenario '" + r.name + "' extends unknown scenario '" + *r.extends + "'");
                if (auto s = suggest(*r.extends, names); !s.empty()) note(e, "did you mean '" + s + "'?");
                if (!names.empty()) note(e, "scenarios in this file: " + join(names));
            }
            return nullptr;
        }
        stack.push_back(i);
        const Blocks* pb = resolve(static_cast<std::size_t>(parent - raw_.begin()), stack);
        stack.pop_back();
        if (!pb) return nullptr;
        base = *pb;
    }
    for (const auto& [name, blk] : r.own) {
        if (!blk.present) {  // `reference: ~`
            base.erase(name);
            continue;
        }
        merge_block(name, base[name], blk);
    }
    r.resolved = std::move(base);
    return &*r.resolved;
}

std::optional<plugin::Value> Validator::param_value(const ParamSpec& spec, const Item& it, const std::string& where) {
    const std::string what = where + "." + spec.name;
    switch (spec.type) {
        case ParamType::real: {
            auto v = bounded(it.value, what, spec);
            if (v) return plugin::Value{*v};
            return std::nullopt;
        }
        case ParamType::integer: {
            std::int64_t n = 0;
            if (!it.value.IsScalar() || it.value.Tag() == "!" || !parse_int(it.value.Scalar(), n)) {
                d_.error(mark(it.value), "expected an integer for " + what + ", got " + describe(it.value));
                return std::nullopt;
            }
            if (!spec.admits(static_cast<double>(n))) {
                d_.error(mark(it.value),
                         what + " = " + it.value.Scalar() + " is out of range: it must be " + spec.constraint());
                return std::nullopt;
            }
            return plugin::Value{n};
        }
        case ParamType::boolean: {
            const std::string s = it.value.IsScalar() ? it.value.Scalar() : "";
            if (it.value.IsScalar() && it.value.Tag() != "!" && (s == "true" || s == "false"))
                return plugin::Value{s == "true"};
            d_.error(mark(it.value), "expected true or false for " + what + ", got " + describe(it.value));
            return std::nullopt;
        }
        case ParamType::string: {
            if (!it.value.IsScalar()) {
                d_.error(mark(it.value), "expected a string for " + what + ", got " + describe(it.value));
                return std::nullopt;
            }
            const std::string s = it.value.Scalar();
            if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
                auto& e = d_.error(mark(it.value), what + " = '" + s + "' is not one of {" + join(spec.choices) + "}");
                if (auto sg = suggest(s, spec.choices); !sg.empty()) note(e, "did you mean '" + sg + "'?");
                return std::nullopt;
            }
            return plugin::Value{s};
        }
    }
    return std::nullopt;
}

std::optional<BlockSpec> Validator::check_model_block(const ScenarioSpec& sc, const std::string& name,
                                                      const RawBlock& b) {
    const Kind kind = kind_of(name);
    if (!b.present) {
        if (kind == Kind::reference) return std::nullopt;
        auto& e =
            d_.error(sc.mark, "scenario '" + sc.name + "' has no '" + name + "' block (" + kind_phrase(kind) + ")");
        const auto types = reg_.types(kind);
        if (!types.empty()) note(e, "available " + name + " types: " + join(types));
        note(e, "give it in the scenario or under 'defaults:'");
        return std::nullopt;
    }
    const Item* type_item = b.find("type");
    if (!type_item) {
        auto& e = d_.error(b.mark, "the '" + name + "' block of scenario '" + sc.name + "' has no 'type'");
        note(e, "available " + name + " types: " + join(reg_.types(kind)));
        return std::nullopt;
    }
    if (!type_item->value.IsScalar()) {
        d_.error(mark(type_item->value),
                 "expected a type name for " + name + ".type, got " + describe(type_item->value));
        return std::nullopt;
    }
    const std::string type = type_item->value.Scalar();
    const PluginEntry* entry = reg_.find(kind, type);
    if (!entry) {
        auto& e =
            d_.error(mark(type_item->value), "unknown " + name + " type '" + type + "' in scenario '" + sc.name + "'");
        e.code = "unknown-type";
        const auto types = reg_.types(kind);
        if (auto s = suggest(type, types); !s.empty()) note(e, "did you mean '" + s + "'?");
        note(e, types.empty() ? "no " + name + " types were found" : "valid " + name + " types: " + join(types));
        std::vector<std::string> dirs;
        for (const auto& p : reg_.searched()) dirs.push_back(p.string());
        note(e, "plugin directories searched: " + (dirs.empty() ? std::string("(none)") : join(dirs)));
        for (const auto& r : reg_.refused()) note(e, "refused " + r.path.string() + ": " + r.reason);
        return std::nullopt;
    }
    BlockSpec spec;
    spec.selection.type = type;
    spec.entry = entry;
    spec.mark = b.mark;
    const auto& schema = entry->descriptor.schema;
    const std::string where = name;
    bool ok = true;
    for (const auto& it : b.items) {
        if (it.key == "type") continue;
        const ParamSpec* ps = schema.find(it.key);
        if (!ps) {
            ok = false;
            std::vector<std::string> names;
            for (const auto& p : schema.params()) names.push_back(p.name);
            const bool inherited = it.origin != sc.name;
            if (inherited && !b.replaced_type.empty()) {
                auto& e = d_.error(it.key_mark, "inherited key '" + it.key + "' is not a parameter of " + name + " '" +
                                                    type + "' (scenario '" + sc.name + "')");
                note(e, "the block's type changed from '" + b.replaced_type + "' (inherited from " +
                            (it.origin == "defaults" ? std::string("defaults") : "scenario '" + it.origin + "'") +
                            ") to '" + type + "'");
                note(e, "write '" + it.key + ": ~' in the " + name + " block of scenario '" + sc.name + "' to drop it");
            } else {
                auto& e = d_.error(it.key_mark, "unknown parameter '" + it.key + "' for " + name + " '" + type + "'" +
                                                    (inherited ? " (inherited by scenario '" + sc.name + "')" : ""));
                if (auto s = suggest(it.key, names); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, names.empty() ? type + " takes no parameters" : "parameters of " + type + ": " + join(names));
            }
            continue;
        }
        if (auto v = param_value(*ps, it, where))
            spec.selection.params.set(ps->name, *v);
        else
            ok = false;
    }
    for (const auto& ps : schema.params()) {
        if (b.find(ps.name)) continue;
        if (ps.default_value) {
            spec.selection.params.set(ps.name, *ps.default_value);
        } else if (ps.required) {
            ok = false;
            auto& e = d_.error(b.mark, "missing required parameter '" + ps.name + "' of " + name + " '" + type +
                                           "' in scenario '" + sc.name + "'");
            note(e, ps.name + (ps.unit.empty() ? "" : " (" + ps.unit + ")") + ": " + ps.doc +
                        (ps.constraint().empty() ? "" : " Must be " + ps.constraint() + "."));
        }
    }
    if (!ok) return std::nullopt;
    return spec;
}

ordered_json selection_json(const plugin::Selection& s) {
    ordered_json j;
    j["type"] = s.type;
    // Not a structured binding: clang 14 (the asan preset) cannot capture one in a lambda.
    for (const auto& kv : s.params.entries()) {
        const auto& key = kv.first;
        std::visit([&](const auto& x) { j[key] = x; }, kv.second);
    }
    return j;
}

void Validator::build_scenario(RawScenario& raw) {
    std::vector<std::size_t> stack;
    const auto idx = static_cast<std::size_t>(&raw - raw_.data());
    const Blocks* blocks = resolve(idx, stack);
    if (!blocks || !raw.valid) return;

    ScenarioSpec sc;
    sc.name = raw.name;
    sc.mark = raw.mark;
    auto block = [&](const std::string& n) -> const RawBlock& {
        static const RawBlock none{};
        auto it = blocks->find(n);
        return it == blocks->end() ? none : it->second;
    };
    auto eff = check_model_block(sc, "efficiency", block("efficiency"));
    auto pow = check_model_block(sc, "power", block("power"));
    auto loss = check_model_block(sc, "loss", block("loss"));
    auto ref = check_model_block(sc, "reference", block("reference"));
    const bool ref_ok = !block("reference").present || ref.has_value();

    // Baseline: {tau} (default tau = 0) or {C0}.
    bool ok = eff && pow && loss && ref_ok;
    const RawBlock& bl = block("baseline");
    if (bl.present) {
        for (const auto& it : bl.items) {
            if (it.key == "tau") {
                if (auto v = bounded(it.value, "baseline.tau", rule("tau", plugin::Bound{-1, false})))
                    sc.tau = *v;
                else
                    ok = false;
            } else if (it.key == "C0") {
                if (auto v = bounded(it.value, "baseline.C0", rule("C0", plugin::Bound{0, false})))
                    sc.C0 = *v;
                else
                    ok = false;
            } else {
                ok = false;
                auto& e = d_.error(it.key_mark, "unknown key '" + it.key + "' in 'baseline'");
                if (auto s = suggest(it.key, {"tau", "C0"}); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, "baseline is {tau: <yr>} (C0 = E0*P0*(1+tau)*1 yr) or {C0: <PFLOP>}");
            }
        }
        if (sc.tau && sc.C0) {
            ok = false;
            d_.error(bl.mark, "baseline gives both 'tau' and 'C0': give one (C0 = E0*P0*(1+tau)*1 yr)");
        }
    }
    if (!sc.C0 && !sc.tau) sc.tau = 0.0;

    sc.horizon = ex_.horizon;
    if (const RawBlock& hb = block("horizon"); hb.present) {
        if (auto h = bounded(hb.items.front().value, "horizon of scenario '" + sc.name + "'",
                             rule("horizon", plugin::Bound{0, false})))
            sc.horizon = *h;
        else
            ok = false;
    }
    for (std::size_t k = 0; k < ex_.output.times.size(); ++k)
        if (const double t = ex_.output.times[k]; sc.horizon > 0 && t > sc.horizon) {
            ok = false;
            auto& e =
                d_.error(time_marks_[k], "output time " + plugin::math::format(t) + " lies beyond the horizon " +
                                             plugin::math::format(sc.horizon) + " yr of scenario '" + sc.name + "'");
            note(e, "every output time must lie within every scenario's horizon");
        }

    // Targets: {loss: [..]} and/or {relative: [..]}.
    const RawBlock& tg = block("targets");
    if (tg.present) {
        for (const auto& it : tg.items) {
            TargetSpec::Kind k;
            if (it.key == "loss")
                k = TargetSpec::Kind::loss;
            else if (it.key == "relative")
                k = TargetSpec::Kind::relative;
            else {
                ok = false;
                auto& e = d_.error(it.key_mark, "unknown key '" + it.key + "' in 'targets'");
                if (auto s = suggest(it.key, {"loss", "relative"}); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, "targets are {loss: [<nats/token>, ...], relative: [<L/L(C0)>, ...]}");
                continue;
            }
            std::vector<YAML::Node> vals;
            if (it.value.IsSequence())
                for (const auto& v : it.value) vals.push_back(v);
            else
                vals.push_back(it.value);
            for (const auto& v : vals) {
                auto x = real(v, "targets." + it.key);
                if (!x) {
                    ok = false;
                    continue;
                }
                if (k == TargetSpec::Kind::relative && !(*x > 0)) {
                    ok = false;
                    d_.error(mark(v),
                             "relative target " + v.Scalar() + " cannot be reached: relative loss R = L/L(C0) is > 0");
                    continue;
                }
                sc.targets.push_back(TargetSpec{k, *x, mark(v)});
            }
        }
    }
    if (ex_.output.every && sc.horizon / *ex_.output.every > 1e6) {
        ok = false;
        d_.error(every_mark_, "output.every = " + plugin::math::format(*ex_.output.every) + " gives " +
                                  plugin::math::format(std::floor(sc.horizon / *ex_.output.every)) +
                                  " rows for scenario '" + sc.name +
                                  "'; at most 1000000 rows per scenario are allowed");
    }
    if (!ok) return;

    sc.efficiency = *eff;
    sc.power = *pow;
    sc.loss = *loss;
    sc.reference = ref;
    const std::size_t errors_before = d_.count();
    try {
        instantiate(sc, *blocks);
    } catch (PluginError& err) {  // a plugin fault while checking its first values: exit 3
        if (err.scenario.empty()) err.scenario = sc.name;
        throw;
    }
    if (d_.count() == errors_before) ex_.scenarios.push_back(std::move(sc));
}

void Validator::instantiate(ScenarioSpec& sc, const Blocks& blocks) {
    // C0 = E0 · P0 · (1 + tau) · 1 yr needs parameters named E0 and P0 (MODEL.md).
    if (!sc.C0) {
        const auto& e = sc.efficiency.selection.params;
        const auto& p = sc.power.selection.params;
        if (!e.has("E0") || !p.has("P0")) {
            auto& err = d_.error(sc.mark,
                                 "scenario '" + sc.name + "': the baseline C0 = E0*P0*(1+tau)*1 yr needs " +
                                     std::string(!e.has("E0") ? "an efficiency parameter E0" : "a power parameter P0"));
            note(err, "give the baseline compute explicitly: 'baseline: {C0: <PFLOP>}'");
            return;
        }
        sc.C0 = e.real("E0") * p.real("P0") * (1 + *sc.tau);
    }
    Model& m = sc.model;
    m.C0 = *sc.C0;
    m.log_C0 = std::log(m.C0);
    const plugin::BuildContext ctx{m.C0, sc.horizon};

    auto report = [&](const BlockSpec& b, const std::string& block, const PluginError& err) {
        if (!err.parameter_error) {  // a plugin fault, not a config problem: exit 3 (docs/reliability.md)
            PluginError fault = err;
            fault.scenario = sc.name;
            throw fault;
        }
        Mark where = b.mark;
        auto it = blocks.find(block);
        if (!err.key.empty() && it != blocks.end())
            if (const Item* item = it->second.find(err.key)) where = mark(item->value);
        auto& e = d_.error(where, block + " '" + b.selection.type + "' rejected its parameters in scenario '" +
                                      sc.name + "': " + err.what());
        note(e, "plugin library: " + err.library.string());
    };
    try {
        m.efficiency = reg_.make_rate(*sc.efficiency.entry, sc.efficiency.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.efficiency, "efficiency", err);
    }
    try {
        m.power = reg_.make_rate(*sc.power.entry, sc.power.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.power, "power", err);
    }
    try {
        m.loss = reg_.make_loss(*sc.loss.entry, sc.loss.selection.params, ctx);
    } catch (const PluginError& err) {
        report(sc.loss, "loss", err);
    }
    if (!m.efficiency || !m.power || !m.loss) return;

    m.L_start = m.loss->loss(m.log_C0);
    if (!std::isfinite(m.L_start) || !(m.L_start > 0)) {
        d_.error(sc.loss.mark, "loss '" + sc.loss.selection.type +
                                   "' gives L(C0) = " + plugin::math::format(m.L_start) + " in scenario '" + sc.name +
                                   "': the starting loss must be positive and finite");
        return;
    }
    for (auto& t : sc.targets) {
        const double L = t.kind == TargetSpec::Kind::loss ? t.value : t.value * m.L_start;
        std::string why;
        if (!m.loss->log_compute_for_loss(L, why)) {
            auto& e = d_.error(t.mark, "target " +
                                           std::string(t.kind == TargetSpec::Kind::loss ? "loss " : "relative loss ") +
                                           plugin::math::format(t.value) + " cannot be expressed by loss '" +
                                           sc.loss.selection.type + "'");
            note(e, why);
        }
    }
    if (sc.reference) {
        const plugin::ReferenceInput in{sc.efficiency.selection, sc.power.selection, sc.loss.selection, m.C0,
                                        sc.horizon};
        std::string why;
        try {
            m.reference = reg_.make_reference(*sc.reference->entry, in, why);
            if (!m.reference) {
                auto& e = d_.error(sc.reference->mark, "reference '" + sc.reference->selection.type +
                                                           "' does not apply to scenario '" + sc.name + "'");
                note(e, why);
                const auto all = reg_.types(Kind::reference);
                note(e, "reference types: " + join(all) + "; or drop the reference with 'reference: ~'");
            }
        } catch (const PluginError& err) {
            report(*sc.reference, "reference", err);
        }
    }

    ordered_json j;
    j["name"] = sc.name;
    j["efficiency"] = selection_json(sc.efficiency.selection);
    j["power"] = selection_json(sc.power.selection);
    j["loss"] = selection_json(sc.loss.selection);
    j["horizon"] = sc.horizon;
    if (sc.reference) j["reference"] = sc.reference->selection.type;
    if (sc.tau)
        j["baseline"] = {{"tau", *sc.tau}};
    else
        j["baseline"] = {{"C0", *sc.C0}};
    ordered_json tl = ordered_json::array(), tr = ordered_json::array();
    for (const auto& t : sc.targets) (t.kind == TargetSpec::Kind::loss ? tl : tr).push_back(t.value);
    j["targets"] = {{"loss", tl}, {"relative", tr}};
    sc.resolved = std::move(j);
}

std::optional<Experiment> Validator::run() {
    if (!doc_.root.IsMap()) {
        if (doc_.root.IsNull())
            d_.error(Mark{doc_.path.string(), 1, 1},
                     "the file is empty: expected a racesim config (a map starting with 'racesim: 1')");
        else
            d_.error(mark(doc_.root),
                     "expected a map at the top level (starting with 'racesim: 1'), got " + describe(doc_.root));
        return std::nullopt;
    }
    read_top();
    read_scenarios();
    for (auto& r : raw_) build_scenario(r);
    if (!d_.empty()) return std::nullopt;

    ordered_json& j = ex_.resolved;
    j["racesim"] = config_format_version;
    j["name"] = ex_.name;
    j["horizon"] = ex_.horizon;
    j["output"] = {{"every", ex_.output.every ? ordered_json(*ex_.output.every) : ordered_json("horizon/300")},
                   {"times", ex_.output.times}};
    j["solver"] = {
        {"rel_tol", ex_.solver.rel_tol}, {"abs_tol", ex_.solver.abs_tol}, {"max_steps", ex_.solver.max_steps}};
    j["scenarios"] = ordered_json::array();
    for (const auto& sc : ex_.scenarios) j["scenarios"].push_back(sc.resolved);
    return std::move(ex_);
}

// ---------------------------------------------------------------------------------------

class DuplicateKeyWalker {
public:
    DuplicateKeyWalker(const fs::path& file, Diagnostics& d, const DocumentLimits& lim)
        : file_(file), d_(d), lim_(lim) {}

    bool walk(const YAML::Node& n, std::size_t depth) {
        if (++visited_ > lim_.max_nodes) {
            d_.error(mark_of(file_, n), "the document expands to more than " + std::to_string(lim_.max_nodes) +
                                            " nodes (YAML aliases expanded): refused");
            return false;
        }
        if (depth > lim_.max_depth) {
            d_.error(mark_of(file_, n),
                     "the document is nested deeper than " + std::to_string(lim_.max_depth) + " levels: refused");
            return false;
        }
        if (n.IsMap()) {
            std::map<std::string, Mark> seen;
            for (auto it = n.begin(); it != n.end(); ++it) {
                if (!it->first.IsScalar()) {
                    d_.error(mark_of(file_, it->first), "expected a plain key, got " + describe(it->first));
                    continue;
                }
                const std::string k = it->first.Scalar();
                if (k == "<<") {
                    auto& e = d_.error(mark_of(file_, it->first), "YAML merge keys ('<<') are not supported");
                    note(e, "use 'extends: <scenario>' to inherit, or 'defaults:' for shared blocks");
                }
                if (auto s = seen.find(k); s != seen.end()) {
                    auto& e = d_.error(mark_of(file_, it->first), "duplicate key '" + k + "'");
                    note(e, "first given here; YAML maps must have unique keys", s->second);
                } else {
                    seen.emplace(k, mark_of(file_, it->first));
                }
                if (!walk(it->second, depth + 1)) return false;
            }
        } else if (n.IsSequence()) {
            for (const auto& c : n)
                if (!walk(c, depth + 1)) return false;
        }
        return true;
    }

private:
    const fs::path& file_;
    Diagnostics& d_;
    const DocumentLimits& lim_;
    std::size_t visited_ = 0;
};

}  // namespace

namespace {

/// The offset of the first byte of `s` that is not part of valid UTF-8 (no overlong forms, no
/// surrogates, at most U+10FFFF), or npos.
std::size_t first_invalid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned c = p[i];
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return i;
        }
        if (i + len > n) return i;
        if (p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
        i += len;
    }
    return std::string::npos;
}

}  // namespace

std::optional<Document> parse_document_text(const std::string& text, const fs::path& path, Diagnostics& diags,
                                            const DocumentLimits& limits) {
    Document doc;
    doc.path = path;
    if (const auto bad = first_invalid_utf8(text); bad != std::string::npos) {
        // yaml-cpp passes such bytes through, and they would break summary.json later.
        const auto line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
        const std::size_t col0 = line_start == std::string::npos || bad == 0 ? bad : bad - line_start - 1;
        const int line =
            1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
        auto& e = diags.error(
            Mark{path.string(), line, static_cast<int>(col0) + 1},
            fmt::format("the file is not valid UTF-8 (byte 0x{:02X})", static_cast<unsigned char>(text[bad])));
        note(e, "racesim reads configs as UTF-8: convert the file, e.g. with iconv -f latin1 -t utf-8");
        return std::nullopt;
    }
    try {
        doc.root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
        diags.error(Mark{path.string(), e.mark.line + 1, e.mark.column + 1},
                    "the document is nested deeper than " + std::to_string(limits.max_depth) + " levels: refused");
        return std::nullopt;
    } catch (const YAML::ParserException& e) {
        diags.error(Mark{path.string(), e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
        return std::nullopt;
    } catch (const YAML::Exception& e) {
        diags.error(Mark{path.string(), e.mark.line + 1, e.mark.column + 1}, std::string("cannot read YAML: ") + e.msg);
        return std::nullopt;
    }
    DuplicateKeyWalker w(path, diags, limits);
    w.walk(doc.root, 0);
    if (!diags.empty()) return std::nullopt;
    return doc;
}

std::optional<Document> parse_document(const fs::path& path, Diagnostics& diags, const DocumentLimits& limits) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        diags.error(Mark{path.string()}, "no such file");
        return std::nullopt;
    }
    if (fs::is_directory(path, ec)) {
        diags.error(Mark{path.string()}, "is a directory, not a config file");
        return std::nullopt;
    }
    const auto size = fs::file_size(path, ec);
    if (!ec && size > limits.max_bytes) {
        diags.error(Mark{path.string()}, "file is " + std::to_string(size) + " bytes; configs are limited to " +
                                             std::to_string(limits.max_bytes) + " bytes");
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diags.error(Mark{path.string()}, "cannot be read (permission denied?)");
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_document_text(ss.str(), path, diags, limits);
}

namespace {

/// True when `p` is `dir` or lies below it (both already canonical).
bool is_within(const fs::path& p, const fs::path& dir) {
    auto d = dir.begin(), q = p.begin();
    for (; d != dir.end(); ++d, ++q) {
        if (d->empty() && std::next(d) == dir.end()) break;  // "a/b/" ends with an empty element
        if (q == p.end() || *q != *d) return false;
    }
    return true;
}

fs::path canonical_or_self(const fs::path& p) {
    std::error_code ec;
    auto c = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return ec ? p.lexically_normal() : c;
}

}  // namespace

std::vector<fs::path> document_plugin_paths(const Document& doc, Diagnostics& diags,
                                            const std::vector<fs::path>& trusted) {
    std::vector<fs::path> out;
    if (!doc.root.IsMap()) return out;
    const YAML::Node pp = doc.root["plugin_paths"];
    if (!pp) return out;
    if (!pp.IsSequence()) {
        diags.error(mark_of(doc.path, pp), "expected a list of directories for 'plugin_paths', got " + describe(pp));
        return out;
    }
    const fs::path base = doc.path.has_parent_path() ? doc.path.parent_path() : fs::path(".");
    for (const auto& p : pp) {
        if (!p.IsScalar() || p.Scalar().empty()) {
            diags.error(mark_of(doc.path, p), "expected a directory for a plugin path, got " + describe(p));
            continue;
        }
        fs::path dir = p.Scalar();
        if (dir.is_relative()) dir = base / dir;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            auto& e = diags.error(mark_of(doc.path, p), "plugin path '" + p.Scalar() + "' is not a directory");
            note(e, "resolved to " + dir.lexically_normal().string() +
                        " (relative paths are relative to the config file)");
            continue;
        }
        // Trust rule (docs/plugins.md): a config may load plugins from inside its own directory
        // or from a directory the user named (--plugin-path, RACESIM_PLUGIN_PATH), nowhere
        // else, symbolic links resolved: loading a library runs its code with the user's rights.
        const fs::path real = canonical_or_self(dir);
        bool ok = is_within(real, canonical_or_self(base));
        for (const auto& t : trusted) ok = ok || is_within(real, canonical_or_self(t));
        if (!ok) {
            auto& e = diags.error(mark_of(doc.path, p), "plugin path '" + p.Scalar() + "' resolves to " +
                                                            real.string() + ", outside the config's directory " +
                                                            canonical_or_self(base).string() +
                                                            " and every plugin directory you named");
            note(e,
                 "plugin libraries run with your rights, so a config may only load them from its own directory "
                 "tree; if you trust " +
                     real.string() + ", name it yourself: --plugin-path " + real.string() + " or RACESIM_PLUGIN_PATH");
            continue;
        }
        out.push_back(dir.lexically_normal());
    }
    return out;
}

std::optional<Experiment> validate(const Document& doc, const Registry& registry, Diagnostics& diags) {
    Validator v(doc, registry, diags);
    return v.run();
}

}  // namespace racesim
