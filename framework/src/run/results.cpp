#include "racesim/run/results.hpp"

#include <fmt/format.h>

namespace racesim {

std::vector<std::string> conditioning_warnings(const ScenarioResult& s) {
    std::vector<std::string> out;
    for (const auto& t : s.targets)
        if (t.time && t.condition && t.time_error_estimate)
            if (const auto w = conditioning_warning(*t.time, *t.condition, *t.time_error_estimate))
                out.push_back(fmt::format("scenario '{}', target {}={}: {}", s.spec->name,
                                          t.spec.kind == TargetSpec::Kind::loss ? "loss" : "R", t.spec.value, *w));
    return out;
}

}  // namespace racesim
