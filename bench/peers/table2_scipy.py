#!/usr/bin/python3
"""What a SciPy user would write for configs/paper/table2.yaml: the paper's Table 2, five
scenarios (one a goal seek), each integrated with solve_ivp (DOP853, rtol 1e-10, as racesim's
rel_tol 1e-10) on the same output grid (horizon/300 plus t = 1, 5, 10, 20), the time to
L = 0.68 by an event, checked against docs/model.md's closed form, one CSV per scenario written to
the output directory (default: a temporary one), and a summary printed. The whole-process
peer of `racesim run configs/paper/table2.yaml` (bench/run-all times both with hyperfine).

  /usr/bin/python3 bench/peers/table2_scipy.py [-o DIR]
"""
import argparse
import csv
import math
import os
import tempfile

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

E0 = 44604413485.714294      # PFLOP/yr/MW
C_REF = 3122308944000.0005   # PFLOP
KAPPA, L0, TARGET = 0.048, 1.0, 0.68
LN2 = math.log(2.0)
SCENARIOS = [  # name, gamma, P0 (MW), horizon (yr); unfold-in-space: P0 by goal seek at t = 0
    ("unfold-in-space", 0.0, None, 40.0),
    ("unfold-in-time", 0.0, 70.0, 4000.0),
    ("baseline", 0.5, 70.0, 40.0),
    ("turtle", 3.0, 7.0, 40.0),
    ("hare", 2.0, 105.0, 40.0),
]


def loss(C):
    return L0 * (C / C_REF) ** (-KAPPA)


def C_target():
    return C_REF * (TARGET / L0) ** (-1 / KAPPA)


def grid(H):
    t = np.append(np.linspace(0.0, H, 301), [1.0, 5.0, 10.0, 20.0])
    return np.unique(t[t <= H])


def simulate(gamma, P0, H, t_eval):
    C0 = E0 * P0  # tau = 0: one year of training at the initial efficiency
    g = gamma * LN2
    rhs = lambda t, C: [E0 * math.exp(g * t) * P0]  # noqa: E731
    event = lambda t, C: C[0] - C_target()  # noqa: E731
    r = solve_ivp(rhs, (0.0, H), [C0], method="DOP853", rtol=1e-10, atol=1e-10 * C0, t_eval=t_eval,
                  events=event, dense_output=False)
    if r.status != 0:
        raise RuntimeError(r.message)
    t_star = float(r.t_events[0][0]) if len(r.t_events[0]) else (0.0 if C0 >= C_target() else None)
    return C0, r.t, r.y[0], t_star


def exact_time(gamma, C0):
    X = C_target() / C0
    if X <= 1:
        return 0.0
    return (X - 1) if gamma == 0 else math.log1p(gamma * LN2 * (X - 1)) / (gamma * LN2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="table2-scipy-")
    os.makedirs(out, exist_ok=True)
    print(f"{'scenario':18s} {'time (yr)':>12s} {'exact (yr)':>12s} {'rel err':>10s}")
    for name, gamma, P0, H in SCENARIOS:
        if P0 is None:  # goal seek: the P0 whose C at t = 0 reaches the target
            P0 = brentq(lambda p: math.log(simulate(gamma, p, 1e-9, None)[0]) - math.log(C_target()),
                        70.0, 7.0e7, xtol=1e-12, rtol=1e-14)
        C0, t, C, t_star = simulate(gamma, P0, H, grid(H))
        L = loss(C)
        R = L / loss(C0)
        ex = exact_time(gamma, C0)
        with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t", "C", "E", "P", "L", "R"])
            for row in zip(t, C, E0 * np.exp(gamma * LN2 * t), np.full_like(t, P0), L, R):
                w.writerow([repr(float(x)) for x in row])
        err = abs(t_star - ex) / ex if t_star is not None and ex > 0 else 0.0
        print(f"{name:18s} {t_star if t_star is not None else float('nan'):12.6g} {ex:12.6g} {err:10.2e}")
    print(f"results written to {out}")


if __name__ == "__main__":
    main()
