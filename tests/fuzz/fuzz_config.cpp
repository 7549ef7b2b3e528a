// libFuzzer target over the config loader and validator: YAML text in, diagnostics or a
// validated experiment out. Any crash, sanitizer report, uncaught exception, leak or timeout
// is a finding. Run it with tools/fuzz-config (docs/reliability.md).
//
// The validator needs plugin schemas, so the real plugins of this build are loaded once.
// The racesim sources are compiled into this target (not linked from racesim_core) so that
// libFuzzer's coverage instrumentation sees the loader's branches.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "racesim/analyses/builtin.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugins/registry.hpp"

namespace {

const racesim::Registry& registry() {
    static const racesim::Registry* reg = [] {
        auto* r = new racesim::Registry;  // never freed: plugins stay loaded for the whole run
        r->load_directories({RACESIM_PLUGIN_DIR});
        if (r->entries().empty()) __builtin_trap();  // no plugins: the fuzzer would test nothing
        return r;
    }();
    return *reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    racesim::Diagnostics diags;
    auto doc = racesim::parse_document_text(text, "fuzz.yaml", diags);
    if (doc) {
        (void)racesim::document_plugin_paths(*doc, diags);
        try {
            auto ex = racesim::validate(*doc, registry(), diags, {}, racesim::model_check(registry()),
                                        racesim::builtin_analyses());
            if (!ex && diags.empty()) __builtin_trap();  // refused without saying why
        } catch (const racesim::PluginError&) {
            // a plugin fault while checking values: the CLI reports it (exit 3)
        }
    } else if (diags.empty()) {
        __builtin_trap();  // refused without saying why
    }
    std::ostringstream os;
    diags.print(os);
    return 0;
}
