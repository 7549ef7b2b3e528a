// The results directory as a whole, whatever its files hold: which directories racesim may
// write or replace (the marker file, the protected directories), and the atomic write into a
// temporary sibling that is renamed into place. The rules are in docs/results.md and
// docs/reliability.md.
#pragma once

#include <filesystem>
#include <memory>

namespace racesim {

/// The marker file racesim writes into every results directory. `--force` replaces only a
/// directory that has one (or the results directory of a racesim version older than the
/// marker: see check_results_dir).
inline constexpr const char* results_marker = ".racesim-results";

/// The first line of the marker file, which identifies it.
inline constexpr const char* results_marker_signature = "racesim results directory";

/// The subdirectory of a results directory that a replacement carries over into the new
/// results (tools/plot writes its figures there).
inline constexpr const char* results_figures = "figures";

/// Checks, before any work, that results can go to `dir`. Throws RunError, with a message
/// saying why and what to do, when:
///  * `dir` resolves (symbolic links, ".", "..", "$PWD" spellings alike) to the root
///    directory, the working directory or one of its ancestors, or a directory that holds
///    `config` (the experiment's config file; empty: no such check), with or without `force`;
///  * `dir` exists and is not a directory;
///  * `dir` exists without `force`;
///  * `dir` exists, with `force`, and is neither empty, nor marked (results_marker), nor the
///    results directory of an earlier racesim version (a summary.json of racesim's, *.csv
///    files and a figures/ directory, nothing else).
/// Also refuses a nearest existing ancestor that is not a writable directory.
void check_results_dir(const std::filesystem::path& dir, bool force, const std::filesystem::path& config = {});

/// Cleans up after writers of results directory `dir` that are gone (killed, or a worker
/// process that crashed): restores `dir` from a set-aside `.<leaf>.old-*` when `dir` is
/// missing, and removes their temporaries and lock files, as the next run writing to `dir`
/// would. A writer whose lock is held is left alone. Never throws.
void recover_results_dir(const std::filesystem::path& dir) noexcept;

/// A results directory being written: every file goes into staging(), a temporary sibling
/// `.<leaf>.tmp-<tag>` (tag: `<pid>-<8 hex digits>`) that holds the marker file from the
/// start, and commit() renames it to `dir` in one step. With `force`, an existing `dir` is
/// swapped out atomically by renameat2(RENAME_EXCHANGE), its figures/ carried over (hard
/// links), then deleted. Where RENAME_EXCHANGE is missing, `dir` is first renamed to
/// `.<leaf>.old-<tag>`; a run killed between the two renames leaves that, and the next run
/// writing to `dir` renames it back.
///
/// Each writer holds an flock(2) on `.<leaf>.lock-<tag>` in the parent directory for its whole
/// life. The constructor removes the temporaries of other writers whose lock it can take
/// (they are dead, wherever they ran: PID namespaces and hosts do not matter); temporaries
/// without a lock file (left by racesim versions before the lock) are removed when their PID
/// does not exist. Destroyed without commit() (an error, an interrupt), the writer removes its
/// temporary directory. Throws RunError.
///
/// Test-only environment variables, read here and nowhere else (docs/reliability.md):
/// RACESIM_TEST_NO_RENAME_EXCHANGE=1 takes the fallback as if RENAME_EXCHANGE were missing;
/// RACESIM_TEST_KILL_BETWEEN_RENAMES=1 raises SIGKILL between the fallback's two renames.
class AtomicResultsDir {
public:
    AtomicResultsDir(const std::filesystem::path& dir, bool force, const std::filesystem::path& config);
    ~AtomicResultsDir();
    AtomicResultsDir(const AtomicResultsDir&) = delete;
    AtomicResultsDir& operator=(const AtomicResultsDir&) = delete;

    /// The results directory (lexically normal, no trailing '/').
    [[nodiscard]] const std::filesystem::path& dir() const;
    /// The temporary directory the files are written into.
    [[nodiscard]] const std::filesystem::path& staging() const;

    /// Checks `dir` again (check_results_dir), then makes staging() the results directory.
    void commit();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace racesim
