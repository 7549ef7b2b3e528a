// A deliberately wrong fixture for layers.includes-check-can-fail: config must not include run.
#include "racesim/run/runner.hpp"
