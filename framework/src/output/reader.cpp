#include "racesim/output/reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "columns.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/core/csv.hpp"
#include "racesim/core/diagnostics.hpp"

namespace fs = std::filesystem;

namespace racesim {

namespace {

nlohmann::json read_summary(const fs::path& dir) {
    const fs::path file = dir / "summary.json";
    std::ifstream in(file);
    if (!in) throw RunError(dir.string() + " holds no summary.json: not a racesim results directory");
    try {
        auto j = nlohmann::json::parse(in);
        if (!j.contains("racesim_version") || !j.contains("scenarios"))
            throw RunError(file.string() + " is not a racesim summary (no racesim_version or scenarios)");
        return j;
    } catch (const nlohmann::json::exception& e) {
        throw RunError(file.string() + ": " + e.what());
    }
}

}  // namespace

std::vector<std::string> result_scenarios(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& s : read_summary(dir)["scenarios"]) names.push_back(s.value("name", ""));
    return names;
}

Series read_series(const fs::path& dir, const std::string& scenario) {
    const auto summary = read_summary(dir);
    const nlohmann::json* entry = nullptr;
    std::vector<std::string> names;
    for (const auto& s : summary["scenarios"]) {
        names.push_back(s.value("name", ""));
        if (s.value("name", "") == scenario) entry = &s;
    }
    if (!entry) {
        std::string msg = "no scenario '" + scenario + "' in " + dir.string();
        if (auto s = suggest(scenario, names); !s.empty()) msg += "; did you mean '" + s + "'?";
        std::string all;
        for (std::size_t i = 0; i < names.size() && i < 20; ++i) all += (i ? ", " : "") + names[i];
        if (names.size() > 20) all += ", ...";
        throw RunError(msg + " (scenarios: " + all + ")");
    }
    Series s;
    s.name = scenario;
    for (const auto& t : (*entry)["targets"]) {
        TargetSpec spec;
        spec.kind = t.value("kind", "loss") == "loss" ? TargetSpec::Kind::loss : TargetSpec::Kind::relative;
        spec.value = spec.kind == TargetSpec::Kind::loss ? t.value("loss", 0.0) : t.value("relative", 0.0);
        std::optional<double> time;
        if (t.contains("time") && t["time"].is_number()) time = t["time"].get<double>();
        s.targets.push_back({target_label(spec), time});
    }
    // The trajectory file: a plain file name inside the directory (summary.json is data, and a
    // hand-edited or hostile one must not make compare read /etc/passwd).
    const auto& csv_entry = (*entry)["csv"];
    if (!csv_entry.is_string())
        throw RunError("scenario '" + scenario + "' of " + dir.string() +
                       " has no trajectory file (the run kept none: --no-trajectories, or more than 1000 scenarios)");
    const std::string csv_name = csv_entry.get<std::string>();
    if (csv_name.empty() || csv_name == "." || csv_name == ".." || csv_name.find('/') != std::string::npos)
        throw RunError(dir.string() + "/summary.json names the trajectory file '" + csv_name + "' of scenario '" +
                       scenario + "': not a file name inside the results directory; refused");
    const fs::path file = dir / csv_name;
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(file, ec), real_dir = fs::weakly_canonical(dir, ec);
    if (!ec && real.parent_path() != real_dir)
        throw RunError(file.string() + " is a link to " + real.string() + ", outside the results directory; refused");
    std::ifstream in(file);
    if (!in) throw RunError("cannot read " + file.string());
    // The trajectory's CSV as the writer renders it (columns.hpp), read with its quoting.
    csv::Reader reader(in);
    std::vector<std::string> head, f;
    try {
        reader.next(head);
        auto col = [&](std::string_view n) -> std::size_t {
            for (std::size_t i = 0; i < head.size(); ++i)
                if (head[i] == n) return i;
            throw RunError(file.string() + ":1: no column '" + std::string(n) + "' in the header");
        };
        // columns::trajectory: t, C, E, P, L, R.
        const std::size_t it = col(columns::trajectory[0].name), iC = col(columns::trajectory[1].name),
                          iL = col(columns::trajectory[4].name), iR = col(columns::trajectory[5].name);
        while (reader.next(f)) {
            if (f.size() == 1 && f[0].empty()) continue;  // a blank line
            auto at = [&] { return file.string() + ":" + std::to_string(reader.line()); };
            auto num = [&](std::size_t i) {
                double v = 0;
                if (i >= f.size()) throw RunError(at() + ": too few fields");
                const auto [p, ec] = std::from_chars(f[i].data(), f[i].data() + f[i].size(), v);
                if (ec != std::errc() || p != f[i].data() + f[i].size())
                    throw RunError(at() + ": '" + f[i] + "' is not a number");
                if (!std::isfinite(v))
                    throw RunError(at() + ": '" + f[i] + "' is not a finite number (racesim writes none)");
                return v;
            };
            const double t = num(it);
            if (!s.t.empty() && !(t > s.t.back()))
                throw RunError(at() + ": t = " + f[it] + " does not come after the previous row's t = " +
                               fmt::format("{}", s.t.back()) + ": rows must be in increasing time, each once");
            s.t.push_back(t);
            s.C.push_back(num(iC));
            s.L.push_back(num(iL));
            s.R.push_back(num(iR));
        }
    } catch (const csv::Error& e) {
        throw RunError(file.string() + ":" + std::to_string(e.line) + ": " + e.what());
    }
    // racesim's grid runs from 0 to the scenario's horizon: a file that stops early was cut.
    const double horizon = entry->value("horizon", 0.0);
    if (s.t.empty() || s.t.front() != 0)
        throw RunError(file.string() + ": the rows do not start at t = 0" +
                       (s.t.empty() ? std::string(" (no rows)") : ""));
    if (s.t.back() != horizon)
        throw RunError(file.string() + ": the last row is at t = " + fmt::format("{}", s.t.back()) +
                       " yr, not at the scenario's horizon " + fmt::format("{}", horizon) +
                       " yr (summary.json): the file is truncated");
    return s;
}

}  // namespace racesim
