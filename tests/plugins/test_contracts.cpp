// The RateModel contract (racesim/plugin/models.hpp), checked on every built-in rate plugin
// (continuous-doubling, discrete-steps, mean-field, peaked), loaded through racesim::Registry,
// over many random parameter sets:
//   1. breakpoints(t0, t1) are finite, strictly increasing and inside the open (t0, t1), and
//      asking for a sub-interval gives exactly the breakpoints of the whole that lie in it;
//   2. log_value is finite or -infinity and, since depends_on_state() is false, ignores ln C;
//   3. no undeclared jump: on a fine grid, evaluated with a tiny segment around each t, the
//      value changes between neighbours by no more than smooth growth allows (|gamma|·ln2·dt
//      for an efficiency, 0 for a power schedule) unless a breakpoint was declared in between;
//   4. the regime is frozen per segment consistently: the value with the whole segment between
//      two breakpoints equals the value with a tiny segment around t.
// The checker returns its findings instead of asserting, so that it can be tested itself on
// deliberately broken models (last test case).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "racesim/plugins/registry.hpp"

using racesim::plugin::Kind;
using racesim::plugin::Params;
using racesim::plugin::RateModel;
using racesim::plugin::Segment;

namespace {

constexpr double neg_inf = -std::numeric_limits<double>::infinity();

const racesim::Registry& registry() {
    static const racesim::Registry reg = [] {
        racesim::Registry r;
        r.load_directories({RACESIM_PLUGIN_DIR});
        return r;
    }();
    return reg;
}

struct Checked {
    std::vector<std::string> problems;
    std::size_t evaluations = 0, breakpoints = 0;
    double max_smooth_step = 0;  // largest |Δ ln value| between grid neighbours without a breakpoint
    void fail(const std::string& s) {
        if (problems.size() < 20) problems.push_back(s);
    }
};

std::string num(double x) {
    std::ostringstream os;
    os.precision(17);
    os << x;
    return os.str();
}

/// Checks the contract of `m` on [0, H]; `slope` bounds |d ln(value)/dt| inside a segment.
void check_contract(const RateModel& m, double H, double slope, std::mt19937_64& rng, Checked& out, int grid = 20000) {
    std::uniform_real_distribution<double> U(0, 1);
    // 1. Breakpoints of the whole interval and of random sub-intervals.
    std::vector<double> bp;
    m.breakpoints(0.0, H, bp);
    out.breakpoints += bp.size();
    for (std::size_t i = 0; i < bp.size(); ++i) {
        if (!std::isfinite(bp[i]) || !(bp[i] > 0 && bp[i] < H))
            out.fail("breakpoint " + num(bp[i]) + " outside the open interval (0, " + num(H) + ")");
        if (i > 0 && !(bp[i] > bp[i - 1]))
            out.fail("breakpoints not strictly increasing: " + num(bp[i - 1]) + " then " + num(bp[i]));
    }
    for (int k = 0; k < 20; ++k) {
        double t0 = H * U(rng), t1 = H * U(rng);
        if (k == 0) t0 = 0;
        if (k == 1 && !bp.empty()) t0 = bp[bp.size() / 2];  // starting exactly on a breakpoint
        if (k == 2 && !bp.empty()) t1 = bp[bp.size() / 2];  // ending exactly on one
        if (t1 < t0) std::swap(t0, t1);
        if (!(t1 > t0)) continue;
        std::vector<double> sub;
        m.breakpoints(t0, t1, sub);
        std::vector<double> want;
        for (double b : bp)
            if (b > t0 && b < t1) want.push_back(b);
        if (sub != want) {
            std::ostringstream os;
            os.precision(17);
            os << "breakpoints(" << t0 << ", " << t1 << ") gave " << sub.size() << " values, the whole interval has "
               << want.size() << " inside it";
            for (std::size_t i = 0; i < std::max(sub.size(), want.size()); ++i) {
                const double a = i < sub.size() ? sub[i] : NAN, b = i < want.size() ? want[i] : NAN;
                if (!(a == b)) {
                    os << "; first difference: " << a << " vs " << b;
                    break;
                }
            }
            out.fail(os.str());
        }
    }

    // Grid values with a tiny segment around each t.
    auto near_breakpoint = [&](double a, double b) {  // any declared breakpoint in [a, b]?
        auto it = std::lower_bound(bp.begin(), bp.end(), a);
        return it != bp.end() && *it <= b;
    };
    auto tiny = [](double t) {
        const double e = 1e-9 * std::max(1.0, t);
        return Segment{t - e, t + e};
    };
    std::vector<double> t(grid + 1), v(grid + 1);
    for (int i = 0; i <= grid; ++i) {
        t[i] = i == grid ? H : H * i / grid;
        v[i] = m.log_value(t[i], 0.0, tiny(t[i]));
        ++out.evaluations;
        // 2. Finite or -inf; independent of ln C.
        if (std::isnan(v[i]) || v[i] == std::numeric_limits<double>::infinity())
            out.fail("log_value(" + num(t[i]) + ") = " + num(v[i]) + " (must be finite or -inf)");
        if (!m.depends_on_state()) {
            const double w = m.log_value(t[i], 57.3, tiny(t[i]));
            if (!(w == v[i] || (std::isnan(w) && std::isnan(v[i]))))
                out.fail("log_value depends on ln C though depends_on_state() is false, at t = " + num(t[i]));
        }
    }
    // 3. No undeclared jump between neighbours.
    for (int i = 0; i < grid; ++i) {
        const double a = t[i], b = t[i + 1];
        if (near_breakpoint(a - 4e-9 * std::max(1.0, a), b + 4e-9 * std::max(1.0, b))) continue;
        if (v[i] == neg_inf && v[i + 1] == neg_inf) continue;
        if ((v[i] == neg_inf) != (v[i + 1] == neg_inf)) {
            out.fail("undeclared jump between t = " + num(a) + " and " + num(b) + ": ln value " + num(v[i]) + " -> " +
                     num(v[i + 1]));
            continue;
        }
        const double d = std::abs(v[i + 1] - v[i]);
        out.max_smooth_step = std::max(out.max_smooth_step, d);
        const double allowed = slope * (b - a) * (1 + 1e-9) + 1e-12 * std::max(1.0, std::abs(v[i]));
        if (d > allowed)
            out.fail("undeclared jump between t = " + num(a) + " and " + num(b) + ": ln value " + num(v[i]) + " -> " +
                     num(v[i + 1]) + " (smooth growth allows " + num(allowed) + ")");
    }
    // 4. The segment's regime: the whole segment between breakpoints vs a tiny one.
    std::vector<double> edges{0.0};
    edges.insert(edges.end(), bp.begin(), bp.end());
    edges.push_back(H);
    for (int i = 0; i <= grid; i += 7) {
        const double ti = t[i];
        if (near_breakpoint(ti - 4e-9 * std::max(1.0, ti), ti + 4e-9 * std::max(1.0, ti))) continue;
        auto it = std::upper_bound(edges.begin(), edges.end(), ti);
        if (it == edges.begin()) continue;
        if (it == edges.end()) --it;  // t = H: the last segment
        const Segment whole{*(it - 1), *it};
        if (!(whole.end > whole.begin)) continue;
        const double w = m.log_value(ti, 0.0, whole);
        ++out.evaluations;
        const bool same = (w == v[i]) || std::abs(w - v[i]) <= 1e-13 * std::max(1.0, std::abs(w));
        if (!same)
            out.fail("at t = " + num(ti) + " the segment [" + num(whole.begin) + ", " + num(whole.end) +
                     ") gives ln value " + num(w) + ", a tiny segment around t gives " + num(v[i]));
    }
}

struct Draw {
    Params params;
    double slope = 0;  // bound on |d ln value / dt| inside a segment
    double horizon = 1;
    std::string text;
};

Draw draw(const std::string& type, std::mt19937_64& rng, int i) {
    std::uniform_real_distribution<double> U(0, 1);
    auto uni = [&](double a, double b) { return a + (b - a) * U(rng); };
    auto log_uni = [&](double a, double b) { return std::exp(uni(std::log(a), std::log(b))); };
    Draw d;
    std::ostringstream os;
    os.precision(17);
    os << type << ":";
    d.horizon = i % 5 == 0 ? uni(0.05, 2) : uni(2, 100);
    if (type == "continuous-doubling" || type == "discrete-steps") {
        const double E0 = log_uni(1e-3, 1e11);
        const double gamma = i % 10 == 0 ? 0.0 : uni(-4, 4);
        d.params.set("E0", E0);
        d.params.set("gamma", gamma);
        os << " E0=" << E0 << " gamma=" << gamma;
        if (type == "discrete-steps") {
            const double T = i % 7 == 0 ? 0.25 : uni(0.25, 5);
            d.params.set("period", T);
            os << " period=" << T;
        } else {
            d.slope = std::abs(gamma) * std::log(2.0);
        }
    } else if (type == "halving-time") {
        const double A0 = log_uni(1e-3, 1e3), h = uni(0.1, 5);
        d.params.set("A0", A0);
        d.params.set("halving_time", h);
        os << " A0=" << A0 << " halving_time=" << h;
        d.slope = std::log(2.0) / h;
    } else if (type == "generation-table" || type == "time-series" || type == "algorithm-table") {
        // Random rows: a first row at or before 0, then increasing times within ~1.2 horizons.
        racesim::plugin::Table rows;
        const int n = 1 + static_cast<int>(uni(0, 12));
        double t = i % 4 == 0 ? 0.0 : -uni(0, 3);
        for (int k = 0; k < n; ++k) {
            const double v = type == "time-series" && i % 3 == 0 && k % 2 == 1 ? 0.0 : log_uni(1e-3, 1e3);
            rows.push_back({t, v});
            os << " [" << t << "," << v << "]";
            t += uni(0.01, 1.2 * d.horizon / n);
        }
        const double origin = i % 5 == 1 ? uni(1990, 2030) : 0.0;
        for (auto& r : rows) r[0] += origin;
        d.params.set("time_origin", origin);
        os << " time_origin=" << origin;
        if (type == "generation-table") {
            d.params.set("E0", log_uni(1e-3, 1e11));
            d.params.set("steps", rows);
        } else if (type == "algorithm-table") {
            d.params.set("A0", log_uni(1e-3, 1e3));
            d.params.set("steps", rows);
        } else {
            const bool linear = i % 2 == 0;
            d.params.set("series", rows);
            d.params.set("interpolation", std::string(linear ? "linear" : "constant"));
            os << (linear ? " linear" : " constant");
            // A linear piece changes ln P by at most ln(max/min) over its length; bound the slope
            // by the steepest piece, in ln space (inf when a piece touches 0: skip the check).
            double slope = 0;
            for (std::size_t k = 0; linear && k + 1 < rows.size(); ++k) {
                const double a = rows[k][1], b = rows[k + 1][1], dt = rows[k + 1][0] - rows[k][0];
                slope = std::max(slope, (a > 0 && b > 0) ? std::abs(b - a) / std::min(a, b) / dt
                                                         : std::numeric_limits<double>::infinity());
            }
            d.slope = slope;
        }
    } else if (type == "logistic") {
        const double E0 = log_uni(1e-3, 1e11), gamma = uni(0.01, 4);
        d.params.set("E0", E0);
        d.params.set("gamma", gamma);
        d.params.set("E_max", E0 * log_uni(1.0001, 1e12));
        os << " E0=" << E0 << " gamma=" << gamma << " E_max=" << d.params.real("E_max");
        d.slope = gamma * std::log(2.0);  // d ln E/dt = r·(1 - E/E_max) <= r
    } else if (type == "experience-curve") {
        const double b = i % 10 == 0 ? 0.0 : i % 10 == 1 ? 1.0 : uni(-1, 1);
        d.params.set("E0", log_uni(1e-3, 1e11));
        d.params.set("b", b);
        os << " b=" << b;
    } else {
        const double P0 = log_uni(1e-2, 1e6);
        d.params.set("P0", P0);
        os << " P0=" << P0;
        if (type == "growth") {
            const bool linear = i % 2 == 0;
            const double rate = i % 8 == 0 ? 0.0 : uni(0, 3);
            d.params.set("mode", std::string(linear ? "linear" : "exponential"));
            d.params.set("rate", rate);
            os << (linear ? " linear" : " exponential") << " rate=" << rate;
            if (i % 3 != 0) {
                const double cap = P0 * (i % 11 == 0 ? 1.0 : log_uni(1, 1e4));
                d.params.set("P_max", cap);
                os << " P_max=" << cap;
            }
            d.slope = linear ? rate : rate * std::log(2.0);  // d ln P/dt = rate/(1 + rate·t) <= rate
        }
        if (type == "reinvestment") {  // state-dependent: the contract checks it at a fixed ln C
            const double beta = i % 10 == 0 ? 0.0 : i % 10 == 1 ? 1.0 : uni(-1, 1);
            d.params.set("beta", beta);
            os << " beta=" << beta;
        }
        if (type == "peaked") {
            const double duty = i % 9 == 0 ? 1.0 : i % 9 == 1 ? 0.05 : uni(0.05, 1);
            const double offset = i % 6 == 0 ? 0.0 : i % 6 == 1 ? 1 - duty : uni(0, 1 - duty);
            const double period = uni(0.25, 5);
            d.params.set("duty", duty);
            d.params.set("offset", offset);
            d.params.set("period", period);
            os << " duty=" << duty << " offset=" << offset << " period=" << period;
        }
    }
    os << " horizon=" << d.horizon;
    d.text = os.str();
    return d;
}

void check_plugin(Kind kind, const std::string& type, std::uint64_t seed) {
    const racesim::PluginEntry* e = registry().find(kind, type);
    REQUIRE(e);
    std::mt19937_64 rng(seed);
    std::size_t evaluations = 0, breakpoints = 0;
    double max_step = 0;
    for (int i = 0; i < 150; ++i) {
        const Draw d = draw(type, rng, i);
        INFO(d.text);
        const auto m = registry().make_rate(*e, d.params, racesim::plugin::BuildContext{1.0, d.horizon});
        REQUIRE(m);
        Checked c;
        check_contract(*m, d.horizon, d.slope, rng, c);
        evaluations += c.evaluations;
        breakpoints += c.breakpoints;
        max_step = std::max(max_step, c.max_smooth_step);
        std::ostringstream all;
        for (const auto& p : c.problems) all << "\n  " << p;
        INFO("problems:" << all.str());
        CHECK(c.problems.empty());
    }
    std::printf(
        "[plugins] contract of %s: 150 parameter sets, %zu evaluations, %zu breakpoints, largest smooth step "
        "of ln value between grid neighbours %.3g\n",
        type.c_str(), evaluations, breakpoints, max_step);
}

}  // namespace

TEST_CASE("contract: efficiency continuous-doubling") {
    check_plugin(Kind::efficiency, "continuous-doubling", 11);
}
TEST_CASE("contract: efficiency discrete-steps") {
    check_plugin(Kind::efficiency, "discrete-steps", 12);
}
TEST_CASE("contract: power mean-field") {
    check_plugin(Kind::power, "mean-field", 13);
}
TEST_CASE("contract: power peaked") {
    check_plugin(Kind::power, "peaked", 14);
}
TEST_CASE("contract: efficiency generation-table") {
    check_plugin(Kind::efficiency, "generation-table", 15);
}
TEST_CASE("contract: efficiency logistic") {
    check_plugin(Kind::efficiency, "logistic", 16);
}
TEST_CASE("contract: efficiency experience-curve") {
    check_plugin(Kind::efficiency, "experience-curve", 17);
}
TEST_CASE("contract: power growth") {
    check_plugin(Kind::power, "growth", 18);
}
TEST_CASE("contract: power time-series") {
    check_plugin(Kind::power, "time-series", 19);
}
TEST_CASE("contract: power reinvestment") {
    check_plugin(Kind::power, "reinvestment", 20);
}
TEST_CASE("contract: algorithms halving-time") {
    check_plugin(Kind::algorithms, "halving-time", 21);
}
TEST_CASE("contract: algorithms algorithm-table") {
    check_plugin(Kind::algorithms, "algorithm-table", 22);
}

TEST_CASE("contract: reinvestment depends on the state exactly as P0*(C/C0)^beta") {
    const racesim::PluginEntry* e = registry().find(Kind::power, "reinvestment");
    REQUIRE(e);
    Params p;
    p.set("P0", 25.0);
    p.set("beta", 0.3);
    const double C0 = 7.0;
    const auto m = registry().make_rate(*e, p, racesim::plugin::BuildContext{C0, 10.0});
    CHECK(m->depends_on_state());
    for (double C : {7.0, 14.0, 7e6, 1e-3}) {
        const double want = std::log(25.0) + 0.3 * std::log(C / C0);
        CHECK(std::abs(m->log_value(1.0, std::log(C), Segment{0, 2}) - want) <= 1e-14 * std::max(1.0, std::abs(want)));
    }
    p.set("beta", 0.0);  // beta = 0 is mean-field: the host need not pass the state
    CHECK_FALSE(registry().make_rate(*e, p, racesim::plugin::BuildContext{C0, 10.0})->depends_on_state());
}

TEST_CASE("contract: experience-curve depends on the state exactly as E0*(C/C0)^b") {
    const racesim::PluginEntry* e = registry().find(Kind::efficiency, "experience-curve");
    REQUIRE(e);
    Params p;
    p.set("E0", 3.5);
    p.set("b", 0.4);
    const double C0 = 7.0;
    const auto m = registry().make_rate(*e, p, racesim::plugin::BuildContext{C0, 10.0});
    CHECK(m->depends_on_state());
    for (double C : {7.0, 14.0, 7e6, 1e-3}) {
        const double want = std::log(3.5) + 0.4 * std::log(C / C0);
        CHECK(std::abs(m->log_value(1.0, std::log(C), Segment{0, 2}) - want) <= 1e-14 * std::max(1.0, std::abs(want)));
    }
}

TEST_CASE("contract: every built-in rate plugin is covered") {
    std::vector<std::string> all;
    // Every one of these is listed in contract-tested.sha256 (plugins/CMakeLists.txt: the
    // efficiency-, power- and algorithms- libraries), which exempts it from the jump audit.
    for (Kind k : {Kind::efficiency, Kind::power, Kind::algorithms})
        for (const auto& t : registry().types(k)) all.push_back(t);
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<std::string>{"algorithm-table", "continuous-doubling", "discrete-steps",
                                          "experience-curve", "generation-table", "growth", "halving-time", "logistic",
                                          "mean-field", "peaked", "reinvestment", "time-series"});
}

// The checker itself must catch what it is meant to catch.
namespace {

struct Jumps final : RateModel {  // jumps at t = 1 and declares nothing
    double log_value(double t, double, const Segment&) const override { return t < 1 ? 0.0 : 1.0; }
};
struct Switches final : RateModel {  // turns off at t = 1 and declares nothing
    double log_value(double t, double, const Segment&) const override { return t < 1 ? 0.0 : neg_inf; }
};
struct Unsorted final : RateModel {
    double log_value(double, double, const Segment& s) const override { return s.mid() < 1 ? 0.0 : 1.0; }
    void breakpoints(double, double, std::vector<double>& out) const override { out.insert(out.end(), {2.0, 1.0}); }
};
struct OutOfRange final : RateModel {  // declares the ends themselves
    double log_value(double, double, const Segment&) const override { return 0.0; }
    void breakpoints(double t0, double t1, std::vector<double>& out) const override { out.insert(out.end(), {t0, t1}); }
};
struct ReadsT final : RateModel {  // declares its jump but takes the regime of t, not of the segment
    double log_value(double t, double, const Segment&) const override { return std::floor(t); }
    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        for (double k = std::floor(t0) + 1; k < t1; ++k) out.push_back(k);
    }
};
struct WrongSegment final : RateModel {  // takes the regime of the segment's start + 1
    double log_value(double, double, const Segment& s) const override { return std::floor(s.begin + 0.75); }
    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        for (double k = std::floor(t0) + 1; k < t1; ++k) out.push_back(k);
    }
};
struct Good final : RateModel {
    double log_value(double, double, const Segment& s) const override { return std::floor(s.mid()); }
    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        for (double k = std::floor(t0) + 1; k < t1; ++k) out.push_back(k);
    }
};

bool any_contains(const Checked& c, const std::string& what) {
    for (const auto& p : c.problems)
        if (p.find(what) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("contract checker: catches undeclared jumps, bad breakpoints and a regime read from t") {
    std::mt19937_64 rng(1);
    auto run = [&](const RateModel& m) {
        Checked c;
        check_contract(m, 3.5, 0.0, rng, c, 3500);
        return c;
    };
    CHECK(run(Good{}).problems.empty());
    CHECK(any_contains(run(Jumps{}), "undeclared jump"));
    CHECK(any_contains(run(Switches{}), "undeclared jump"));
    CHECK(any_contains(run(Unsorted{}), "not strictly increasing"));
    CHECK(any_contains(run(OutOfRange{}), "outside the open interval"));
    // (A model reading its regime from t agrees with tiny segments at every grid point; it is
    // caught by the segment-end check below.)
    CHECK(any_contains(run(WrongSegment{}), "the segment"));
}

TEST_CASE("contract: at a segment's end a rate model still gives the segment's regime") {
    // The host evaluates a segment [a, b) at t = b (the last stage of the last step): a model
    // must answer with the regime of the segment, not of t (models.hpp). Check every built-in
    // plugin at both ends of each of its segments against the tiny-segment value at the middle.
    std::mt19937_64 rng(99);
    for (const auto& [kind, type] : std::vector<std::pair<Kind, std::string>>{{Kind::efficiency, "continuous-doubling"},
                                                                              {Kind::efficiency, "discrete-steps"},
                                                                              {Kind::efficiency, "generation-table"},
                                                                              {Kind::power, "mean-field"},
                                                                              {Kind::power, "peaked"},
                                                                              {Kind::power, "time-series"},
                                                                              {Kind::power, "growth"}}) {
        const racesim::PluginEntry* e = registry().find(kind, type);
        REQUIRE(e);
        for (int i = 0; i < 50; ++i) {
            const Draw d = draw(type, rng, i);
            INFO(d.text);
            const auto m = registry().make_rate(*e, d.params, racesim::plugin::BuildContext{1.0, d.horizon});
            std::vector<double> edges{0.0};
            m->breakpoints(0.0, d.horizon, edges);
            edges.push_back(d.horizon);
            for (std::size_t k = 0; k + 1 < edges.size(); ++k) {
                const Segment s{edges[k], edges[k + 1]};
                const double mid = s.mid();
                const double at_mid = m->log_value(mid, 0.0, Segment{mid - 1e-9 * s.end, mid + 1e-9 * s.end});
                for (double t : {s.begin, s.end}) {
                    const double v = m->log_value(t, 0.0, s);
                    // continuous-doubling grows inside a segment, at gamma·ln2 per yr in ln E.
                    const double rate = type == "continuous-doubling" ? d.params.real("gamma") * std::log(2.0) : 0.0;
                    double expect = at_mid == neg_inf ? neg_inf : at_mid + rate * (t - mid);
                    if (type == "growth" || type == "time-series") {
                        // Not exponential inside a segment (linear, or kinked at the cap): the
                        // regime of a tiny segment just inside s, evaluated at t itself.
                        const double w = 1e-6 * (s.end - s.begin);
                        const Segment inner = t == s.begin ? Segment{t + w, t + 2 * w} : Segment{t - 2 * w, t - w};
                        expect = m->log_value(t, 0.0, inner);
                    }
                    INFO("segment [" << s.begin << ", " << s.end << ") at t = " << t << ": " << v << " vs " << expect);
                    CHECK(((v == neg_inf && expect == neg_inf) ||
                           std::abs(v - expect) <= 1e-12 * std::max(1.0, std::abs(expect))));
                }
            }
        }
    }
}

TEST_CASE("contract checker: ReadsT is caught by the segment-end check") {
    // Same check as above, on a model that reads its regime from t.
    ReadsT m;
    std::vector<double> edges{0.0};
    m.breakpoints(0.0, 3.5, edges);
    edges.push_back(3.5);
    bool caught = false;
    for (std::size_t k = 0; k + 1 < edges.size(); ++k) {
        const Segment s{edges[k], edges[k + 1]};
        const double at_mid = m.log_value(s.mid(), 0.0, Segment{s.mid(), s.mid()});
        if (m.log_value(s.end, 0.0, s) != at_mid) caught = true;
    }
    CHECK(caught);
}
