#!/usr/bin/python3
"""fit.scipy: racesim's `fit:` against SciPy's curve_fit (Levenberg-Marquardt, MINPACK) on the same data.

Four fits, each run by racesim (a config and its data written here) and by scipy.optimize.curve_fit
on the model's closed form:
  epoch      ln E = ln E0 + gamma ln2 t: continuous doubling on Epoch AI's chip efficiency
             (configs/data/epoch_ml_hardware_bf16.csv, 60 rows; log scale)
  logistic   E = E_max / (1 + (E_max/E0 - 1) 2^(-gamma t)) on synthetic data (linear scale, 3 parameters)
  trajectory C(t) of continuous doubling x mean-field, C/C0 = 1 + (2^(gamma t) - 1)/(gamma ln2 (1+tau)),
             simulated by racesim (rel_tol 1e-12), gamma and P0 fitted (log scale)
  feedback   C(t) of continuous doubling x reinvestment power P = P0 (C/C0)^beta (docs/plugins.md):
             (C/C0)^(1-beta) = 1 + (1-beta) I(t)/(1+tau), I = (2^(gamma t) - 1)/(gamma ln2); beta and gamma fitted

Pass: every estimate within 1e-6 (relative) of SciPy's, every standard error within 1e-3 (SciPy's
pcov: s^2 (J^T J)^-1 with s^2 = rss/(n - p), absolute_sigma=False). SciPy gets tight tolerances
(ftol = xtol = gtol = 1e-15) so that both report the minimum itself.

    compare_scipy.py RACESIM SOURCE_DIR WORK_DIR
"""
import csv
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

racesim, source, work = (Path(a).resolve() for a in sys.argv[1:4])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
LN2 = math.log(2)
rng = np.random.RandomState(20251207)

HEAD = """racesim: 1
name: scipy-{name}
horizon: {horizon}
solver: {{rel_tol: 1e-12}}
defaults:
  efficiency: {{type: continuous-doubling, E0: 1, gamma: 0.5}}
  power: {{type: mean-field, P0: 1}}
  loss: {{type: power-law, kappa: 0.048, L0: 1.0}}
  targets: {{relative: [0.9]}}
scenarios:
  - name: s
"""


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def run(name, horizon, scenario):
    cfg = work / f"{name}.yaml"
    cfg.write_text(HEAD.format(name=name, horizon=horizon) + scenario)
    out = work / f"out-{name}"
    p = subprocess.run([str(racesim), "-q", "run", str(cfg), "--out", str(out), "--force"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(f"fit.scipy: racesim run {cfg} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    with open(out / "fit.csv", newline="") as f:
        return {r["parameter"]: r for r in csv.DictReader(f)}


failures = []
rows_out = []


def compare(case, params, popt, pcov, fitted):
    se = np.sqrt(np.diag(pcov))
    for k, path in enumerate(params):
        r = fitted[path]
        est, s = float(r["estimate"]), float(r["se"])
        de, ds = abs(est / popt[k] - 1), abs(s / se[k] - 1)
        rows_out.append((case, path, est, popt[k], de, s, se[k], ds))
        if not de <= 1e-6:
            failures.append(f"{case} {path}: estimate {est!r}, SciPy {popt[k]!r} (relative difference {de:.2e} > 1e-6)")
        if not ds <= 1e-3:
            failures.append(f"{case} {path}: se {s!r}, SciPy {se[k]!r} (relative difference {ds:.2e} > 1e-3)")
        if r["converged"] != "true":
            failures.append(f"{case} {path}: racesim did not converge: {r['message']}")


def scipy_fit(f, t, y, p0, jac=None):
    return curve_fit(f, t, y, p0=p0, jac=jac, method="lm", ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=100000)


# 1. epoch: log-linear, Epoch AI's data.
data = source / "configs" / "data" / "epoch_ml_hardware_bf16.csv"
with open(data, newline="") as f:
    rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
t = np.array([float(r["year"]) - 2025 for r in rows])
y = np.array([float(r["flop_per_joule"]) * 0.0315576 for r in rows])
fitted = run("epoch", 10, f"""    efficiency: {{E0: 4.46e10, gamma: 0.5}}
    fit:
      data: {data}
      t: {{column: year, origin: 2025}}
      observe: {{quantity: E, column: flop_per_joule, factor: 0.0315576}}
      parameters: [efficiency.gamma, efficiency.E0]
""")
popt, pcov = scipy_fit(lambda t, g, E0: np.log(E0) + g * LN2 * t, t, np.log(y), [0.5, 4.46e10],
                       jac=lambda t, g, E0: np.column_stack([LN2 * t, np.full_like(t, 1 / E0)]))
compare("epoch", ["efficiency.gamma", "efficiency.E0"], popt, pcov, fitted)


# 2. logistic: three parameters, linear residuals.
def logistic(t, E0, g, Emax):
    return Emax / (1 + (Emax / E0 - 1) * np.exp2(-g * t))


t = np.linspace(0, 10, 41)
y = logistic(t, 1.0, 1.0, 20.0) + 0.2 * rng.standard_normal(t.size)
write_csv(work / "logistic.csv", ["t", "E"], [[repr(a), repr(b)] for a, b in zip(t, y)])
fitted = run("logistic", 10, """    efficiency: {type: logistic, E0: 2, gamma: 0.5, E_max: 10}
    fit:
      data: logistic.csv
      t: {column: t}
      observe: {quantity: E, column: E, scale: linear}
      parameters: [efficiency.E0, efficiency.gamma, efficiency.E_max]
""")
popt, pcov = scipy_fit(logistic, t, y, [2, 0.5, 10])
compare("logistic", ["efficiency.E0", "efficiency.gamma", "efficiency.E_max"], popt, pcov, fitted)

# 3. trajectory: C(t) simulated by racesim, closed form for SciPy. E0 = 2, tau = 0.5.
E0, tau = 2.0, 0.5


def growth(g, t):
    return t if g == 0 else np.expm1(g * LN2 * t) / (g * LN2)


def log_C_mean_field(t, g, P0):
    return np.log(E0 * P0 * (1 + tau)) + np.log1p(growth(g, t) / (1 + tau))


t = np.linspace(0.5, 10, 20)
y = np.exp(log_C_mean_field(t, 0.7, 3.0) + 0.03 * rng.standard_normal(t.size))
write_csv(work / "trajectory.csv", ["t", "C"], [[repr(a), repr(b)] for a, b in zip(t, y)])
fitted = run("trajectory", 10, """    efficiency: {E0: 2, gamma: 0.3}
    power: {P0: 1.5}
    baseline: {tau: 0.5}
    fit:
      data: trajectory.csv
      t: {column: t}
      observe: {quantity: C, column: C}
      parameters: [efficiency.gamma, power.P0]
""")
popt, pcov = scipy_fit(log_C_mean_field, t, np.log(y), [0.3, 1.5])
compare("trajectory", ["efficiency.gamma", "power.P0"], popt, pcov, fitted)


# 4. feedback: reinvestment power, beta and gamma fitted. E0 = 1, P0 = 2, tau = 0.
def log_C_feedback(t, beta, g):
    C0 = 1.0 * 2.0
    I = growth(g, t)
    if beta == 1:
        return math.log(C0) + I
    return math.log(C0) + np.log1p((1 - beta) * I) / (1 - beta)


t = np.linspace(0.25, 6, 24)
y = np.exp(log_C_feedback(t, 0.4, 0.5) + 0.03 * rng.standard_normal(t.size))
write_csv(work / "feedback.csv", ["t", "C"], [[repr(a), repr(b)] for a, b in zip(t, y)])
fitted = run("feedback", 6, """    efficiency: {E0: 1, gamma: 0.3}
    power: {type: reinvestment, P0: 2, beta: 0.2}
    fit:
      data: feedback.csv
      t: {column: t}
      observe: {quantity: C, column: C}
      parameters: [power.beta, efficiency.gamma]
""")
popt, pcov = scipy_fit(log_C_feedback, t, np.log(y), [0.2, 0.3])
compare("feedback", ["power.beta", "efficiency.gamma"], popt, pcov, fitted)

print(f"{'case':<11} {'parameter':<18} {'racesim':>22} {'scipy':>22} {'rel diff':>9} {'se racesim':>12} "
      f"{'se scipy':>12} {'rel diff':>9}")
for case, p, a, b, d1, s1, s2, d2 in rows_out:
    print(f"{case:<11} {p:<18} {a:>22.15g} {b:>22.15g} {d1:>9.1e} {s1:>12.6g} {s2:>12.6g} {d2:>9.1e}")
for f in failures:
    print("fit.scipy:", f)
print(f"fit.scipy: {len(rows_out)} estimates compared; {len(failures)} problem(s)")
sys.exit(1 if failures else 0)
