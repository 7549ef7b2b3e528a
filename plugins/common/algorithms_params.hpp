// Parameter declarations shared by the built-in algorithms plugins (and read by the references
// that cover them), so that A0 and halving_time mean exactly the same thing everywhere.
#pragma once

#include "racesim/plugin/schema.hpp"

namespace racesim::plugins {

inline void declare_A0(plugin::Schema& s) {
    s.add_real("A0").positive().default_value(1.0).unit("1").doc(
        "The multiplier A(0) at t = 0. The baseline C0 is effective compute at t = 0 and the physical "
        "compute starts at C0/A0; 1 (the default): today's algorithms, C_physical(0) = C0.");
}

inline void declare_halving_time(plugin::Schema& s) {
    s.add_real("halving_time")
        .required()
        .positive()
        .unit("yr")
        .quoted(plugin::Quoted::duration)
        .doc(
            "Time in which the compute needed for a given loss halves: A(t) doubles every halving_time "
            "years (rate 1/halving_time doublings per year). Ho et al. 2024, \"Algorithmic progress in "
            "language models\": about 8 months (0.67 yr), 95 % CI 5-14 months.");
}

}  // namespace racesim::plugins
