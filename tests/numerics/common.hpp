// Shared helpers of the numerics suite: the built plugins (loaded once through
// racesim::Registry), a scenario description that builds rate models and references from
// them, the mpmath CSV reader and a worst-error tracker that prints what it saw.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "racesim/core/csv.hpp"
#include "racesim/integrate/integrator.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/models.hpp"
#include "racesim/plugins/registry.hpp"

namespace numerics {

using racesim::plugin::Kind;
using racesim::plugin::Params;
using racesim::plugin::RateModel;
using racesim::plugin::ReferenceModel;

inline constexpr double eps = std::numeric_limits<double>::epsilon();  // 2^-52

/// The built plugins, loaded once per process.
inline const racesim::Registry& registry() {
    static const racesim::Registry reg = [] {
        racesim::Registry r;
        r.load_directories({RACESIM_PLUGIN_DIR});
        return r;
    }();
    return reg;
}

/// Builds models from the built plugins.
inline const racesim::ModelBuilder& models() {
    static const racesim::ModelBuilder builder(registry());
    return builder;
}

inline const racesim::PluginEntry& entry(Kind kind, const std::string& type) {
    const racesim::PluginEntry* e = registry().find(kind, type);
    if (!e)
        throw std::runtime_error(std::string("plugin not built/found: ") + racesim::plugin::to_string(kind) + " " +
                                 type);
    return *e;
}

/// One scenario of dC/dt = E·P, as the plugins' parameters (exact doubles).
struct Scenario {
    std::string efficiency = "continuous-doubling";  // or "discrete-steps"
    std::string power = "mean-field";                // or "peaked"
    double E0 = 1, gamma = 0, step_period = 1;
    double P0 = 1, duty = 1, offset = 0, power_period = 1;
    double C0 = 1;  // = E0·P0·(1 + tau)
    double horizon = 1;
    double kappa = 0.048;

    [[nodiscard]] bool peaked() const { return power == "peaked"; }
    [[nodiscard]] bool discrete() const { return efficiency == "discrete-steps"; }
    [[nodiscard]] double tau() const { return C0 / (E0 * P0) - 1; }

    [[nodiscard]] racesim::plugin::Selection efficiency_selection() const {
        Params p;
        p.set("E0", E0);
        p.set("gamma", gamma);
        if (discrete()) p.set("period", step_period);
        return {efficiency, p};
    }
    [[nodiscard]] racesim::plugin::Selection power_selection() const {
        Params p;
        p.set("P0", P0);
        if (peaked()) {
            p.set("duty", duty);
            p.set("offset", offset);
            p.set("period", power_period);
        }
        return {power, p};
    }
    [[nodiscard]] racesim::plugin::Selection loss_selection() const {
        Params p;
        p.set("kappa", kappa);
        p.set("L0", 1.0);
        return {"power-law", p};
    }
    [[nodiscard]] racesim::plugin::BuildContext context() const { return {C0, horizon}; }

    [[nodiscard]] std::shared_ptr<const RateModel> make_efficiency() const {
        const auto s = efficiency_selection();
        return registry().make_rate(entry(Kind::efficiency, s.type), s.params, context());
    }
    [[nodiscard]] std::shared_ptr<const RateModel> make_power() const {
        const auto s = power_selection();
        return registry().make_rate(entry(Kind::power, s.type), s.params, context());
    }
    /// The reference `type` for this scenario (throws when it does not apply).
    [[nodiscard]] std::shared_ptr<const ReferenceModel> make_reference(const std::string& type) const {
        racesim::plugin::ReferenceInput in{efficiency_selection(), power_selection(), loss_selection(), C0, horizon};
        std::string why;
        auto r = registry().make_reference(entry(Kind::reference, type), in, why);
        if (!r) throw std::runtime_error("reference " + type + " does not apply: " + why);
        return r;
    }

    [[nodiscard]] std::string describe() const {
        std::ostringstream os;
        os.precision(17);
        os << efficiency << " x " << power << ": E0=" << E0 << " gamma=" << gamma;
        if (discrete()) os << " T=" << step_period;
        os << " P0=" << P0;
        if (peaked()) os << " duty=" << duty << " offset=" << offset << " period=" << power_period;
        os << " C0=" << C0 << " (tau=" << tau() << ") horizon=" << horizon << " kappa=" << kappa;
        return os.str();
    }
};

/// Tracks the worst value of an error measure and where it occurred; prints it on request.
struct Worst {
    explicit Worst(std::string w) : what(std::move(w)) {}
    std::string what;
    double value = 0;
    std::string where;
    std::size_t samples = 0;
    /// `at_lazy()` describes the sample; it is called only for a new worst.
    template <class F>
    void add(double err, F&& at_lazy) {
        ++samples;
        if (std::isnan(err)) err = std::numeric_limits<double>::infinity();
        if (err > value || where.empty()) {
            value = err;
            where = at_lazy();
        }
    }
    void print() const {
        std::printf("[numerics] worst %-58s %.3e over %zu samples  (at %s)\n", what.c_str(), value, samples,
                    where.c_str());
        std::fflush(stdout);
    }
};

/// |a/b - 1|, with 0 when both are 0.
inline double rel_err(double a, double b) {
    if (a == b) return 0;
    return std::abs(a / b - 1);
}

/// One row of tests/numerics/data/reference_values.csv (made by tools/gen-reference-values).
struct CsvRow {
    std::map<std::string, std::string> f;
    [[nodiscard]] const std::string& str(const std::string& k) const {
        auto it = f.find(k);
        if (it == f.end()) throw std::runtime_error("CSV has no column " + k);
        return it->second;
    }
    [[nodiscard]] bool has(const std::string& k) const { return !str(k).empty(); }
    [[nodiscard]] double num(const std::string& k) const {
        const std::string& s = str(k);
        if (s.empty()) throw std::runtime_error("CSV field " + k + " is empty");
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);  // correctly rounded: the exact double written
        if (end != s.c_str() + s.size()) throw std::runtime_error("CSV field " + k + " = '" + s + "' is not a number");
        return v;
    }
    [[nodiscard]] Scenario scenario() const {
        Scenario s;
        s.efficiency = str("efficiency");
        s.power = str("power");
        s.E0 = num("E0");
        s.gamma = num("gamma");
        if (has("step_period")) s.step_period = num("step_period");
        s.P0 = num("P0");
        if (has("duty")) s.duty = num("duty");
        if (has("offset")) s.offset = num("offset");
        if (has("power_period")) s.power_period = num("power_period");
        s.C0 = num("C0");
        s.horizon = num("horizon");
        s.kappa = num("kappa");
        return s;
    }
};

inline std::vector<CsvRow> read_reference_csv() {
    std::ifstream in(RACESIM_REFERENCE_CSV);
    if (!in) throw std::runtime_error("cannot open " RACESIM_REFERENCE_CSV);
    std::vector<std::string> header;
    std::vector<CsvRow> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto cells = racesim::csv::split(line);
        if (header.empty()) {
            header = cells;
            continue;
        }
        if (cells.size() != header.size()) throw std::runtime_error("CSV row with wrong field count: " + line);
        CsvRow r;
        for (std::size_t i = 0; i < cells.size(); ++i) r.f[header[i]] = cells[i];
        rows.push_back(std::move(r));
    }
    return rows;
}

/// Random scenarios over the ranges of the accuracy bar (issue): gamma in [0, 4],
/// kappa in [0.02, 0.5], tau in (-0.9, 3], period in [0.25, 5], duty in [0.05, 1],
/// horizon up to 100 yr; E0 and P0 over many decades (only their product with C0 matters).
class ScenarioSampler {
public:
    explicit ScenarioSampler(std::uint64_t seed) : rng_(seed) {}

    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
    double log_uniform(double a, double b) { return std::exp(uniform(std::log(a), std::log(b))); }
    bool chance(double p) { return uniform(0, 1) < p; }
    std::mt19937_64& engine() { return rng_; }

    Scenario draw(const std::string& efficiency, const std::string& power) {
        Scenario s;
        s.efficiency = efficiency;
        s.power = power;
        s.E0 = log_uniform(1e-3, 1e11);
        s.P0 = log_uniform(1e-2, 1e6);
        // gamma: mostly uniform on [0, 4], with the end points and tiny values on purpose.
        const double g = uniform(0, 1);
        s.gamma = g < 0.08 ? 0.0 : g < 0.14 ? log_uniform(1e-12, 1e-4) : g < 0.18 ? 4.0 : uniform(0, 4);
        s.kappa = chance(0.05) ? (chance(0.5) ? 0.02 : 0.5) : uniform(0.02, 0.5);
        // tau in (-0.9, 3]: never -0.9 itself.
        const double tau = chance(0.05) ? (chance(0.5) ? 3.0 : std::nextafter(-0.9, 0.0))
                                        : uniform(std::nextafter(-0.9, 0.0), std::nextafter(3.0, 4.0));
        s.C0 = s.E0 * s.P0 * (1 + tau);
        s.step_period = chance(0.05) ? (chance(0.5) ? 0.25 : 5.0) : uniform(0.25, 5);
        s.duty = chance(0.1) ? 1.0 : chance(0.05) ? 0.05 : uniform(0.05, 1);
        // offset: 0, the latest start (the burst ends with its period), or anything between.
        const double o = uniform(0, 1);
        s.offset = o < 0.15 ? 0.0 : o < 0.25 ? 1 - s.duty : uniform(0, 1 - s.duty);
        s.power_period = chance(0.05) ? (chance(0.5) ? 0.25 : 5.0) : uniform(0.25, 5);
        // Now and then hardware generations and bursts share their period (coinciding edges).
        if (efficiency == "discrete-steps" && power == "peaked" && chance(0.1)) s.power_period = s.step_period;
        s.horizon = chance(0.5) ? uniform(50, 100) : chance(0.1) ? 100.0 : log_uniform(0.1, 100);
        return s;
    }

private:
    std::mt19937_64 rng_;
};

}  // namespace numerics
