// power `reinvestment`: power that grows with what has been built, a feedback on the state,
//     P = P0 · (C/C0)^beta,
// the power schedule's counterpart of the experience curve: returns on the compute spent so far
// are reinvested in training power. log_value reads ln C (depends_on_state() is true for
// beta != 0). With a power-law loss L ∝ C^(-kappa) it is also spending that rises as the loss
// falls, P = P0 · R^(-beta/kappa). With E = E0·2^(gamma·t) the ODE dC/dt = E·P separates (docs/plugins.md):
//     (C/C0)^(1-beta) = 1 + (1-beta)·I(t)/(1+tau),  I(t) = (2^(gamma·t) - 1)/(gamma·ln2),
// and C/C0 = exp(I(t)/(1+tau)) at beta = 1. beta > 1 would make C infinite in finite time and is
// refused (with an experience-curve efficiency, b + beta > 1 does the same: see docs/plugins.md).
#include <cmath>

#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class Reinvestment final : public RateModel {
public:
    Reinvestment(const Params& p, const BuildContext& ctx)
        : log_P0_(std::log(p.real("P0"))), beta_(p.real("beta")), log_C0_(std::log(ctx.C0)) {}

    double log_value(double, double log_C, const Segment&) const override {
        return log_P0_ + beta_ * (log_C - log_C0_);
    }
    bool depends_on_state() const override { return beta_ != 0; }

private:
    double log_P0_, beta_, log_C0_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::power;
    d.type = "reinvestment";
    d.summary = "P = P0 * (C/C0)^beta: power that grows with cumulative compute (feedback, state-dependent)";
    d.doc =
        "Returns on the compute spent so far are reinvested in training power: every doubling of cumulative "
        "compute multiplies the power by 2^beta. C0 is the scenario's baseline compute, so P(0) = P0. With a "
        "power-law loss (L proportional to C^-kappa) this is spending driven by the loss, P = P0 * R^(-beta/kappa). "
        "beta > 1 makes C blow up in finite time and is refused; beta = 0 is mean-field; beta < 0 is power that "
        "shrinks as compute accumulates.";
    d.schema.add_real("P0").required().positive().unit("MW").doc("Power at t = 0 (C = C0).");
    d.schema.add_real("beta").required().at_most(1).doc(
        "Feedback exponent: power grows by 2^beta per doubling of cumulative compute (beta <= 1).");
    d.make_rate = [](const Params& p, const BuildContext& ctx) { return std::make_unique<Reinvestment>(p, ctx); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("reinvestment", descriptors)
