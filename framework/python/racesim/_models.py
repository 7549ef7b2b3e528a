"""Base classes for models written in Python (optional: any class with these methods works).

A model type is a class; racesim instantiates it once per scenario with the scenario's
resolved parameters as keyword arguments (``Class(**params)``), after checking them against
the class's ``params`` schema, and calls its methods from the integrator:

    class Exponential(racesim.EfficiencyModel):
        params = {"E0": {"unit": "PFLOP/yr/MW", "greater_than": 0},
                  "gamma": {"default": 0.5, "min": 0, "doc": "doublings per year"}}

        def __init__(self, E0, gamma):
            self.log_E0, self.rate = math.log(E0), gamma * math.log(2)

        def log_value(self, t, log_C):
            return self.log_E0 + self.rate * t

    racesim.run(cfg, models={"py-exponential": Exponential})

``params``: ``{name: default}`` (a real parameter with that default; ``None``: required) or
``{name: {"type": "real"|"integer"|"boolean"|"string"|"path", "default": ..., "unit": ...,
"doc": ..., "required": bool, "min": x, "max": x, "greater_than": x, "less_than": x,
"choices": [...]}}``; a parameter without a default is required.
"""

__all__ = ["EfficiencyModel", "PowerSchedule", "AlgorithmsModel", "LossLaw"]


class _RateModel:
    params: dict = {}
    #: ``True`` when log_value depends on log_C (the host then passes the current state).
    depends_on_state = False
    #: ``True``: log_value is called as ``log_value(t, log_C, (begin, end))`` with the segment
    #: (between declared breakpoints) it is evaluated in; a model with jumps must evaluate the
    #: regime of the segment, not of t.
    uses_segment = False

    def log_value(self, t: float, log_C: float) -> float:
        """ln of the rate at time t (yr) given ln C (C in PFLOP); -inf where the rate is 0."""
        raise NotImplementedError

    def breakpoints(self, t0: float, t1: float):
        """Every t in the open interval (t0, t1) where the rate jumps, increasing."""
        return ()


class EfficiencyModel(_RateModel):
    """E(t) in PFLOP/yr/MW."""
    kind = "efficiency"


class PowerSchedule(_RateModel):
    """P(t) in MW."""
    kind = "power"


class AlgorithmsModel(_RateModel):
    """A(t), dimensionless: the multiplier of effective compute (dC/dt = A*E*P), for a
    scenario's optional ``algorithms:`` block."""
    kind = "algorithms"


class LossLaw:
    """L(C) in nats/token."""
    kind = "loss"
    params: dict = {}

    def loss(self, log_C: float) -> float:
        raise NotImplementedError

    def log_compute_for_loss(self, L: float):
        """ln C at which L(C) = L, or None when the law never reaches L."""
        return None
