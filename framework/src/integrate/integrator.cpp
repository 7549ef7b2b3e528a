// integrate(): the stepper (stepper.hpp) driven step by step, the output times read from its
// dense output, and the crossing finder (crossing.hpp) fed each step.
#include "racesim/integrate/integrator.hpp"

#include <span>

#include "racesim/integrate/crossing.hpp"
#include "racesim/integrate/stepper.hpp"

namespace racesim {

namespace {

/// The stepper's last step as the crossing finder sees it: the root is found in the step's own
/// variable, and polished on fresh steps from the step's start.
class StepperCurve final : public StepCurve {
public:
    explicit StepperCurve(Stepper& stepper) : stepper_(stepper) {}
    void set(const Stepper::Step& s) {
        t0 = s.t0;
        t1 = s.t1;
        u0 = s.u0;
        u1 = s.u1;
        x1 = s.x1;
    }
    [[nodiscard]] double x(double t) const override { return stepper_.dense_x(t); }
    [[nodiscard]] double x_of(double du) const override { return stepper_.x_of(du); }
    bool refine(double t, double& x, double& dxdt) override {
        stepper_.fresh_step(t, x, dxdt);
        return true;
    }

private:
    Stepper& stepper_;
};

}  // namespace

IntegrationResult integrate(const IntegrationProblem& pb, const IntegratorOptions& opt) {
    Stepper stepper(pb, opt);
    CrossingFinder crossings(pb.log_thresholds);
    StepperCurve curve(stepper);
    IntegrationResult res;
    const std::size_t n_out = pb.output_times.size();
    res.log_ratio.assign(n_out, 0.0);
    std::size_t next_output = 0;
    while (next_output < n_out && pb.output_times[next_output] <= 0) res.log_ratio[next_output++] = 0.0;
    while (stepper.step()) {
        const Stepper::Step& s = stepper.last_step();
        // Output times do not shorten steps: those inside the step come from its dense output.
        next_output += stepper.dense_log_ratio(std::span(pb.output_times).subspan(next_output),
                                               std::span(res.log_ratio).subspan(next_output));
        curve.set(s);
        crossings.scan(curve);
    }
    // Output times at the horizon that rounding may have left.
    while (next_output < n_out) res.log_ratio[next_output++] = stepper.log_ratio();
    res.threshold_times = std::move(crossings).take_times();
    res.segments = stepper.segments();
    res.stats = stepper.stats();
    return res;
}

}  // namespace racesim
