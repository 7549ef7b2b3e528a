// What a run produces, as plain values: a scenario's trajectory (as columns), its targets, goal
// seek rows, the rows of analysis tables, the rows of a vectorised sweep, Monte Carlo samples and statistics,
// and comparisons. Sinks (racesim/run/sink.hpp) receive these; nothing here knows file formats.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "racesim/analysis/compare.hpp"
#include "racesim/config/experiment.hpp"
#include "racesim/config/sample.hpp"
#include "racesim/integrate/integrator.hpp"
#include "racesim/run/analysis.hpp"

namespace racesim {

/// A trajectory on its output grid, one column per quantity (row i of every column is time
/// t[i]). Units: t in yr, C in PFLOP, E in PFLOP/yr/MW, P in MW, L in nats/token, R = L/L(C0).
struct Trajectory {
    std::vector<double> t, C, E, P, L, R;
    /// With a reference model: R of the exact solution and |R/R_ref - 1|; empty without one.
    std::vector<double> R_ref, rel_err;
    /// One column per auxiliary quantity of the loss law (Model::auxiliary), in its order.
    std::vector<std::vector<double>> aux;
    /// With `algorithms:`: A(t) and the physical compute C_physical(t) (PFLOP); empty without.
    /// C is then effective compute.
    std::vector<double> A, C_physical;

    [[nodiscard]] std::size_t size() const { return t.size(); }
    [[nodiscard]] bool empty() const { return t.empty(); }
    [[nodiscard]] bool has_reference() const { return !R_ref.empty(); }
    [[nodiscard]] bool has_algorithms() const { return !A.empty(); }
};

struct TargetResult {
    TargetSpec spec;
    double loss = 0;      ///< the target as a loss, nats/token
    double relative = 0;  ///< the target as L / L(C0)
    bool reached = false;
    std::optional<double> time;  ///< yr, when reached within the horizon
    bool unreachable = false;    ///< proven never reached at any time (by the reference)
    /// The target is at or above the starting loss L(C0) (relative >= 1): met at t = 0, before
    /// any compute is spent. Reported (summary.json "at_start", the table) so it is not mistaken
    /// for a fast result.
    bool at_start = false;
    bool has_reference = false;
    std::optional<double> reference_time;
    std::optional<double> time_rel_err;  ///< |t - t_ref| / t_ref (absolute when t_ref = 0)
    /// |d ln t / d ln C*| at the time (racesim::time_condition); nullopt unless reached at t > 0.
    std::optional<double> condition;
    /// condition × the tolerance on ln C of the integration that found the time: its estimated
    /// relative error; nullopt with the condition or without an integration (closed form).
    std::optional<double> time_error_estimate;
};

/// What a scenario's analyses say of it besides their rows (Analysis::summarize, console and
/// count), recorded with a result read back from a journal: its rows are then cells (CellRows),
/// which the analyses do not read.
struct AnalysesSaid {
    std::string summary;  ///< the object of its summarize entries, as JSON text
    std::string console;  ///< its console lines
    SweepCounts counts;   ///< its counts, in the order they were added
};

struct ScenarioResult {
    const ScenarioSpec* spec = nullptr;
    std::shared_ptr<const ScenarioSpec> owned;  ///< holds `spec` when it was made at run time (sweep, goal seek)
    std::size_t index = 0;                      ///< in the run (racesim::expand)
    double C0 = 0;                              ///< PFLOP, the baseline compute of its model
    double L_C0 = 0;                            ///< the loss at C0 (R = L / L_C0)
    std::vector<plugin::Quantity> auxiliary;    ///< the loss law's extra trajectory columns
    Trajectory trajectory;                      ///< empty unless trajectories are kept or the scenario is compared
    std::vector<TargetResult> targets;
    std::optional<double> max_rel_err;  ///< max |R/R_ref - 1| over the rows
    std::optional<double> max_rel_err_time;
    IntegrationStats stats;
    double wall_seconds = 0;
    /// The rows its analyses added (racesim/run/analysis.hpp), one table each, in the order of
    /// the scenario's analyses; read them with rows_of<Row>(r.tables).
    std::vector<std::shared_ptr<const TableRows>> tables;
    /// Set on a result read back from a journal (racesim/run/journal.hpp): what its analyses said
    /// of it when it ran, used instead of asking them (its rows are cells).
    std::shared_ptr<const AnalysesSaid> said;
};

/// Summary statistics of one target over the samples.
struct MonteCarloTargetStats {
    std::string target;
    std::size_t n = 0, reached = 0;
    std::vector<std::pair<double, std::optional<double>>> quantiles;  ///< (p, time); nullopt: beyond the horizon
    std::optional<double> mean_if_reached;
    std::vector<std::pair<double, double>> reached_by;  ///< (date, probability)
};

/// The outcome of a scenario's `sample:` (Monte Carlo). Sample i's values and target times are
/// at index i, whatever the number of threads that made them.
struct MonteCarloResult {
    const ScenarioSpec* spec = nullptr;
    std::vector<MonteCarloTargetStats> stats;  ///< per target
    /// Only in a RunResult (a streamed run hands them to its sink and keeps the statistics):
    std::vector<double> draws;               ///< n x d, row-major (d = sampled paths)
    std::vector<std::vector<double>> times;  ///< per target, per sample; +inf when not reached
    /// With `sample.bands`: the percentiles of C, L and R at each output time (rows BandRow).
    std::vector<std::shared_ptr<const TableRows>> tables;
};

/// A row of conditional.csv: over the samples of a scenario (`given` "all") or over those that
/// meet a condition (`given` "met"), the distribution of one input (a sampled path) or of one
/// target's time.
struct ConditionalRow {
    std::string scenario, condition;  ///< condition: e.g. "R=0.68 by 6 yr"
    std::int64_t met = 0;             ///< samples that meet the condition
    double share = 0;                 ///< met / n
    std::string quantity;             ///< a sampled path, or "<target> time"
    std::string given;                ///< "all" or "met"
    std::int64_t samples = 0;         ///< in the set
    std::int64_t reached = 0;         ///< for a time: samples in the set that reach the target; for an input: samples
    std::optional<double> mean;       ///< for a time: over the samples that reach it
    std::vector<std::optional<double>> quantiles;  ///< p5, p10, p25, p50, p75, p90, p95; null: among the unreached
};

/// A row of bands.csv: the given percentile, over a scenario's samples, of C, L and R at time t
/// (each quantity's own percentile: the three need not come from one sample).
struct BandRow {
    std::string scenario;
    double t = 0, percentile = 0, C = 0, L = 0, R = 0;
};

/// Consecutive scenarios of one sweep evaluated at once by the reference's vectorised closed
/// form (Descriptor::batch_time_to_target): no model, no trajectory, no per-scenario object;
/// the time to each target is also its reference time.
struct SweepRows {
    const ScenarioSpec* declared = nullptr;   ///< the swept scenario (sweep_plan set)
    std::size_t first = 0;                    ///< index in the run of the first row
    std::size_t k0 = 0, n = 0;                ///< rows k0 .. k0+n-1 of the sweep
    std::vector<std::vector<double>> values;  ///< per axis, per row
    std::vector<std::vector<double>> times;   ///< per target, per row: yr; +inf not reached by the horizon, NaN never
};

/// Where a plugin type the run uses came from (summary.json "plugins").
struct PluginProvenance {
    plugin::Kind kind = plugin::Kind::efficiency;
    std::string type;
    std::string library;  ///< the file it was loaded from; empty for a type made in process
    std::string sha256;   ///< of that file when it was loaded (hex); empty in process
};

/// What a run is about to do, told to its sink first.
struct RunInfo {
    const Experiment* experiment = nullptr;
    std::size_t scenarios = 0;   ///< scenarios after sweeps are expanded
    std::size_t work_units = 0;  ///< scenarios plus Monte Carlo samples (progress counts these)
    /// Whether each scenario's trajectory is kept (the sink gets it); when not, scenarios that
    /// are compared still carry theirs.
    bool trajectories = true;
    /// Every plugin type its declared scenarios use, in order of first use.
    std::vector<PluginProvenance> plugins;
};

/// What a streamed run keeps in memory: a few numbers per Monte Carlo sample, the comparisons.
struct RunSummary {
    const Experiment* experiment = nullptr;
    std::size_t scenarios = 0;
    bool trajectories = true;  ///< as in RunInfo
    std::vector<Comparison> comparisons;
    std::vector<MonteCarloResult> monte_carlo;  ///< times only (the draws went to the sink)
    double wall_seconds = 0;
};

/// A whole run in memory (tests, small runs, the Python package): every scenario's result,
/// every sample's draws.
struct RunResult {
    const Experiment* experiment = nullptr;
    bool trajectories = true;               ///< as in RunInfo
    std::vector<PluginProvenance> plugins;  ///< as in RunInfo
    std::vector<ScenarioResult> scenarios;
    std::vector<SweepRows> sweep_rows;  ///< sweeps evaluated by a vectorised closed form
    std::vector<Comparison> comparisons;
    std::vector<MonteCarloResult> monte_carlo;
    double wall_seconds = 0;
    /// Every analysis table's rows, one entry per table, in order of first appearance, its rows
    /// in the run's order; read them with rows_of<Row>(result.tables).
    std::vector<std::shared_ptr<TableRows>> tables;
};

}  // namespace racesim
