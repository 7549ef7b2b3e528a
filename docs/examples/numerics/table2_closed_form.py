"""docs/numerics.md, "Table 2 of the paper": the times to L* = 0.68 nats/token from the closed
form of docs/model.md alone, without racesim:

    t* = log1p(gamma·ln2·(1 + tau)·(X - 1))/(gamma·ln2),  X = C*/C0 = (L*/L(C0))^(-1/kappa),

t* = (1 + tau)·(X - 1) at gamma = 0, and L(C0) = (G/100k)^(-kappa) by the paper's fleet rule.

    /usr/bin/python3 docs/examples/numerics/table2_closed_form.py
"""
import math

kappa, L_star, tau = 0.048, 0.68, 0.0
G_ref = 100_000  # GPUs
for name, G, gamma in [("unfold-in-time", 100_000, 0.0), ("baseline", 100_000, 0.5),
                       ("turtle", 10_000, 3.0), ("hare", 150_000, 2.0)]:
    L_C0 = (G / G_ref) ** -kappa
    X = (L_star / L_C0) ** (-1 / kappa)
    g = gamma * math.log(2)
    t = (1 + tau) * (X - 1) if g == 0 else math.log1p(g * (1 + tau) * (X - 1)) / g
    print(f"{name:<15} L(C0) = {L_C0:.10g}  t* = {t!r}")
