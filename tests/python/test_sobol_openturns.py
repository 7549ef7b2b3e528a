"""`sobol:` against OpenTURNS (Debian's python3-openturns) on the paper's model.

racesim's Sobol indices of the time to R = 0.68 and of the loss after 10 years, with gamma,
kappa and tau uncertain, against OpenTURNS' Jansen estimators on its own, independent Saltelli
design of the same size, with the paper's closed form (docs/model.md) as the model. Both are
Monte Carlo estimates of the same indices: each difference must lie within the 95 % interval of
a difference of two independent estimates, sqrt(h1^2 + h2^2) for the two bootstrap half-widths
h1, h2 (about 2 standard errors of the difference; 12 comparisons at fixed seeds).
"""
import csv
import math
import subprocess

import numpy as np
import openturns as ot  # python3-openturns (tools/bootstrap)

from conftest import cli_env

N = 8192
CONFIG = f"""\
racesim: 1
name: sobol-ot
horizon: 60
solver: {{method: closed-form}}
defaults:
  efficiency: {{type: continuous-doubling, E0: 1, gamma: 1}}
  power: {{type: mean-field, P0: 1}}
  loss: {{type: power-law, kappa: 0.048, L0: 1.0}}
  targets: {{relative: [0.68]}}
  reference: relative-loss
scenarios:
  - name: paper
    sample:
      n: 10
      seed: 2
      parameters:
        efficiency.gamma: {{dist: loguniform, low: 0.5, high: 3}}
        loss.kappa: {{dist: uniform, low: 0.035, high: 0.06}}
        baseline.tau: {{dist: uniform, low: 0, high: 1}}
    sobol: {{n: {N}, bootstrap: 300, dates: [10]}}
"""
PATHS = ["efficiency.gamma", "loss.kappa", "baseline.tau"]
LN2 = math.log(2)


def time_to_target(x):
    """docs/model.md: t*(y) = log1p(gamma ln2 (1 + tau) (X - 1)) / (gamma ln2), X = y^(-1/kappa)."""
    g, k, tau = x[:, 0], x[:, 1], x[:, 2]
    X = 0.68 ** (-1 / k)
    return np.log1p(g * LN2 * (1 + tau) * (X - 1)) / (g * LN2)


def loss_at_10(x):
    """docs/model.md: L(t) = L0 (C/C0)^(-kappa), C/C0 = 1 + (2^(gamma t) - 1)/(gamma ln2 (1 + tau)), L0 = 1."""
    g, k, tau = x[:, 0], x[:, 1], x[:, 2]
    return (1 + np.expm1(g * LN2 * 10) / (g * LN2 * (1 + tau))) ** (-k)


def openturns_indices(model):
    ot.RandomGenerator.SetSeed(17)
    dist = ot.ComposedDistribution([ot.LogUniform(math.log(0.5), math.log(3)), ot.Uniform(0.035, 0.06),
                                    ot.Uniform(0, 1)])
    x = ot.SobolIndicesExperiment(dist, N).generate()
    y = ot.Sample(model(np.array(x)).reshape(-1, 1))
    algo = ot.JansenSensitivityAlgorithm(x, y, N)
    algo.setBootstrapSize(300)
    algo.setConfidenceLevel(0.95)
    s1, st = algo.getFirstOrderIndices(), algo.getTotalOrderIndices()
    i1, it = algo.getFirstOrderIndicesInterval(), algo.getTotalOrderIndicesInterval()
    out = {}
    for j, p in enumerate(PATHS):
        out[p] = {"S1": s1[j], "S1_half": (i1.getUpperBound()[j] - i1.getLowerBound()[j]) / 2,
                  "ST": st[j], "ST_half": (it.getUpperBound()[j] - it.getLowerBound()[j]) / 2}
    return out


def test_sobol_indices_agree_with_openturns_within_the_intervals(tmp_path, racesim_bin):
    cfg = tmp_path / "sobol.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "out"
    p = subprocess.run([str(racesim_bin), "-q", "run", str(cfg), "--out", str(out)], capture_output=True, text=True,
                       timeout=600, env=cli_env())
    assert p.returncode == 0, p.stderr
    with open(out / "sobol.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    for quantity, model in (("R=0.68", time_to_target), ("L(t=10)", loss_at_10)):
        ref = openturns_indices(model)
        for path in PATHS:
            r = next(r for r in rows if r["quantity"] == quantity and r["parameter"] == path)
            assert r["censored"] == "0"
            for index in ("S1", "ST"):
                mine = float(r[index])
                half = (float(r[index + "_high"]) - float(r[index + "_low"])) / 2
                theirs, their_half = ref[path][index], ref[path][index + "_half"]
                tol = math.hypot(half, their_half)
                assert abs(mine - theirs) <= tol, (quantity, path, index, mine, theirs, tol)
                assert tol < 0.045  # the intervals are narrow enough for the comparison to mean something
    # The ranking the indices give: gamma dominates, then kappa, then tau (both ways).
    st = {r["parameter"]: float(r["ST"]) for r in rows if r["quantity"] == "R=0.68"}
    assert st["efficiency.gamma"] > st["loss.kappa"] > st["baseline.tau"]
