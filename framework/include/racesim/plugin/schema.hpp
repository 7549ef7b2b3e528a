// Typed, self-describing parameter schemas (MOOSE validParams / deal.II ParameterHandler style).
//
// A plugin declares every parameter it reads, with type, unit, documentation, default and
// constraints. The host validates configs against the schema, prints it with
// `racesim describe`, and generates the reference documentation from it.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "racesim/plugin/api.hpp"

namespace racesim::plugin {

/// `path`: a file name, given relative to the config file's directory; the host resolves it
/// to an absolute path and checks that the file exists before a factory sees it.
/// `table`: a list of rows of reals with the declared `columns` (e.g. `[[0, 1], [2, 2.5]]`).
enum class ParamType { real, integer, boolean, string, path, table };

inline const char* to_string(ParamType t) {
    switch (t) {
        case ParamType::real:
            return "real";
        case ParamType::integer:
            return "integer";
        case ParamType::boolean:
            return "boolean";
        case ParamType::string:
            return "string";
        case ParamType::path:
            return "path";
        case ParamType::table:
            return "table";
    }
    return "?";
}

/// Rows of a `table` parameter; every row has one value per declared column.
using Table = std::vector<std::vector<double>>;

/// A parameter value. `path` parameters hold their resolved path as a std::string.
using Value = std::variant<double, std::int64_t, bool, std::string, Table>;

/// What a real parameter measures, when a config may also write it in the units it is quoted in
/// (docs/config.md, "Quantities as they are quoted"). The host converts such a form to the
/// parameter's own unit once, when the config is loaded; a factory only ever sees the number.
///  - `doubling_rate` (1/yr, doublings per year): also {per_year: <growth factor per year>},
///    {percent_per_year: <% growth per year>}, {doubling_time: <yr>};
///  - `power` (MW): also {gpus: <count>, watts_per_gpu: <W>};
///  - `efficiency` (PFLOP/yr/MW): also {flops_per_watt: <FLOP/s/W>, utilization: <fraction>};
///  - `duration` (yr): also {months: <months>} (a month is 1/12 yr).
enum class Quoted { plain, doubling_rate, power, efficiency, duration };

inline const char* to_string(Quoted q) {
    switch (q) {
        case Quoted::plain:
            return "plain";
        case Quoted::doubling_rate:
            return "doubling rate";
        case Quoted::power:
            return "power";
        case Quoted::efficiency:
            return "efficiency";
        case Quoted::duration:
            return "duration";
    }
    return "?";
}

/// One side of an interval constraint.
struct Bound {
    double value;
    bool inclusive;
};

/// The declaration of one parameter.
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::real;
    std::string unit;  ///< empty: dimensionless
    std::string doc;
    bool required = false;
    std::optional<Value> default_value;
    std::string default_note;  ///< describes a computed default ("the scenario's C0")
    std::optional<Bound> lower;
    std::optional<Bound> upper;
    std::vector<std::string> choices;  ///< for strings; empty: any
    std::vector<std::string> columns;  ///< for tables: the column names, in order
    /// The forms a config may also write this (real) parameter in; see Quoted.
    Quoted quoted = Quoted::plain;
    /// Non-empty: the name of another real parameter of the same schema that this one may be
    /// given relative to, as {times_<relative_to>: k} (a cap as a multiple of the start value).
    /// The relation is kept: a sweep, sensitivity run or sample that changes the other
    /// parameter moves this one with it.
    std::string relative_to;
    /// Non-empty: the quantity's forms apply only while the string parameter `forms_when[0]`
    /// has the value `forms_when[1]` (growth's rate is doublings per year only in exponential mode).
    std::vector<std::string> forms_when;

    /// Human-readable constraint, e.g. "> 0", "in (0, 1]", "one of {a, b}". Empty: none.
    [[nodiscard]] std::string constraint() const {
        std::ostringstream os;
        os.precision(15);
        if (lower && upper) {
            os << "in " << (lower->inclusive ? '[' : '(') << lower->value << ", " << upper->value
               << (upper->inclusive ? ']' : ')');
        } else if (lower) {
            os << (lower->inclusive ? ">= " : "> ") << lower->value;
        } else if (upper) {
            os << (upper->inclusive ? "<= " : "< ") << upper->value;
        } else if (!choices.empty()) {
            os << "one of {";
            for (std::size_t i = 0; i < choices.size(); ++i) os << (i ? ", " : "") << choices[i];
            os << '}';
        }
        return os.str();
    }

    /// True when `x` satisfies the numeric constraints (finite is always required).
    [[nodiscard]] bool admits(double x) const {
        if (!std::isfinite(x)) return false;
        if (lower && (lower->inclusive ? x < lower->value : x <= lower->value)) return false;
        if (upper && (upper->inclusive ? x > upper->value : x >= upper->value)) return false;
        return true;
    }
};

/// Fluent builder for one ParamSpec inside a Schema.
class ParamBuilder {
public:
    explicit ParamBuilder(ParamSpec& spec) : spec_(&spec) {}
    ParamBuilder& unit(std::string u) {
        spec_->unit = std::move(u);
        return *this;
    }
    ParamBuilder& doc(std::string d) {
        spec_->doc = std::move(d);
        return *this;
    }
    ParamBuilder& required() {
        spec_->required = true;
        return *this;
    }
    ParamBuilder& default_value(Value v) {
        spec_->default_value = std::move(v);
        return *this;
    }
    /// Optional parameter whose default is computed by the plugin (documented, not a value).
    ParamBuilder& computed_default(std::string note) {
        spec_->default_note = std::move(note);
        return *this;
    }
    ParamBuilder& positive() {
        spec_->lower = Bound{0.0, false};
        return *this;
    }
    ParamBuilder& greater_than(double v) {
        spec_->lower = Bound{v, false};
        return *this;
    }
    ParamBuilder& at_least(double v) {
        spec_->lower = Bound{v, true};
        return *this;
    }
    ParamBuilder& less_than(double v) {
        spec_->upper = Bound{v, false};
        return *this;
    }
    ParamBuilder& at_most(double v) {
        spec_->upper = Bound{v, true};
        return *this;
    }
    ParamBuilder& in_range(Bound lo, Bound hi) {
        spec_->lower = lo;
        spec_->upper = hi;
        return *this;
    }
    ParamBuilder& choices(std::vector<std::string> c) {
        spec_->choices = std::move(c);
        return *this;
    }
    ParamBuilder& columns(std::vector<std::string> c) {
        spec_->columns = std::move(c);
        return *this;
    }
    /// The quantity this real parameter measures: the forms it may also be written in.
    ParamBuilder& quoted(Quoted q) {
        spec_->quoted = q;
        return *this;
    }
    /// It may be given as {times_<other>: k}, a multiple of the real parameter `other`.
    ParamBuilder& relative_to(std::string other) {
        spec_->relative_to = std::move(other);
        return *this;
    }
    /// Its quantity's forms apply only while the string parameter `param` is `value`.
    ParamBuilder& forms_when(std::string param, std::string value) {
        spec_->forms_when = {std::move(param), std::move(value)};
        return *this;
    }

private:
    ParamSpec* spec_;
};

/// The ordered list of parameters a plugin type accepts.
class Schema {
public:
    ParamBuilder add(std::string name, ParamType type) {
        for (const auto& p : params_)
            if (p.name == name) throw std::logic_error("schema declares '" + name + "' twice");
        params_.push_back(ParamSpec{});
        params_.back().name = std::move(name);
        params_.back().type = type;
        return ParamBuilder(params_.back());
    }
    ParamBuilder add_real(std::string name) { return add(std::move(name), ParamType::real); }
    ParamBuilder add_integer(std::string name) { return add(std::move(name), ParamType::integer); }
    ParamBuilder add_string(std::string name) { return add(std::move(name), ParamType::string); }
    ParamBuilder add_boolean(std::string name) { return add(std::move(name), ParamType::boolean); }
    ParamBuilder add_path(std::string name) { return add(std::move(name), ParamType::path); }
    /// A table parameter with the given column names (every cell a finite real).
    ParamBuilder add_table(std::string name, std::vector<std::string> columns) {
        return add(std::move(name), ParamType::table).columns(std::move(columns));
    }

    [[nodiscard]] const std::vector<ParamSpec>& params() const { return params_; }
    [[nodiscard]] const ParamSpec* find(const std::string& name) const {
        for (const auto& p : params_)
            if (p.name == name) return &p;
        return nullptr;
    }

private:
    std::vector<ParamSpec> params_;
};

/// Resolved parameter values handed to a factory: every declared parameter that was given
/// or has a default. Values are already type- and range-checked by the host.
class Params {
public:
    void set(const std::string& name, Value v) {
        for (auto& [k, val] : values_)
            if (k == name) {
                val = std::move(v);
                return;
            }
        values_.emplace_back(name, std::move(v));
    }
    [[nodiscard]] bool has(const std::string& name) const { return lookup(name) != nullptr; }
    [[nodiscard]] double real(const std::string& name) const {
        const Value& v = at(name);
        if (const auto* d = std::get_if<double>(&v)) return *d;
        if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
        throw std::logic_error("parameter '" + name + "' is not a number");
    }
    [[nodiscard]] std::int64_t integer(const std::string& name) const { return std::get<std::int64_t>(at(name)); }
    [[nodiscard]] bool boolean(const std::string& name) const { return std::get<bool>(at(name)); }
    [[nodiscard]] const std::string& string(const std::string& name) const { return std::get<std::string>(at(name)); }
    /// A `path` parameter, already resolved by the host (absolute, the file exists).
    [[nodiscard]] const std::string& path(const std::string& name) const { return string(name); }
    [[nodiscard]] const Table& table(const std::string& name) const { return std::get<Table>(at(name)); }
    [[nodiscard]] double real_or(const std::string& name, double fallback) const {
        return has(name) ? real(name) : fallback;
    }
    [[nodiscard]] const std::vector<std::pair<std::string, Value>>& entries() const { return values_; }

private:
    [[nodiscard]] const Value* lookup(const std::string& name) const {
        for (const auto& [k, v] : values_)
            if (k == name) return &v;
        return nullptr;
    }
    [[nodiscard]] const Value& at(const std::string& name) const {
        if (const Value* v = lookup(name)) return *v;
        throw std::logic_error("parameter '" + name + "' was not resolved (missing from the schema?)");
    }
    std::vector<std::pair<std::string, Value>> values_;
};

/// Thrown by a factory for a cross-parameter rule (e.g. offset <= 1 - duty). The host
/// reports it at the position of `key` in the config, so name the key the user must change.
class RACESIM_API ParameterError : public std::runtime_error {
public:
    ParameterError(std::string key, const std::string& message) : std::runtime_error(message), key_(std::move(key)) {}
    [[nodiscard]] const std::string& key() const { return key_; }

private:
    std::string key_;
};

}  // namespace racesim::plugin
