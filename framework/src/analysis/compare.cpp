#include "racesim/analysis/compare.hpp"

#include <algorithm>
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

double quantile_type7(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) throw std::invalid_argument("quantile of no values");
    const double h = static_cast<double>(sorted.size() - 1) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h)), hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::optional<double> quantile_censored(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) throw std::invalid_argument("quantile of no values");
    const double h = static_cast<double>(sorted.size() - 1) * p;
    const auto hi = std::min(static_cast<std::size_t>(std::floor(h)) + 1, sorted.size() - 1);
    if (!std::isfinite(sorted[hi])) return std::nullopt;
    return quantile_type7(sorted, p);
}

PairedComparison paired_comparison(const std::vector<std::string>& labels_a,
                                   const std::vector<std::vector<double>>& times_a,
                                   const std::vector<std::string>& labels_b,
                                   const std::vector<std::vector<double>>& times_b) {
    PairedComparison out;
    const std::size_t n = times_a.empty() ? 0 : times_a.front().size();
    for (const auto& t : times_a)
        if (t.size() != n) throw std::invalid_argument("paired comparison: targets with different sample counts");
    for (const auto& t : times_b)
        if (t.size() != n)
            throw std::invalid_argument("paired comparison: " + std::to_string(t.size()) + " samples against " +
                                        std::to_string(n));
    out.n = n;
    std::vector<double> d;
    for (std::size_t ka = 0; ka < labels_a.size(); ++ka) {
        const auto kb = std::find(labels_b.begin(), labels_b.end(), labels_a[ka]) - labels_b.begin();
        if (static_cast<std::size_t>(kb) == labels_b.size()) continue;
        const auto& ta = times_a[ka];
        const auto& tb = times_b[static_cast<std::size_t>(kb)];
        PairedTarget p;
        p.label = labels_a[ka];
        p.n = n;
        d.clear();
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (ta[i] < tb[i])
                ++p.a_first;
            else if (tb[i] < ta[i])
                ++p.b_first;
            else
                ++p.ties;
            if (std::isfinite(ta[i]) && std::isfinite(tb[i])) {
                d.push_back(ta[i] - tb[i]);
                sum += d.back();
            }
        }
        p.both_reached = d.size();
        if (!d.empty()) {
            p.mean = sum / static_cast<double>(d.size());
            std::sort(d.begin(), d.end());
            for (const double q : time_quantile_probabilities) p.quantiles.emplace_back(q, quantile_type7(d, q));
        }
        out.targets.push_back(std::move(p));
    }
    return out;
}

}  // namespace racesim
