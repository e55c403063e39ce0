"""6-4: the NumPy LSTM against torch.nn.LSTM and finite differences, and the Jacobian ∂c_t/∂c_{t-1} of the derivation against autograd."""

from __future__ import annotations

import numpy as np
import torch

from solutions.gradcheck import numeric_grads, rel_error
from solutions.lstm import lstm_backward, lstm_forward
from solutions.params import PARAM_NAMES, random_params
from solutions.publish.report import claim, table
from solutions.torch_ops import load_params

T, B, I, H = 6, 3, 4, 5
SEED = 0
KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")


def problem(dtype: type = np.float64):
    rng = np.random.default_rng(SEED)
    params = random_params(rng, I, H, gates=4, std=0.5, bias_std=0.3, dtype=dtype)
    x, h0, c0, dh, dh_n, dc_n = (rng.normal(size=s).astype(dtype)
                                 for s in [(T, B, I), (B, H), (B, H), (T, B, H), (B, H), (B, H)])
    return x, h0, c0, params, dh, dh_n, dc_n


def torch_reference(x, h0, c0, params, dh, dh_n, dc_n):
    """``torch.nn.LSTM`` in float64: output, c_n and every gradient of ⟨dh, h⟩ + ⟨dh_n, h_T⟩ + ⟨dc_n, c_T⟩."""
    m = load_params(torch.nn.LSTM(I, H, dtype=torch.float64), params)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in (("x", x), ("h0", h0), ("c0", c0))}
    out, (h_n, c_n) = m(t["x"], (t["h0"][None], t["c0"][None]))
    f64 = lambda a: torch.tensor(a, dtype=torch.float64)
    ((out * f64(dh)).sum() + (h_n[0] * f64(dh_n)).sum() + (c_n[0] * f64(dc_n)).sum()).backward()
    grads = {k: v.grad.numpy() for k, v in t.items()}
    grads.update({k: getattr(m, PARAM_NAMES[k] + "_l0").grad.numpy() for k in KEYS})
    return out.detach().numpy(), c_n[0].detach().numpy(), grads


def jacobian_check(x, h0, c0, params) -> float:
    """max |formula − autograd| of ∂c_t/∂c_{t-1} at every step t ≥ 2 and every example, where the
    formula is diag(f_t) + [diag(c_{t-1} f_t(1−f_t)) U_f + diag(c̃_t i_t(1−i_t)) U_i
    + diag(i_t (1−c̃_t²)) U_c] diag(o_{t-1} (1 − tanh² c_{t-1}))."""
    p = {k: torch.tensor(v) for k, v in params.items()}
    W_i, W_f, W_c, W_o = p["W_ih"].chunk(4)
    U_i, U_f, U_c, U_o = p["W_hh"].chunk(4)
    b_i, b_f, b_c, b_o = (p["b_ih"] + p["b_hh"]).chunk(4)

    def gates(x_t, h):
        return (torch.sigmoid(W_i @ x_t + U_i @ h + b_i), torch.sigmoid(W_f @ x_t + U_f @ h + b_f),
                torch.tanh(W_c @ x_t + U_c @ h + b_c), torch.sigmoid(W_o @ x_t + U_o @ h + b_o))

    worst = 0.0
    for b in range(B):
        h, c = torch.tensor(h0[b]), torch.tensor(c0[b])
        o = None                                          # o_{t-1}, set by the step before
        for t in range(T):
            x_t = torch.tensor(x[t, b])
            if t > 0:
                o_prev = o

                def step(c_prev, x_t=x_t, o_prev=o_prev):   # c_t as a function of c_{t-1}, o_{t-1} held
                    i, f, g, _ = gates(x_t, o_prev * torch.tanh(c_prev))
                    return f * c_prev + i * g

                auto = torch.autograd.functional.jacobian(step, c)
                i, f, g, _ = gates(x_t, h)
                dh_dc = o_prev * (1 - torch.tanh(c) ** 2)
                formula = torch.diag(f) + (torch.diag(c * f * (1 - f)) @ U_f + torch.diag(g * i * (1 - i)) @ U_i
                                           + torch.diag(i * (1 - g * g)) @ U_c) @ torch.diag(dh_dc)
                worst = max(worst, float((formula - auto).abs().max()))
            i, f, g, o = gates(x_t, h)
            c = f * c + i * g
            h = o * torch.tanh(c)
    return worst


def main() -> None:
    x, h0, c0, params, dh, dh_n, dc_n = problem()
    h, c, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dh, cache, dh_n, dc_n)
    h_ref, c_n_ref, ref = torch_reference(x, h0, c0, params, dh, dh_n, dc_n)

    def loss() -> float:
        h, c, _ = lstm_forward(x, h0, c0, params)
        return float(np.sum(h * dh) + np.sum(h[-1] * dh_n) + np.sum(c[-1] * dc_n))

    numeric = numeric_grads(loss, {"x": x, "h0": h0, "c0": c0, **params})
    x32, h32, c32, p32, dh32, dhn32, dcn32 = problem(np.float32)
    h_32, _, cache32 = lstm_forward(x32, h32, c32, p32)
    g32 = lstm_backward(dh32, cache32, dhn32, dcn32)

    print(f"T = {T}, B = {B}, I = {I}, H = {H}, seed {SEED}; loss L = Σ_t ⟨dh_t, h_t⟩ + ⟨dh_n, h_T⟩ + ⟨dc_n, c_T⟩")
    print("with random dh, dh_n, dc_n (what torch.nn.LSTM's output, h_n and c_n receive).\n")
    rows = [["h (every step)", claim(np.max(np.abs(h - h_ref)), 1e-12), "", claim(np.max(np.abs(h_32 - h_ref)), 1e-4)],
            ["c_T", claim(np.max(np.abs(c[-1] - c_n_ref)), 1e-12), "", ""]]
    for k in ("x", "h0", "c0", *KEYS):
        rows.append([f"∂L/∂{k}", claim(np.max(np.abs(grads[k] - ref[k])), 1e-12),
                     claim(rel_error(grads[k], numeric[k]), 1e-6), claim(np.max(np.abs(g32[k] - ref[k])), 1e-3)])
    print(table(["quantity", "float64: |ours - torch.nn.LSTM|", "rel. error vs finite differences",
                 "float32: |ours - torch float64|"], rows))
    err = jacobian_check(x, h0, c0, params)
    print("\nThe Jacobian of the analysis, ∂c_t/∂c_{t-1} = diag(f_t) + [diag(c_{t-1} ⊙ f_t ⊙ (1-f_t)) U_f")
    print("  + diag(c̃_t ⊙ i_t ⊙ (1-i_t)) U_i + diag(i_t ⊙ (1-c̃_t²)) U_c] diag(o_{t-1} ⊙ (1-tanh² c_{t-1})),")
    print(f"against torch autograd at every step t = 2..{T} of every example: max difference {claim(err, 1e-12)}")
