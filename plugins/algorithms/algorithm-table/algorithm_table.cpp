// algorithms `algorithm-table`: algorithmic multipliers at explicit dates. Rows (time,
// multiplier), given inline (`steps`) or in a CSV file (`file`, relative to the config file),
// piecewise constant:
//     A(t) = A0 · m(t) / m(0),   m(t) = the multiplier of the last row with time <= t.
// Only ratios of multipliers matter (a table may list "compute needed for a fixed loss" inverted,
// or any index of algorithmic efficiency); A(0) = A0. Table times are t + time_origin.
// Breakpoints at every row time inside the interval. The efficiency generation-table's twin.
#include <cmath>

#include "../../common/algorithms_params.hpp"
#include "../../common/step_table.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class AlgorithmTable final : public RateModel {
public:
    explicit AlgorithmTable(const Params& p)
        : table_(racesim::plugins::read_step_table(p, "steps", "file", "multiplier", p.real("time_origin"), false)) {
        const double log_m0 = std::log(table_.v[table_.row_at(0.0)]);
        for (double m : table_.v) log_A_.push_back(std::log(p.real("A0")) + std::log(m) - log_m0);
    }

    double log_value(double, double, const Segment& s) const override { return log_A_[table_.row_at(s.mid())]; }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override { table_.breakpoints(t0, t1, out); }

private:
    racesim::plugins::StepTable table_;
    std::vector<double> log_A_;
};

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
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<AlgorithmTable>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("algorithm-table", descriptors)
