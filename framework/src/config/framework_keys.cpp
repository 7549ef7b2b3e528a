// The framework's config keys, declared once (racesim/config/keys.hpp). The loader validates
// them from here, `racesim describe --json-schema` and `racesim describe --config-keys`
// generate the JSON Schema and docs/reference/config-keys.md from here, and
// tests/unit/test_framework_keys.cpp checks the structs' defaults against the defaults here.
//
// Units: "1" is dimensionless; "the parameter's" is the unit of the parameter a path names.
#include <algorithm>

#include "racesim/config/analysis.hpp"
#include "racesim/config/keys.hpp"

namespace racesim {

using plugin::Bound;
using plugin::ParamType;

const char* to_string(KeyShape s) {
    switch (s) {
        case KeyShape::value:
            return "value";
        case KeyShape::list:
            return "list";
        case KeyShape::value_or_list:
            return "value or list";
        case KeyShape::pair:
            return "pair";
        case KeyShape::tuples:
            return "tuples";
        case KeyShape::block:
            return "block";
        case KeyShape::block_list:
            return "block list";
        case KeyShape::block_map:
            return "block map";
        case KeyShape::plugin:
            return "plugin";
    }
    return "?";
}

bool KeySpec::numeric() const {
    switch (shape) {
        case KeyShape::value:
        case KeyShape::list:
        case KeyShape::value_or_list:
        case KeyShape::pair:
            return param.type == ParamType::real || param.type == ParamType::integer;
        case KeyShape::tuples:
            for (auto t : column_types)
                if (t == ParamType::real || t == ParamType::integer) return true;
            return false;
        default:
            return false;
    }
}

KeyBuilder KeyBlock::add(std::string name, ParamType type, KeyShape shape) {
    if (find(name)) throw std::logic_error("key block '" + name_ + "' declares '" + name + "' twice");
    keys_.push_back(KeySpec{});
    keys_.back().param.name = std::move(name);
    keys_.back().param.type = type;
    keys_.back().shape = shape;
    return KeyBuilder(keys_.back());
}

KeyBuilder KeyBlock::add_tuples(std::string name, std::vector<std::string> columns, std::vector<ParamType> types) {
    if (columns.size() != types.size()) throw std::logic_error("key '" + name + "': one type per column");
    KeyBuilder b = add(std::move(name), ParamType::table, KeyShape::tuples);
    keys_.back().param.columns = std::move(columns);
    keys_.back().column_types = std::move(types);
    return b;
}

KeyBuilder KeyBlock::add_block(std::string name, const KeyBlock& block, KeyShape shape) {
    KeyBuilder b = add(std::move(name), ParamType::string, shape);
    keys_.back().block = &block;
    return b;
}

KeyBuilder KeyBlock::add_plugin(std::string name, plugin::Kind kind) {
    KeyBuilder b = add(std::move(name), ParamType::string, KeyShape::plugin);
    keys_.back().kind = kind;
    return b;
}

void KeyBlock::repoint(const std::string& name, const KeyBlock& block) {
    for (auto& k : keys_)
        if (k.name() == name && k.block) {
            k.block = &block;
            return;
        }
    throw std::logic_error("key '" + name + "' of " + name_ + " is not a block");
}

void KeyBlock::add_copy(const KeySpec& spec) {
    if (find(spec.name())) throw std::logic_error("key block '" + name_ + "' declares '" + spec.name() + "' twice");
    keys_.push_back(spec);
}

const KeySpec* KeyBlock::find(const std::string& name) const {
    for (const auto& k : keys_)
        if (k.name() == name) return &k;
    return nullptr;
}

const KeySpec& KeyBlock::at(const std::string& name) const {
    if (const KeySpec* k = find(name)) return *k;
    throw std::logic_error("key '" + name + "' is not declared in " + name_);
}

std::vector<std::string> KeyBlock::names() const {
    std::vector<std::string> out;
    for (const auto& k : keys_) out.push_back(k.name());
    return out;
}

std::vector<std::string> KeyBlock::names_when(const std::string& value) const {
    std::vector<std::string> out;
    for (const auto& k : keys_)
        if (k.when.empty() || std::find(k.when.begin(), k.when.end(), value) != k.when.end()) out.push_back(k.name());
    return out;
}

namespace {

const plugin::Value& declared(const KeyBlock& block, const std::string& key) {
    const KeySpec& k = block.at(key);
    if (!k.param.default_value) throw std::logic_error("key '" + key + "' of " + block.name() + " has no default");
    return *k.param.default_value;
}

}  // namespace

double declared_real(const KeyBlock& block, const std::string& key) {
    return std::get<double>(declared(block, key));
}
std::int64_t declared_integer(const KeyBlock& block, const std::string& key) {
    return std::get<std::int64_t>(declared(block, key));
}
bool declared_boolean(const KeyBlock& block, const std::string& key) {
    return std::get<bool>(declared(block, key));
}
std::string declared_string(const KeyBlock& block, const std::string& key) {
    return std::get<std::string>(declared(block, key));
}

// ---------------------------------------------------------------------------------------
// The declarations. The order of the keys is the order messages list them in ("valid keys
// here: ...") and the reference shows them in.

const KeyBlock& output_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("output", "The output grid: rows of every trajectory CSV.");
        k.add_real("every")
            .positive()
            .unit("yr")
            .computed_default("each scenario's horizon / 300")
            .doc("Grid step: rows at 0, every, 2·every, ... and at the horizon; at most 10^6 rows per scenario.");
        k.add_list("times", ParamType::real)
            .at_least(0)
            .unit("yr")
            .doc("Extra rows at exactly these times; each within the horizon of every scenario.");
        return k;
    }();
    return b;
}

const KeyBlock& solver_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("solver", "How each scenario's compute C(t) is computed.");
        k.add_string("method")
            .choices({"ode", "closed-form"})
            .default_value(std::string("ode"))
            .doc("'ode' integrates dC/dt = E·P; 'closed-form' evaluates every scenario's reference instead.");
        k.add_real("rel_tol")
            .in_range(Bound{1e-14, true}, Bound{1e-2, true})
            .default_value(1e-10)
            .unit("1")
            .doc("Relative tolerance on C, used as the absolute tolerance on ln C.");
        k.add_real("abs_tol").at_least(0).default_value(0.0).unit("PFLOP").doc(
            "Absolute tolerance on C; enters as abs_tol/C0 added to the tolerance on ln C.");
        k.add_integer("max_steps")
            .at_least(1)
            .default_value(std::int64_t{1'000'000})
            .unit("steps")
            .doc("Maximum step attempts (accepted + rejected) per segment.");
        k.add_real("target_time_tol")
            .in_range(Bound{0, true}, Bound{1e-2, true})
            .default_value(0.0)
            .unit("1")
            .doc(
                "When > 0: each target's time is refined (integrated again with a tighter tolerance, down to "
                "1e-14) until its estimated relative error, condition number × tolerance on ln C, is at most "
                "this. 0: off.");
        k.add_string("audit")
            .choices({"third-party", "all"})
            .default_value(std::string("third-party"))
            .doc(
                "Which rate models are sampled for jumps they did not declare before each integration: "
                "'third-party' skips the built-in plugins whose contract tests passed (listed by sha256 in "
                "contract-tested.sha256 next to them); 'all' samples every one.");
        return k;
    }();
    return b;
}

const KeyBlock& baseline_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("baseline", "The starting compute C0: give 'tau' or 'C0', not both.");
        k.add_real("tau").greater_than(-1).default_value(0.0).unit("yr").doc(
            "C0 = E0·P0·(1 + tau)·1 yr: one year at the initial efficiency and power, perturbed by tau.");
        k.add_real("C0")
            .positive()
            .unit("PFLOP")
            .computed_default("E0·P0·(1 + tau)·1 yr")
            .doc("The starting compute, as given.");
        return k;
    }();
    return b;
}

const KeyBlock& targets_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("targets", "Loss levels whose first crossing time is reported, in the order written.");
        k.add("loss", ParamType::real, KeyShape::value_or_list)
            .unit("nats/token")
            .doc("Target losses L*; each must be one the loss law can reach.");
        k.add("relative", ParamType::real, KeyShape::value_or_list)
            .positive()
            .unit("1")
            .doc("Target relative losses y = L*/L(C0).");
        return k;
    }();
    return b;
}

const KeyBlock& scenario_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("scenario", "One scenario: an item of 'scenarios'.");
        k.add_string("name").required().doc(
            "Unique in the file; non-empty; at most 200 bytes; no '/'; not '.' or '..'. Names its CSV file.");
        k.add_string("extends").doc("Another scenario of this file to start from instead of 'defaults'.");
        k.add_real("horizon")
            .positive()
            .unit("yr")
            .inherited()
            .computed_default("the top-level horizon")
            .doc("This scenario's simulated time span.");
        k.add_real("start_year")
            .unit("yr")
            .inherited()
            .computed_default("the top-level start_year")
            .doc("This scenario's calendar year at t = 0 (the end of the baseline year), as a decimal year.");
        const char* needed = "inherited; needed here, in 'defaults' or by 'extends'";
        k.add_plugin("efficiency", plugin::Kind::efficiency)
            .inherited()
            .computed_default(needed)
            .doc("Efficiency model E(t).");
        k.add_plugin("power", plugin::Kind::power).inherited().computed_default(needed).doc("Power schedule P(t).");
        k.add_plugin("loss", plugin::Kind::loss).inherited().computed_default(needed).doc("Loss law L(C).");
        k.add_plugin("reference", plugin::Kind::reference)
            .inherited()
            .scalar_shorthand()
            .nullable()
            .doc("Closed-form solution to compare with: a block, a type name, or ~ to drop an inherited one.");
        k.add_plugin("algorithms", plugin::Kind::algorithms)
            .inherited()
            .nullable()
            .doc(
                "Optional algorithmic progress A(t), a multiplier on effective compute: dC/dt = A*E*P; "
                "~ drops an inherited one.");
        k.add_block("baseline", baseline_keys())
            .inherited()
            .computed_default("{tau: 0}")
            .doc("The starting compute C0: {tau} or {C0}.");
        k.add_block("targets", targets_keys()).inherited().doc("Losses to reach: absolute or relative to L(C0).");
        return k;
    }();
    return b;
}

const KeyBlock& defaults_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("defaults", "Blocks every scenario starts from (unless it extends another).");
        for (const auto& s : scenario_keys().keys())
            if (s.inherited) k.add_copy(s);
        return k;
    }();
    return b;
}

const KeyBlock& top_level_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("the top level", "An experiment config.");
        k.add_integer("racesim")
            .required()
            .in_range(Bound{1, true}, Bound{1, true})
            .unit("1")
            .doc("The config format version.");
        k.add_string("name")
            .computed_default("the file name without its extension")
            .doc("Experiment name: non-empty; no '/'; not '.' or '..'. Names the results directory.");
        k.add_real("horizon").required().positive().unit("yr").doc(
            "Simulated time span of every scenario that does not set its own.");
        k.add_real("start_year")
            .unit("yr")
            .computed_default("none: times only, no dates")
            .doc(
                "The calendar year at t = 0 (the end of the baseline year), as a decimal year: every time t is "
                "also reported as the date start_year + t, and sample dates are calendar years.");
        k.add_block("output", output_keys()).doc("The output grid.");
        k.add_block("solver", solver_keys()).doc("How C(t) is computed.");
        k.add_block("defaults", defaults_keys()).doc("Blocks every scenario starts from.");
        k.add_block("scenarios", scenario_keys(), KeyShape::block_list).required().min_items(1).doc("The scenarios.");
        k.add_list("plugin_paths", ParamType::string)
            .doc("Extra plugin directories; relative ones are relative to the config file's directory.");
        return k;
    }();
    return b;
}

std::vector<const KeyBlock*> all_key_blocks() {
    return {&top_level_keys(), &output_keys(),   &solver_keys(), &scenario_keys(),
            &defaults_keys(),  &baseline_keys(), &targets_keys()};
}

// The analyses' keys follow the scenario's own (an experiment's analysis: the top level's), and
// their blocks follow the framework's in the list, in the order of the kinds given.
void KeyCatalog::add_nested(const KeyBlock& b) {
    if (std::find(blocks_.begin(), blocks_.end(), &b) != blocks_.end()) return;
    blocks_.push_back(&b);
    for (const auto& k : b.keys())
        if (k.block) add_nested(*k.block);
    if (b.open_keys() && b.open_keys()->block) add_nested(*b.open_keys()->block);
}

KeyCatalog::KeyCatalog(const AnalysisKinds& analyses)
    : top_(top_level_keys()), scenario_(scenario_keys().name(), scenario_keys().doc()) {
    for (const auto& k : scenario_keys().keys()) scenario_.add_copy(k);
    for (const AnalysisKind* a : analyses) {
        if (a->scope() == AnalysisScope::scenario)
            scenario_.add_block(a->key(), a->keys()).doc(a->key_doc());
        else
            top_.add_block(a->key(), a->keys(), a->shape()).doc(a->key_doc());
    }
    top_.repoint("scenarios", scenario_);
    for (const KeyBlock* b : all_key_blocks())
        blocks_.push_back(b == &top_level_keys() ? &top_ : b == &scenario_keys() ? &scenario_ : b);
    for (const AnalysisKind* a : analyses) add_nested(a->keys());
}

}  // namespace racesim
