"""The residual update of 6-3 (residual.py): BPTT against PyTorch autograd and finite differences."""

from __future__ import annotations

import numpy as np
import torch

from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.params import random_params
from solutions.publish.report import claim, table
from solutions.residual import residual_backward, residual_forward
from solutions.torch_ops import residual_autograd

T, B, I, H = 6, 3, 4, 5
SEED = 0
ALPHAS = (1.0, 0.5, 0.0)
TOL_TORCH, TOL_FD = 1e-11, 1e-6   # stated tolerances: float64 agreement, central differences
KEYS = ("W_ih", "W_hh", "b_ih", "b_hh", "x", "h0")
BOOK = {"W_ih": "∂L/∂W", "W_hh": "∂L/∂U", "b_ih": "∂L/∂b", "b_hh": "∂L/∂b", "x": "∂L/∂x_t", "h0": "∂L/∂h_0"}


def model(seed: int = SEED) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """``(x, h0, params, y)``: a small float64 problem with the loss ``L = Σ_t y_t · h_t``."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H)                # weights N(0, 0.5²), biases N(0, 0.1²)
    return rng.normal(size=(T, B, I)), rng.normal(0, 0.5, (B, H)), params, rng.normal(size=(T, B, H))


def torch_grads(x, h0, params, y, alpha: float) -> dict[str, np.ndarray]:
    """Autograd's gradients of ``L = Σ y ⊙ h`` for the same update."""
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in {**params, "x": x, "h0": h0}.items()}
    h = residual_autograd(leaves["x"], leaves["h0"], leaves, alpha)
    (h * torch.tensor(y)).sum().backward()
    return {k: t.grad.numpy() for k, t in leaves.items()}


def main() -> None:
    x, h0, params, y = model()
    print(f"h_t = h_(t-1) + α tanh(U h_(t-1) + W x_t + b), T = {T}, B = {B}, I = {I}, H = {H};\n"
          f"L = sum_t y_t . h_t with random y_t (so dL/dh_t = y_t); float64, seed {SEED}.\n")
    cols = {}
    for alpha in ALPHAS:
        h, cache = residual_forward(x, h0, params, alpha)
        grads = residual_backward(y, cache)                     # ∂L/∂h_t = y_t
        ref = torch_grads(x, h0, params, y, alpha)
        numeric = numeric_grads(lambda a=alpha: float((residual_forward(x, h0, params, a)[0] * y).sum()),
                                {**params, "x": x, "h0": h0})
        cols[alpha] = {k: f"{claim(max_abs(grads[k], ref[k]), TOL_TORCH, what=f'{k} vs torch')} / "
                          f"{claim(rel_error(grads[k], numeric[k]), TOL_FD, what=f'{k} vs differences')}"
                       for k in KEYS}
    rows = [[k, BOOK[k], *(cols[alpha][k] for alpha in ALPHAS)] for k in KEYS]
    print("Each cell: max |numpy - torch autograd|  /  relative error vs central\n"
          "differences (eps = 1e-6), each a claim against a stated tolerance that holds\n"
          "with a 100x margin (so it holds on any CPU).")
    print(table(["gradient", "book", *(f"α = {alpha:g}" for alpha in ALPHAS)], rows))
    h, _ = residual_forward(x, h0, params, 0.0)
    print(f"\nα = 0: max |h_t - h_0| over all t = {claim(np.abs(h - h0).max(), 0.0)} "
          "(exactly: the state never moves)")
