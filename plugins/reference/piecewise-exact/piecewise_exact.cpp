// reference `piecewise-exact`: exact C(t) and time to a compute threshold for every
// efficiency x power combination of the built-in plugins that has a closed form:
//
//   efficiency: continuous-doubling, discrete-steps, generation-table, logistic, experience-curve
//   power:      mean-field, peaked, growth (exponential or linear, capped or not), time-series
//               (constant or linear), reinvestment
//   except logistic x power that varies inside a segment (growth with rate > 0, time-series
//   linear), whose integral is not elementary.
//
// The breakpoints of both models (computed here from the parameters, independently of the rate
// plugins; tables are read with the same reader) cut [0, horizon] into pieces. On each piece
// J(t) = integral of E·P/C0 dt has a closed form:
//   E·P = exp(a + g·u)                    ln(expm1(g·s)/g)                       (exponential)
//   E·P = exp(a + g·u)·(p0 + p1·u)        p0·I0 + p1·I1, I1 = ∫ u·e^(g·u) du        (linear power)
//   E = K/(1 + A·e^(-r·t)), P constant    P·(K/r)·ln((e^(r·t1) + A)/(e^(r·t0) + A)) (logistic)
// kept in logs and summed with log-add-exp, so it neither overflows nor loses accuracy as
// g -> 0. Then C/C0 = 1 + J, or, where the rate reads the state through (C/C0)^s (the
// experience curve E = E0·(C/C0)^b, s = b, J taken with E = E0; reinvestment power
// P = P0·(C/C0)^beta, s = beta, J taken with P = P0; both: s = b + beta):
// (C/C0)^(1-s) = 1 + (1-s)·J, and C/C0 = e^J at s = 1. s > 1 blows up in finite time: refused.
//
// With `algorithms:` (C is effective compute, dC/dt = A·E·P), A joins E on each piece: the
// table (algorithm-table) multiplies it by a constant, the halving-time model by
// A0·2^(t/h) = exp(ln A(t0) + (ln2/h)·u), which adds ln2/h to the exponential rate g. A times a
// logistic efficiency stays elementary only for the table; the state-dependent rates are
// not combined with algorithms (the host refuses them).
#include <algorithm>
#include <cmath>
#include <limits>

#include "../../common/step_table.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;
using racesim::plugins::StepTable;

/// ln of the integral of (p0 + p1·u)·e^(g·u) du over [0, s]; the integrand is >= 0.
double log_linear_exp_integral(double g, double p0, double p1, double s) {
    if (!(s > 0)) return math::neg_inf;
    if (p1 == 0) return p0 > 0 ? std::log(p0) + math::log_growth_integral(g, s) : math::neg_inf;
    double sum;
    const double x = g * s;
    if (g > 0 && x > 30) {  // factor out e^(g·s)
        const double A0 = -std::expm1(-x) / g;
        sum = p0 * A0 + p1 * (s - A0) / g;
        return sum > 0 ? x + std::log(sum) : math::neg_inf;
    }
    const double I0 = g == 0 ? s : std::expm1(x) / g;
    double I1;
    if (std::abs(x) < 0.5) {  // sum over k of g^k s^(k+2) / (k! (k+2)): no cancellation
        I1 = 0;
        double term = s * s;  // g^k s^(k+2) / k!
        for (int k = 0; k < 40; ++k) {
            I1 += term / (k + 2);
            term *= x / (k + 1);
        }
    } else {
        I1 = (s * std::exp(x) - I0) / g;
    }
    sum = p0 * I0 + p1 * I1;
    return sum > 0 ? std::log(sum) : math::neg_inf;
}

struct Piece {
    enum class Form { off, exponential, exp_linear, logistic } form = Form::off;
    double t0 = 0, t1 = 0;
    double log_a = 0;       ///< exponential: ln(E·P/C0) at t0; exp_linear: ln(E/C0) at t0; logistic: ln(P·K/(r·C0))
    double g = 0;           ///< growth rate of the exponential factor (logistic: r), 1/yr
    double p0 = 0, p1 = 0;  ///< exp_linear: P(t0 + u) = p0 + p1·u
    double log_A = 0;       ///< logistic: E = K/(1 + A·e^(-r·t))
    double log_cum = math::neg_inf;  ///< ln J(t0)

    /// ln of the integral of E·P/C0 over [t0, t0 + s].
    [[nodiscard]] double log_increment(double s) const {
        switch (form) {
            case Form::off:
                return math::neg_inf;
            case Form::exponential:
                return log_a + math::log_growth_integral(g, s);
            case Form::exp_linear:
                return log_a + log_linear_exp_integral(g, p0, p1, s);
            case Form::logistic: {
                if (!(s > 0)) return math::neg_inf;
                // ln((e^(r·t1) + A)/(e^(r·t0) + A)) = log1p(expm1(r·s) / (1 + A·e^(-r·t0)))
                const double rs = g * s;
                double D;
                if (rs < 700)
                    D = std::log1p(std::expm1(rs) / (1 + std::exp(log_A - g * t0)));
                else
                    D = math::log_add_exp(g * (t0 + s), log_A) - math::log_add_exp(g * t0, log_A);
                return log_a + std::log(D);
            }
        }
        return math::neg_inf;
    }
};

struct Regime {  // one factor (E or P) on a piece
    enum class Form { off, exponential, linear, logistic } form = Form::off;
    double log_v = 0, g = 0;             ///< exponential: ln value at t0, growth rate
    double p0 = 0, p1 = 0;               ///< linear: value at t0 + u is p0 + p1·u
    double log_K = 0, r = 0, log_A = 0;  ///< logistic
};

class PiecewiseExact final : public ReferenceModel {
public:
    explicit PiecewiseExact(const ReferenceInput& in) : horizon_(in.horizon) {
        const Params& e = in.efficiency.params;
        const Params& p = in.power.params;
        const std::string& et = in.efficiency.type;
        const std::string& pt = in.power.type;
        const double log_C0 = std::log(in.C0);

        // Efficiency parameters.
        const double log_E0 = std::log(e.real("E0"));
        const double gamma_ln2 = e.has("gamma") ? e.real("gamma") * math::ln2 : 0.0;
        const double T = et == "discrete-steps" ? e.real("period") : 0.0;
        StepTable gen;
        double log_m0 = 0;
        if (et == "generation-table") {
            gen = racesim::plugins::read_step_table(e, "steps", "file", "multiplier", e.real("time_origin"), false);
            log_m0 = std::log(gen.v[gen.row_at(0.0)]);
        }
        if (et == "experience-curve") s_ += e.real("b");
        if (in.power.type == "reinvestment") s_ += in.power.params.real("beta");
        double log_Emax = 0, log_A = 0;
        if (et == "logistic") {
            log_Emax = std::log(e.real("E_max"));
            log_A = std::log(e.real("E_max") / e.real("E0") - 1);
        }

        // Power parameters.
        const bool peaked = pt == "peaked";
        const double duty = peaked ? p.real("duty") : 1.0;
        const double offset = peaked ? p.real("offset") : 0.0;
        const double Pi = peaked ? p.real("period") : 1.0;
        const double P0 = p.has("P0") ? p.real("P0") : 0.0;
        double rate = 0, t_cap = std::numeric_limits<double>::infinity(), Pmax = 0;
        bool linear_growth = false;
        if (pt == "growth") {
            rate = p.real("rate");
            linear_growth = p.string("mode") == "linear";
            if (p.has("P_max")) {
                Pmax = p.real("P_max");
                if (rate > 0) t_cap = linear_growth ? (Pmax / P0 - 1) / rate : std::log2(Pmax / P0) / rate;
                if (Pmax == P0) t_cap = 0;
            }
        }
        StepTable series;
        bool linear_series = false;
        if (pt == "time-series") {
            series = racesim::plugins::read_step_table(p, "series", "file", "power", p.real("time_origin"), true);
            linear_series = p.string("interpolation") == "linear";
        }

        // Algorithms: A(t0 + u) = exp(log_A(t0) + alg_g·u) on a piece.
        const std::string alg = in.algorithms ? in.algorithms->type : std::string();
        const double log_A0 = in.algorithms ? std::log(in.algorithms->params.real("A0")) : 0.0;
        const double alg_g = alg == "halving-time" ? math::ln2 / in.algorithms->params.real("halving_time") : 0.0;
        StepTable algt;
        double log_am0 = 0;
        if (alg == "algorithm-table") {
            const Params& a = in.algorithms->params;
            algt = racesim::plugins::read_step_table(a, "steps", "file", "multiplier", a.real("time_origin"), false);
            log_am0 = std::log(algt.v[algt.row_at(0.0)]);
        }

        // Breakpoints of the models.
        std::vector<double> cuts{0.0, horizon_};
        if (T > 0)
            for (double k = 1; k * T < horizon_; k += 1) cuts.push_back(k * T);
        if (peaked && duty < 1)
            for (double k = 0; (k + offset) * Pi < horizon_; k += 1) {
                cuts.push_back((k + offset) * Pi);
                cuts.push_back((k + offset + duty) * Pi);
            }
        if (et == "generation-table") gen.breakpoints(0.0, horizon_, cuts);
        if (pt == "time-series") series.breakpoints(0.0, horizon_, cuts);
        if (alg == "algorithm-table") algt.breakpoints(0.0, horizon_, cuts);
        if (t_cap > 0 && t_cap < horizon_) cuts.push_back(t_cap);
        std::sort(cuts.begin(), cuts.end());
        std::vector<double> t;
        for (double c : cuts)
            if (c >= 0 && c <= horizon_ && (t.empty() || c - t.back() > 1e-12 * std::max(1.0, c))) t.push_back(c);
        if (t.back() < horizon_) t.back() = horizon_;

        double log_cum = math::neg_inf;  // ln J(0)
        for (std::size_t k = 0; k + 1 < t.size(); ++k) {
            const double a = t[k], mid = 0.5 * (t[k] + t[k + 1]);
            Regime E, P;
            // Efficiency on [a, t[k+1]).
            E.form = Regime::Form::exponential;
            if (et == "continuous-doubling") {
                E.log_v = log_E0 + gamma_ln2 * a;
                E.g = gamma_ln2;
            } else if (et == "discrete-steps") {
                E.log_v = log_E0 + gamma_ln2 * T * std::floor(mid / T);
            } else if (et == "generation-table") {
                E.log_v = log_E0 + std::log(gen.v[gen.row_at(mid)]) - log_m0;
            } else if (et == "experience-curve") {
                E.log_v = log_E0;  // J is taken with E = E0; the state dependence is in the transform
            } else {               // logistic
                E.form = Regime::Form::logistic;
                E.log_K = log_Emax;
                E.r = e.real("gamma") * math::ln2;
                E.log_A = log_A;
            }
            // Power on the piece.
            P.form = Regime::Form::exponential;
            if (pt == "mean-field" || pt == "reinvestment") {  // reinvestment: P0 here, (C/C0)^beta in s_
                P.log_v = std::log(P0);
            } else if (peaked) {
                P.log_v = std::log(P0 / duty);
                if (duty < 1) {
                    const double phase = (mid - std::floor(mid / Pi) * Pi) / Pi;
                    if (!(phase >= offset && phase < offset + duty)) P.form = Regime::Form::off;
                }
            } else if (pt == "growth") {
                if (mid >= t_cap) {
                    P.log_v = std::log(Pmax);
                } else if (linear_growth) {
                    P.form = Regime::Form::linear;
                    P.p0 = P0 * (1 + rate * a);
                    P.p1 = P0 * rate;
                } else {
                    P.log_v = std::log(P0) + rate * math::ln2 * a;
                    P.g = rate * math::ln2;
                }
            } else {  // time-series
                const std::size_t r = series.row_at(mid);
                if (linear_series && r + 1 < series.t.size()) {
                    P.form = Regime::Form::linear;
                    P.p1 = (series.v[r + 1] - series.v[r]) / (series.t[r + 1] - series.t[r]);
                    P.p0 = series.v[r] + P.p1 * (a - series.t[r]);
                } else if (series.v[r] > 0) {
                    P.log_v = std::log(series.v[r]);
                } else {
                    P.form = Regime::Form::off;
                }
            }
            if (P.form == Regime::Form::linear && P.p1 == 0) {  // a constant after all (e.g. rate 0)
                P.form = P.p0 > 0 ? Regime::Form::exponential : Regime::Form::off;
                P.log_v = P.p0 > 0 ? std::log(P.p0) : 0.0;
                P.g = 0;
            }
            // A on the piece: it multiplies E (an exponential or constant E takes it into its own
            // value and rate; a logistic E, only with a table, into the piece's constant below).
            double log_A = 0;
            if (alg == "halving-time") log_A = log_A0 + alg_g * a;
            if (alg == "algorithm-table") log_A = log_A0 + std::log(algt.v[algt.row_at(mid)]) - log_am0;
            if (E.form == Regime::Form::exponential) {
                E.log_v += log_A;
                E.g += alg_g;
            }
            Piece piece;
            piece.t0 = a;
            piece.t1 = t[k + 1];
            piece.log_cum = log_cum;
            if (P.form == Regime::Form::off) {
                piece.form = Piece::Form::off;
            } else if (E.form == Regime::Form::logistic) {  // P constant here (checked by the factory)
                piece.form = Piece::Form::logistic;
                piece.g = E.r;
                piece.log_A = E.log_A;
                piece.log_a = P.log_v + E.log_K - std::log(E.r) - log_C0 + log_A;  // A constant here
            } else if (P.form == Regime::Form::linear) {
                piece.form = Piece::Form::exp_linear;
                piece.log_a = E.log_v - log_C0;
                piece.g = E.g;
                piece.p0 = P.p0;
                piece.p1 = P.p1;
            } else {
                piece.form = Piece::Form::exponential;
                piece.log_a = E.log_v + P.log_v - log_C0;
                piece.g = E.g + P.g;
            }
            pieces_.push_back(piece);
            log_cum = math::log_add_exp(log_cum, piece.log_increment(piece.t1 - piece.t0));
        }
        end_log_cum_ = log_cum;
    }

    double log_compute_ratio(double t) const override {
        const Piece& p = piece_at(t);
        return ratio_from_J(math::log_add_exp(p.log_cum, p.log_increment(t - p.t0)));
    }

    std::optional<double> time_to_log_compute_ratio(double x) const override {
        if (x <= 0) return 0.0;
        const double target = J_from_ratio(x);  // ln J at which ln(C/C0) = x
        if (target > end_log_cum_) return std::nullopt;
        for (std::size_t k = 0; k < pieces_.size(); ++k) {
            const Piece& p = pieces_[k];
            const double next_cum = k + 1 < pieces_.size() ? pieces_[k + 1].log_cum : end_log_cum_;
            if (next_cum < target || p.form == Piece::Form::off) continue;
            const double need = math::log_sub_exp(target, p.log_cum);  // ln of the part of J left for this piece
            if (p.form == Piece::Form::exponential) {
                const double s = math::solve_growth_integral(p.g, need - p.log_a);
                if (std::isnan(s)) continue;
                return std::min(p.t0 + s, p.t1);
            }
            // The other forms: bisection on the closed form (increasing in s) to the last bit.
            double lo = 0, hi = p.t1 - p.t0;
            for (int i = 0; i < 2000 && lo < hi; ++i) {
                const double m = lo + 0.5 * (hi - lo);
                if (m <= lo || m >= hi) break;
                (p.log_increment(m) < need ? lo : hi) = m;
            }
            return p.t0 + hi;
        }
        return std::nullopt;
    }

private:
    /// ln(C/C0) from ln J, for a state exponent s_ <= 1.
    double ratio_from_J(double log_J) const {
        if (s_ == 0) return math::log_add_exp(0.0, log_J);
        if (s_ == 1) return std::exp(log_J);
        return math::log_add_exp(0.0, std::log1p(-s_) + log_J) / (1 - s_);
    }
    /// ln J from ln(C/C0) = x > 0.
    double J_from_ratio(double x) const {
        if (s_ == 0) return math::log_expm1(x);
        if (s_ == 1) return std::log(x);
        return math::log_expm1((1 - s_) * x) - std::log1p(-s_);
    }
    const Piece& piece_at(double t) const {
        auto it =
            std::upper_bound(pieces_.begin(), pieces_.end(), t, [](double v, const Piece& p) { return v < p.t0; });
        return it == pieces_.begin() ? pieces_.front() : *(it - 1);
    }

    double horizon_;
    double s_ = 0;  ///< the state exponent: C/C0 enters E·P as (C/C0)^s_ (b + beta)
    double end_log_cum_ = math::neg_inf;
    std::vector<Piece> pieces_;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::reference;
    d.type = "piecewise-exact";
    d.summary = "exact C(t) for every built-in efficiency x power combination with a closed form (per segment)";
    d.doc =
        "Efficiency continuous-doubling, discrete-steps, generation-table, logistic or experience-curve "
        "x power mean-field, peaked, growth, time-series or reinvestment; except logistic x a power that varies "
        "within a segment (growth with rate > 0, time-series linear), and experience-curve b + reinvestment "
        "beta > 1 (C blows up in finite time). With algorithms halving-time or algorithm-table "
        "(not with experience-curve or reinvestment; halving-time not with logistic), C is effective compute. "
        "Sums closed-form integrals over the segments between breakpoints, in logs; any loss law.";
    d.make_reference = [](const ReferenceInput& in, std::string& why_not) -> std::unique_ptr<ReferenceModel> {
        static const std::vector<std::string> eff{"continuous-doubling", "discrete-steps", "generation-table",
                                                  "logistic", "experience-curve"};
        static const std::vector<std::string> pow{"mean-field", "peaked", "growth", "time-series", "reinvestment"};
        std::string off;
        if (!contains(eff, in.efficiency.type))
            off += " efficiency '" + in.efficiency.type +
                   "' is not one of continuous-doubling, discrete-steps, "
                   "generation-table, logistic, experience-curve;";
        if (!contains(pow, in.power.type))
            off +=
                " power '" + in.power.type + "' is not one of mean-field, peaked, growth, time-series, reinvestment;";
        if (off.empty() && in.efficiency.type == "logistic") {
            const Params& p = in.power.params;
            if ((in.power.type == "growth" && p.real("rate") > 0) ||
                (in.power.type == "time-series" && p.string("interpolation") == "linear"))
                off +=
                    " logistic efficiency has a closed form only with power that is constant between "
                    "breakpoints (mean-field, peaked, time-series constant, growth with rate 0);";
        }
        if (off.empty() && in.efficiency.type == "experience-curve" && in.power.type == "reinvestment" &&
            in.efficiency.params.real("b") + in.power.params.real("beta") > 1)
            off += " experience-curve b = " + math::format(in.efficiency.params.real("b")) +
                   " and reinvestment beta = " + math::format(in.power.params.real("beta")) +
                   " add up to more than 1: C blows up in finite time;";
        if (in.algorithms) {
            const std::string& at = in.algorithms->type;
            if (at != "halving-time" && at != "algorithm-table")
                off += " algorithms '" + at + "' is not one of halving-time, algorithm-table;";
            else if (in.efficiency.type == "logistic" && at == "halving-time")
                off +=
                    " logistic efficiency times halving-time algorithms has no elementary integral (use "
                    "algorithm-table);";
            if (in.efficiency.type == "experience-curve" || in.power.type == "reinvestment")
                off += " a rate that reads C (experience-curve, reinvestment) is not combined with algorithms;";
        }
        if (!off.empty()) {
            off.pop_back();
            why_not = "piecewise-exact has no closed form here:" + off;
            return nullptr;
        }
        return std::make_unique<PiecewiseExact>(in);
    };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("piecewise-exact", descriptors)
