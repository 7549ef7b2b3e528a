"""The three verified problems of issue 4, as racesim's bench/bench_common.hpp states them, and
their exact solutions in mpmath (docs/model.md closed forms, summed segment by segment at 40 digits).

E0 = P0 = 1, tau = 0 (so C0 = 1), horizon 30 yr, outputs every 0.1 yr (301 points), one target
R = 0.68 at kappa = 0.048, i.e. C/C0 = 0.68**(-1/0.048).
  continuous: E = 2**(2t),               P = 1
  discrete:   E = 2**(2*floor(t)),       P = 1          (breakpoints at 1, 2, ..., 29)
  peaked:     E = 2**(2t),               P = 1/0.22 on [k, k + 0.22), else 0
"""
import math

import mpmath
import numpy as np

HORIZON = 30.0
GRID = np.array([min(HORIZON, k * 0.1) for k in range(301)])
KAPPA = 0.048
Y = 0.68
LOG_X = -math.log(Y) / KAPPA  # ln(C*/C0) of the target
LN2 = math.log(2.0)

PROBLEMS = {
    "continuous": dict(gamma=2.0, discrete=False, duty=1.0),
    "discrete": dict(gamma=2.0, discrete=True, duty=1.0),
    "peaked": dict(gamma=2.0, discrete=False, duty=0.22),
}


def breakpoints(p):
    """Every discontinuity of E or P in (0, HORIZON), sorted."""
    cuts = set()
    if p["discrete"]:
        cuts.update(float(k) for k in range(1, int(HORIZON)))
    if p["duty"] < 1:
        for k in range(int(HORIZON)):
            cuts.update({float(k), k + p["duty"]})
    return sorted(c for c in cuts if 0 < c < HORIZON)


def log_E(p, t, regime_t=None):
    """ln E at t; regime_t: the time whose regime (generation) to use (a segment's midpoint)."""
    if p["discrete"]:
        return p["gamma"] * LN2 * math.floor(t if regime_t is None else regime_t)
    return p["gamma"] * LN2 * t


def log_P(p, t, regime_t=None):
    d = p["duty"]
    if d >= 1:
        return 0.0
    s = t if regime_t is None else regime_t
    return math.log(1 / d) if (s - math.floor(s)) < d else -math.inf


class Exact:
    """C(t)/C0 and the time to a compute ratio, exact (mpmath, 40 digits)."""

    def __init__(self, p):
        mpmath.mp.dps = 40
        self.p = p
        t = [0.0] + breakpoints(p) + [HORIZON]
        self.pieces = []  # (t0, t1, rate at t0, g, C at t0)
        C = mpmath.mpf(1)
        g = mpmath.mpf(0) if p["discrete"] else p["gamma"] * mpmath.log(2)
        for a, b in zip(t[:-1], t[1:]):
            mid = 0.5 * (a + b)
            if p["discrete"]:
                rate = mpmath.power(2, p["gamma"] * math.floor(mid))
            else:
                rate = mpmath.power(2, p["gamma"] * mpmath.mpf(a))
            if p["duty"] < 1:
                rate = rate / mpmath.mpf(p["duty"]) if (mid - math.floor(mid)) < p["duty"] else mpmath.mpf(0)
            self.pieces.append((a, b, rate, g, C))
            C = C + self._inc(rate, g, mpmath.mpf(b) - mpmath.mpf(a))
        self.C_end = C

    @staticmethod
    def _inc(rate, g, s):
        if rate == 0:
            return mpmath.mpf(0)
        return rate * s if g == 0 else rate * mpmath.expm1(g * s) / g

    def ratio(self, t):
        """C(t)/C0 as an mpf."""
        for a, b, rate, g, C in self.pieces:
            if t <= b:
                return C + self._inc(rate, g, mpmath.mpf(t) - mpmath.mpf(a))
        return self.C_end

    def time_to_log_ratio(self, log_x):
        X = mpmath.exp(mpmath.mpf(log_x))
        for a, b, rate, g, C in self.pieces:
            C_b = C + self._inc(rate, g, mpmath.mpf(b) - mpmath.mpf(a))
            if C_b >= X and rate > 0:
                need = X - C
                s = need / rate if g == 0 else mpmath.log1p(g * need / rate) / g
                return float(a + s)
        return None


_EXACT = {}


def exact(name):
    """(C/C0 on GRID as float64, time to target) for a problem; cached."""
    if name not in _EXACT:
        ex = Exact(PROBLEMS[name])
        _EXACT[name] = (np.array([float(ex.ratio(float(t))) for t in GRID]), ex.time_to_log_ratio(LOG_X))
    return _EXACT[name]


if __name__ == "__main__":
    for n in PROBLEMS:
        C, ts = exact(n)
        print(f"{n:11s} C(30)/C0 = {C[-1]:.17g}  t* = {ts!r}")
