#include "racesim/analysis/compare.hpp"

#include <cmath>
#include <stdexcept>

namespace racesim {

Comparison compare(const Series& a, const Series& b) {
    Comparison c;
    c.a = a.name;
    c.b = b.name;
    std::size_t i = 0, j = 0;
    auto same = [](double x, double y) { return std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y)); };
    while (i < a.t.size() && j < b.t.size()) {
        if (same(a.t[i], b.t[j])) {
            CompareRow r{a.t[i], a.C[i], b.C[j], a.C[i] / b.C[j], a.R[i], b.R[j], a.R[i] - b.R[j]};
            if (!c.max_abs_R_gap || std::abs(r.R_gap) > *c.max_abs_R_gap) {
                c.max_abs_R_gap = std::abs(r.R_gap);
                c.max_abs_R_gap_t = r.t;
                c.R_gap_at_max = r.R_gap;
            }
            if (!c.min_C_ratio || r.C_ratio < *c.min_C_ratio) {
                c.min_C_ratio = r.C_ratio;
                c.min_C_ratio_t = r.t;
            }
            if (!c.max_C_ratio || r.C_ratio > *c.max_C_ratio) {
                c.max_C_ratio = r.C_ratio;
                c.max_C_ratio_t = r.t;
            }
            c.rows.push_back(r);
            ++i;
            ++j;
        } else if (a.t[i] < b.t[j]) {
            ++i;
            ++c.unmatched_times;
        } else {
            ++j;
            ++c.unmatched_times;
        }
    }
    c.unmatched_times += (a.t.size() - i) + (b.t.size() - j);
    if (c.rows.empty())
        throw std::invalid_argument("scenarios '" + a.name + "' and '" + b.name +
                                    "' share no output time: give both the same output grid");
    for (const auto& ta : a.targets) {
        TargetDifference d;
        d.label = ta.label;
        d.time_a = ta.time;
        for (const auto& tb : b.targets)
            if (tb.label == ta.label) d.time_b = tb.time;
        if (d.time_a && d.time_b) d.difference = *d.time_a - *d.time_b;
        c.targets.push_back(d);
    }
    for (const auto& tb : b.targets) {
        bool seen = false;
        for (const auto& ta : a.targets) seen = seen || ta.label == tb.label;
        if (!seen) c.targets.push_back(TargetDifference{tb.label, std::nullopt, tb.time, std::nullopt});
    }
    return c;
}

}  // namespace racesim
