// Loading plugin libraries: racesim::Registry must refuse broken libraries with a clear
// message, keep a library loaded exactly as long as something it made is alive, and turn any
// exception a factory throws into a racesim::PluginError naming the plugin.
//
// Fixtures (tests/plugins/fixtures, built into RACESIM_TEST_PLUGIN_DIR):
//   plugintest-wrong-api-version.so  manifest with api_version = 999 (and a working entry)
//   plugintest-previous-api-version.so  manifest with api_version = 4, the API before Kind::algorithms
//   plugintest-no-entry.so           correct manifest, no entry symbol
//   plugintest-no-manifest.so        a shared library that is not a racesim plugin
//   plugintest-not-an-elf-file.so    a text file
//   plugintest-throwing.so           factories that throw ParameterError, std::runtime_error, int, ...
//   plugintest-lifetime.so           loaded by this file only: load / unload / reload
//   plugintest-faulty.so             an efficiency model misbehaving as its `fault` parameter says
//   plugintest-garbage-manifest.so   a manifest whose racesim_version is a garbage pointer
//   plugintest-garbage-manifest-dynamic.so  the same, its manifest filled in as it loads
//   plugintest-null-entry.so         correct manifest, entry symbol a null pointer
//   plugintest-initialiser-wrong-api.so  API version 999 and a static initialiser that aborts
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "racesim/core/sha256.hpp"
#include "racesim/plugin/api.hpp"
#include "racesim/plugins/registry.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using racesim::plugin::Kind;
using racesim::plugin::Params;
using racesim::plugin::Segment;

namespace {

/// The message load_library throws for `path` (fails the test if it does not throw).
std::string refusal(const char* path) {
    racesim::Registry reg;
    try {
        reg.load_library(path);
    } catch (const racesim::PluginLoadError& e) {
        CHECK(reg.entries().empty());
        return e.what();
    }
    FAIL("load_library(" << path << ") accepted the library");
    return {};
}

/// True when the dynamic loader has `path` loaded (RTLD_NOLOAD never loads it).
bool is_loaded(const char* path) {
    void* h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (h) dlclose(h);
    return h != nullptr;
}

/// Calls the lifetime fixture's own counter of live objects (-1 when not loaded).
int live_objects(const char* path) {
    void* h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (!h) return -1;
    auto* f = reinterpret_cast<int (*)()>(dlsym(h, "plugintest_lifetime_live"));
    const int n = f ? f() : -2;
    dlclose(h);
    return n;
}

const racesim::plugin::BuildContext ctx{1.0, 10.0};

}  // namespace

TEST_CASE("a plugin built for another plugin API version is refused, naming both versions") {
    const std::string msg = refusal(PLUGINTEST_WRONG_API);
    INFO(msg);
    CHECK_THAT(msg, Contains("999"));
    CHECK_THAT(msg, Contains("plugin API version " + std::to_string(racesim::plugin::api_version) + " "));
    CHECK(racesim::plugin::api_version ==
          5u);  // bumped deliberately: 5 added Kind::algorithms and ReferenceInput::algorithms
    CHECK_THAT(msg, Contains("rebuild"));
}

TEST_CASE("a plugin built for the API before the algorithms kind (4) is refused with both versions") {
    const std::string msg = refusal(PLUGINTEST_PREVIOUS_API);
    INFO(msg);
    CHECK_THAT(msg, Contains("was built for plugin API version 4 ") &&
                        Contains("this racesim has plugin API version 5 ") && Contains("rebuild"));
}

TEST_CASE("a plugin of another API version is refused from its file, before its static initialisers run") {
    const std::string msg = refusal(PLUGINTEST_INITIALISER_WRONG_API);  // its initialiser aborts
    INFO(msg);
    CHECK_THAT(msg, Contains("999") && Contains("rebuild"));
    CHECK_FALSE(is_loaded(PLUGINTEST_INITIALISER_WRONG_API));
    CHECK_FALSE(is_loaded(PLUGINTEST_NO_MANIFEST));
    (void)refusal(PLUGINTEST_NO_MANIFEST);
    CHECK_FALSE(is_loaded(PLUGINTEST_NO_MANIFEST));  // refused without dlopen
}

TEST_CASE("a plugin without the entry symbol is refused") {
    const std::string msg = refusal(PLUGINTEST_NO_ENTRY);
    INFO(msg);
    CHECK_THAT(msg, Contains(RACESIM_PLUGIN_ENTRY_SYMBOL));
    CHECK_THAT(msg, Contains("lacks"));
}

TEST_CASE("a plugin whose manifest holds a garbage pointer is refused without reading through it") {
    // A constant manifest: judged from the file, before dlopen.
    const std::string msg = refusal(PLUGINTEST_GARBAGE_MANIFEST);
    INFO(msg);
    CHECK_THAT(msg, Contains("damaged manifest") && Contains("racesim_version") && Contains("garbage pointer") &&
                        Contains("nothing of it was run"));
    CHECK_FALSE(is_loaded(PLUGINTEST_GARBAGE_MANIFEST));
    // A manifest filled in as the library loads: judged after dlopen, from the loaded segments.
    const std::string dyn = refusal(PLUGINTEST_GARBAGE_MANIFEST_DYNAMIC);
    INFO(dyn);
    CHECK_THAT(dyn, Contains("damaged manifest") && Contains("racesim_version") &&
                        Contains("does not point to a string in a loaded library"));
}

TEST_CASE("a plugin whose entry symbol is a null pointer is refused without calling it") {
    const std::string msg = refusal(PLUGINTEST_NULL_ENTRY);
    INFO(msg);
    CHECK_THAT(msg, Contains("null entry symbol") && Contains(RACESIM_PLUGIN_ENTRY_SYMBOL));
}

TEST_CASE("a shared library without a manifest is refused as not a racesim plugin") {
    const std::string msg = refusal(PLUGINTEST_NO_MANIFEST);
    INFO(msg);
    CHECK_THAT(msg, Contains("not a racesim plugin"));
    CHECK_THAT(msg, Contains(RACESIM_PLUGIN_MANIFEST_SYMBOL));
}

TEST_CASE("a file that is not an ELF shared library is refused before dlopen") {
    REQUIRE(fs::is_regular_file(PLUGINTEST_NOT_ELF));
    const std::string msg = refusal(PLUGINTEST_NOT_ELF);
    INFO(msg);
    CHECK_THAT(msg, Contains("not a shared library"));
    CHECK_THAT(msg, Contains("ELF"));
    CHECK_FALSE(is_loaded(PLUGINTEST_NOT_ELF));
}

TEST_CASE("a missing file is refused") {
    const std::string msg = refusal(RACESIM_TEST_PLUGIN_DIR "/plugintest-does-not-exist.so");
    CHECK_THAT(msg, Contains("no such file"));
}

TEST_CASE("scanning the test-plugin directory: broken libraries are refused with reasons, good ones loaded") {
    racesim::Registry reg;
    reg.load_directories({RACESIM_TEST_PLUGIN_DIR, RACESIM_PLUGIN_DIR});
    // Other test folders may put their own fixtures in the same directory: look for ours only.
    auto reason = [&](const char* path) -> std::string {
        for (const auto& r : reg.refused())
            if (fs::equivalent(r.path, path)) return r.reason;
        return "(not refused)";
    };
    CHECK_THAT(reason(PLUGINTEST_WRONG_API), Contains("999") && Contains("rebuild"));
    CHECK_THAT(reason(PLUGINTEST_NO_ENTRY), Contains(RACESIM_PLUGIN_ENTRY_SYMBOL));
    CHECK_THAT(reason(PLUGINTEST_NO_MANIFEST), Contains("not a racesim plugin"));
    CHECK_THAT(reason(PLUGINTEST_NOT_ELF), Contains("ELF"));
    CHECK_THAT(reason(PLUGINTEST_GARBAGE_MANIFEST), Contains("damaged manifest"));
    CHECK_THAT(reason(PLUGINTEST_GARBAGE_MANIFEST_DYNAMIC), Contains("damaged manifest"));
    CHECK_THAT(reason(PLUGINTEST_NULL_ENTRY), Contains("null entry symbol"));
    CHECK_THAT(reason(PLUGINTEST_INITIALISER_WRONG_API), Contains("999"));
    CHECK(reason(PLUGINTEST_THROWING) == "(not refused)");
    CHECK(reg.find(Kind::efficiency, "plugintest-throws-parameter-error"));
    CHECK(reg.find(Kind::efficiency, "plugintest-lifetime"));
    // The real plugins are still found after the refusals.
    CHECK(reg.find(Kind::efficiency, "continuous-doubling"));
    CHECK(reg.find(Kind::reference, "piecewise-exact"));
}

TEST_CASE("objects keep their library loaded: load, drop the registry, use, unload, reload") {
    const char* path = PLUGINTEST_LIFETIME;
    REQUIRE_FALSE(is_loaded(path));  // nothing else in this process loads it

    Params p;
    p.set("E0", 2.0);
    std::shared_ptr<const racesim::plugin::RateModel> obj;
    {
        auto reg = std::make_unique<racesim::Registry>();
        reg->load_library(path);
        REQUIRE(is_loaded(path));
        const racesim::PluginEntry* e = reg->find(Kind::efficiency, "plugintest-lifetime");
        REQUIRE(e);
        obj = reg->make_rate(*e, p, ctx);
        REQUIRE(obj);
        CHECK(live_objects(path) == 1);
        reg.reset();  // the registry (and its handle on the library) is gone; the object is not
    }
    REQUIRE(is_loaded(path));
    // The object's code and data still live in the library: calling it must work.
    CHECK(obj->log_value(2.0, 0.0, Segment{0, 10}) == Approx(std::log(2.0) + 1.0).epsilon(1e-15));
    CHECK(obj->value(0.0, 0.0, Segment{0, 10}) == Approx(2.0).epsilon(1e-15));
    CHECK(live_objects(path) == 1);

    obj.reset();  // the last thing the library made: now it must be unloaded
    CHECK_FALSE(is_loaded(path));

    // Reload from scratch and use it again.
    racesim::Registry reg2;
    reg2.load_library(path);
    REQUIRE(is_loaded(path));
    const racesim::PluginEntry* e2 = reg2.find(Kind::efficiency, "plugintest-lifetime");
    REQUIRE(e2);
    auto obj2 = reg2.make_rate(*e2, p, ctx);
    CHECK(obj2->log_value(4.0, 0.0, Segment{0, 10}) == Approx(std::log(2.0) + 2.0).epsilon(1e-15));
    CHECK(live_objects(path) == 1);
}

TEST_CASE("a copied plugin entry keeps its library loaded and its factory callable") {
    const char* path = PLUGINTEST_LIFETIME;
    std::optional<racesim::PluginEntry> copy;
    {
        racesim::Registry reg;
        reg.load_library(path);
        const racesim::PluginEntry* e = reg.find(Kind::efficiency, "plugintest-lifetime");
        REQUIRE(e);
        copy = *e;
    }
    REQUIRE(is_loaded(path));
    Params p;
    p.set("E0", 3.0);
    const racesim::Registry empty;
    auto obj = empty.make_rate(*copy, p, ctx);
    CHECK(obj->log_value(0.0, 0.0, Segment{0, 1}) == Approx(std::log(3.0)).epsilon(1e-15));
    obj.reset();
    copy.reset();
    CHECK_FALSE(is_loaded(path));
}

TEST_CASE("a factory that throws becomes a PluginError carrying the message, the type and the key") {
    racesim::Registry reg;
    reg.load_library(PLUGINTEST_THROWING);
    const fs::path lib = PLUGINTEST_THROWING;
    auto expect = [&](auto&& make, const std::string& type, const std::string& key, const std::string& message) {
        INFO(type);
        try {
            make();
            FAIL("no exception from " << type);
        } catch (const racesim::PluginError& e) {
            CHECK(e.plugin == type);
            CHECK(e.key == key);
            CHECK(e.parameter_error == !key.empty());
            CHECK(std::string(e.what()) == message);
            CHECK(fs::equivalent(e.library, lib));
        } catch (const std::exception& e) {
            FAIL("expected racesim::PluginError, got another exception: " << e.what());
        }
    };
    auto rate = [&](Kind k, const std::string& type) {
        const racesim::PluginEntry* e = reg.find(k, type);
        REQUIRE(e);
        return [&reg, e] { (void)reg.make_rate(*e, Params{}, ctx); };
    };
    expect(rate(Kind::efficiency, "plugintest-throws-parameter-error"), "plugintest-throws-parameter-error", "gamma",
           "gamma must be rational, got pi (plugintest)");
    expect(rate(Kind::efficiency, "plugintest-throws-runtime-error"), "plugintest-throws-runtime-error", "",
           "threw while being constructed: cannot open the efficiency table (plugintest)");
    expect(rate(Kind::power, "plugintest-throws-int"), "plugintest-throws-int", "",
           "threw an exception that is not a std::exception while being constructed");

    const racesim::PluginEntry* loss = reg.find(Kind::loss, "plugintest-throws-in-loss");
    REQUIRE(loss);
    expect([&] { (void)reg.make_loss(*loss, Params{}, ctx); }, "plugintest-throws-in-loss", "kappa",
           "kappa is out of this world (plugintest)");

    const racesim::PluginEntry* ref = reg.find(Kind::reference, "plugintest-throws-in-reference");
    REQUIRE(ref);
    racesim::plugin::ReferenceInput in{{"continuous-doubling", {}}, {"mean-field", {}}, {"power-law", {}}, 1.0, 10.0};
    std::string why;
    expect([&] { (void)reg.make_reference(*ref, in, why); }, "plugintest-throws-in-reference", "",
           "threw while being constructed: reference exploded (plugintest)");

    // The registry is still usable after its plugins threw.
    const racesim::PluginEntry* works = reg.find(Kind::power, "plugintest-works");
    REQUIRE(works);
    auto obj = reg.make_rate(*works, Params{}, ctx);
    CHECK(obj->log_value(0.0, 0.0, Segment{0, 1}) == 0.0);
}

TEST_CASE("the registry's guards turn a plugin's faulty values and exceptions into PluginErrors with the time") {
    racesim::Registry reg;
    reg.load_library(PLUGINTEST_FAULTY);
    const racesim::PluginEntry* e = reg.find(Kind::efficiency, "plugintest-faulty");
    REQUIRE(e);
    auto make = [&](const std::string& fault) {
        Params p;
        p.set("E0", 2.0);
        p.set("fault", fault);
        p.set("at", 1.5);
        return reg.make_rate(*e, p, ctx);
    };
    const Segment s{0, 10};
    auto fails = [&](const std::string& fault, auto&& call, const std::string& message, std::optional<double> t) {
        INFO(fault);
        auto m = make(fault);
        try {
            call(*m);
            FAIL("no PluginError for " << fault);
        } catch (const racesim::PluginError& err) {
            CHECK(err.plugin == "plugintest-faulty");
            CHECK(err.kind == "efficiency");
            CHECK(fs::equivalent(err.library, PLUGINTEST_FAULTY));
            CHECK_FALSE(err.parameter_error);
            CHECK_THAT(err.what(), Contains(message));
            CHECK(err.time == t);
            CHECK_THAT(racesim::describe(err), Contains("efficiency plugin 'plugintest-faulty' (library "));
        }
    };
    auto eval = [&](const racesim::plugin::RateModel& m) { (void)m.log_value(2.0, 0.0, s); };
    auto bps = [&](const racesim::plugin::RateModel& m) {
        std::vector<double> out;
        m.breakpoints(0.0, 10.0, out);
    };
    fails("throw-evaluation", eval, "threw in log_value(): the efficiency table ran out", 2.0);
    fails("throw-non-std", eval, "not a std::exception in log_value()", 2.0);
    fails("nan", eval, "returned ln(rate) = NaN", 2.0);
    fails("negative", eval, "returned ln(rate) = NaN", 2.0);
    fails("inf", eval, "returned ln(rate) = +inf", 2.0);
    fails("breakpoints-order", bps, "declared breakpoints out of order (t = 2.5 then 1.5 yr)", std::nullopt);
    fails("breakpoints-outside", bps, "declared a breakpoint at t = 11 yr, outside the open interval (0, 10)",
          std::nullopt);
    try {
        (void)make("throw-construction");
        FAIL("no PluginError from the factory");
    } catch (const racesim::PluginError& err) {
        CHECK_THAT(err.what(), Contains("threw while being constructed: cannot open its data file"));
        CHECK_FALSE(err.time);
    }
    // Before `at`, and with no fault, the same objects behave.
    CHECK(make("nan")->log_value(1.0, 0.0, s) == Approx(std::log(2.0)));
    std::vector<double> none;
    make("none")->breakpoints(0.0, 10.0, none);
    CHECK(none.empty());
}

TEST_CASE("the plugin search path: one directory however it is spelled, and the built-in one absolute") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "racesim-test-search-path";
    fs::remove_all(dir);
    fs::create_directories(dir / "plugins");
    fs::create_directory_symlink(dir / "plugins", dir / "link");
    const fs::path cwd = fs::current_path();
    fs::current_path(dir);
    const auto path =
        racesim::plugin_search_path({"plugins", dir / "plugins", "./plugins/", dir / "link", "other"}, {}, false);
    fs::current_path(cwd);
    // The first spelling is kept; the absolute one, the one with a trailing slash and the
    // symlink to it are the same directory. "other" does not exist and stays (it is reported
    // when it is searched); the built-in directory comes last.
    REQUIRE(path.size() == 3);
    CHECK(path[0] == fs::path("plugins"));
    CHECK(path[1] == fs::path("other"));
    // This test binary's own directory, from the kernel: an absolute path.
    CHECK(path[2].is_absolute());
    CHECK(path[2].filename() == "plugins");
    CHECK(path[2].parent_path().filename() == "racesim");
    fs::remove_all(dir);
}

TEST_CASE("contract-tested.sha256 marks exactly the listed files, by name and sha256") {
    // The build lists the built-in rate plugins (efficiency, power, algorithms; plugins/
    // CMakeLists.txt), whose contract tests/plugins/test_contracts.cpp checks; the integrator
    // does not audit those.
    {
        racesim::Registry reg;
        reg.load_directories({RACESIM_PLUGIN_DIR});
        std::size_t rate = 0;
        for (const auto& e : reg.entries()) {
            INFO(e.library->path);
            const bool listed = e.descriptor.kind == Kind::efficiency || e.descriptor.kind == Kind::power ||
                                e.descriptor.kind == Kind::algorithms;
            CHECK(e.library->contract_tested == listed);
            rate += listed;
        }
        CHECK(rate == 12);
    }
    // A copy of one, in a directory of its own: listed only by a line with its name and hash.
    const fs::path dir = fs::temp_directory_path() / "racesim-test-contract-tested";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path lib = dir / "efficiency-logistic.so";
    fs::copy_file(fs::path(RACESIM_PLUGIN_DIR) / "efficiency-logistic.so", lib);
    const std::string digest = racesim::sha256_file(lib);
    auto tested_with = [&](const std::optional<std::string>& list) {
        fs::remove(dir / racesim::kContractTestedList);
        if (list) std::ofstream(dir / racesim::kContractTestedList) << *list;
        racesim::Registry reg;
        reg.load_library(lib);
        REQUIRE(reg.entries().size() == 1);
        return reg.entries()[0].library->contract_tested;
    };
    std::string other = digest;
    other[0] = other[0] == '0' ? '1' : '0';
    CHECK_FALSE(tested_with(std::nullopt));
    CHECK(tested_with(digest + "  efficiency-logistic.so\n"));
    CHECK(tested_with("garbage\n" + other + "  efficiency-logistic.so\n" + digest + "  efficiency-logistic.so"));
    CHECK_FALSE(tested_with(other + "  efficiency-logistic.so\n"));       // another file's hash
    CHECK_FALSE(tested_with(digest + "  efficiency-logistic.so.bak\n"));  // another name
    CHECK_FALSE(tested_with(digest + " efficiency-logistic.so\n"));       // not sha256sum's format
    CHECK_FALSE(tested_with(digest.substr(0, 63) + "  efficiency-logistic.so\n"));
    // Changed after it was listed (a byte appended, which the loader ignores): another hash,
    // so audited again.
    std::ofstream(lib, std::ios::binary | std::ios::app).put('\x5a');
    CHECK_FALSE(tested_with(digest + "  efficiency-logistic.so\n"));
    fs::remove_all(dir);
}
