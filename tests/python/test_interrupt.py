"""Ctrl-C during a run: KeyboardInterrupt promptly, nothing left behind, later runs unaffected."""
import os
import signal
import threading
import time

import pytest

import racesim
from conftest import SMALL

# Two million scenarios integrated one by one: minutes of work, summary-only.
LONG = SMALL.replace("  - name: a\n", "  - name: a\n    sweep: {efficiency.gamma: {from: 0.1, to: 3, count: 2000000}}\n")


def interrupt_after(seconds):
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.parametrize("with_out", [False, True])
def test_sigint_stops_a_run_promptly(tmp_path, with_out):
    out = tmp_path / "res"
    start = time.monotonic()
    timer = interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        racesim.run(LONG, out=out if with_out else None, jobs=2)
    elapsed = time.monotonic() - start
    timer.join()
    assert elapsed < 2.0, f"took {elapsed:.2f} s to stop"
    # Nothing written: no results directory, no temporary or lock siblings.
    assert list(tmp_path.iterdir()) == []
    # The interrupt is forgotten: the next run completes.
    assert racesim.run(SMALL).targets.reached.tolist() == [True]


def test_sigint_while_a_python_model_runs(tmp_path):
    import math

    class Slow:
        params = {"E0": 1.0, "gamma": 1.0}

        def __init__(self, E0, gamma):
            self.a, self.b = math.log(E0), gamma * math.log(2)

        def log_value(self, t, log_C):
            return self.a + self.b * t

    cfg = LONG.replace("type: continuous-doubling", "type: py-slow").replace("reference: relative-loss", "reference: ~")
    start = time.monotonic()
    timer = interrupt_after(0.5)
    with pytest.raises(KeyboardInterrupt):
        racesim.run(cfg, models={"py-slow": Slow}, out=tmp_path / "res")
    timer.join()
    assert time.monotonic() - start < 2.0
    assert list(tmp_path.iterdir()) == []
