// power `growth`: mean power of a fleet being built out, optionally capped at P_max.
//     exponential:  P(t) = P0 · 2^(rate·t)         (doubles every 1/rate years)
//     linear:       P(t) = P0 · (1 + rate·t)       (grows by rate·P0 per year)
// and P(t) = P_max from the time t_cap it reaches P_max on. t_cap is declared as a
// breakpoint (a kink, not a jump) so the regime is frozen on each side of it.
#include <cmath>
#include <limits>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class Growth final : public RateModel {
public:
    explicit Growth(const Params& p)
        : log_P0_(std::log(p.real("P0"))), rate_(p.real("rate")), linear_(p.string("mode") == "linear") {
        if (p.has("P_max")) {
            const double P0 = p.real("P0"), Pmax = p.real("P_max");
            if (!(Pmax >= P0))
                throw ParameterError(
                    "P_max", "the cap P_max = " + math::format(Pmax) + " must be at least P0 = " + math::format(P0));
            log_Pmax_ = std::log(Pmax);
            if (rate_ > 0) t_cap_ = linear_ ? (Pmax / P0 - 1) / rate_ : std::log2(Pmax / P0) / rate_;
            if (Pmax == P0) t_cap_ = 0;
        }
    }

    double log_value(double t, double, const Segment& s) const override {
        if (s.mid() >= t_cap_) return log_Pmax_;
        return linear_ ? log_P0_ + std::log1p(rate_ * t) : log_P0_ + rate_ * math::ln2 * t;
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        if (t_cap_ > t0 && t_cap_ < t1) out.push_back(t_cap_);
    }

private:
    double log_P0_, rate_;
    bool linear_;
    double log_Pmax_ = std::numeric_limits<double>::infinity();
    double t_cap_ = std::numeric_limits<double>::infinity();
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::power;
    d.type = "growth";
    d.summary = "P(t) = P0 * 2^(rate*t) or P0 * (1 + rate*t), optionally capped at P_max";
    d.doc =
        "A fleet being built out: mean power grows exponentially (doubling every 1/rate years) or "
        "linearly (by rate*P0 per year) until it reaches P_max, then stays there. The time it reaches "
        "P_max is a breakpoint.";
    d.schema.add_real("P0").required().positive().unit("MW").quoted(Quoted::power).doc("Mean power at t = 0.");
    d.schema.add_string("mode")
        .default_value(std::string("exponential"))
        .choices({"exponential", "linear"})
        .doc("exponential: P0*2^(rate*t); linear: P0*(1 + rate*t).");
    d.schema.add_real("rate")
        .required()
        .at_least(0)
        .unit("1/yr")
        .quoted(Quoted::doubling_rate)
        .forms_when("mode", "exponential")
        .doc("exponential: doublings per year; linear: fraction of P0 added per year.");
    d.schema.add_real("P_max")
        .positive()
        .unit("MW")
        .quoted(Quoted::power)
        .relative_to("P0")
        .computed_default("none: uncapped")
        .doc("Cap on the power (>= P0); reached at a declared breakpoint.");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<Growth>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("growth", descriptors)
