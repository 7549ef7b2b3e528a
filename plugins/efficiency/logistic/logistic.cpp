// efficiency `logistic`: an S-curve that grows like 2^(gamma·t) while far below its ceiling
// E_max and then saturates (the paper's "multi-phase growth" future work):
//     E(t) = E_max / (1 + (E_max/E0 - 1) · 2^(-gamma·t)),   E(0) = E0.
// It solves dE/dt = r·E·(1 - E/E_max) with r = gamma·ln2. No breakpoints.
#include <cmath>

#include "../../common/efficiency_params.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class Logistic final : public RateModel {
public:
    explicit Logistic(const Params& p) : log_Emax_(std::log(p.real("E_max"))), r_(p.real("gamma") * math::ln2) {
        const double E0 = p.real("E0"), Emax = p.real("E_max");
        if (!(Emax > E0))
            throw ParameterError(
                "E_max", "the ceiling E_max = " + math::format(Emax) + " must be above E0 = " + math::format(E0));
        log_a_ = std::log(Emax / E0 - 1);
    }

    // ln E = ln E_max - ln(1 + a·e^(-r·t)), evaluated without overflow for any t >= 0.
    double log_value(double t, double, const Segment&) const override {
        return log_Emax_ - math::log_add_exp(0.0, log_a_ - r_ * t);
    }

private:
    double log_Emax_, r_, log_a_ = 0;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "logistic";
    d.summary = "E(t) = E_max / (1 + (E_max/E0 - 1) * 2^(-gamma*t)): exponential growth that saturates";
    d.doc =
        "An S-curve: E(0) = E0, doubling at rate gamma while E << E_max, approaching the ceiling E_max. "
        "No breakpoints.";
    racesim::plugins::declare_E0(d.schema);
    d.schema.add_real("gamma")
        .required()
        .positive()
        .unit("1/yr")
        .quoted(Quoted::doubling_rate)
        .doc("Early doubling rate: while E << E_max, efficiency doubles every 1/gamma years.");
    d.schema.add_real("E_max")
        .required()
        .positive()
        .unit("PFLOP/yr/MW")
        .quoted(Quoted::efficiency)
        .relative_to("E0")
        .doc("Ceiling the efficiency approaches; must be above E0.");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<Logistic>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("logistic", descriptors)
