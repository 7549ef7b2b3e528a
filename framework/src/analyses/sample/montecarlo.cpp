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

/// Refuses bands that would keep more than max_band_values sample-times.
void check_band_size(const ScenarioSpec& sc, std::size_t n, std::size_t m) {
    if (n > max_band_values / m)
        throw RunError("scenario '" + sc.name + "': sample.bands keeps every sample's trajectory, and " +
                       std::to_string(n) + " samples x " + std::to_string(m) + " output times is more than " +
                       std::to_string(max_band_values) + " (" + std::to_string(max_band_values * 24 >> 20) +
                       " MiB); use fewer samples or a coarser output.every");
}

/// A sample's trajectory on the scenario's output grid: C, L and R at each output time.
struct BandTrajectory {
    std::size_t i = 0;
    std::vector<double> C, L, R;
};

/// The trajectories of samples [i0, i1) on `grid`, in parallel, handed to `each` in order.
void band_trajectories(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc,
                       const std::vector<double>& grid, std::size_t i0, std::size_t i1,
                       const std::function<void(const BandTrajectory&)>& each,
                       const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t m = grid.size();
    detail::ordered_parallel<BandTrajectory>(
        i1 - i0,
        [&](std::size_t q) {
            check_interrupt();
            const std::size_t i = i0 + q;
            const ScenarioInstance inst = models.with_parameters(sc, assignments_of(s, draw(s, i)), sc.name, false);
            const Model& md = inst.model;
            const std::vector<double> u = log_ratios_at(ex, inst, grid);
            BandTrajectory out{i, std::vector<double>(m), std::vector<double>(m), std::vector<double>(m)};
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
        each, [&](std::size_t q) { return sample_error(sc, i0 + q); },
        [&](std::size_t k) {
            if (done) done(k);
        });
}

/// Every sample's C, L and R at each output time, time-major ([j·n + i]).
struct BandValues {
    std::size_t n = 0;
    std::vector<double> C, L, R;
    BandValues(std::size_t n_, std::size_t m) : n(n_), C(n_ * m), L(n_ * m), R(n_ * m) {}
    void add(const BandTrajectory& tr) {
        for (std::size_t j = 0; j < tr.C.size(); ++j) {
            C[j * n + tr.i] = tr.C[j];
            L[j * n + tr.i] = tr.L[j];
            R[j * n + tr.i] = tr.R[j];
        }
    }
};

/// The bands' rows: at each output time, the exact percentiles (type 7) over the samples.
std::shared_ptr<const TableRows> band_rows(const ScenarioSpec& sc, const std::vector<double>& grid,
                                           const BandValues& v) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t n = v.n, m = grid.size(), nb = s.bands.size();
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
            for (auto [values, member] : {std::pair{&v.C, &BandRow::C}, {&v.L, &BandRow::L}, {&v.R, &BandRow::R}}) {
                std::copy_n(values->begin() + static_cast<std::ptrdiff_t>(j * n), n, col.begin());
                std::sort(col.begin(), col.end());
                for (std::size_t k = 0; k < nb; ++k)
                    out->rows[j * nb + k].*member = quantile_type7(col, s.bands[k] / 100);
            }
        }
    });
    return out;
}

/// The bands of a scenario with `sample.bands`: every sample's trajectory on the scenario's
/// output grid (C, L and R), kept, then at each output time the exact percentiles over the
/// samples (type 7). The samples run in parallel; the result does not depend on the threads.
std::shared_ptr<const TableRows> bands(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc,
                                       const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::vector<double> grid = output_grid(ex, sc);
    check_band_size(sc, s.n, grid.size());
    BandValues v(s.n, grid.size());
    band_trajectories(
        models, ex, sc, grid, 0, s.n, [&](const BandTrajectory& tr) { v.add(tr); }, done);
    return band_rows(sc, grid, v);
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
    // (if/else, not ?: between two Cells: GCC 12 then warns of an uninitialised string)
    if (r.mean)
        out.emplace_back(*r.mean);
    else
        out.emplace_back();
    for (const auto& q : r.quantiles) {
        if (q)
            out.emplace_back(*q);
        else
            out.emplace_back();
    }
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

/// Receives sample i's drawn values and its time to each target (+inf: not reached).
using EachSample = std::function<void(std::size_t i, const std::vector<double>& x, const std::vector<double>& times)>;

/// Samples [i0, i1), each instantiated and integrated (or evaluated) on its own, in parallel,
/// handed to `each` in order.
void sample_by_sample(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, std::size_t i0,
                      std::size_t i1, const EachSample& each, const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t nt = sc.targets.size();
    struct Sample {
        std::size_t index;
        std::vector<double> x, times;
    };
    detail::ordered_parallel<Sample>(
        i1 - i0,
        [&](std::size_t q) {
            check_interrupt();
            const std::size_t i = i0 + q;
            Sample out{i, draw(s, i), std::vector<double>(nt, std::numeric_limits<double>::infinity())};
            const auto t = target_times(ex, models.with_parameters(sc, assignments_of(s, out.x), sc.name, false));
            for (std::size_t k = 0; k < nt; ++k)
                if (t[k]) out.times[k] = *t[k];
            return out;
        },
        [&](const Sample& smp) { each(smp.index, smp.x, smp.times); },
        [&](std::size_t q) { return sample_error(sc, i0 + q); },
        [&](std::size_t k) {
            if (done) done(k);
        });
}

/// Samples [i0, i1) of a scenario, handed to `each` in order: by the reference's vectorised
/// closed form over chunks of samples where it offers it, else sample by sample.
void sample_range(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, std::size_t i0,
                  std::size_t i1, const EachSample& each, const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t d = s.paths.size(), n = s.n, nt = sc.targets.size();
    // The closed form over chunks of samples at once, where the reference offers it: the
    // draws, row-major, are its columns. nullopt when the reference declines them.
    struct Chunk {
        std::size_t i0 = 0, m = 0;
        std::vector<double> draws;               // m x d
        std::vector<std::vector<double>> times;  // per target, per sample
    };
    auto batch_chunk = [&](std::size_t c0, std::size_t m, std::string& why) -> std::optional<Chunk> {
        Chunk out{c0, m, std::vector<double>(m * d), {}};
        for (std::size_t q = 0; q < m; ++q) {
            const std::vector<double> x = draw(s, c0 + q);
            std::copy(x.begin(), x.end(), out.draws.begin() + static_cast<std::ptrdiff_t>(q * d));
        }
        std::vector<std::pair<std::string, plugin::Column>> varying;
        for (std::size_t j = 0; j < d; ++j) varying.emplace_back(s.paths[j], plugin::Column{&out.draws[j], d});
        if (!detail::batch_times(models, sc, m, varying, out.times, why, [&](std::size_t q) {
                return sc.name + " (Monte Carlo sample " + std::to_string(c0 + q) + ")";
            }))
            return std::nullopt;
        return out;
    };
    // The reference must accept the first sample of the run, tried now (else sample by sample):
    // every part of a split run decides alike.
    std::string why;
    if (detail::batch_applies(models, ex, sc, s.paths) && n > 0 && batch_chunk(0, 1, why)) {
        const std::size_t chunk = 4096;
        detail::ordered_parallel<Chunk>(
            (i1 - i0 + chunk - 1) / chunk,
            [&](std::size_t c) {
                check_interrupt();
                const std::size_t c0 = i0 + c * chunk, m = std::min(chunk, i1 - c0);
                std::string declined;
                auto out = batch_chunk(c0, m, declined);
                if (!out)
                    throw RunError("scenario '" + sc.name + "': reference '" + sc.reference->selection.type +
                                   "' declined the Monte Carlo samples " + std::to_string(c0) + " to " +
                                   std::to_string(c0 + m - 1) + ": " + declined);
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
                    }
                    each(ch.i0 + q, x, t);
                }
            },
            [](std::size_t) { return std::current_exception(); }, [](std::size_t) {});
    } else {
        sample_by_sample(models, ex, sc, i0, i1, each, done);
    }
}

/// What a Monte Carlo run makes of every sample's times (per target, per sample): the
/// conditional forecasts and the statistics, into r (r.times kept when `keep_times`).
void finish(const ScenarioSpec& sc, MonteCarloResult& r, bool keep_times) {
    if (!find_analysis<SampleSpec>(sc)->conditions.empty()) r.tables.push_back(conditionals(sc, r.times));
    if (keep_times) {
        r.stats = monte_carlo_stats(sc, r.times);
    } else {
        r.stats = monte_carlo_stats(sc, std::move(r.times));
        r.times.clear();
    }
}

/// A result with room for every sample's times (+inf until known).
MonteCarloResult empty_result(const ScenarioSpec& sc) {
    MonteCarloResult r;
    r.spec = &sc;
    // Kept while the samples run: one double per sample and target, for the exact quantiles
    // (then sorted in place and freed). The draws go to the sink.
    r.times.resize(sc.targets.size());
    for (auto& t : r.times) t.assign(find_analysis<SampleSpec>(sc)->n, std::numeric_limits<double>::infinity());
    return r;
}

}  // namespace

MonteCarloResult monte_carlo(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, RunSink& sink,
                             const std::function<void(std::size_t)>& done, bool keep_times) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    MonteCarloResult r = empty_result(sc);
    sample_range(
        models, ex, sc, 0, s.n,
        [&](std::size_t i, const std::vector<double>& x, const std::vector<double>& t) {
            for (std::size_t k = 0; k < t.size(); ++k) r.times[k][i] = t[k];
            sink.sample(sc, i, x, t);
        },
        done);
    finish(sc, r, keep_times);
    if (!s.bands.empty()) r.tables.push_back(bands(models, ex, sc, done));
    return r;
}

void monte_carlo_part(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, std::size_t unit0,
                      std::size_t first, std::size_t last, JournalWriter& out,
                      const std::function<void(std::size_t)>& done) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t n = s.n;
    // Units [0, n): the samples; [n, 2n) with bands: their trajectories. A record holds the
    // times of up to 4096 consecutive samples (their drawn values are drawn again when read:
    // a draw depends only on the seed and the index).
    if (first < n) {
        const std::size_t nt = sc.targets.size(), block = 4096;
        std::size_t from = first, m = 0;
        std::vector<double> times;
        auto flush = [&] {
            out.record(journal_tag::after_run, unit0 + from);
            out.u64(m);
            out.f64s(times);
            from += m;
            m = 0;
            times.clear();
        };
        sample_range(
            models, ex, sc, first, std::min(last, n),
            [&](std::size_t, const std::vector<double>&, const std::vector<double>& t) {
                times.insert(times.end(), t.begin(), t.begin() + static_cast<std::ptrdiff_t>(nt));
                if (++m == block) flush();
            },
            done);
        if (m > 0) flush();
    }
    if (last > n) {
        const std::vector<double> grid = output_grid(ex, sc);
        check_band_size(sc, n, grid.size());
        band_trajectories(
            models, ex, sc, grid, std::max(first, n) - n, last - n,
            [&](const BandTrajectory& tr) {
                out.record(journal_tag::after_run, unit0 + n + tr.i);
                out.f64s(tr.C);
                out.f64s(tr.L);
                out.f64s(tr.R);
            },
            done);
    }
}

MonteCarloResult monte_carlo_replay(const Experiment& ex, const ScenarioSpec& sc, std::size_t unit0, JournalReader& in,
                                    RunSink& sink, bool keep_times) {
    const SampleSpec& s = *find_analysis<SampleSpec>(sc);
    const std::size_t n = s.n, nt = sc.targets.size(), d = s.paths.size();
    MonteCarloResult r = empty_result(sc);
    std::vector<double> t(nt), x(d), xs;
    for (std::size_t i = 0; i < n;) {
        in.expect(journal_tag::after_run, unit0 + i);
        const std::uint64_t m = in.u64();
        const std::vector<double> times = in.f64s();
        if (m == 0 || m > n - i || times.size() != m * nt)
            in.fail("a record of " + std::to_string(m) + " Monte Carlo samples of scenario '" + sc.name +
                    "' from sample " + std::to_string(i) + " with " + std::to_string(times.size()) +
                    " times (a journal of another config?)");
        xs.resize(m * d);
        // The draws again, in parallel (a draw seeds its own generator: most of a replay's time).
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, m), [&](const tbb::blocked_range<std::size_t>& b) {
            for (std::size_t q = b.begin(); q != b.end(); ++q) {
                const std::vector<double> v = draw(s, i + q);
                std::copy(v.begin(), v.end(), xs.begin() + static_cast<std::ptrdiff_t>(q * d));
            }
        });
        for (std::size_t q = 0; q < m; ++q, ++i) {
            std::copy_n(xs.begin() + static_cast<std::ptrdiff_t>(q * d), d, x.begin());
            std::copy_n(times.begin() + static_cast<std::ptrdiff_t>(q * nt), nt, t.begin());
            for (std::size_t k = 0; k < nt; ++k) r.times[k][i] = t[k];
            sink.sample(sc, i, x, t);
        }
    }
    finish(sc, r, keep_times);
    if (!s.bands.empty()) {
        const std::vector<double> grid = output_grid(ex, sc);
        check_band_size(sc, n, grid.size());
        BandValues v(n, grid.size());
        BandTrajectory tr;
        for (std::size_t i = 0; i < n; ++i) {
            in.expect(journal_tag::after_run, unit0 + n + i);
            tr.i = i;
            tr.C = in.f64s();
            tr.L = in.f64s();
            tr.R = in.f64s();
            if (tr.C.size() != grid.size() || tr.L.size() != grid.size() || tr.R.size() != grid.size())
                in.fail("the trajectory of Monte Carlo sample " + std::to_string(i) + " of scenario '" + sc.name +
                        "' has another output grid (a journal of another config?)");
            v.add(tr);
        }
        r.tables.push_back(band_rows(sc, grid, v));
    }
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
