#include "racesim/core/errors.hpp"

#include "racesim/plugin/math.hpp"

namespace racesim {

std::string describe(const PluginError& e) {
    std::string s;
    if (!e.scenario.empty()) s += "scenario '" + e.scenario + "': ";
    s += (e.kind.empty() ? std::string() : e.kind + " ") + "plugin '" + e.plugin + "' (library " + e.library.string() +
         ")";
    if (e.time) s += " at t = " + plugin::math::format(*e.time) + " yr";
    return s + ": " + e.what();
}

}  // namespace racesim
