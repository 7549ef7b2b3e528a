// CSV as racesim writes and reads it: one quoting rule, one number format, one line builder and
// one reader (RFC 4180 quoting). Every CSV file of a results directory is made with Line and
// read back with Reader.
//
// Writing. A field is quoted when it holds ',', '"' or '\n' (needs_quotes); inside the quotes
// each '"' is doubled. Other characters, '\r' included, are written as they are. A number is
// fmt's "{}": the shortest decimal string that reads back as the same double ("0.1",
// "4.545454545454546", "3.542515415045099e+18", "inf", "nan"). Records end with '\n'.
//
// Reading (Reader, split). A field that starts with '"' is quoted: it runs to the next '"' that
// is not doubled, and commas and line breaks inside it are data ("" is one '"'). Records end at
// a '\n' outside quotes, so a quoted field may span lines (the writer quotes scenario names
// with newlines). Tolerated: "\r\n" line ends (a '\r' right before the end of a record, outside
// quotes, is dropped), a '"' inside an unquoted field (data), and text after a closing quote
// (appended to the field). An empty line is a record of one empty field (RFC 4180); callers
// that want to skip blank lines check for it. A quoted field still open at the end of the
// input throws csv::Error.
//
// Round trip: Reader reads back every record Line writes, field for field, with one exception:
// the last field of a record, when it ends with '\r' and is not quoted (it holds no ',', '"'
// or '\n'), loses that '\r' (taken as a "\r\n" line end). The writer's quoting rule is kept as
// it is so that results files stay byte-identical.
#pragma once

#include <charconv>
#include <concepts>
#include <cstddef>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace racesim::csv {

/// A malformed CSV input (a quoted field that is never closed).
class Error : public std::runtime_error {
public:
    Error(std::size_t line, const std::string& what) : std::runtime_error(what), line(line) {}
    std::size_t line;  ///< 1-based line where the record starts
};

/// Whether `s` is written quoted: it holds ',', '"' or '\n'.
[[nodiscard]] inline bool needs_quotes(std::string_view s) {
    return s.find_first_of(",\"\n") != std::string_view::npos;
}

/// Appends `s` to `out` as a field: as it is, or quoted with its '"' doubled.
void append_field(std::string& out, std::string_view s);

/// `s` as a field (see append_field).
[[nodiscard]] std::string field(std::string_view s);

/// Appends `v` as fmt's "{}" formats it: the shortest decimal that reads back as `v`.
void append_number(std::string& out, double v);

/// `v` as append_number writes it.
[[nodiscard]] std::string number(double v);

/// One record of a CSV file, built field by field in a buffer that is reused from record to
/// record (clear() keeps its capacity). Fields are separated by ','; no line end is added.
class Line {
public:
    /// Starts a new record.
    void clear() {
        s_.clear();
        fields_ = 0;
    }
    /// A text field, quoted when it needs it.
    Line& text(std::string_view s) {
        sep();
        append_field(s_, s);
        return *this;
    }
    /// A field written as it is: the caller guarantees it needs no quotes ("true", "false").
    Line& word(std::string_view s) {
        sep();
        s_ += s;
        return *this;
    }
    /// A number (append_number).
    Line& number(double v) {
        sep();
        append_number(s_, v);
        return *this;
    }
    /// A number, or an empty field when there is none.
    Line& number(const std::optional<double>& v) {
        sep();
        if (v) append_number(s_, *v);
        return *this;
    }
    /// An integer, in decimal.
    template <std::integral I>
    Line& integer(I v) {
        sep();
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        s_.append(buf, r.ptr);
        return *this;
    }
    /// An empty field.
    Line& empty_field() {
        sep();
        return *this;
    }
    /// The record so far.
    [[nodiscard]] const std::string& str() const { return s_; }
    /// How many fields it has.
    [[nodiscard]] std::size_t fields() const { return fields_; }

private:
    void sep() {
        if (fields_++) s_ += ',';
    }
    std::string s_;
    std::size_t fields_ = 0;
};

/// The fields of one whole record (without its final line end; it may hold line breaks inside
/// quoted fields). Throws csv::Error (line 1) when a quoted field is not closed.
[[nodiscard]] std::vector<std::string> split(std::string_view record);

/// Reads a CSV stream record by record.
class Reader {
public:
    explicit Reader(std::istream& in) : in_(in) {}
    /// Reads the next record into `fields`; false at the end of the input. Throws csv::Error
    /// when the input ends inside a quoted field.
    bool next(std::vector<std::string>& fields);
    /// The 1-based line on which the record last read starts.
    [[nodiscard]] std::size_t line() const { return start_; }

private:
    std::istream& in_;
    std::string text_, part_;
    std::size_t start_ = 0, lines_ = 0;
};

}  // namespace racesim::csv
