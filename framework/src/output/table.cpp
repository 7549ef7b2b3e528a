// The readable report on stdout: the table of a run and the report of a comparison.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <limits>

#include "racesim/config/scenario.hpp"
#include "racesim/output/writer.hpp"

namespace racesim {

void print_comparison(const Comparison& c, std::ostream& os) {
    fmt::print(os, "compare '{}' (a) with '{}' (b), {} common output times\n", printable(c.a), printable(c.b),
               c.rows.size());
    auto t = [](const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string("-"); };
    for (const auto& d : c.targets)
        fmt::print(os, "  {:<14} time a {:>12}  time b {:>12}  a - b {:>12} yr\n", d.label, t(d.time_a), t(d.time_b),
                   t(d.difference));
    if (c.max_abs_R_gap)
        fmt::print(os, "  largest |R_a - R_b| = {:.6g} at t = {:.6g} yr (R_a - R_b = {:.6g})\n", *c.max_abs_R_gap,
                   *c.max_abs_R_gap_t, *c.R_gap_at_max);
    if (c.min_C_ratio)
        fmt::print(os, "  C_a/C_b: min {:.6g} at t = {:.6g} yr, max {:.6g} at t = {:.6g} yr, final {:.6g}\n",
                   *c.min_C_ratio, *c.min_C_ratio_t, *c.max_C_ratio, *c.max_C_ratio_t, c.rows.back().C_ratio);
    if (!c.unpaired.empty()) fmt::print(os, "  not paired: {}\n", c.unpaired);
    if (!c.paired) return;
    const PairedComparison& p = *c.paired;
    fmt::print(os, "  paired over {} samples (seed {}): a - b per sample\n", p.n, p.seed);
    const auto n = static_cast<double>(p.n);
    for (const auto& d : p.targets) {
        fmt::print(os, "  {:<14} a first {:.4f}  b first {:.4f}", d.label, static_cast<double>(d.a_first) / n,
                   static_cast<double>(d.b_first) / n);
        if (d.both_reached) {
            auto at = [&](double p) {
                for (const auto& [q, v] : d.quantiles)
                    if (q == p) return v;
                return std::numeric_limits<double>::quiet_NaN();
            };
            fmt::print(os, "  median {:.4g}  90% range {:.4g} to {:.4g} yr", at(0.5), at(0.05), at(0.95));
            if (d.both_reached < d.n) fmt::print(os, " (both reached in {})", d.both_reached);
        } else {
            fmt::print(os, "  never both reached");
        }
        fmt::print(os, "\n");
    }
}

void print_table(const RunReport& r, std::ostream& os) {
    const Experiment& ex = *r.experiment;
    fmt::print(os, "experiment '{}' ({}): {} scenario(s), horizon {} yr\n", printable(ex.name),
               printable(ex.file.string()), r.scenarios, ex.horizon);
    // The name column fits the longest name (at least 22 wide, as it always was).
    std::size_t w = 22;
    bool dates = false;  // a date column (start_year + time) when any scenario has a start_year
    for (const auto& s : r.listed) {
        w = std::max(w, printable(s.spec->name).size());
        dates = dates || s.spec->start_year.has_value();
    }
    fmt::print(os, "{:<{}} {:>9} {:>8} {:>16}{} {:>16} {:>10} {:>12}\n", "scenario", w, "L target", "R", "time (yr)",
               dates ? fmt::format(" {:>9}", "date") : "", "reference (yr)", "time err", "max R err");
    auto date_str = [&](const ScenarioSpec& sc, const std::optional<double>& t) {
        if (!dates) return std::string();
        const auto d = date_of(sc.start_year, t);
        return fmt::format(" {:>9}", d ? fmt::format("{:.2f}", *d) : "-");
    };
    auto t_str = [](const std::optional<double>& t, bool unreachable, bool at_start = false) {
        if (t && at_start && *t == 0) return std::string("0 (at start)");
        if (t) return fmt::format("{:.6g}", *t);
        return std::string(unreachable ? "unreachable" : "not reached");
    };
    for (const auto& s : r.listed) {
        const std::string rerr = s.max_rel_err ? fmt::format("{:.2e}", *s.max_rel_err) : "-";
        if (s.targets.empty())
            fmt::print(os, "{:<{}} {:>9} {:>8} {:>16}{} {:>16} {:>10} {:>12}\n", printable(s.spec->name), w, "-", "-",
                       "-", date_str(*s.spec, std::nullopt), "-", "-", rerr);
        for (const auto& t : s.targets) {
            const std::string ref = t.has_reference ? t_str(t.reference_time, t.unreachable) : "-";
            const std::string terr = t.time_rel_err ? fmt::format("{:.2e}", *t.time_rel_err) : "-";
            fmt::print(os, "{:<{}} {:>9.4g} {:>8.4g} {:>16}{} {:>16} {:>10} {:>12}\n", printable(s.spec->name), w,
                       t.loss, t.relative, t_str(t.time, t.unreachable, t.at_start), date_str(*s.spec, t.time), ref,
                       terr, rerr);
        }
    }
    bool any_at_start = false;
    for (const auto& s : r.listed)
        for (const auto& t : s.targets) any_at_start = any_at_start || t.at_start;
    if (any_at_start)
        fmt::print(os, "(at start): the target is at or above the starting loss L(C0), so it is met at t = 0\n");
    if (!r.trajectories)
        for (const auto& st : r.sweeps) {
            fmt::print(os, "sweep '{}': {} scenarios, one row each in sweep.csv", printable(st.declared->name),
                       st.scenarios);
            if (st.max_time_rel_err) fmt::print(os, "; worst time err {:.2e}", *st.max_time_rel_err);
            if (st.max_rel_err_R) fmt::print(os, ", worst R err {:.2e}", *st.max_rel_err_R);
            fmt::print(os, "\n");
            for (const auto& t : st.targets) {
                fmt::print(os, "  {:<12} reached by {} of {}", t.label, t.reached, st.scenarios);
                if (t.min_time) fmt::print(os, ", in {:.6g} to {:.6g} yr", *t.min_time, *t.max_time);
                if (t.min_time && st.declared->start_year)
                    fmt::print(os, " ({:.2f} to {:.2f})", *date_of(st.declared->start_year, t.min_time),
                               *date_of(st.declared->start_year, t.max_time));
                if (t.unreachable) fmt::print(os, " ({} unreachable)", t.unreachable);
                fmt::print(os, "\n");
            }
        }
    os << r.console;
    for (const auto& [table, rows] : r.tables)
        if (rows && table->count_on_console)
            fmt::print(os, "{}: {} row(s) in {}.csv\n", table->name, rows, table->name);
    for (const auto& mc : r.monte_carlo) {
        const SampleSpec& sp = *find_analysis<SampleSpec>(*mc.spec);
        fmt::print(os, "monte carlo '{}': {} samples, seed {}\n", printable(mc.spec->name), sp.n, sp.seed);
        auto q = [](const std::optional<double>& v) { return v ? fmt::format("{:.4g}", *v) : std::string(">H"); };
        for (const auto& st : mc.stats) {
            fmt::print(os, "  {:<12} P(reached) {:.4f}  p5 {}  p25 {}  p50 {}  p75 {}  p95 {} yr\n", st.target,
                       static_cast<double>(st.reached) / static_cast<double>(st.n), q(st.quantiles[0].second),
                       q(st.quantiles[2].second), q(st.quantiles[3].second), q(st.quantiles[4].second),
                       q(st.quantiles[6].second));
            if (const auto& y0 = mc.spec->start_year) {
                auto d = [&](const std::optional<double>& v) {
                    return v ? fmt::format("{:.2f}", *date_of(y0, v)) : std::string(">H");
                };
                fmt::print(os, "  {:<12} dates        p5 {}  p25 {}  p50 {}  p75 {}  p95 {}\n", "",
                           d(st.quantiles[0].second), d(st.quantiles[2].second), d(st.quantiles[3].second),
                           d(st.quantiles[4].second), d(st.quantiles[6].second));
                for (const auto& [date, p] : st.reached_by)
                    fmt::print(os, "  {:<12} P(reached by {:.6g}) {:.4f}\n", "", *y0 + date, p);
            }
        }
    }
    for (const auto& c : r.comparisons) print_comparison(c, os);
}

}  // namespace racesim
