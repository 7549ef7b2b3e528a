// loss `power-law` (the paper's): L(C) = L0 · (C/C_ref)^(-kappa); C_ref defaults to C0.
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class PowerLaw final : public LossLaw {
public:
    PowerLaw(const Params& p, const BuildContext& ctx)
        : kappa_(p.real("kappa")), L0_(p.real("L0")), log_C_ref_(std::log(p.real_or("C_ref", ctx.C0))) {}

    double loss(double log_C) const override { return L0_ * std::exp(-kappa_ * (log_C - log_C_ref_)); }

    std::optional<double> log_compute_for_loss(double L, std::string& why) const override {
        if (!(L > 0) || !std::isfinite(L)) {
            why = "a power law's loss is positive and finite; it never reaches L = " + racesim::plugin::math::format(L);
            return std::nullopt;
        }
        return log_C_ref_ - std::log(L / L0_) / kappa_;
    }

private:
    double kappa_, L0_, log_C_ref_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::loss;
    d.type = "power-law";
    d.summary = "L(C) = L0 * (C/C_ref)^(-kappa): the classical scaling law";
    d.schema.add_real("kappa").required().positive().doc("Scaling exponent (0.048 for LLMs in the paper).");
    d.schema.add_real("L0").required().positive().unit("nats/token").doc("Loss at the reference compute C_ref.");
    d.schema.add_real("C_ref")
        .positive()
        .unit("PFLOP")
        .computed_default("the scenario's C0")
        .doc("Reference compute at which L = L0; set it to share one loss law between fleets of different size.");
    d.make_loss = [](const Params& p, const BuildContext& ctx) { return std::make_unique<PowerLaw>(p, ctx); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("power-law", descriptors)
