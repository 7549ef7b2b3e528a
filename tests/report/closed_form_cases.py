#!/usr/bin/env python3
"""Makes the cases of tests/report/closed_form.test.js with the C++ reference plugins.

Draws random scenarios (a fixed seed, so a failure can be replayed) that the report's what-if
port covers: relative-loss (continuous-doubling x mean-field x power-law) and piecewise-exact
over {continuous-doubling, discrete-steps} x {mean-field, peaked}, with relative and loss
targets, explicit C_ref or not, gamma < 0, = 0 and tiny. Runs them with `racesim run` and
writes, per scenario, its summary.json entry and the rows (t, R_ref) of its CSV: R_ref is the
reference plugin's C(t) through the loss law, reference_time its time to each target.

usage: closed_form_cases.py RACESIM WORKDIR OUT.json [--seed N] [--per-reference N]
"""
import argparse
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys


def loguniform(rng, lo, hi):
    return 10 ** rng.uniform(math.log10(lo), math.log10(hi))


def draw_gamma(rng, lo, hi):
    u = rng.random()
    if u < 0.05:
        return 0.0
    if u < 0.10:
        return rng.choice([-1, 1]) * loguniform(rng, 1e-9, 1e-4)
    return rng.uniform(lo, hi)


def scenario(rng, i, reference):
    horizon = rng.uniform(3, 40)
    gamma = draw_gamma(rng, -1.0 if reference == "relative-loss" else -0.5, 3.0)
    eff = {"type": "continuous-doubling", "E0": loguniform(rng, 1e-3, 1e11), "gamma": gamma}
    power = {"type": "mean-field", "P0": loguniform(rng, 1e-2, 1e4)}
    if reference == "piecewise-exact":
        if rng.random() < 0.5:
            eff["type"] = "discrete-steps"
            eff["period"] = rng.uniform(0.25, 3)
        if rng.random() < 0.6:
            duty = rng.uniform(0.1, 1.0)
            power = {"type": "peaked", "P0": power["P0"], "duty": duty,
                     "offset": rng.uniform(0, 1 - duty), "period": rng.uniform(0.3, 2)}
    loss = {"type": "power-law", "kappa": loguniform(rng, 0.01, 0.5), "L0": rng.uniform(0.5, 3)}
    if rng.random() < 0.5:  # an explicit C_ref: L(C0) differs from L0, loss targets are absolute
        loss["C_ref"] = eff["E0"] * power["P0"] * loguniform(rng, 0.05, 20)
    tau = rng.uniform(-0.9, 5) if rng.random() < 0.8 else 0.0
    relative = sorted({round(rng.uniform(0.3, 0.995), 6) for _ in range(2)})
    # A loss target a little below the starting loss L(C0), so that most are reached.
    c0 = eff["E0"] * power["P0"] * (1 + tau)
    lc0 = loss["L0"] * (c0 / loss.get("C_ref", c0)) ** (-loss["kappa"])
    losses = [lc0 * rng.uniform(0.4, 0.98)]
    return {
        "name": f"case-{i}",
        "horizon": horizon,
        "output": None,
        "efficiency": eff,
        "power": power,
        "loss": loss,
        "baseline": {"tau": tau},
        "targets": {"relative": relative, "loss": losses},
        "reference": reference,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("racesim")
    ap.add_argument("work")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--per-reference", type=int, default=600)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    cases = []
    for reference in ("relative-loss", "piecewise-exact"):
        scs = [scenario(rng, i, reference) for i in range(a.per_reference)]
        for s in scs:
            del s["output"]
        # JSON is YAML: the config is written as JSON, every number in its round-trip form.
        cfg = {"racesim": 1, "name": reference, "horizon": 40, "output": {"every": 2.5},
               "solver": {"rel_tol": 1e-10, "abs_tol": 0}, "scenarios": scs}
        path = os.path.join(a.work, reference + ".yaml")
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = os.path.join(a.work, reference)
        r = subprocess.run([a.racesim, "-q", "run", path, "--out", out], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"racesim run {path} failed ({r.returncode}):\n{r.stderr}")
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        for sc in summary["scenarios"]:
            with open(os.path.join(out, sc["csv"])) as f:
                rows = [(float(row["t"]), float(row["R_ref"])) for row in csv.DictReader(f)]
            cases.append({"scenario": sc, "rows": rows})
    with open(a.out, "w") as f:
        json.dump({"seed": a.seed, "cases": cases}, f)
    print(f"{len(cases)} cases, {sum(len(c['rows']) for c in cases)} values of R_ref, "
          f"{sum(len(c['scenario']['targets']) for c in cases)} target times -> {a.out}")


if __name__ == "__main__":
    main()
