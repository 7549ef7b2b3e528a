// algorithms `halving-time`: A(t) = A0 · 2^(t/h). The compute needed for a given loss halves every
// h years, so a unit of physical compute is worth 2^(t/h) units of today's (effective compute,
// dC/dt = A·E·P). Continuous: no breakpoints.
#include <cmath>

#include "../../common/algorithms_params.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class HalvingTime final : public RateModel {
public:
    explicit HalvingTime(const Params& p)
        : log_A0_(std::log(p.real("A0"))), rate_(math::ln2 / p.real("halving_time")) {}
    double log_value(double t, double, const Segment&) const override { return log_A0_ + rate_ * t; }

private:
    double log_A0_, rate_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::algorithms;
    d.type = "halving-time";
    d.summary = "A(t) = A0 * 2^(t/halving_time): the compute needed for a given loss halves every halving_time years";
    d.doc =
        "Continuous algorithmic progress: effective compute grows by 1/halving_time doublings per year "
        "on top of the physical compute, dC/dt = A*E*P. With continuous-doubling efficiency the product "
        "A*E is again exponential, with rate gamma + 1/halving_time (the relative-loss reference covers "
        "it). No breakpoints.";
    racesim::plugins::declare_halving_time(d.schema);
    racesim::plugins::declare_A0(d.schema);
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<HalvingTime>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("halving-time", descriptors)
