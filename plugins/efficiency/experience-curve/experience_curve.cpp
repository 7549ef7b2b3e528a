// efficiency `experience-curve`: efficiency that grows with cumulative compute (Wright's law),
//     E = E0 · (C/C0)^b,
// a state-dependent model: log_value reads ln C. With constant power P0 the ODE
// dC/dt = E0·P0·(C/C0)^b has the closed form (C/C0)^(1-b) = 1 + (1-b)·E0·P0·t/C0 (b < 1) and
// C/C0 = exp(E0·P0·t/C0) (b = 1). b > 1 would blow up in finite time and is refused.
#include <cmath>

#include "../../common/efficiency_params.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class ExperienceCurve final : public RateModel {
public:
    ExperienceCurve(const Params& p, const BuildContext& ctx)
        : log_E0_(std::log(p.real("E0"))), b_(p.real("b")), log_C0_(std::log(ctx.C0)) {}

    double log_value(double, double log_C, const Segment&) const override { return log_E0_ + b_ * (log_C - log_C0_); }
    bool depends_on_state() const override { return b_ != 0; }

private:
    double log_E0_, b_, log_C0_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "experience-curve";
    d.summary = "E = E0 * (C/C0)^b: efficiency that grows with cumulative compute (state-dependent)";
    d.doc =
        "Learning by doing: every doubling of cumulative compute multiplies efficiency by 2^b. "
        "C0 is the scenario's baseline compute, so E(0) = E0. b > 1 makes C blow up in finite time "
        "and is refused; b = 0 is a static efficiency.";
    racesim::plugins::declare_E0(d.schema);
    d.schema.add_real("b").required().at_most(1).doc(
        "Experience exponent: E grows by 2^b per doubling of cumulative compute (b <= 1).");
    d.make_rate = [](const Params& p, const BuildContext& ctx) { return std::make_unique<ExperienceCurve>(p, ctx); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("experience-curve", descriptors)
