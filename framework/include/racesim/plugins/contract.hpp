// The plugin contract, checked on instantiated models (`racesim check CONFIG`, and the
// scaffold's tests): what a rate model promises the integrator (models.hpp) and what a loss
// law promises the runner. Findings are returned, not asserted, so tools can print them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "racesim/plugin/models.hpp"

namespace racesim {

struct ContractReport {
    std::vector<std::string> problems;  ///< empty: the contract holds (at the points sampled)
    std::size_t evaluations = 0;
    std::size_t breakpoints = 0;
};

/// Checks a rate model on [0, horizon] at ln C = log_C (and, for the state-independence check,
/// at log_C + 7.3):
///   1. breakpoints are finite, strictly increasing, inside the open interval, and a sub-interval
///      gets exactly the breakpoints of the whole that lie in it;
///   2. log_value is finite or -infinity;
///   3. when depends_on_state() is false, log_value ignores ln C;
///   4. no undeclared jump: on a grid of `grid` intervals, every change between neighbours that
///      stands out from its neighbourhood is bisected down to 1e-12·max(1, horizon); a change
///      that does not shrink with the interval (> 1e-6 in ln value) is a jump;
///   5. the regime is frozen per segment: with the whole segment between two breakpoints, the
///      value at interior points equals that of a small segment inside it at the same t, and
///      at both ends it is within 1e-6 of the value just inside (a regime read from t is not).
ContractReport check_rate_contract(const plugin::RateModel& m, double horizon, double log_C, int grid = 20000);

/// Checks a loss law from ln C0 up to ln C0 + 40: L finite, > 0 and non-increasing, and
/// log_compute_for_loss(L(C)) = ln C within 1e-9·max(1, |ln C|) wherever L still changes.
ContractReport check_loss_contract(const plugin::LossLaw& law, double log_C0);

}  // namespace racesim
