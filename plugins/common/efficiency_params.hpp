// Parameter declarations shared by the built-in efficiency plugins, so that E0 and gamma
// mean exactly the same thing in every model that uses them.
#pragma once

#include "racesim/plugin/schema.hpp"

namespace racesim::plugins {

inline void declare_E0(plugin::Schema& s) {
    s.add_real("E0")
        .required()
        .positive()
        .unit("PFLOP/yr/MW")
        .quoted(plugin::Quoted::efficiency)
        .doc("Efficiency at t = 0 (logical FLOPs per time per power).");
}

inline void declare_gamma(plugin::Schema& s) {
    s.add_real("gamma")
        .required()
        .unit("1/yr")
        .quoted(plugin::Quoted::doubling_rate)
        .doc("Efficiency-doubling rate: efficiency doubles every 1/gamma years (0: static, < 0: decline).");
}

}  // namespace racesim::plugins
