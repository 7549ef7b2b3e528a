#include "racesim/core/errors.hpp"

#include <sstream>

namespace racesim {

namespace {

/// A number for a message: up to 15 significant digits, no trailing zeros, as
/// plugin::math::format writes it (core depends on no other racesim header).
std::string format(double x) {
    std::ostringstream os;
    os.precision(15);
    os << x;
    return os.str();
}

}  // namespace

std::string describe(const PluginError& e) {
    std::string s;
    if (!e.scenario.empty()) s += "scenario '" + e.scenario + "': ";
    s += (e.kind.empty() ? std::string() : e.kind + " ") + "plugin '" + e.plugin + "' (library " + e.library.string() +
         ")";
    if (e.time) s += " at t = " + format(*e.time) + " yr";
    return s + ": " + e.what();
}

}  // namespace racesim
