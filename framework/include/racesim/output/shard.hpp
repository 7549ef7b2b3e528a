// Shard directories: the partial results of one block of a run's work units (`racesim run
// --shard K/N`), and the checks a merge makes of a set of them before it reads one record
// (docs/cluster.md). A shard directory holds manifest.json and journal.bin (the records of its
// units, racesim/run/journal.hpp); it is written atomically, like a results directory.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "racesim/run/journal.hpp"
#include "racesim/run/results.hpp"

namespace racesim {

/// Which block of a run a shard runs: K of N (1-based).
struct ShardSpec {
    std::size_t k = 1, n = 1;
};

/// Reads `--shard`: "K/N" with 1 <= K <= N, or "slurm": K = SLURM_ARRAY_TASK_ID -
/// SLURM_ARRAY_TASK_MIN + 1 and N = SLURM_ARRAY_TASK_COUNT, read through `env` (std::getenv by
/// default). Throws std::invalid_argument saying what is wrong.
[[nodiscard]] ShardSpec parse_shard(const std::string& text, const std::function<const char*(const char*)>& env = {});

/// The SHA-256 of the experiment as resolved (summary.json's resolved_config, compact JSON):
/// two runs with equal hashes run the same scenarios with the same parameters.
[[nodiscard]] std::string config_hash(const Experiment& ex);

/// What manifest.json says of a shard.
struct ShardManifest {
    std::string version;        ///< racesim's
    std::string config;         ///< the config file, as given to `racesim run`
    std::string config_sha256;  ///< config_hash
    ShardSpec shard;
    UnitRange units;        ///< the block of work units it ran
    std::size_t total = 0;  ///< the run's work units
    std::size_t scenarios = 0;
    bool trajectories = true;
    std::vector<PluginProvenance> plugins;
    std::string journal = "journal.bin";
    std::uint64_t journal_bytes = 0;
    std::string journal_sha256;
    double wall_seconds = 0;
};

[[nodiscard]] nlohmann::ordered_json manifest_json(const ShardManifest& m);

/// A shard that cannot be merged: which one, and why.
class ShardError : public std::runtime_error {
public:
    ShardError(std::filesystem::path shard, const std::string& message);
    std::filesystem::path shard;  ///< the shard directory at fault (empty: the set as a whole)
};

/// Writes a shard directory: journal() streams the records into a temporary sibling directory,
/// commit() adds manifest.json and makes it `dir` in one step (AtomicResultsDir: refused when
/// `dir` exists, unless `force`). Destroyed without commit(), it leaves nothing. Throws RunError.
class ShardWriter {
public:
    ShardWriter(const std::filesystem::path& dir, bool force, const std::filesystem::path& config);
    ~ShardWriter();
    ShardWriter(const ShardWriter&) = delete;
    ShardWriter& operator=(const ShardWriter&) = delete;

    [[nodiscard]] JournalWriter& journal();
    /// Closes the journal, fills in its size and hash, writes the manifest and commits.
    void commit(ShardManifest m);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A set of shard directories, checked: each has a readable manifest of this racesim version,
/// the same config hash, trajectories setting, plugin libraries (kind, type, SHA-256) and number
/// of work units; together their blocks cover every unit exactly once; each journal has the size
/// and SHA-256 its manifest says. Sorted by their blocks. Throws ShardError naming the shard.
class ShardSet {
public:
    explicit ShardSet(const std::vector<std::filesystem::path>& dirs);

    [[nodiscard]] const std::vector<ShardManifest>& manifests() const { return manifests_; }
    [[nodiscard]] const std::vector<std::filesystem::path>& dirs() const { return dirs_; }
    /// The first manifest (what they all agree on).
    [[nodiscard]] const ShardManifest& common() const { return manifests_.front(); }
    /// Throws ShardError unless the run of `ex` would use the plugins the shards used (kind, type
    /// and SHA-256 of each library) and `ex` hashes as they do.
    void check(const Experiment& ex, const RunInfo& info) const;
    /// The journals, in the order of their blocks, as one stream of records.
    [[nodiscard]] JournalReader records() const;
    /// The sum of the shards' wall-clock seconds.
    [[nodiscard]] double wall_seconds() const;

private:
    std::vector<ShardManifest> manifests_;
    std::vector<std::filesystem::path> dirs_;
};

}  // namespace racesim
