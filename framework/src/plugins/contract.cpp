#include "racesim/plugins/contract.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "racesim/plugin/math.hpp"

namespace racesim {

namespace {

constexpr double neg_inf = -std::numeric_limits<double>::infinity();

std::string num(double x) {
    return plugin::math::format(x);
}

void add(ContractReport& r, const std::string& s) {
    if (r.problems.size() < 20) r.problems.push_back(s);
}

bool same(double a, double b, double rel) {
    if (a == b) return true;
    if (std::isinf(a) || std::isinf(b)) return false;
    return std::abs(a - b) <= rel * std::max(1.0, std::abs(a));
}

}  // namespace

ContractReport check_rate_contract(const plugin::RateModel& m, double H, double log_C, int grid) {
    ContractReport r;
    using plugin::Segment;
    // 1. Breakpoints.
    std::vector<double> bp;
    m.breakpoints(0.0, H, bp);
    r.breakpoints = bp.size();
    for (std::size_t i = 0; i < bp.size(); ++i) {
        if (!std::isfinite(bp[i]) || !(bp[i] > 0 && bp[i] < H))
            add(r, "breakpoint " + num(bp[i]) + " outside the open interval (0, " + num(H) + ")");
        if (i > 0 && !(bp[i] > bp[i - 1]))
            add(r, "breakpoints not strictly increasing: " + num(bp[i - 1]) + " then " + num(bp[i]));
    }
    std::vector<std::pair<double, double>> subs{{H / 3, 2 * H / 3}, {0, H / 2}, {H / 2, H}};
    if (!bp.empty()) subs.emplace_back(bp[bp.size() / 2], H);
    if (!bp.empty()) subs.emplace_back(0, bp[bp.size() / 2]);
    for (const auto& [a, b] : subs) {
        std::vector<double> got, want;
        m.breakpoints(a, b, got);
        for (double x : bp)
            if (x > a && x < b) want.push_back(x);
        if (got != want)
            add(r, "breakpoints(" + num(a) + ", " + num(b) + ") gave " + std::to_string(got.size()) +
                       " values; the whole interval has " + std::to_string(want.size()) + " inside it");
    }
    auto has_bp = [&](double a, double b) {
        const auto it = std::lower_bound(bp.begin(), bp.end(), a);
        return it != bp.end() && *it <= b;
    };
    auto tiny = [&](double t) {
        const double e = 1e-9 * std::max(1.0, H);
        return Segment{t - e, t + e};
    };
    auto value = [&](double t) {
        ++r.evaluations;
        return m.log_value(t, log_C, tiny(t));
    };

    // 2, 3. Grid values.
    std::vector<double> t(static_cast<std::size_t>(grid) + 1), v(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        t[i] = i + 1 == t.size() ? H : H * static_cast<double>(i) / grid;
        v[i] = value(t[i]);
        if (std::isnan(v[i]) || v[i] == std::numeric_limits<double>::infinity())
            add(r, "log_value(" + num(t[i]) + ") = " + num(v[i]) + " (must be finite or -inf)");
        if (!m.depends_on_state()) {
            const double w = m.log_value(t[i], log_C + 7.3, tiny(t[i]));
            ++r.evaluations;
            if (!(w == v[i] || (std::isnan(w) && std::isnan(v[i]))))
                add(r, "log_value depends on ln C at t = " + num(t[i]) + " though depends_on_state() is false");
        }
    }

    // 4. Undeclared jumps: bisect every change that stands out from its neighbours.
    auto delta = [&](std::size_t i) {
        if (v[i] == neg_inf && v[i + 1] == neg_inf) return 0.0;
        if ((v[i] == neg_inf) != (v[i + 1] == neg_inf)) return std::numeric_limits<double>::infinity();
        return std::abs(v[i + 1] - v[i]);
    };
    const double min_width = 1e-12 * std::max(1.0, H);
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
        const double pad = 4e-9 * std::max(1.0, H);
        if (has_bp(t[i] - pad, t[i + 1] + pad)) continue;
        const double d = delta(i);
        if (d == 0) continue;
        const double around = std::max(i > 0 ? delta(i - 1) : 0.0, i + 2 < t.size() ? delta(i + 1) : 0.0);
        if (!(d > 2 * around + 1e-12)) continue;
        double a = t[i], b = t[i + 1], va = v[i], vb = v[i + 1];
        while (b - a > min_width) {
            const double mid = 0.5 * (a + b);
            const double vm = value(mid);
            auto jump = [](double x, double y) {
                if ((x == neg_inf) != (y == neg_inf)) return std::numeric_limits<double>::infinity();
                return x == y ? 0.0 : std::abs(x - y);
            };
            if (jump(va, vm) >= jump(vm, vb))
                b = mid, vb = vm;
            else
                a = mid, va = vm;
        }
        // A jump at the horizon itself is outside [0, horizon): the host integrates up to it and
        // evaluates the last segment's regime there (models declare breakpoints in the open interval).
        if (b >= H - pad) continue;
        const bool status = (va == neg_inf) != (vb == neg_inf);
        if (status || std::abs(vb - va) > 1e-6)
            add(r, "undeclared jump near t = " + num(a) + ": ln value " + num(va) + " -> " + num(vb) +
                       " across an interval of " + num(b - a) + " yr with no declared breakpoint");
    }

    // 5. Frozen regime per segment.
    std::vector<double> edges{0.0};
    edges.insert(edges.end(), bp.begin(), bp.end());
    edges.push_back(H);
    for (std::size_t k = 0; k + 1 < edges.size(); ++k) {
        const Segment s{edges[k], edges[k + 1]};
        const double w = s.end - s.begin;
        if (!(w > 0)) continue;
        for (double f : {0.0, 0.25, 0.5, 0.75, 1.0}) {
            // Interior points: the same t with a small segment inside s. Ends: the value just
            // inside (1.5e-9 of the segment away), which a regime read from t would not match.
            const double x = s.begin + f * w;
            const bool end = f == 0.0 || f == 1.0;
            const double e = (end ? 1e-9 : 1e-6) * w;
            const Segment inner = f == 0.0 ? Segment{x + e, x + 2 * e} : Segment{x - 2 * e, x - e};
            const double x_in = !end ? x : f == 0.0 ? x + 1.5 * e : x - 1.5 * e;
            const double whole = m.log_value(x, log_C, s), near = m.log_value(x_in, log_C, inner);
            r.evaluations += 2;
            if (!same(whole, near, end ? 1e-6 : 1e-12))
                add(r, "at t = " + num(x) + " the segment [" + num(s.begin) + ", " + num(s.end) + ") gives ln value " +
                           num(whole) + " but a small segment inside it gives " + num(near) +
                           ": take the regime from the segment (e.g. s.mid()), not from t");
        }
    }
    return r;
}

ContractReport check_loss_contract(const plugin::LossLaw& law, double log_C0) {
    ContractReport r;
    double prev = std::numeric_limits<double>::infinity();
    for (int k = 0; k <= 400; ++k) {
        const double lc = log_C0 + 0.1 * k;
        const double L = law.loss(lc);
        ++r.evaluations;
        if (!std::isfinite(L) || !(L > 0)) {
            add(r, "L(ln C = " + num(lc) + ") = " + num(L) + " (must be finite and > 0)");
            continue;
        }
        if (L > prev) add(r, "L increases with C at ln C = " + num(lc) + ": " + num(prev) + " -> " + num(L));
        if (L < prev && k % 10 == 0) {
            std::string why;
            const auto back = law.log_compute_for_loss(L, why);
            ++r.evaluations;
            if (!back)
                add(r, "log_compute_for_loss(" + num(L) + ") refused a loss the law reaches at ln C = " + num(lc) +
                           ": " + why);
            else if (!(std::abs(*back - lc) <= 1e-9 * std::max(1.0, std::abs(lc))))
                add(r, "log_compute_for_loss(L(ln C = " + num(lc) + ")) = " + num(*back) + ", not ln C");
        }
        prev = L;
    }
    return r;
}

}  // namespace racesim
