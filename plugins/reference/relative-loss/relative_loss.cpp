// reference `relative-loss`: the paper's closed form (eq. 3.4 with the Sec. 4.3 perturbation)
//
//     C(t)/C0 = 1 + (2^(gamma·t) - 1) / (gamma · ln2 · (1 + tau)),   1 + tau = C0 / (E0·P0·1 yr)
//
// for continuous-doubling × mean-field × power-law only. Evaluated in logs
// (expm1/log1p), accurate as gamma -> 0 and far beyond 2^(gamma·t) > DBL_MAX.
//
// With `algorithms: halving-time` (A(t) = A0·2^(t/h)) C is effective compute, dC/dt = A·E·P =
// A0·E0·P0·2^((gamma + 1/h)·t): the same equation with gamma + 1/h for gamma and E0·A0 for E0,
//     C(t)/C0 = 1 + A0·(2^(gamma_eff·t) - 1) / (gamma_eff · ln2 · (1 + tau)),  gamma_eff = gamma + 1/h.
#include <cmath>
#include <limits>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

// relative_loss_simd.cpp
void racesim_relative_loss_simd_times(const double* gamma, std::size_t n, double I, double* time);

namespace {

using namespace racesim::plugin;

class RelativeLoss final : public ReferenceModel {
public:
    explicit RelativeLoss(const ReferenceInput& in)
        : g_((in.efficiency.params.real("gamma") +
              (in.algorithms ? 1 / in.algorithms->params.real("halving_time") : 0.0)) *
             math::ln2),
          // ln(1 + tau) = ln(C0 / (E0 · P0 · 1 yr)); with algorithms ln(C0 / (A0 · E0 · P0 · 1 yr))
          log_one_plus_tau_(std::log(in.C0) - std::log(in.efficiency.params.real("E0")) -
                            std::log(in.power.params.real("P0")) -
                            (in.algorithms ? std::log(in.algorithms->params.real("A0")) : 0.0)),
          horizon_(in.horizon) {}

    double log_compute_ratio(double t) const override {
        // ln(1 + I(t)/(1+tau)) with I(t) = (2^(gamma t) - 1)/(gamma ln2) = integral of 2^(gamma s) ds.
        return math::log_add_exp(0.0, math::log_growth_integral(g_, t) - log_one_plus_tau_);
    }

    std::optional<double> time_to_log_compute_ratio(double x) const override {
        if (x <= 0) return 0.0;
        // I(t*) = (1 + tau) · (C/C0 - 1) = (1 + tau) · expm1(x); invert I in closed form:
        // t* = log1p(gamma ln2 (1+tau) (X - 1)) / (gamma ln2)  (docs/model.md), t* = (1+tau)(X-1) at gamma = 0.
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

/// t with ln(integral of 2^(gamma s) ds over [0, t]) = log_I, given I = exp(log_I) (may be
/// +inf): one logarithm per row where the product g·I is a double, as the scalar path's
/// math::solve_growth_integral otherwise. NaN when no t reaches it (g < 0). For g·I >= 1,
/// log(1 + g·I) is within 2 ulps of log1p (1 + g·I rounds by at most half an ulp, and the log
/// is >= ln 2) and costs 5 ns instead of 7.6 (glibc, measured): this loop is the whole cost.
inline double time_for_integral(double g, double log_I, double I) {
    if (g > 0) {
        const double gI = g * I;
        if (gI >= 1 && gI < 1e300) return std::log(1 + gI) / g;
        if (gI < 1) return std::log1p(gI) / g;
        return math::solve_growth_integral(g, log_I);
    }
    if (g == 0) return I;
    const double w = g * I;
    return w > -1 ? std::log1p(w) / g : std::numeric_limits<double>::quiet_NaN();
}

/// t[i] for contiguous gamma and one I (the usual sweep's rows): log(1 + g·I)/g in SIMD
/// (relative_loss_simd.cpp), then the rows it cannot take exactly, g·I outside [1, 1e300),
/// redone by time_for_integral, and the horizon applied.
void fill_times(const double* gamma, std::size_t n, double log_I, double I, double horizon, double* time) {
    racesim_relative_loss_simd_times(gamma, n, I, time);
    for (std::size_t i = 0; i < n; ++i) {
        const double g = gamma[i] * math::ln2, gI = g * I;
        if (!(g > 0 && gI >= 1 && gI < 1e300)) time[i] = time_for_integral(g, log_I, I);
        if (time[i] > horizon) time[i] = std::numeric_limits<double>::infinity();
    }
}

/// The vectorised time to target (Descriptor::batch_time_to_target): per row,
/// ln(1+tau) = log1p(tau), or ln C0 - ln E0 - ln P0 when the baseline gives C0; x = ln(C_target/C0)
/// from the power law (relative: -ln(y)/kappa; loss: ln C_ref - ln(L/L0)/kappa - ln C0); then
/// I = (1+tau)·expm1(x) and t = log1p(gamma ln2 · I)/(gamma ln2). When only gamma varies (the
/// usual sweep), I is computed once and each row costs one log1p.
/// With algorithms (halving-time), per row gamma_eff = gamma + 1/h and I = (1+tau)·expm1(x)/A0.
bool batch_time(const ReferenceInput& base, const BatchInput& in, const BatchTarget& target, double* time,
                std::string& why) {
    const Column gamma = in.column("efficiency.gamma"), E0 = in.column("efficiency.E0"), P0 = in.column("power.P0"),
                 kappa = in.column("loss.kappa"), L0 = in.column("loss.L0"), C_ref = in.column("loss.C_ref"),
                 tau = in.column("baseline.tau"), C0 = in.column("baseline.C0"),
                 h = in.column("algorithms.halving_time"), A0 = in.column("algorithms.A0");
    if (!gamma.set() || !E0.set() || !P0.set() || !kappa.set() || !L0.set() || (!tau.set() && !C0.set())) {
        why = "a parameter of the relative-loss equation has no column";
        return false;
    }
    const bool alg = base.algorithms.has_value();
    if (alg && (base.algorithms->type != "halving-time" || !h.set() || !A0.set())) {
        why = "the relative-loss equation covers algorithms 'halving-time' only, with columns for halving_time and A0";
        return false;
    }
    auto log_I_of = [&](std::size_t i) {
        const double log_E0P0 = std::log(E0[i]) + std::log(P0[i]);
        const double log_C0 = tau.set() ? log_E0P0 + std::log1p(tau[i]) : std::log(C0[i]);
        const double l1pt = tau.set() ? std::log1p(tau[i]) : log_C0 - log_E0P0;
        double x = 0;
        if (target.relative) {
            x = -std::log(target.value) / kappa[i];
        } else {
            const double log_C_ref = C_ref.set() ? std::log(C_ref[i]) : log_C0;
            x = log_C_ref - std::log(target.value / L0[i]) / kappa[i] - log_C0;
        }
        // -inf when x <= 0: reached at t = 0
        return l1pt + math::log_expm1(x) - (alg ? std::log(A0[i]) : 0.0);
    };
    const bool fixed = E0.stride == 0 && P0.stride == 0 && kappa.stride == 0 && L0.stride == 0 && C_ref.stride == 0 &&
                       tau.stride == 0 && C0.stride == 0 && (!alg || A0.stride == 0);
    const double log_I0 = log_I_of(0), I0 = std::exp(log_I0);
    if (!alg && fixed && gamma.stride == 1 && log_I0 != math::neg_inf) {
        fill_times(gamma.data, in.n, log_I0, I0, in.horizon, time);
        return true;
    }
    for (std::size_t i = 0; i < in.n; ++i) {
        const double log_I = fixed ? log_I0 : log_I_of(i);
        if (log_I == math::neg_inf) {
            time[i] = 0;
            continue;
        }
        const double g = (gamma[i] + (alg ? 1 / h[i] : 0.0)) * math::ln2;
        const double t = time_for_integral(g, log_I, fixed ? I0 : std::exp(log_I));
        time[i] = t > in.horizon ? std::numeric_limits<double>::infinity() : t;
    }
    return true;
}

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::reference;
    d.type = "relative-loss";
    d.summary = "the paper's closed-form relative-loss equation (continuous-doubling x mean-field x power-law)";
    d.doc =
        "C(t)/C0 = 1 + (2^(gamma t) - 1)/(gamma ln2 (1+tau)); R = (C/C0)^(-kappa). With algorithms "
        "halving-time (A = A0 2^(t/h)), C is effective compute: gamma + 1/h for gamma and A0 E0 for E0.";
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
        if (in.algorithms && in.algorithms->type != "halving-time") {
            why_not =
                "with algorithms, the relative-loss equation holds only for 'halving-time' (A exponential in t), "
                "not '" +
                in.algorithms->type + "' (use reference: piecewise-exact for algorithm-table)";
            return nullptr;
        }
        return std::make_unique<RelativeLoss>(in);
    };
    d.batch_time_to_target = batch_time;
    d.batch_paths = {"efficiency.gamma", "efficiency.E0", "power.P0",
                     "loss.kappa",       "loss.L0",       "loss.C_ref",
                     "baseline.tau",     "baseline.C0",   "algorithms.halving_time",
                     "algorithms.A0"};
    return {d};
}

}  // namespace

RACESIM_PLUGIN("relative-loss", descriptors)
