#include "racesim/core/csv.hpp"

#include <fmt/format.h>

namespace racesim::csv {

void append_field(std::string& out, std::string_view s) {
    if (!needs_quotes(s)) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

std::string field(std::string_view s) {
    std::string out;
    append_field(out, s);
    return out;
}

void append_number(std::string& out, double v) {
    // fmt's "{}" is the shortest representation that reads back to the same double; at most
    // 24 characters ("-2.2250738585072014e-308").
    char buf[64];
    const char* end = fmt::format_to(buf, "{}", v);
    out.append(buf, static_cast<std::size_t>(end - buf));
}

std::string number(double v) {
    std::string out;
    append_number(out, v);
    return out;
}

namespace {

/// Parses a record's text into `out`. False when it ends inside a quoted field (the record
/// continues on the next line).
bool parse(std::string_view rec, std::vector<std::string>& out) {
    // The strings of `out` are reused (their capacity kept) from record to record.
    std::size_t k = 0;
    auto next_field = [&] {
        if (k == out.size()) out.emplace_back();
        std::string* s = &out[k++];
        s->clear();
        return s;
    };
    std::string* f = next_field();
    std::size_t start = 0;  // where the current field starts
    bool quoted = false;
    const std::size_t n = rec.size();
    for (std::size_t i = 0; i < n; ++i) {
        const char c = rec[i];
        if (quoted) {
            if (c != '"') {
                *f += c;
            } else if (i + 1 < n && rec[i + 1] == '"') {
                *f += '"';
                ++i;
            } else {
                quoted = false;
            }
        } else if (c == ',') {
            f = next_field();
            start = i + 1;
        } else if (c == '"' && i == start) {
            quoted = true;
        } else if (c == '\r' && i + 1 == n) {
            // "\r\n" line end
        } else {
            *f += c;
        }
    }
    out.resize(k);
    return !quoted;
}

}  // namespace

std::vector<std::string> split(std::string_view record) {
    std::vector<std::string> out;
    if (!parse(record, out)) throw Error(1, "unterminated quoted field");
    return out;
}

bool Reader::next(std::vector<std::string>& fields) {
    if (!std::getline(in_, text_)) return false;
    start_ = ++lines_;
    while (!parse(text_, fields)) {
        if (!std::getline(in_, part_)) throw Error(start_, "unterminated quoted field");
        ++lines_;
        text_ += '\n';
        text_ += part_;
    }
    return true;
}

}  // namespace racesim::csv
