#include "racesim/analyses/builtin.hpp"

#include "racesim/analyses/compare.hpp"
#include "racesim/analyses/decompose.hpp"
#include "racesim/analyses/fit.hpp"
#include "racesim/analyses/sample.hpp"
#include "racesim/analyses/sensitivity.hpp"
#include "racesim/analyses/sobol.hpp"
#include "racesim/analyses/solve.hpp"
#include "racesim/analyses/sweep.hpp"

namespace racesim {

const AnalysisKinds& builtin_analyses() {
    static const AnalysisKinds kinds{
        &sweep_analysis(),  // first: its key follows the scenario's own, as when it was one of them
        &sensitivity_analysis(), &sobol_analysis(), &decompose_analysis(), &fit_analysis(),
        &solve_analysis(),  // after fit: a goal seek on a fitted scenario seeks at the estimates
        &sample_analysis(),
        &compare_analysis(),  // after sample: a paired comparison reads its samples' times
    };
    return kinds;
}

}  // namespace racesim
