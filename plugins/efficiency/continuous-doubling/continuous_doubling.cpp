// efficiency `continuous-doubling` (paper eq. 3.1): E(t) = E0 · 2^(gamma·t).
#include <cmath>

#include "../../common/efficiency_params.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class ContinuousDoubling final : public RateModel {
public:
    explicit ContinuousDoubling(const Params& p)
        : log_E0_(std::log(p.real("E0"))), rate_(p.real("gamma") * math::ln2) {}
    double log_value(double t, double, const Segment&) const override { return log_E0_ + rate_ * t; }

private:
    double log_E0_, rate_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "continuous-doubling";
    d.summary = "E(t) = E0 * 2^(gamma*t): efficiency doubling continuously (paper eq. 3.1)";
    d.doc = "Smooth exponential efficiency growth; no breakpoints.";
    racesim::plugins::declare_E0(d.schema);
    racesim::plugins::declare_gamma(d.schema);
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<ContinuousDoubling>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("continuous-doubling", descriptors)
