// The journal of a part of a run: what the units [first, last) of an experiment's work produced,
// as records a later process reads back in order (a sharded run's journal.bin, an MPI rank's
// message). Replayed into a sink, the journals of all the parts give the sink exactly the calls
// the unsharded run would have: the same results, the same files (docs/cluster.md).
//
// Encoding: little-endian. An unsigned integer is 8 bytes, a double its 8 IEEE-754 bytes (so it
// round-trips exactly), a string its length then its bytes. A record is a tag byte and its unit
// (the index, in the run, of its first unit of work), then its fields.
//
// The units of a run: its scenarios first, in the run's order (a sweep's points one by one;
// each with its goal seek, sensitivity sides and the other work its analyses do for it), then
// each declared scenario's after-run units (Monte Carlo samples), scenario by scenario.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace racesim {

/// A contiguous block of a run's work units, [first, last).
struct UnitRange {
    std::size_t first = 0, last = 0;
    [[nodiscard]] std::size_t size() const { return last - first; }
    [[nodiscard]] bool empty() const { return last <= first; }
    [[nodiscard]] bool contains(std::size_t u) const { return u >= first && u < last; }
    bool operator==(const UnitRange&) const = default;
};

/// Block k (1-based) of n contiguous blocks of `total` units: the first total % n blocks have one
/// unit more than the others. Throws std::invalid_argument unless 1 <= k <= n.
[[nodiscard]] UnitRange shard_range(std::size_t total, std::size_t k, std::size_t n);

/// A journal that does not read back: truncated, a record out of its order, a value out of place.
class JournalError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Record tags.
namespace journal_tag {
inline constexpr char scenario = 'S';    ///< a scenario's result
inline constexpr char sweep_rows = 'B';  ///< rows of a sweep evaluated at once
inline constexpr char after_run = 'A';   ///< an after-run unit (its analysis encodes the fields)
}  // namespace journal_tag

/// Writes a journal: into memory, or streamed into a file as it grows.
class JournalWriter {
public:
    /// Keeps the bytes in memory (bytes()).
    JournalWriter() = default;
    /// Streams them into `file` (created or truncated); throws RunError when it cannot be written.
    explicit JournalWriter(const std::filesystem::path& file);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    void record(char tag, std::size_t unit) {
        buf_.push_back(tag);
        u64(unit);
    }
    void u64(std::uint64_t v);
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void f64(double v);
    void flag(bool v) { buf_.push_back(v ? '\1' : '\0'); }
    void str(std::string_view s);
    void f64s(const std::vector<double>& v);
    /// An optional double: a flag, then the value when there is one.
    template <class Opt>
    void opt(const Opt& v) {
        flag(v.has_value());
        if (v) f64(*v);
    }

    /// The bytes so far (in memory) or the bytes not yet flushed (to a file).
    [[nodiscard]] const std::string& bytes() const { return buf_; }
    [[nodiscard]] std::string take() { return std::move(buf_); }
    /// Bytes written in all.
    [[nodiscard]] std::uint64_t size() const { return written_ + buf_.size(); }
    /// A file journal: writes what is left and closes the file; throws RunError on failure.
    void close();

private:
    void maybe_flush() {
        if (file_ && buf_.size() >= (std::size_t{1} << 20)) flush();
    }
    void flush();
    std::string buf_;
    std::unique_ptr<std::ofstream> file_;
    std::filesystem::path path_;
    std::uint64_t written_ = 0;
};

/// Reads records back from a sequence of journals (the parts of a run, in order), as one
/// stream: from files (read a block at a time) or from memory. Throws JournalError, naming the
/// part, when a journal ends inside a record or a record is not the one expected.
class JournalReader {
public:
    /// Journals in files, each named in messages by `names[i]` (its path when names is empty).
    static JournalReader files(std::vector<std::filesystem::path> files, std::vector<std::string> names = {});
    /// Journals in memory (must outlive the reader), named "part 1", "part 2", ... in messages.
    static JournalReader memory(const std::vector<std::string>* parts);
    ~JournalReader();
    JournalReader(JournalReader&&) noexcept;
    JournalReader& operator=(JournalReader&&) noexcept;

    /// The tag of the next record, 0 at the end of the last journal.
    [[nodiscard]] char peek();
    /// Reads the next record's tag and unit; throws unless they are `tag` and `unit`.
    void expect(char tag, std::size_t unit);
    /// Reads a record's tag and unit; throws unless its tag is `tag`; returns the unit.
    std::size_t expect(char tag);

    std::uint64_t u64();
    std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
    double f64();
    bool flag();
    std::string str();
    std::vector<double> f64s();
    /// A count of items about to be read, each of at least `item_bytes` bytes: refused when the
    /// journal cannot hold that many (a corrupt count, not an attempt to allocate it).
    std::size_t count(std::size_t item_bytes = 1);
    template <class Opt>
    void opt(Opt& v) {
        if (flag())
            v = f64();
        else
            v.reset();
    }
    /// Where the reader is, for messages: "<journal name>, byte N".
    [[nodiscard]] std::string where() const;
    /// Throws JournalError("<where>: <what>").
    [[noreturn]] void fail(const std::string& what) const;

private:
    struct Impl;
    explicit JournalReader(std::unique_ptr<Impl> impl);
    void read(char* dst, std::size_t n);
    std::unique_ptr<Impl> impl_;
};

}  // namespace racesim
