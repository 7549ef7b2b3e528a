// Monte Carlo over a scenario's parameters: each sample is the scenario with its drawn values,
// instantiated and integrated to its targets only. Samples run in parallel (oneTBB) and are
// handed to the sink in order; a draw depends only on (seed, index), so the results are the
// same whatever the number of threads.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "racesim/analyses/sample.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/batch.hpp"
#include "racesim/run/ordered_pipeline.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

namespace {

/// Sample i's drawn values as assignments (no text: a sample has no name, and messages format
/// the value).
std::vector<Assignment> assignments_of(const SampleSpec& s, const std::vector<double>& x) {
    std::vector<Assignment> as;
    for (std::size_t j = 0; j < s.paths.size(); ++j)
        as.push_back(Assignment{s.paths[j], plugin::Value{x[j]}, {}, s.dists[j].mark});
    return as;
}

/// The exception in flight, as the RunError of sample i (an interruption stays one).
std::exception_ptr sample_error(const ScenarioSpec& sc, std::size_t i) {
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
    return std::make_exception_ptr(RunError("scenario '" + sc.name + "', Monte Carlo sample " + std::to_string(i) +
                                            " (seed " + std::to_string(find_analysis<SampleSpec>(sc)->seed) +
                                            "): " + msg));
}

// clang-format off
const TableDef bands_table{"bands", {
    {"scenario", "", "the sampled scenario", CellKind::text},
    {"t", "yr", "an output time of the scenario"},
    {"percentile", "%", "the percentile over the samples (sample.bands)"},
    {"C", "PFLOP", "that percentile of the cumulative compute C(t)"},
    {"L", "nats/token", "that percentile of the loss L(C(t))"},
    {"R", "1", "that percentile of the relative loss L(C(t)) / L(C0)"},
}};
// clang-format on

void render_band(const BandRow& b, std::vector<Cell>& out) {
    out.emplace_back(b.scenario);
    out.emplace_back(b.t);
    out.emplace_back(b.percentile);
    out.emplace_back(b.C);
    out.emplace_back(b.L);
    out.emplace_back(b.R);
}

/// At most this many sample-times in one scenario's bands: three doubles each are kept.
constexpr std::size_t max_band_values = std::size_t{1} << 26;

/// The bands of a scenario with `sample.bands`: every sample's trajectory on the scenario's
/// output grid (C, L and R), kept, then at each output time the exact percentiles over the
/// samples (type 7). The samples run in parallel; the result does not depend on the threads.
std::shared_ptr<const TableRows> bands(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc,
                                       const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::vector<double> grid = output_grid(ex, sc);
    const std::size_t n = s.n, m = grid.size(), nb = s.bands.size();
    if (n > max_band_values / m)
        throw RunError("scenario '" + sc.name + "': sample.bands keeps every sample's trajectory, and " +
                       std::to_string(n) + " samples x " + std::to_string(m) + " output times is more than " +
                       std::to_string(max_band_values) + " (" + std::to_string(max_band_values * 24 >> 20) +
                       " MiB); use fewer samples or a coarser output.every");
    std::vector<double> C(n * m), L(n * m), R(n * m);  // time-major: [j·n + i]
    struct Trajectory {
        std::size_t i = 0;
        std::vector<double> C, L, R;
    };
    detail::ordered_parallel<Trajectory>(
        n,
        [&](std::size_t i) {
            check_interrupt();
            const ScenarioInstance inst = models.with_parameters(sc, assignments_of(s, draw(s, i)), sc.name, false);
            const Model& md = inst.model;
            const std::vector<double> u = log_ratios_at(ex, inst, grid);
            Trajectory out{i, std::vector<double>(m), std::vector<double>(m), std::vector<double>(m)};
            for (std::size_t j = 0; j < m; ++j) {
                const double log_C = md.log_C0 + u[j];
                out.C[j] = std::exp(log_C);
                out.L[j] = md.loss->loss(log_C);
                out.R[j] = out.L[j] / md.L_start;
                if (!std::isfinite(out.C[j]) || !std::isfinite(out.L[j]) || !std::isfinite(out.R[j]))
                    throw RunError("at t = " + plugin::math::format(grid[j]) +
                                   " yr its trajectory leaves the range of a double (ln(C/C0) = " +
                                   plugin::math::format(u[j]) + "); shorten the horizon");
            }
            return out;
        },
        [&](const Trajectory& tr) {
            for (std::size_t j = 0; j < m; ++j) {
                C[j * n + tr.i] = tr.C[j];
                L[j * n + tr.i] = tr.L[j];
                R[j * n + tr.i] = tr.R[j];
            }
        },
        [&](std::size_t i) { return sample_error(sc, i); },
        [&](std::size_t k) {
            if (done) done(k);
        });
    auto out = std::make_shared<TypedRows<BandRow>>(bands_table, render_band);
    out->rows.resize(m * nb);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, m), [&](const tbb::blocked_range<std::size_t>& r) {
        std::vector<double> col(n);
        for (std::size_t j = r.begin(); j != r.end(); ++j) {
            for (std::size_t k = 0; k < nb; ++k) {
                BandRow& row = out->rows[j * nb + k];
                row.scenario = sc.name;
                row.t = grid[j];
                row.percentile = s.bands[k];
            }
            for (auto [values, member] : {std::pair{&C, &BandRow::C}, {&L, &BandRow::L}, {&R, &BandRow::R}}) {
                std::copy_n(values->begin() + static_cast<std::ptrdiff_t>(j * n), n, col.begin());
                std::sort(col.begin(), col.end());
                for (std::size_t k = 0; k < nb; ++k)
                    out->rows[j * nb + k].*member = quantile_type7(col, s.bands[k] / 100);
            }
        }
    });
    return out;
}

// clang-format off
const TableDef conditional_table{"conditional", {
    {"scenario", "", "the sampled scenario", CellKind::text},
    {"condition", "", "the condition: a target reached by a time", CellKind::text},
    {"met", "samples", "samples that meet it", CellKind::integer},
    {"share", "1", "met / n"},
    {"quantity", "", "a sampled path, or a target's time ('<target> time')", CellKind::text},
    {"given", "", "over all samples ('all') or over those that meet the condition ('met')", CellKind::word},
    {"samples", "samples", "samples in the set", CellKind::integer},
    {"reached", "samples", "for a time: samples of the set that reach the target; for an input: the set's samples",
     CellKind::integer},
    {"mean", "as the quantity", "the mean (for a time: over the samples that reach it)"},
    {"p5", "as the quantity", "5th percentile (type 7; empty: among the samples that do not reach it)"},
    {"p10", "as the quantity", "10th percentile"},
    {"p25", "as the quantity", "25th percentile"},
    {"p50", "as the quantity", "median"},
    {"p75", "as the quantity", "75th percentile"},
    {"p90", "as the quantity", "90th percentile"},
    {"p95", "as the quantity", "95th percentile"},
}, true};
// clang-format on

void render_conditional(const ConditionalRow& r, std::vector<Cell>& out) {
    out.emplace_back(r.scenario);
    out.emplace_back(r.condition);
    out.emplace_back(r.met);
    out.emplace_back(r.share);
    out.emplace_back(r.quantity);
    out.emplace_back(r.given);
    out.emplace_back(r.samples);
    out.emplace_back(r.reached);
    out.push_back(r.mean ? Cell{*r.mean} : Cell{});
    for (const auto& q : r.quantiles) out.push_back(q ? Cell{*q} : Cell{});
}

/// The conditional forecasts of a scenario with `sample.conditions`, from every sample's times
/// (per target, per sample; +inf when not reached). The inputs are drawn again: a draw depends
/// only on (seed, index).
std::shared_ptr<const TableRows> conditionals(const ScenarioSpec& sc, const std::vector<std::vector<double>>& times) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t n = s.n, d = s.paths.size();
    std::vector<double> x(n * d);  // sample-major
    for (std::size_t i = 0; i < n; ++i) {
        const std::vector<double> v = draw(s, i);
        std::copy(v.begin(), v.end(), x.begin() + static_cast<std::ptrdiff_t>(i * d));
    }
    auto out = std::make_shared<TypedRows<ConditionalRow>>(conditional_table, render_conditional);
    std::vector<double> set;
    for (const auto& c : s.conditions) {
        std::vector<bool> met(n);
        std::int64_t count = 0;
        for (std::size_t i = 0; i < n; ++i) count += (met[i] = times[c.target][i] <= c.by) ? 1 : 0;
        const std::string label = target_label(sc.targets[c.target]) + " by " + plugin::math::format(c.by) + " yr";
        auto row = [&](const std::string& quantity, bool given_met, bool is_time) {
            ConditionalRow r{sc.name,
                             label,
                             count,
                             n ? static_cast<double>(count) / static_cast<double>(n) : 0,
                             quantity,
                             given_met ? "met" : "all",
                             0,
                             0,
                             std::nullopt,
                             {}};
            std::sort(set.begin(), set.end());
            r.samples = static_cast<std::int64_t>(set.size());
            double sum = 0;
            for (const double v : set)
                if (std::isfinite(v)) ++r.reached, sum += v;
            if (r.reached) r.mean = sum / static_cast<double>(r.reached);
            for (const double p : time_quantile_probabilities)
                r.quantiles.push_back(set.empty() ? std::nullopt
                                      : is_time   ? quantile_censored(set, p)
                                                  : std::optional<double>(quantile_type7(set, p)));
            out->rows.push_back(std::move(r));
        };
        for (const bool given_met : {false, true}) {
            for (std::size_t j = 0; j < d; ++j) {
                set.clear();
                for (std::size_t i = 0; i < n; ++i)
                    if (!given_met || met[i]) set.push_back(x[i * d + j]);
                row(s.paths[j], given_met, false);
            }
            for (std::size_t k = 0; k < sc.targets.size(); ++k) {
                set.clear();
                for (std::size_t i = 0; i < n; ++i)
                    if (!given_met || met[i]) set.push_back(times[k][i]);
                row(target_label(sc.targets[k]) + " time", given_met, true);
            }
        }
    }
    return out;
}

/// Each sample instantiated and integrated (or evaluated) on its own; times into r.times.
void sample_by_sample(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                      const std::function<void(std::size_t)>& done, MonteCarloResult& r) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t n = s.n, nt = sc.targets.size();
    struct Sample {
        std::size_t index;
        std::vector<double> x, times;
    };
    detail::ordered_parallel<Sample>(
        n,
        [&](std::size_t i) {
            check_interrupt();
            Sample out{i, draw(s, i), std::vector<double>(nt, std::numeric_limits<double>::infinity())};
            const auto t = target_times(ex, models.with_parameters(sc, assignments_of(s, out.x), sc.name, false));
            for (std::size_t k = 0; k < nt; ++k)
                if (t[k]) out.times[k] = *t[k];
            return out;
        },
        [&](const Sample& smp) {
            for (std::size_t k = 0; k < nt; ++k) r.times[k][smp.index] = smp.times[k];
            sink.sample(sc, smp.index, smp.x, smp.times);
        },
        [&](std::size_t i) { return sample_error(sc, i); },
        [&](std::size_t k) {
            if (done) done(k);
        });
}

}  // namespace

MonteCarloResult monte_carlo(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                             const std::function<void(std::size_t)>& done, bool keep_times) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
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
    if (!s.conditions.empty()) r.tables.push_back(conditionals(sc, r.times));
    if (keep_times) {
        r.stats = monte_carlo_stats(sc, r.times);
    } else {
        r.stats = monte_carlo_stats(sc, std::move(r.times));
        r.times.clear();
    }
    if (!s.bands.empty()) r.tables.push_back(bands(models, ex, sc, done));
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
        for (const double p : time_quantile_probabilities) st.quantiles.emplace_back(p, quantile_censored(t, p));
        for (const double date : find_analysis<SampleSpec>(sc)->dates) {
            const auto c = std::upper_bound(t.begin(), t.end(), date) - t.begin();
            st.reached_by.emplace_back(date, static_cast<double>(c) / static_cast<double>(st.n));
        }
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace racesim
