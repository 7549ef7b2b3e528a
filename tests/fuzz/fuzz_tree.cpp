// libFuzzer target over the in-memory tree loader (Session::load_tree, the Python package's
// dict configs): JSON in; the tree is written as YAML flow text (tree_to_yaml), parsed and
// validated. Findings: a crash, a sanitizer report, an uncaught exception, a tree whose YAML
// text does not parse (tree_to_yaml must always write valid YAML; only the limits and the
// structural rules may refuse it), a refusal without a diagnostic, and a diagnostic of the
// validated text that the SourceMap cannot turn back into a key path.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "racesim/analyses/builtin.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/config/tree.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugins/registry.hpp"

namespace {

const racesim::Registry& registry() {
    static const racesim::Registry* reg = [] {
        auto* r = new racesim::Registry;  // never freed: plugins stay loaded for the whole run
        r->load_directories({RACESIM_PLUGIN_DIR});
        if (r->entries().empty()) __builtin_trap();
        return r;
    }();
    return *reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto tree = nlohmann::ordered_json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (tree.is_discarded()) return 0;  // not JSON: not a tree
    racesim::SourceMap map;
    const std::string text = racesim::tree_to_yaml(tree, map);
    const std::string file = "<tree>";
    racesim::Diagnostics diags;
    auto doc = racesim::parse_document_text(text, file, diags);
    if (!doc) {
        std::ostringstream os;
        diags.print(os);
        const std::string msg = os.str();
        // The limits and the structural rules (depth, node count, '<<' keys) may refuse a tree's
        // text; text that does not parse is a bug of tree_to_yaml.
        if (msg.find("YAML syntax error") != std::string::npos || msg.find("cannot read YAML") != std::string::npos ||
            msg.find("YAML documents") != std::string::npos || msg.find("not valid UTF-8") != std::string::npos ||
            diags.empty())
            __builtin_trap();
        return 0;
    }
    try {
        auto ex = racesim::validate(*doc, registry(), diags, {}, racesim::model_check(registry()),
                                    racesim::builtin_analyses());
        if (!ex && diags.empty()) __builtin_trap();  // refused without saying why
    } catch (const racesim::PluginError&) {
        // a plugin fault while checking values: reported as such (exit 3 in the CLI)
    }
    // Every diagnostic about the text names a key path once remapped.
    const racesim::Diagnostics remapped = map.remap(diags, file);
    for (const auto& d : remapped.errors())
        if (d.mark.file == file && d.mark.line > 0) __builtin_trap();
    std::ostringstream os;
    remapped.print(os);
    return 0;
}
