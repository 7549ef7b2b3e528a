"""Monte Carlo fan-chart bands (sample.bands -> bands.csv) and the paired comparison of two
sampled scenarios (compare: -> summary.json "paired"), each checked against an independent
computation from the files a user has: samples.csv (the drawn values and times per sample).

- Bands: every sample is run again as an ordinary scenario with its drawn gamma (one run with
  one scenario per sample, through the Python package), and numpy's percentiles (its default
  "linear" method is Hyndman and Fan's type 7, the method racesim states) of its trajectory
  columns are compared with bands.csv.
- Paired: the per-sample differences are formed from samples.csv with pandas.
"""
import json

import numpy as np
import pandas as pd
import pytest
import yaml

import racesim
from conftest import cli_run

N = 150  # samples per scenario: enough for every band to fall between distinct samples
BANDS = [5, 25, 50, 75, 95]
CONFIG = {
    "racesim": 1,
    "name": "bands",
    "horizon": 12,
    "output": {"every": 0.5},
    "defaults": {
        "efficiency": {"type": "continuous-doubling", "E0": 1, "gamma": 1.5},
        "power": {"type": "mean-field", "P0": 1},
        "loss": {"type": "power-law", "kappa": 0.048, "L0": 1.0},
        "targets": {"relative": [0.7, 0.6]},
        "reference": "piecewise-exact",
    },
    "scenarios": [
        {"name": "generations", "efficiency": {"type": "discrete-steps", "period": 2},
         "sample": {"n": N, "seed": 5, "bands": BANDS,
                    "parameters": {"efficiency.gamma": {"dist": "lognormal", "ci80": [1, 2.5]}}}},
        {"name": "continuous",
         "sample": {"n": N, "seed": 5, "bands": BANDS,
                    "parameters": {"efficiency.gamma": {"dist": "lognormal", "ci80": [1, 2.5]}}}},
    ],
    "compare": [{"a": "generations", "b": "continuous"}],
}


@pytest.fixture(scope="module")
def results(tmp_path_factory, racesim_bin):
    d = tmp_path_factory.mktemp("bands")
    cfg = d / "bands.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    p = cli_run(racesim_bin, cfg, d / "out")
    assert p.returncode == 0, p.stderr
    return d / "out"


def test_bands_are_the_percentiles_of_the_samples_trajectories(results):
    samples = pd.read_csv(results / "samples.csv")
    bands = pd.read_csv(results / "bands.csv")
    assert list(bands.columns) == ["scenario", "t", "percentile", "C", "L", "R"]
    for name in ("generations", "continuous"):
        drawn = samples[samples.scenario == name].sort_values("sample")
        assert len(drawn) == N
        # Every sample as its own scenario, with the drawn gamma written exactly (repr of a
        # float round-trips); the trajectories come from the ordinary run path.
        cfg = json.loads(json.dumps(CONFIG))
        base = next(s for s in cfg["scenarios"] if s["name"] == name)
        base.pop("sample")
        cfg["compare"] = []
        cfg["scenarios"] = []
        for i, g in enumerate(drawn["efficiency.gamma"]):
            sc = json.loads(json.dumps(base))
            sc["name"] = f"s{i}"
            sc.setdefault("efficiency", {})["gamma"] = float(g)
            cfg["scenarios"].append(sc)
        res = racesim.run(cfg)
        traj = res.trajectories
        got = bands[bands.scenario == name]
        times = sorted(got.t.unique())
        assert len(times) == 25  # 0, 0.5, ..., 12
        for q in ("C", "L", "R"):
            wide = traj.pivot(index="t", columns="scenario", values=q)
            assert list(wide.index) == times
            for p in BANDS:
                want = np.percentile(wide.to_numpy(), p, axis=1)  # type 7 across the samples
                have = got[got.percentile == p].sort_values("t")[q].to_numpy()
                # The bands' trajectories are evaluated by the same exact closed form as the
                # ordinary run's, so the values agree to the rounding of the interpolation
                # between two order statistics (numpy's lerp differs from racesim's in the
                # last bits): 1e-13 relative.
                np.testing.assert_allclose(have, want, rtol=1e-13, atol=0)
        # Each quantity's own percentiles: they rise with p for C, L and R alike (the 95th
        # percentile of L is the slow samples', the 5th percentile of C). Before the first
        # generation (t < 2) discrete steps do not depend on gamma, so the bands may be flat;
        # at the horizon they are strictly apart.
        for t in times[1:]:
            at = got[got.t == t].sort_values("percentile")
            assert all(np.all(np.diff(at[q]) >= 0) for q in ("C", "L", "R"))
        at = got[got.t == times[-1]].sort_values("percentile")
        assert all(np.all(np.diff(at[q]) > 0) for q in ("C", "L", "R"))


def test_paired_differences_match_pandas(results):
    samples = pd.read_csv(results / "samples.csv")
    summary = json.loads((results / "summary.json").read_text())
    paired = summary["comparisons"][0]["paired"]
    assert paired["seed"] == 5 and paired["samples"] == N
    a = samples[samples.scenario == "generations"].set_index("sample")
    b = samples[samples.scenario == "continuous"].set_index("sample")
    # One seed: sample i of each scenario drew the same gamma (common random numbers).
    assert (a["efficiency.gamma"] == b["efficiency.gamma"]).all()
    assert [t["target"] for t in paired["targets"]] == ["R=0.7", "R=0.6"]
    for t in paired["targets"]:
        ta = a[f"{t['target']} time"].where(a[f"{t['target']} reached"], np.inf)
        tb = b[f"{t['target']} time"].where(b[f"{t['target']} reached"], np.inf)
        assert t["a_first"] == pytest.approx((ta < tb).mean(), abs=0)
        assert t["b_first"] == pytest.approx((tb < ta).mean(), abs=0)
        assert t["a_first"] + t["b_first"] + t["ties"] == pytest.approx(1, abs=1e-15)
        both = np.isfinite(ta) & np.isfinite(tb)
        d = (ta - tb)[both].to_numpy()
        assert t["both_reached"] == len(d) and len(d) > N // 2
        # The same doubles subtracted; the mean sums them in another order (1e-12 yr), the
        # quantiles interpolate with another formula (1e-12 yr).
        assert t["mean_difference"] == pytest.approx(d.mean(), abs=1e-12)
        for key, v in t["difference_quantiles"].items():
            assert v == pytest.approx(np.percentile(d, int(key[1:])), abs=1e-12)
    # Discrete generations lag the continuous curve at the same gamma: never first.
    assert paired["targets"][0]["a_first"] == 0


def test_unpaired_seeds_are_said(tmp_path, racesim_bin):
    cfg = json.loads(json.dumps(CONFIG))
    cfg["scenarios"][1]["sample"]["seed"] = 6
    for s in cfg["scenarios"]:
        s["sample"]["n"] = 20
        s["sample"].pop("bands")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    p = cli_run(racesim_bin, path, tmp_path / "out")
    assert p.returncode == 0, p.stderr
    c = json.loads((tmp_path / "out" / "summary.json").read_text())["comparisons"][0]
    assert "paired" not in c
    assert "seed 5, n 20 against seed 6, n 20" in c["unpaired"]
    assert not (tmp_path / "out" / "bands.csv").exists()


def test_conditional_forecasts_match_pandas(tmp_path, racesim_bin, root):
    """sample.conditions of configs/examples/monte-carlo.yaml (R = 0.68 reached by 6 yr): the
    share that meets it and the distributions of every input and target time, over all samples
    and over those that meet it, recomputed from samples.csv."""
    p = cli_run(racesim_bin, root / "configs" / "examples" / "monte-carlo.yaml", tmp_path / "out")
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    samples = pd.read_csv(out / "samples.csv")
    rows = pd.read_csv(out / "conditional.csv")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["conditional_csv"] == "conditional.csv"
    assert len(summary["conditional"]) == len(rows) == 10  # (3 inputs + 2 targets) x (all, met)
    time68 = samples["R=0.68 time"].where(samples["R=0.68 reached"], np.inf)
    met = time68 <= 6
    assert (rows.met == met.sum()).all() and met.sum() > 100
    assert rows.share.iloc[0] == met.sum() / len(samples)
    for _, r in rows.iterrows():
        subset = samples[met] if r.given == "met" else samples
        if r.quantity.endswith(" time"):
            target = r.quantity[: -len(" time")]
            v = subset[r.quantity].where(subset[f"{target} reached"], np.inf).to_numpy()
        else:
            v = subset[r.quantity].to_numpy()
        assert r.samples == len(v)
        finite = v[np.isfinite(v)]
        assert r.reached == len(finite)
        # Same doubles; the mean sums them in another order, the quantiles interpolate with
        # another formula: 1e-12 relative. A quantile among the unreached (+inf) is empty.
        assert r["mean"] == pytest.approx(finite.mean(), rel=1e-12)
        s = np.sort(v)
        for q in (5, 10, 25, 50, 75, 90, 95):
            h = (len(s) - 1) * q / 100
            if not np.isfinite(s[min(int(np.floor(h)) + 1, len(s) - 1)]):
                assert np.isnan(r[f"p{q}"])
            else:
                assert r[f"p{q}"] == pytest.approx(np.percentile(finite if len(finite) == len(s) else s, q),
                                                   rel=1e-12)
    # Those that reach R = 0.68 within 6 yr had a faster efficiency growth: the conditional
    # median gamma lies above the unconditional one.
    g = rows[rows.quantity == "efficiency.gamma"].set_index("given")
    assert g.loc["met", "p50"] > 1.5 * g.loc["all", "p50"]
