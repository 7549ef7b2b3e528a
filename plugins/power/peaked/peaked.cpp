// power `peaked`: the energy of mean power P0 delivered as one rectangular burst per period.
// P(t) = P0/duty while (t mod period) lies in [offset·period, (offset+duty)·period), else 0.
// Breakpoints at both edges of every burst.
#include <cmath>

#include "../../common/period.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class Peaked final : public RateModel {
public:
    Peaked(const Params& p, const BuildContext& ctx)
        : P0_(p.real("P0")),
          duty_(p.real("duty")),
          offset_(p.real("offset")),
          period_(p.real("period")),
          log_peak_(std::log(P0_ / duty_)) {
        // Allow one part in 1e12 of rounding in offset + duty (e.g. 0.7 + 0.3).
        if (offset_ + duty_ > 1 + 1e-12)
            throw ParameterError("offset",
                                 "offset + duty must be <= 1 (the burst must end within its period); got offset = " +
                                     math::format(offset_) + ", duty = " + math::format(duty_));
        if (duty_ < 1) racesim::plugins::check_period(period_, ctx.horizon);  // duty 1: no breakpoints
    }

    double log_value(double, double, const Segment& s) const override {
        if (duty_ >= 1) return log_peak_;
        const double m = s.mid();
        const double phase = (m - std::floor(m / period_) * period_) / period_;
        return (phase >= offset_ && phase < offset_ + duty_) ? log_peak_ : math::neg_inf;
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        if (duty_ >= 1) return;
        for (double k = std::floor(t0 / period_);; k += 1) {
            const double on = (k + offset_) * period_;
            if (on >= t1) break;
            const double off = (k + offset_ + duty_) * period_;
            if (on > t0) out.push_back(on);
            if (off > t0 && off < t1) out.push_back(off);
        }
    }

private:
    double P0_, duty_, offset_, period_, log_peak_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::power;
    d.type = "peaked";
    d.summary = "rectangular bursts of P0/duty, once per period, same mean power P0";
    d.doc =
        "Llama 3 405B peaked near 16 MW for a few months against a year-average of ~3.5 MW "
        "(paper Sec. 3.3): duty ~0.22. duty = 1 is mean-field.";
    d.schema.add_real("P0").required().positive().unit("MW").quoted(Quoted::power).doc("Mean power over a period.");
    d.schema.add_real("duty")
        .required()
        .in_range({0, false}, {1, true})
        .doc("Fraction of each period during which power is on.");
    d.schema.add_real("offset")
        .default_value(0.0)
        .in_range({0, true}, {1, true})
        .doc("Start of the burst within its period, as a fraction of the period; offset + duty <= 1.");
    d.schema.add_real("period").default_value(1.0).positive().unit("yr").doc("Length of one period.");
    d.make_rate = [](const Params& p, const BuildContext& ctx) { return std::make_unique<Peaked>(p, ctx); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("peaked", descriptors)
