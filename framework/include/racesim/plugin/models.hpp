// The model interfaces a plugin implements, and the descriptor through which it offers them.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "racesim/plugin/api.hpp"
#include "racesim/plugin/schema.hpp"

namespace racesim::plugin {

/// An interval [begin, end) that contains no declared breakpoint of any rate model in the
/// scenario. Within it the host integrates with one fresh stepper, and a rate model must
/// evaluate the regime *of the segment* (e.g. the hardware generation at its midpoint), never
/// the regime of t: a step that ends on an edge would otherwise sample the next regime.
struct Segment {
    double begin;
    double end;
    [[nodiscard]] double mid() const { return 0.5 * (begin + end); }
};

/// A time-dependent, possibly state-dependent rate: the base of efficiency models
/// (PFLOP/yr/MW), power schedules (MW) and algorithmic-progress models (a dimensionless
/// multiplier A on effective compute).
class RACESIM_API RateModel {
public:
    virtual ~RateModel() = default;

    /// ln of the rate at time t (yr), given ln C (C in PFLOP), inside segment s.
    /// Returns -infinity where the rate is zero. Must be finite or -infinity, and must not
    /// jump inside a segment.
    [[nodiscard]] virtual double log_value(double t, double log_C, const Segment& s) const = 0;

    /// The rate itself. Overflows a double where the rate does; the host never calls it
    /// on its integration path (it works with log_value), it is here for plugins and tests.
    [[nodiscard]] double value(double t, double log_C, const Segment& s) const {
        return std::exp(log_value(t, log_C, s));
    }

    /// Appends, in increasing order, every t in the open interval (t0, t1) where the rate is
    /// discontinuous. The host stops the integrator there and restarts with a fresh stepper.
    virtual void breakpoints(double t0, double t1, std::vector<double>& out) const {
        (void)t0;
        (void)t1;
        (void)out;
    }

    /// True when log_value depends on log_C (the host then passes the current state).
    [[nodiscard]] virtual bool depends_on_state() const { return false; }
};

using EfficiencyModel = RateModel;
using PowerSchedule = RateModel;
/// A(t): the multiplier of effective compute, dC/dt = A·E·P (docs/model.md, "Effective compute").
using AlgorithmsModel = RateModel;

/// A named quantity a model derives from the state, written as an extra column of the
/// trajectory CSV (e.g. the compute-optimal parameter count of a Chinchilla loss law).
struct Quantity {
    std::string name;  ///< the CSV column name: letters, digits and '_' (e.g. "N_opt")
    std::string unit;  ///< empty: dimensionless
    std::string doc;
};

/// Maps cumulative compute to training loss.
class RACESIM_API LossLaw {
public:
    virtual ~LossLaw() = default;
    /// L(C) in nats/token, given ln C (C in PFLOP).
    [[nodiscard]] virtual double loss(double log_C) const = 0;
    /// ln C at which L(C) = L, or nullopt when this law never reaches L; then `why` says why.
    [[nodiscard]] virtual std::optional<double> log_compute_for_loss(double L, std::string& why) const = 0;

    /// Extra quantities this law derives from C, in the order auxiliary_values writes them.
    /// The host appends one trajectory column per quantity. Fixed for the object's lifetime.
    [[nodiscard]] virtual std::vector<Quantity> auxiliary() const { return {}; }
    /// The values of auxiliary() at ln C (C in PFLOP), one per quantity, appended to `out`.
    virtual void auxiliary_values(double log_C, std::vector<double>& out) const {
        (void)log_C;
        (void)out;
    }
};

/// What a factory receives besides its own parameters.
struct BuildContext {
    double C0;       ///< the scenario's baseline compute, PFLOP (loss laws default C_ref to it)
    double horizon;  ///< yr
};

/// A plugin type together with its resolved parameters, as named in a scenario.
struct Selection {
    std::string type;
    Params params;
};

/// Everything a reference model may look at.
struct ReferenceInput {
    Selection efficiency;
    Selection power;
    Selection loss;
    double C0;       ///< PFLOP: effective compute at t = 0
    double horizon;  ///< yr
    /// The scenario's `algorithms:` block (A(t)), when it has one: then C is effective compute,
    /// dC/dt = A·E·P. A reference that does not model it must refuse a scenario that has it.
    std::optional<Selection> algorithms = std::nullopt;
};

/// An exact (closed-form) solution of dC/dt = E·P (A·E·P with `algorithms:`) for the scenario it
/// was built for.
class RACESIM_API ReferenceModel {
public:
    virtual ~ReferenceModel() = default;
    /// ln(C(t)/C0).
    [[nodiscard]] virtual double log_compute_ratio(double t) const = 0;
    /// The first t in [0, horizon] with ln(C(t)/C0) >= x; nullopt when not reached by then.
    [[nodiscard]] virtual std::optional<double> time_to_log_compute_ratio(double x) const = 0;
    /// sup over all t >= 0 of ln(C(t)/C0) when it is finite (e.g. a declining efficiency),
    /// else nullopt. A target above it is reported as unreachable, not merely "not reached".
    [[nodiscard]] virtual std::optional<double> log_compute_ratio_limit() const { return std::nullopt; }
};

/// A per-row value of a batch: data[i · stride]. Stride 0 gives every row the same value.
struct Column {
    const double* data = nullptr;
    std::size_t stride = 0;
    [[nodiscard]] bool set() const { return data != nullptr; }
    [[nodiscard]] double operator[](std::size_t i) const { return data[i * stride]; }
};

/// Many scenarios that share their model types (those of `base`) and differ in the values of
/// numeric parameters: a sweep or a batch of Monte Carlo samples. `columns` holds one column
/// per path the reference reads: "<block>.<param>" for the efficiency, power, loss and
/// algorithms parameters and "baseline.tau" / "baseline.C0"; a column is unset (data == nullptr) where
/// the scenarios leave the value unset (a defaulted C_ref, the C0 of a baseline given by tau).
struct BatchInput {
    std::size_t n = 0;
    double horizon = 0;  ///< yr
    std::vector<std::pair<std::string, Column>> columns;
    [[nodiscard]] Column column(const std::string& path) const {
        for (const auto& [p, c] : columns)
            if (p == path) return c;
        return {};
    }
};

/// What a batch asks for: the time to one target, a loss (nats/token) or a relative loss.
struct BatchTarget {
    bool relative = true;
    double value = 0;
};

/// Optional on a reference: the time to a target for every row of a batch at once, evaluated
/// over arrays (no object per row), so that a closed-form sweep runs at the speed of the
/// formula. Writes time[i] in yr, +inf when not reached by the horizon, NaN when never reached
/// at any time. Returns false and sets `why` when it cannot evaluate this batch (the host then
/// evaluates row by row). Must agree with the ReferenceModel the descriptor makes.
using BatchTimeFunction = std::function<bool(const ReferenceInput& base, const BatchInput& in,
                                             const BatchTarget& target, double* time, std::string& why)>;

/// The slots of a scenario. `algorithms` (optional in a scenario) is a rate kind like efficiency
/// and power: its plugins set Descriptor::make_rate. New kinds go at the end.
enum class Kind { efficiency, power, loss, reference, algorithms };

inline const char* to_string(Kind k) {
    switch (k) {
        case Kind::efficiency:
            return "efficiency";
        case Kind::power:
            return "power";
        case Kind::loss:
            return "loss";
        case Kind::reference:
            return "reference";
        case Kind::algorithms:
            return "algorithms";
    }
    return "?";
}

using RateFactory = std::function<std::unique_ptr<RateModel>(const Params&, const BuildContext&)>;
using LossFactory = std::function<std::unique_ptr<LossLaw>(const Params&, const BuildContext&)>;
/// Returns nullptr and sets `why_not` when the reference does not apply to the input.
using ReferenceFactory = std::function<std::unique_ptr<ReferenceModel>(const ReferenceInput&, std::string& why_not)>;

/// One model type offered by a plugin library. Exactly one factory is set, matching `kind`.
struct Descriptor {
    Kind kind = Kind::efficiency;
    std::string type;     ///< the `type:` name in configs, e.g. "continuous-doubling"
    std::string summary;  ///< one line
    std::string doc;      ///< longer description (Markdown), may be empty
    Schema schema;
    RateFactory make_rate;
    LossFactory make_loss;
    ReferenceFactory make_reference;
    /// References only, optional: the vectorised time to target (see BatchTimeFunction), and
    /// the parameter paths it reads (the host fills exactly these columns).
    BatchTimeFunction batch_time_to_target;
    std::vector<std::string> batch_paths;
};

using EntryFunction = std::vector<Descriptor>();

}  // namespace racesim::plugin
