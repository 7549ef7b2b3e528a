#!/usr/bin/python3
"""SciPy peer of bench_trajectory: the same three problems (problems.py) solved with
scipy.integrate.solve_ivp, RK45, DOP853 and LSODA, over a ladder of tolerances,
  * without breakpoints (one call over [0, 30], rates evaluated at t), and
  * with them (one call per segment between breakpoints, the rates' regime frozen on the
    segment, as racesim does),
each in two formulations: "C" (dC/dt = E*P, what a user writes first) and "lnC"
(du/dt = E*P/C with u = ln C, racesim's). Outputs on the same 301-point grid (t_eval) and the
time to target by an event function, as racesim computes both.

Time: CPU time of this process (time.process_time), median over repetitions, per trajectory.
Error: max(max over the grid of |C/C_exact - 1|, |t*/t*_exact - 1|), exact from mpmath.
Prints one JSON document on stdout.

  /usr/bin/python3 bench/peers/scipy_trajectory.py [--reps 5] [--min-time 0.05] [--quick]
"""
import argparse
import json
import math
import statistics
import sys
import time
import warnings

import numpy as np
import scipy
from scipy.integrate import solve_ivp

import problems as P

METHODS = ["RK45", "DOP853", "LSODA"]
TOLS = [1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-13]


def _exp(x):
    return math.exp(min(x, 709.0))  # a trial stage may probe far outside: inf -> a rejected step


def make_rhs(p, form, regime_t):
    g = p["gamma"] * P.LN2
    if p.get("kind"):  # issue 18's problems: smooth on each segment, regime_t not needed
        if form == "lnC":
            return lambda t, u: [_exp(P.smooth_log_rate(p, t, u[0]) - u[0])]
        return lambda t, C: [_exp(P.smooth_log_rate(p, t, math.log(max(C[0], 1e-300))))]
    if form == "lnC":
        if not p["discrete"] and p["duty"] >= 1:
            return lambda t, u: [_exp(g * t - u[0])]
        return lambda t, u: [_exp(P.log_E(p, t, regime_t) + P.log_P(p, t, regime_t) - u[0])]
    if not p["discrete"] and p["duty"] >= 1:
        return lambda t, C: [_exp(g * t)]
    return lambda t, C: [_exp(P.log_E(p, t, regime_t) + P.log_P(p, t, regime_t))]


def solve(p, method, tol, form, segmented):
    """One trajectory: (C/C0 on the grid, t* or None, RHS evaluations, ok)."""
    if form == "lnC":
        y0, rtol, atol = 0.0, 1e-13, tol  # absolute tolerance on ln C = relative on C (racesim's)
        thr = P.LOG_X
    else:
        y0, rtol, atol = 1.0, tol, tol * 1e-12
        thr = math.exp(P.LOG_X)
    event = lambda t, y: y[0] - thr  # noqa: E731
    edges = [0.0] + (P.breakpoints(p) if segmented else []) + [P.HORIZON]
    out = np.empty(len(P.GRID))
    t_star = None
    nfev = 0
    ok = True
    y = y0
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        last = k == len(edges) - 2
        sel = (P.GRID >= a) & ((P.GRID <= b) if last else (P.GRID < b))
        regime = 0.5 * (a + b) if segmented else None
        t_eval = P.GRID[sel]
        if not len(t_eval) or t_eval[-1] != b:
            t_eval = np.append(t_eval, b)  # the state at b starts the next segment
        r = solve_ivp(make_rhs(p, form, regime), (a, b), [y], method=method, rtol=rtol, atol=atol,
                      t_eval=t_eval, events=event if t_star is None else None)
        nfev += r.nfev
        if r.status != 0:
            ok = False
            break
        out[sel] = r.y[0][: int(sel.sum())]
        if t_star is None and r.t_events is not None and len(r.t_events[0]):
            t_star = float(r.t_events[0][0])
        y = r.y[0][-1]
    ratio = np.exp(out) if form == "lnC" else out
    return ratio, t_star, nfev, ok


def error(name, ratio, t_star):
    C_ex, t_ex = P.exact(name)
    e_C = float(np.max(np.abs(ratio / C_ex - 1)))
    if not math.isfinite(e_C):
        e_C = math.inf  # NaN or inf somewhere on the grid: as wrong as it gets
    e_t = math.inf if t_star is None else abs(t_star / t_ex - 1)
    return e_C, e_t


def timed(fn, reps, min_time):
    t0 = time.process_time()
    fn()
    first = time.process_time() - t0
    inner = max(1, math.ceil(min_time / max(first, 1e-6)))
    samples = []
    for _ in range(reps):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        samples.append((time.process_time() - t0) / inner)
    return samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.05, help="s of CPU per repetition")
    ap.add_argument("--max-single", type=float, default=2.0, help="skip tighter tolerances past this (s)")
    ap.add_argument("--quick", action="store_true", help="a reduced ladder, for the smoke test")
    ap.add_argument("--problems", nargs="*", default=list(P.PROBLEMS), help="a subset of problems.py's")
    a = ap.parse_args()
    tols = [1e-6, 1e-10] if a.quick else TOLS
    warnings.simplefilter("ignore")
    rows = []
    for name, p in P.PROBLEMS.items():
        if name not in a.problems:
            continue
        P.exact(name)
        for method in METHODS:
            for segmented in (False, True):
                for form in ("C", "lnC"):
                    for tol in tols:
                        t0 = time.process_time()
                        ratio, t_star, nfev, ok = solve(p, method, tol, form, segmented)
                        single = time.process_time() - t0
                        row = dict(problem=name, method=method, breakpoints=segmented, form=form, tol=tol,
                                   ok=ok, nfev=nfev)
                        if ok:
                            row["err_C"], row["err_t"] = error(name, ratio, t_star)
                            row["err"] = max(row["err_C"], row["err_t"])
                            s = timed(lambda: solve(p, method, tol, form, segmented), a.reps, a.min_time)
                            row["time_s"] = statistics.median(s)
                            row["time_min_s"], row["time_max_s"] = min(s), max(s)
                        rows.append(row)
                        print(f"# {name} {method} bp={segmented} {form} tol={tol:g}: "
                              + (f"{row['time_s'] * 1e3:.2f} ms err={row['err']:.2e}" if ok else "failed"),
                              file=sys.stderr)
                        if single > a.max_single:
                            break
    json.dump(dict(python=sys.version.split()[0], numpy=np.__version__, scipy=scipy.__version__,
                   timer="process_time", rows=rows), sys.stdout, indent=1)


if __name__ == "__main__":
    main()
