// efficiency `generation-table`: explicit hardware generations. Rows (time, multiplier), given
// inline (`steps`) or in a CSV file (`file`, relative to the config file), piecewise constant:
//     E(t) = E0 · m(t) / m(0),   m(t) = the multiplier of the last row with time <= t.
// Only ratios of multipliers matter (a table may list chips' FLOP/J directly); E(0) = E0.
// Table times are t + time_origin (e.g. calendar years with time_origin: 2020).
// Breakpoints at every row time inside the interval.
#include <cmath>

#include "../../common/efficiency_params.hpp"
#include "../../common/step_table.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class GenerationTable final : public RateModel {
public:
    explicit GenerationTable(const Params& p)
        : table_(racesim::plugins::read_step_table(p, "steps", "file", "multiplier", p.real("time_origin"), false)) {
        const double log_m0 = std::log(table_.v[table_.row_at(0.0)]);
        for (double m : table_.v) log_E_.push_back(std::log(p.real("E0")) + std::log(m) - log_m0);
    }

    double log_value(double, double, const Segment& s) const override { return log_E_[table_.row_at(s.mid())]; }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override { table_.breakpoints(t0, t1, out); }

private:
    racesim::plugins::StepTable table_;
    std::vector<double> log_E_;
};

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
    d.schema.add_table("steps", {"time", "multiplier"})
        .computed_default("none: give steps or file")
        .doc("Rows [time (yr, + time_origin), multiplier (> 0)], times strictly increasing.");
    d.schema.add_path("file")
        .computed_default("none: give steps or file")
        .doc("CSV file of rows time,multiplier; relative paths are read from the config file's directory.");
    d.schema.add_real("time_origin")
        .default_value(0.0)
        .unit("yr")
        .doc("The table time that is t = 0 (e.g. 2020 for a table in calendar years).");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<GenerationTable>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("generation-table", descriptors)
