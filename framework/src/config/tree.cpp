#include "racesim/config/tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace racesim {

std::string SourceMap::path_at(int line, int column) const {
    const std::pair<int, int> key{line, column};
    auto it = std::upper_bound(positions_.begin(), positions_.end(), key,
                               [](const std::pair<int, int>& k, const auto& e) { return k < e.first; });
    if (it == positions_.begin()) return "";
    return std::prev(it)->second;
}

Mark SourceMap::remap(const Mark& m, const std::string& file) const {
    if (m.file != file || m.line <= 0) return m;
    Mark out{file, 0, 0};
    out.key_path = path_at(m.line, m.column);
    if (out.key_path.empty()) out.key_path = "(top level)";
    return out;
}

Diagnostics SourceMap::remap(const Diagnostics& d, const std::string& file) const {
    Diagnostics out;
    for (const Diagnostic& e : d.errors()) {
        Diagnostic r = e;
        r.mark = remap(e.mark, file);
        for (Note& n : r.notes) n.mark = remap(n.mark, file);
        out.add(r);
    }
    return out;
}

void SourceMap::add(int line, int column, std::string path) {
    positions_.emplace_back(std::pair{line, column}, std::move(path));
    // Nodes are added in text order; keep it sorted anyway.
    if (positions_.size() > 1 && positions_[positions_.size() - 2].first > positions_.back().first)
        std::sort(positions_.begin(), positions_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

namespace {

/// The longest key, quotes and escapes included, written as an implicit key ("KEY": value):
/// YAML allows 1024 characters, and a byte is at most one character.
constexpr std::size_t max_implicit_key = 1000;

/// Writes the tree one token per line, recording where each node starts.
class Emitter {
public:
    explicit Emitter(SourceMap& map) : map_(map) {}

    void node(const nlohmann::ordered_json& j, const std::string& path, int depth) {
        begin_line(depth);
        map_.add(line_, column(), path);
        switch (j.type()) {
            case nlohmann::ordered_json::value_t::object: {
                text_ += '{';
                std::size_t i = 0;
                for (auto it = j.begin(); it != j.end(); ++it, ++i) {
                    if (i) text_ += ',';
                    const std::string child = path.empty() ? it.key() : path + '.' + it.key();
                    begin_line(depth + 1);
                    map_.add(line_, column(), child);
                    const std::string key = nlohmann::ordered_json(it.key()).dump();
                    if (key.size() <= max_implicit_key) {
                        text_ += key + ':';
                    } else {
                        // YAML limits an implicit key to 1024 characters: a longer one is an
                        // explicit key, "? KEY" and ":" on the next line.
                        text_ += "? " + key;
                        begin_line(depth + 1);
                        text_ += ':';
                    }
                    node(it.value(), child, depth + 2);
                }
                begin_line(depth);
                text_ += '}';
                break;
            }
            case nlohmann::ordered_json::value_t::array: {
                text_ += '[';
                for (std::size_t i = 0; i < j.size(); ++i) {
                    if (i) text_ += ',';
                    node(j[i], path + '[' + std::to_string(i) + ']', depth + 1);
                }
                begin_line(depth);
                text_ += ']';
                break;
            }
            case nlohmann::ordered_json::value_t::number_float: {
                const double x = j.get<double>();
                if (std::isnan(x))
                    text_ += ".nan";
                else if (std::isinf(x))
                    text_ += x > 0 ? ".inf" : "-.inf";
                else
                    text_ += fmt::format("{}", x);  // shortest text that reads back to x
                break;
            }
            case nlohmann::ordered_json::value_t::discarded:
                text_ += "null";
                break;
            default:  // strings (JSON escapes are YAML double-quoted escapes), integers, booleans, null
                text_ += j.dump();
        }
    }

    [[nodiscard]] std::string text() && { return std::move(text_); }

private:
    void begin_line(int depth) {
        if (!text_.empty()) {
            text_ += '\n';
            ++line_;
        }
        text_.append(static_cast<std::size_t>(depth), ' ');
        line_start_ = text_.size() - static_cast<std::size_t>(depth);
    }
    [[nodiscard]] int column() const { return static_cast<int>(text_.size() - line_start_) + 1; }

    SourceMap& map_;
    std::string text_;
    int line_ = 1;
    std::size_t line_start_ = 0;
};

}  // namespace

std::string tree_to_yaml(const nlohmann::ordered_json& tree, SourceMap& map) {
    Emitter e(map);
    e.node(tree, "", 0);
    return std::move(e).text() + '\n';
}

}  // namespace racesim
