// reference `relative-loss`: the paper's closed form (eq. 3.4 with the Sec. 4.3 perturbation)
//
//     C(t)/C0 = 1 + (2^(gamma·t) - 1) / (gamma · ln2 · (1 + tau)),   1 + tau = C0 / (E0·P0·1 yr)
//
// for continuous-doubling × mean-field × power-law only. Evaluated in logs
// (expm1/log1p), accurate as gamma -> 0 and far beyond 2^(gamma·t) > DBL_MAX.
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class RelativeLoss final : public ReferenceModel {
public:
    explicit RelativeLoss(const ReferenceInput& in)
        : g_(in.efficiency.params.real("gamma") * math::ln2),
          // ln(1 + tau) = ln(C0 / (E0 · P0 · 1 yr))
          log_one_plus_tau_(std::log(in.C0) - std::log(in.efficiency.params.real("E0")) -
                            std::log(in.power.params.real("P0"))),
          horizon_(in.horizon) {}

    double log_compute_ratio(double t) const override {
        // ln(1 + I(t)/(1+tau)) with I(t) = (2^(gamma t) - 1)/(gamma ln2) = integral of 2^(gamma s) ds.
        return math::log_add_exp(0.0, math::log_growth_integral(g_, t) - log_one_plus_tau_);
    }

    std::optional<double> time_to_log_compute_ratio(double x) const override {
        if (x <= 0) return 0.0;
        // I(t*) = (1 + tau) · (C/C0 - 1) = (1 + tau) · expm1(x); invert I in closed form:
        // t* = log1p(gamma ln2 (1+tau) (X - 1)) / (gamma ln2)  (MODEL.md), t* = (1+tau)(X-1) at gamma = 0.
        const double log_I = log_one_plus_tau_ + math::log_expm1(x);
        const double t = math::solve_growth_integral(g_, log_I);
        if (std::isnan(t) || t > horizon_) return std::nullopt;
        return t;
    }

    std::optional<double> log_compute_ratio_limit() const override {
        if (!(g_ < 0)) return std::nullopt;
        // C/C0 -> 1 + 1/(|gamma| ln2 (1 + tau)) as t -> infinity.
        return math::log_add_exp(0.0, -std::log(-g_) - log_one_plus_tau_);
    }

private:
    double g_, log_one_plus_tau_, horizon_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::reference;
    d.type = "relative-loss";
    d.summary = "the paper's closed-form relative-loss equation (continuous-doubling x mean-field x power-law)";
    d.doc = "C(t)/C0 = 1 + (2^(gamma t) - 1)/(gamma ln2 (1+tau)); R = (C/C0)^(-kappa).";
    d.make_reference = [](const ReferenceInput& in, std::string& why_not) -> std::unique_ptr<ReferenceModel> {
        std::string off;
        if (in.efficiency.type != "continuous-doubling")
            off += " efficiency is '" + in.efficiency.type + "', not 'continuous-doubling';";
        if (in.power.type != "mean-field") off += " power is '" + in.power.type + "', not 'mean-field';";
        if (in.loss.type != "power-law") off += " loss is '" + in.loss.type + "', not 'power-law';";
        if (!off.empty()) {
            off.pop_back();
            why_not = "the relative-loss equation holds only for continuous-doubling x mean-field x power-law:" + off +
                      " (use reference: piecewise-exact for discrete steps or peaked power)";
            return nullptr;
        }
        return std::make_unique<RelativeLoss>(in);
    };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("relative-loss", descriptors)
