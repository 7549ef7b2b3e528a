"""racesim.run with each kind of config, every error path, threads, memory and zero-copy."""
import gc
import os
import pathlib
import subprocess
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import racesim
from conftest import ROOT, SMALL, cli_env

TREE = yaml.safe_load(SMALL)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- configs --------------------------------------------------------------------------------

def test_path_text_and_tree_give_the_same_results(tmp_path):
    f = tmp_path / "small.yaml"
    f.write_text(SMALL)
    by_path = racesim.run(f)
    by_str_path = racesim.run(str(f))
    by_text = racesim.run(SMALL)
    by_tree = racesim.run(TREE)
    for other in (by_str_path, by_text, by_tree):
        pd.testing.assert_frame_equal(other.trajectories, by_path.trajectories)
        pd.testing.assert_frame_equal(other.targets, by_path.targets)
    assert by_path.summary["config"] == str(f)
    assert by_text.summary["config"] == "<text>"
    assert by_tree.summary["config"] == "<tree>"


def test_experiment_object_and_load():
    ex = racesim.load(SMALL)
    assert ex.name == "small" and ex.scenario_count == 1
    assert "small" in repr(ex)
    res = racesim.run(ex, jobs=1)
    assert res.scenarios == ["a"]
    assert res.targets.reached.tolist() == [True]


def test_a_list_tree_is_refused_with_a_diagnostic():
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run([1, 2])
    assert e.value.diagnostics and e.value.diagnostics[0].file == "<tree>"


def test_targets_columns_and_types():
    t = racesim.run(ROOT / "configs/paper/table2.yaml").targets
    assert list(t.columns) == ["scenario", "target", "kind", "value", "loss", "relative", "reached", "unreachable",
                               "at_start", "time", "reference_time", "time_rel_err", "condition",
                               "time_error_estimate"]
    assert t.reached.dtype == bool and t.unreachable.dtype == bool and t.at_start.dtype == bool
    assert t[t.reached].shape[0] == 5
    assert t.time.dtype == float


def test_unreachable_target_is_a_bool_not_a_word():
    cfg = dict(TREE)
    cfg["scenarios"] = [{"name": "never", "efficiency": {"gamma": 0}, "power": {"P0": 1}}]
    cfg["defaults"] = dict(TREE["defaults"], targets={"relative": [0.01]})
    t = racesim.run(cfg).targets
    assert t.reached.tolist() == [False] and t.reached.dtype == bool
    assert np.isnan(t.time[0])


def test_nothing_is_written_without_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    racesim.run(SMALL)
    assert list(tmp_path.iterdir()) == []


def test_out_and_force(tmp_path):
    out = tmp_path / "res"
    racesim.run(SMALL, out=out)
    assert (out / "summary.json").is_file() and (out / "a.csv").is_file()
    with pytest.raises(racesim.RunError, match="already exists"):
        racesim.run(SMALL, out=out)
    racesim.run(SMALL, out=str(out), force=True)
    assert (out / "a.csv").is_file()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(racesim.RunError, match="does not hold racesim results"):
        racesim.run(SMALL, out=other, force=True)
    assert (other / "notes.txt").read_text() == "mine"


# -- errors ---------------------------------------------------------------------------------

def test_yaml_text_error_has_line_and_column():
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run(SMALL.replace("horizon: 10", "horizon: -1"))
    d = e.value.diagnostics[0]
    assert (d.file, d.line, d.column) == ("<text>", 3, 10)
    assert "out of range" in d.message
    assert isinstance(e.value, ValueError)
    assert "<text>:3:10" in str(e.value)


def test_file_error_names_the_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(SMALL.replace("gamma: 2", "gamma: two"))
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run(f)
    d = e.value.diagnostics[0]
    assert d.file == str(f) and d.line == 6 and d.column > 0
    assert d.location.startswith(f"{f}:6:")


def test_tree_error_names_the_key_path_with_notes():
    cfg = yaml.safe_load(SMALL)
    cfg["defaults"]["efficiency"]["type"] = "continuous-doublin"
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run(cfg)
    d = e.value.diagnostics[0]
    assert d.file == "<tree>" and d.line == 0
    assert d.key_path == "defaults.efficiency.type"
    assert any("did you mean 'continuous-doubling'" in n.text for n in d.notes)
    assert isinstance(d.notes[0], racesim.Note)


def test_every_diagnostic_is_reported():
    cfg = yaml.safe_load(SMALL)
    cfg["horizon"] = -1
    cfg["defaults"]["power"]["P0"] = -5
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run(cfg)
    paths = {d.key_path for d in e.value.diagnostics}
    assert {"horizon", "defaults.power.P0"} <= paths


def test_missing_file():
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run("no-such-config.yaml")
    assert "no such file" in e.value.diagnostics[0].message


def test_wrong_config_types():
    with pytest.raises(TypeError):
        racesim.run(42)
    with pytest.raises(TypeError):
        racesim.run({"racesim": 1, "x": {1, 2}})
    with pytest.raises(ValueError):
        racesim.run(SMALL, jobs=0)


# -- conditioning of the times to target (docs/numerics.md) ----------------------------------

# configs/examples/declining-efficiency.yaml: gamma = -0.5, R falls to 0.93693. near-the-bound is
# at t* = 20 yr (condition 199: above 1e-8 at the default rel_tol 1e-10), at-the-bound at 50 yr
# (condition 2.6e6: no tolerance will do), well-conditioned at 3.1 yr (condition 2.75).
DECLINING = ROOT / "configs/examples/declining-efficiency.yaml"


def test_condition_columns_are_those_of_summary_json(tmp_path):
    with pytest.warns(racesim.ConditioningWarning) as caught:
        res = racesim.run(DECLINING, out=tmp_path / "out")
    t = res.targets.set_index("scenario")
    # Each warning names its scenario and target as the targets frame does.
    assert sorted(str(w.message).split(": its time")[0] for w in caught) == sorted(
        f"scenario '{name}', target {t.target[name]}" for name in ("near-the-bound", "at-the-bound"))
    written = {s["name"]: s["targets"][0] for s in res.summary["scenarios"]}
    assert set(written) == {"well-conditioned", "near-the-bound", "at-the-bound"}
    for name, target in written.items():
        assert t.condition[name] == target["condition"]
        assert t.time_error_estimate[name] == target["time_error_estimate"]
    # cond = X/(t*·e^(g·t*)), X = R^(-1/kappa), g = gamma·ln2: the closed form of the config's comment.
    g = -0.5 * np.log(2)
    for name in written:
        X = t.relative[name] ** (-1 / 0.048)
        T = t.reference_time[name]
        assert t.condition[name] == pytest.approx(X / (T * np.exp(g * T)), rel=1e-6)
    assert t.time_error_estimate["near-the-bound"] == pytest.approx(199 * 1e-10, rel=1e-2)


def test_conditioning_warnings_are_the_clis_at_the_callers_line(racesim_bin, tmp_path):
    config = DECLINING
    cli = subprocess.run([str(racesim_bin), "-q", "run", str(config), "--out", str(tmp_path / "cli")],
                         capture_output=True, text=True, timeout=600, env=cli_env())
    assert cli.returncode == 0, cli.stderr
    prefix = "racesim: warning: "
    expected = [line[len(prefix):] for line in cli.stderr.splitlines() if line.startswith(prefix)]
    assert len(expected) == 2 and "'near-the-bound'" in expected[0] and "'at-the-bound'" in expected[1]
    for call in (lambda: racesim.run(config), lambda: racesim.load(config).run()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        ours = [w for w in caught if issubclass(w.category, racesim.ConditioningWarning)]
        assert [str(w.message) for w in ours] == expected
        assert all(w.filename == __file__ for w in ours), [w.filename for w in ours]


def test_conditioning_warnings_past_ten_are_counted_in_one():
    # rel_tol 1e-8 and R = 0.97 (condition 2.57): each of the 15 scenarios' estimate is 2.6e-8.
    cfg = yaml.safe_load(DECLINING.read_text())
    cfg["solver"] = {"rel_tol": 1.0e-8}
    cfg["scenarios"] = [{"name": "s", "targets": {"relative": [0.97]},
                         "sweep": {"efficiency.E0": {"from": 1, "to": 15, "step": 1}}}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = racesim.run(cfg)
    ours = [str(w.message) for w in caught if issubclass(w.category, racesim.ConditioningWarning)]
    assert len(res.scenarios) == 15 and len(ours) == 11
    assert all("estimated relative error of 2.57e-08" in m for m in ours[:10])
    assert "ill-conditioned" not in " ".join(ours)
    assert ours[10].startswith("5 more target times have an estimated relative error above 1e-08")


def test_a_well_conditioned_run_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error", racesim.ConditioningWarning)
        racesim.run(ROOT / "configs/paper/table2.yaml")


def test_run_error_from_the_solver():
    cfg = yaml.safe_load(SMALL)
    cfg["solver"] = {"max_steps": 1}
    with pytest.raises(racesim.RunError) as e:
        racesim.run(cfg)
    assert "scenario 'a'" in str(e.value) or "'a'" in str(e.value)


def test_unloadable_plugin_library_is_a_load_error(tmp_path, monkeypatch):
    (tmp_path / "broken.so").write_text("not a library")
    monkeypatch.setenv("RACESIM_PLUGIN_PATH", str(tmp_path))
    cfg = yaml.safe_load(SMALL)
    cfg["defaults"]["efficiency"] = {"type": "from-the-broken-library"}
    with pytest.raises(racesim.LoadError) as e:
        racesim.run(cfg)
    assert e.value.installation_fault
    assert e.value.refused[0][0] == str(tmp_path / "broken.so")
    assert "ELF" in e.value.refused[0][1]


def test_plugins_and_describe_match_the_cli(racesim_bin):
    import json
    import subprocess
    listed = racesim.plugins()
    assert {"kind": "efficiency", "type": "continuous-doubling"}.items() <= listed[0].items()
    assert {p["type"] for p in listed} >= {"mean-field", "power-law", "relative-loss"}
    for p in listed:
        cli = subprocess.run([str(racesim_bin), "describe", p["type"], "--format", "json"], capture_output=True,
                             text=True, check=True, env=cli_env())
        # The CLI prints one JSON object per kind that has the type; describe() lists them.
        objects, text, pos = [], cli.stdout, 0
        while text[pos:].strip():
            obj, end = json.JSONDecoder().raw_decode(text[pos:].lstrip())
            pos += len(text[pos:]) - len(text[pos:].lstrip()) + end
            objects.append(obj)
        assert racesim.describe(p["type"]) == objects
    with pytest.raises(racesim.UnknownTypeError) as e:
        racesim.describe("continuous-doublin")
    assert e.value.suggestion == "continuous-doubling"


# -- threads, GIL, memory -------------------------------------------------------------------

def test_two_runs_in_two_threads():
    want = racesim.run(ROOT / "configs/paper/fig3.yaml", jobs=1)
    out, errors = [], []

    def work():
        try:
            for _ in range(5):
                out.append(racesim.run(ROOT / "configs/paper/fig3.yaml", jobs=2))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(out) == 10
    for r in out:
        pd.testing.assert_frame_equal(r.trajectories, want.trajectories)
        pd.testing.assert_frame_equal(r.sweep, want.sweep)


def test_the_gil_is_released_during_a_run():
    result = {}

    # Scenarios integrated one by one on one thread, as many as take about 1.5 s of C++ on this
    # build (a fixed count grew too short as racesim got faster: 40,000 took 0.5 s on
    # 2026-12-07), timed on 4,000 first.
    def sweep(n):
        return SMALL.replace("  - name: a\n", f"  - name: a\n    sweep: {{efficiency.gamma: {{from: 0.5, to: 3, count: {n}}}}}\n")

    t0 = time.monotonic()
    racesim.run(sweep(4000), jobs=1)
    n = int(min(1_000_000, max(40_000, 1.5 / ((time.monotonic() - t0) / 4000))))
    many = sweep(n)

    def work():
        result["r"] = racesim.run(many, jobs=1)

    t = threading.Thread(target=work)
    t.start()
    stamps = [time.monotonic()]
    while t.is_alive():
        time.sleep(0.001)
        stamps.append(time.monotonic())
    t.join()
    assert result["r"].summary["scenario_count"] == n
    elapsed = stamps[-1] - stamps[0]
    # This thread ran throughout the run: no pause near the run's length (the GIL held by the
    # run would stop it for all of it).
    assert elapsed > 0.5
    gap = max(b - a for a, b in zip(stamps, stamps[1:]))
    assert gap < min(1.0, elapsed / 3), f"paused {gap:.3f} s of a {elapsed:.3f} s run"
    assert len(stamps) > elapsed * 50, f"{len(stamps)} ticks in {elapsed:.3f} s"


def test_no_memory_growth_over_1000_runs():
    for _ in range(100):
        racesim.run(SMALL).targets
    gc.collect()
    before = rss_bytes()
    for _ in range(1000):
        r = racesim.run(SMALL)
        r.targets
        r.trajectories
        r.summary
    del r
    gc.collect()
    grown = rss_bytes() - before
    assert grown < 2 * 1024 * 1024, f"RSS grew by {grown / 1e6:.1f} MB over 1000 runs"


# -- zero-copy ------------------------------------------------------------------------------

def test_trajectory_columns_view_the_cpp_buffers():
    res = racesim.run(SMALL)
    a = res.arrays("a")
    b = res.arrays("a")
    assert list(a) == ["t", "C", "E", "P", "L", "R", "R_ref", "rel_err"]
    for k in a:
        assert np.shares_memory(a[k], b[k]), k  # two views of one C++ vector, no copy
        assert isinstance(a[k].base, racesim._racesim.Run)
        assert not a[k].flags.writeable and not a[k].flags.owndata
    df = res.trajectory("a")
    for k in a:
        assert np.shares_memory(df[k].to_numpy(), a[k]), k
    with pytest.raises(ValueError):
        a["C"][0] = 0
    # The views keep the result alive.
    t = a["t"].copy()
    del res, b, df
    gc.collect()
    np.testing.assert_array_equal(a["t"], t)
    # The long table is a copy.
    res = racesim.run(SMALL)
    assert not np.shares_memory(res.trajectories["C"].to_numpy(), res.arrays("a")["C"])


def test_sample_arrays_view_the_cpp_buffers():
    res = racesim.run(pathlib.Path(__file__).parent / "configs" / "analyses.yaml")
    (e,) = res.sample_arrays("uncertain")
    assert e["draws"].shape == (200, 2) and e["paths"] == ["efficiency.gamma", "power.P0"]
    assert isinstance(e["draws"].base, racesim._racesim.Run)
    for j, col in enumerate(e["columns"]):
        assert np.shares_memory(col, e["draws"])
        np.testing.assert_array_equal(col, e["draws"][:, j])
    (again,) = res.sample_arrays("uncertain")
    assert np.shares_memory(again["times"][0], e["times"][0])


def test_progress_callback_and_unknown_scenario():
    seen = []
    res = racesim.run(ROOT / "configs/paper/fig3.yaml", progress=lambda done, total: seen.append((done, total)))
    # Called from the run's threads as scenarios finish (not necessarily in order): once each.
    assert sorted(d for d, _ in seen) == list(range(1, len(res.scenarios) + 1))
    assert {t for _, t in seen} == {len(res.scenarios)}
    with pytest.raises(KeyError, match="no scenario 'nope'"):
        res.trajectory("nope")


def test_load_with_base_dir_resolves_relative_paths(tmp_path):
    text = (ROOT / "configs/examples/power-time-series.yaml").read_text()
    with pytest.raises(racesim.ConfigError):
        racesim.load(text, base_dir=tmp_path)  # its table file is relative to configs/examples
    ex = racesim.load(text, base_dir=ROOT / "configs/examples", name="pts.yaml")
    assert ex.file.endswith("pts.yaml")
    assert racesim.run(ex).targets.reached.any()
