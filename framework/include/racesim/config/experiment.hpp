// A validated experiment, as a plain value: every scenario resolved (defaults, extends), every
// plugin block checked against its schema. It holds names, numbers, paths and the schemas of
// the plugins it names, no plugin object and no registry: racesim/model/model.hpp builds the
// live models. Nothing downstream reads YAML.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "racesim/core/diagnostics.hpp"
#include "racesim/plugin/models.hpp"
#include "racesim/plugin/schema.hpp"
#include "racesim/plugins/quoted.hpp"

namespace racesim {

struct AnalysisSpec;  // racesim/config/analysis.hpp

/// A plugin named in a scenario, with its resolved parameters.
struct BlockSpec {
    plugin::Selection selection;  ///< type + resolved params (defaults filled in)
    /// The parameter table of the plugin type (shared, immutable: a copy of the registry's).
    std::shared_ptr<const plugin::Schema> schema;
    Mark mark;
    std::map<std::string, Mark> value_marks;  ///< where each parameter's value was written
    /// The parameters written in a quoted form (racesim/plugins/quoted.hpp), as written; their
    /// values in `selection` are the converted ones.
    std::map<std::string, QuotedValue> quoted;
};

/// A parameter set to a value by a sweep, a goal seek or a sensitivity run. The path is
/// `<block>.<parameter>` (block: efficiency, power, loss) or `baseline.tau` / `baseline.C0`.
struct Assignment {
    std::string path;
    plugin::Value value;
    std::string text;  ///< the value as written (or formatted), for names; empty: formatted when needed
    Mark mark;         ///< where the value came from
};

/// A generated sweep range: `{from, to, step}` or `{from, to, count, scale}`. Its values are
/// computed when asked for (a million-value range costs no memory), each rounded to 15
/// significant digits so that 0.1 + 2·0.1 is swept as 0.3; both ends are exact.
struct SweepRange {
    double from = 0, to = 0;
    double step = 0;         ///< != 0: from, from + step, ... up to `to` (count is then derived)
    std::size_t count = 0;   ///< the number of values
    bool log_scale = false;  ///< with count: geometric spacing
    [[nodiscard]] double value(std::size_t i) const;
};

/// One swept path of a `sweep:`: its values, each checked where it was written.
struct SweepAxis {
    std::string path;
    std::string label;                ///< the parameter name in scenario names (the path when two axes share it)
    std::vector<Assignment> listed;   ///< a list: the values as written
    std::optional<SweepRange> range;  ///< a range (then `listed` is empty)
    Mark mark;                        ///< where a range was written
    Mark key_mark;                    ///< where the path was written (the key of the sweep)

    [[nodiscard]] std::size_t size() const { return range ? range->count : listed.size(); }
    /// Value i with its text (as written, or the shortest form of a generated value) and mark.
    [[nodiscard]] Assignment at(std::size_t i) const;
    /// Value i as a number (no text, no allocation).
    [[nodiscard]] double number(std::size_t i) const;
};

/// The scenarios a declared scenario stands for, as an analysis that plans made them (`sweep:`,
/// framework/src/analyses/sweep/; AnalysisKind::plan). Its scenarios are made one at a time when
/// they run (racesim::expand), never all at once: a sweep costs memory for its axes, not its
/// product. The run and the results writer follow it whoever made it (sweep.csv lists them).
struct SweepPlan {
    std::vector<SweepAxis> axes;
    bool zip = false;  ///< pair the axes' values one to one instead of the cartesian product
    Mark mark;

    /// The number of scenarios: the product of the axes' sizes (with zip, their common size).
    [[nodiscard]] std::size_t size() const;
    /// The values of scenario k: the last axis varies fastest.
    void assignments(std::size_t k, std::vector<Assignment>& out) const;
    /// The index into axis j of scenario k's value.
    [[nodiscard]] std::size_t axis_index(std::size_t k, std::size_t j) const;
    /// The name of scenario k: "<base>[label=value,...]".
    [[nodiscard]] std::string name(const std::string& base, std::size_t k) const;
};

struct TargetSpec {
    enum class Kind { loss, relative } kind = Kind::loss;
    double value = 0;
    Mark mark;
};

/// The fixed columns of a scenario's trajectory CSV (<scenario>.csv), in order: t, C, E, P, L,
/// R, then, with a reference, R_ref and rel_err. With a start_year, `year` (the date of t)
/// follows t. With `algorithms:`, `A` and `C_physical` follow C. Each auxiliary quantity of the
/// loss law follows as a column of its own name, which may not be one of these. Their units,
/// meanings and values are defined with the other results columns in
/// framework/src/output/columns.cpp.
inline constexpr std::array<std::string_view, 11> trajectory_columns{"t",     "C",       "E",    "P", "L",         "R",
                                                                     "R_ref", "rel_err", "year", "A", "C_physical"};

struct ScenarioSpec {
    std::string name;
    std::string origin;  ///< the scenario as declared in the file (differs from name when swept)
    Mark mark;
    double horizon = 0;  ///< yr: the scenario's own `horizon:`, else the experiment's
    BlockSpec efficiency, power, loss;
    std::optional<BlockSpec> reference;
    std::optional<double> tau;  ///< set when C0 = E0·P0·(1+tau)·1 yr
    std::optional<double> C0;   ///< set when given explicitly
    std::vector<TargetSpec> targets;
    std::vector<Assignment> sweep;  ///< the sweep values this scenario was expanded with
    /// Set on a declared scenario with `sweep:` (an analysis that plans): it stands for the plan's
    /// scenarios (and is not run itself); its models are those of the axes' first values.
    std::shared_ptr<const SweepPlan> sweep_plan;
    /// The analyses of this scenario that are modules (racesim/config/analysis.hpp), in the
    /// order of the kinds the loader was given: what each block said, as a plain value.
    std::vector<std::shared_ptr<const AnalysisSpec>> analyses;
    /// The calendar year of t = 0 (`start_year:`, its own or inherited): a time t is the date
    /// start_year + t, a decimal year. Unset: no dates.
    std::optional<double> start_year;
    /// `algorithms:` (optional): A(t), the multiplier of effective compute, dC/dt = A·E·P.
    /// Unset: A = 1 and the scenario is exactly what it was without the block.
    std::optional<BlockSpec> algorithms;
};

/// The date of time t (yr) in a scenario with `start_year`: start_year + t, as a decimal year.
inline std::optional<double> date_of(const std::optional<double>& start_year, const std::optional<double>& t) {
    if (!start_year || !t) return std::nullopt;
    return *start_year + *t;
}

struct OutputSpec {
    std::optional<double> every;  ///< grid step, yr; default: each scenario's horizon / 300
    std::vector<double> times;    ///< extra exact times
    bool trajectories = true;     ///< write one CSV per scenario (`racesim run --no-trajectories`: no)
};

/// The member defaults of SolverSpec (and SampleSpec::seed,
/// SweepPlan::zip, IntegratorOptions) are the defaults declared in framework_keys.cpp, which the
/// loader applies; tests/unit/test_framework_keys.cpp checks that they agree.
struct SolverSpec {
    bool closed_form = false;  ///< evaluate each scenario's reference instead of integrating
    /// With closed_form: evaluate sweeps over arrays where the reference can (racesim::sweep_batchable).
    /// Not a config key: tests turn it off to compare with the scenario-by-scenario path.
    bool vectorise = true;
    double rel_tol = 1e-10;
    double abs_tol = 0;                  ///< PFLOP
    std::int64_t max_steps = 1'000'000;  ///< per segment
    double target_time_tol = 0;          ///< refine target times to this estimated relative error; 0: off
    /// `audit: all`: the jump audit covers the rate plugins that passed the contract tests too.
    bool audit_all = false;
};

/// `compare:` at the top level: two scenarios (by their expanded names) set side by side.
struct CompareSpec {
    std::string a, b;
    Mark mark;
    Mark a_mark, b_mark;  ///< where each name was written
};

/// Limits on what a valid config may ask for.
struct ExperimentLimits {
    /// Scenarios after sweeps are expanded. Sweeps are made one scenario at a time, so this
    /// bounds the work a config asks for, not its memory.
    std::size_t max_scenarios = 10'000'000;
    /// Sweeps up to this size have every combination of values checked at load (each is
    /// instantiated and discarded); larger ones are checked as their scenarios run.
    std::size_t check_combinations = 10'000;
    std::size_t max_samples = 10'000'000;  ///< Monte Carlo samples in an experiment
    /// Breakpoints one rate model may declare over a scenario's horizon (each costs a segment,
    /// about 100 bytes and a fresh stepper): a period of 1e-12 yr would ask for 10^13.
    std::size_t max_breakpoints = 1'000'000;
    /// Trajectory rows a run may write, over all its scenarios (about 100 bytes of CSV each):
    /// 1000 scenarios of 10^6 rows would be about 100 GB. Counted when the run keeps
    /// trajectories by the automatic rule (keep_trajectories_up_to); a caller that writes none
    /// (--no-trajectories) lifts it.
    std::size_t max_rows = 50'000'000;
};

/// Runs of up to this many scenarios keep every scenario's trajectory unless told otherwise.
inline constexpr std::size_t keep_trajectories_up_to = 1000;

struct Experiment {
    std::filesystem::path file;
    std::string name;
    double horizon = 0;
    OutputSpec output;
    SolverSpec solver;
    /// The scenarios as declared, in file order. A swept one stands for its sweep's scenarios,
    /// which racesim::expand makes one at a time (racesim::scenario_count counts them).
    std::vector<ScenarioSpec> scenarios;
    /// The analyses of the whole experiment (top-level blocks such as `compare:`), in the order
    /// of the kinds the loader was given: what each block said, as a plain value.
    std::vector<std::shared_ptr<const AnalysisSpec>> analyses;
    /// The config's `plugin_paths:` (absolute): with the session's own search path, where the
    /// plugin types it names are found when it runs.
    std::vector<std::filesystem::path> plugin_paths;
    /// The limits it was validated with; its run builds models within the same ones.
    ExperimentLimits limits;
    std::optional<double> start_year;  ///< the top-level `start_year:` (a scenario may set its own)
};

}  // namespace racesim
