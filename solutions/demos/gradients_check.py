"""Eqs. (6.39)-(6.41) as literal double sums over δ_{t,k} equal the O(T) BPTT pass and PyTorch."""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.literal import double_sum_grads, error_terms
from solutions.params import random_params
from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import claim, fmt, round_sig, table
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import rnn_from_params, rnn_params

SEED = 0
FIG = "gradients-delta.svg"
TOL = 1e-12     # float64 agreement: max |literal - other|, checked with a factor 100 to spare
TOL_FD = 1e-6   # relative error against central differences (eps = 1e-6)

# gradient key -> (the book's equation, the double sum as printed)
FORMULAS = {
    "W_hh": ("(6.39)", "Σ_t Σ_{k≤t} δ_{t,k} h_{k-1}ᵀ"),
    "W_ih": ("(6.40)", "Σ_t Σ_{k≤t} δ_{t,k} x_kᵀ"),
    "b_ih": ("(6.41)", "Σ_t Σ_{k≤t} δ_{t,k}"),
    "b_hh": ("(6.41)", "Σ_t Σ_{k≤t} δ_{t,k}"),
    "x": ("", "Σ_{t≥k} Wᵀ δ_{t,k}"),
    "h0": ("", "Σ_t Uᵀ δ_{t,1}"),
}


def model(T: int, B: int, I: int, H: int, seed: int, u_scale: float = 1.0):
    """``(x, h0, params, dh)`` in float64: PyTorch's default initialisation U(−1/√H, 1/√H),
    the recurrent weight multiplied by ``u_scale``, and a random ``dh[t] = ∂L_t/∂h_t``."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H, init="uniform")
    params["W_hh"] *= u_scale
    x = rng.normal(size=(T, B, I))
    h0 = rng.normal(0, 0.5, (B, H))
    dh = rng.normal(size=(T, B, H))
    return x, h0, params, dh


def torch_grads(x, h0, params, dh) -> dict[str, np.ndarray]:
    """Autograd of ``L = Σ_t <dh_t, h_t>``, whose ``∂L_t/∂h_t`` is ``dh_t``."""
    rnn = rnn_from_params(params)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    out, _ = rnn(xt, h0t.unsqueeze(0))
    (out * torch.tensor(dh)).sum().backward()
    return {**rnn_params(rnn, grad=True), "x": xt.grad.numpy(), "h0": h0t.grad.numpy()}


def decay(delta: np.ndarray) -> np.ndarray:
    """Median over t of ``‖δ_{t,t-s}‖ / ‖δ_{t,t}‖`` for each distance ``s = 0 … T-1``."""
    T = delta.shape[0]
    norms = np.linalg.norm(delta, axis=(2, 3))
    return np.array([np.median([norms[t, t - s] / norms[t, t] for t in range(s, T)]) for s in range(T)])


def main():
    T, B, I, H = 5, 2, 3, 4
    x, h0, params, dh = model(T, B, I, H, SEED)
    h, cache = rnn_forward(x, h0, params)
    literal = double_sum_grads(dh, cache)
    fast = rnn_backward(dh, cache)
    auto = torch_grads(x, h0, params, dh)
    print(f"T = {T} steps, B = {B}, I = {I}, H = {H}, float64, seed {SEED}. The loss is\n"
          f"L = Σ_t <g_t, h_t> with random g_t, so ∂L_t/∂h_t = g_t (rnn_backward's dh).\n"
          f"Columns: max |literal - rnn_backward| and max |literal - autograd|, each\n"
          f"checked against the stated bound with a factor 100 to spare.\n")
    rows = [(f"{key} {eq}".strip(), formula, claim(max_abs(literal[key], fast[key]), TOL, what=f"{key} vs rnn_backward"),
             claim(max_abs(literal[key], auto[key]), TOL, what=f"{key} vs torch"))
            for key, (eq, formula) in FORMULAS.items()]
    print(table(["gradient", "literal double sum", "vs rnn_backward", "vs torch"], rows))
    numeric = numeric_grads(lambda: float((rnn_forward(x, h0, params)[0] * dh).sum()),
                            {**params, "x": x, "h0": h0})
    print("\nRelative error of the literal sums against central differences of L (eps = 1e-6):")
    print(table(list(FORMULAS), [[claim(rel_error(literal[k], numeric[k]), TOL_FD, what=f"{k} vs finite differences")
                                  for k in FORMULAS]]))
    print(f"\nThe literal sums build T(T+1)/2 = {T * (T + 1) // 2} error terms δ_{{t,k}}; rnn_backward\n"
          f"builds T = {T}, one δ_k = Σ_{{t≥k}} δ_{{t,k}} per step.")

    # ‖δ_{t,k}‖ on a longer sequence, for the figure and the decay table.
    T, B, I, H = 20, 1, 4, 8
    scales = (1.0, 2.0, 4.0)
    curves = {}
    for s in scales:
        x, h0, params, dh = model(T, B, I, H, SEED + 1, u_scale=s)
        h, cache = rnn_forward(x, h0, params)
        delta = error_terms(dh, cache)
        curves[s] = decay(delta)
        if s == 1.0:
            heat = np.linalg.norm(delta, axis=(2, 3))
    dist = (0, 1, 2, 4, 8, 16)
    print("\nHow δ_{t,k} shrinks with the distance t - k: the median over t of")
    print(f"||δ_{{t,k}}|| / ||δ_{{t,t}}|| (T = {T}, H = {H}, PyTorch's init, U scaled)")
    print(table(["U scale"] + [f"t-k={d}" for d in dist],
                [[f"x{s:g}"] + [fmt(curves[s][d], ".1e") for d in dist] for s in scales]))

    shown = np.ma.masked_where(np.triu(np.ones((T, T), bool), 1), np.log10(np.maximum(round_sig(heat), 1e-300)))
    rounded = {sc: round_sig(curves[sc]) for sc in scales}  # 4 digits: the same on any CPU
    return {FIG: partial(_draw, shown, rounded)}


def _draw(shown: np.ma.MaskedArray, curves: dict[float, np.ndarray], s: Style):
    """Top: log10 ||δ_{t,k}|| over (k, t); bottom: the median decay along a row, per U scale."""
    T = shown.shape[0]
    fig, (ax0, ax1) = figure(2, 1, height=7.4)
    im = ax0.imshow(shown, origin="lower", cmap=s.cmap, extent=(0.5, T + 0.5, 0.5, T + 0.5))
    ax0.grid(False)
    ticks = [1, 5, 10, 15, 20]
    ax0.set_xticks(ticks)
    ax0.set_yticks(ticks)
    ax0.set_xlabel(s.t("k (the step whose z_k receives the error)", "k（接收误差的 z_k 所在步）"))
    ax0.set_ylabel(s.t("t (the step of the loss)", "t（损失所在步）"))
    ax0.set_title(r"$\log_{10}\|\delta_{t,k}\|,\ k \leq t$", fontsize=MATH_PT)
    fig.colorbar(im, ax=ax0, shrink=0.9)
    for (sc, curve), colour in zip(curves.items(), ("blue", "orange", "green", "red")):
        ax1.semilogy(range(T), curve, marker="o", ms=3, color=s.c(colour), label=f"U ×{sc:g}")
    ax1.set_xticks(range(0, T, 4))
    ax1.set_xlabel(s.t("distance t − k", "距离 t − k"))
    ax1.set_ylabel(r"$\|\delta_{t,k}\| \, / \, \|\delta_{t,t}\|$", fontsize=MATH_PT)
    ax1.set_title(s.t("median over t", "对 t 取中位数"), fontsize=11)
    ax1.legend()
    return fig

