// Many scenarios of one declared scenario evaluated at once by its reference's vectorised
// closed form (plugin::Descriptor::batch_time_to_target): the rows of a sweep, a chunk of
// Monte Carlo samples. For the runner and the analysis modules that evaluate many scenarios.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "racesim/config/experiment.hpp"
#include "racesim/core/diagnostics.hpp"
#include "racesim/model/model.hpp"

namespace racesim::detail {

/// Whether `sc`'s rows that vary `paths` may be evaluated by its reference's vectorised closed
/// form: `solver: {method: closed-form}`, `ex.solver.vectorise`, a reference that has one and
/// reads every path in `paths`.
bool batch_applies(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc,
                   const std::vector<std::string>& paths);

/// The time to each target of `sc` for n rows, where `varying` gives the columns that differ
/// from sc's own values: times[k][i] in yr, +inf when not reached by the horizon, NaN when
/// never reached. False when the reference declines (`why` says why). Throws RunError when it
/// throws or gives a negative time (`row_name(i)` names the row in the message).
template <class RowName>
bool batch_times(const ModelBuilder& models, const ScenarioSpec& sc, std::size_t n,
                 const std::vector<std::pair<std::string, plugin::Column>>& varying,
                 std::vector<std::vector<double>>& times, std::string& why, const RowName& row_name);

/// The non-template part of batch_times: false when declined; the index of the first row
/// with a negative time in `bad` (n when none).
bool batch_times_impl(const ModelBuilder& models, const ScenarioSpec& sc, std::size_t n,
                      const std::vector<std::pair<std::string, plugin::Column>>& varying,
                      std::vector<std::vector<double>>& times, std::string& why, std::size_t& bad);

template <class RowName>
bool batch_times(const ModelBuilder& models, const ScenarioSpec& sc, std::size_t n,
                 const std::vector<std::pair<std::string, plugin::Column>>& varying,
                 std::vector<std::vector<double>>& times, std::string& why, const RowName& row_name) {
    std::size_t bad = n;
    if (!batch_times_impl(models, sc, n, varying, times, why, bad)) return false;
    if (bad < n)
        throw RunError("scenario '" + row_name(bad) + "': reference '" + sc.reference->selection.type +
                       "' gave a negative time to target in its vectorised closed form");
    return true;
}

}  // namespace racesim::detail
