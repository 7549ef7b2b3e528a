// power `mean-field` (paper eq. 3.2): P(t) = P0.
#include <cmath>

#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class MeanField final : public RateModel {
public:
    explicit MeanField(const Params& p) : log_P0_(std::log(p.real("P0"))) {}
    double log_value(double, double, const Segment&) const override { return log_P0_; }

private:
    double log_P0_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::power;
    d.type = "mean-field";
    d.summary = "P(t) = P0: constant mean power (paper eq. 3.2)";
    d.schema.add_real("P0").required().positive().unit("MW").quoted(Quoted::power).doc("Mean power given to training.");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<MeanField>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("mean-field", descriptors)
