// efficiency `breakthrough`: efficiency doubling at rate gamma, multiplied once by `factor`
// at t_jump (a breakthrough in algorithms or hardware):
//     E(t) = E0 · 2^(gamma·t)            t <  t_jump
//     E(t) = E0 · 2^(gamma·t) · factor   t >= t_jump
// The jump at t_jump is declared as a breakpoint, and within a segment the regime is taken
// from the segment, never from t (docs/authoring-plugins.md, the tutorial's model).
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class BreakthroughModel final : public RateModel {
public:
    explicit BreakthroughModel(const Params& p)
        : log_E0_(std::log(p.real("E0"))),
          rate_(p.real("gamma") * math::ln2),
          t_jump_(p.real("t_jump")),
          log_factor_(std::log(p.real("factor"))) {}

    double log_value(double t, double, const Segment& s) const override {
        const double jumped = s.mid() >= t_jump_ ? log_factor_ : 0.0;  // the segment's regime
        return log_E0_ + rate_ * t + jumped;
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        if (t_jump_ > t0 && t_jump_ < t1) out.push_back(t_jump_);
    }

private:
    double log_E0_, rate_, t_jump_, log_factor_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "breakthrough";
    d.summary = "E(t) = E0 * 2^(gamma*t), times factor from t_jump on";
    d.schema.add_real("E0").required().positive().unit("PFLOP/yr/MW").doc("Efficiency at t = 0.");
    d.schema.add_real("gamma").required().unit("1/yr").doc("Doubling rate of the efficiency.");
    d.schema.add_real("t_jump").required().positive().unit("yr").doc("Time of the breakthrough.");
    d.schema.add_real("factor").default_value(1.0).positive().doc("Efficiency multiplier of the breakthrough.");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<BreakthroughModel>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("breakthrough", descriptors)
