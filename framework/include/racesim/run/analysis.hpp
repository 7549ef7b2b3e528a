// The run half of an analysis module: what it does with a scenario once the scenario has run,
// and the table its rows go to. With the configuration half (racesim/config/analysis.hpp) this
// is the whole interface an analysis implements: a new one is a folder under
// framework/src/analyses/ and one line in framework/src/analyses/builtin.cpp, with no edit in
// the loader, the runner, the sinks or the writer (docs/architecture.md, "Add an analysis").
//
// An analysis's rows keep its own row type (a test or the Python package reads them as such,
// racesim::rows_of); sinks see them through TableRows, which renders each row as cells of the
// columns its table declares. The results-directory writer writes table T to T.csv.
#pragma once

#include <algorithm>
#include <any>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "racesim/config/analysis.hpp"

namespace racesim {

struct ScenarioResult;    // racesim/run/results.hpp
struct RunSummary;        // racesim/run/results.hpp
class RunSink;            // racesim/run/sink.hpp
struct ScenarioInstance;  // racesim/model/model.hpp
class JournalWriter;      // racesim/run/journal.hpp
class JournalReader;      // racesim/run/journal.hpp
class ModelBuilder;       // racesim/model/model.hpp

/// How a cell is written in CSV: a number (shortest round trip; empty when absent), an integer,
/// text (quoted when it needs it) or a word (written as it is: "true", "false").
enum class CellKind { number, integer, text, word };

/// One cell of a row.
using Cell = std::variant<std::monostate, double, std::int64_t, std::string>;

/// A number cell, or an empty one when there is no value.
inline Cell number_cell(const std::optional<double>& v) {
    return v ? Cell{*v} : Cell{};
}

/// A column of an analysis's table: its header name, unit ("" when none) and meaning.
struct TableColumn {
    std::string_view name, unit, doc;
    CellKind kind = CellKind::number;
};

/// An analysis's table: T.csv in a results directory, one row per TableRows row.
struct TableDef {
    std::string_view name;  ///< "sensitivity": the file sensitivity.csv, summary.json's "sensitivity_csv"
    std::vector<TableColumn> columns;
    /// The rows also appear in summary.json, as the array "<name>" of objects keyed by column
    /// name (numbers as numbers, absent cells as null, words true/false as booleans).
    bool in_summary = false;
    /// The console says "<name>: n row(s) in <name>.csv" after the results table; off for an
    /// analysis whose console lines (Analysis::console) already say what its rows hold.
    bool count_on_console = true;
};

/// Rows of one analysis table, in the analysis's own row type (TypedRows).
class TableRows {
public:
    virtual ~TableRows() = default;
    [[nodiscard]] virtual const TableDef& table() const = 0;
    [[nodiscard]] virtual std::size_t size() const = 0;
    /// Row i as one cell per column of table().
    virtual void cells(std::size_t i, std::vector<Cell>& out) const = 0;
    /// The same type, empty (a run's collected rows start from it).
    [[nodiscard]] virtual std::unique_ptr<TableRows> empty_copy() const = 0;
    /// Appends the rows of `other`, which has this type.
    virtual void append(const TableRows& other) = 0;
};

/// Rows of type Row; `render(row, out)` appends one cell per column of the table.
template <class Row>
class TypedRows final : public TableRows {
public:
    using Render = void (*)(const Row&, std::vector<Cell>&);
    TypedRows(const TableDef& def, Render render) : def_(&def), render_(render) {}
    std::vector<Row> rows;

    [[nodiscard]] const TableDef& table() const override { return *def_; }
    [[nodiscard]] std::size_t size() const override { return rows.size(); }
    void cells(std::size_t i, std::vector<Cell>& out) const override {
        out.clear();
        render_(rows[i], out);
    }
    [[nodiscard]] std::unique_ptr<TableRows> empty_copy() const override {
        return std::make_unique<TypedRows>(*def_, render_);
    }
    void append(const TableRows& other) override {
        const auto& o = dynamic_cast<const TypedRows&>(other);
        rows.insert(rows.end(), o.rows.begin(), o.rows.end());
    }

private:
    const TableDef* def_;
    Render render_;
};

/// Rows kept as their cells: the rows of a result read back from a journal (racesim/run/journal.hpp),
/// written exactly as the analysis's own rows were.
class CellRows final : public TableRows {
public:
    explicit CellRows(const TableDef& def) : def_(&def) {}
    std::vector<std::vector<Cell>> rows;

    [[nodiscard]] const TableDef& table() const override { return *def_; }
    [[nodiscard]] std::size_t size() const override { return rows.size(); }
    void cells(std::size_t i, std::vector<Cell>& out) const override { out = rows[i]; }
    [[nodiscard]] std::unique_ptr<TableRows> empty_copy() const override { return std::make_unique<CellRows>(*def_); }
    void append(const TableRows& other) override {
        const auto& o = dynamic_cast<const CellRows&>(other);
        rows.insert(rows.end(), o.rows.begin(), o.rows.end());
    }

private:
    const TableDef* def_;
};

/// The rows of type Row among `tables` (a scenario's or a whole run's), or null.
template <class Row, class Tables>
[[nodiscard]] const std::vector<Row>* rows_of(const Tables& tables) {
    for (const auto& t : tables)
        if (const auto* typed = dynamic_cast<const TypedRows<Row>*>(t.get())) return &typed->rows;
    return nullptr;
}

/// Appends `rows` to the entry of `tables` for its table, added (empty) at the end when there is
/// none: a run's tables in order of first appearance.
template <class Tables>
void append_rows(Tables& tables, const TableRows& rows) {
    auto pos =
        std::find_if(tables.begin(), tables.end(), [&](const auto& have) { return &have->table() == &rows.table(); });
    if (pos == tables.end()) pos = tables.insert(pos, typename Tables::value_type(rows.empty_copy()));
    (*pos)->append(rows);
}

/// The rows an analysis adds, one TableRows per table it writes to.
using TableSet = std::vector<std::shared_ptr<const TableRows>>;

/// Counts an analysis keeps over a sweep's scenarios ("solves_found"): each a key of the sweep's
/// entry in summary.json, in the order first added.
class SweepCounts {
public:
    void add(std::string_view key, std::size_t n) {
        for (auto& [k, v] : counts_)
            if (k == key) {
                v += n;
                return;
            }
        counts_.emplace_back(std::string(key), n);
    }
    [[nodiscard]] const std::vector<std::pair<std::string, std::size_t>>& counts() const { return counts_; }

private:
    std::vector<std::pair<std::string, std::size_t>> counts_;
};

/// What an analysis sees of the run.
struct AnalysisContext {
    const ModelBuilder& models;
    const Experiment& experiment;
};

/// What an analysis whose work comes after every scenario of the run (Monte Carlo) sees: the
/// models and the experiment, the sink its results go to, `tick(k)` to count k of its work units
/// done (from any thread), and the run's summary, which keeps what the analysis reports at the
/// end (a Monte Carlo run's statistics).
struct AfterRunContext {
    const ModelBuilder& models;
    const Experiment& experiment;
    RunSink& sink;
    const std::function<void(std::size_t)>& tick;
    RunSummary& summary;
};

/// An analysis module: the configuration half plus what it does in a run.
///
/// For each scenario that has its block, in the thread that runs the scenario: before_scenario
/// (which may put another scenario in its place, as a goal seek does with the scenario at the
/// value found), then the scenario runs, then after_scenario with the result. What
/// before_scenario leaves in `state` is handed to after_scenario. Both throw like the runner
/// (RunError, ConfigError).
class Analysis : public AnalysisKind {
public:
    /// The tables it writes (none, one or several): each is T.csv in a results directory.
    [[nodiscard]] virtual std::vector<const TableDef*> tables() const = 0;
    /// Before scenario `inst` runs: the scenario to run instead, or nullopt to run `inst`.
    [[nodiscard]] virtual std::optional<ScenarioInstance> before_scenario(const AnalysisContext& ctx,
                                                                          const AnalysisSpec& spec,
                                                                          const ScenarioInstance& inst,
                                                                          std::any& state) const;
    /// After the scenario ran (the spec it ran with: base.spec): appends its rows to `out`.
    virtual void after_scenario(const AnalysisContext& ctx, const AnalysisSpec& spec, const ScenarioResult& base,
                                const std::any& state, TableSet& out) const = 0;

    // What a results directory says of a scenario besides the analysis's rows, each from the
    // finished result (its rows in `result.tables`). None by default.

    /// Entries of its own in the scenario's object of summary.json (`scenario`), written after
    /// the scenario's name, trajectory file and sweep values: a goal seek's "solve".
    virtual void summarize(const AnalysisSpec& spec, const ScenarioResult& result,
                           nlohmann::ordered_json& scenario) const;
    /// Lines for the console, printed after the results table (each ending in '\n').
    virtual void console(const AnalysisSpec& spec, const ScenarioResult& result, std::string& out) const;
    /// Counts that a sweep totals over its scenarios (its entry in summary.json).
    virtual void count(const AnalysisSpec& spec, const ScenarioResult& result, SweepCounts& counts) const;

    // Work after every scenario of the run has run, for each declared scenario with the block,
    // in the order of the scenarios (none by default).

    /// Its work units, which the run's progress counts (a Monte Carlo sample is one).
    [[nodiscard]] virtual std::size_t units_after_run(const AnalysisSpec& spec, const ScenarioSpec& declared) const;
    /// That work, in the calling thread (it may run its units in parallel), its results handed to
    /// ctx.sink in order.
    virtual void after_run(const AfterRunContext& ctx, const AnalysisSpec& spec, const ScenarioSpec& declared) const;

    // The same work split into parts (a sharded or an MPI run, racesim/run/journal.hpp): an
    // analysis with after-run units implements both, or a run of it cannot be split (the
    // defaults throw RunError).

    /// Its units [first, last) of units_after_run only, each recorded in `out` in order: a
    /// record (journal_tag::after_run, unit0 + u) and its fields. Nothing goes to ctx.sink.
    virtual void after_run_part(const AfterRunContext& ctx, const AnalysisSpec& spec, const ScenarioSpec& declared,
                                std::size_t unit0, std::size_t first, std::size_t last, JournalWriter& out) const;
    /// The records of all its units, read from `in` in order (JournalReader::expect checks each
    /// is unit0 + u): hands ctx.sink and ctx.summary exactly what after_run would have.
    virtual void after_run_replay(const AfterRunContext& ctx, const AnalysisSpec& spec, const ScenarioSpec& declared,
                                  std::size_t unit0, JournalReader& in) const;

    // An analysis of the whole experiment (scope() == experiment: `compare:`), in the run. Its
    // `state` lives from the run's start to its end.

    /// Whether the run keeps the trajectory of the scenario named `scenario` for it.
    [[nodiscard]] virtual bool keeps_trajectory(const AnalysisSpec& spec, const std::string& scenario) const;
    /// Whether it needs the results of declared sweep `declared`'s scenarios one by one (they are
    /// then not evaluated as one vectorised batch).
    [[nodiscard]] virtual bool needs_scenarios_of(const AnalysisSpec& spec, const ScenarioSpec& declared) const;
    /// Each scenario's result as the run hands it to the sink, in the run's order.
    virtual void scenario_done(const AnalysisSpec& spec, const ScenarioResult& result, std::any& state) const;
    /// After every scenario and every scenario's after_run: its results, handed to ctx.sink.
    virtual void after_experiment(const AfterRunContext& ctx, const AnalysisSpec& spec, std::any& state) const;
};

/// The analyses of a scenario as modules (the kind of each of its specs).
[[nodiscard]] const Analysis& analysis_of(const AnalysisSpec& spec);

}  // namespace racesim
