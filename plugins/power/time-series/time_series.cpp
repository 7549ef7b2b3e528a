// power `time-series`: mean power from a table of (time, MW) rows, given inline (`series`) or
// in a CSV file (`file`, relative to the config file). Between rows k and k+1:
//     constant:  P(t) = P_k
//     linear:    P(t) = P_k + (P_(k+1) - P_k) · (t - t_k)/(t_(k+1) - t_k)
// and P_last after the last row. Table times are t + time_origin. Every row time is a
// breakpoint (a jump for constant, a kink for linear). A row at or before t = 0 is required.
// The schedule has no parameter P0, so a scenario gives its baseline as {C0: ...}.
#include <algorithm>
#include <cmath>

#include "../../common/step_table.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/plugin/plugin.hpp"

namespace {

using namespace racesim::plugin;

class TimeSeries final : public RateModel {
public:
    explicit TimeSeries(const Params& p)
        : table_(racesim::plugins::read_step_table(p, "series", "file", "power", p.real("time_origin"), true)),
          linear_(p.string("interpolation") == "linear") {}

    double log_value(double t, double, const Segment& s) const override {
        const std::size_t k = table_.row_at(s.mid());
        if (!linear_ || k + 1 == table_.t.size()) return std::log(table_.v[k]);
        // Clamped to the row interval: the host may evaluate a hair outside it (a segment edge
        // merged with a nearby breakpoint), where a line falling to 0 would turn negative.
        const double w = std::clamp((t - table_.t[k]) / (table_.t[k + 1] - table_.t[k]), 0.0, 1.0);
        return std::log(std::max(0.0, table_.v[k] + (table_.v[k + 1] - table_.v[k]) * w));
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override { table_.breakpoints(t0, t1, out); }

private:
    racesim::plugins::StepTable table_;
    bool linear_;
};

std::vector<Descriptor> descriptors() {
    Descriptor d;
    d.kind = Kind::power;
    d.type = "time-series";
    d.summary = "P(t) from a table of (time, MW): piecewise constant or linear";
    d.doc =
        "Measured or planned power. Give the rows inline (`series`) or as a two-column CSV file "
        "(`file`, header line optional). After the last row the last value holds. Every row time is "
        "a breakpoint. There is no P0 parameter: give the scenario's baseline as {C0: <PFLOP>}.";
    d.schema.add_table("series", {"time", "MW"})
        .computed_default("none: give series or file")
        .doc("Rows [time (yr, + time_origin), power (MW, >= 0)], times strictly increasing.");
    d.schema.add_path("file")
        .computed_default("none: give series or file")
        .doc("CSV file of rows time,MW; relative paths are read from the config file's directory.");
    d.schema.add_string("interpolation")
        .default_value(std::string("constant"))
        .choices({"constant", "linear"})
        .doc("constant: each row's value until the next row; linear: straight lines between rows.");
    d.schema.add_real("time_origin").default_value(0.0).unit("yr").doc("The table time that is t = 0.");
    d.make_rate = [](const Params& p, const BuildContext&) { return std::make_unique<TimeSeries>(p); };
    return {d};
}

}  // namespace

RACESIM_PLUGIN("time-series", descriptors)
