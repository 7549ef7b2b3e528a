// Shared set-up for the racesim benchmarks: the plugins are loaded through the Registry and
// scenarios are built from YAML text through the loader, exactly as the runtime does.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "racesim/analyses/builtin.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/integrate/integrator.hpp"
#include "racesim/model/model.hpp"
#include "racesim/run/runner.hpp"

namespace racesim::bench {

inline const Registry& registry() {
    static const Registry reg = [] {
        Registry r;
        r.load_directories({RACESIM_PLUGIN_DIR});
        return r;
    }();
    return reg;
}

/// Builds models from the built plugins.
inline const ModelBuilder& models() {
    static const ModelBuilder builder(registry());
    return builder;
}

/// Declared scenario i of `ex` with its models, built once (the benchmarks time runs, not builds).
inline const ScenarioInstance& instance(const Experiment& ex, std::size_t i) {
    static std::map<std::pair<const Experiment*, std::size_t>, ScenarioInstance> cache;
    ScenarioInstance& s = cache[{&ex, i}];
    if (!s.spec) s = models().instance(ex.scenarios.at(i), i);
    return s;
}

/// Parses and validates an experiment held in memory; aborts with the diagnostics on failure
/// (a benchmark with a broken config must not report a time).
inline Experiment load_experiment(const std::string& yaml) {
    Diagnostics d;
    auto doc = parse_document_text(yaml, "bench.yaml", d);
    std::optional<Experiment> ex;
    if (doc) ex = validate(*doc, registry(), d, {}, model_check(registry()), builtin_analyses());
    if (!ex) {
        d.print(std::cerr);
        std::abort();
    }
    return std::move(*ex);
}

/// The three verified problems of issue 4 (docs/model.md units; E0 = P0 = 1, tau = 0, so C0 = 1):
/// continuous gamma = 2; discrete steps T = 1 (gamma = 2); continuous gamma = 2 x peaked duty 0.22;
/// and four of issue 18 without an exact fitted form (bench/peers/problems.py states them all).
/// Horizon 30 yr, output every 0.1 yr (301 points), one target R = 0.68 at kappa = 0.048.
/// Each carries the exact reference: relative-loss (the paper's closed form) or piecewise-exact;
/// with `references` false none does (run_scenario() then checks nothing against one).
inline std::string problems_yaml(double rel_tol, bool references = true) {
    char tol[64];
    std::snprintf(tol, sizeof tol, "%.17g", rel_tol);
    std::string yaml = std::string(R"(racesim: 1
name: bench-problems
horizon: 30
output: {every: 0.1}
solver: {rel_tol: )") + tol +
                       R"(, abs_tol: 0}
defaults:
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
  baseline: {tau: 0}
scenarios:
  - name: continuous
    efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
    power: {type: mean-field, P0: 1}
    reference: relative-loss
  - name: discrete
    efficiency: {type: discrete-steps, E0: 1, gamma: 2, period: 1}
    power: {type: mean-field, P0: 1}
    reference: piecewise-exact
  - name: peaked
    efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
    power: {type: peaked, P0: 1, duty: 0.22}
    reference: piecewise-exact
  - name: logistic
    efficiency: {type: logistic, E0: 1, gamma: 2, E_max: 10000}
    power: {type: mean-field, P0: 1}
    reference: piecewise-exact
  - name: experience
    efficiency: {type: experience-curve, E0: 1, b: 0.8}
    power: {type: mean-field, P0: 1}
    reference: piecewise-exact
  - name: series
    efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
    power: {type: time-series, interpolation: linear, series: [[0, 1], [10, 3], [20, 2], [30, 4]]}
    baseline: {C0: 1}
    reference: piecewise-exact
  - name: ramp
    efficiency: {type: continuous-doubling, E0: 1, gamma: 0.5}
    power: {type: growth, mode: linear, P0: 1, rate: 0.5}
    reference: piecewise-exact
)";
    if (references) return yaml;
    std::string kept;
    for (std::size_t at = 0; at < yaml.size();) {
        const std::size_t end = yaml.find('\n', at) + 1;
        const std::string line = yaml.substr(at, end - at);
        if (line.rfind("    reference:", 0) != 0) kept += line;
        at = end;
    }
    return kept;
}

/// Problems 0-2 have a fitted form that is exact (issue 4); 3-6 have none (issue 18): logistic
/// efficiency, the experience curve (state-dependent), a linearly interpolated power series and
/// a linear power ramp, each with continuous or constant factors.
inline const char* const problem_names[] = {"continuous", "discrete", "peaked", "logistic",
                                            "experience", "series",   "ramp"};
inline constexpr int problem_count = 7;

/// The integration problem of a scenario, built as run_scenario builds it.
inline IntegrationProblem problem_of(const Experiment& ex, const ScenarioInstance& s) {
    IntegrationProblem pb = racesim::problem_of(s, s.spec->horizon, true);
    pb.output_times = output_grid(ex, *s.spec);
    return pb;
}

struct Errors {
    double C = 0;  ///< max over the output grid of |C/C_exact - 1|
    double t = 0;  ///< max over targets of |t*/t*_exact - 1|
};

/// Errors of an integration against the scenario's reference model (a loaded plugin).
inline Errors errors_of(const ScenarioInstance& sc, const IntegrationProblem& pb, const IntegrationResult& r) {
    Errors e;
    const auto& ref = *sc.model.reference;
    for (std::size_t i = 0; i < pb.output_times.size(); ++i)
        e.C = std::max(e.C, std::abs(std::expm1(r.log_ratio[i] - ref.log_compute_ratio(pb.output_times[i]))));
    for (std::size_t k = 0; k < pb.log_thresholds.size(); ++k) {
        const auto exact = ref.time_to_log_compute_ratio(pb.log_thresholds[k]);
        const auto got = r.threshold_times[k];
        if (!exact || !got) {
            e.t = (exact.has_value() == got.has_value()) ? e.t : std::numeric_limits<double>::infinity();
            continue;
        }
        e.t = std::max(e.t, std::abs(*got / *exact - 1));
    }
    return e;
}

}  // namespace racesim::bench
