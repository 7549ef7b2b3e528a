#include "racesim/plugins/registry.hpp"

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
namespace dll = boost::dll;

namespace racesim {

namespace {

/// Checks that `path` is a readable ELF file before handing it to dlopen: Boost.DLL's own
/// messages for non-libraries are unreadable ("... Bad file descriptor").
void check_file(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw PluginLoadError("no such file");
    if (!fs::is_regular_file(path, ec)) throw PluginLoadError("not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PluginLoadError("cannot be read (permission denied?)");
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() != 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F')
        throw PluginLoadError("not a shared library (no ELF header)");
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

/// Wraps a plugin-made object so that its library outlives it.
template <class T>
std::shared_ptr<const T> hold(std::unique_ptr<T> obj, const std::shared_ptr<const LoadedLibrary>& lib) {
    T* raw = obj.release();
    return std::shared_ptr<const T>(raw, [lib](const T* p) { delete p; });
}

template <class F>
auto call_plugin(const PluginEntry& e, F&& f) {
    try {
        return f();
    } catch (const plugin::ParameterError& err) {
        throw PluginError(e.descriptor.type, e.library->path, err.key(), err.what());
    } catch (const std::exception& err) {
        throw PluginError(e.descriptor.type, e.library->path, "", err.what());
    } catch (...) {
        throw PluginError(e.descriptor.type, e.library->path, "", "threw an exception that is not a std::exception");
    }
}

}  // namespace

void Registry::load_directories(const std::vector<fs::path>& dirs) {
    for (const auto& dir : dirs) {
        searched_.push_back(dir);
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<fs::path> libs;
        for (const auto& ent : fs::directory_iterator(dir, ec))
            if (ent.path().extension() == ".so") libs.push_back(ent.path());
        std::sort(libs.begin(), libs.end());
        for (const auto& lib : libs) {
            try {
                load_library(lib);
            } catch (const PluginLoadError& err) {
                refused_.push_back(Refusal{lib, err.what()});
            }
        }
    }
}

void Registry::load_library(const fs::path& path) {
    check_file(path);
    auto handle = std::make_shared<dll::shared_library>();
    try {
        handle->load(path, dll::load_mode::rtld_local | dll::load_mode::rtld_now);
    } catch (const std::exception& e) {
        throw PluginLoadError("cannot be loaded: " + dlerror_text(e));
    }
    if (!handle->has(RACESIM_PLUGIN_MANIFEST_SYMBOL))
        throw PluginLoadError("is not a racesim plugin: it lacks the symbol '" RACESIM_PLUGIN_MANIFEST_SYMBOL
                              "' (build it with the RACESIM_PLUGIN macro)");
    const auto& m = handle->get<const racesim_plugin_manifest_v1>(RACESIM_PLUGIN_MANIFEST_SYMBOL);
    if (m.api_version != plugin::api_version || m.manifest_size != sizeof(racesim_plugin_manifest_v1)) {
        std::ostringstream os;
        os << "was built for plugin API version " << m.api_version << " (manifest size " << m.manifest_size
           << "), but this racesim has plugin API version " << plugin::api_version << " (manifest size "
           << sizeof(racesim_plugin_manifest_v1) << "): rebuild the plugin against this racesim";
        throw PluginLoadError(os.str());
    }
    if (m.cxx11_abi != plugin::cxx11_abi)
        throw PluginLoadError("was built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(m.cxx11_abi) +
                              ", but racesim uses " + std::to_string(plugin::cxx11_abi) + ": rebuild the plugin");
    if (!handle->has(RACESIM_PLUGIN_ENTRY_SYMBOL))
        throw PluginLoadError("passes the handshake but lacks the entry symbol '" RACESIM_PLUGIN_ENTRY_SYMBOL "'");

    auto lib = std::make_shared<LoadedLibrary>();
    lib->path = path;
    lib->name = m.library_name ? m.library_name : path.stem().string();
    lib->racesim_version = m.racesim_version ? m.racesim_version : "?";
    lib->compiler = m.compiler ? m.compiler : "?";
    lib->handle = handle;

    std::vector<plugin::Descriptor> descriptors;
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
        entries_.push_back(PluginEntry{lib, std::move(d)});
    }
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
    return call_plugin(e, [&] { return hold(e.descriptor.make_rate(p, ctx), e.library); });
}

std::shared_ptr<const plugin::LossLaw> Registry::make_loss(const PluginEntry& e, const plugin::Params& p,
                                                           const plugin::BuildContext& ctx) const {
    return call_plugin(e, [&] { return hold(e.descriptor.make_loss(p, ctx), e.library); });
}

std::shared_ptr<const plugin::ReferenceModel> Registry::make_reference(const PluginEntry& e,
                                                                       const plugin::ReferenceInput& in,
                                                                       std::string& why_not) const {
    return call_plugin(e, [&] {
        auto obj = e.descriptor.make_reference(in, why_not);
        return obj ? hold(std::move(obj), e.library) : nullptr;
    });
}

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& command_line,
                                         const std::vector<fs::path>& from_config) {
    std::vector<fs::path> out = command_line;
    out.insert(out.end(), from_config.begin(), from_config.end());
    if (const char* env = std::getenv("RACESIM_PLUGIN_PATH")) {
        std::stringstream ss(env);
        std::string item;
        while (std::getline(ss, item, ':'))
            if (!item.empty()) out.emplace_back(item);
    }
    std::error_code ec;
    const fs::path exe_dir = dll::program_location(ec).parent_path();
    if (!ec) out.push_back((exe_dir / ".." / "lib" / "racesim" / "plugins").lexically_normal());
    // Remove repeats, keeping the first occurrence.
    std::vector<fs::path> unique;
    for (auto& p : out)
        if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(p);
    return unique;
}

}  // namespace racesim
