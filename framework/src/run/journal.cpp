#include "racesim/run/journal.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "racesim/core/errors.hpp"

namespace fs = std::filesystem;

namespace racesim {

static_assert(std::endian::native == std::endian::little, "racesim's journals are written on little-endian hosts");

UnitRange shard_range(std::size_t total, std::size_t k, std::size_t n) {
    if (n == 0 || k == 0 || k > n)
        throw std::invalid_argument("shard " + std::to_string(k) + " of " + std::to_string(n) +
                                    ": expected 1 <= K <= N");
    const std::size_t base = total / n, extra = total % n, i = k - 1;
    const std::size_t first = i * base + std::min(i, extra);
    return {first, first + base + (i < extra ? 1 : 0)};
}

// ---- writer ----

JournalWriter::JournalWriter(const fs::path& file)
    : file_(std::make_unique<std::ofstream>(file, std::ios::binary | std::ios::trunc)), path_(file) {
    if (!*file_) throw RunError("cannot write " + file.string() + ": " + std::strerror(errno));
}

JournalWriter::~JournalWriter() = default;

void JournalWriter::u64(std::uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    buf_.append(b, 8);
    maybe_flush();
}

void JournalWriter::f64(double v) {
    u64(std::bit_cast<std::uint64_t>(v));
}

void JournalWriter::str(std::string_view s) {
    u64(s.size());
    buf_.append(s);
    maybe_flush();
}

void JournalWriter::f64s(const std::vector<double>& v) {
    u64(v.size());
    const std::size_t at = buf_.size();
    buf_.resize(at + 8 * v.size());
    if (!v.empty()) std::memcpy(buf_.data() + at, v.data(), 8 * v.size());
    maybe_flush();
}

void JournalWriter::flush() {
    file_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    if (!*file_) throw RunError("cannot write " + path_.string() + ": " + std::strerror(errno));
    written_ += buf_.size();
    buf_.clear();
}

void JournalWriter::close() {
    if (!file_) return;
    flush();
    file_->close();
    if (!*file_) throw RunError("cannot write " + path_.string() + ": " + std::strerror(errno));
    file_.reset();
}

// ---- reader ----

struct JournalReader::Impl {
    std::vector<std::string> names;
    std::vector<fs::path> files;               // file journals
    const std::vector<std::string>* memory{};  // or memory ones
    std::size_t part = 0;                      // the journal being read
    std::ifstream in;
    std::string block;  // file journals: the block read, [pos, block.size()) not consumed yet
    std::size_t pos = 0;
    std::uint64_t offset = 0;  // bytes of the current journal consumed
    std::uint64_t size = 0;    // of the current journal
    std::uint64_t later = 0;   // bytes of the journals after the current one
    bool opened = false;

    [[nodiscard]] std::size_t parts() const { return memory ? memory->size() : files.size(); }
    std::uint64_t size_of(std::size_t i) const {
        if (memory) return (*memory)[i].size();
        std::error_code ec;
        const auto s = fs::file_size(files[i], ec);
        return ec ? 0 : s;
    }
    /// Opens journal `part` (when it exists).
    void open() {
        opened = true;
        offset = 0;
        pos = 0;
        block.clear();
        if (part >= parts()) return;
        size = size_of(part);
        later = 0;
        for (std::size_t i = part + 1; i < parts(); ++i) later += size_of(i);
        if (!memory) {
            in = std::ifstream(files[part], std::ios::binary);
            if (!in) throw JournalError(names[part] + ": cannot be read: " + std::strerror(errno));
        }
    }
    [[nodiscard]] std::uint64_t left() const { return size - offset; }
    /// File journals: reads the next block of the current one (at most 1 MiB); false on failure.
    bool refill() {
        block.resize(static_cast<std::size_t>(std::min<std::uint64_t>(left(), std::uint64_t{1} << 20)));
        in.read(block.data(), static_cast<std::streamsize>(block.size()));
        pos = 0;
        return static_cast<bool>(in);
    }
};

JournalReader::JournalReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JournalReader::~JournalReader() = default;
JournalReader::JournalReader(JournalReader&&) noexcept = default;
JournalReader& JournalReader::operator=(JournalReader&&) noexcept = default;

JournalReader JournalReader::files(std::vector<fs::path> files, std::vector<std::string> names) {
    auto impl = std::make_unique<Impl>();
    if (names.empty())
        for (const auto& f : files) names.push_back(f.string());
    impl->names = std::move(names);
    impl->files = std::move(files);
    return JournalReader(std::move(impl));
}

JournalReader JournalReader::memory(const std::vector<std::string>* parts) {
    auto impl = std::make_unique<Impl>();
    for (std::size_t i = 0; i < parts->size(); ++i) impl->names.push_back("part " + std::to_string(i + 1));
    impl->memory = parts;
    return JournalReader(std::move(impl));
}

std::string JournalReader::where() const {
    const Impl& m = *impl_;
    if (m.part >= m.parts()) return m.parts() ? m.names.back() + ", at its end" : "<no journal>";
    return m.names[m.part] + ", byte " + std::to_string(m.offset);
}

void JournalReader::fail(const std::string& what) const {
    throw JournalError(where() + ": " + what);
}

char JournalReader::peek() {
    Impl& m = *impl_;
    if (!m.opened) m.open();
    while (m.part < m.parts() && m.left() == 0) {  // the next journal with bytes in it
        ++m.part;
        m.open();
    }
    if (m.part >= m.parts()) return 0;
    if (m.memory) return (*m.memory)[m.part][m.offset];
    if (m.pos == m.block.size() && !m.refill()) fail("cannot be read: " + std::string(std::strerror(errno)));
    return m.block[m.pos];
}

void JournalReader::read(char* dst, std::size_t n) {
    Impl& m = *impl_;
    if (!m.opened) m.open();
    if (m.part >= m.parts() || m.left() < n) fail("the journal ends inside a record (truncated?)");
    if (m.memory) {
        std::memcpy(dst, (*m.memory)[m.part].data() + m.offset, n);
        m.offset += n;
        return;
    }
    while (n > 0) {
        if (m.pos == m.block.size() && !m.refill()) fail("cannot be read: " + std::string(std::strerror(errno)));
        const std::size_t k = std::min(n, m.block.size() - m.pos);
        std::memcpy(dst, m.block.data() + m.pos, k);
        m.pos += k;
        m.offset += k;
        dst += k;
        n -= k;
    }
}

std::uint64_t JournalReader::u64() {
    char b[8];
    read(b, 8);
    std::uint64_t v = 0;
    std::memcpy(&v, b, 8);
    return v;
}

double JournalReader::f64() {
    return std::bit_cast<double>(u64());
}

bool JournalReader::flag() {
    char c = 0;
    read(&c, 1);
    if (c != 0 && c != 1) fail("a flag holds " + std::to_string(static_cast<int>(c)) + " (corrupt record)");
    return c == 1;
}

std::size_t JournalReader::count(std::size_t item_bytes) {
    const std::uint64_t n = u64();
    if (n > impl_->left() / std::max<std::size_t>(item_bytes, 1))
        fail("a count of " + std::to_string(n) + " items does not fit in what is left of the journal (corrupt record)");
    return static_cast<std::size_t>(n);
}

std::string JournalReader::str() {
    std::string s(count(1), '\0');
    if (!s.empty()) read(s.data(), s.size());
    return s;
}

std::vector<double> JournalReader::f64s() {
    std::vector<double> v(count(8));
    if (!v.empty()) read(reinterpret_cast<char*>(v.data()), 8 * v.size());
    return v;
}

std::size_t JournalReader::expect(char tag) {
    const char t = peek();
    if (t != tag) {
        if (t == 0)
            fail(std::string("the journals end where a record '") + tag + "' was expected (a part is missing?)");
        fail(std::string("a record '") + t + "' where a record '" + tag + "' was expected (corrupt journal?)");
    }
    char c = 0;
    read(&c, 1);
    return static_cast<std::size_t>(u64());
}

void JournalReader::expect(char tag, std::size_t unit) {
    const std::size_t u = expect(tag);
    if (u != unit)
        fail("the record of unit " + std::to_string(u) + " where unit " + std::to_string(unit) +
             " was expected (a part missing, repeated or out of order?)");
}

}  // namespace racesim
