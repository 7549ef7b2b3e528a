#include "racesim/output/results_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "racesim/core/diagnostics.hpp"

namespace fs = std::filesystem;

namespace racesim {

namespace {

/// "out/" -> "out", "a/./b/.." -> "a".
fs::path normal_dir(const fs::path& dir_in) {
    fs::path dir = dir_in.lexically_normal();
    if (dir.filename().empty() && dir.has_parent_path() && dir != dir.root_path()) dir = dir.parent_path();
    return dir;
}

fs::path parent_of(const fs::path& dir) {
    return dir.has_parent_path() ? dir.parent_path() : fs::path(".");
}

/// `p` made absolute, symbolic links followed as far as it exists, lexically normal, without a
/// trailing '/'.
fs::path resolved(const fs::path& p) {
    std::error_code ec;
    fs::path r = fs::absolute(p, ec);
    if (ec) r = p;
    fs::path c = fs::weakly_canonical(r, ec);
    r = (ec ? r : c).lexically_normal();
    if (r.filename().empty() && r.has_parent_path() && r != r.root_path()) r = r.parent_path();
    return r;
}

/// Whether `p` is `ancestor` or inside it (both resolved).
bool inside(const fs::path& p, const fs::path& ancestor) {
    auto [a, q] = std::mismatch(ancestor.begin(), ancestor.end(), p.begin(), p.end());
    (void)q;
    return a == ancestor.end();
}

bool test_hook(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::string_view(v) == "1";
}

std::string random_suffix() {
    std::random_device rd;
    return fmt::format("{:08x}", rd());
}

/// Refuses a results directory whose replacement would delete the root directory, the
/// working directory or one of its ancestors, or the config file.
void check_protected(const fs::path& dir_in, const fs::path& dir, const fs::path& config) {
    std::error_code ec;
    const fs::path cwd_raw = fs::current_path(ec);
    const fs::path cwd = ec ? fs::path() : resolved(cwd_raw);
    std::vector<fs::path> configs;  // the file, and where its name is (a symbolic link may differ)
    if (!config.empty()) {
        configs.push_back(resolved(config));
        configs.push_back(resolved(parent_of(config)) / config.filename());
    }
    for (const fs::path& spelling : {dir, dir_in}) {
        const fs::path r = resolved(spelling);
        const std::string shown = dir.string() + (r.string() != dir.string() ? " (" + r.string() + ")" : "");
        const std::string never =
            ": racesim never replaces it, not even with --force; choose another --out (a new directory, or one that "
            "racesim wrote)";
        if (r == r.root_path()) throw RunError("results directory " + shown + " is the root directory" + never);
        if (!cwd.empty() && r == cwd)
            throw RunError("results directory " + shown + " is the working directory" + never);
        if (!cwd.empty() && inside(cwd, r))
            throw RunError("results directory " + shown + " is an ancestor of the working directory " + cwd.string() +
                           never);
        for (const fs::path& c : configs)
            if (inside(c, r))
                throw RunError("results directory " + shown + " holds the config " + config.string() +
                               (c.string() != config.string() ? " (" + c.string() + ")" : "") + never);
    }
}

bool is_marker(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(file, ec))) return false;
    std::ifstream in(file);
    std::string line;
    return std::getline(in, line) && line.rfind(results_marker_signature, 0) == 0;
}

/// A summary.json written by racesim (any version): a JSON object with its version and
/// experiment name.
bool is_racesim_summary(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(file, ec))) return false;
    std::ifstream in(file);
    if (!in) return false;
    try {
        const auto j = nlohmann::json::parse(in);
        return j.is_object() && j.contains("racesim_version") && j.contains("experiment");
    } catch (...) {
        return false;
    }
}

/// What an existing directory holds, as far as replacing it goes.
struct Contents {
    enum Kind { empty, marked, earlier_version, other } kind = other;
    bool racesim_summary = false;      ///< a summary.json of racesim's
    std::vector<std::string> foreign;  ///< entries racesim does not write (sorted; the first few)
    std::size_t foreign_count = 0;
};

Contents contents_of(const fs::path& dir) {
    Contents c;
    if (is_marker(dir / results_marker)) {
        c.kind = Contents::marked;
        return c;
    }
    std::error_code ec;
    std::size_t entries = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        ++entries;
        const std::string name = it->path().filename().string();
        std::error_code sec;
        const auto st = fs::symlink_status(it->path(), sec);
        if (name == "summary.json" && fs::is_regular_file(st)) continue;
        if (name == results_figures && fs::is_directory(st)) continue;
        if (fs::is_regular_file(st) && name.size() > 4 && name[0] != '.' && name.substr(name.size() - 4) == ".csv")
            continue;
        ++c.foreign_count;
        c.foreign.push_back(name);
    }
    if (ec) {
        c.foreign = {"(unreadable: " + ec.message() + ")"};
        c.foreign_count = 1;
        return c;
    }
    std::sort(c.foreign.begin(), c.foreign.end());
    if (c.foreign.size() > 3) c.foreign.resize(3);
    c.racesim_summary = is_racesim_summary(dir / "summary.json");
    if (entries == 0)
        c.kind = Contents::empty;
    else if (c.foreign_count == 0 && c.racesim_summary)
        c.kind = Contents::earlier_version;
    return c;
}

std::string list_foreign(const Contents& c) {
    std::string s;
    for (const auto& f : c.foreign) s += (s.empty() ? "" : ", ") + f;
    if (c.foreign_count > c.foreign.size()) s += fmt::format(" and {} more", c.foreign_count - c.foreign.size());
    return s;
}

}  // namespace

void check_results_dir(const fs::path& dir_in, bool force, const fs::path& config) {
    const fs::path dir = normal_dir(dir_in);
    check_protected(dir_in, dir, config);
    std::error_code ec;
    const auto st = fs::symlink_status(dir, ec);
    if (fs::exists(st)) {
        if (!fs::is_directory(fs::status(dir, ec)))
            throw RunError("results path " + dir.string() + " exists and is not a directory");
        const Contents c = contents_of(dir);
        switch (c.kind) {
            case Contents::marked:
            case Contents::earlier_version:
                if (!force)
                    throw RunError("results directory " + dir.string() +
                                   " already exists (results of an earlier run); pass --force to replace it, or "
                                   "choose another --out");
                break;
            case Contents::empty:
                if (!force)
                    throw RunError("results directory " + dir.string() +
                                   " already exists (empty); pass --force to replace it, or choose another --out");
                break;
            case Contents::other:
                if (c.racesim_summary)
                    throw RunError("results directory " + dir.string() +
                                   " already exists and holds, besides the results of an earlier racesim version, " +
                                   list_foreign(c) +
                                   ", which racesim does not write: racesim does not replace it, not even with "
                                   "--force; choose another --out, or move those out of " +
                                   dir.string() + " first");
                throw RunError("results directory " + dir.string() +
                               " already exists and does not hold racesim results (no " + results_marker + " file" +
                               (c.foreign_count ? "; it holds " + list_foreign(c)
                                                : std::string(", and its summary.json is not racesim's")) +
                               "): racesim does not replace it, not even with --force; choose another --out, or "
                               "empty or remove " +
                               dir.string() + " yourself");
        }
    }
    // The nearest existing ancestor must be a directory we may create entries in.
    fs::path p = parent_of(dir);
    while (!p.empty() && !fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
    if (p.empty()) p = ".";
    if (!fs::exists(p, ec)) return;  // a relative path whose first component is missing: "." exists
    if (!fs::is_directory(p, ec))
        throw RunError("cannot write results to " + dir.string() + ": " + p.string() + " is not a directory");
    if (::access(p.c_str(), W_OK | X_OK) != 0)
        throw RunError("cannot write results to " + dir.string() + ": " + p.string() + " is not writable (" +
                       std::strerror(errno) + ")");
}

namespace {

/// Atomically swaps two directory entries (Linux renameat2 RENAME_EXCHANGE). False when the
/// file system does not support it (or a test asks for the fallback).
bool exchange(const fs::path& a, const fs::path& b) {
    if (test_hook("RACESIM_TEST_NO_RENAME_EXCHANGE")) return false;
#if defined(__linux__) && defined(RENAME_EXCHANGE)
    return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
    (void)a;
    (void)b;
    return false;
#endif
}

/// Whether the open file `fd` is still the file at `path` (no one removed or replaced it).
bool same_file(int fd, const fs::path& path) {
    using Stat = struct stat;
    Stat a{}, b{};
    return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/// The hidden siblings of results directory `leaf` in `parent`, of one writer (`tag`).
struct Siblings {
    fs::path tmp, old, lock;
    Siblings(const fs::path& parent, const std::string& leaf, const std::string& tag)
        : tmp(parent / ("." + leaf + ".tmp-" + tag)),
          old(parent / ("." + leaf + ".old-" + tag)),
          lock(parent / ("." + leaf + ".lock-" + tag)) {}
};

/// Whether the writer `tag` is gone. With a lock file: when its lock can be taken; then `fd`
/// holds it (the caller removes the writer's leftovers, then the lock file, then closes it).
/// Without one (racesim before the lock, or the lock file removed by hand): when its PID,
/// the number the tag starts with, does not exist here; `fd` is -1. Anything unclear: alive.
bool writer_gone(const Siblings& s, const std::string& tag, int& fd) {
    fd = ::open(s.lock.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT) return false;
        const auto dash = tag.find('-');
        if (dash == std::string::npos || dash == 0) return false;  // not a tag of racesim's
        long pid = 0;
        try {
            pid = std::stol(tag.substr(0, dash));
        } catch (...) {
            return false;
        }
        if (pid <= 0 || pid == static_cast<long>(::getpid())) return false;
        return ::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !same_file(fd, s.lock)) {
        ::close(fd);
        fd = -1;
        return false;
    }
    return true;
}

/// Restores and removes what dead writers of results directory `dir` left in `parent`: when
/// `dir` is missing and a dead writer's `.<leaf>.old-*` exists (killed between the two renames
/// of the fallback), it is renamed back to `dir` (the newest, if several); then the dead
/// writers' temporaries, set-aside directories and lock files are removed. A writer whose lock
/// is held, by any process on any host, is left alone.
void recover(const fs::path& parent, const std::string& leaf, const fs::path& dir) {
    std::set<std::string> tags;
    std::error_code ec;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        for (const char* kind : {".tmp-", ".old-", ".lock-"}) {
            const std::string prefix = "." + leaf + kind;
            if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0)
                tags.insert(name.substr(prefix.size()));
        }
    }
    struct Gone {
        Siblings s;
        int fd;
    };
    std::vector<Gone> gone;
    for (const auto& tag : tags) {
        Siblings s(parent, leaf, tag);
        int fd = -1;
        if (writer_gone(s, tag, fd)) gone.push_back(Gone{s, fd});
    }
    if (!fs::exists(fs::symlink_status(dir, ec))) {
        const Gone* newest = nullptr;
        fs::file_time_type newest_time{};
        for (const auto& g : gone) {
            std::error_code e;
            if (!fs::is_directory(fs::symlink_status(g.s.old, e))) continue;
            const auto t = fs::last_write_time(g.s.old, e);
            if (newest && (e || t <= newest_time)) continue;
            newest = &g;
            newest_time = t;
        }
        if (newest) {
            std::error_code e;
            fs::rename(newest->s.old, dir, e);
            if (!e)
                std::cerr << "racesim: warning: restored " << dir.string() << " from " << newest->s.old.string()
                          << ", where a racesim process killed while replacing it had set it aside\n";
        }
    }
    const bool have_dir = fs::exists(fs::symlink_status(dir, ec));
    for (auto& g : gone) {
        std::error_code e;
        fs::remove_all(g.s.tmp, e);
        if (have_dir) fs::remove_all(g.s.old, e);  // else keep: they are the only results left
        if (g.fd >= 0) {
            if (!fs::exists(fs::symlink_status(g.s.tmp, e)) && !fs::exists(fs::symlink_status(g.s.old, e)))
                ::unlink(g.s.lock.c_str());
            ::close(g.fd);
        }
    }
}

const char* const marker_text =
    "racesim results directory\n"
    "This directory was written by racesim; this file marks it as such. `racesim run --force`\n"
    "replaces a directory only when it has this file (docs/results.md), and then as a whole:\n"
    "everything in it is deleted except the figures/ subdirectory, which the new results keep.\n";

}  // namespace

struct AtomicResultsDir::Impl {
    fs::path dir, parent, config;
    std::string leaf, tag;
    bool force = false, committed = false, made = false;  ///< made: the temporary directory is ours
    std::optional<Siblings> s;
    int lock_fd = -1;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    /// Removes the temporary directory unless committed (also when the constructor throws after
    /// making it), then the lock file (only with the last of the files: a set-aside previous
    /// directory that a failed commit could not put back is kept for the next run to restore),
    /// and releases the lock.
    ~Impl() {
        if (!s) return;
        std::error_code ec;
        if (made && !committed) fs::remove_all(s->tmp, ec);
        if (lock_fd < 0) return;
        if (!fs::exists(fs::symlink_status(s->tmp, ec)) && !fs::exists(fs::symlink_status(s->old, ec)))
            ::unlink(s->lock.c_str());
        ::close(lock_fd);
    }

    /// Creates this writer's lock file and takes its lock (held until destruction).
    void lock() {
        for (int attempt = 0; attempt < 100; ++attempt) {
            const std::string t = std::to_string(::getpid()) + "-" + random_suffix();
            const Siblings mine(parent, leaf, t);
            const int fd = ::open(mine.lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0) {
                if (errno == EEXIST) continue;  // another writer's tag: draw again
                throw RunError("cannot create " + mine.lock.string() + ": " + std::strerror(errno));
            }
            int rc;
            while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
            }
            // No flock on this file system: go on unlocked; other writers cannot take the lock
            // either, so they take this writer for alive and leave its files alone.
            if (rc != 0 || same_file(fd, mine.lock)) {
                tag = t;
                s.emplace(mine);
                lock_fd = fd;
                return;
            }
            ::close(fd);  // another writer's clean-up took it for a dead writer's: start again
        }
        throw RunError("cannot create a lock file for " + dir.string() + " in " + parent.string());
    }
};

void recover_results_dir(const fs::path& dir_in) noexcept {
    try {
        const fs::path dir = normal_dir(dir_in);
        const fs::path parent = parent_of(dir);
        const std::string leaf = dir.filename().string();
        std::error_code ec;
        if (!leaf.empty() && leaf != "." && leaf != ".." && fs::is_directory(parent, ec)) recover(parent, leaf, dir);
    } catch (...) {  // best effort: the next run writing to `dir` does the same
    }
}

AtomicResultsDir::AtomicResultsDir(const fs::path& dir_in, bool force, const fs::path& config)
    : impl_(std::make_unique<Impl>()) {
    Impl& w = *impl_;
    w.dir = normal_dir(dir_in);
    w.parent = parent_of(w.dir);
    w.config = config;
    w.force = force;
    w.leaf = w.dir.filename().string();
    check_protected(dir_in, w.dir, config);
    if (w.leaf.empty() || w.leaf == "." || w.leaf == "..")
        throw RunError("results directory " + w.dir.string() + " has no name of its own; choose another --out");
    std::error_code ec;
    if (fs::is_directory(w.parent, ec)) recover(w.parent, w.leaf, w.dir);
    check_results_dir(w.dir, force, config);
    fs::create_directories(w.parent, ec);
    if (ec) throw RunError("cannot create " + w.parent.string() + ": " + ec.message());
    w.lock();
    w.made = fs::create_directory(w.s->tmp, ec) && !ec;
    if (!w.made) throw RunError("cannot create " + w.s->tmp.string() + ": " + (ec ? ec.message() : "it exists"));
    std::ofstream out(w.s->tmp / results_marker);
    out << marker_text;
    out.flush();
    if (!out) throw RunError("cannot create " + (w.s->tmp / results_marker).string());
}

AtomicResultsDir::~AtomicResultsDir() = default;

const fs::path& AtomicResultsDir::dir() const {
    return impl_->dir;
}

const fs::path& AtomicResultsDir::staging() const {
    return impl_->s->tmp;
}

void AtomicResultsDir::commit() {
    Impl& w = *impl_;
    check_results_dir(w.dir, w.force, w.config);
    std::error_code ec;
    const fs::path& dir = w.dir;
    const fs::path& tmp = w.s->tmp;
    if (!fs::exists(fs::symlink_status(dir, ec))) {
        fs::rename(tmp, dir, ec);
        if (ec) throw RunError("cannot move results into " + dir.string() + ": " + ec.message());
        w.committed = true;
        return;
    }
    // The figures of the previous results go into the new ones, as hard links (a copy where
    // the file system has none), before the swap: whichever directory a kill leaves, it has them.
    const fs::path figures = dir / results_figures;
    if (fs::exists(fs::symlink_status(figures, ec))) {
        const fs::path to = tmp / results_figures;
        fs::copy(figures, to,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::create_hard_links,
                 ec);
        if (ec) {
            std::error_code rm;
            fs::remove_all(to, rm);
            ec.clear();
            fs::copy(figures, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
        }
        if (ec)
            throw RunError("cannot carry " + figures.string() + " over into the new results (" + ec.message() + "); " +
                           dir.string() + " is left as it was");
    }
    // Commit: one rename. SIGKILL at any instant leaves the old directory or the new one,
    // never a mix (plus, at worst, hidden siblings that the next run removes).
    if (exchange(tmp, dir)) {
        w.committed = true;
        fs::remove_all(tmp, ec);  // now holds the previous results
        return;
    }
    // No RENAME_EXCHANGE on this file system: move the old one aside, then rename. A kill in
    // between leaves no `dir`: the next run restores it from `old` (recover()).
    const fs::path& old = w.s->old;
    fs::rename(dir, old, ec);
    if (ec) throw RunError("cannot move the previous " + dir.string() + " aside: " + ec.message());
    if (test_hook("RACESIM_TEST_KILL_BETWEEN_RENAMES")) std::raise(SIGKILL);
    fs::rename(tmp, dir, ec);
    if (ec) {
        std::error_code back;
        fs::rename(old, dir, back);
        throw RunError("cannot move results into " + dir.string() + ": " + ec.message() +
                       (back ? "; the previous results are in " + old.string() + " (" + back.message() + ")" : ""));
    }
    w.committed = true;
    fs::remove_all(old, ec);
}

}  // namespace racesim
