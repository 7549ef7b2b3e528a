// efficiency `two-rate`: efficiency doubling at rate gamma1 until t_switch, then at gamma2,
//     E(t) = E0 · 2^(gamma1·t)                                   t <  t_switch
//     E(t) = E0 · 2^(gamma1·t_switch + gamma2·(t - t_switch))    t >= t_switch
// continuous at t_switch, with a kink there, which is declared as a breakpoint so that each
// integration segment is smooth. An out-of-tree example of the racesim plugin SDK.
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class TwoRate final : public RateModel {
public:
    explicit TwoRate(const Params& p)
        : log_E0_(std::log(p.real("E0"))),
          g1_(p.real("gamma1") * math::ln2),
          g2_(p.real("gamma2") * math::ln2),
          t_switch_(p.real("t_switch")) {}

    double log_value(double t, double, const Segment& s) const override {
        // The regime of the segment (taken at its midpoint), evaluated at t.
        if (s.mid() < t_switch_) return log_E0_ + g1_ * t;
        return log_E0_ + g1_ * t_switch_ + g2_ * (t - t_switch_);
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        if (t_switch_ > t0 && t_switch_ < t1) out.push_back(t_switch_);
    }

private:
    double log_E0_, g1_, g2_, t_switch_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "two-rate";
    d.summary = "E doubles at rate gamma1 until t_switch, then at gamma2";
    d.doc = "Continuous, with a kink at t_switch (declared as a breakpoint).";
    d.schema.add_real("E0").required().positive().unit("PFLOP/yr/MW").doc("Efficiency at t = 0.");
    d.schema.add_real("gamma1").required().unit("1/yr").doc("Doubling rate before t_switch.");
    d.schema.add_real("gamma2").required().unit("1/yr").doc("Doubling rate from t_switch on.");
    d.schema.add_real("t_switch").required().at_least(0).unit("yr").doc("When the rate changes.");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<TwoRate>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("two-rate", descriptors)
