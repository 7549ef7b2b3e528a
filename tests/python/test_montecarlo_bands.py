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
