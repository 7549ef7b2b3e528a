#include "predict.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "racesim/integrate/integrator.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim::fit {

namespace {

/// Segments between the breakpoints both rate models declare in (lo, hi), with the rule of
/// make_segments (breakpoints closer than 1e-12 · max(1, hi - lo) merged). For E and P at times
/// outside [0, horizon] (a fit to history before the scenario's t = 0).
std::vector<plugin::Segment> segments_over(const Model& m, double lo, double hi) {
    std::vector<double> bp;
    m.efficiency->breakpoints(lo, hi, bp);
    m.power->breakpoints(lo, hi, bp);
    std::sort(bp.begin(), bp.end());
    std::vector<plugin::Segment> seg;
    double begin = lo;
    const double tol = 1e-12 * std::max(1.0, hi - lo);
    for (double b : bp) {
        if (b - begin <= tol || hi - b <= tol) continue;
        seg.push_back({begin, b});
        begin = b;
    }
    seg.push_back({begin, hi});
    return seg;
}

}  // namespace

bool simulated(char q, const Model& m) {
    if (q == 'E') return m.efficiency->depends_on_state();
    if (q == 'P') return m.power->depends_on_state();
    return true;
}

std::vector<double> predict(const Experiment& ex, const ScenarioInstance& inst, char q, const std::vector<double>& t) {
    const ScenarioSpec& sc = *inst.spec;
    const Model& m = inst.model;
    std::vector<double> out(t.size());
    if (t.empty()) return out;
    const plugin::RateModel* rate = q == 'E' ? m.efficiency.get() : q == 'P' ? m.power.get() : nullptr;

    if (!simulated(q, m)) {
        const auto [lo, hi] = std::minmax_element(t.begin(), t.end());
        // A window one year wider than the data on each side, so that no time is a window's edge.
        const auto seg = segments_over(m, std::min(*lo, 0.0) - 1, std::max(*hi, sc.horizon) + 1);
        for (std::size_t i = 0; i < t.size(); ++i)
            out[i] = std::exp(rate->log_value(t[i], m.log_C0, segment_at(seg, t[i])));
        return out;
    }

    const double H = sc.horizon;
    for (double x : t)
        if (!(x >= 0 && x <= H))
            throw RunError("scenario '" + sc.name + "': fit: " + std::string(1, q) +
                           " at t = " + plugin::math::format(x) + " yr " +
                           (rate ? "needs C(t) (the " + std::string(q == 'E' ? "efficiency" : "power") +
                                       " model depends on the state), which"
                                 : std::string("is simulated and")) +
                           " is known only from t = 0 to the horizon " + plugin::math::format(H) + " yr");
    std::vector<double> grid = t;
    std::sort(grid.begin(), grid.end());
    grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
    std::vector<double> log_ratio;
    std::vector<plugin::Segment> segments;
    if (ex.solver.closed_form && m.reference) {
        for (double x : grid) log_ratio.push_back(m.reference->log_compute_ratio(x));
        if (rate) segments = make_segments(*m.efficiency, *m.power, H, sc.name, m.algorithms.get());
    } else {
        IntegrationProblem pb = problem_of(inst, H, false);  // with algorithms, C is effective compute
        pb.output_times = grid;
        IntegratorOptions o = options_of(ex);
        o.target_time_tol = 0;  // no targets
        IntegrationResult ir = integrate(pb, o);
        log_ratio = std::move(ir.log_ratio);
        segments = std::move(ir.segments);
    }
    for (std::size_t i = 0; i < t.size(); ++i) {
        const auto k = static_cast<std::size_t>(std::lower_bound(grid.begin(), grid.end(), t[i]) - grid.begin());
        const double log_C = m.log_C0 + log_ratio[k];
        switch (q) {
            case 'E':
            case 'P':
                out[i] = std::exp(rate->log_value(t[i], log_C, segment_at(segments, t[i])));
                break;
            case 'C':
                out[i] = std::exp(log_C);
                break;
            case 'L':
                out[i] = m.loss->loss(log_C);
                break;
            default:  // R
                out[i] = m.loss->loss(log_C) / m.L_start;
        }
    }
    return out;
}

}  // namespace racesim::fit
