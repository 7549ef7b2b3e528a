// loss `power-law-irreducible`: L(C) = Linf + (L0 - Linf) · (C/C_ref)^(-kappa); C_ref defaults
// to C0. The loss approaches Linf but never reaches it: a target at or below Linf is
// unreachable at any compute, and log_compute_for_loss says so.
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class PowerLawIrreducible final : public LossLaw {
public:
    PowerLawIrreducible(const Params& p, const BuildContext& ctx)
        : kappa_(p.real("kappa")),
          L0_(p.real("L0")),
          Linf_(p.real("Linf")),
          log_C_ref_(std::log(p.real_or("C_ref", ctx.C0))) {
        if (!(Linf_ < L0_))
            throw ParameterError("Linf", "the irreducible loss Linf = " + math::format(Linf_) +
                                             " must be below L0 = " + math::format(L0_));
    }

    double loss(double log_C) const override {
        return Linf_ + (L0_ - Linf_) * std::exp(-kappa_ * (log_C - log_C_ref_));
    }

    std::optional<double> log_compute_for_loss(double L, std::string& why) const override {
        if (!(L > Linf_) || !std::isfinite(L)) {
            why = "L = " + math::format(L) + " is at or below the irreducible loss Linf = " + math::format(Linf_) +
                  ": unreachable at any compute (the loss only approaches Linf as C grows)";
            return std::nullopt;
        }
        return log_C_ref_ - std::log((L - Linf_) / (L0_ - Linf_)) / kappa_;
    }

private:
    double kappa_, L0_, Linf_, log_C_ref_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::loss;
    d.type = "power-law-irreducible";
    d.summary = "L(C) = Linf + (L0 - Linf) * (C/C_ref)^(-kappa): a power law above an irreducible loss";
    d.doc =
        "Only the reducible part L - Linf falls as a power of compute. Targets at or below Linf are "
        "unreachable at any compute and are rejected with that reason. Linf = 0 is the plain power law.";
    d.schema.add_real("kappa").required().positive().doc("Scaling exponent of the reducible part.");
    d.schema.add_real("L0").required().positive().unit("nats/token").doc("Loss at the reference compute C_ref.");
    d.schema.add_real("Linf")
        .required()
        .at_least(0)
        .unit("nats/token")
        .doc("Irreducible loss, the limit as C grows; must be below L0.");
    d.schema.add_real("C_ref")
        .positive()
        .unit("PFLOP")
        .computed_default("the scenario's C0")
        .doc("Reference compute at which L = L0.");
    d.make_loss = [](const Params& p, const BuildContext& ctx) {
        return std::make_unique<PowerLawIrreducible>(p, ctx);
    };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("power-law-irreducible", descriptors)
