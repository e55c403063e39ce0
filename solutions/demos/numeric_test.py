"""One small RNN through four implementations: outputs and all six gradients, float64 and float32."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.params import random_params
from solutions.publish.report import claim, table
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import rnn, rnn_autograd, rnn_from_params, rnn_params, to_numpy

T, B, I, H, SEED = 4, 3, 5, 6, 0
# Stated bounds on max |a − reference|, each checked with a margin (claim): float64 with a factor
# 100 to spare; float32 (machine epsilon 1.2e-7, errors of ~1e-6 here) with a factor 20.
TOL = {np.float64: (1e-12, 100.0), np.float32: (1e-4, 20.0)}
TOL_FD = 1e-6   # relative error against central differences (ε = 1e-6)
NAMES = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")
Arrays = dict[str, np.ndarray]
Outcome = tuple[np.ndarray, Arrays]  # h (T, B, H) and the six gradients of L = Σ h ⊙ G


def problem() -> tuple[Arrays, np.ndarray]:
    """Inputs and parameters (float64) and the upstream gradient ``G = ∂L/∂h`` (T, B, H)."""
    rng = np.random.default_rng(SEED)
    x, h0 = rng.standard_normal((T, B, I)), rng.standard_normal((B, H))
    params = random_params(rng, I, H, std=0.5, bias_std=0.3)
    return {"x": x, "h0": h0, **params}, rng.standard_normal((T, B, H))


# --8<-- [start:implementations] problem
def with_numpy(a: Arrays, G: np.ndarray) -> Outcome:
    h, cache = rnn_forward(a["x"], a["h0"], a)             # solutions.sequence
    return h, rnn_backward(G, cache)


def _torch(f: Callable[..., torch.Tensor], a: Arrays, G: np.ndarray) -> Outcome:
    args = [torch.tensor(a[k], requires_grad=True) for k in NAMES]
    h = f(*args)
    grads = torch.autograd.grad(h, args, torch.from_numpy(G))   # vector-Jacobian product with G
    return to_numpy(h), {k: to_numpy(g) for k, g in zip(NAMES, grads)}


def with_torch_op(a: Arrays, G: np.ndarray) -> Outcome:
    return _torch(rnn, a, G)                                # hand-written RNNFunction.backward


def with_autograd(a: Arrays, G: np.ndarray) -> Outcome:
    return _torch(rnn_autograd, a, G)                       # tanh(x_t W_ihᵀ + …) in torch ops


def with_nn_rnn(a: Arrays, G: np.ndarray) -> Outcome:
    m = rnn_from_params(a)                                  # W_ih, W_hh, b_ih, b_hh copied in
    params = rnn_params(m, as_numpy=False)                  # the Parameters, to collect gradients
    x, h0 = torch.tensor(a["x"], requires_grad=True), torch.tensor(a["h0"], requires_grad=True)
    h, _ = m(x, h0[None])
    grads = torch.autograd.grad(h, [x, h0, *params.values()], torch.from_numpy(G))
    return to_numpy(h), {k: to_numpy(g) for k, g in zip(NAMES, grads)}
# --8<-- [end:implementations]


IMPLEMENTATIONS = {"NumPy": with_numpy, "torch_ops": with_torch_op, "autograd": with_autograd,
                   "nn.RNN": with_nn_rnn}


def main() -> None:
    a64, G = problem()
    h_ref, g_ref = with_autograd(a64, G)
    print(f"T = {T}, B = {B}, I = {I}, H = {H}; L = Σ h ⊙ G for a fixed random G, so ∂L/∂h = G")
    print("  NumPy     = solutions.sequence rnn_forward + rnn_backward")
    print("  torch_ops = solutions.torch_ops.rnn (RNNFunction, hand-written backward)")
    print("  autograd  = solutions.torch_ops.rnn_autograd, differentiated by autograd")
    print("  nn.RNN    = torch.nn.RNN holding the same weights (rnn_from_params)")
    for dtype in (np.float64, np.float32):
        tol, margin = TOL[dtype]
        print(f"\n{np.dtype(dtype).name}: max |a − reference| ≤ bound, reference = autograd in float64;")
        print(f"each bound holds with a factor {margin:g} to spare\n")
        a, G_d = {k: v.astype(dtype) for k, v in a64.items()}, G.astype(dtype)
        rows = []
        for label, f in IMPLEMENTATIONS.items():
            if dtype is np.float64 and f is with_autograd:
                rows.append((label, "ref.", *[""] * len(NAMES)))
                continue
            h, g = f(a, G_d)
            assert h.dtype == dtype and all(v.dtype == dtype for v in g.values())
            rows.append((label, claim(max_abs(h, h_ref), tol, margin, what=f"{label} h"),
                         *[claim(max_abs(g[k], g_ref[k]), tol, margin, what=f"{label} ∂{k}") for k in NAMES]))
        print(table(["", "h", *(f"∂{k}" for k in NAMES)], rows))

    # --8<-- [start:finite-differences]
    a = {k: v.copy() for k, v in a64.items()}
    num = numeric_grads(lambda: float((rnn_forward(a["x"], a["h0"], a)[0] * G).sum()), a)  # central differences
    # --8<-- [end:finite-differences]
    ours = {"NumPy": with_numpy(a64, G)[1], "torch_ops": with_torch_op(a64, G)[1]}
    print("\nfloat64: relative error max|a − b| / max(|a| + |b|) against central")
    print("finite differences (ε = 1e-6)\n")
    print(table(["gradient", *ours], [(f"∂{k}", *(claim(rel_error(g[k], num[k]), TOL_FD, what=f"{n} ∂{k}")
                                                   for n, g in ours.items())) for k in NAMES]))

    # --8<-- [start:gradcheck] main
    args = [torch.tensor(a64[k], requires_grad=True) for k in NAMES]
    ok = torch.autograd.gradcheck(rnn, args, eps=1e-6, atol=1e-8, rtol=1e-6)
    # --8<-- [end:gradcheck]
    print(f"\ntorch.autograd.gradcheck(rnn, 6 float64 inputs, eps=1e-6, atol=1e-8, rtol=1e-6): {ok}")
