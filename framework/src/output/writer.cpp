#include "racesim/output/writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "racesim/core/diagnostics.hpp"
#include "racesim/core/interrupt.hpp"
#include "racesim/plugin/api.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace racesim {

std::string csv_file_name(const std::string& scenario) {
    std::string s;
    for (char c : scenario) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("._=+,[]-").find(c) != std::string_view::npos;
        s += ok ? c : '_';
    }
    return s + ".csv";
}

std::vector<std::string> csv_file_names(const RunResult& r) {
    std::vector<std::string> names;
    for (const auto& s : r.scenarios) {
        const std::string base = csv_file_name(s.spec->name);
        std::string name = base;
        // Names that differ only in replaced characters ("a b", "a_b") get "-2", "-3", ...
        for (int k = 2; std::find(names.begin(), names.end(), name) != names.end(); ++k)
            name = base.substr(0, base.size() - 4) + "-" + std::to_string(k) + ".csv";
        names.push_back(name);
    }
    return names;
}

namespace {

ordered_json opt(const std::optional<double>& v) {
    return v ? ordered_json(*v) : ordered_json(nullptr);
}

void write_csv(const ScenarioResult& s, const fs::path& file) {
    std::ofstream out(file);
    if (!out) throw RunError("cannot create " + file.string());
    const bool ref = s.spec->model.reference != nullptr;
    out << "t,C,E,P,L,R" << (ref ? ",R_ref,rel_err" : "") << '\n';
    for (const auto& r : s.rows) {
        // fmt's "{}" is the shortest representation that reads back to the same double.
        fmt::print(out, "{},{},{},{},{},{}", r.t, r.C, r.E, r.P, r.L, r.R);
        if (ref) fmt::print(out, ",{},{}", *r.R_ref, *r.rel_err);
        out << '\n';
    }
    out.flush();
    if (!out) throw RunError("error while writing " + file.string());
}

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

ordered_json summary_json(const RunResult& r) {
    const Experiment& ex = *r.experiment;
    ordered_json j;
    j["racesim_version"] = plugin::racesim_version;
    j["experiment"] = ex.name;
    j["config"] = ex.file.string();
    j["horizon"] = ex.horizon;
    ordered_json scs = ordered_json::array();
    ordered_json timing_sc = ordered_json::object();
    const auto csv = csv_file_names(r);
    for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
        const ScenarioResult& s = r.scenarios[i];
        const ScenarioSpec& sc = *s.spec;
        ordered_json o;
        o["name"] = sc.name;
        o["csv"] = csv[i];
        o["efficiency"] = sc.resolved["efficiency"];
        o["power"] = sc.resolved["power"];
        o["loss"] = sc.resolved["loss"];
        o["baseline"] = sc.resolved["baseline"];
        o["horizon"] = sc.horizon;
        o["C0"] = sc.model.C0;
        o["L_C0"] = sc.model.L_start;
        ordered_json ts = ordered_json::array();
        for (const auto& t : s.targets) {
            ordered_json tj;
            tj["kind"] = t.spec.kind == TargetSpec::Kind::loss ? "loss" : "relative";
            tj["loss"] = t.loss;
            tj["relative"] = t.relative;
            tj["reached"] = t.reached;
            tj["time"] = opt(t.time);
            tj["unreachable"] = t.unreachable;
            if (t.has_reference) {
                tj["reference_reached"] = t.reference_time.has_value();
                tj["reference_time"] = opt(t.reference_time);
                tj["time_rel_err"] = opt(t.time_rel_err);
            }
            ts.push_back(tj);
        }
        o["targets"] = ts;
        if (sc.reference) {
            o["reference"] = {{"type", sc.reference->selection.type},
                              {"max_rel_err_R", opt(s.max_rel_err)},
                              {"max_rel_err_R_at", opt(s.max_rel_err_time)}};
        } else {
            o["reference"] = nullptr;
        }
        o["solver"] = {{"segments", s.stats.segments},
                       {"steps", s.stats.steps},
                       {"rejected_steps", s.stats.rejected},
                       {"rhs_evaluations", s.stats.rhs_evaluations}};
        scs.push_back(o);
        timing_sc[sc.name] = s.wall_seconds;
    }
    j["scenarios"] = scs;
    j["resolved_config"] = ex.resolved;
    // Wall-clock times vary from run to run: they live here, apart, so comparisons can drop them.
    j["timing"] = {{"wall_seconds", r.wall_seconds}, {"scenario_wall_seconds", timing_sc}};
    return j;
}

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

void write_results(const RunResult& r, const fs::path& dir_in, bool force) {
    const fs::path dir = normal_dir(dir_in);
    const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    const std::string leaf = dir.filename().string();
    check_results_dir(dir, force);
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw RunError("cannot create " + parent.string() + ": " + ec.message());
    remove_stale_temporaries(parent, leaf);

    const std::string tag = std::to_string(::getpid()) + "-" + random_suffix();
    const fs::path tmp = parent / ("." + leaf + ".tmp-" + tag);
    try {
        if (!fs::create_directory(tmp, ec) || ec) throw RunError("cannot create " + tmp.string() + ": " + ec.message());
        const auto csv = csv_file_names(r);
        for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
            check_interrupt();
            write_csv(r.scenarios[i], tmp / csv[i]);
        }
        {
            std::ofstream out(tmp / "summary.json");
            out << summary_json(r).dump(2) << '\n';
            out.flush();
            if (!out) throw RunError("error while writing " + (tmp / "summary.json").string());
        }
        check_interrupt();  // the last point where an interrupt discards the results
        // Commit: one rename. SIGKILL at any instant leaves the old directory or the new one,
        // never a mix (plus, at worst, a hidden .<leaf>.tmp-* that the next run removes).
        if (fs::exists(fs::symlink_status(dir, ec))) {
            if (exchange(tmp, dir)) {
                fs::remove_all(tmp, ec);  // now holds the previous results
                return;
            }
            // No RENAME_EXCHANGE on this file system: move the old one aside, then rename.
            const fs::path old = parent / ("." + leaf + ".old-" + tag);
            fs::rename(dir, old, ec);
            if (ec) throw RunError("cannot move the previous " + dir.string() + " aside: " + ec.message());
            fs::rename(tmp, dir, ec);
            if (ec) {
                fs::rename(old, dir);
                throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
            }
            fs::remove_all(old, ec);
        } else {
            fs::rename(tmp, dir, ec);
            if (ec) throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
        }
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
}

void print_table(const RunResult& r, std::ostream& os) {
    const Experiment& ex = *r.experiment;
    fmt::print(os, "experiment '{}' ({}): {} scenario(s), horizon {} yr\n", ex.name, ex.file.string(),
               r.scenarios.size(), ex.horizon);
    fmt::print(os, "{:<22} {:>9} {:>8} {:>16} {:>16} {:>10} {:>12}\n", "scenario", "L target", "R", "time (yr)",
               "reference (yr)", "time err", "max R err");
    auto t_str = [](const std::optional<double>& t, bool unreachable) {
        if (t) return fmt::format("{:.6g}", *t);
        return std::string(unreachable ? "unreachable" : "not reached");
    };
    for (const auto& s : r.scenarios) {
        const std::string rerr = s.max_rel_err ? fmt::format("{:.2e}", *s.max_rel_err) : "-";
        if (s.targets.empty())
            fmt::print(os, "{:<22} {:>9} {:>8} {:>16} {:>16} {:>10} {:>12}\n", s.spec->name, "-", "-", "-", "-", "-",
                       rerr);
        for (const auto& t : s.targets) {
            const std::string ref = t.has_reference ? t_str(t.reference_time, t.unreachable) : "-";
            const std::string terr = t.time_rel_err ? fmt::format("{:.2e}", *t.time_rel_err) : "-";
            fmt::print(os, "{:<22} {:>9.4g} {:>8.4g} {:>16} {:>16} {:>10} {:>12}\n", s.spec->name, t.loss, t.relative,
                       t_str(t.time, t.unreachable), ref, terr, rerr);
        }
    }
}

}  // namespace racesim
