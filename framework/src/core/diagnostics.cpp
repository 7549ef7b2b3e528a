#include "racesim/core/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace racesim {

std::string to_string(const Mark& m) {
    std::string s = m.file;
    if (!m.key_path.empty()) return s + ':' + m.key_path;
    if (m.line > 0) {
        s += ':' + std::to_string(m.line);
        if (m.column > 0) s += ':' + std::to_string(m.column);
    }
    return s;
}

Diagnostic& Diagnostics::error(Mark mark, std::string message) {
    // An error inherited by several scenarios (defaults, extends) is reported once.
    for (const auto& e : errors_)
        if (e.message == message && e.mark.file == mark.file && e.mark.line == mark.line &&
            e.mark.column == mark.column && e.mark.key_path == mark.key_path) {
            discarded_ = Diagnostic{};
            return discarded_;
        }
    errors_.push_back(Diagnostic{std::move(mark), std::move(message), {}, {}});
    return errors_.back();
}

void Diagnostics::add(const Diagnostic& d) {
    Diagnostic& e = error(d.mark, d.message);
    if (&e == &discarded_) return;
    e.notes = d.notes;
    e.code = d.code;
}

Diagnostic& note(Diagnostic& d, std::string text, Mark mark) {
    d.notes.push_back(Note{std::move(text), std::move(mark)});
    return d;
}

void Diagnostics::print(std::ostream& os) const {
    for (const auto& d : errors_) {
        const std::string where = to_string(d.mark);
        os << printable(where.empty() ? "racesim" : where) << ": error: " << printable(d.message) << '\n';
        for (const auto& n : d.notes) {
            const std::string nw = to_string(n.mark);
            os << printable(nw.empty() ? (where.empty() ? "racesim" : where) : nw) << ": note: " << printable(n.text)
               << '\n';
        }
    }
    os << errors_.size() << (errors_.size() == 1 ? " error" : " errors") << '\n';
}

std::string printable(std::string_view text) {
    constexpr std::size_t long_run = 200, kept = 60;
    std::string out;
    out.reserve(std::min(text.size(), std::size_t{4096}));
    std::size_t run = 0;   // bytes since the last space
    bool eliding = false;  // inside a long run, past its kept part
    std::size_t elided = 0;
    auto flush_elided = [&] {
        if (elided) out += fmt::format("... ({} bytes)", elided + kept);
        elided = 0;
        eliding = false;
    };
    // A run longer than long_run: look ahead once, at its start.
    auto run_length = [&](std::size_t from) {
        std::size_t k = from;
        while (k < text.size() && text[k] != ' ') ++k;
        return k - from;
    };
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == ' ') {
            flush_elided();
            run = 0;
            out += ' ';
            ++i;
            continue;
        }
        if (run == 0 && run_length(i) > long_run) eliding = true;
        // One character: its bytes and how it prints.
        std::size_t len = 1;
        std::string shown;
        if (c < 0x20 || c == 0x7f) {
            shown = c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : fmt::format("\\x{:02x}", c);
        } else if (c < 0x80) {
            shown = std::string(1, static_cast<char>(c));
        } else {
            len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            bool ok = len > 1 && i + len <= text.size();
            for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
            if (!ok) {
                len = 1;
                shown = fmt::format("\\x{:02x}", c);
            } else {
                std::uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
                for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
                const bool bidi = cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                                  (cp >= 0x2066 && cp <= 0x2069);
                shown = bidi ? fmt::format("\\u{{{:04X}}}", cp) : std::string(text.substr(i, len));
            }
        }
        if (eliding && run >= kept)
            elided += len;
        else
            out += shown;
        run += len;
        i += len;
    }
    flush_elided();
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = 1 + word.size() / 5 + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

void refuse(const Mark& at, const std::string& message, const std::vector<Note>& notes) {
    Diagnostics d;
    auto& e = d.error(at, message);
    for (const auto& n : notes) note(e, n.text, n.mark);
    throw ConfigError(std::move(d));
}

}  // namespace racesim
