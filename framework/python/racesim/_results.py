"""Results of a run as pandas DataFrames (long format) over the run's C++ buffers."""

import json
from typing import Dict, List, Optional

import numpy as np
import pandas as pd

__all__ = ["Results"]

_TARGET_DTYPES = {"reached": bool, "unreachable": bool}
_TARGETS_DTYPES = dict(_TARGET_DTYPES, at_start=bool)


def _frame(columns: Optional[dict]) -> Optional[pd.DataFrame]:
    if columns is None:
        return None
    return pd.DataFrame(columns)


class Results:
    """Everything a run produced, in memory. Tables are built on first use and cached.

    Numeric trajectory columns of :meth:`trajectory` and the arrays of :meth:`arrays` and
    :meth:`sample_arrays` are read-only numpy views of the C++ result (no copy); the view's
    ``base`` chain keeps the result alive. Everything else is copied (see docs/python.md).
    """

    def __init__(self, native):
        self._native = native
        self._cache: Dict[str, object] = {}
        self._names: List[str] = list(native.scenario_names())
        self._index = {n: i for i, n in enumerate(self._names)}

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # -- scenarios and trajectories -----------------------------------------------------

    @property
    def scenarios(self) -> List[str]:
        """The names of the run's scenarios (sweeps expanded), in the run's order. Rows of a
        vectorised closed-form sweep are in :attr:`sweep` only."""
        return list(self._names)

    def scenario(self, name: str) -> dict:
        """A scenario's facts: name, origin, index, C0, L_C0, horizon, max_rel_err,
        max_rel_err_time, wall_seconds, auxiliary (name, unit, doc) triples."""
        return self._native.scenario_info(self._position(name))

    def _position(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"no scenario {name!r} in this run (scenarios: {', '.join(self._names)})") from None

    def arrays(self, name: str) -> Dict[str, np.ndarray]:
        """One scenario's trajectory columns as read-only numpy views of the C++ vectors:
        t, C, E, P, L, R, then R_ref and rel_err with a reference, then the loss law's
        auxiliary columns; with a start_year, year (start_year + t, a computed array) after t;
        with algorithms, A and C_physical after C (C is then effective compute).
        Empty arrays when trajectories were not kept."""
        return self._native.trajectory(self._position(name))

    def trajectory(self, name: str) -> pd.DataFrame:
        """One scenario's rows: columns t, C, E, P, L, R (+ R_ref, rel_err, auxiliary). The
        columns are the numpy views of :meth:`arrays` (no copy)."""
        return pd.DataFrame(self.arrays(name), copy=False)

    @property
    def trajectories(self) -> pd.DataFrame:
        """Every scenario's trajectory in one long DataFrame: scenario (categorical), t, C, E, P,
        L, R, and R_ref, rel_err and auxiliary columns where any scenario has them (NaN for the
        others). Copied (concatenated)."""
        def make():
            parts = []
            for i, n in enumerate(self._names):
                a = self._native.trajectory(i)
                if len(a["t"]) == 0:
                    continue
                df = pd.DataFrame(a, copy=False)
                df.insert(0, "scenario", n)
                parts.append(df)
            cols = ["scenario", "t", "C", "E", "P", "L", "R"]
            if not parts:
                return pd.DataFrame({c: pd.Series(dtype=float) for c in cols}).astype({"scenario": object})
            df = pd.concat(parts, ignore_index=True, sort=False)
            df["scenario"] = pd.Categorical(df["scenario"], categories=[n for n in self._names])
            return df
        return self._cached("trajectories", make)

    # -- tables -------------------------------------------------------------------------

    @property
    def targets(self) -> pd.DataFrame:
        """One row per (scenario, target): scenario, target (label, e.g. "loss=0.68"), kind
        ("loss" or "relative"), value (as configured), loss (nats/token), relative (L/L(C0)),
        reached (bool), unreachable (bool), at_start (bool: met at t = 0, the target is at or
        above the starting loss), time, reference_time, time_rel_err, condition (the relative
        change of the time per relative change of C) and time_error_estimate (condition times
        the solver's tolerance) (float, NaN when none; docs/numerics.md, "Conditioning of a
        time to target")."""
        return self._cached("targets", lambda: pd.DataFrame(self._native.targets()).astype(_TARGETS_DTYPES))

    @property
    def sweep(self) -> Optional[pd.DataFrame]:
        """Every swept scenario, one row per (scenario, target): scenario, origin, one typed
        column per swept path (named by the path, e.g. "efficiency.gamma"; NaN/None where a
        row's sweep does not sweep it), target, kind, value, reached, unreachable, time,
        reference_time. None when the experiment sweeps nothing."""
        def make():
            cols = self._native.sweep()
            if cols is None:
                return None
            cols = {(k[len("param:"):] if k.startswith("param:") else k): v for k, v in cols.items()}
            df = pd.DataFrame(cols)
            return df.astype(_TARGET_DTYPES) if len(df) else df
        return self._cached("sweep", make)

    @property
    def solve(self) -> Optional[pd.DataFrame]:
        """One row per goal seek (``solve:``): scenario, parameter, lo, hi, at, target, found,
        value, g_lo, g_hi, bracket_lo, bracket_hi, simulations, time_check, message. None when
        there is none."""
        return self._cached("solve", lambda: _frame(self._native.solve()))

    @property
    def sensitivity(self) -> Optional[pd.DataFrame]:
        """One row per (scenario, parameter, target) of ``sensitivity:``: scenario, parameter,
        target, value, step, low, high, time, time_low, time_high, delta_low, delta_high,
        derivative, elasticity, note (the columns of sensitivity.csv). None when there is none."""
        return self._cached("sensitivity", lambda: _frame(self._native.sensitivity()))

    def table(self, name: str) -> Optional[pd.DataFrame]:
        """The table of an analysis module by its name (``"sensitivity"`` for sensitivity.csv),
        with the columns of its CSV file: numbers as float (NaN when empty), integers as int,
        text as str. None when the run has no row of it."""
        return self._cached("table:" + name, lambda: _frame(self._native.analysis_table(name)))

    def sample_arrays(self, scenario: Optional[str] = None) -> List[dict]:
        """The raw Monte Carlo samples, per sampled scenario (or only ``scenario``): dicts with
        scenario, n, paths, targets (labels), draws (n x d read-only view of the C++ buffer),
        columns (a strided view per path) and times (a view per target; +inf: not reached by
        the horizon)."""
        out = self._cached("sample_arrays", self._native.samples)
        return [e for e in out if scenario is None or e["scenario"] == scenario]

    @property
    def samples(self) -> Optional[pd.DataFrame]:
        """One row per (scenario, sample, target): scenario, sample, one float column per
        sampled path (its drawn value), target, time (NaN when not reached by the horizon),
        reached (bool). None without ``sample:``."""
        def make():
            entries = self.sample_arrays()
            if not entries:
                return None
            frames = []
            for e in entries:
                n, k = e["n"], len(e["targets"])
                base = {"scenario": np.repeat(np.array([e["scenario"]], dtype=object), n * k),
                        "sample": np.repeat(np.arange(n, dtype=np.int64), k)}
                for p, col in zip(e["paths"], e["columns"]):
                    base[p] = np.repeat(col, k)
                base["target"] = np.tile(np.array(e["targets"], dtype=object), n)
                times = np.stack(e["times"], axis=1).reshape(-1) if k else np.empty(0)
                base["time"] = np.where(np.isfinite(times), times, np.nan)
                base["reached"] = np.isfinite(times)
                frames.append(pd.DataFrame(base))
            return pd.concat(frames, ignore_index=True, sort=False)
        return self._cached("samples", make)

    @property
    def monte_carlo(self) -> Optional[pd.DataFrame]:
        """The Monte Carlo statistics, one row per (scenario, target, quantile p): scenario,
        target, n, reached, p, time (inf when beyond the horizon), mean_if_reached. None
        without ``sample:``. :attr:`reached_by` holds P(reached by date)."""
        def make():
            t = self._native.monte_carlo()
            return None if t is None else (pd.DataFrame(t[0]), pd.DataFrame(t[1]))
        v = self._cached("monte_carlo", make)
        return None if v is None else v[0]

    @property
    def reached_by(self) -> Optional[pd.DataFrame]:
        """P(target reached by date), one row per (scenario, target, date): scenario, target,
        date, probability. None without ``sample:``."""
        self.monte_carlo
        v = self._cache["monte_carlo"]
        return None if v is None else v[1]

    @property
    def comparisons(self) -> List[pd.DataFrame]:
        """One DataFrame per ``compare:`` (attrs a, b): t, C_a, C_b, C_ratio, R_a, R_b, R_gap."""
        def make():
            out = []
            for c in self._native.comparisons():
                df = pd.DataFrame({k: c[k] for k in ("t", "C_a", "C_b", "R_a", "R_b")})
                df.insert(3, "C_ratio", df["C_a"] / df["C_b"])
                df["R_gap"] = df["R_a"] - df["R_b"]
                df.attrs.update(a=c["a"], b=c["b"])
                out.append(df)
            return out
        return self._cached("comparisons", make)

    @property
    def summary(self) -> dict:
        """The content of summary.json, rendered by the same code as the CLI's writer."""
        return self._cached("summary", lambda: json.loads(self._native.summary_json()))

    @property
    def wall_seconds(self) -> float:
        return self._native.wall_seconds

    def __repr__(self) -> str:
        return f"<racesim.Results: {len(self._names)} scenario(s)>"
