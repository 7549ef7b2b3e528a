"""Shared fixtures of the Python package's tests (run by CTest: python.pytest.<file>, one test per file)."""
import os
import pathlib
import subprocess

import pytest

import racesim  # noqa: F401  (fails early when PYTHONPATH does not hold the built package)

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def racesim_bin():
    path = pathlib.Path(os.environ.get("RACESIM_BIN", ROOT / "build" / "bin" / "racesim")).resolve()
    assert path.is_file(), f"the racesim executable is not built: {path}"
    return path


def cli_env():
    """The environment for the racesim executable: without the ASan runtime preloaded into
    this interpreter under the asan preset (the executable links its own)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def cli_run(racesim_bin, config, out):
    """Runs `racesim -q run CONFIG --out OUT`; returns the completed process."""
    return subprocess.run([str(racesim_bin), "-q", "run", str(config), "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=cli_env())


SMALL = """\
racesim: 1
name: small
horizon: 10
output: {every: 1}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.9]}
  reference: relative-loss
scenarios:
  - name: a
"""
