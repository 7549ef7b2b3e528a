// efficiency `discrete-steps` (hardware generations): E(t) = E0 · 2^(gamma·T·floor(t/T)).
// A new generation every `period` T multiplies efficiency by 2^(gamma·T), so the long-run
// rate equals continuous-doubling's. Breakpoints at T, 2T, 3T, ...
#include <cmath>

#include "../../common/efficiency_params.hpp"
#include "../../common/period.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class DiscreteSteps final : public RateModel {
public:
    DiscreteSteps(const Params& p, const BuildContext& ctx)
        : log_E0_(std::log(p.real("E0"))),
          period_(p.real("period")),
          log_step_(p.real("gamma") * p.real("period") * math::ln2) {
        racesim::plugins::check_period(period_, ctx.horizon);
    }

    double log_value(double, double, const Segment& s) const override {
        // The generation of the segment, taken at its midpoint: never on an edge.
        return log_E0_ + log_step_ * std::floor(s.mid() / period_);
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        for (double k = std::floor(t0 / period_) + 1;; k += 1) {
            const double t = k * period_;
            if (t >= t1) break;
            if (t > t0) out.push_back(t);
        }
    }

private:
    double log_E0_, period_, log_step_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "discrete-steps";
    d.summary = "E(t) = E0 * 2^(gamma*T*floor(t/T)): a hardware generation every T years";
    d.doc =
        "Piecewise-constant efficiency; each generation multiplies it by 2^(gamma*T). "
        "Breakpoints at every multiple of the period.";
    racesim::plugins::declare_E0(d.schema);
    racesim::plugins::declare_gamma(d.schema);
    d.schema.add_real("period").required().positive().unit("yr").doc("Time between hardware generations, T.");
    d.make_rate = [](const Params& p, const BuildContext& ctx) { return std::make_unique<DiscreteSteps>(p, ctx); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("discrete-steps", descriptors)
