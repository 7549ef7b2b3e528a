#!/usr/bin/python3
"""Vectorised-numpy peer of the closed-form sweep (bench_sweep's BM_ClosedForm_*): N scenarios,
gamma swept over [0.1, 3] (linspace, as racesim's {from: 0.1, to: 3, count: N}), tau = 0,
kappa = 0.048, docs/model.md's closed form:
  * time to R = 0.68:   t* = log1p(gamma ln2 (1+tau) (X - 1)) / (gamma ln2),  X = 0.68**(-1/kappa)
  * R(t) on a 301-point grid over 40 yr: R = (1 + expm1(gamma ln2 t)/(gamma ln2 (1+tau)))**(-kappa)
Time per point: CPU time (time.process_time), median over repetitions. Prints JSON on stdout.

  /usr/bin/python3 bench/peers/closed_form_numpy.py [--n 1000] [--reps 7]
"""
import argparse
import json
import math
import statistics
import sys
import time

import numpy as np

KAPPA, Y, H = 0.048, 0.68, 40.0


def t_star(gamma, tau=0.0):
    g = gamma * math.log(2.0)
    X = Y ** (-1 / KAPPA)
    return np.log1p(g * (1 + tau) * (X - 1)) / g


def r_grid(gamma, t, tau=0.0):
    g = (gamma * math.log(2.0))[:, None]
    return (1 + np.expm1(g * t[None, :]) / (g * (1 + tau))) ** (-KAPPA)


def timed(fn, reps, min_time):
    t0 = time.process_time()
    fn()
    inner = max(1, math.ceil(min_time / max(time.process_time() - t0, 1e-7)))
    s = []
    for _ in range(reps):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        s.append((time.process_time() - t0) / inner)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.05)
    a = ap.parse_args()
    gamma = np.linspace(0.1, 3.0, a.n)
    t = np.linspace(0.0, H, 301)
    out = dict(numpy=np.__version__, timer="process_time", n=a.n, rows=[])
    for name, fn, points in (("time_to_target", lambda: t_star(gamma), a.n),
                             ("grid_301", lambda: r_grid(gamma, t), a.n * 301)):
        s = timed(fn, a.reps, a.min_time)
        out["rows"].append(dict(name=name, points=points, time_s=statistics.median(s), time_min_s=min(s),
                                time_max_s=max(s), ns_per_point=statistics.median(s) / points * 1e9))
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
