"""Deep transition (DT, DT(S)) and skip RNN in NumPy: every gradient against torch autograd and finite differences."""

from __future__ import annotations

import numpy as np
import torch

from solutions.deep_rnn import (
    dt_backward,
    dt_forward,
    dt_forward_torch,
    random_deep_params,
    skip_backward,
    skip_forward,
    skip_forward_torch,
)
from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.publish.report import claim, table
from solutions.sequence import rnn_backward, rnn_forward

T, B, I, H = 6, 3, 4, 5
TOL = 1e-12       # float64 agreement of the states with torch (max abs. error), a factor 100 to spare
TOL_GRAD = 1e-11  # … and of the gradients (longer chains of rounding)
TOL_FD = 1e-6     # relative error against central differences


def _case(seed: int, **kw):
    rng = np.random.default_rng(seed)
    p = random_deep_params(rng, I, H, **kw)
    return rng.normal(size=(T, B, I)), rng.normal(0, 0.5, (B, H)), p, rng.normal(size=(T, B, H)), rng.normal(size=(B, H))


def _autograd(run, x, h0, p, dh, dh_n):
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in {**p, "x": x, "h0": h0}.items()}
    h = torch.stack(run(leaves["x"], leaves["h0"], leaves))
    ((h * torch.tensor(dh)).sum() + (h[-1] * torch.tensor(dh_n)).sum()).backward()
    return h.detach().numpy(), {k: t.grad.numpy() for k, t in leaves.items()}


def _row(label, forward, backward, run, seed, **kw):
    x, h0, p, dh, dh_n = _case(seed, **kw)
    h, cache = forward(x, h0, p)
    g = backward(dh, cache, dh_n)
    h_ref, ref = _autograd(run, x, h0, p, dh, dh_n)

    def loss() -> float:
        hh = forward(x, h0, p)[0]
        return float((hh * dh).sum() + (hh[-1] * dh_n).sum())

    num = numeric_grads(loss, {**p, "x": x, "h0": h0})
    return (label, str(len(p)), claim(max_abs(h, h_ref), TOL, what=f"{label} h"),
            claim(max(max_abs(g[k], ref[k]) for k in ref), TOL_GRAD, what=f"{label} grads"),
            claim(max(rel_error(g[k], num[k]) for k in num), TOL_FD, what=f"{label} FD"))


def main() -> None:
    print(f"L = Σ_t dh_t·h_t + dh_n·h_T with random dh, dh_n; T = {T}, B = {B}, I = {I}, H = {H}, float64.")
    print("autograd: solutions.deep_rnn.*_forward_torch differentiated by torch; FD: central differences.\n")
    rows = []
    # --8<-- [start:check]
    for m, sc in ((1, False), (2, False), (3, False), (2, True), (3, True)):
        label = f"DT{'(S)' if sc else ''}, m = {m}"
        rows.append(_row(label, lambda x, h0, p, m=m, sc=sc: dt_forward(x, h0, p, m, sc), dt_backward,
                         lambda x, h0, p, m=m, sc=sc: dt_forward_torch(x, h0, p, m, sc), seed=m + 10 * sc,
                         m=m, shortcut=sc))
    for d in (2, 3, 7):
        rows.append(_row(f"skip, Δ = {d}", lambda x, h0, p, d=d: skip_forward(x, h0, p, d), skip_backward,
                         lambda x, h0, p, d=d: skip_forward_torch(x, h0, p, d), seed=20 + d, skip=True))
    # --8<-- [end:check]
    print(table(["model", "arrays", "h: torch", "grads: autograd", "grads: FD"], rows))
    print("arrays: parameter arrays; h, grads: max abs. difference; FD: relative error.")
    x, h0, p, dh, dh_n = _case(0, m=1)
    h, cache = dt_forward(x, h0, p, 1)
    h_rnn, c_rnn = rnn_forward(x, h0, p)
    dh_all = dh.copy()
    dh_all[-1] += dh_n
    g, g_rnn = dt_backward(dh, cache, dh_n), rnn_backward(dh_all, c_rnn)
    print("\nm = 1 is the simple RNN: against solutions.sequence.rnn_forward / rnn_backward,")
    print(f"  states {claim(max_abs(h, h_rnn), 1e-13, what='m=1 h')}, "
          f"gradients {claim(max(max_abs(g[k], g_rnn[k]) for k in g_rnn), 1e-12, what='m=1 grads')}.")
    print("skip, Δ = 7 > T − 1: every skip edge reads h_0, and the gradients still agree.")
