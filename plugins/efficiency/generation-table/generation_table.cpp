// efficiency `generation-table`: explicit hardware generations. Rows (time, multiplier), given
// inline (`steps`) or in a CSV file (`file`, relative to the config file), piecewise constant:
//     E(t) = E0 · m(t) / m(0),   m(t) = the multiplier of the last row with time <= t.
// Only ratios of multipliers matter (a table may list chips' FLOP/J directly); E(0) = E0.
// Table times are t + time_origin (e.g. calendar years with time_origin: 2020).
// Breakpoints at every row time inside the interval.
#include "../../common/efficiency_params.hpp"
#include "../../common/step_table.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::efficiency;
    d.type = "generation-table";
    d.summary = "E(t) = E0 * m(t)/m(0): piecewise-constant efficiency from a table of (time, multiplier)";
    d.doc =
        "Hardware generations at explicit times. Give the rows inline (`steps`) or as a two-column "
        "CSV file (`file`, header line optional, read relative to the config file). m(t) is the "
        "multiplier of the last row at or before t; a row at or before t = 0 is required. Only "
        "ratios of multipliers matter. Breakpoints at every row time.";
    racesim::plugins::declare_E0(d.schema);
    racesim::plugins::declare_multiplier_table(d.schema);
    d.make_rate = [](const Params& p, const BuildContext&) {
        return std::make_unique<racesim::plugins::MultiplierTableRate>(p, p.real("E0"));
    };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("generation-table", descriptors)
