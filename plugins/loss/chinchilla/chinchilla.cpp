// loss `chinchilla`, compute-optimal: L(N, D) = E + A/N^alpha + B/D^beta, with N (parameters)
// and D (tokens) chosen to minimise L at fixed training compute C = 6·N·D FLOP
// (C in PFLOP here: 1 PFLOP = 1e15 FLOP). With X = C_FLOP/6 = N·D and
// G = (alpha·A / (beta·B))^(1/(alpha+beta)), the minimiser is (Hoffmann et al. 2022, eq. 4)
//     N_opt = G · X^(beta/(alpha+beta)),   D_opt = X^(alpha/(alpha+beta)) / G,
// and the loss along it is E + K · X^(-k), with k = alpha·beta/(alpha+beta) and
// K = A·G^(-alpha) + B·G^beta. So the reducible part falls as C^(-alpha·beta/(alpha+beta));
// the race-to-efficiency paper's Appendix A writes kappa = alpha/(alpha+beta) (docs/model.md).
// The law also reports N_opt and D_opt as extra trajectory columns.
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

struct Constants {
    const char* name;
    double E, A, B, alpha, beta;
};

// configs/data/scaling_law_constants.csv (sources: configs/data/SOURCES.md).
// Hoffmann et al. 2022, arXiv:2203.15556, eq. (10) (Approach 3), as printed.
// Besiroglu, Erdil, Barnett, You 2024, arXiv:2404.10102 (Epoch AI), their refit.
constexpr Constants constant_sets[] = {
    {"hoffmann2022", 1.69, 406.4, 410.7, 0.34, 0.28},
    {"besiroglu2024", 1.8172, 482.01, 2085.43, 0.3478, 0.3658},
};

const double ln_pflop = std::log(1e15);
const double ln6 = std::log(6.0);

class Chinchilla final : public LossLaw {
public:
    explicit Chinchilla(const Params& p) {
        const std::string& set = p.string("constants");
        Constants c{};
        for (const auto& s : constant_sets)
            if (set == s.name) c = s;
        E_ = p.real_or("E", c.E);
        A_ = p.real_or("A", c.A);
        B_ = p.real_or("B", c.B);
        alpha_ = p.real_or("alpha", c.alpha);
        beta_ = p.real_or("beta", c.beta);
        const double s = alpha_ + beta_;
        log_G_ = (std::log(alpha_ * A_) - std::log(beta_ * B_)) / s;
        k_ = alpha_ * beta_ / s;
        log_K_ = math::log_add_exp(std::log(A_) - alpha_ * log_G_, std::log(B_) + beta_ * log_G_);
    }

    /// ln X = ln(N·D) = ln(C_FLOP / 6), C in PFLOP.
    static double log_X(double log_C) { return log_C + ln_pflop - ln6; }

    double loss(double log_C) const override { return E_ + std::exp(log_K_ - k_ * log_X(log_C)); }

    std::optional<double> log_compute_for_loss(double L, std::string& why) const override {
        if (!(L > E_) || !std::isfinite(L)) {
            why = "L = " + math::format(L) + " is at or below the irreducible loss E = " + math::format(E_) +
                  ": unreachable at any compute (the compute-optimal loss only approaches E as C grows)";
            return std::nullopt;
        }
        const double log_X = (log_K_ - std::log(L - E_)) / k_;
        return log_X + ln6 - ln_pflop;
    }

    std::vector<Quantity> auxiliary() const override {
        return {{"N_opt", "parameters", "compute-optimal model size at C"},
                {"D_opt", "tokens", "compute-optimal number of training tokens at C"}};
    }

    void auxiliary_values(double log_C, std::vector<double>& out) const override {
        const double lx = log_X(log_C), s = alpha_ + beta_;
        out.push_back(std::exp(log_G_ + beta_ / s * lx));
        out.push_back(std::exp(-log_G_ + alpha_ / s * lx));
    }

private:
    double E_, A_, B_, alpha_, beta_;
    double log_G_, k_, log_K_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::loss;
    d.type = "chinchilla";
    d.summary = "compute-optimal L = E + A/N^alpha + B/D^beta with C = 6*N*D FLOP; reports N_opt, D_opt";
    d.doc =
        "Minimises the Chinchilla loss over N and D at each compute C (PFLOP, converted to FLOP). "
        "The reducible part falls as C^(-alpha*beta/(alpha+beta)); the race-to-efficiency paper's "
        "Appendix A writes kappa = alpha/(alpha+beta) instead. Adds the trajectory columns N_opt "
        "(parameters) and D_opt (tokens). Constant sets: hoffmann2022 (Hoffmann et al. 2022, eq. 10: "
        "E 1.69, A 406.4, B 410.7, alpha 0.34, beta 0.28) and besiroglu2024 (Besiroglu et al. 2024: "
        "E 1.8172, A 482.01, B 2085.43, alpha 0.3478, beta 0.3658); any constant given explicitly "
        "overrides the set's.";
    d.schema.add_string("constants")
        .default_value(std::string("hoffmann2022"))
        .choices({"hoffmann2022", "besiroglu2024"})
        .doc("Named set of fitted constants (E, A, B, alpha, beta).");
    d.schema.add_real("E").positive().unit("nats/token").computed_default("from constants").doc("Irreducible loss.");
    d.schema.add_real("A").positive().computed_default("from constants").doc("Coefficient of the model-size term.");
    d.schema.add_real("B").positive().computed_default("from constants").doc("Coefficient of the data term.");
    d.schema.add_real("alpha").positive().computed_default("from constants").doc("Exponent of N.");
    d.schema.add_real("beta").positive().computed_default("from constants").doc("Exponent of D.");
    d.make_loss = [](const Params& p, const BuildContext&) { return std::make_unique<Chinchilla>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("chinchilla", descriptors)
