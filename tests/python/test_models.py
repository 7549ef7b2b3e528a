"""Models written in Python: integrated by the same integrator, with the same guards."""
import math

import numpy as np
import pytest
import yaml

import racesim
from conftest import SMALL

BASE = yaml.safe_load("""
racesim: 1
name: py-models
horizon: 30
solver: {rel_tol: 1.0e-10, abs_tol: 0}
defaults:
  efficiency: {type: continuous-doubling, E0: 44604413485.714294, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0, C_ref: 3122308944000.0005}
  targets: {loss: [0.8, 0.68]}
  reference: relative-loss
scenarios:
  - name: slow
  - name: fast
    efficiency: {gamma: 3.0}
""")


class Exponential(racesim.EfficiencyModel):
    """E(t) = E0 * 2^(gamma t)."""
    params = {"E0": {"unit": "PFLOP/yr/MW", "greater_than": 0, "doc": "E at t = 0"},
              "gamma": {"default": 0.5, "unit": "1/yr", "doc": "doublings per year"}}

    def __init__(self, E0, gamma):
        self.log_E0, self.rate = math.log(E0), gamma * math.log(2)

    def log_value(self, t, log_C):
        return self.log_E0 + self.rate * t


def with_python_efficiency(cfg, type_name="py-exponential"):
    cfg = yaml.safe_load(yaml.safe_dump(cfg))
    cfg["defaults"]["efficiency"]["type"] = type_name
    cfg["defaults"]["reference"] = None
    return cfg


def test_python_exponential_against_the_relative_loss_reference():
    exact = racesim.run(BASE)  # C++ model with its closed form: R_ref on the same grid
    mine = racesim.run(with_python_efficiency(BASE), models={"py-exponential": Exponential})
    for name in ("slow", "fast"):
        ref = exact.trajectory(name)
        got = mine.trajectory(name)
        np.testing.assert_array_equal(got.t, ref.t)
        rel = np.abs(got.R.to_numpy() / ref.R_ref.to_numpy() - 1)
        assert rel.max() < 1e-10, rel.max()
        assert "R_ref" not in got.columns
    want = exact.targets.set_index(["scenario", "target"])
    for row in mine.targets.itertuples():
        ref_time = want.loc[(row.scenario, row.target), "reference_time"]
        assert row.reached
        assert abs(row.time - ref_time) <= 1e-10 * ref_time, (row, ref_time)


class Halving(racesim.AlgorithmsModel):
    """A(t) = 2^(t/h): algorithmic progress written in Python."""
    params = {"h": {"greater_than": 0, "unit": "yr", "doc": "halving time of the compute needed"}}

    def __init__(self, h):
        self.rate = math.log(2) / h

    def log_value(self, t, log_C):
        return self.rate * t


def test_python_algorithms_model_against_the_closed_form():
    # A Python A(t) = 2^(t/h) in the algorithms slot: C is effective compute, checked against the
    # relative-loss closed form with gamma + 1/h (the C++ halving-time scenario's reference);
    # A and C_physical are columns, and C_physical is the run without A.
    cfg = yaml.safe_load(yaml.safe_dump(BASE))
    cfg["defaults"]["algorithms"] = {"type": "halving-time", "halving_time": 0.75}
    exact = racesim.run(cfg)
    cfg["defaults"]["algorithms"] = {"type": "py-halving", "h": 0.75}
    cfg["defaults"]["reference"] = None
    mine = racesim.run(cfg, models={"py-halving": Halving})
    plain = racesim.run(BASE)
    for name in ("slow", "fast"):
        ref, got = exact.trajectory(name), mine.trajectory(name)
        assert list(got.columns[:4]) == ["t", "C", "A", "C_physical"]
        assert np.abs(got.R.to_numpy() / ref.R_ref.to_numpy() - 1).max() < 1e-10
        np.testing.assert_allclose(got.A.to_numpy(), 2 ** (got.t.to_numpy() / 0.75), rtol=1e-13)
        np.testing.assert_allclose(got.C_physical.to_numpy(), plain.trajectory(name).C.to_numpy(), rtol=1e-12)
        assert "A" not in plain.trajectory(name).columns


class Steps(racesim.EfficiencyModel):
    """E0 * 2^(gamma*T*floor(t/T)), with its breakpoints, evaluated per segment."""
    params = {"E0": {"greater_than": 0}, "gamma": {}, "period": {"greater_than": 0}}
    uses_segment = True

    def __init__(self, E0, gamma, period):
        self.log_E0, self.g, self.T = math.log(E0), gamma, period

    def log_value(self, t, log_C, segment):
        k = math.floor(0.5 * (segment[0] + segment[1]) / self.T)
        return self.log_E0 + self.g * self.T * k * math.log(2)

    def breakpoints(self, t0, t1):
        k = math.floor(t0 / self.T) + 1
        out = []
        while k * self.T < t1:
            if k * self.T > t0:
                out.append(k * self.T)
            k += 1
        return out


def test_python_steps_with_breakpoints_match_discrete_steps():
    cfg = yaml.safe_load(yaml.safe_dump(BASE))
    cfg["defaults"]["efficiency"] = {"type": "discrete-steps", "E0": 44604413485.714294, "gamma": 2.0,
                                     "period": 1.5}
    cfg["defaults"]["reference"] = "piecewise-exact"
    cfg["scenarios"] = [{"name": "steps"}]
    exact = racesim.run(cfg)
    cfg["defaults"]["efficiency"]["type"] = "py-steps"
    cfg["defaults"]["reference"] = None
    mine = racesim.run(cfg, models={"py-steps": Steps})
    ref, got = exact.trajectory("steps"), mine.trajectory("steps")
    assert np.abs(got.R.to_numpy() / ref.R_ref.to_numpy() - 1).max() < 1e-10
    s = mine.summary["scenarios"][0]
    assert s["solver"]["segments"] == exact.summary["scenarios"][0]["solver"]["segments"] > 1


class Power(racesim.PowerSchedule):
    params = {"P0": 1.0}

    def __init__(self, P0):
        self.log_P0 = math.log(P0)

    def log_value(self, t, log_C):
        return self.log_P0


class PowerLaw(racesim.LossLaw):
    params = {"L0": 1.0, "kappa": 0.048, "C_ref": 1.0}

    def __init__(self, L0, kappa, C_ref):
        self.L0, self.kappa, self.log_ref = L0, kappa, math.log(C_ref)

    def loss(self, log_C):
        return self.L0 * math.exp(-self.kappa * (log_C - self.log_ref))

    def log_compute_for_loss(self, L):
        return self.log_ref - math.log(L / self.L0) / self.kappa


def test_python_power_and_loss_law():
    cfg = yaml.safe_load(SMALL)
    exact = racesim.run(cfg)
    cfg["defaults"]["power"]["type"] = "py-power"
    cfg["defaults"]["loss"] = {"type": "py-loss", "kappa": 0.048, "L0": 1.0, "C_ref": 1.0}
    cfg["defaults"]["reference"] = None
    mine = racesim.run(cfg, models={"py-power": Power, "py-loss": PowerLaw})
    assert np.abs(mine.trajectory("a").R.to_numpy() / exact.trajectory("a").R_ref.to_numpy() - 1).max() < 1e-10
    assert mine.targets.time[0] == pytest.approx(exact.targets.reference_time[0], rel=1e-10)


class Faulty(Exponential):
    def log_value(self, t, log_C):
        if t > 2.5:
            raise ZeroDivisionError("boom")
        return super().log_value(t, log_C)


def test_an_exception_in_a_python_model_is_a_run_error_naming_model_call_and_t():
    with pytest.raises(racesim.RunError) as e:
        racesim.run(with_python_efficiency(BASE, "py-faulty"), models={"py-faulty": Faulty}, jobs=1)
    err = e.value
    assert isinstance(err, racesim.PluginError)
    assert err.plugin == "py-faulty" and err.kind == "efficiency" and err.scenario == "slow"
    assert err.t is not None and err.t > 2.5
    msg = str(err)
    assert "py-faulty" in msg and "log_value()" in msg and "ZeroDivisionError: boom" in msg
    assert "scenario 'slow'" in msg and "t = " in msg


class ReturnsNaN(Exponential):
    def log_value(self, t, log_C):
        return float("nan")


class ReturnsText(Exponential):
    def log_value(self, t, log_C):
        return "fast"


class Jumps(Exponential):
    """Jumps at t = 3 without declaring a breakpoint: the jump audit must catch it."""
    def log_value(self, t, log_C):
        return self.log_E0 + (5.0 if t >= 3.0 else 0.0)


class BadBreakpoints(Exponential):
    def breakpoints(self, t0, t1):
        return [t1 + 1]


class FailsToConstruct(Exponential):
    def __init__(self, E0, gamma):
        raise RuntimeError("no")


@pytest.mark.parametrize("cls,words", [
    (ReturnsNaN, "NaN"),
    (ReturnsText, "log_value()"),
    (Jumps, "jump"),
    (BadBreakpoints, "outside the open interval"),
    (FailsToConstruct, "constructed"),
])
def test_the_guards_apply_to_python_models(cls, words):
    with pytest.raises(racesim.RunError) as e:
        racesim.run(with_python_efficiency(BASE, "py-bad"), models={"py-bad": cls}, jobs=1)
    assert words in str(e.value) and "py-bad" in str(e.value)


def test_the_schema_of_a_python_model_is_checked():
    cfg = with_python_efficiency(BASE)
    cfg["defaults"]["efficiency"]["E0"] = -1
    cfg["defaults"]["efficiency"]["nope"] = 2
    with pytest.raises(racesim.ConfigError) as e:
        racesim.run(cfg, models={"py-exponential": Exponential})
    paths = {d.key_path for d in e.value.diagnostics}
    assert {"defaults.efficiency.E0", "defaults.efficiency.nope"} <= paths
    del cfg["defaults"]["efficiency"]["E0"], cfg["defaults"]["efficiency"]["nope"]
    with pytest.raises(racesim.ConfigError, match="E0"):
        racesim.run(cfg, models={"py-exponential": Exponential})


def test_a_malformed_model_class_is_refused():
    class NoMethods:
        kind = "efficiency"
    with pytest.raises(ValueError, match="log_value"):
        racesim.run(with_python_efficiency(BASE), models={"py-exponential": NoMethods})
    class BadKind(Exponential):
        kind = "reference"
    with pytest.raises(ValueError, match="kind"):
        racesim.run(with_python_efficiency(BASE), models={"py-exponential": BadKind})


def test_python_models_run_on_one_thread_whatever_jobs_says():
    cfg = with_python_efficiency(BASE)
    one = racesim.run(cfg, models={"py-exponential": Exponential}, jobs=1)
    two = racesim.run(cfg, models={"py-exponential": Exponential}, jobs=2)
    np.testing.assert_array_equal(one.trajectories.C, two.trajectories.C)
