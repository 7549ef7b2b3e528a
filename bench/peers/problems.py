"""The three verified problems of issue 4, as racesim's bench/bench_common.hpp states them, and
their exact solutions in mpmath (docs/model.md closed forms, summed segment by segment at 40 digits).

E0 = P0 = 1, tau = 0 (so C0 = 1), horizon 30 yr, outputs every 0.1 yr (301 points), one target
R = 0.68 at kappa = 0.048, i.e. C/C0 = 0.68**(-1/0.048).
  continuous: E = 2**(2t),               P = 1
  discrete:   E = 2**(2*floor(t)),       P = 1          (breakpoints at 1, 2, ..., 29)
  peaked:     E = 2**(2t),               P = 1/0.22 on [k, k + 0.22), else 0
and four without an exact fitted form in racesim (issue 18), exact in closed form:
  logistic:   E = 1e4/(1 + (1e4 - 1)*2**(-2t)),  P = 1
  experience: E = (C/C0)**0.8,                   P = 1      (C/C0 = (1 + 0.2 t)**5)
  series:     E = 2**(0.5t), P linear between (0, 1), (10, 3), (20, 2), (30, 4)  (breakpoints 10, 20)
  ramp:       E = 2**(0.5t), P = 1 + 0.5t
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
    "logistic": dict(kind="logistic", gamma=2.0, E_max=1e4, discrete=False, duty=1.0),
    "experience": dict(kind="experience", b=0.8, gamma=0.0, discrete=False, duty=1.0),
    "series": dict(kind="series", gamma=0.5, rows=[(0.0, 1.0), (10.0, 3.0), (20.0, 2.0), (30.0, 4.0)],
                   discrete=False, duty=1.0),
    "ramp": dict(kind="ramp", gamma=0.5, rate=0.5, discrete=False, duty=1.0),
}


def smooth_log_rate(p, t, log_C):
    """ln(E*P) of the issue-18 problems at t (C0 = 1, so ln C = ln(C/C0))."""
    k = p["kind"]
    if k == "logistic":
        g = p["gamma"] * LN2
        return math.log(p["E_max"]) - math.log1p((p["E_max"] - 1) * math.exp(-g * t))
    if k == "experience":
        return p["b"] * log_C
    g = p["gamma"] * LN2
    if k == "ramp":
        return g * t + math.log1p(p["rate"] * t)
    rows = p["rows"]
    for (t0, p0), (t1, p1) in zip(rows[:-1], rows[1:]):
        if t <= t1 or t1 == rows[-1][0]:
            return g * t + math.log(p0 + (p1 - p0) * (t - t0) / (t1 - t0))
    raise ValueError(t)


def exact_ratio_smooth(p, t):
    """C(t)/C0 of an issue-18 problem, exact (mpmath)."""
    k = p["kind"]
    t = mpmath.mpf(t)
    if k == "logistic":
        g = p["gamma"] * mpmath.log(2)
        A = mpmath.mpf(p["E_max"]) - 1
        return 1 + p["E_max"] / g * (mpmath.log(mpmath.exp(g * t) + A) - mpmath.log(1 + A))
    if k == "experience":
        b = mpmath.mpf(p["b"])
        return (1 + (1 - b) * t) ** (1 / (1 - b))
    g = p["gamma"] * mpmath.log(2)

    def piece(e0, P0, m, s):  # e0 * integral over [0, s] of e^(g x) (P0 + m x) dx
        return e0 * (((P0 + m * s) * mpmath.exp(g * s) - P0) / g - m * mpmath.expm1(g * s) / g**2)

    if k == "ramp":
        return 1 + piece(1, 1, mpmath.mpf(p["rate"]), t)
    C = mpmath.mpf(1)
    rows = p["rows"]
    for (t0, p0), (t1, p1) in zip(rows[:-1], rows[1:]):
        m = mpmath.mpf(p1 - p0) / (t1 - t0)
        s = min(t, mpmath.mpf(t1)) - t0
        if s <= 0:
            break
        C += piece(mpmath.exp(g * t0), mpmath.mpf(p0), m, s)
    return C


def breakpoints(p):
    """Every discontinuity of E or P (or of their derivatives) in (0, HORIZON), sorted."""
    if p.get("kind") == "series":
        return [r[0] for r in p["rows"] if 0 < r[0] < HORIZON]
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
        if p.get("kind"):
            return
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
        if self.p.get("kind"):
            return exact_ratio_smooth(self.p, t)
        for a, b, rate, g, C in self.pieces:
            if t <= b:
                return C + self._inc(rate, g, mpmath.mpf(t) - mpmath.mpf(a))
        return self.C_end

    def time_to_log_ratio(self, log_x):
        X = mpmath.exp(mpmath.mpf(log_x))
        if self.p.get("kind"):  # C is increasing: solve C(t) = X on [0, HORIZON]
            if exact_ratio_smooth(self.p, HORIZON) < X:
                return None
            return float(mpmath.findroot(lambda t: exact_ratio_smooth(self.p, t) - X, (0, HORIZON),
                                         solver="illinois"))
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
