// reference `piecewise-exact`: exact C(t) and time to a compute threshold for any mix of
// continuous-doubling / discrete-steps efficiency with mean-field / peaked power.
//
// The breakpoints of both models (computed here independently of the rate plugins) cut
// [0, horizon] into segments on which E(t)·P(t) = exp(a + g·(t - t_k)) with constant a and
// g (g = gamma·ln2 for continuous doubling, 0 for discrete steps). The integral over each
// segment is closed-form, ln(expm1(g·s)/g); the cumulative sum is kept in logs
// (log-add-exp), so it neither overflows nor loses accuracy as gamma -> 0.
#include <algorithm>
#include <cmath>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

struct Piece {
    double t0;        ///< segment start
    double log_rate;  ///< ln(E·P/C0) at t0, -inf when power is off
    double g;         ///< growth rate of E·P inside the segment, 1/yr
    double log_cum;   ///< ln(C(t0)/C0)
};

class PiecewiseExact final : public ReferenceModel {
public:
    explicit PiecewiseExact(const ReferenceInput& in) : horizon_(in.horizon) {
        const Params& e = in.efficiency.params;
        const Params& p = in.power.params;
        const bool discrete = in.efficiency.type == "discrete-steps";
        const bool peaked = in.power.type == "peaked";
        const double log_E0 = std::log(e.real("E0"));
        const double gamma_ln2 = e.real("gamma") * math::ln2;
        const double T = discrete ? e.real("period") : 0.0;
        const double P0 = p.real("P0");
        const double duty = peaked ? p.real("duty") : 1.0;
        const double offset = peaked ? p.real("offset") : 0.0;
        const double Pi = peaked ? p.real("period") : 1.0;
        const double log_C0 = std::log(in.C0);

        // Breakpoints: k·T, and (k + offset)·Pi, (k + offset + duty)·Pi.
        std::vector<double> cuts{0.0, horizon_};
        if (discrete)
            for (double k = 1; k * T < horizon_; k += 1) cuts.push_back(k * T);
        if (peaked && duty < 1)
            for (double k = 0; (k + offset) * Pi < horizon_; k += 1) {
                cuts.push_back((k + offset) * Pi);
                cuts.push_back((k + offset + duty) * Pi);
            }
        std::sort(cuts.begin(), cuts.end());
        std::vector<double> t;
        for (double c : cuts)
            if (c >= 0 && c <= horizon_ && (t.empty() || c - t.back() > 1e-12 * std::max(1.0, c))) t.push_back(c);
        if (t.back() < horizon_) t.back() = horizon_;

        double log_cum = 0.0;  // ln(C/C0) at t = 0
        for (std::size_t k = 0; k + 1 < t.size(); ++k) {
            const double mid = 0.5 * (t[k] + t[k + 1]);
            double log_E, g;
            if (discrete) {
                log_E = log_E0 + gamma_ln2 * T * std::floor(mid / T);
                g = 0;
            } else {
                log_E = log_E0 + gamma_ln2 * t[k];
                g = gamma_ln2;
            }
            double log_P = std::log(P0 / duty);
            if (peaked && duty < 1) {
                const double phase = (mid - std::floor(mid / Pi) * Pi) / Pi;
                if (!(phase >= offset && phase < offset + duty)) log_P = math::neg_inf;
            }
            const Piece piece{t[k], log_E + log_P - log_C0, g, log_cum};
            pieces_.push_back(piece);
            log_cum = math::log_add_exp(log_cum, increment(piece, t[k + 1] - t[k]));
        }
        end_log_cum_ = log_cum;
    }

    double log_compute_ratio(double t) const override {
        const Piece& p = piece_at(t);
        return math::log_add_exp(p.log_cum, increment(p, t - p.t0));
    }

    std::optional<double> time_to_log_compute_ratio(double x) const override {
        if (x <= 0) return 0.0;
        if (x > end_log_cum_) return std::nullopt;
        for (std::size_t k = 0; k < pieces_.size(); ++k) {
            const Piece& p = pieces_[k];
            const double t_end = k + 1 < pieces_.size() ? pieces_[k + 1].t0 : horizon_;
            const double next_cum = k + 1 < pieces_.size() ? pieces_[k + 1].log_cum : end_log_cum_;
            if (next_cum < x || p.log_rate == math::neg_inf) continue;
            // Solve log_cum + integral_0^s exp(log_rate + g u) du = x for s.
            const double s = math::solve_growth_integral(p.g, math::log_sub_exp(x, p.log_cum) - p.log_rate);
            if (std::isnan(s)) continue;
            return std::min(p.t0 + s, t_end);
        }
        return std::nullopt;
    }

private:
    static double increment(const Piece& p, double s) {
        if (p.log_rate == math::neg_inf) return math::neg_inf;
        return p.log_rate + math::log_growth_integral(p.g, s);
    }
    const Piece& piece_at(double t) const {
        auto it =
            std::upper_bound(pieces_.begin(), pieces_.end(), t, [](double v, const Piece& p) { return v < p.t0; });
        return it == pieces_.begin() ? pieces_.front() : *(it - 1);
    }

    double horizon_;
    double end_log_cum_ = 0;
    std::vector<Piece> pieces_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::reference;
    d.type = "piecewise-exact";
    d.summary = "exact C(t) for continuous-doubling/discrete-steps x mean-field/peaked (closed form per segment)";
    d.doc = "Sums closed-form integrals over the segments between breakpoints, in logs; any loss law.";
    d.make_reference = [](const ReferenceInput& in, std::string& why_not) -> std::unique_ptr<ReferenceModel> {
        std::string off;
        if (in.efficiency.type != "continuous-doubling" && in.efficiency.type != "discrete-steps")
            off += " efficiency '" + in.efficiency.type + "' is not continuous-doubling or discrete-steps;";
        if (in.power.type != "mean-field" && in.power.type != "peaked")
            off += " power '" + in.power.type + "' is not mean-field or peaked;";
        if (!off.empty()) {
            off.pop_back();
            why_not =
                "piecewise-exact has closed forms only for continuous-doubling/discrete-steps x mean-field/peaked:" +
                off;
            return nullptr;
        }
        return std::make_unique<PiecewiseExact>(in);
    };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("piecewise-exact", descriptors)
