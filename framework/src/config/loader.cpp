#include "racesim/config/loader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <any>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "racesim/config/analysis.hpp"
#include "racesim/config/block_reader.hpp"
#include "racesim/config/keys.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugins/quoted.hpp"

namespace fs = std::filesystem;

namespace racesim {

namespace {

using plugin::Kind;
using plugin::ParamSpec;
using plugin::ParamType;

std::string describe(const YAML::Node& n) {
    return describe_node(n);
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

const std::vector<std::string> model_blocks{"efficiency", "power", "loss", "reference", "algorithms"};
const std::vector<std::string> whole_blocks{"baseline", "targets", "horizon", "start_year"};
// The accepted keys are the declared ones (framework_keys.cpp).
const std::vector<std::string>& defaults_key_names() {
    static const std::vector<std::string> v = defaults_keys().names();
    return v;
}

using Blocks = std::map<std::string, RawBlock>;

struct RawScenario {
    std::string name;
    Mark mark;
    std::optional<std::string> extends;
    Mark extends_mark;
    Blocks own;
    std::optional<Blocks> resolved;
    bool valid = true;
    /// The blocks of analysis modules (racesim/config/analysis.hpp), per scenario, not inherited.
    std::vector<std::pair<const AnalysisKind*, YAML::Node>> analyses;
};

Kind kind_of(const std::string& block) {
    if (block == "efficiency") return Kind::efficiency;
    if (block == "power") return Kind::power;
    if (block == "loss") return Kind::loss;
    if (block == "algorithms") return Kind::algorithms;
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
        case Kind::algorithms:
            return "an algorithmic-progress model";
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
    Validator(const Document& doc, const Registry& reg, Diagnostics& d, const ExperimentLimits& lim,
              const ScenarioCheck& check, const AnalysisKinds& analyses)
        : doc_(doc),
          reg_(reg),
          d_(d),
          lim_(lim),
          check_(check),
          r_(doc.path, d),
          analyses_(analyses),
          catalog_(analyses) {}

    std::optional<Experiment> run();

private:
    Mark mark(const YAML::Node& n) const { return node_mark(doc_.path, n); }

    // Typed reads with positions: racesim/config/block_reader.hpp, shared with analysis modules.
    void check_keys(const YAML::Node& node, const std::vector<std::string>& allowed, const std::string& where) {
        r_.check_keys(node, allowed, where);
    }
    void check_keys(const YAML::Node& node, const KeyBlock& block, const std::string& where) {
        r_.check_keys(node, block, where);
    }
    bool expect(const YAML::Node& n, YAML::NodeType::value type, const std::string& what) {
        return r_.expect(n, type, what);
    }
    std::optional<double> real(const YAML::Node& n, const std::string& what) { return r_.real(n, what); }
    std::optional<double> bounded(const YAML::Node& n, const std::string& what, const ParamSpec& spec,
                                  bool doc_note = true) {
        return r_.bounded(n, what, spec, doc_note);
    }
    std::optional<double> real_key(const YAML::Node& n, const std::string& what, const KeySpec& key) {
        return r_.real_key(n, what, key);
    }
    std::optional<std::int64_t> integer_key(const YAML::Node& n, const std::string& what, const KeySpec& key) {
        return r_.integer_key(n, what, key);
    }
    std::optional<std::string> choice_key(const YAML::Node& n, const std::string& what, const KeySpec& key) {
        return r_.choice_key(n, what, key);
    }
    std::optional<bool> boolean_key(const YAML::Node& n, const std::string& what) { return r_.boolean_key(n, what); }

    void read_top();
    void read_scenarios();
    RawBlock read_block(const std::string& name, const YAML::Node& value, const YAML::Node& key,
                        const std::string& origin);
    Blocks read_blocks(const YAML::Node& map, const std::string& origin);
    const Blocks* resolve(std::size_t i);
    void report_cycle(std::size_t i);
    std::optional<BlockSpec> check_model_block(const ScenarioSpec& sc, const std::string& name, const RawBlock& b);
    std::optional<plugin::Value> param_value(const ParamSpec& spec, const Item& it, const std::string& where);
    bool read_quoted(const ParamSpec& spec, const YAML::Node& n, const std::string& what, QuotedValue& out,
                     double& value);
    bool resolve_quoted(BlockSpec& spec, const std::string& where);
    bool unit_suffix(const ParamSpec& spec, const YAML::Node& n, const std::string& what);
    void build_scenario(RawScenario& raw);
    std::optional<ScenarioSpec> build_spec(const RawScenario& raw, const Blocks& blocks);
    void check_sweep_names();
    void check_output_budget();
    void add_scenario(ScenarioSpec sc, const Mark& where);

    const Document& doc_;
    const Registry& reg_;
    Diagnostics& d_;
    const ExperimentLimits& lim_;
    const ScenarioCheck& check_;
    BlockReader r_;
    const AnalysisKinds& analyses_;
    const KeyCatalog catalog_;  ///< the scenario's keys include the analyses'
    /// One shared copy of each plugin type's schema, for the experiment's blocks.
    std::map<const PluginEntry*, std::shared_ptr<const plugin::Schema>> schemas_;
    Experiment ex_;
    std::map<std::string, Mark> final_names_;
    bool over_limit_ = false;
    std::size_t expanded_ = 0;  ///< scenarios so far, each sweep counted as its size
    Mark method_mark_;
    Blocks defaults_;
    Mark every_mark_;
    std::vector<Mark> time_marks_;
    std::vector<RawScenario> raw_;
    std::unordered_map<std::string, std::size_t> raw_index_;  ///< name -> first raw scenario of that name
    /// Raw scenarios in an `extends` cycle: the cycle (in `extends` order) and their place in it.
    std::unordered_map<std::size_t, std::pair<std::shared_ptr<const std::vector<std::size_t>>, std::size_t>> cycle_of_;
};

void Validator::read_top() {
    const YAML::Node& root = doc_.root;
    const KeyBlock& top = catalog_.top_level();
    check_keys(root, top, "the top level");

    if (const YAML::Node v = root["racesim"]; !v) {
        auto& e =
            d_.error(Mark{doc_.path.string(), 1, 1}, "missing required key 'racesim' (the config format version)");
        note(e, "add 'racesim: " + std::to_string(config_format_version) + "' as the first line");
    } else {
        std::int64_t ver = 0;
        if (!v.IsScalar() || v.Tag() == "!" || !parse_int(v.Scalar(), ver))
            d_.error(mark(v), "expected an integer format version for 'racesim', got " + describe(v));
        else if (!top.at("racesim").param.admits(static_cast<double>(ver)))
            d_.error(mark(v), "unsupported config format version " + std::to_string(ver) +
                                  ": this racesim reads version " + std::to_string(config_format_version));
    }

    ex_.file = doc_.path;
    ex_.limits = lim_;
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
    } else if (auto h = real_key(v, "horizon", top.at("horizon"))) {
        ex_.horizon = *h;
    }
    if (const YAML::Node v = root["start_year"])
        if (auto y = real_key(v, "start_year", top.at("start_year"))) ex_.start_year = *y;

    if (const YAML::Node out = root["output"]) {
        const KeyBlock& ok = output_keys();
        if (expect(out, YAML::NodeType::Map, "a map for 'output' ({every: <yr>, times: [...]})")) {
            check_keys(out, ok, "'output'");
            if (const YAML::Node ev = out["every"]) {
                if (auto v = real_key(ev, "output.every", ok.at("every"))) {
                    ex_.output.every = *v;
                    every_mark_ = mark(ev);
                }
            }
            if (const YAML::Node ts = out["times"]) {
                if (expect(ts, YAML::NodeType::Sequence, "a list of times (yr) for 'output.times'")) {
                    for (const auto& t : ts) {
                        auto v = real(t, "an output time");
                        if (!v) continue;
                        if (!ok.at("times").param.admits(*v))
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

    const KeyBlock& sk = solver_keys();  // the defaults of what the file does not set
    ex_.solver.closed_form = declared_string(sk, "method") == "closed-form";
    ex_.solver.rel_tol = declared_real(sk, "rel_tol");
    ex_.solver.abs_tol = declared_real(sk, "abs_tol");
    ex_.solver.max_steps = declared_integer(sk, "max_steps");
    ex_.solver.target_time_tol = declared_real(sk, "target_time_tol");
    ex_.solver.audit_all = declared_string(sk, "audit") == "all";
    if (const YAML::Node s = root["solver"]) {
        if (expect(s, YAML::NodeType::Map, "a map for 'solver' ({rel_tol, abs_tol, max_steps})")) {
            check_keys(s, sk, "'solver'");
            if (const YAML::Node v = s["method"]) {
                if (auto m = choice_key(v, "solver.method", sk.at("method"))) {
                    ex_.solver.closed_form = *m == "closed-form";
                    method_mark_ = mark(v);
                }
            }
            if (const YAML::Node v = s["rel_tol"])
                if (auto x = real_key(v, "solver.rel_tol", sk.at("rel_tol"))) ex_.solver.rel_tol = *x;
            if (const YAML::Node v = s["abs_tol"])
                if (auto x = real_key(v, "solver.abs_tol", sk.at("abs_tol"))) ex_.solver.abs_tol = *x;
            if (const YAML::Node v = s["max_steps"])
                if (auto n = integer_key(v, "solver.max_steps", sk.at("max_steps"))) ex_.solver.max_steps = *n;
            if (const YAML::Node v = s["target_time_tol"])
                if (auto x = real_key(v, "solver.target_time_tol", sk.at("target_time_tol")))
                    ex_.solver.target_time_tol = *x;
            if (const YAML::Node v = s["audit"])
                if (auto a = choice_key(v, "solver.audit", sk.at("audit"))) ex_.solver.audit_all = *a == "all";
        }
    }

    if (const YAML::Node def = root["defaults"]) {
        if (expect(def, YAML::NodeType::Map, "a map of scenario blocks for 'defaults'")) {
            check_keys(def, defaults_keys(), "'defaults'");
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
        // `reference: ~` (or `algorithms: ~`) drops an inherited block; elsewhere a null block is an error.
        if (name == "reference" || name == "algorithms")
            b.present = false;
        else
            d_.error(mark(key), "'" + name + "' is empty: expected " +
                                    (name == "horizon" || name == "start_year" ? std::string("a number (yr)")
                                                                               : std::string("a map")));
        return b;
    }
    if (name == "horizon" || name == "start_year") {  // a scenario's own: a scalar, kept as one item
        b.present = true;
        b.items.push_back(Item{name, mark(key), value, origin});
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
        if (!defaults_keys().find(key)) continue;
        RawBlock b = read_block(key, it->second, it->first, origin);
        // A `reference: ~` (`algorithms: ~`) is kept (not present) so that resolve() drops an inherited one.
        if (b.present || ((key == "reference" || key == "algorithms") && it->second.IsNull())) out[key] = b;
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
        check_keys(s, catalog_.scenario(), "a scenario");
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
        // Node::reset rebinds (operator= would write through, and throws on a missing key).
        for (const AnalysisKind* a : analyses_)
            if (const YAML::Node v = s[a->key()]; v && !v.IsNull()) r.analyses.emplace_back(a, v);
        raw_.push_back(std::move(r));
    }
}

// The error of scenario i in a cycle of `extends`, at its `extends`: the cycle spelt from i
// ("a -> b -> a"); a cycle of more than 16 scenarios is abridged in the middle, so that n
// errors of a long cycle do not print n^2 names.
void Validator::report_cycle(std::size_t i) {
    const auto& entry = cycle_of_.at(i);  // not a structured binding: clang 14 cannot capture one
    const std::vector<std::size_t>& cycle = *entry.first;
    const std::size_t pos = entry.second, n = cycle.size();
    auto name = [&](std::size_t k) -> const std::string& { return raw_[cycle[(pos + k) % n]].name; };
    std::string names;
    for (std::size_t k = 0; k < n; ++k) {
        if (n > 16 && k == 8) {
            names += "... (" + std::to_string(n - 10) + " more) -> ";
            k = n - 3;
            continue;
        }
        names += name(k) + " -> ";
    }
    names += name(0);
    d_.error(raw_[i].extends_mark, "'extends' forms a cycle: " + names);
}

// Iterative, not recursive: a chain of tens of thousands of `extends` (a valid config, under
// every size limit) would overflow the stack. Walks from scenario i up its `extends` chain to
// the first scenario already resolved (or to one without `extends`), then resolves the chain
// downwards. Diagnostics are those of the straightforward recursion: a cycle is reported at
// the `extends` of the scenario met twice, spelt from that scenario (each time a walk meets
// it); an unknown parent at the `extends` that names it. Cycles are remembered, so that a
// walk that reaches one stops there instead of going round it again.
const Blocks* Validator::resolve(std::size_t i) {
    if (raw_index_.empty())
        for (std::size_t k = 0; k < raw_.size(); ++k) raw_index_.emplace(raw_[k].name, k);
    std::vector<std::size_t> chain;  // child first; each one extends the next
    std::unordered_set<std::size_t> on_chain;
    const Blocks* top = &defaults_;
    for (std::size_t cur = i;;) {
        RawScenario& r = raw_[cur];
        if (r.resolved) {
            top = &*r.resolved;
            break;
        }
        if (cycle_of_.count(cur)) {  // met before: the walk would go round the cycle back to cur
            report_cycle(cur);
            return nullptr;
        }
        if (on_chain.count(cur)) {
            const auto first = std::find(chain.begin(), chain.end(), cur);
            auto cycle = std::make_shared<const std::vector<std::size_t>>(first, chain.end());
            for (std::size_t k = 0; k < cycle->size(); ++k) cycle_of_.emplace((*cycle)[k], std::pair(cycle, k));
            report_cycle(cur);
            return nullptr;
        }
        chain.push_back(cur);
        on_chain.insert(cur);
        if (!r.extends) break;
        const auto parent = raw_index_.find(*r.extends);
        if (parent == raw_index_.end() || !raw_[parent->second].valid) {
            if (parent == raw_index_.end()) {
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
        cur = parent->second;
    }
    for (auto k = chain.rbegin(); k != chain.rend(); ++k) {
        RawScenario& r = raw_[*k];
        Blocks base = *top;
        for (const auto& [name, blk] : r.own) {
            if (!blk.present) {  // `reference: ~` or `algorithms: ~`
                base.erase(name);
                continue;
            }
            merge_block(name, base[name], blk);
        }
        r.resolved = std::move(base);
        top = &*r.resolved;
    }
    return top;
}

std::optional<plugin::Value> Validator::param_value(const ParamSpec& spec, const Item& it, const std::string& where) {
    const std::string what = where + "." + spec.name;
    switch (spec.type) {
        case ParamType::real: {
            if (unit_suffix(spec, it.value, what)) return std::nullopt;
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
        case ParamType::path: {
            if (!it.value.IsScalar() || it.value.Scalar().empty()) {
                d_.error(mark(it.value), "expected a file name for " + what + ", got " + describe(it.value));
                return std::nullopt;
            }
            // Relative to the config file's directory, so a config and its data move together.
            std::filesystem::path f(it.value.Scalar());
            if (f.is_relative()) f = doc_.path.parent_path() / f;
            std::error_code ec;
            f = std::filesystem::absolute(f, ec).lexically_normal();
            if (ec || !std::filesystem::is_regular_file(f, ec)) {
                auto& e = d_.error(mark(it.value),
                                   what + " = '" + it.value.Scalar() + "': no such file (" + f.string() + ")");
                note(e, "a relative path is read relative to the directory of the config file");
                return std::nullopt;
            }
            return plugin::Value{f.string()};
        }
        case ParamType::table: {
            const std::size_t n = spec.columns.size();
            const std::string shape = "a list of rows [" + join(spec.columns) + "]";
            if (!it.value.IsSequence() || it.value.size() == 0) {
                d_.error(mark(it.value), "expected " + shape + " for " + what + ", got " + describe(it.value));
                return std::nullopt;
            }
            plugin::Table rows;
            bool ok = true;
            for (std::size_t r = 0; r < it.value.size(); ++r) {
                const YAML::Node row = it.value[r];
                const std::string where_row = what + "[" + std::to_string(r) + "]";
                if (!row.IsSequence() || row.size() != n) {
                    d_.error(mark(row), "expected a row of " + std::to_string(n) + " numbers [" + join(spec.columns) +
                                            "] for " + where_row + ", got " + describe(row));
                    ok = false;
                    continue;
                }
                std::vector<double> cells;
                for (std::size_t c = 0; c < n; ++c) {
                    if (auto v = real(row[c], where_row + "." + spec.columns[c]))
                        cells.push_back(*v);
                    else
                        ok = false;
                }
                rows.push_back(std::move(cells));
            }
            if (!ok) return std::nullopt;
            return plugin::Value{std::move(rows)};
        }
    }
    return std::nullopt;
}

std::string written(const QuotedValue& q) {
    std::string s = "{";
    for (std::size_t i = 0; i < q.given.size(); ++i)
        s += (i ? ", " : "") + q.given[i].first + ": " + plugin::math::format(q.given[i].second);
    return s + "}";
}

// A map given for a real parameter that accepts quoted forms (racesim/plugins/quoted.hpp): the
// form's keys, each checked; the converted value in `value`, checked against the parameter's
// own constraint. A relative form ({times_P0: 5}) leaves `value` at 0: resolve_quoted sets it
// once the block's other parameters are known.
bool Validator::read_quoted(const ParamSpec& spec, const YAML::Node& n, const std::string& what, QuotedValue& out,
                            double& value) {
    const auto& forms = quoted_forms(spec.quoted);
    const std::string rel = relative_key(spec);
    std::vector<std::string> keys;
    for (const auto& f : forms)
        for (const auto& k : f.keys) keys.push_back(k.name);
    if (!rel.empty()) keys.push_back(rel);
    const std::string hint = forms_hint(spec, what);
    if (n.size() == 0) {
        auto& e = d_.error(mark(n), "expected a number or a form for " + what + ", got an empty map");
        note(e, hint);
        return false;
    }
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
        auto& e = d_.error(mark(it->first), "unknown key '" + k + "' in the form of " + what);
        if (auto s = suggest(k, keys); !s.empty()) note(e, "did you mean '" + s + "'?");
        note(e, hint);
        ok = false;
    }
    if (!ok) return false;
    if (!rel.empty() && n[rel]) {
        if (n.size() != 1) {
            auto& e = d_.error(mark(n), "'" + rel + "' stands alone: " + what + " = {" + rel + ": <factor>} is " +
                                            spec.relative_to + " times the factor");
            note(e, hint);
            return false;
        }
        ParamSpec factor;
        factor.name = rel;
        factor.lower = plugin::Bound{0, false};
        const auto k = bounded(n[rel], what + "." + rel, factor, false);
        if (!k) return false;
        out.relative_to = spec.relative_to;
        out.factor = *k;
        out.given = {{rel, *k}};
        value = 0;
        return true;
    }
    const std::string first = n.begin()->first.Scalar();
    const QuotedForm* form = nullptr;
    for (const auto& f : forms)
        for (const auto& k : f.keys)
            if (k.name == first) form = &f;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (std::none_of(form->keys.begin(), form->keys.end(), [&](const ParamSpec& p) { return p.name == k; })) {
            auto& e = d_.error(mark(it->first), "'" + k + "' and '" + first + "' belong to different forms of " + what +
                                                    ": give one form");
            note(e, hint);
            return false;
        }
    }
    std::vector<double> args;
    for (const auto& k : form->keys) {
        if (const YAML::Node v = n[k.name]) {
            if (auto x = bounded(v, what + "." + k.name, k, false)) {
                args.push_back(*x);
                out.given.emplace_back(k.name, *x);
            } else {
                ok = false;
            }
        } else if (k.default_value) {
            const double d = std::get<double>(*k.default_value);
            args.push_back(d);
            out.given.emplace_back(k.name, d);
        } else {
            auto& e = d_.error(mark(n), "the form of " + what + " lacks '" + k.name + "'");
            note(e, k.name + " (" + k.unit + "): " + k.doc);
            note(e, hint);
            ok = false;
        }
    }
    if (!ok) return false;
    value = form->convert(args);
    if (!spec.admits(value)) {
        auto& e =
            d_.error(mark(n), what + " = " + written(out) + " = " + form->formula + " = " +
                                  plugin::math::format(value) + " is out of range: it must be " + spec.constraint());
        if (!spec.doc.empty()) note(e, spec.name + ": " + spec.doc);
        return false;
    }
    return true;
}

// Once a block's parameters are all known: each relative form's value (factor × the other
// parameter), and the condition under which a quantity's forms apply (forms_when).
bool Validator::resolve_quoted(BlockSpec& spec, const std::string& where) {
    bool ok = true;
    auto& params = spec.selection.params;
    for (const auto& [name, q] : spec.quoted) {
        const ParamSpec* ps = spec.schema->find(name);
        const Mark at = spec.value_marks[name];
        const std::string what = where + "." + name;
        if (!q.relative_to.empty()) {
            if (!params.has(q.relative_to)) {
                d_.error(at,
                         what + " = " + written(q) + " needs " + where + "." + q.relative_to + ", which has no value");
                ok = false;
                continue;
            }
            const double x = q.factor * params.real(q.relative_to);
            if (!ps->admits(x)) {
                auto& e = d_.error(at, what + " = " + written(q) + " = " + plugin::math::format(x) +
                                           " is out of range: it must be " + ps->constraint());
                if (!ps->doc.empty()) note(e, ps->name + ": " + ps->doc);
                ok = false;
                continue;
            }
            params.set(name, x);
        } else if (ps->forms_when.size() == 2) {
            const std::string& key = ps->forms_when[0];
            const std::string mode = params.has(key) ? params.string(key) : std::string();
            if (mode != ps->forms_when[1]) {
                auto& e = d_.error(at, what + " = " + written(q) +
                                           " is refused: this form gives doublings per year, "
                                           "which " +
                                           name + " is only with " + key + ": " + ps->forms_when[1] + " (here " + key +
                                           ": " + mode + ")");
                note(e, name + ": " + ps->doc + " Write it as a number.");
                ok = false;
            }
        }
    }
    return ok;
}

// A number with a unit in a string ("1e5 GPUs", "40%"): refused, with the forms the parameter
// accepts (racesim reads no units from strings).
bool Validator::unit_suffix(const ParamSpec& spec, const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) return false;
    double x = 0;
    std::string text = n.Scalar();
    if (parse_real(text, x) != NumParse::not_a_number) return false;
    const auto ns = number_with_suffix(text);
    if (!ns) return false;
    const auto& [num, unit] = *ns;
    auto& e = d_.error(mark(n),
                       "expected a number for " + what + ", got " + describe(n) + ": units are not read from strings");
    auto lowercase = [](const std::string& s) {
        std::string l;
        for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return l;
    };
    const std::string lower = lowercase(unit);
    auto has = [&](const char* w) { return lower.find(w) != std::string::npos; };
    std::string guess;
    if (spec.quoted == plugin::Quoted::doubling_rate && has("%"))
        guess = "{percent_per_year: " + num + "}";
    else if (spec.quoted == plugin::Quoted::doubling_rate && (has("yr") || has("year")))
        guess = "{doubling_time: " + num + "} (if " + num + " " + unit + " is a doubling time)";
    else if (spec.quoted == plugin::Quoted::power && (has("gpu") || has("chip") || has("accelerator")))
        guess = "{gpus: " + num + ", watts_per_gpu: <W>}";
    else if (spec.quoted == plugin::Quoted::efficiency && (has("flop") && has("w")))
        guess = "{flops_per_watt: " + num + "}";
    else if (spec.quoted == plugin::Quoted::duration && has("mo"))
        guess = "{months: " + num + "}";
    else if (!spec.unit.empty() && lower == lowercase(spec.unit))
        guess = num + " (the unit, " + spec.unit + ", is implied)";
    if (!guess.empty()) note(e, "did you mean " + guess + "?");
    note(e, forms_hint(spec, what));
    return true;
}

std::optional<BlockSpec> Validator::check_model_block(const ScenarioSpec& sc, const std::string& name,
                                                      const RawBlock& b) {
    const Kind kind = kind_of(name);
    if (!b.present) {
        if (kind == Kind::reference || kind == Kind::algorithms) return std::nullopt;  // optional
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
        // The right name in the wrong slot (a power schedule under efficiency:): say where it goes.
        for (const Kind other : {Kind::efficiency, Kind::power, Kind::loss, Kind::reference, Kind::algorithms})
            if (other != kind && reg_.find(other, type)) {
                note(e, "'" + type + "' is " + kind_phrase(other) + ": it goes under '" + plugin::to_string(other) +
                            ":', not '" + name + ":'");
            }
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
    auto& shared = schemas_[entry];
    if (!shared) shared = std::make_shared<const plugin::Schema>(entry->descriptor.schema);
    spec.schema = shared;
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
        if (it.value.IsMap() && accepts_forms(*ps)) {  // a quantity as it is quoted
            QuotedValue q;
            double x = 0;  // a relative form's value is set once the other parameters are known
            if (read_quoted(*ps, it.value, where + "." + ps->name, q, x)) {
                spec.selection.params.set(ps->name, x);
                spec.value_marks[ps->name] = mark(it.value);
                spec.quoted[ps->name] = std::move(q);
            } else {
                ok = false;
            }
            continue;
        }
        if (auto v = param_value(*ps, it, where)) {
            spec.selection.params.set(ps->name, *v);
            spec.value_marks[ps->name] = mark(it.value);
        } else
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
    if (ok && !spec.quoted.empty()) ok = resolve_quoted(spec, where);
    if (!ok) return std::nullopt;
    return spec;
}

std::optional<ScenarioSpec> Validator::build_spec(const RawScenario& raw, const Blocks& resolved) {
    const Blocks* blocks = &resolved;
    ScenarioSpec sc;
    sc.name = raw.name;
    sc.origin = raw.name;
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
    auto alg = check_model_block(sc, "algorithms", block("algorithms"));
    const bool alg_ok = !block("algorithms").present || alg.has_value();

    // Baseline: {tau} (default tau = 0) or {C0}.
    bool ok = eff && pow && loss && ref_ok && alg_ok;
    const RawBlock& bl = block("baseline");
    const KeyBlock& bk = baseline_keys();
    if (bl.present) {
        for (const auto& it : bl.items) {
            const KeySpec* key = bk.find(it.key);
            if (!key) {
                ok = false;
                auto& e = d_.error(it.key_mark, "unknown key '" + it.key + "' in 'baseline'");
                if (auto s = suggest(it.key, bk.names()); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, "baseline is {tau: <yr>} (C0 = E0*P0*(1+tau)*1 yr) or {C0: <PFLOP>}");
            } else if (auto v = real_key(it.value, "baseline." + it.key, *key)) {
                (it.key == "tau" ? sc.tau : sc.C0) = *v;
            } else {
                ok = false;
            }
        }
        if (sc.tau && sc.C0) {
            ok = false;
            d_.error(bl.mark, "baseline gives both 'tau' and 'C0': give one (C0 = E0*P0*(1+tau)*1 yr)");
        }
    }
    if (!sc.C0 && !sc.tau) sc.tau = declared_real(bk, "tau");
    if (sc.C0) sc.tau.reset();

    sc.horizon = ex_.horizon;
    if (const RawBlock& hb = block("horizon"); hb.present) {
        if (auto h = real_key(hb.items.front().value, "horizon of scenario '" + sc.name + "'",
                              scenario_keys().at("horizon")))
            sc.horizon = *h;
        else
            ok = false;
    }
    sc.start_year = ex_.start_year;
    if (const RawBlock& yb = block("start_year"); yb.present) {
        if (auto y = real_key(yb.items.front().value, "start_year of scenario '" + sc.name + "'",
                              scenario_keys().at("start_year")))
            sc.start_year = *y;
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
        const KeyBlock& tk = targets_keys();
        for (const auto& it : tg.items) {
            const KeySpec* key = tk.find(it.key);
            if (!key) {
                ok = false;
                auto& e = d_.error(it.key_mark, "unknown key '" + it.key + "' in 'targets'");
                if (auto s = suggest(it.key, tk.names()); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, "targets are {loss: [<nats/token>, ...], relative: [<L/L(C0)>, ...]}");
                continue;
            }
            const TargetSpec::Kind k = it.key == "loss" ? TargetSpec::Kind::loss : TargetSpec::Kind::relative;
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
                if (!key->param.admits(*x)) {
                    ok = false;
                    if (k == TargetSpec::Kind::relative)
                        d_.error(mark(v), "relative target " + v.Scalar() +
                                              " cannot be reached: relative loss R = L/L(C0) is > 0");
                    else
                        d_.error(mark(v), "targets." + it.key + " = " + v.Scalar() + " is out of range: it must be " +
                                              key->param.constraint());
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
    if (!ok) return std::nullopt;

    sc.efficiency = *eff;
    sc.power = *pow;
    sc.loss = *loss;
    sc.reference = ref;
    sc.algorithms = alg;
    if (check_) {
        const auto problems = check_(sc);
        d_.add(problems);
        if (!problems.empty()) return std::nullopt;
    }
    return sc;
}

void Validator::add_scenario(ScenarioSpec sc, const Mark& where) {
    if (auto it = final_names_.find(sc.name); it != final_names_.end()) {
        auto& e = d_.error(where, "scenario name '" + sc.name + "' is used twice");
        note(e, "first used here", it->second);
        return;
    }
    if (sc.name.size() > 200) {
        d_.error(where, "the expanded scenario name '" + sc.name.substr(0, 60) + "...' is " +
                            std::to_string(sc.name.size()) + " characters long; at most 200 are allowed");
        return;
    }
    const std::size_t n = sc.sweep_plan ? sc.sweep_plan->size() : 1;
    if (expanded_ + n > lim_.max_scenarios) {
        if (!over_limit_)
            d_.error(where, "the experiment expands to more than " + std::to_string(lim_.max_scenarios) +
                                " scenarios: refused");
        over_limit_ = true;
        return;
    }
    if (ex_.solver.closed_form && !sc.reference) {
        auto& e = d_.error(method_mark_,
                           "solver.method 'closed-form' needs a reference for every scenario, and "
                           "scenario '" +
                               sc.name + "' has none");
        note(e, "give it 'reference: relative-loss' (or piecewise-exact), or use method 'ode'", sc.mark);
        return;
    }
    final_names_.emplace(sc.name, where);
    expanded_ += n;
    ex_.scenarios.push_back(std::move(sc));
}

void Validator::build_scenario(RawScenario& raw) {
    const auto idx = static_cast<std::size_t>(&raw - raw_.data());
    const Blocks* resolved = resolve(idx);
    if (!resolved || !raw.valid) return;

    // An analysis that plans (`sweep:`) is read first, far enough to say which parameter values
    // stand in the scenario (racesim/config/analysis.hpp, AnalysisKind::plans).
    const AnalysisKind* planner = nullptr;
    std::vector<StandIn> stand_ins;
    std::any plan_state;
    PlanContext plan_ctx{lim_, expanded_};
    for (const auto& [kind, node] : raw.analyses)
        if (kind->plans()) {
            if (planner) {
                d_.error(mark(node), "scenario '" + raw.name + "' has both '" + planner->key() + "' and '" +
                                         kind->key() + "', which each make it stand for several: give one");
                return;
            }
            planner = kind;
            if (!kind->stand_ins(r_, node, raw.name, plan_ctx, stand_ins, plan_state)) return;
        }
    // The stand-ins take their place in the base scenario, so that a swept parameter needs no
    // other value and is checked against its schema at the place it was written.
    Blocks blocks = *resolved;
    bool ok = true;
    for (const auto& a : stand_ins) {
        const std::string verb = "cannot " + planner->key() + " '" + a.path + "'";
        const auto dot = a.path.find('.');
        const std::string blk = dot == std::string::npos ? a.path : a.path.substr(0, dot);
        const std::string name = dot == std::string::npos ? "" : a.path.substr(dot + 1);
        const std::vector<std::string> blocks_ok{"efficiency", "power", "loss", "algorithms", "baseline"};
        if (std::find(blocks_ok.begin(), blocks_ok.end(), blk) == blocks_ok.end() || name.empty()) {
            auto& e = d_.error(a.key_mark, verb + ": paths are <block>.<parameter> with block " +
                                               "efficiency, power, loss, algorithms or baseline");
            std::vector<std::string> guesses;
            for (const auto& b : blocks_ok) guesses.push_back(b + "." + name);
            if (auto s = suggest(a.path, guesses); !s.empty()) note(e, "did you mean '" + s + "'?");
            ok = false;
            continue;
        }
        if (blk == "algorithms" && !(blocks.count(blk) && blocks[blk].present)) {
            auto& e = d_.error(a.key_mark, verb + ": scenario '" + raw.name + "' has no 'algorithms' block");
            note(e, "give it one, e.g. 'algorithms: {type: halving-time, halving_time: 0.67}'");
            ok = false;
            continue;
        }
        RawBlock& b = blocks[blk];
        if (blk != "baseline") {
            const Item* type = b.find("type");
            const PluginEntry* entry =
                type && type->value.IsScalar() ? reg_.find(kind_of(blk), type->value.Scalar()) : nullptr;
            if (!entry) continue;  // reported by the block check
            const ParamSpec* ps = entry->descriptor.schema.find(name);
            if (!ps || (ps->type != ParamType::real && ps->type != ParamType::integer)) {
                std::vector<std::string> names;
                for (const auto& p : entry->descriptor.schema.params())
                    if (p.type == ParamType::real || p.type == ParamType::integer) names.push_back(blk + "." + p.name);
                auto& e = d_.error(a.key_mark, ps ? verb + ": it is not a number"
                                                  : verb + ": " + blk + " '" + type->value.Scalar() +
                                                        "' has no parameter '" + name + "'");
                if (auto s = suggest(a.path, names); !s.empty()) note(e, "did you mean '" + s + "'?");
                note(e, "numeric parameters: " + join(names));
                ok = false;
                continue;
            }
        } else if (!baseline_keys().find(name)) {
            auto& e = d_.error(a.key_mark, verb + ": the baseline has 'tau' and 'C0'");
            std::vector<std::string> paths;
            for (const auto& k : baseline_keys().keys()) paths.push_back("baseline." + k.name());
            if (auto s = suggest(a.path, paths); !s.empty()) note(e, "did you mean '" + s + "'?");
            ok = false;
            continue;
        }
        if (!b.present) {
            b.present = true;
            b.mark = a.key_mark;
            b.origin = raw.name;
        }
        if (blk == "baseline")  // a swept tau replaces an inherited C0 and vice versa
            b.items.erase(std::remove_if(b.items.begin(), b.items.end(),
                                         [&](const Item& it) { return it.key == "tau" || it.key == "C0"; }),
                          b.items.end());
        Item item{name, a.key_mark, a.value, raw.name};
        if (auto pos = std::find_if(b.items.begin(), b.items.end(), [&](const Item& it) { return it.key == name; });
            pos != b.items.end())
            *pos = item;
        else
            b.items.push_back(item);
    }
    if (!ok) return;

    auto base = build_spec(raw, blocks);
    if (!base) return;

    std::vector<std::shared_ptr<const AnalysisSpec>> analyses;
    const std::size_t declared_targets = base->targets.size();
    for (const auto& [kind, node] : raw.analyses) {
        if (kind->plans()) continue;
        auto spec = kind->read(r_, node, *base);
        if (!spec) return;
        analyses.push_back(std::move(spec));
    }
    // A target added by an analysis (a goal seek's) needs its compute threshold checked like the others.
    if (base->targets.size() != declared_targets && check_)
        if (auto problems = check_(*base); !problems.empty()) {
            d_.add(problems);
            return;
        }
    base->analyses = std::move(analyses);
    if (!planner) {
        add_scenario(std::move(*base), raw.mark);
        return;
    }

    auto plan = planner->plan(r_, *base, plan_ctx, plan_state);
    if (plan_ctx.over_limit) over_limit_ = true;
    if (!plan) return;
    // Every scenario of the plan is checked now when the plan is small enough to make each one
    // cheaply (and then discarded); a larger plan's scenarios are checked as they run.
    if (plan->size() <= lim_.check_combinations) {
        std::vector<Assignment> as;
        for (std::size_t k = 0; k < plan->size(); ++k) {
            plan->assignments(k, as);
            try {
                const ScenarioSpec made = with_parameters(*base, as, plan->name(raw.name, k), true);
                if (check_) d_.add(check_(made));
            } catch (const ConfigError& err) {
                d_.add(err.diagnostics.errors());
            }
            if (d_.count() > 50) return;
        }
        if (!d_.empty()) return;
    }
    base->sweep_plan = std::move(plan);
    add_scenario(std::move(*base), raw.mark);
}

void Validator::check_sweep_names() {
    // A declared name like "s[gamma=1]" may be the name of one of sweep s's scenarios.
    for (const auto& sc : ex_.scenarios) {
        if (sc.sweep_plan || sc.name.find('[') == std::string::npos) continue;
        if (const ScenarioSpec* sw = sweep_containing(ex_, sc.name)) {
            auto& e = d_.error(sc.mark, "scenario name '" + sc.name +
                                            "' is also the name of a scenario of the sweep of '" + sw->name + "'");
            note(e, "the sweep is here", sw->sweep_plan->mark);
        }
    }
}

/// The trajectory rows the run would write (every scenario's output grid, when trajectories are
/// kept by the automatic rule), against ExperimentLimits::max_rows.
void Validator::check_output_budget() {
    const std::size_t count = scenario_count(ex_);
    if (!ex_.output.trajectories || count > keep_trajectories_up_to) return;
    double rows = 0;
    for (const auto& sc : ex_.scenarios) {
        const double every = ex_.output.every.value_or(sc.horizon / 300);
        // The grid 0, every, ..., the horizon, plus output.times (an upper bound: the run's grid).
        const double n =
            std::floor(sc.horizon / every * (1 + 1e-12)) + 2 + static_cast<double>(ex_.output.times.size());
        rows += n * static_cast<double>(sc.sweep_plan ? sc.sweep_plan->size() : 1);
    }
    if (rows <= static_cast<double>(lim_.max_rows)) return;
    const Mark where = ex_.output.every ? every_mark_ : Mark{doc_.path.string(), 1, 1};
    auto& e = d_.error(where, fmt::format("the run would write about {:.3g} trajectory rows ({} scenarios, about "
                                          "{:.3g} GB of CSV): more than the budget of {} rows",
                                          rows, count, rows * 100 / 1e9, lim_.max_rows));
    note(e,
         "write fewer rows (a larger output.every), only the summary and tables (racesim run "
         "--no-trajectories), or raise the budget with --max-rows");
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
    // The experiment's own analyses (top-level blocks such as `compare:`), before its scenarios.
    for (const AnalysisKind* a : analyses_)
        if (a->scope() == AnalysisScope::experiment)
            if (const YAML::Node n = doc_.root[a->key()])
                if (auto spec = a->read_experiment(r_, n)) ex_.analyses.push_back(std::move(spec));
    for (auto& r : raw_) {
        build_scenario(r);
        if (over_limit_) break;
    }
    check_sweep_names();
    for (const auto& a : ex_.analyses) a->kind->check_experiment(*a, ex_, d_);
    if (d_.empty())  // the analyses' checks against the whole experiment
        for (const auto& sc : ex_.scenarios)
            for (const auto& a : sc.analyses) a->kind->check(*a, sc, ex_, d_);
    if (d_.empty()) check_output_budget();
    if (!d_.empty()) return std::nullopt;
    return std::move(ex_);
}

// ---------------------------------------------------------------------------------------

class DuplicateKeyWalker {
public:
    DuplicateKeyWalker(const fs::path& file, Diagnostics& d, const DocumentLimits& lim)
        : file_(file), d_(d), lim_(lim) {}

    bool walk(const YAML::Node& n, std::size_t depth) {
        if (++visited_ > lim_.max_nodes) {
            d_.error(node_mark(file_, n), "the document expands to more than " + std::to_string(lim_.max_nodes) +
                                              " nodes (YAML aliases expanded): refused");
            return false;
        }
        if (depth > lim_.max_depth) {
            d_.error(node_mark(file_, n),
                     "the document is nested deeper than " + std::to_string(lim_.max_depth) + " levels: refused");
            return false;
        }
        if (n.IsMap()) {
            std::map<std::string, Mark> seen;
            for (auto it = n.begin(); it != n.end(); ++it) {
                if (!it->first.IsScalar()) {
                    d_.error(node_mark(file_, it->first), "expected a plain key, got " + describe(it->first));
                    continue;
                }
                const std::string k = it->first.Scalar();
                if (k == "<<") {
                    auto& e = d_.error(node_mark(file_, it->first), "YAML merge keys ('<<') are not supported");
                    note(e, "use 'extends: <scenario>' to inherit, or 'defaults:' for shared blocks");
                }
                if (auto s = seen.find(k); s != seen.end()) {
                    auto& e = d_.error(node_mark(file_, it->first), "duplicate key '" + k + "'");
                    note(e, "first given here; YAML maps must have unique keys", s->second);
                } else {
                    seen.emplace(k, node_mark(file_, it->first));
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

namespace {

/// Counts the documents a parser reads and keeps where the second one's first node starts.
class DocumentStarts final : public YAML::EventHandler {
public:
    int count = 0;
    YAML::Mark second = YAML::Mark::null_mark();

    void OnDocumentStart(const YAML::Mark&) override { ++count; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& m) {
        if (count == 2 && second.is_null()) second = m;
    }
};

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
        // A second document is refused rather than ignored. It is looked for with a parser of
        // its own, asked for at most two documents: yaml-cpp's LoadAll can return empty
        // documents without end on some malformed input (found by fuzzing).
        std::istringstream in(text);
        YAML::Parser parser(in);
        DocumentStarts starts;
        if (parser.HandleNextDocument(starts) && parser.HandleNextDocument(starts) && starts.count == 2 &&
            (doc.root.IsMap() || doc.root.IsNull())) {
            // (yaml-cpp also splits some non-YAML text, e.g. an INI file, into documents: when the
            // first is not a map, the validator's "expected a map" says more. An empty first
            // document is not "an empty file": the config is in the second.)
            auto& e = diags.error(Mark{path.string(), starts.second.line + 1, starts.second.column + 1},
                                  "the file holds more than one YAML document; a config is one document");
            if (doc.root.IsNull())
                note(e,
                     "the first document is empty and only the first would be read: remove the '---' line "
                     "(or the '~') before the config");
            else
                note(e,
                     "everything after the first '---' line would be ignored: remove it, or split the file into "
                     "one config per file");
            return std::nullopt;
        }
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
    // POSIX open/read rather than a stream: the reason a file cannot be opened (a loop of links,
    // a permission) is reported as it is, and a file that is not a regular one (a pipe, a FIFO,
    // /dev/zero) is read only up to the size limit. O_NONBLOCK: opening a FIFO that no one
    // writes to must not hang (it is cleared again for reading).
    const std::string name = path.string();
    const int fd = ::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        diags.error(Mark{name}, err == ENOENT    ? std::string("no such file")
                                : err == EACCES  ? std::string("cannot be read: permission denied")
                                : err == ELOOP   ? std::string("cannot be opened: a loop of symbolic links")
                                : err == ENOTDIR ? std::string("no such file (a part of its path is not a directory)")
                                                 : "cannot be opened: " + std::string(std::strerror(err)));
        return std::nullopt;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        diags.error(Mark{name}, "cannot be read: " + std::string(std::strerror(errno)));
        return std::nullopt;
    }
    if (S_ISDIR(st.st_mode)) {
        diags.error(Mark{name}, "is a directory, not a config file");
        return std::nullopt;
    }
    const bool regular = S_ISREG(st.st_mode);
    if (regular && static_cast<std::uintmax_t>(st.st_size) > limits.max_bytes) {
        diags.error(Mark{name}, "file is " + std::to_string(st.st_size) + " bytes; configs are limited to " +
                                    std::to_string(limits.max_bytes) + " bytes");
        return std::nullopt;
    }
    (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            diags.error(Mark{name}, errno == EISDIR ? std::string("is a directory, not a config file")
                                                    : "cannot be read: " + std::string(std::strerror(errno)));
            return std::nullopt;
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > limits.max_bytes) {
            diags.error(Mark{name}, "more than " + std::to_string(limits.max_bytes) + " bytes read from it (" +
                                        (S_ISFIFO(st.st_mode)  ? "a pipe"
                                         : S_ISCHR(st.st_mode) ? "a device"
                                                               : "a file that grew") +
                                        "); configs are limited to " + std::to_string(limits.max_bytes) +
                                        " bytes: refused");
            return std::nullopt;
        }
    }
    if (text.empty() && S_ISFIFO(st.st_mode)) {
        auto& e = diags.error(Mark{name}, "is a pipe that gave nothing to read");
        note(e, "a named pipe (FIFO) is read once, from a writer that is already connected");
        return std::nullopt;
    }
    return parse_document_text(text, path, diags, limits);
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
        diags.error(node_mark(doc.path, pp), "expected a list of directories for 'plugin_paths', got " + describe(pp));
        return out;
    }
    const fs::path base = doc.path.has_parent_path() ? doc.path.parent_path() : fs::path(".");
    for (const auto& p : pp) {
        if (!p.IsScalar() || p.Scalar().empty()) {
            diags.error(node_mark(doc.path, p), "expected a directory for a plugin path, got " + describe(p));
            continue;
        }
        fs::path dir = p.Scalar();
        if (dir.is_relative()) dir = base / dir;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            auto& e = diags.error(node_mark(doc.path, p), "plugin path '" + p.Scalar() + "' is not a directory");
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
            auto& e = diags.error(node_mark(doc.path, p), "plugin path '" + p.Scalar() + "' resolves to " +
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

std::vector<std::string> accepted_top_level_keys(const AnalysisKinds& analyses) {
    return KeyCatalog(analyses).top_level().names();
}
std::vector<std::string> accepted_scenario_keys(const AnalysisKinds& analyses) {
    return KeyCatalog(analyses).scenario().names();
}
const std::vector<std::string>& accepted_defaults_keys() {
    return defaults_key_names();
}

std::optional<Experiment> validate(const Document& doc, const Registry& registry, Diagnostics& diags,
                                   const ExperimentLimits& limits, const ScenarioCheck& check,
                                   const AnalysisKinds& analyses) {
    Validator v(doc, registry, diags, limits, check, analyses);
    return v.run();
}

}  // namespace racesim
