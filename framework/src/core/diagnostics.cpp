#include "racesim/core/diagnostics.hpp"

#include <algorithm>
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
        os << (where.empty() ? "racesim" : where) << ": error: " << d.message << '\n';
        for (const auto& n : d.notes) {
            const std::string nw = to_string(n.mark);
            os << (nw.empty() ? (where.empty() ? "racesim" : where) : nw) << ": note: " << n.text << '\n';
        }
    }
    os << errors_.size() << (errors_.size() == 1 ? " error" : " errors") << '\n';
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

}  // namespace racesim
