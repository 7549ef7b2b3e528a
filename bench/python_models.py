#!/usr/bin/python3
"""Cost per trajectory of an efficiency model written in Python (racesim.run(models=...))
against the same model in C++ (continuous-doubling) and against SciPy's solve_ivp.

The problem: E(t) = E0 * 2^(gamma t), P = 1 MW, power-law loss (kappa = 0.048), C0 = E0*P0*1 yr,
30 yr on a 301-point grid (every 0.1 yr), the time to R = 0.68, relative tolerance 1e-10;
N trajectories with gamma spread over [1.9, 2.1] (a sweep), one thread. Errors are against the
closed form C(t) = C0 + E0 P0 (2^(gamma t) - 1) / (gamma ln 2).

  PYTHONPATH=build/python /usr/bin/python3 bench/python_models.py [--n 200] [--reps 5]

Prints a Markdown table (median over repetitions of the wall time per trajectory) and the
number of Python calls per trajectory.
"""
import argparse
import math
import statistics
import time

import numpy as np
from scipy.integrate import solve_ivp

import racesim

LN2 = math.log(2)
E0, P0, KAPPA, HORIZON, R_TARGET = 1.0, 1.0, 0.048, 30.0, 0.68
GRID = np.linspace(0.0, HORIZON, 301)


def config(n, efficiency_type):
    return {
        "racesim": 1, "name": "bench-python-models", "horizon": HORIZON,
        "output": {"every": 0.1}, "solver": {"rel_tol": 1e-10, "abs_tol": 0},
        "defaults": {"efficiency": {"type": efficiency_type, "E0": E0, "gamma": 2.0},
                     "power": {"type": "mean-field", "P0": P0},
                     "loss": {"type": "power-law", "kappa": KAPPA, "L0": 1.0},
                     "baseline": {"tau": 0}, "targets": {"relative": [R_TARGET]}},
        "scenarios": [{"name": "s", "sweep": {"efficiency.gamma": {"from": 1.9, "to": 2.1, "count": n}}}],
    }


CALLS = [0]


class Exponential(racesim.EfficiencyModel):
    params = {"E0": {"greater_than": 0}, "gamma": {"default": 0.5}}

    def __init__(self, E0, gamma):
        self.log_E0, self.rate = math.log(E0), gamma * LN2

    def log_value(self, t, log_C):
        CALLS[0] += 1
        return self.log_E0 + self.rate * t


def exact_C(gamma, t):
    C0 = E0 * P0
    return C0 + E0 * P0 * np.expm1(gamma * LN2 * t) / (gamma * LN2)


def exact_t(gamma):
    # R = (C/C0)^-kappa = R_TARGET  ->  C/C0 = R^(-1/kappa)
    x = R_TARGET ** (-1 / KAPPA)
    return math.log1p((x - 1) * gamma * LN2) / (gamma * LN2)


def racesim_errors(res, gammas):
    err = 0.0
    tr = res.trajectories
    for name, g in zip(res.scenarios, gammas):
        rows = tr[tr.scenario == name]
        err = max(err, float(np.max(np.abs(rows.C.to_numpy() / exact_C(g, rows.t.to_numpy()) - 1))))
    t = res.targets
    for name, g in zip(res.scenarios, gammas):
        err = max(err, abs(float(t[t.scenario == name].time.iloc[0]) / exact_t(g) - 1))
    return err


def scipy_one(gamma, method):
    g = gamma * LN2
    log_x = -math.log(R_TARGET) / KAPPA  # ln(C/C0) at the target
    u0 = math.log(E0 * P0)
    r = solve_ivp(lambda t, u: [math.exp(math.log(E0) + g * t + math.log(P0) - u[0])], (0.0, HORIZON), [u0],
                  method=method, rtol=1e-13, atol=1e-10, t_eval=GRID,
                  events=lambda t, u: u[0] - u0 - log_x)
    C = np.exp(r.y[0])
    err = float(np.max(np.abs(C / exact_C(gamma, GRID) - 1)))
    return max(err, abs(float(r.t_events[0][0]) / exact_t(gamma) - 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    gammas = list(np.linspace(1.9, 2.1, a.n))
    rows = []

    cpp = racesim.load(config(a.n, "continuous-doubling"))
    py = racesim.load(config(a.n, "py-exponential"), models={"py-exponential": Exponential})
    for label, ex in (("racesim, C++ model (continuous-doubling)", cpp), ("racesim, Python model", py)):
        times, inner = [], []
        for _ in range(a.reps):
            CALLS[0] = 0
            start = time.perf_counter()
            res = ex.run(jobs=1)
            times.append(time.perf_counter() - start)
            inner.append(res.wall_seconds)
        calls = CALLS[0] / a.n
        rows.append((label, statistics.median(times) / a.n, statistics.median(inner) / a.n,
                     racesim_errors(res, gammas), calls))

    for method in ("DOP853", "RK45"):
        times, err = [], 0.0
        for _ in range(a.reps):
            start = time.perf_counter()
            for g in gammas:
                err = max(err, scipy_one(g, method))
            times.append(time.perf_counter() - start)
        rows.append((f"SciPy solve_ivp {method} (ln C, rtol 1e-13, atol 1e-10)", statistics.median(times) / a.n,
                     None, err, None))

    print(f"{a.n} trajectories, median of {a.reps} repetitions, one thread\n")
    print("| how | wall per trajectory | of which the run (C++ wall_seconds) | max error (C on the grid, t*) "
          "| Python calls per trajectory |")
    print("|---|---|---|---|---|")
    for label, per, inner, err, calls in rows:
        print(f"| {label} | {per * 1e6:,.0f} µs | {'' if inner is None else f'{inner * 1e6:,.0f} µs'} "
              f"| {err:.1e} | {'' if calls is None else f'{calls:,.0f}'} |")


if __name__ == "__main__":
    main()
