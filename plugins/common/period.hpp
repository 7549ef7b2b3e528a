// The period of a periodic plugin (discrete-steps, peaked), whose breakpoints are its multiples
// k·T. They are counted k = 1, 2, ... in a double, which is exact only up to 2^53 (beyond it
// k + 1 == k and the count never ends): a horizon that holds more periods is refused when the
// model is made, before anyone asks for its breakpoints. The host's breakpoint budget (10^6 by
// default) refuses far fewer; this bound keeps the host's count of them finite and small.
#pragma once

#include <string>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/schema.hpp"

namespace racesim::plugins {

inline void check_period(double period, double horizon) {
    constexpr double most = 0x1p53;
    if (horizon / period > most)
        throw plugin::ParameterError(
            "period", "period = " + plugin::math::format(period) + " yr: the horizon of " +
                          plugin::math::format(horizon) + " yr holds " + plugin::math::format(horizon / period) +
                          " periods, more than 2^53 (the most this model counts exactly); each period is a "
                          "breakpoint, and the breakpoint budget allows 10^6 by default");
}

}  // namespace racesim::plugins
