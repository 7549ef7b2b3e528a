#!/usr/bin/python3
"""Whole-process peer of a closed-form sweep written to disk: what a numpy user would write for
`racesim run` of a summary-only closed-form sweep (bench/run-all, "closed-form sweep, whole
process"). N values of gamma over [0.5, 3] (np.linspace, as racesim's {from, to, count}),
tau = 0, kappa = 0.048, time to R = 0.68 by docs/model.md's closed form
    t* = log1p(gamma ln2 (1+tau) (X - 1)) / (gamma ln2),  X = 0.68**(-1/kappa),
not reached (NaN) beyond the 30 yr horizon, written with np.savetxt as CSV (gamma, t*: fewer
columns than racesim's sweep.csv, which also has the scenario name, its origin, the reached flag
and the reference time).

  /usr/bin/python3 bench/peers/closed_form_sweep_numpy.py N OUT.csv
"""
import math
import sys

import numpy as np


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    gamma = np.linspace(0.5, 3.0, n)
    g = gamma * math.log(2.0)
    X = 0.68 ** (-1 / 0.048)
    t = np.log1p(g * (X - 1)) / g
    t[t > 30] = np.nan
    np.savetxt(out, np.column_stack([gamma, t]), delimiter=",", fmt="%.17g",
               header="efficiency.gamma,R=0.68 time", comments="")


if __name__ == "__main__":
    main()
