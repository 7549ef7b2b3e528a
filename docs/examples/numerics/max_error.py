"""docs/numerics.md, "Output values": for each results directory of declining.yaml, the worst
relative error of C over the trajectory's rows against the exact solution
C/C0 = 1 + expm1(gamma·ln2·t)/(gamma·ln2) (gamma = -0.5, E0 = P0 = 1, tau = 0), then, from
summary.json, the worst error of R against the relative-loss reference, the error of the time
to R = 0.97 and the number of steps.

    /usr/bin/python3 docs/examples/numerics/max_error.py RESULTS_DIR...
"""
import csv
import json
import math
import sys

g = -0.5 * math.log(2)  # gamma·ln2
for d in sys.argv[1:]:
    with open(f"{d}/decline.csv") as f:
        err, at = max((abs(float(r["C"]) / (1 + math.expm1(g * float(r["t"])) / g) - 1), float(r["t"]))
                      for r in csv.DictReader(f))
    with open(f"{d}/summary.json") as f:
        s = json.load(f)["scenarios"][0]
    print(f"{d}: max C err {err:.2e} at t = {at:.4g}; max R err {s['reference']['max_rel_err_R']:.2e}; "
          f"time err (R = 0.97) {s['targets'][0]['time_rel_err']:.2e}; steps {s['solver']['steps']}")
