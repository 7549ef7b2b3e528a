// The framework's own config keys, declared once: the top level, `output`, `solver`, a
// scenario, `defaults`, `baseline`, `targets` and the analyses (`sweep`, `solve`,
// `sensitivity`, `sample`, `compare`). Each key is a plugin::ParamSpec (type, unit, constraint,
// default, doc: the declaration plugins use for their parameters) with what plugin parameters
// do not need: a shape (a list, a nested block, a list of blocks, a plugin block, ...).
//
// From these declarations come the loader's checks of these keys (unknown keys, types, ranges,
// defaults: framework/src/config/loader.cpp), the JSON Schema for config files (`racesim
// describe --json-schema`) and the key reference docs/reference/config-keys.md (`racesim
// describe --config-keys --format markdown`). tests/unit/test_framework_keys.cpp fails when
// they drift apart, or from the defaults of the structs in experiment.hpp and integrator.hpp.
//
// Host-side only: plugins never see this header (the plugin API, racesim/plugin/schema.hpp,
// is unchanged).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "racesim/plugin/models.hpp"
#include "racesim/plugin/schema.hpp"

namespace racesim {

class KeyBlock;

/// The unit of a value of the parameter a path names (a sweep range's ends, a distribution's
/// mean): "the parameter's".
inline constexpr const char* param_unit = "the parameter's";

/// How a key's value is shaped. A plugin parameter is always a `value`.
enum class KeyShape {
    value,          ///< one value of param.type
    list,           ///< a list of values of param.type; the constraint holds for each item
    value_or_list,  ///< one value of param.type, or a list of them
    pair,           ///< [lo, hi]: two values of param.type with lo < hi
    tuples,         ///< a list of fixed-length lists: items named param.columns, typed column_types
    block,          ///< a map with the keys of `block`
    block_list,     ///< a list of maps with the keys of `block`
    block_map,      ///< a map from names (described by param.doc) to maps with the keys of `block`
    plugin,         ///< a plugin block: `type` and that type's parameters (plugin kind `kind`)
};

const char* to_string(KeyShape s);

/// The declaration of one framework key.
struct KeySpec {
    plugin::ParamSpec param;  ///< name, type (of the value or of each item), unit, doc, default, constraint
    KeyShape shape = KeyShape::value;
    const KeyBlock* block = nullptr;               ///< block, block_list, block_map: the nested keys
    plugin::Kind kind = plugin::Kind::efficiency;  ///< plugin: which kind of plugin
    std::vector<plugin::ParamType> column_types;   ///< tuples: the type of each item
    std::size_t min_items = 0;                     ///< list shapes and block_map: at least this many
    bool inherited = false;                        ///< a scenario key that `defaults:` and `extends` pass on
    std::vector<std::string> when;                 ///< allowed only with these values of the block's selector key
    bool scalar_shorthand = false;                 ///< plugin: `key: <type>` stands for `key: {type: <type>}`
    bool nullable = false;                         ///< `key: ~` is allowed (drops an inherited value)

    [[nodiscard]] const std::string& name() const { return param.name; }
    /// True when the value (or each item of it) is a number.
    [[nodiscard]] bool numeric() const;
};

/// Keys a block accepts beyond the declared ones (`sweep:` takes parameter paths).
struct OpenKeys {
    std::string keys;                 ///< what the keys are, e.g. "a parameter path <block>.<parameter>"
    std::string doc;                  ///< what their values are
    const KeyBlock* block = nullptr;  ///< a value may be a map with these keys ...
    bool number_list = false;         ///< ... or a non-empty list of numbers
};

/// Fluent builder for one KeySpec: the plugin::ParamBuilder calls, plus the shapes' extras.
class KeyBuilder {
public:
    explicit KeyBuilder(KeySpec& spec) : spec_(&spec), param_(spec.param) {}
    KeyBuilder& unit(std::string u) {
        param_.unit(std::move(u));
        return *this;
    }
    KeyBuilder& doc(std::string d) {
        param_.doc(std::move(d));
        return *this;
    }
    KeyBuilder& required() {
        param_.required();
        return *this;
    }
    KeyBuilder& default_value(plugin::Value v) {
        param_.default_value(std::move(v));
        return *this;
    }
    KeyBuilder& computed_default(std::string note) {
        param_.computed_default(std::move(note));
        return *this;
    }
    KeyBuilder& positive() {
        param_.positive();
        return *this;
    }
    KeyBuilder& greater_than(double v) {
        param_.greater_than(v);
        return *this;
    }
    KeyBuilder& at_least(double v) {
        param_.at_least(v);
        return *this;
    }
    KeyBuilder& at_most(double v) {
        param_.at_most(v);
        return *this;
    }
    KeyBuilder& in_range(plugin::Bound lo, plugin::Bound hi) {
        param_.in_range(lo, hi);
        return *this;
    }
    KeyBuilder& choices(std::vector<std::string> c) {
        param_.choices(std::move(c));
        return *this;
    }
    KeyBuilder& min_items(std::size_t n) {
        spec_->min_items = n;
        return *this;
    }
    KeyBuilder& inherited() {
        spec_->inherited = true;
        return *this;
    }
    KeyBuilder& when(std::vector<std::string> values) {
        spec_->when = std::move(values);
        return *this;
    }
    KeyBuilder& scalar_shorthand() {
        spec_->scalar_shorthand = true;
        return *this;
    }
    KeyBuilder& nullable() {
        spec_->nullable = true;
        return *this;
    }

private:
    KeySpec* spec_;
    plugin::ParamBuilder param_;
};

/// The ordered keys of one map of the config language.
class KeyBlock {
public:
    /// `name`: how the reference and the messages name the block ("solver", "a scenario").
    KeyBlock(std::string name, std::string doc) : name_(std::move(name)), doc_(std::move(doc)) {}

    KeyBuilder add(std::string name, plugin::ParamType type, KeyShape shape = KeyShape::value);
    KeyBuilder add_real(std::string name) { return add(std::move(name), plugin::ParamType::real); }
    KeyBuilder add_integer(std::string name) { return add(std::move(name), plugin::ParamType::integer); }
    KeyBuilder add_string(std::string name) { return add(std::move(name), plugin::ParamType::string); }
    KeyBuilder add_boolean(std::string name) { return add(std::move(name), plugin::ParamType::boolean); }
    KeyBuilder add_list(std::string name, plugin::ParamType item) { return add(std::move(name), item, KeyShape::list); }
    KeyBuilder add_tuples(std::string name, std::vector<std::string> columns, std::vector<plugin::ParamType> types);
    KeyBuilder add_block(std::string name, const KeyBlock& block, KeyShape shape = KeyShape::block);
    KeyBuilder add_plugin(std::string name, plugin::Kind kind);
    /// Copies a key declared in another block (a scenario key that `defaults:` also takes).
    void add_copy(const KeySpec& spec);
    /// Makes key `name` (a block shape) take the keys of `block` instead.
    void repoint(const std::string& name, const KeyBlock& block);
    /// Keys beyond the declared ones are allowed, as described.
    void open(OpenKeys open) { open_ = std::move(open); }
    /// The key whose value decides which keys with `when` apply (a distribution's `dist`).
    void selector(std::string key) { selector_ = std::move(key); }

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& doc() const { return doc_; }
    [[nodiscard]] const std::vector<KeySpec>& keys() const { return keys_; }
    [[nodiscard]] const std::optional<OpenKeys>& open_keys() const { return open_; }
    [[nodiscard]] const std::string& selector_key() const { return selector_; }
    [[nodiscard]] const KeySpec* find(const std::string& name) const;
    /// The declaration of `name`; throws std::logic_error when it is not declared.
    [[nodiscard]] const KeySpec& at(const std::string& name) const;
    /// The declared key names, in declaration order.
    [[nodiscard]] std::vector<std::string> names() const;
    /// The keys allowed when the selector key has `value`, in declaration order.
    [[nodiscard]] std::vector<std::string> names_when(const std::string& value) const;

private:
    std::string name_, doc_;
    std::vector<KeySpec> keys_;
    std::optional<OpenKeys> open_;
    std::string selector_;
};

/// The declarations (framework/src/config/framework_keys.cpp). Each is built once, on first
/// use, and lives for the program's lifetime.
const KeyBlock& top_level_keys();
const KeyBlock& output_keys();
const KeyBlock& solver_keys();
const KeyBlock& scenario_keys();
const KeyBlock& defaults_keys();  ///< the scenario keys marked inherited()
const KeyBlock& baseline_keys();
const KeyBlock& targets_keys();

/// Every block above, the top level first, each once, in the order the reference lists them.
std::vector<const KeyBlock*> all_key_blocks();

class AnalysisKind;  // racesim/config/analysis.hpp
using AnalysisKinds = std::vector<const AnalysisKind*>;

/// The config language with the analyses a session knows: the framework's blocks, where a
/// scenario also takes each analysis's key (`sensitivity:`), followed by the analyses' own
/// blocks. What the loader accepts, the JSON Schema and the key reference all come from it.
/// Not copyable: its blocks point at each other.
class KeyCatalog {
public:
    explicit KeyCatalog(const AnalysisKinds& analyses = {});
    KeyCatalog(const KeyCatalog&) = delete;
    KeyCatalog& operator=(const KeyCatalog&) = delete;

    [[nodiscard]] const KeyBlock& top_level() const { return top_; }
    [[nodiscard]] const KeyBlock& scenario() const { return scenario_; }
    /// all_key_blocks(), with these two in place of the framework's own, then each analysis's.
    [[nodiscard]] const std::vector<const KeyBlock*>& blocks() const { return blocks_; }

private:
    /// Lists `b` and, depth first, the blocks nested in it (an analysis's sub-blocks).
    void add_nested(const KeyBlock& b);

    KeyBlock top_, scenario_;
    std::vector<const KeyBlock*> blocks_;
};

/// A declared default, as its type; throws std::logic_error when the key has none.
double declared_real(const KeyBlock& block, const std::string& key);
std::int64_t declared_integer(const KeyBlock& block, const std::string& key);
bool declared_boolean(const KeyBlock& block, const std::string& key);
std::string declared_string(const KeyBlock& block, const std::string& key);

}  // namespace racesim
