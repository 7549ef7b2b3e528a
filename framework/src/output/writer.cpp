#include "racesim/output/writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <unordered_set>

#include "csv_files.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/api.hpp"
#include "sweep_stats.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace racesim {

namespace {

std::string random_suffix() {
    std::random_device rd;
    return fmt::format("{:08x}", rd());
}

bool holds_racesim_results(const fs::path& dir) {
    std::ifstream in(dir / "summary.json");
    if (!in) return false;
    try {
        const auto j = nlohmann::json::parse(in);
        return j.contains("racesim_version");
    } catch (...) {
        return false;
    }
}

}  // namespace

namespace {

fs::path normal_dir(const fs::path& dir_in) {
    fs::path dir = dir_in.lexically_normal();
    if (dir.filename().empty() && dir.has_parent_path()) dir = dir.parent_path();  // "out/" -> "out"
    return dir;
}

/// Removes `.<leaf>.tmp-<pid>-*` and `.<leaf>.old-<pid>-*` left by a racesim process that no
/// longer exists (killed by SIGKILL or a power cut while writing). Live processes' are kept.
void remove_stale_temporaries(const fs::path& parent, const std::string& leaf) {
    std::error_code ec;
    for (const auto& ent : fs::directory_iterator(parent, ec)) {
        const std::string name = ent.path().filename().string();
        for (const char* kind : {".tmp-", ".old-"}) {
            const std::string prefix = "." + leaf + kind;
            if (name.rfind(prefix, 0) != 0) continue;
            const std::string rest = name.substr(prefix.size());
            const auto dash = rest.find('-');
            if (dash == std::string::npos || dash == 0) continue;
            long pid = 0;
            try {
                pid = std::stol(rest.substr(0, dash));
            } catch (...) {
                continue;
            }
            if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
            if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) {
                std::error_code rm;
                fs::remove_all(ent.path(), rm);
            }
        }
    }
}

/// Atomically swaps two directory entries (Linux renameat2 RENAME_EXCHANGE). False when the
/// file system does not support it.
bool exchange(const fs::path& a, const fs::path& b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
    return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
    (void)a;
    (void)b;
    return false;
#endif
}

}  // namespace

void check_results_dir(const fs::path& dir_in, bool force) {
    const fs::path dir = normal_dir(dir_in);
    std::error_code ec;
    const auto st = fs::symlink_status(dir, ec);
    if (fs::exists(st)) {
        if (!fs::is_directory(fs::status(dir, ec)))
            throw RunError("results path " + dir.string() + " exists and is not a directory");
        if (!force) {
            if (holds_racesim_results(dir))
                throw RunError("results directory " + dir.string() +
                               " already exists (results of an earlier run); pass --force to replace it, or choose "
                               "another --out");
            throw RunError("results directory " + dir.string() +
                           " already exists and does not hold racesim results; choose another --out or pass --force to "
                           "replace it");
        }
    }
    // The nearest existing ancestor must be a directory we may create entries in.
    fs::path p = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    while (!p.empty() && !fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
    if (p.empty()) p = ".";
    if (!fs::exists(p, ec)) return;  // a relative path whose first component is missing: "." exists
    if (!fs::is_directory(p, ec))
        throw RunError("cannot write results to " + dir.string() + ": " + p.string() + " is not a directory");
    if (::access(p.c_str(), W_OK | X_OK) != 0)
        throw RunError("cannot write results to " + dir.string() + ": " + p.string() + " is not writable (" +
                       std::strerror(errno) + ")");
}

struct ResultsWriter::Impl {
    const Experiment& ex;
    fs::path dir, parent, tmp, tag;
    bool force = false, committed = false;
    std::unordered_set<std::string> csv_taken;
    CsvStream sweep_csv, solve_csv, sensitivity_csv, samples_csv;
    SweepCsv sweep;
    SolveCsv solve;
    SensitivityCsv sensitivity;
    SamplesCsv samples;

    Impl(const Experiment& e, const fs::path& d, bool f, const fs::path& t)
        : ex(e),
          dir(d),
          parent(d.has_parent_path() ? d.parent_path() : fs::path(".")),
          tmp(t),
          force(f),
          sweep_csv(t / "sweep.csv", SweepCsv::header(e)),
          solve_csv(t / "solve.csv", SolveCsv::header()),
          sensitivity_csv(t / "sensitivity.csv", SensitivityCsv::header()),
          samples_csv(t / "samples.csv", SamplesCsv::header(e)),
          sweep(e, sweep_csv),
          solve(solve_csv),
          sensitivity(sensitivity_csv),
          samples(e, samples_csv) {}

    /// A scenario's CSV file name, unique in the run ("-2", "-3", ... when two names map to one).
    std::string csv_name(const std::string& scenario) {
        const std::string base = csv_file_name(scenario);
        std::string name = base;
        for (int k = 2; csv_taken.count(name); ++k)
            name = base.substr(0, base.size() - 4) + "-" + std::to_string(k) + ".csv";
        csv_taken.insert(name);
        return name;
    }
};

ResultsWriter::ResultsWriter(const Experiment& ex, const fs::path& dir_in, bool force) {
    const fs::path dir = normal_dir(dir_in);
    const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    check_results_dir(dir, force);
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw RunError("cannot create " + parent.string() + ": " + ec.message());
    remove_stale_temporaries(parent, dir.filename().string());
    const std::string tag = std::to_string(::getpid()) + "-" + random_suffix();
    const fs::path tmp = parent / ("." + dir.filename().string() + ".tmp-" + tag);
    if (!fs::create_directory(tmp, ec) || ec) throw RunError("cannot create " + tmp.string() + ": " + ec.message());
    impl_ = std::make_unique<Impl>(ex, dir, force, tmp);
    impl_->tag = tag;
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

ResultsWriter::~ResultsWriter() {
    if (!impl_ || impl_->committed) return;
    std::error_code ec;
    fs::remove_all(impl_->tmp, ec);
}

void ResultsWriter::begin(const RunInfo& info) {
    report_.trajectories = info.trajectories;
    report_.scenarios = info.scenarios;
}

void ResultsWriter::scenario(const ScenarioResult& r) {
    Impl& w = *impl_;
    const ScenarioSpec& sc = *r.spec;
    std::string csv;
    if (!r.trajectory.empty()) {
        csv = w.csv_name(sc.name);
        write_trajectory_csv(r, w.tmp / csv);
    }
    if (!sc.sweep.empty()) w.sweep.row(r);
    if (r.solve) {
        report_.solves = true;
        w.solve.row(r);
    }
    for (const auto& row : r.sensitivity) w.sensitivity.row(row);
    report_.sensitivity_rows += r.sensitivity.size();

    const bool swept = !sc.sweep.empty();
    if (swept) add_scenario(stats_of(sc.origin), r);
    if (swept && !report_.trajectories) return;  // in sweep.csv and the sweep's summary only
    ScenarioResult kept = r;
    kept.trajectory = Trajectory{};
    kept.sensitivity.clear();
    report_.listed.push_back(std::move(kept));
    report_.csv.push_back(csv);
}

SweepStats& ResultsWriter::stats_of(const std::string& swept) {
    for (auto& st : report_.sweeps)
        if (st.declared->name == swept) return st;
    throw std::logic_error("racesim: results of a sweep the experiment does not declare: " + swept);
}

void ResultsWriter::sweep_rows(const SweepRows& rows) {
    SweepStats& st = stats_of(rows.declared->name);
    impl_->sweep.rows(rows);
    add_rows(st, rows);
}

void ResultsWriter::sample(const ScenarioSpec& sc, std::size_t index, const std::vector<double>& x,
                           const std::vector<double>& times) {
    impl_->samples.row(sc, index, x, times);
}

void ResultsWriter::commit(RunSummary s) {
    Impl& w = *impl_;
    report_.scenarios = s.scenarios;
    report_.trajectories = s.trajectories;
    report_.comparisons = std::move(s.comparisons);
    report_.monte_carlo = std::move(s.monte_carlo);
    report_.wall_seconds = s.wall_seconds;
    for (CsvStream* c : {&w.sweep_csv, &w.solve_csv, &w.sensitivity_csv, &w.samples_csv}) c->close();
    for (const auto& c : report_.comparisons) write_compare_csv(c, w.tmp / compare_file_name(c));
    {
        std::ofstream out(w.tmp / "summary.json");
        out << summary_json(report_).dump(2) << '\n';
        out.flush();
        if (!out) throw RunError("error while writing " + (w.tmp / "summary.json").string());
    }
    check_interrupt();  // the last point where an interrupt discards the results
    check_results_dir(w.dir, w.force);
    // Commit: one rename. SIGKILL at any instant leaves the old directory or the new one,
    // never a mix (plus, at worst, a hidden .<leaf>.tmp-* that the next run removes).
    std::error_code ec;
    const fs::path& dir = w.dir;
    if (fs::exists(fs::symlink_status(dir, ec))) {
        if (exchange(w.tmp, dir)) {
            w.committed = true;
            fs::remove_all(w.tmp, ec);  // now holds the previous results
            return;
        }
        // No RENAME_EXCHANGE on this file system: move the old one aside, then rename.
        const fs::path old = w.parent / ("." + dir.filename().string() + ".old-" + w.tag.string());
        fs::rename(dir, old, ec);
        if (ec) throw RunError("cannot move the previous " + dir.string() + " aside: " + ec.message());
        fs::rename(w.tmp, dir, ec);
        if (ec) {
            fs::rename(old, dir);
            throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
        }
        w.committed = true;
        fs::remove_all(old, ec);
    } else {
        fs::rename(w.tmp, dir, ec);
        if (ec) throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
        w.committed = true;
    }
}

void write_results(const RunResult& r, const fs::path& dir, bool force) {
    ResultsWriter w(*r.experiment, dir, force);
    std::size_t units = r.scenarios.size();
    for (const auto& rows : r.sweep_rows) units += rows.n;
    w.begin(RunInfo{r.experiment, units, units, r.trajectories});
    // Scenarios and vectorised sweep rows in the run's order.
    std::size_t b = 0;
    for (const auto& s : r.scenarios) {
        for (; b < r.sweep_rows.size() && r.sweep_rows[b].first < s.index; ++b) w.sweep_rows(r.sweep_rows[b]);
        w.scenario(s);
    }
    for (; b < r.sweep_rows.size(); ++b) w.sweep_rows(r.sweep_rows[b]);
    for (const auto& mc : r.monte_carlo) {
        const std::size_t d = mc.spec->sample->paths.size();
        std::vector<double> x(d), t(mc.times.size());
        for (std::size_t i = 0; i < mc.spec->sample->n; ++i) {
            std::copy_n(mc.draws.begin() + static_cast<std::ptrdiff_t>(i * d), d, x.begin());
            for (std::size_t k = 0; k < t.size(); ++k) t[k] = mc.times[k][i];
            w.sample(*mc.spec, i, x, t);
        }
    }
    RunSummary s;
    s.experiment = r.experiment;
    s.scenarios = units;
    s.trajectories = r.trajectories;
    s.comparisons = r.comparisons;
    s.monte_carlo = r.monte_carlo;
    s.wall_seconds = r.wall_seconds;
    w.commit(s);
}

}  // namespace racesim
