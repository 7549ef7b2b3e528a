// algorithms `algorithm-table`: algorithmic multipliers at explicit dates. Rows (time,
// multiplier), given inline (`steps`) or in a CSV file (`file`, relative to the config file),
// piecewise constant:
//     A(t) = A0 · m(t) / m(0),   m(t) = the multiplier of the last row with time <= t.
// Only ratios of multipliers matter (a table may list "compute needed for a fixed loss" inverted,
// or any index of algorithmic efficiency); A(0) = A0. Table times are t + time_origin.
// Breakpoints at every row time inside the interval. The efficiency generation-table's twin.
#include "../../common/algorithms_params.hpp"
#include "../../common/step_table.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::algorithms;
    d.type = "algorithm-table";
    d.summary = "A(t) = A0 * m(t)/m(0): piecewise-constant algorithmic multiplier from a table of (time, multiplier)";
    d.doc =
        "Algorithmic advances at explicit times (a new architecture, a better data mix). Give the rows "
        "inline (`steps`) or as a two-column CSV file (`file`, header line optional, read relative to the "
        "config file). m(t) is the multiplier of the last row at or before t; a row at or before t = 0 is "
        "required. Only ratios of multipliers matter. Breakpoints at every row time.";
    racesim::plugins::declare_A0(d.schema);
    racesim::plugins::declare_multiplier_table(d.schema);
    d.make_rate = [](const Params& p, const BuildContext&) {
        return std::make_unique<racesim::plugins::MultiplierTableRate>(p, p.real("A0"));
    };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("algorithm-table", descriptors)
