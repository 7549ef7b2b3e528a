#include "columns.hpp"

#include "racesim/config/scenario.hpp"

namespace racesim::columns {

namespace {

/// trajectory_columns[k], checked at compile time against the column its row of the table
/// renders (the tables are constexpr: a mismatch does not compile).
constexpr std::string_view traj(std::size_t k, std::string_view renders) {
    if (trajectory_columns.at(k) != renders) throw "racesim::trajectory_columns and columns::trajectory disagree";
    return trajectory_columns[k];
}

void reached_word(csv::Line& l, const Outcome& o) {
    l.word(o.reached ? "true" : (o.unreachable ? "unreachable" : "false"));
}

}  // namespace

// clang-format off
constexpr std::array<Column<TrajectoryRow>, 6> trajectory{{
    {traj(0, "t"), "yr", "output time",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.t[r.i]); }},
    {traj(1, "C"), "PFLOP", "cumulative compute C(t)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.C[r.i]); }},
    {traj(2, "E"), "PFLOP/yr/MW", "efficiency E(t)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.E[r.i]); }},
    {traj(3, "P"), "MW", "power P(t)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.P[r.i]); }},
    {traj(4, "L"), "nats/token", "loss L(C(t))",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.L[r.i]); }},
    {traj(5, "R"), "1", "relative loss L(C(t)) / L(C0)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.R[r.i]); }},
}};

constexpr std::array<Column<TrajectoryRow>, 2> trajectory_reference{{
    {traj(6, "R_ref"), "1", "the loss law applied to the reference's C(t), divided by L(C0)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.R_ref[r.i]); }},
    {traj(7, "rel_err"), "1", "|R/R_ref - 1|",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.rel_err[r.i]); }},
}};

constexpr Column<TrajectoryRow> trajectory_year{
    traj(8, "year"), "yr", "the date of t: start_year + t, a decimal year (only with start_year)",
    [](csv::Line& l, const TrajectoryRow& r) { l.number(r.start_year + r.tr.t[r.i]); }};

constexpr std::array<Column<TrajectoryRow>, 2> trajectory_algorithms{{
    {traj(9, "A"), "1", "algorithmic multiplier A(t) of effective compute (only with algorithms)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.A[r.i]); }},
    {traj(10, "C_physical"), "PFLOP", "physical compute, the integral of E*P from C0/A(0) (only with algorithms; C is then effective compute)",
     [](csv::Line& l, const TrajectoryRow& r) { l.number(r.tr.C_physical[r.i]); }},
}};

constexpr std::array<Column<SweepRow>, 2> sweep{{
    {"scenario", "", "the expanded scenario's name",
     [](csv::Line& l, const SweepRow& r) { l.text(r.scenario); }},
    {"origin", "", "the swept scenario as declared in the config",
     [](csv::Line& l, const SweepRow& r) { l.text(r.origin); }},
}};

constexpr Column<std::optional<double>> sweep_parameter{
    "", "as configured", "the swept parameter's value; empty when the row's sweep does not sweep this path",
    [](csv::Line& l, const std::optional<double>& v) { l.number(v); }};

constexpr std::array<Column<Outcome>, 3> sweep_target{{
    {" time", "yr", "time to the target; empty when not reached by the horizon",
     [](csv::Line& l, const Outcome& o) { l.number(o.time); }},
    {" reached", "", "true, false, or unreachable (the reference proves it is never reached)", reached_word},
    {" reference_time", "yr", "the reference's time to the target; empty without a reference or when not reached",
     [](csv::Line& l, const Outcome& o) { l.number(o.reference_time); }},
}};

constexpr Column<Outcome> target_date{
    " date", "yr", "start_year + time, a decimal year; empty when not reached or without a start_year",
    [](csv::Line& l, const Outcome& o) { l.number(o.date); }};

constexpr std::array<Column<SampleRow>, 2> samples{{
    {"scenario", "", "the sampled scenario's name",
     [](csv::Line& l, const SampleRow& r) { l.text(r.scenario); }},
    {"sample", "", "the sample's index (0-based); its values depend only on the seed and this index",
     [](csv::Line& l, const SampleRow& r) { l.integer(r.index); }},
}};

constexpr Column<std::optional<double>> sample_parameter{
    "", "as configured", "the drawn value; empty when the row's scenario does not sample this path",
    [](csv::Line& l, const std::optional<double>& v) { l.number(v); }};

constexpr std::array<Column<Outcome>, 2> sample_target{{
    {" time", "yr", "time to the target; empty when not reached by the horizon",
     [](csv::Line& l, const Outcome& o) { l.number(o.time); }},
    {" reached", "", "true or false",
     [](csv::Line& l, const Outcome& o) { l.word(o.reached ? "true" : "false"); }},
}};


namespace {

}  // namespace

constexpr std::array<Column<CompareRow>, 7> comparison{{
    {"t", "yr", "an output time both scenarios share",
     [](csv::Line& l, const CompareRow& r) { l.number(r.t); }},
    {"C_a", "PFLOP", "cumulative compute of a",
     [](csv::Line& l, const CompareRow& r) { l.number(r.C_a); }},
    {"C_b", "PFLOP", "cumulative compute of b",
     [](csv::Line& l, const CompareRow& r) { l.number(r.C_b); }},
    {"C_ratio", "1", "C_a / C_b",
     [](csv::Line& l, const CompareRow& r) { l.number(r.C_ratio); }},
    {"R_a", "1", "relative loss of a",
     [](csv::Line& l, const CompareRow& r) { l.number(r.R_a); }},
    {"R_b", "1", "relative loss of b",
     [](csv::Line& l, const CompareRow& r) { l.number(r.R_b); }},
    {"R_gap", "1", "R_a - R_b",
     [](csv::Line& l, const CompareRow& r) { l.number(r.R_gap); }},
}};
// clang-format on

void auxiliary_cell(csv::Line& line, const TrajectoryRow& row, std::size_t k) {
    line.number(row.tr.aux[k][row.i]);
}

}  // namespace racesim::columns
