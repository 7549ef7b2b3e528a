#include "racesim/analyses/builtin.hpp"

#include "racesim/analyses/sensitivity.hpp"

namespace racesim {

const AnalysisKinds& builtin_analyses() {
    static const AnalysisKinds kinds{
        &sensitivity_analysis(),
    };
    return kinds;
}

}  // namespace racesim
