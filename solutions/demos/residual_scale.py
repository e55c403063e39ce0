"""Scaling the residual branch of (6.50) by α = 1/√T or 1/T keeps ‖∂h_T/∂h_0‖ from growing exponentially."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.experiments.residual_cases import GROWTH_H, growth_problem
from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import fmt, table
from solutions.residual import state_jacobian_norms

H = GROWTH_H
T_GRID = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500)
RULES = {                                 # α as a function of the sequence length T
    "α = 1": lambda T: 1.0,
    "α = 0.1": lambda T: 0.1,
    "α = 1/√T": lambda T: 1.0 / np.sqrt(T),
    "α = 1/T": lambda T: 1.0 / T,
}
SHOWN = (10, 100, 500)


def main() -> dict:
    Q, W, _ = growth_problem(1)
    U = Q                                  # s = 1: the eigenvalue +1 of Q gives |1 + αλ| = 1 + α
    params = {"W_ih": W, "W_hh": U, "b_ih": np.zeros(H), "b_hh": np.zeros(H)}
    h0 = np.zeros((1, H))
    print("Residual update, U = Q orthogonal (s = 1, the Q of residual-growth), small\n"
          "activations (x_t = 0, h_0 = 0, so J_t = I + αU exactly). Predicted:\n"
          "||dh_T/dh_0|| = max_i |1 + α λ_i|^T = (1 + α)^T <= exp(α ||U|| T),\n"
          "i.e. at most exp(T), exp(0.1 T), exp(√T) and exp(1) = e for the four rules.\n")
    Ts = np.array(T_GRID)
    curves = {}
    rows = []
    for i, (name, rule) in enumerate(RULES.items()):
        measured = np.empty(len(Ts))
        for j, T in enumerate(Ts):
            a = rule(int(T))
            measured[j] = state_jacobian_norms(np.zeros((T, 1, W.shape[1])), h0, params, alpha=a)[-1, 0]
        predicted = np.array([(1.0 + rule(int(T))) ** T for T in Ts])
        assert np.allclose(measured, predicted, rtol=1e-9)   # the linear theory is exact here
        rows.append([name] + [fmt(measured[list(Ts).index(T)], ".4g", rel=1e-6) for T in SHOWN])
        curves[name] = (predicted, [float(f"{v:.3g}") for v in measured])  # 3 digits: same on every CPU
    print("||dh_T/dh_0|| (measured; equal to the prediction to 1e-9):")
    print(table(["scale"] + [f"T = {T}" for T in SHOWN], rows))
    print(f"\n(1 + 1/T)^T -> e = {fmt(np.e, '.4f')}: with α = 1/T it stays bounded for every length.")
    return {"residual-scale.svg": partial(_draw, Ts, curves)}


def _draw(Ts: np.ndarray, curves: dict, s: Style):
    fig, ax = figure(height=4.0)
    for (name, (predicted, measured)), colour in zip(curves.items(), ("blue", "orange", "green", "red")):
        ax.plot(Ts, predicted, "-", color=s.c(colour), lw=1.3, label=name)
        ax.plot(Ts, measured, "o", color=s.c(colour), ms=4)
    ax.axhline(np.e, color=s.c("grey"), lw=1, ls=":", label="e")
    ax.set_ylim(0.5, 1e25)                 # α = 1 leaves the plot at T ≈ 80 (2^T; see residual-growth)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(s.t("T (steps)", "T（步数）"))
    ax.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$", fontsize=MATH_PT)
    ax.legend(loc="upper left", title=s.t("lines (1 + α)^T, dots measured", "线：(1 + α)^T，点：实测"))
    return fig
