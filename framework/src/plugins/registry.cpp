#include "racesim/plugins/registry.hpp"

#include <elf.h>
#include <fmt/format.h>
#include <link.h>

#include <algorithm>
#include <bit>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "racesim/core/sha256.hpp"
#include "racesim/plugin/math.hpp"

namespace fs = std::filesystem;
namespace dll = boost::dll;

namespace racesim {

namespace {

/// Checks that `path` is a readable ELF file before handing it to dlopen: Boost.DLL's own
/// messages for non-libraries are unreadable ("... Bad file descriptor").
/// Directories named in RACESIM_TRUSTED_PLUGIN_DIRS (colon-separated): loaded even when others
/// may write to them (like git's safe.directory).
bool trusted_despite_permissions(const fs::path& dir) {
    const char* env = std::getenv("RACESIM_TRUSTED_PLUGIN_DIRS");
    if (!env) return false;
    std::error_code ec;
    const fs::path want = fs::weakly_canonical(dir, ec);
    std::string_view rest(env);
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string item(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        if (!item.empty() && fs::weakly_canonical(item, ec) == want) return true;
    }
    return false;
}

/// Why code in `p` (a plugin directory or library) could be anyone's: it is writable by every
/// user. Empty when it is not, or when its directory is trusted explicitly.
std::string writable_by_others(const fs::path& p, const fs::path& dir) {
    std::error_code ec;
    const auto perms = fs::status(p, ec).permissions();
    if (ec || (perms & fs::perms::others_write) == fs::perms::none || trusted_despite_permissions(dir)) return {};
    return "is writable by every user of this machine, so anyone could put code in it: make it private (chmod "
           "o-w " +
           p.string() + ") or, if you trust it, list its directory in RACESIM_TRUSTED_PLUGIN_DIRS";
}

void check_file(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw PluginLoadError("does not exist (no such file)");
    if (!fs::is_regular_file(path, ec)) throw PluginLoadError("is not a regular file");
    if (auto why = writable_by_others(path, path.parent_path()); !why.empty()) throw PluginLoadError(why);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PluginLoadError("cannot be read (permission denied?)");
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() != 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F')
        throw PluginLoadError("is not a shared library (no ELF header)");
}

/// Why the API version or ABI of a manifest are not this racesim's (empty when they are).
std::string handshake_problem(std::uint32_t manifest_size, std::uint32_t api_version, std::int32_t cxx11_abi) {
    if (api_version != plugin::api_version || manifest_size != sizeof(racesim_plugin_manifest_v1)) {
        std::ostringstream os;
        os << "was built for plugin API version " << api_version << " (manifest size " << manifest_size
           << "), but this racesim has plugin API version " << plugin::api_version << " (manifest size "
           << sizeof(racesim_plugin_manifest_v1) << "): rebuild the plugin against this racesim";
        return os.str();
    }
    if (cxx11_abi != plugin::cxx11_abi)
        return "was built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(cxx11_abi) + ", but racesim uses " +
               std::to_string(plugin::cxx11_abi) + ": rebuild the plugin";
    return {};
}

/// The handshake read from the file, before dlopen runs any of its code (static initialisers):
/// the dynamic symbols RACESIM_PLUGIN_MANIFEST_SYMBOL and RACESIM_PLUGIN_ENTRY_SYMBOL, the
/// manifest's integers where the file holds them (a constant-initialised manifest, as the
/// RACESIM_PLUGIN macro makes), and where its strings point (their relocations). Returns why
/// the library must be refused, or "" when it passes or cannot be judged from the file (an
/// ELF of another class or byte order, a manifest filled in by code as the library loads):
/// the checks after dlopen (manifest_problem, entry_problem) then decide.
std::string file_handshake_problem(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec || size < sizeof(Elf64_Ehdr) || size > (std::uintmax_t{512} << 20)) return {};
    std::vector<char> buf(static_cast<std::size_t>(size));
    std::ifstream in(path, std::ios::binary);
    if (!in.read(buf.data(), static_cast<std::streamsize>(buf.size()))) return {};
    const std::size_t n = buf.size();
    // Reads a T at `off` (false when it is not inside the file).
    auto at = [&](std::uint64_t off, auto& out) {
        if (off > n || sizeof out > n - off) return false;
        std::memcpy(&out, buf.data() + off, sizeof out);
        return true;
    };
    Elf64_Ehdr eh{};
    if (!at(0, eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != (std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB) ||
        sizeof(void*) != 8 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_phentsize != sizeof(Elf64_Phdr))
        return {};
    std::vector<Elf64_Shdr> sh(eh.e_shnum);
    for (std::size_t i = 0; i < sh.size(); ++i)
        if (!at(eh.e_shoff + i * sizeof(Elf64_Shdr), sh[i])) return {};
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    for (std::size_t i = 0; i < ph.size(); ++i)
        if (!at(eh.e_phoff + i * sizeof(Elf64_Phdr), ph[i])) return {};
    // The file offset of `bytes` bytes at address v, when a PT_LOAD segment holds them in the
    // file; `bss`: inside a segment but past its file part (zero-filled by the loader).
    auto file_offset = [&](std::uint64_t v, std::uint64_t bytes, bool& bss) -> std::optional<std::uint64_t> {
        bss = false;
        for (const auto& p : ph) {
            if (p.p_type != PT_LOAD || v < p.p_vaddr || v - p.p_vaddr >= p.p_memsz) continue;
            if (v - p.p_vaddr + bytes > p.p_filesz) {
                bss = true;
                return std::nullopt;
            }
            return v - p.p_vaddr + p.p_offset;
        }
        return std::nullopt;
    };
    std::optional<Elf64_Sym> manifest, entry;
    for (const auto& s : sh) {
        if (s.sh_type != SHT_DYNSYM || s.sh_entsize != sizeof(Elf64_Sym) || s.sh_link >= sh.size()) continue;
        const Elf64_Shdr& strtab = sh[s.sh_link];
        for (std::uint64_t i = 0; i < s.sh_size / sizeof(Elf64_Sym); ++i) {
            Elf64_Sym sym{};
            if (!at(s.sh_offset + i * sizeof(Elf64_Sym), sym)) return {};
            if (sym.st_shndx == SHN_UNDEF || sym.st_name >= strtab.sh_size) continue;
            const std::uint64_t off = strtab.sh_offset + sym.st_name;
            if (off >= n) return {};
            const std::string_view name(buf.data() + off, strnlen(buf.data() + off, n - off));
            if (name == RACESIM_PLUGIN_MANIFEST_SYMBOL) manifest = sym;
            if (name == RACESIM_PLUGIN_ENTRY_SYMBOL) entry = sym;
        }
    }
    if (!manifest)
        return "is not a racesim plugin: it lacks the symbol '" RACESIM_PLUGIN_MANIFEST_SYMBOL
               "' (build it with the RACESIM_PLUGIN macro)";
    if (manifest->st_size != 0 && manifest->st_size < sizeof(racesim_plugin_manifest_v1))
        return "has a damaged manifest: the symbol '" RACESIM_PLUGIN_MANIFEST_SYMBOL "' is " +
               std::to_string(manifest->st_size) + " bytes, not a whole manifest";
    bool bss = false;
    const auto off = file_offset(manifest->st_value, sizeof(racesim_plugin_manifest_v1), bss);
    if (!off) return {};  // in .bss: filled in by code when loaded; judged after dlopen
    std::uint32_t manifest_size = 0, api_version = 0;
    std::int32_t cxx11_abi = 0;
    if (!at(*off + offsetof(racesim_plugin_manifest_v1, manifest_size), manifest_size) ||
        !at(*off + offsetof(racesim_plugin_manifest_v1, api_version), api_version) ||
        !at(*off + offsetof(racesim_plugin_manifest_v1, cxx11_abi), cxx11_abi))
        return {};
    if (manifest_size == 0 && api_version == 0) return {};  // zeros: filled in by code when loaded
    if (auto why = handshake_problem(manifest_size, api_version, cxx11_abi); !why.empty()) return why;
    // The strings: a pointer in a shared library is a relocation (R_*_RELATIVE: no symbol, the
    // addend is the address); one with a symbol points into another library (not judged here).
    struct Field {
        std::size_t offset;
        const char* name;
    };
    for (const Field f : {Field{offsetof(racesim_plugin_manifest_v1, racesim_version), "racesim_version"},
                          Field{offsetof(racesim_plugin_manifest_v1, compiler), "compiler"},
                          Field{offsetof(racesim_plugin_manifest_v1, library_name), "library_name"}}) {
        const std::uint64_t where = manifest->st_value + f.offset;
        std::optional<std::uint64_t> target;
        bool other_object = false;
        for (const auto& s : sh) {
            if (s.sh_type != SHT_RELA || s.sh_entsize != sizeof(Elf64_Rela)) continue;
            for (std::uint64_t i = 0; i < s.sh_size / sizeof(Elf64_Rela); ++i) {
                Elf64_Rela r{};
                if (!at(s.sh_offset + i * sizeof(Elf64_Rela), r)) return {};
                if (r.r_offset != where) continue;
                if (ELF64_R_SYM(r.r_info) != 0)
                    other_object = true;
                else
                    target = static_cast<std::uint64_t>(r.r_addend);
            }
        }
        if (other_object) continue;
        std::uint64_t raw = 0;
        if (!at(*off + f.offset, raw)) return {};
        const std::string damaged = std::string("has a damaged manifest: its ") + f.name +
                                    " does not point to a string in the library (a garbage pointer); nothing of it "
                                    "was run";
        if (!target) {
            if (raw == 0) continue;  // null: allowed
            return damaged;          // an address that no relocation moves: not in a shared library
        }
        const auto s_off = file_offset(*target, 1, bss);
        if (!s_off) return damaged;
        if (strnlen(buf.data() + *s_off, std::min<std::size_t>(n - *s_off, 4096)) ==
            std::min<std::size_t>(n - *s_off, 4096))
            return damaged;
    }
    if (!entry) return "passes the handshake but lacks the entry symbol '" RACESIM_PLUGIN_ENTRY_SYMBOL "'";
    return {};
}

/// Where `p` lies in the memory of a loaded object (a segment that the object's program headers
/// load with `flags`, e.g. PF_R): the bytes from p to the end of that segment, 0 when outside.
std::size_t bytes_in_segment(const void* p, std::uint32_t flags) {
    struct Query {
        std::uintptr_t p;
        std::uint32_t flags;
        std::size_t bytes;
    } q{reinterpret_cast<std::uintptr_t>(p), flags, 0};
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
            auto& q = *static_cast<Query*>(data);
            for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_LOAD || (ph.p_flags & q.flags) != q.flags) continue;
                const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr, end = start + ph.p_memsz;
                if (q.p >= start && q.p < end) {
                    q.bytes = end - q.p;
                    return 1;
                }
            }
            return 0;
        },
        &q);
    return q.bytes;
}

/// Why a string of the manifest cannot be read (empty: it can, or it is null).
std::string string_problem(const char* s, const char* field) {
    if (!s) return {};
    const std::size_t n = bytes_in_segment(s, PF_R);
    if (n == 0 || strnlen(s, std::min<std::size_t>(n, 4096)) == std::min<std::size_t>(n, 4096))
        return std::string("has a damaged manifest: its ") + field +
               " does not point to a string in a loaded library (a garbage pointer); nothing of it was used";
    return {};
}

/// Why the manifest cannot be read: it does not lie wholly in the library's readable memory
/// (a symbol of another kind), or a string it points to does not.
std::string manifest_problem(const racesim_plugin_manifest_v1& m) {
    if (bytes_in_segment(&m, PF_R) < sizeof m)
        return "has a damaged manifest: the symbol '" RACESIM_PLUGIN_MANIFEST_SYMBOL
               "' is not a whole manifest in the library's memory";
    for (const auto& [s, field] : {std::pair{m.racesim_version, "racesim_version"}, std::pair{m.compiler, "compiler"},
                                   std::pair{m.library_name, "library_name"}})
        if (auto why = string_problem(s, field); !why.empty()) return why;
    return {};
}

/// Why the entry symbol (a Boost.DLL alias: a pointer to the entry function) cannot be called.
std::string entry_problem(const void* const& alias) {
    if (bytes_in_segment(&alias, PF_R) < sizeof alias)
        return "has a damaged entry symbol '" RACESIM_PLUGIN_ENTRY_SYMBOL "': not a pointer in the library's memory";
    if (!alias)
        return "has a null entry symbol '" RACESIM_PLUGIN_ENTRY_SYMBOL "': it lists no types and cannot be called";
    if (bytes_in_segment(alias, PF_X) == 0)
        return "has a damaged entry symbol '" RACESIM_PLUGIN_ENTRY_SYMBOL
               "': it does not point to code in a loaded library (a garbage pointer)";
    return {};
}

std::string dlerror_text(const std::exception& e) {
    // Boost.DLL: "boost::dll::shared_library::load() failed (dlerror system message: X): Y"
    std::string s = e.what();
    const std::string key = "dlerror system message: ";
    if (auto p = s.find(key); p != std::string::npos) {
        auto q = s.find("): ", p);
        return s.substr(p + key.size(), q == std::string::npos ? std::string::npos : q - p - key.size());
    }
    return s;
}

PluginError plugin_error(const PluginEntry& e, const std::string& message) {
    PluginError err(e.descriptor.type, e.library->path, "", message);
    err.kind = plugin::to_string(e.descriptor.kind);
    return err;
}

template <class F>
auto call_plugin(const PluginEntry& e, TraceSlot* slot, F&& f) {
    try {
        const TraceCall in(slot, e.trace_id, PluginCall::construct);
        return f();
    } catch (const plugin::ParameterError& err) {
        PluginError out(e.descriptor.type, e.library->path, err.key(), err.what());
        out.kind = plugin::to_string(e.descriptor.kind);
        out.parameter_error = true;
        throw out;
    } catch (const std::exception& err) {
        throw plugin_error(e, std::string("threw while being constructed: ") + err.what());
    } catch (...) {
        throw plugin_error(e, "threw an exception that is not a std::exception while being constructed");
    }
}

/// Base of the host-side wrappers that check every call into a plugin object: exceptions
/// become PluginError (with the time, where there is one) and contract violations are caught
/// at the boundary, before a bad number reaches the integrator or the results.
///
/// A guard holds the plugin's library, and the wrapper derived from it the object the library
/// made (`inner_`): members of the derived class are destroyed before its base, so the object
/// never outlives its code. Nothing else is copied per object (a sweep makes four per
/// scenario): what an error names is read from the library when there is one.
class Guard {
protected:
    /// `slot`: the breadcrumb of the thread that builds (and will call) the object, or null.
    Guard(const PluginEntry& e, TraceSlot* slot)
        : library_(e.library), type_(e.descriptor.type), kind_(e.descriptor.kind), slot_(slot), id_(e.trace_id) {}

    [[noreturn]] void fault(const std::string& message, std::optional<double> t = std::nullopt) const {
        PluginError err(type_, library_ ? library_->path : fs::path{}, "", message);
        err.kind = plugin::to_string(kind_);
        err.time = t;
        throw err;
    }

    /// Calls f(), the plugin's `call`, with a breadcrumb; turns whatever it throws into a
    /// PluginError. PluginErrors pass through.
    template <class F>
    auto guarded(PluginCall call, std::optional<double> t, F&& f) const {
        try {
            const TraceCall in(slot_, id_, call);
            return f();
        } catch (const PluginError&) {
            throw;
        } catch (const std::bad_alloc&) {
            fault(std::string("ran out of memory in ") + to_string(call) + " (std::bad_alloc)", t);
        } catch (const std::exception& err) {
            fault(std::string("threw in ") + to_string(call) + ": " + err.what(), t);
        } catch (...) {
            fault(std::string("threw an exception that is not a std::exception in ") + to_string(call), t);
        }
    }

    std::shared_ptr<const LoadedLibrary> library_;
    std::string type_;
    plugin::Kind kind_;
    TraceSlot* slot_;
    std::uint32_t id_;
};

class GuardedRate final : public plugin::RateModel, Guard {
public:
    GuardedRate(std::unique_ptr<const plugin::RateModel> inner, const PluginEntry& e, TraceSlot* slot)
        : Guard(e, slot),
          inner_(std::move(inner)),
          state_(guarded(PluginCall::depends_on_state, std::nullopt, [&] { return inner_->depends_on_state(); })) {}

    double log_value(double t, double log_C, const plugin::Segment& s) const override {
        const double v = guarded(PluginCall::log_value, t, [&] { return inner_->log_value(t, log_C, s); });
        if (std::isnan(v)) fault("returned ln(rate) = NaN (a NaN or negative rate: a rate must be finite and >= 0)", t);
        if (v == std::numeric_limits<double>::infinity())
            fault(
                "returned ln(rate) = +inf (an infinite rate: a rate must be finite); if the model grows "
                "exponentially, ln(rate) itself may have left the range of a double at this t (growth rate "
                "times t above 1e308): shorten the horizon or lower the growth rate",
                t);
        return v;
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        const std::size_t first = out.size();
        guarded(PluginCall::breakpoints, std::nullopt, [&] { inner_->breakpoints(t0, t1, out); });
        for (std::size_t i = first; i < out.size(); ++i) {
            if (!(out[i] > t0 && out[i] < t1))
                fault("declared a breakpoint at t = " + plugin::math::format(out[i]) +
                      " yr, outside the open interval (" + plugin::math::format(t0) + ", " + plugin::math::format(t1) +
                      ") it was asked for");
            if (i > first && !(out[i] >= out[i - 1]))
                fault("declared breakpoints out of order (t = " + plugin::math::format(out[i - 1]) + " then " +
                      plugin::math::format(out[i]) + " yr): they must be increasing");
        }
    }

    bool depends_on_state() const override { return state_; }

private:
    std::unique_ptr<const plugin::RateModel> inner_;
    bool state_;
};

class GuardedLoss final : public plugin::LossLaw, Guard {
public:
    GuardedLoss(std::unique_ptr<const plugin::LossLaw> inner, const PluginEntry& e, TraceSlot* slot)
        : Guard(e, slot), inner_(std::move(inner)) {}

    double loss(double log_C) const override {
        const double L = guarded(PluginCall::loss, std::nullopt, [&] { return inner_->loss(log_C); });
        if (std::isnan(L) || L < 0)
            fault("returned the loss " + plugin::math::format(L) + " at ln C = " + plugin::math::format(log_C) +
                  " (a loss must be a number >= 0)");
        return L;
    }

    std::optional<double> log_compute_for_loss(double L, std::string& why) const override {
        auto r = guarded(PluginCall::log_compute_for_loss, std::nullopt,
                         [&] { return inner_->log_compute_for_loss(L, why); });
        if (r && std::isnan(*r)) fault("returned ln C = NaN for the loss " + plugin::math::format(L));
        return r;
    }

    std::vector<plugin::Quantity> auxiliary() const override {
        return guarded(PluginCall::auxiliary, std::nullopt, [&] { return inner_->auxiliary(); });
    }

    void auxiliary_values(double log_C, std::vector<double>& out) const override {
        guarded(PluginCall::auxiliary_values, std::nullopt, [&] { inner_->auxiliary_values(log_C, out); });
    }

private:
    std::unique_ptr<const plugin::LossLaw> inner_;
};

class GuardedReference final : public plugin::ReferenceModel, Guard {
public:
    GuardedReference(std::unique_ptr<const plugin::ReferenceModel> inner, const PluginEntry& e, TraceSlot* slot)
        : Guard(e, slot), inner_(std::move(inner)) {}

    double log_compute_ratio(double t) const override {
        const double v = guarded(PluginCall::log_compute_ratio, t, [&] { return inner_->log_compute_ratio(t); });
        if (std::isnan(v)) fault("returned ln(C/C0) = NaN", t);
        return v;
    }
    std::optional<double> time_to_log_compute_ratio(double x) const override {
        return guarded(PluginCall::time_to_log_compute_ratio, std::nullopt,
                       [&] { return inner_->time_to_log_compute_ratio(x); });
    }
    std::optional<double> log_compute_ratio_limit() const override {
        return guarded(PluginCall::log_compute_ratio_limit, std::nullopt,
                       [&] { return inner_->log_compute_ratio_limit(); });
    }

private:
    std::unique_ptr<const plugin::ReferenceModel> inner_;
};

}  // namespace

void Registry::load_directories(const std::vector<fs::path>& dirs) {
    for (const auto& dir : dirs) {
        searched_.push_back(dir);
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        if (auto why = writable_by_others(dir, dir); !why.empty()) {
            refused_.push_back(Refusal{dir, why});  // nothing in it is loaded, not even to read its manifest
            continue;
        }
        std::vector<fs::path> libs;
        for (const auto& ent : fs::directory_iterator(dir, ec))
            if (ent.path().extension() == ".so") libs.push_back(ent.path());
        std::sort(libs.begin(), libs.end());
        for (const auto& lib : libs) {
            const auto skip =
                std::find_if(skipped_.begin(), skipped_.end(), [&](const Refusal& r) { return r.path == lib; });
            if (skip != skipped_.end()) {
                refused_.push_back(*skip);
                continue;
            }
            try {
                load_library(lib);
            } catch (const PluginLoadError& err) {
                refused_.push_back(Refusal{lib, err.what()});
            }
        }
    }
}

namespace {

/// Whether `path`'s directory lists it, with sha256 `digest`, in its kContractTestedList. A
/// missing or unreadable list, or a line that is not "<64 hex digits>  <name>", lists nothing:
/// the library is then audited, which costs time and changes no result.
bool listed_as_contract_tested(const fs::path& path, const std::string& digest) {
    std::ifstream in(path.parent_path() / kContractTestedList);
    const std::string name = path.filename().string();
    for (std::string line; std::getline(in, line);) {
        if (line.size() != 66 + name.size() || line.compare(64, 2, "  ") != 0) continue;
        if (line.compare(66, std::string::npos, name) == 0 && line.compare(0, 64, digest) == 0) return true;
    }
    return false;
}

}  // namespace

void Registry::load_library(const fs::path& path) {
    check_file(path);
    // Judged from the file first: a library refused here runs none of its code.
    if (const std::string why = file_handshake_problem(path); !why.empty()) throw PluginLoadError(why);
    // Hashed before it is loaded, so summary.json can say which file provided each type.
    const std::string digest = sha256_file(path);
    // The breadcrumb of the worker process (racesim/core/worker.hpp): a crash while loading
    // names this library.
    struct Loading {
        WorkerTrace* trace;
        const fs::path& path;
        void step(LoadStep s) const {
            if (trace) trace->loading(path, s);
        }
        ~Loading() { step(LoadStep::none); }
    } loading{trace_, path};
    loading.step(LoadStep::open);
    auto handle = std::make_shared<dll::shared_library>();
    try {
        handle->load(path, dll::load_mode::rtld_local | dll::load_mode::rtld_now);
    } catch (const std::exception& e) {
        throw PluginLoadError("cannot be loaded: " + dlerror_text(e));
    }
    loading.step(LoadStep::manifest);
    if (!handle->has(RACESIM_PLUGIN_MANIFEST_SYMBOL))
        throw PluginLoadError("is not a racesim plugin: it lacks the symbol '" RACESIM_PLUGIN_MANIFEST_SYMBOL
                              "' (build it with the RACESIM_PLUGIN macro)");
    const auto& m = handle->get<const racesim_plugin_manifest_v1>(RACESIM_PLUGIN_MANIFEST_SYMBOL);
    // Nothing in the manifest is read before it is known to lie in the library's memory.
    if (const std::string why = manifest_problem(m); !why.empty()) throw PluginLoadError(why);
    if (auto why = handshake_problem(m.manifest_size, m.api_version, m.cxx11_abi); !why.empty())
        throw PluginLoadError(why);
    if (!handle->has(RACESIM_PLUGIN_ENTRY_SYMBOL))
        throw PluginLoadError("passes the handshake but lacks the entry symbol '" RACESIM_PLUGIN_ENTRY_SYMBOL "'");
    if (const std::string why = entry_problem(handle->get<const void* const>(RACESIM_PLUGIN_ENTRY_SYMBOL));
        !why.empty())
        throw PluginLoadError(why);

    auto lib = std::make_shared<LoadedLibrary>();
    lib->path = path;
    lib->name = m.library_name ? m.library_name : path.stem().string();
    lib->racesim_version = m.racesim_version ? m.racesim_version : "?";
    lib->compiler = m.compiler ? m.compiler : "?";
    lib->sha256 = digest;
    lib->contract_tested = listed_as_contract_tested(path, digest);
    lib->handle = handle;

    std::vector<plugin::Descriptor> descriptors;
    loading.step(LoadStep::list_types);
    try {
        descriptors = handle->get_alias<plugin::EntryFunction>(RACESIM_PLUGIN_ENTRY_SYMBOL)();
    } catch (const std::exception& e) {
        throw PluginLoadError(std::string("threw while listing its types: ") + e.what());
    } catch (...) {
        throw PluginLoadError("threw while listing its types");
    }
    for (auto& d : descriptors) {
        const auto& mine = d;
        const bool ok = (mine.kind == plugin::Kind::reference) ? bool(mine.make_reference)
                        : (mine.kind == plugin::Kind::loss)    ? bool(mine.make_loss)
                                                               : bool(mine.make_rate);
        if (!ok) throw PluginLoadError("declares type '" + d.type + "' without a factory for its kind");
        if (const PluginEntry* prev = find(d.kind, d.type)) {
            warnings_.push_back(std::string(plugin::to_string(d.kind)) + " type '" + d.type + "' in " + path.string() +
                                " is ignored: already provided by " + prev->library->path.string());
            continue;
        }
        const std::uint32_t id = trace_ ? trace_->add_plugin(plugin::to_string(d.kind), d.type, path) : 0;
        entries_.push_back(PluginEntry{lib, std::move(d), id});
    }
}

void Registry::add_type(plugin::Descriptor d, const fs::path& origin) {
    const bool ok = (d.kind == plugin::Kind::reference) ? bool(d.make_reference)
                    : (d.kind == plugin::Kind::loss)    ? bool(d.make_loss)
                                                        : bool(d.make_rate);
    if (!ok) throw std::invalid_argument("type '" + d.type + "' has no factory for its kind");
    if (find(d.kind, d.type))
        throw std::invalid_argument(std::string(plugin::to_string(d.kind)) + " type '" + d.type +
                                    "' is registered twice");
    auto lib = std::make_shared<LoadedLibrary>();
    lib->path = origin;
    lib->name = origin.string();
    lib->racesim_version = plugin::racesim_version;
    lib->compiler = "in-process";
    const std::uint32_t id = trace_ ? trace_->add_plugin(plugin::to_string(d.kind), d.type, origin) : 0;
    entries_.push_back(PluginEntry{std::move(lib), std::move(d), id});
}

const PluginEntry* Registry::find(plugin::Kind kind, const std::string& type) const {
    for (const auto& e : entries_)
        if (e.descriptor.kind == kind && e.descriptor.type == type) return &e;
    return nullptr;
}

std::vector<std::string> Registry::types(plugin::Kind kind) const {
    std::vector<std::string> out;
    for (const auto& e : entries_)
        if (e.descriptor.kind == kind) out.push_back(e.descriptor.type);
    std::sort(out.begin(), out.end());
    return out;
}

std::shared_ptr<const plugin::RateModel> Registry::make_rate(const PluginEntry& e, const plugin::Params& p,
                                                             const plugin::BuildContext& ctx) const {
    TraceSlot* slot = trace_ ? trace_->slot() : nullptr;
    std::unique_ptr<const plugin::RateModel> inner =
        call_plugin(e, slot, [&] { return e.descriptor.make_rate(p, ctx); });
    if (!inner) throw plugin_error(e, "returned no object from its factory");
    return std::make_shared<const GuardedRate>(std::move(inner), e, slot);
}

std::shared_ptr<const plugin::LossLaw> Registry::make_loss(const PluginEntry& e, const plugin::Params& p,
                                                           const plugin::BuildContext& ctx) const {
    TraceSlot* slot = trace_ ? trace_->slot() : nullptr;
    std::unique_ptr<const plugin::LossLaw> inner = call_plugin(e, slot, [&] { return e.descriptor.make_loss(p, ctx); });
    if (!inner) throw plugin_error(e, "returned no object from its factory");
    return std::make_shared<const GuardedLoss>(std::move(inner), e, slot);
}

std::shared_ptr<const plugin::ReferenceModel> Registry::make_reference(const PluginEntry& e,
                                                                       const plugin::ReferenceInput& in,
                                                                       std::string& why_not) const {
    TraceSlot* slot = trace_ ? trace_->slot() : nullptr;
    std::unique_ptr<const plugin::ReferenceModel> inner =
        call_plugin(e, slot, [&] { return e.descriptor.make_reference(in, why_not); });
    if (!inner) return nullptr;
    return std::make_shared<const GuardedReference>(std::move(inner), e, slot);
}

std::vector<fs::path> environment_plugin_dirs() {
    std::vector<fs::path> out;
    if (const char* env = std::getenv("RACESIM_PLUGIN_PATH")) {
        std::stringstream ss(env);
        std::string item;
        while (std::getline(ss, item, ':'))
            if (!item.empty()) out.emplace_back(item);
    }
    return out;
}

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& command_line,
                                         const std::vector<fs::path>& from_config, bool environment) {
    std::vector<fs::path> out = command_line;
    out.insert(out.end(), from_config.begin(), from_config.end());
    if (environment)
        for (auto& d : environment_plugin_dirs()) out.push_back(std::move(d));
    // The built-in plugins: next to the binary that holds this code (the racesim executable,
    // or the Python module), at <dir>/../lib/racesim/plugins. For the executable the loader
    // reports the name it was started by (argv[0]: a bare "racesim" when found through PATH,
    // or a path relative to the directory it was started in), so its location is asked of the
    // kernel instead (/proc/self/exe; a symlink to it resolves to the real file).
    std::error_code ec;
    fs::path binary = dll::this_line_location(ec);
    if (!ec && !binary.is_absolute()) {
        std::error_code pec;
        const fs::path exe = dll::program_location(pec);
        if (!pec && exe.filename() == binary.filename())
            binary = exe;  // the main program, named as it was started
        else if (fs::path abs = fs::absolute(binary, pec); !pec)
            binary = abs;  // a library loaded by a relative path (resolved against today's directory)
    }
    if (!ec) out.push_back((binary.parent_path() / ".." / "lib" / "racesim" / "plugins").lexically_normal());
    // Remove repeats, keeping the first occurrence: one directory however it is spelled
    // (relative or absolute, through a symlink) is searched once.
    std::vector<fs::path> unique, seen;
    for (auto& p : out) {
        std::error_code cec;
        fs::path key = fs::weakly_canonical(p, cec);
        if (cec) key = fs::absolute(p, cec).lexically_normal();
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(std::move(key));
        unique.push_back(p);
    }
    return unique;
}

}  // namespace racesim
