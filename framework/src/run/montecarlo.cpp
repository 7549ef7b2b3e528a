// Monte Carlo over a scenario's parameters: each sample is the scenario with its drawn values,
// instantiated and integrated to its targets only. Samples run in parallel (oneTBB) and are
// handed to the sink in order; a draw depends only on (seed, index), so the results are the
// same whatever the number of threads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "batch.hpp"
#include "ordered_pipeline.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

namespace {

/// Each sample instantiated and integrated (or evaluated) on its own; times into r.times.
void sample_by_sample(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                      const std::function<void(std::size_t)>& done, MonteCarloResult& r) {
    const SampleSpec& s = *sc.sample;
    const std::size_t d = s.paths.size(), n = s.n, nt = sc.targets.size();
    struct Sample {
        std::size_t index;
        std::vector<double> x, times;
    };
    detail::ordered_parallel<Sample>(
        n,
        [&](std::size_t i) {
            check_interrupt();
            Sample out{i, draw(s, i), std::vector<double>(nt, std::numeric_limits<double>::infinity())};
            std::vector<Assignment> as;  // no text: a sample has no name, and messages format the value
            for (std::size_t j = 0; j < d; ++j)
                as.push_back(Assignment{s.paths[j], plugin::Value{out.x[j]}, {}, s.dists[j].mark});
            const auto t = target_times(ex, models.with_parameters(sc, as, sc.name, false));
            for (std::size_t k = 0; k < nt; ++k)
                if (t[k]) out.times[k] = *t[k];
            return out;
        },
        [&](const Sample& smp) {
            for (std::size_t k = 0; k < nt; ++k) r.times[k][smp.index] = smp.times[k];
            sink.sample(sc, smp.index, smp.x, smp.times);
        },
        [&](std::size_t i) -> std::exception_ptr {
            std::string msg;
            try {
                throw;
            } catch (const Interrupted&) {
                return std::current_exception();
            } catch (const ConfigError& e) {
                const auto& ds = e.diagnostics.errors();
                msg = ds.empty() ? std::string(e.what()) : ds.front().message;
            } catch (const std::exception& e) {
                msg = e.what();
            }
            return std::make_exception_ptr(RunError("scenario '" + sc.name + "', Monte Carlo sample " +
                                                    std::to_string(i) + " (seed " + std::to_string(s.seed) +
                                                    "): " + msg));
        },
        [&](std::size_t k) {
            if (done) done(k);
        });
}

}  // namespace

MonteCarloResult monte_carlo(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                             const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *sc.sample;
    const std::size_t d = s.paths.size(), n = s.n, nt = sc.targets.size();
    MonteCarloResult r;
    r.spec = &sc;
    // Kept while the samples run: one double per sample and target, for the exact quantiles
    // (then sorted in place and freed). The draws go to the sink.
    r.times.resize(nt);
    for (auto& t : r.times) t.assign(n, std::numeric_limits<double>::infinity());  // no temporary copy
    // The closed form over chunks of samples at once, where the reference offers it: the
    // draws, row-major, are its columns. nullopt when the reference declines them.
    struct Chunk {
        std::size_t i0 = 0, m = 0;
        std::vector<double> draws;               // m x d
        std::vector<std::vector<double>> times;  // per target, per sample
    };
    auto batch_chunk = [&](std::size_t i0, std::size_t m, std::string& why) -> std::optional<Chunk> {
        Chunk out{i0, m, std::vector<double>(m * d), {}};
        for (std::size_t q = 0; q < m; ++q) {
            const std::vector<double> x = draw(s, i0 + q);
            std::copy(x.begin(), x.end(), out.draws.begin() + static_cast<std::ptrdiff_t>(q * d));
        }
        std::vector<std::pair<std::string, plugin::Column>> varying;
        for (std::size_t j = 0; j < d; ++j) varying.emplace_back(s.paths[j], plugin::Column{&out.draws[j], d});
        if (!detail::batch_times(models, sc, m, varying, out.times, why, [&](std::size_t q) {
                return sc.name + " (Monte Carlo sample " + std::to_string(i0 + q) + ")";
            }))
            return std::nullopt;
        return out;
    };
    std::string why;  // the reference must accept the first sample, tried now (else sample by sample)
    if (detail::batch_applies(models, ex, sc, s.paths) && n > 0 && batch_chunk(0, 1, why)) {
        const std::size_t chunk = 4096;
        detail::ordered_parallel<Chunk>(
            (n + chunk - 1) / chunk,
            [&](std::size_t c) {
                check_interrupt();
                const std::size_t i0 = c * chunk, m = std::min(chunk, n - i0);
                std::string declined;
                auto out = batch_chunk(i0, m, declined);
                if (!out)
                    throw RunError("scenario '" + sc.name + "': reference '" + sc.reference->selection.type +
                                   "' declined the Monte Carlo samples " + std::to_string(i0) + " to " +
                                   std::to_string(i0 + m - 1) + ": " + declined);
                if (done) done(m);
                return std::move(*out);
            },
            [&](const Chunk& ch) {
                std::vector<double> x(d), t(nt);
                for (std::size_t q = 0; q < ch.m; ++q) {
                    std::copy_n(ch.draws.begin() + static_cast<std::ptrdiff_t>(q * d), d, x.begin());
                    for (std::size_t k = 0; k < nt; ++k) {
                        const double v = ch.times[k][q];  // NaN (never reached) counts as not reached
                        t[k] = std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
                        r.times[k][ch.i0 + q] = t[k];
                    }
                    sink.sample(sc, ch.i0 + q, x, t);
                }
            },
            [](std::size_t) { return std::current_exception(); }, [](std::size_t) {});
    } else {
        sample_by_sample(models, ex, sc, sink, done, r);
    }
    r.stats = monte_carlo_stats(sc, std::move(r.times));
    r.times.clear();
    return r;
}

std::vector<MonteCarloTargetStats> monte_carlo_stats(const ScenarioSpec& sc, std::vector<std::vector<double>> times) {
    std::vector<MonteCarloTargetStats> out;
    for (std::size_t k = 0; k < times.size(); ++k) {
        MonteCarloTargetStats st;
        st.target = target_label(sc.targets[k]);
        std::vector<double>& t = times[k];
        std::sort(t.begin(), t.end());
        st.n = t.size();
        double sum = 0;
        for (double x : t)
            if (std::isfinite(x)) {
                ++st.reached;
                sum += x;
            }
        if (st.reached) st.mean_if_reached = sum / static_cast<double>(st.reached);
        // Quantiles by linear interpolation between order statistics (Hyndman-Fan type 7);
        // a quantile that falls among the samples not reached by the horizon has no value.
        for (const double p : {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95}) {
            const double h = (static_cast<double>(st.n) - 1) * p;
            const auto lo = static_cast<std::size_t>(std::floor(h)), hi = std::min(lo + 1, st.n - 1);
            const double v = t[lo] + (h - static_cast<double>(lo)) * (t[hi] - t[lo]);
            st.quantiles.emplace_back(p, std::isfinite(t[hi]) ? std::optional<double>(v) : std::nullopt);
        }
        for (const double date : sc.sample->dates) {
            const auto c = std::upper_bound(t.begin(), t.end(), date) - t.begin();
            st.reached_by.emplace_back(date, static_cast<double>(c) / static_cast<double>(st.n));
        }
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace racesim
