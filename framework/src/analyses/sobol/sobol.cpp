// `sobol:`, global sensitivity by Sobol indices: the Saltelli design (matrices A and B of N
// independent draws each from the scenario's `sample:` distributions, and for each parameter i
// the matrix A_B^i: A with column i from B), the Jansen estimators of the first-order and total
// indices, and bootstrap percentile intervals. The N·(d + 2) evaluations run in parallel
// (oneTBB) by the reference's vectorised closed form where it applies, else one scenario each;
// every result is stored by its row index and reduced in a fixed order, so the table does not
// depend on the number of threads.
#include "racesim/analyses/sobol.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <random>

#include "racesim/analysis/compare.hpp"  // quantile_type7
#include "racesim/config/block_reader.hpp"
#include "racesim/config/sample.hpp"  // splitmix64
#include "racesim/config/scenario.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/batch.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

const KeyBlock& sobol_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("sobol",
                   "Global sensitivity: first-order and total Sobol indices of the times to target (and of L at "
                   "dates) over the distributions of the scenario's sample: block (Saltelli design, Jansen "
                   "estimators, bootstrap intervals).");
        k.add_integer("n")
            .positive()
            .unit("rows")
            .computed_default("the sample block's n")
            .doc(
                "The base sample size N: the rows of each of the matrices A and B. The analysis evaluates the scenario "
                "N·(d + 2) times for d sampled parameters.");
        k.add_integer("bootstrap")
            .at_least(0)
            .unit("resamples")
            .default_value(std::int64_t{200})
            .doc("Bootstrap resamples of the N rows for the intervals; 0: no intervals.");
        k.add_real("confidence")
            .in_range(plugin::Bound{0, false}, plugin::Bound{1, false})
            .default_value(0.95)
            .unit("1")
            .doc("The level of the bootstrap percentile intervals.");
        k.add_integer("seed")
            .at_least(0)
            .unit("1")
            .computed_default("the sample block's seed")
            .doc(
                "Seed of the draws: row j of A is draw j of this seed, row j of B is draw N + j (docs/monte-carlo.md, "
                "Reproducibility).");
        k.add_list("dates", plugin::ParamType::real)
            .unit("yr")
            .computed_default("none")
            .doc("Times in [0, horizon] at which the indices of the loss L(t) are computed too.");
        return k;
    }();
    return b;
}

namespace {

// clang-format off
const TableDef table_def{"sobol", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"quantity", "", "the output: a target's label (its time, censored at the horizon), or L(t=<date>)", CellKind::text},
    {"parameter", "", "the sampled parameter path", CellKind::text},
    {"distribution", "", "its distribution", CellKind::text},
    {"S1", "1", "first-order index (Jansen)"},
    {"S1_low", "1", "lower end of the bootstrap percentile interval of S1"},
    {"S1_high", "1", "upper end of the bootstrap percentile interval of S1"},
    {"ST", "1", "total index (Jansen)"},
    {"ST_low", "1", "lower end of the bootstrap percentile interval of ST"},
    {"ST_high", "1", "upper end of the bootstrap percentile interval of ST"},
    {"mean", "yr or nats/token", "mean of the quantity over the rows of A and B"},
    {"variance", "yr^2 or (nats/token)^2", "variance of the quantity over the rows of A and B (denominator 2N - 1)"},
    {"n", "", "base sample size N", CellKind::integer},
    {"evaluations", "", "scenario evaluations, N (d + 2)", CellKind::integer},
    {"bootstrap", "", "bootstrap resamples", CellKind::integer},
    {"confidence", "1", "level of the intervals"},
    {"seed", "", "seed of the draws", CellKind::integer},
    {"censored", "1", "fraction of the evaluations that do not reach the target by the horizon (their time is the horizon)"},
    {"note", "", "why an index is missing", CellKind::text},
}, true};
// clang-format on

void render(const SobolRow& s, std::vector<Cell>& out) {
    out.emplace_back(s.scenario);
    out.emplace_back(s.quantity);
    out.emplace_back(s.parameter);
    out.emplace_back(s.distribution);
    out.push_back(number_cell(s.first));
    out.push_back(number_cell(s.first_low));
    out.push_back(number_cell(s.first_high));
    out.push_back(number_cell(s.total));
    out.push_back(number_cell(s.total_low));
    out.push_back(number_cell(s.total_high));
    out.emplace_back(s.mean);
    out.emplace_back(s.variance);
    out.emplace_back(s.n);
    out.emplace_back(s.evaluations);
    out.emplace_back(s.bootstrap);
    out.emplace_back(s.confidence);
    out.emplace_back(static_cast<std::int64_t>(s.seed));
    out.emplace_back(s.censored);
    out.emplace_back(s.note);
}

using Rows = TypedRows<SobolRow>;

/// The Saltelli design: A and B (N x d, row-major) and the rows of the N (d + 2) evaluations:
/// block 0 is A, block 1 is B, block 2 + i is A_B^i.
struct Design {
    std::size_t N = 0, d = 0;
    std::vector<double> A, B;
    [[nodiscard]] std::size_t rows() const { return N * (d + 2); }
    void row(std::size_t r, double* x) const {
        const std::size_t b = r / N, j = r % N;
        const double* src = (b == 1 ? B.data() : A.data()) + j * d;
        std::copy(src, src + d, x);
        if (b >= 2) x[b - 2] = B[j * d + (b - 2)];
    }
};

class Sobol final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return sobol_keys(); }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {&table_def}; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec& base) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'sobol' ({n: 4096, bootstrap: 200, dates: [...]})"))
            return nullptr;
        const KeyBlock& k = sobol_keys();
        r.check_keys(n, k, "'sobol'");
        auto s = std::make_shared<SobolSpec>();
        s->kind = this;
        s->mark = r.mark(n);
        bool ok = true;
        if (const YAML::Node v = n["n"]) {
            if (auto x = r.integer_key(v, "sobol.n", k.at("n")))
                s->n = static_cast<std::size_t>(*x);
            else
                ok = false;
        }
        if (const YAML::Node v = n["bootstrap"]) {
            if (auto x = r.integer_key(v, "sobol.bootstrap", k.at("bootstrap")))
                s->bootstrap = static_cast<std::size_t>(*x);
            else
                ok = false;
        }
        if (const YAML::Node v = n["confidence"]) {
            if (auto x = r.real_key(v, "sobol.confidence", k.at("confidence")))
                s->confidence = *x;
            else
                ok = false;
        }
        if (const YAML::Node v = n["seed"]) {
            if (auto x = r.integer_key(v, "sobol.seed", k.at("seed")))
                s->seed = static_cast<std::uint64_t>(*x);
            else
                ok = false;
        }
        if (const YAML::Node ds = n["dates"]) {
            if (auto ts = r.times(ds, "sobol.dates", base.horizon))
                s->dates = std::move(*ts);
            else
                ok = false;
        }
        if (!ok) return nullptr;
        return s;
    }

    /// The checks that need the scenario's `sample:` block, which the loader reads after this
    /// block: at validation (check), as configuration errors at the block's position.
    void check(const AnalysisSpec& spec, const ScenarioSpec& sc, const Experiment& ex, Diagnostics& d) const override {
        try {
            check_config(dynamic_cast<const SobolSpec&>(spec), sc, ex);
        } catch (const ConfigError& e) {
            d.add(e.diagnostics.errors());
        }
    }

    /// The same checks before the scenario runs (an experiment made without the loader).
    [[nodiscard]] std::optional<ScenarioInstance> before_scenario(const AnalysisContext& ctx, const AnalysisSpec& spec,
                                                                  const ScenarioInstance& inst,
                                                                  std::any&) const override {
        check_config(dynamic_cast<const SobolSpec&>(spec), *inst.spec, ctx.experiment);
        return std::nullopt;
    }

    void after_scenario(const AnalysisContext& ctx, const AnalysisSpec& analysis_spec, const ScenarioResult& base,
                        const std::any&, TableSet& tables) const override;

private:
    /// Throws ConfigError, at the block, when the scenario cannot be analysed.
    static void check_config(const SobolSpec& s, const ScenarioSpec& sc, const Experiment& ex) {
        if (!find_analysis<SampleSpec>(sc))
            refuse(s.mark,
                   "sobol: scenario '" + sc.name + "' has no 'sample:' block, whose distributions sobol analyses",
                   {{"add sample: {n: ..., parameters: {<path>: {dist: ...}}} to the scenario; sobol takes its "
                     "parameters, distributions and seed from it",
                     {}}});
        const SampleSpec& smp = *find_analysis<SampleSpec>(sc);
        if (!smp.rank_correlation.empty())
            refuse(s.mark,
                   "sobol: the sample block of scenario '" + sc.name +
                       "' sets rank correlations; Sobol indices need independent parameters",
                   {{"the correlations are in this sample block (drop its 'correlations' for sobol)", smp.mark}});
        const std::size_t N = s.n.value_or(smp.n), d = smp.paths.size();
        const double evaluations = static_cast<double>(N) * static_cast<double>(d + 2);
        if (evaluations > static_cast<double>(ex.limits.max_samples))
            refuse(s.mark, fmt::format("sobol: N·(d + 2) = {}·{} = {} scenario evaluations; at most {} are allowed "
                                       "(the limit on Monte Carlo samples)",
                                       N, d + 2, static_cast<std::size_t>(evaluations), ex.limits.max_samples));
    }

    std::string key_ = "sobol";
};

/// f[k][r]: quantity k (targets, then L at each date) at evaluation row r of the design;
/// censored[k]: evaluations of target k that did not reach it by the horizon.
void evaluate(const AnalysisContext& ctx, const ScenarioSpec& sc, const SobolSpec& spec, const Design& dz,
              std::vector<std::vector<double>>& f, std::vector<std::size_t>& censored) {
    const ModelBuilder& models = ctx.models;
    const Experiment& ex = ctx.experiment;
    const SampleSpec& smp = *find_analysis<SampleSpec>(sc);
    const std::size_t nt = sc.targets.size(), nq = nt + spec.dates.size(), R = dz.rows(), d = dz.d;
    f.assign(nq, std::vector<double>(R, 0.0));
    const std::size_t chunk = 4096, chunks = (R + chunk - 1) / chunk;
    auto row_name = [&](std::size_t r) { return fmt::format("{} (sobol evaluation {})", sc.name, r); };

    // The targets by the reference's vectorised closed form, where it applies and accepts the
    // first row; else (and for the dates) one scenario per row.
    bool batched = false;
    auto batch_chunk = [&](std::size_t r0, std::size_t m, std::string& why) {
        std::vector<double> x(m * d);
        for (std::size_t q = 0; q < m; ++q) dz.row(r0 + q, &x[q * d]);
        std::vector<std::pair<std::string, plugin::Column>> varying;
        for (std::size_t j = 0; j < d; ++j) varying.emplace_back(smp.paths[j], plugin::Column{&x[j], d});
        std::vector<std::vector<double>> times;
        if (!detail::batch_times(models, sc, m, varying, times, why, [&](std::size_t q) { return row_name(r0 + q); }))
            return false;
        for (std::size_t k = 0; k < nt; ++k) std::copy(times[k].begin(), times[k].end(), f[k].begin() + r0);
        return true;
    };
    if (nt > 0 && R > 0 && detail::batch_applies(models, ex, sc, smp.paths)) {
        std::string why;
        batched = batch_chunk(0, 1, why);
    }

    std::vector<std::exception_ptr> failed(chunks);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1), [&](const tbb::blocked_range<std::size_t>& cr) {
        std::vector<double> x(d);
        for (std::size_t c = cr.begin(); c != cr.end(); ++c) {
            const std::size_t r0 = c * chunk, m = std::min(chunk, R - r0);
            std::size_t r = r0;
            try {
                check_interrupt();
                if (batched) {
                    std::string why;
                    if (!batch_chunk(r0, m, why))
                        throw RunError("reference '" + sc.reference->selection.type + "' declined rows " +
                                       std::to_string(r0) + " to " + std::to_string(r0 + m - 1) + ": " + why);
                    if (spec.dates.empty()) continue;
                }
                for (; r < r0 + m; ++r) {
                    dz.row(r, x.data());
                    std::vector<Assignment> as;
                    for (std::size_t j = 0; j < d; ++j)
                        as.push_back(Assignment{smp.paths[j], plugin::Value{x[j]}, {}, smp.dists[j].mark});
                    const ScenarioInstance inst = models.with_parameters(sc, as, sc.name, false);
                    if (!batched) {
                        const auto t = target_times(ex, inst);
                        for (std::size_t k = 0; k < nt; ++k)
                            f[k][r] = t[k] ? *t[k] : std::numeric_limits<double>::infinity();
                    }
                    for (std::size_t q = 0; q < spec.dates.size(); ++q)
                        f[nt + q][r] = inst.model.loss->loss(inst.model.log_C0 + log_ratio_at(ex, inst, spec.dates[q]));
                }
            } catch (const Interrupted&) {
                failed[c] = std::current_exception();
            } catch (const ConfigError& e) {
                const auto& ds = e.diagnostics.errors();
                failed[c] = std::make_exception_ptr(RunError(
                    "scenario '" + row_name(r) + "': " + (ds.empty() ? std::string(e.what()) : ds.front().message)));
            } catch (const std::exception& e) {
                failed[c] = std::make_exception_ptr(RunError("scenario '" + row_name(r) + "': " + e.what()));
            }
        }
    });
    for (const auto& e : failed)  // the first failure by row order, whatever the schedule
        if (e) std::rethrow_exception(e);

    // A target not reached by the horizon (or never) counts as reached at the horizon.
    censored.assign(nt, 0);
    for (std::size_t k = 0; k < nt; ++k)
        for (double& v : f[k])
            if (!std::isfinite(v)) {
                v = sc.horizon;
                ++censored[k];
            }
}

void Sobol::after_scenario(const AnalysisContext& ctx, const AnalysisSpec& analysis_spec, const ScenarioResult& base,
                           const std::any&, TableSet& tables) const {
    const auto& spec = dynamic_cast<const SobolSpec&>(analysis_spec);
    const ScenarioSpec& sc = *base.spec;
    const SampleSpec& smp = *find_analysis<SampleSpec>(sc);  // before_scenario checked it
    Design dz;
    dz.N = spec.n.value_or(smp.n);
    dz.d = smp.paths.size();
    const std::size_t N = dz.N, d = dz.d;
    SampleSpec draws = smp;
    draws.seed = spec.seed.value_or(smp.seed);
    dz.A.resize(N * d);
    dz.B.resize(N * d);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, N, 256), [&](const tbb::blocked_range<std::size_t>& jr) {
        for (std::size_t j = jr.begin(); j != jr.end(); ++j) {
            const auto a = draw(draws, j), b = draw(draws, N + j);
            std::copy(a.begin(), a.end(), dz.A.begin() + static_cast<std::ptrdiff_t>(j * d));
            std::copy(b.begin(), b.end(), dz.B.begin() + static_cast<std::ptrdiff_t>(j * d));
        }
    });

    std::vector<std::vector<double>> f;
    std::vector<std::size_t> censored;
    evaluate(ctx, sc, spec, dz, f, censored);
    const std::size_t nt = sc.targets.size(), nq = f.size();

    // Bootstrap: replicate b resamples the N rows with a generator of its own, seeded from
    // (seed, b); est[b][k * d + i] holds its indices (NaN where the variance vanishes).
    const std::size_t nb = spec.bootstrap;
    std::vector<std::vector<SobolIndices>> est(nb);
    if (nb > 0 && N > 0)
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nb, 1), [&](const tbb::blocked_range<std::size_t>& br) {
            std::vector<std::size_t> pick(N);
            for (std::size_t b = br.begin(); b != br.end(); ++b) {
                std::mt19937_64 g(splitmix64(splitmix64(draws.seed ^ 0x50B01B0075ull) ^ b));
                for (auto& p : pick)  // floor(u N) with u in [0, 1) from 53 bits: fully specified
                    p = std::min(N - 1, static_cast<std::size_t>(static_cast<double>(g() >> 11) * 0x1.0p-53 *
                                                                 static_cast<double>(N)));
                est[b].resize(nq * d);
                for (std::size_t k = 0; k < nq; ++k)
                    for (std::size_t i = 0; i < d; ++i)
                        est[b][k * d + i] =
                            jansen_indices(f[k].data(), f[k].data() + N, f[k].data() + (2 + i) * N, N, pick.data());
            }
        });

    auto out = std::make_unique<Rows>(table_def, render);
    const double lo_p = (1 - spec.confidence) / 2, hi_p = (1 + spec.confidence) / 2;
    for (std::size_t k = 0; k < nq; ++k) {
        const double* fk = f[k].data();
        const double V = saltelli_variance(fk, fk + N, N);
        double mean = 0;
        for (std::size_t j = 0; j < 2 * N; ++j) mean += fk[j];
        mean /= static_cast<double>(2 * N);
        for (std::size_t i = 0; i < d; ++i) {
            SobolRow r;
            r.scenario = sc.name;
            r.quantity = k < nt ? target_label(sc.targets[k]) : "L(t=" + plugin::math::format(spec.dates[k - nt]) + ")";
            r.parameter = smp.paths[i];
            r.distribution = smp.dists[i].describe();
            r.mean = mean;
            r.variance = V;
            r.n = static_cast<std::int64_t>(N);
            r.evaluations = static_cast<std::int64_t>(dz.rows());
            r.bootstrap = static_cast<std::int64_t>(nb);
            r.confidence = spec.confidence;
            r.seed = draws.seed;
            r.censored = k < nt && dz.rows() ? static_cast<double>(censored[k]) / static_cast<double>(dz.rows()) : 0;
            if (!(V > 0) || !std::isfinite(V)) {
                r.note = "the quantity does not vary over the samples: no index";
                out->rows.push_back(std::move(r));
                continue;
            }
            if (smp.dists[i].lowest() == smp.dists[i].highest()) {  // a constant explains nothing
                r.first = r.first_low = r.first_high = r.total = r.total_low = r.total_high = 0.0;
                r.note = "the parameter is constant: its indices are 0";
                out->rows.push_back(std::move(r));
                continue;
            }
            const SobolIndices s = jansen_indices(fk, fk + N, fk + (2 + i) * N, N);
            r.first = s.first;
            r.total = s.total;
            std::vector<double> s1, st;
            for (std::size_t b = 0; b < nb; ++b)
                if (std::isfinite(est[b][k * d + i].first)) {
                    s1.push_back(est[b][k * d + i].first);
                    st.push_back(est[b][k * d + i].total);
                }
            if (!s1.empty()) {
                std::sort(s1.begin(), s1.end());
                std::sort(st.begin(), st.end());
                r.first_low = quantile_type7(s1, lo_p);
                r.first_high = quantile_type7(s1, hi_p);
                r.total_low = quantile_type7(st, lo_p);
                r.total_high = quantile_type7(st, hi_p);
            }
            if (k < nt && censored[k] > 0)
                r.note = fmt::format(
                    "{} of {} evaluations do not reach the target by the horizon: their time is the "
                    "horizon, {} yr",
                    censored[k], dz.rows(), plugin::math::format(sc.horizon));
            out->rows.push_back(std::move(r));
        }
    }
    tables.push_back(std::move(out));
}

}  // namespace

double saltelli_variance(const double* fA, const double* fB, std::size_t N, const std::size_t* rows) {
    if (N == 0) return 0;
    auto at = [&](const double* f, std::size_t j) { return f[rows ? rows[j] : j]; };
    double mean = 0;
    for (std::size_t j = 0; j < N; ++j) mean += at(fA, j) + at(fB, j);
    mean /= static_cast<double>(2 * N);
    double ss = 0;  // two passes: no cancellation
    for (std::size_t j = 0; j < N; ++j) {
        const double a = at(fA, j) - mean, b = at(fB, j) - mean;
        ss += a * a + b * b;
    }
    return ss / static_cast<double>(2 * N - 1);
}

SobolIndices jansen_indices(const double* fA, const double* fB, const double* fABi, std::size_t N,
                            const std::size_t* rows) {
    const double V = saltelli_variance(fA, fB, N, rows);
    if (!(V > 0)) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
    double sb = 0, sa = 0;
    for (std::size_t j = 0; j < N; ++j) {
        const std::size_t q = rows ? rows[j] : j;
        const double db = fB[q] - fABi[q], da = fA[q] - fABi[q];
        sb += db * db;
        sa += da * da;
    }
    const double twoN = 2 * static_cast<double>(N);
    return {(V - sb / twoN) / V, sa / twoN / V};
}

const Analysis& sobol_analysis() {
    static const Sobol module;
    return module;
}

}  // namespace racesim
