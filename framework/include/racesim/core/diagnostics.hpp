// Structured diagnostics: every problem found in a config is collected with its position
// before anything runs, then printed as `file:line:col: error: ...` plus optional notes.
#pragma once

#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "racesim/core/errors.hpp"  // RunError, beside ConfigError for those who include this header

namespace racesim {

/// A position in an input file. Lines and columns are 1-based; 0 means "unknown". A config
/// given as an in-memory tree has no lines: its marks name the key path instead
/// ("scenarios[0].efficiency.gamma"), printed as "<tree>:scenarios[0].efficiency.gamma".
struct Mark {
    std::string file;
    int line = 0;
    int column = 0;
    std::string key_path{};
};

std::string to_string(const Mark& m);

struct Note {
    std::string text;
    Mark mark;  ///< optional position (file empty: none)
};

struct Diagnostic {
    Mark mark;
    std::string message;
    std::vector<Note> notes;
    std::string code;  ///< optional machine-readable kind, e.g. "unknown-type"
};

/// Collects errors; never throws on add. An error identical to an earlier one (same
/// position and message) is dropped, and the returned reference then goes nowhere.
class Diagnostics {
public:
    Diagnostic& error(Mark mark, std::string message);
    /// Adds a diagnostic made elsewhere (with its notes), dropped like error() when repeated.
    void add(const Diagnostic& d);
    /// Adds every diagnostic of a list.
    void add(const std::vector<Diagnostic>& ds) {
        for (const auto& d : ds) add(d);
    }
    [[nodiscard]] bool empty() const { return errors_.empty(); }
    [[nodiscard]] std::size_t count() const { return errors_.size(); }
    [[nodiscard]] const std::vector<Diagnostic>& errors() const { return errors_; }
    /// Prints every diagnostic, then "N error(s)".
    void print(std::ostream& os) const;

private:
    std::vector<Diagnostic> errors_;
    Diagnostic discarded_;  ///< receives the notes of a repeated error
};

/// Appends a note to a diagnostic (fluent helper).
Diagnostic& note(Diagnostic& d, std::string text, Mark mark = {});

/// Levenshtein distance.
/// `text` made safe and short enough for a terminal: control characters become escapes (\t,
/// \n, \x1b), Unicode bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9) become
/// \u{202E}-style escapes, bytes that are not UTF-8 become \xNN, and a run of more than 200
/// bytes without a space (a 10 MB scalar) is cut to its first 60 with "... (N bytes)".
[[nodiscard]] std::string printable(std::string_view text);

std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate within distance 1 + len/5 (MOOSE's rule), or "" when none is close.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

/// Thrown for an invalid config found outside validation (exit code 1).
class ConfigError : public std::runtime_error {
public:
    ConfigError(Diagnostics d) : std::runtime_error("invalid configuration"), diagnostics(std::move(d)) {}
    Diagnostics diagnostics;
};

/// Throws a ConfigError of one error at `at`, with `notes` under it.
[[noreturn]] void refuse(const Mark& at, const std::string& message, const std::vector<Note>& notes = {});

}  // namespace racesim
