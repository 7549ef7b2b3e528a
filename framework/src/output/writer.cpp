#include "racesim/output/writer.hpp"

#include <algorithm>
#include <fstream>
#include <unordered_set>

#include "csv_files.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/output/results_dir.hpp"
#include "sweep_stats.hpp"

namespace fs = std::filesystem;

namespace racesim {

struct ResultsWriter::Impl {
    const Experiment& ex;
    AtomicResultsDir out;  // first: destroyed last, after the files written into it are closed
    fs::path tmp;
    CsvStream sweep_csv, samples_csv;
    SweepCsv sweep;
    SamplesCsv samples;
    std::vector<std::unique_ptr<TableCsv>> tables;  ///< the analyses' tables, opened as their rows come

    TableCsv& table(const TableDef& def) {
        for (auto& t : tables)
            if (&t->table() == &def) return *t;
        return *tables.emplace_back(std::make_unique<TableCsv>(tmp, def));
    }

    Impl(const Experiment& e, const fs::path& d, bool force)
        : ex(e),
          out(d, force, e.file),
          tmp(out.staging()),
          sweep_csv(tmp / "sweep.csv", SweepCsv::header(e)),
          samples_csv(tmp / "samples.csv", SamplesCsv::header(e)),
          sweep(e, sweep_csv),
          samples(e, samples_csv) {}
};

RunReporter::RunReporter(const Experiment& ex) {
    report_.experiment = &ex;
    report_.trajectories = ex.output.trajectories;
    for (const ScenarioSpec& sc : ex.scenarios) {
        if (!sc.sweep_plan) continue;
        SweepStats st;
        st.declared = &sc;
        for (const auto& t : sc.targets) st.targets.push_back(SweepStats::Target{target_label(t), 0, 0, {}, {}});
        report_.sweeps.push_back(std::move(st));
    }
}

void RunReporter::begin(const RunInfo& info) {
    report_.trajectories = info.trajectories;
    report_.scenarios = info.scenarios;
    report_.plugins = info.plugins;
}

std::string RunReporter::csv_name(const std::string& scenario) {
    // Unique in the run ("-2", "-3", ... when two names map to one).
    const std::string base = csv_file_name(scenario);
    std::string name = base;
    for (int k = 2; csv_taken_.count(name); ++k)
        name = base.substr(0, base.size() - 4) + "-" + std::to_string(k) + ".csv";
    csv_taken_.insert(name);
    return name;
}

std::string RunReporter::add(const ScenarioResult& r) {
    const ScenarioSpec& sc = *r.spec;
    std::string csv;
    if (!r.trajectory.empty()) csv = csv_name(sc.name);
    add_tables(r.tables);

    const bool swept = !sc.sweep.empty();
    if (swept) add_scenario(stats_of(sc.origin), r);
    if (swept && !report_.trajectories) return csv;  // in sweep.csv and the sweep's summary only
    // What its analyses say of it besides their rows: summary.json entries, console lines.
    nlohmann::ordered_json said = nlohmann::ordered_json::object();
    if (r.said) {  // read back from a journal: said when it ran
        said = nlohmann::ordered_json::parse(r.said->summary);
        report_.console += r.said->console;
    } else {
        for (const auto& a : sc.analyses) {
            analysis_of(*a).summarize(*a, r, said);
            analysis_of(*a).console(*a, r, report_.console);
        }
    }
    // Listed without its trajectory and analyses' rows (already written): not copied at all.
    // Every other member of ScenarioResult is copied (a new member must be added here).
    ScenarioResult kept;
    kept.spec = r.spec;
    kept.owned = r.owned;
    kept.index = r.index;
    kept.C0 = r.C0;
    kept.L_C0 = r.L_C0;
    kept.auxiliary = r.auxiliary;
    kept.targets = r.targets;
    kept.max_rel_err = r.max_rel_err;
    kept.max_rel_err_time = r.max_rel_err_time;
    kept.stats = r.stats;
    kept.wall_seconds = r.wall_seconds;
    report_.listed.push_back(std::move(kept));
    report_.listed_summary.push_back(std::move(said));
    report_.csv.push_back(csv);
    return csv;
}

void RunReporter::add_tables(const std::vector<std::shared_ptr<const TableRows>>& tables) {
    for (const auto& t : tables) {
        auto pos = std::find_if(report_.tables.begin(), report_.tables.end(),
                                [&](const auto& have) { return have.first == &t->table(); });
        if (pos == report_.tables.end()) pos = report_.tables.insert(pos, {&t->table(), 0});
        pos->second += t->size();
        if (t->table().in_summary) append_rows(report_.summary_tables, *t);
    }
}

void RunReporter::monte_carlo(const MonteCarloResult& mc) {
    add_tables(mc.tables);
}

SweepStats& RunReporter::stats_of(const std::string& swept) {
    for (auto& st : report_.sweeps)
        if (st.declared->name == swept) return st;
    throw std::logic_error("racesim: results of a sweep the experiment does not declare: " + swept);
}

void RunReporter::sweep_rows(const SweepRows& rows) {
    add_rows(stats_of(rows.declared->name), rows);
}

void RunReporter::end(const RunSummary& s) {
    report_.scenarios = s.scenarios;
    report_.trajectories = s.trajectories;
    report_.comparisons = s.comparisons;
    report_.monte_carlo = s.monte_carlo;
    report_.wall_seconds = s.wall_seconds;
}

ResultsWriter::ResultsWriter(const Experiment& ex, const fs::path& dir, bool force)
    : impl_(std::make_unique<Impl>(ex, dir, force)), reporter_(ex) {}

ResultsWriter::~ResultsWriter() = default;  // an uncommitted temporary directory is removed (AtomicResultsDir)

void ResultsWriter::begin(const RunInfo& info) {
    reporter_.begin(info);
}

void ResultsWriter::scenario(const ScenarioResult& r) {
    Impl& w = *impl_;
    const std::string csv = reporter_.add(r);
    if (!csv.empty()) write_trajectory_csv(r, w.tmp / csv);
    if (!r.spec->sweep.empty()) w.sweep.row(r);
    for (const auto& t : r.tables) w.table(t->table()).rows(*t);
}

void ResultsWriter::monte_carlo(const MonteCarloResult& mc) {
    reporter_.monte_carlo(mc);
    for (const auto& t : mc.tables) impl_->table(t->table()).rows(*t);
}

void ResultsWriter::sweep_rows(const SweepRows& rows) {
    impl_->sweep.rows(rows);
    reporter_.sweep_rows(rows);
}

void ResultsWriter::sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                           const std::vector<double>& times) {
    impl_->samples.row(sc, index, x, times);
}

void ResultsWriter::commit(RunSummary s) {
    Impl& w = *impl_;
    reporter_.end(s);
    const RunReport& report = reporter_.report();
    for (CsvStream* c : {&w.sweep_csv, &w.samples_csv}) c->close();
    for (auto& t : w.tables) t->close();
    for (const auto& c : report.comparisons) write_compare_csv(c, w.tmp / compare_file_name(c));
    {
        std::ofstream out(w.tmp / "summary.json");
        out << summary_json(report).dump(2) << '\n';
        out.flush();
        if (!out) write_failed(w.tmp / "summary.json");
    }
    check_interrupt();  // the last point where an interrupt discards the results
    w.out.commit();
}

namespace {

/// Hands a whole run kept in memory to a sink, in the run's order (everything but end());
/// returns what end() is to receive.
RunSummary replay(const RunResult& r, RunSink& w) {
    std::size_t units = r.scenarios.size();
    for (const auto& rows : r.sweep_rows) units += rows.n;
    w.begin(RunInfo{r.experiment, units, units, r.trajectories, r.plugins});
    // Scenarios and vectorised sweep rows in the run's order.
    std::size_t b = 0;
    for (const auto& s : r.scenarios) {
        for (; b < r.sweep_rows.size() && r.sweep_rows[b].first < s.index; ++b) w.sweep_rows(r.sweep_rows[b]);
        w.scenario(s);
    }
    for (; b < r.sweep_rows.size(); ++b) w.sweep_rows(r.sweep_rows[b]);
    for (const auto& mc : r.monte_carlo) {
        const std::size_t d = find_analysis<SampleSpec>(*mc.spec)->paths.size();
        std::vector<double> x(d), t(mc.times.size());
        for (std::size_t i = 0; i < find_analysis<SampleSpec>(*mc.spec)->n; ++i) {
            std::copy_n(mc.draws.begin() + static_cast<std::ptrdiff_t>(i * d), d, x.begin());
            for (std::size_t k = 0; k < t.size(); ++k) t[k] = mc.times[k][i];
            w.sample(*mc.spec, i, x, t);
        }
        w.monte_carlo(mc);
    }
    RunSummary s;
    s.experiment = r.experiment;
    s.scenarios = units;
    s.trajectories = r.trajectories;
    s.comparisons = r.comparisons;
    s.monte_carlo = r.monte_carlo;
    s.wall_seconds = r.wall_seconds;
    return s;
}

}  // namespace

RunReport run_report(const RunResult& r) {
    RunReporter rep(*r.experiment);
    rep.end(replay(r, rep));
    return rep.take();
}

void write_results(const RunResult& r, const fs::path& dir, bool force) {
    ResultsWriter w(*r.experiment, dir, force);
    w.commit(replay(r, w));
}

}  // namespace racesim
