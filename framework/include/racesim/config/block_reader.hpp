// Reading one block of a config with positions: the typed reads (numbers, integers, choices,
// booleans) against a key's declaration (racesim/config/keys.hpp), unknown keys with a
// did-you-mean, and every problem reported as a diagnostic at the value's file:line:col. The
// loader reads the framework's own blocks with it; an analysis module (racesim/run/analysis.hpp)
// reads its block with it, so that its messages look like every other one.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "racesim/config/keys.hpp"
#include "racesim/core/diagnostics.hpp"

namespace racesim {

/// How a YAML node is named in a message: "a map", "'abc'", "nothing (null)", ...
std::string describe_node(const YAML::Node& n);

/// "'a'", "'a' or 'b'", "'a', 'b' or 'c'".
std::string either(const std::vector<std::string>& choices);

/// "a, b, c" (or joined by `sep`).
std::string join(const std::vector<std::string>& v, const char* sep = ", ");

/// The position of a node of `file` (line and column 1-based; 0 when the node has none).
Mark node_mark(const std::filesystem::path& file, const YAML::Node& n);

/// A parameter value that stands in a declared scenario before it is built (AnalysisKind::stand_ins):
/// a sweep puts the first value of each swept path there, so that a swept parameter needs no
/// other value and is checked against its schema where it was written.
struct StandIn {
    std::string path;  ///< <block>.<parameter>
    YAML::Node value;  ///< as written
    Mark key_mark;     ///< where the path was written
};

/// Typed reads of a block's values; each problem becomes an error in `diagnostics()`.
class BlockReader {
public:
    BlockReader(std::filesystem::path file, Diagnostics& diags) : file_(std::move(file)), d_(diags) {}

    [[nodiscard]] Diagnostics& diagnostics() const { return d_; }
    [[nodiscard]] const std::filesystem::path& file() const { return file_; }

    /// The position of a node (line and column 1-based; 0 when the node has none).
    [[nodiscard]] Mark mark(const YAML::Node& n) const;

    /// Reports an error at `n` and returns it, for notes.
    Diagnostic& error(const YAML::Node& n, std::string message) const;

    /// Reports each key of map `node` that is not in `allowed`, with a did-you-mean.
    void check_keys(const YAML::Node& node, const std::vector<std::string>& allowed, const std::string& where) const;
    /// Reports each key of map `node` that `block` does not declare.
    void check_keys(const YAML::Node& node, const KeyBlock& block, const std::string& where) const {
        check_keys(node, block.names(), where);
    }

    /// Whether `n` has `type`; reports "expected <what>, got ..." when not.
    bool expect(const YAML::Node& n, YAML::NodeType::value type, const std::string& what) const;

    /// A finite number (`what` names it in the message).
    std::optional<double> real(const YAML::Node& n, const std::string& what) const;

    /// `key: [t, ...]`, a list of times (yr) within [0, horizon] (`key` names it in messages,
    /// e.g. "sobol.dates"): the times, or nullopt after reporting every problem.
    std::optional<std::vector<double>> times(const YAML::Node& n, const std::string& key, double horizon) const;

    /// A number that must satisfy `spec.admits`; reports with the constraint and, when
    /// `doc_note`, the parameter's documentation.
    std::optional<double> bounded(const YAML::Node& n, const std::string& what, const plugin::ParamSpec& spec,
                                  bool doc_note = true) const;

    /// A real framework key, in its declared range.
    std::optional<double> real_key(const YAML::Node& n, const std::string& what, const KeySpec& key) const {
        return bounded(n, what, key.param, false);
    }
    /// "positive" or "non-negative": an integer key's declared lower bound, in words.
    static const char* integer_kind(const KeySpec& key) { return key.param.admits(0) ? "non-negative" : "positive"; }
    /// An integer framework key, in its declared range (a lower bound of 0 or 1).
    std::optional<std::int64_t> integer_key(const YAML::Node& n, const std::string& what, const KeySpec& key) const;
    /// A string framework key, one of its declared choices.
    std::optional<std::string> choice_key(const YAML::Node& n, const std::string& what, const KeySpec& key) const;
    /// A boolean.
    std::optional<bool> boolean_key(const YAML::Node& n, const std::string& what) const;

private:
    std::filesystem::path file_;
    Diagnostics& d_;
};

/// Parses a finite number as YAML writes it ("1e5", "+2", not ".inf"); see the loader.
enum class NumParse { ok, not_a_number, out_of_range, not_finite };
NumParse parse_real(const std::string& text, double& out);
/// Parses a decimal integer ("+3" accepted).
bool parse_int(const std::string& text, std::int64_t& out);

}  // namespace racesim
