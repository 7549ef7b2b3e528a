"""racesim.run gives the CLI's results: the same files (with out=), and the same numbers in
its DataFrames, for every config in configs/ and the analyses config of this directory."""
import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest

import racesim
from conftest import HERE, ROOT, cli_run

CONFIGS = sorted(ROOT.glob("configs/**/*.yaml")) + [HERE / "configs" / "analyses.yaml"]


def without_timing(summary):
    s = json.loads(json.dumps(summary))
    s.pop("timing", None)
    return s


def csv_files(d):
    return sorted(p.name for p in pathlib.Path(d).iterdir())


def read_csv(path):
    # keep_default_na=False: an empty cell is "", as racesim writes it
    return pd.read_csv(path, keep_default_na=False, na_values=[""], float_precision="round_trip")


@pytest.mark.parametrize("config", CONFIGS, ids=[str(c.relative_to(ROOT)) for c in CONFIGS])
def test_same_files_and_numbers_as_cli(config, racesim_bin, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    p = cli_run(racesim_bin, config, cli_dir)
    assert p.returncode == 0, p.stderr
    res = racesim.run(config, out=py_dir)

    # With out=: exactly the CLI's files, byte for byte (summary.json: its timing aside).
    assert csv_files(py_dir) == csv_files(cli_dir)
    assert (py_dir / ".racesim-results").read_bytes() == (cli_dir / ".racesim-results").read_bytes()
    for name in csv_files(cli_dir):
        if name == "summary.json":
            continue
        assert (py_dir / name).read_bytes() == (cli_dir / name).read_bytes(), name
    cli_summary = json.loads((cli_dir / "summary.json").read_text())
    assert without_timing(json.loads((py_dir / "summary.json").read_text())) == without_timing(cli_summary)

    # The in-memory results: the summary, then every table against the CLI's files.
    assert without_timing(res.summary) == without_timing(cli_summary)
    listed = {s["name"]: s for s in cli_summary.get("scenarios", [])}
    for name, s in listed.items():
        if s.get("csv"):
            cli = read_csv(cli_dir / s["csv"])
            mine = res.trajectory(name)
            assert list(mine.columns) == list(cli.columns)
            np.testing.assert_array_equal(mine.to_numpy(), cli.to_numpy(dtype=float))
        t = res.targets[res.targets.scenario == name].reset_index(drop=True)
        assert len(t) == len(s["targets"])
        for row, ref in zip(t.itertuples(), s["targets"]):
            assert row.kind == ref["kind"]
            assert row.reached is ref["reached"] and isinstance(row.reached, (bool, np.bool_))
            assert row.unreachable == ref["unreachable"]
            assert row.at_start == ref.get("at_start", False)
            assert (math.isnan(row.time) if ref["time"] is None else row.time == ref["time"])
            if ref.get("reference_time") is not None:
                assert row.reference_time == ref["reference_time"]
            if ref.get("time_rel_err") is not None:
                assert row.time_rel_err == ref["time_rel_err"]
        sc = res.scenario(name)
        assert sc["C0"] == s["C0"] and sc["L_C0"] == s["L_C0"]

    # The long trajectory table holds every listed scenario's rows.
    with_csv = [n for n, s in listed.items() if s.get("csv")]
    if with_csv:
        tr = res.trajectories
        assert set(tr.scenario.unique()) == set(with_csv)
        assert len(tr) == sum(len(res.trajectory(n)) for n in with_csv)

    if (cli_dir / "sweep.csv").exists():
        cli = read_csv(cli_dir / "sweep.csv")
        sw = res.sweep
        assert sw is not None
        assert list(dict.fromkeys(sw.scenario)) == list(cli.scenario)
        labels = list(dict.fromkeys(sw.target))
        for label in labels:
            mine = sw[sw.target == label].reset_index(drop=True)
            np.testing.assert_array_equal(mine.time.to_numpy(), cli[f"{label} time"].to_numpy(dtype=float))
            words = cli[f"{label} reached"].astype(str).str.lower()
            np.testing.assert_array_equal(mine.reached.to_numpy(), (words == "true").to_numpy())
            np.testing.assert_array_equal(mine.unreachable.to_numpy(), (words == "unreachable").to_numpy())
            assert mine.reached.dtype == bool
            ref = cli[f"{label} reference_time"].to_numpy(dtype=float)
            np.testing.assert_array_equal(mine.reference_time.to_numpy(), ref)
            for path in [c for c in cli.columns if "." in c and " " not in c]:
                np.testing.assert_array_equal(mine[path].to_numpy(dtype=float), cli[path].to_numpy(dtype=float))
    else:
        assert res.sweep is None

    if (cli_dir / "solve.csv").exists():
        cli = read_csv(cli_dir / "solve.csv")
        sv = res.solve
        assert list(sv.scenario) == list(cli.scenario)
        np.testing.assert_array_equal(sv.value.to_numpy(), cli.value.to_numpy(dtype=float))
        assert list(sv.found) == [str(x).lower() == "true" for x in cli.found]
    else:
        assert res.solve is None

    if (cli_dir / "sensitivity.csv").exists():
        cli = read_csv(cli_dir / "sensitivity.csv")
        se = res.sensitivity
        assert list(se.parameter) == list(cli.parameter)
        # An analysis module's table has the columns of its CSV file, by name or generically.
        assert list(se.columns) == list(cli.columns)
        assert res.table("sensitivity").equals(se)
        for c in ("value", "low", "high", "time", "time_low", "time_high", "derivative", "elasticity"):
            np.testing.assert_array_equal(se[c].to_numpy(), cli[c].to_numpy(dtype=float), err_msg=c)
    else:
        assert res.sensitivity is None
        assert res.table("sensitivity") is None

    if (cli_dir / "samples.csv").exists():
        cli = read_csv(cli_dir / "samples.csv")
        sa = res.samples
        labels = list(dict.fromkeys(sa.target))
        for label in labels:
            mine = sa[sa.target == label].reset_index(drop=True)
            np.testing.assert_array_equal(mine["sample"].to_numpy(), cli["sample"].to_numpy())
            np.testing.assert_array_equal(mine.time.to_numpy(), cli[f"{label} time"].to_numpy(dtype=float))
            for path in [c for c in cli.columns if "." in c and " " not in c]:
                np.testing.assert_array_equal(mine[path].to_numpy(), cli[path].to_numpy(dtype=float))
        mc = res.monte_carlo
        for entry in cli_summary["monte_carlo"]:
            for tgt in entry["targets"]:
                rows = mc[(mc.scenario == entry["scenario"]) & (mc.target == tgt["target"])]
                assert len(rows) == len(tgt["time_quantiles"]) > 0
                for row in rows.itertuples():
                    want = tgt["time_quantiles"][f"p{round(row.p * 100)}"]
                    assert row.time == (math.inf if want is None else want)
                    assert row.n == entry["n"]
                by = res.reached_by
                rows = by[(by.scenario == entry["scenario"]) & (by.target == tgt["target"])]
                assert {f"{d:g}": p for d, p in zip(rows.date, rows.probability)} == tgt["p_reached_by"]
    else:
        assert res.samples is None and res.monte_carlo is None
