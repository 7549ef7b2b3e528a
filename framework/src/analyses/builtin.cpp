#include "racesim/analyses/builtin.hpp"

#include "racesim/analyses/fit.hpp"
#include "racesim/analyses/sensitivity.hpp"

namespace racesim {

const AnalysisKinds& builtin_analyses() {
    static const AnalysisKinds kinds{
        &sensitivity_analysis(),
        &fit_analysis(),
    };
    return kinds;
}

}  // namespace racesim
