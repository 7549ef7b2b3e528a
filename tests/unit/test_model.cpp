// The model layer (racesim/model/model.hpp): counting a rate model's breakpoints within a
// budget, without ever asking it for all of them.
#include <catch2/catch.hpp>
#include <cmath>

#include "racesim/model/model.hpp"

using namespace racesim;

namespace {

/// Breakpoints at k·period in (t0, t1); counts how many it was ever asked to produce at once.
struct Periodic final : plugin::RateModel {
    explicit Periodic(double p) : period(p) {}
    double period;
    mutable std::size_t largest_answer = 0;
    double log_value(double, double, const plugin::Segment&) const override { return 0; }
    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        const std::size_t first = out.size();
        for (double k = std::floor(t0 / period) + 1; k * period < t1; ++k)
            if (k * period > t0) out.push_back(k * period);
        largest_answer = std::max(largest_answer, out.size() - first);
    }
};

}  // namespace

TEST_CASE("count_breakpoints: exact within the budget, an estimate beyond it, never all of them", "[model]") {
    // Within the budget: the exact count (period 1 over 30 yr: t = 1, ..., 29).
    const Periodic yearly(1);
    const BreakpointCount a = count_breakpoints(yearly, 30, 1'000'000);
    CHECK(a.exact);
    CHECK(a.count == 29);
    // No breakpoints at all.
    const Periodic never(100);
    CHECK(count_breakpoints(never, 30, 10).count == 0);
    // Exactly at the budget is allowed: 29 breakpoints, budget 29.
    CHECK(count_breakpoints(yearly, 30, 29).count == 29);
    CHECK(count_breakpoints(yearly, 30, 29).exact);
    // Over a small budget: refused as soon as a window holds more than the budget (14 in the
    // first 15 yr: extrapolated to 28).
    const BreakpointCount c = count_breakpoints(yearly, 30, 10);
    CHECK_FALSE(c.exact);
    CHECK(c.count > 10);
    CHECK(yearly.largest_answer <= 29);

    // Far beyond: 3e10 breakpoints of period 1e-9 over 30 yr, estimated from a window that
    // holds at most a few hundred of them (64 to ~2 x 64, doubling windows).
    const Periodic tiny(1e-9);
    const BreakpointCount b = count_breakpoints(tiny, 30, 1'000'000);
    CHECK_FALSE(b.exact);
    CHECK(b.count == Approx(3e10).epsilon(0.02));  // extrapolation from >= 64 points: within a few %
    CHECK(tiny.largest_answer < 2000);
    CHECK(b.in_window >= 64);
    CHECK(b.window < 1e-6);
}
