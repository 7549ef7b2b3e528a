#include "racesim/analyses/builtin.hpp"

#include "racesim/analyses/decompose.hpp"
#include "racesim/analyses/fit.hpp"
#include "racesim/analyses/sensitivity.hpp"
#include "racesim/analyses/sobol.hpp"

namespace racesim {

const AnalysisKinds& builtin_analyses() {
    static const AnalysisKinds kinds{
        &sensitivity_analysis(),
        &sobol_analysis(),
        &decompose_analysis(),
        &fit_analysis(),
    };
    return kinds;
}

}  // namespace racesim
