#include "racesim/output/shard.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "racesim/core/errors.hpp"
#include "racesim/core/sha256.hpp"
#include "racesim/output/results_dir.hpp"
#include "racesim/output/writer.hpp"
#include "racesim/plugin/api.hpp"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace racesim {

namespace {

constexpr const char* manifest_format = "racesim-shard";
/// 2 since the journal's scenario record carries the quadrature panels' counters
/// (IntegrationStats::panel_steps, panel_rejected): a shard of version 1 does not read back.
constexpr int manifest_version = 2;

/// A whole number of `what`, or nullopt.
std::optional<std::size_t> whole(std::string_view s) {
    std::size_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

/// An integer that may be negative (SLURM_ARRAY_TASK_MIN is not, but its difference is checked).
std::optional<long long> integer(const char* s) {
    if (!s) return std::nullopt;
    long long v = 0;
    const std::string_view t(s);
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return std::nullopt;
    return v;
}

/// The first plugin type in which two lists differ (kind, type or file: its path may differ
/// between machines), or nullopt when they are the same.
std::optional<std::size_t> plugin_difference(const std::vector<PluginProvenance>& a,
                                             const std::vector<PluginProvenance>& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
        if (i >= a.size() || i >= b.size() || a[i].kind != b[i].kind || a[i].type != b[i].type ||
            a[i].sha256 != b[i].sha256)
            return i;
    return std::nullopt;
}

/// What differs at that index, for messages: "<kind> '<type>' from A (sha256 ...) against B (sha256 ...)".
std::string plugin_difference_text(const std::vector<PluginProvenance>& a, const std::vector<PluginProvenance>& b,
                                   std::size_t i) {
    if (i >= a.size() || i >= b.size()) return "another set of plugin types";
    auto from = [](const PluginProvenance& p) { return p.library + " (sha256 " + p.sha256.substr(0, 12) + "...)"; };
    return std::string(plugin::to_string(a[i].kind)) + " '" + a[i].type + "' from " + from(a[i]) + " against " +
           from(b[i]);
}

}  // namespace

ShardSpec parse_shard(const std::string& text, const std::function<const char*(const char*)>& env_in) {
    const std::function<const char*(const char*)> env =
        env_in ? env_in : [](const char* name) -> const char* { return std::getenv(name); };
    if (text == "slurm") {
        const char* id = env("SLURM_ARRAY_TASK_ID");
        const char* min = env("SLURM_ARRAY_TASK_MIN");
        const char* count = env("SLURM_ARRAY_TASK_COUNT");
        if (!id || !min || !count)
            throw std::invalid_argument(
                std::string("--shard slurm: ") +
                (!id    ? "SLURM_ARRAY_TASK_ID"
                 : !min ? "SLURM_ARRAY_TASK_MIN"
                        : "SLURM_ARRAY_TASK_COUNT") +
                " is not set: run it as a task of a Slurm job array (sbatch --array), or give --shard K/N");
        const auto i = integer(id), lo = integer(min), n = integer(count);
        if (!i || !lo || !n || *n < 1)
            throw std::invalid_argument(std::string("--shard slurm: SLURM_ARRAY_TASK_ID=") + id +
                                        ", SLURM_ARRAY_TASK_MIN=" + min + ", SLURM_ARRAY_TASK_COUNT=" + count +
                                        " are not whole numbers with COUNT >= 1");
        const long long k = *i - *lo + 1;
        if (k < 1 || k > *n)
            throw std::invalid_argument(std::string("--shard slurm: task ") + id + " is not one of the " + count +
                                        " tasks from " + min +
                                        ": racesim's shards are the array's tasks MIN, MIN+1, ..., MIN+COUNT-1 "
                                        "(e.g. --array=1-" +
                                        count + ", without a step or gaps)");
        return {static_cast<std::size_t>(k), static_cast<std::size_t>(*n)};
    }
    const auto slash = text.find('/');
    const auto k = slash == std::string::npos ? std::nullopt : whole(std::string_view(text).substr(0, slash));
    const auto n = slash == std::string::npos ? std::nullopt : whole(std::string_view(text).substr(slash + 1));
    if (!k || !n)
        throw std::invalid_argument("--shard '" + text +
                                    "': expected K/N (the K-th of N blocks, e.g. 2/8) or 'slurm' (K and N from "
                                    "the Slurm job array's environment)");
    if (*n < 1 || *k < 1 || *k > *n) throw std::invalid_argument("--shard '" + text + "': expected 1 <= K <= N");
    return {*k, *n};
}

std::string config_hash(const Experiment& ex) {
    return sha256_hex(resolved_config_json(ex).dump());
}

ordered_json manifest_json(const ShardManifest& m) {
    ordered_json j;
    j["format"] = manifest_format;
    j["format_version"] = manifest_version;
    j["racesim_version"] = m.version;
    j["config"] = m.config;
    j["config_sha256"] = m.config_sha256;
    j["shard"] = {{"k", m.shard.k}, {"n", m.shard.n}};
    j["units"] = {{"first", m.units.first}, {"last", m.units.last}, {"total", m.total}, {"scenarios", m.scenarios}};
    j["trajectories"] = m.trajectories;
    ordered_json plugins = ordered_json::array();
    for (const auto& p : m.plugins)
        plugins.push_back({{"kind", plugin::to_string(p.kind)},
                           {"type", p.type},
                           {"library", p.library.empty() ? ordered_json(nullptr) : ordered_json(p.library)},
                           {"sha256", p.sha256.empty() ? ordered_json(nullptr) : ordered_json(p.sha256)}});
    j["plugins"] = plugins;
    j["journal"] = {{"file", m.journal}, {"bytes", m.journal_bytes}, {"sha256", m.journal_sha256}};
    j["wall_seconds"] = m.wall_seconds;
    return j;
}

ShardError::ShardError(fs::path shard_dir, const std::string& message)
    : std::runtime_error(shard_dir.empty() ? message : "shard " + shard_dir.string() + ": " + message),
      shard(std::move(shard_dir)) {}

// ---- writing ----

struct ShardWriter::Impl {
    AtomicResultsDir out;  // first: destroyed last
    JournalWriter journal;
    Impl(const fs::path& dir, bool force, const fs::path& config)
        : out(dir, force, config), journal(out.staging() / "journal.bin") {}
};

ShardWriter::ShardWriter(const fs::path& dir, bool force, const fs::path& config)
    : impl_(std::make_unique<Impl>(dir, force, config)) {}

ShardWriter::~ShardWriter() = default;

JournalWriter& ShardWriter::journal() {
    return impl_->journal;
}

void ShardWriter::commit(ShardManifest m) {
    Impl& w = *impl_;
    w.journal.close();
    const fs::path journal = w.out.staging() / "journal.bin";
    m.journal = "journal.bin";
    m.journal_bytes = w.journal.size();
    m.journal_sha256 = sha256_file(journal);
    if (m.journal_sha256.empty()) throw RunError("cannot read back " + journal.string());
    const fs::path file = w.out.staging() / "manifest.json";
    std::ofstream os(file);
    os << manifest_json(m).dump(2) << '\n';
    os.flush();
    if (!os) throw RunError("cannot write " + file.string() + ": " + std::strerror(errno));
    os.close();
    w.out.commit();
}

// ---- reading ----

namespace {

ShardManifest read_manifest(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw ShardError(dir, "is not a directory");
    const fs::path file = dir / "manifest.json";
    std::ifstream in(file);
    if (!in)
        throw ShardError(dir,
                         "has no manifest.json: not a shard directory (written by racesim run --shard K/N), "
                         "or an unfinished one");
    ordered_json j;
    try {
        j = ordered_json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw ShardError(dir, "manifest.json is not valid JSON: " + std::string(e.what()));
    }
    auto field = [&](const ordered_json& obj, const char* key) -> const ordered_json& {
        if (!obj.is_object() || !obj.contains(key))
            throw ShardError(dir, std::string("manifest.json has no \"") + key + "\" (edited, or corrupt?)");
        return obj[key];
    };
    try {
        if (field(j, "format") != manifest_format)
            throw ShardError(dir, "manifest.json is not a racesim shard manifest");
        if (field(j, "format_version") != manifest_version)
            throw ShardError(dir, "manifest.json has format_version " + field(j, "format_version").dump() +
                                      "; this racesim reads version " + std::to_string(manifest_version));
        ShardManifest m;
        m.version = field(j, "racesim_version").get<std::string>();
        m.config = field(j, "config").get<std::string>();
        m.config_sha256 = field(j, "config_sha256").get<std::string>();
        m.shard.k = field(field(j, "shard"), "k").get<std::size_t>();
        m.shard.n = field(field(j, "shard"), "n").get<std::size_t>();
        const ordered_json& units = field(j, "units");
        m.units = {field(units, "first").get<std::size_t>(), field(units, "last").get<std::size_t>()};
        m.total = field(units, "total").get<std::size_t>();
        m.scenarios = field(units, "scenarios").get<std::size_t>();
        m.trajectories = field(j, "trajectories").get<bool>();
        for (const auto& p : field(j, "plugins")) {
            PluginProvenance pp;
            const std::string kind = field(p, "kind").get<std::string>();
            bool known = false;
            for (const plugin::Kind k : {plugin::Kind::efficiency, plugin::Kind::power, plugin::Kind::loss,
                                         plugin::Kind::reference, plugin::Kind::algorithms})
                if (kind == plugin::to_string(k)) pp.kind = k, known = true;
            if (!known) throw ShardError(dir, "manifest.json names a plugin kind '" + kind + "'");
            pp.type = field(p, "type").get<std::string>();
            pp.library = field(p, "library").is_null() ? "" : field(p, "library").get<std::string>();
            pp.sha256 = field(p, "sha256").is_null() ? "" : field(p, "sha256").get<std::string>();
            m.plugins.push_back(std::move(pp));
        }
        const ordered_json& journal = field(j, "journal");
        m.journal = field(journal, "file").get<std::string>();
        m.journal_bytes = field(journal, "bytes").get<std::uint64_t>();
        m.journal_sha256 = field(journal, "sha256").get<std::string>();
        m.wall_seconds = field(j, "wall_seconds").get<double>();
        if (m.journal != "journal.bin") throw ShardError(dir, "manifest.json names a journal other than journal.bin");
        if (m.shard.n < 1 || m.shard.k < 1 || m.shard.k > m.shard.n || m.units.first > m.units.last ||
            m.units.last > m.total || m.scenarios > m.total)
            throw ShardError(dir, "manifest.json has an impossible shard or block of units (edited, or corrupt?)");
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw ShardError(dir, "manifest.json has a value of the wrong type: " + std::string(e.what()));
    }
}

std::string units_text(const UnitRange& u) {
    return u.empty() ? "no units" : "units " + std::to_string(u.first) + " to " + std::to_string(u.last - 1);
}

}  // namespace

ShardSet::ShardSet(const std::vector<fs::path>& dirs) {
    if (dirs.empty()) throw ShardError({}, "no shard directories to merge");
    std::vector<std::pair<ShardManifest, fs::path>> all;
    for (const auto& d : dirs) all.emplace_back(read_manifest(d), d);
    // The same directory twice is a duplicate however it is spelled.
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            std::error_code ec;
            if (fs::equivalent(all[i].second, all[j].second, ec))
                throw ShardError(all[i].second, "is given twice (also as " + all[j].second.string() + ")");
        }
    const auto& [first, first_dir] = all.front();
    for (const auto& [m, d] : all) {
        if (m.version != plugin::racesim_version)
            throw ShardError(d, "was written by racesim " + m.version + "; this is racesim " + plugin::racesim_version +
                                    ": run every shard and the merge with one version");
        if (m.config_sha256 != first.config_sha256)
            throw ShardError(d, "is a shard of another config (" + m.config + ", resolved config sha256 " +
                                    m.config_sha256.substr(0, 12) + "...) than " + first_dir.string() + " (" +
                                    first.config + ", " + first.config_sha256.substr(0, 12) +
                                    "...): its results are not part of this run");
        if (m.total != first.total || m.scenarios != first.scenarios)
            throw ShardError(d, "has a run of " + std::to_string(m.total) + " units, " + first_dir.string() + " of " +
                                    std::to_string(first.total) + " (corrupt manifest?)");
        if (m.trajectories != first.trajectories)
            throw ShardError(d, std::string("was run ") + (m.trajectories ? "with" : "without") + " trajectories and " +
                                    first_dir.string() + " " + (first.trajectories ? "with" : "without") +
                                    ": run every shard with the same --no-trajectories");
        if (const auto i = plugin_difference(m.plugins, first.plugins))
            throw ShardError(d, "used other plugin libraries than " + first_dir.string() + ": " +
                                    plugin_difference_text(m.plugins, first.plugins, *i) +
                                    "; shards merge only when every plugin library is the same file");
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first.units.first < b.first.units.first; });
    // Every unit exactly once: the blocks, sorted, must tile [0, total).
    std::size_t next = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& [m, d] = all[i];
        if (m.units.first > next)
            throw ShardError(
                d, "starts at unit " + std::to_string(m.units.first) + ", but units " + std::to_string(next) + " to " +
                       std::to_string(m.units.first - 1) + " are in no shard given: a shard is missing (each of the " +
                       std::to_string(m.shard.n) + " shards --shard 1/" + std::to_string(m.shard.n) + " to " +
                       std::to_string(m.shard.n) + "/" + std::to_string(m.shard.n) + " must be merged)");
        if (m.units.first < next)
            throw ShardError(d, "holds " + units_text(m.units) + ", which overlap those of " +
                                    all[i - 1].second.string() + " (" + units_text(all[i - 1].first.units) +
                                    "): a shard is given twice, or shards of different --shard N are mixed");
        next = std::max(next, m.units.last);
    }
    if (next < first.total)
        throw ShardError(all.back().second, "ends at unit " + std::to_string(next - 1) + " of " +
                                                std::to_string(first.total) + ", and units " + std::to_string(next) +
                                                " to " + std::to_string(first.total - 1) +
                                                " are in no shard given: a shard is missing");
    // Each journal as its manifest says: nothing truncated, edited or swapped.
    for (const auto& [m, d] : all) {
        const fs::path j = d / m.journal;
        std::error_code ec;
        const auto size = fs::file_size(j, ec);
        if (ec) throw ShardError(d, "has no readable " + m.journal + ": " + ec.message());
        if (size != m.journal_bytes)
            throw ShardError(d, m.journal + " has " + std::to_string(size) + " bytes; its manifest says " +
                                    std::to_string(m.journal_bytes) + " (truncated or changed since it was written)");
        const std::string digest = sha256_file(j);
        if (digest != m.journal_sha256)
            throw ShardError(d, m.journal + " does not have the SHA-256 its manifest says (" +
                                    m.journal_sha256.substr(0, 12) + "..., found " + digest.substr(0, 12) +
                                    "...): it was changed or damaged since it was written");
    }
    for (auto& [m, d] : all) {
        manifests_.push_back(std::move(m));
        dirs_.push_back(std::move(d));
    }
}

void ShardSet::check(const Experiment& ex, const RunInfo& info) const {
    const ShardManifest& m = common();
    const fs::path& d = dirs_.front();
    const std::string hash = config_hash(ex);
    if (hash != m.config_sha256)
        throw ShardError(d, "was run with " + m.config + " as it was then (resolved config sha256 " +
                                m.config_sha256.substr(0, 12) + "...); the file now resolves to another config (" +
                                hash.substr(0, 12) + "...): it changed since the shards ran");
    if (info.work_units != m.total || info.scenarios != m.scenarios)
        throw ShardError(d, "has a run of " + std::to_string(m.total) + " units; " + m.config + " makes " +
                                std::to_string(info.work_units));
    if (const auto i = plugin_difference(m.plugins, info.plugins))
        throw ShardError(
            d, "used other plugins than this merge finds: " + plugin_difference_text(m.plugins, info.plugins, *i) +
                   " here; merge with the plugin libraries the shards ran with");
}

JournalReader ShardSet::records() const {
    std::vector<fs::path> files;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < dirs_.size(); ++i) {
        files.push_back(dirs_[i] / manifests_[i].journal);
        names.push_back("shard " + dirs_[i].string() + ": " + manifests_[i].journal);
    }
    return JournalReader::files(std::move(files), std::move(names));
}

double ShardSet::wall_seconds() const {
    double s = 0;
    for (const auto& m : manifests_) s += m.wall_seconds;
    return s;
}

}  // namespace racesim
