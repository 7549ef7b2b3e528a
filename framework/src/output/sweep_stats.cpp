#include "sweep_stats.hpp"

#include <cmath>

namespace racesim {

void add_scenario(SweepStats& st, const ScenarioResult& r) {
    const std::string& name = r.spec->name;
    ++st.scenarios;
    for (std::size_t k = 0; k < r.targets.size() && k < st.targets.size(); ++k) {
        const TargetResult& t = r.targets[k];
        st.targets[k].add(t.time, t.unreachable);
        if (t.time_rel_err && (!st.max_time_rel_err || *t.time_rel_err > *st.max_time_rel_err)) {
            st.max_time_rel_err = t.time_rel_err;
            st.max_time_rel_err_scenario = name;
        }
    }
    if (r.max_rel_err && (!st.max_rel_err_R || *r.max_rel_err > *st.max_rel_err_R)) {
        st.max_rel_err_R = r.max_rel_err;
        st.max_rel_err_R_scenario = name;
    }
    if (r.said) {  // read back from a journal: counted when it ran
        for (const auto& [key, n] : r.said->counts.counts()) st.counts.add(key, n);
        return;
    }
    for (const auto& a : r.spec->analyses) analysis_of(*a).count(*a, r, st.counts);
}

void add_rows(SweepStats& st, const SweepRows& rows) {
    for (std::size_t r = 0; r < rows.n; ++r) {
        ++st.scenarios;
        for (std::size_t k = 0; k < rows.times.size() && k < st.targets.size(); ++k) {
            const double t = rows.times[k][r];
            st.targets[k].add(std::isfinite(t) ? std::optional<double>(t) : std::nullopt, std::isnan(t));
        }
    }
    st.vectorised = true;
}

}  // namespace racesim
