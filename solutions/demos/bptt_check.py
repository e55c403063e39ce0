"""BPTT (sequence.bptt) against PyTorch autograd and finite differences, full and truncated."""

from __future__ import annotations

import numpy as np
import torch

from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.params import random_params
from solutions.publish.report import Result, claim, fmt, table
from solutions.sequence import bptt
from solutions.torch_ops import rnn_from_params, rnn_params

T, B, I, H, O = 6, 3, 4, 5, 3
SEED = 0
TRUNCATE = (2, 4)  # 2 divides T = 6, 4 does not (windows of 4 and 2 steps)
TOL_TORCH = 1e-12  # float64 agreement with autograd (max abs. error; the loss: relative)
TOL_FD = 1e-6      # relative error against central differences, eps = 1e-6

# gradient key -> the book's symbol and equation
BOOK = {
    "W_ih": "∂L/∂W (6.40)",
    "W_hh": "∂L/∂U (6.39)",
    "b_ih": "∂L/∂b (6.41)",
    "b_hh": "∂L/∂b (6.41)",
    "V": "∂L/∂V",
    "c": "∂L/∂c",
    "x": "∂L/∂x_t",
    "h0": "∂L/∂h_0",
}


def model(seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """A small float64 RNN with a softmax output layer: ``(x, y, h0, params)``."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H, O)             # weights N(0, 0.5²), biases N(0, 0.1²)
    x = rng.normal(size=(T, B, I))
    h0 = rng.normal(0, 0.5, (B, H))
    y = rng.integers(0, O, (T, B))
    return x, y, h0, params


def torch_bptt(x, y, h0, params, truncate=None) -> tuple[float, dict[str, np.ndarray]]:
    """The same loss in PyTorch; truncated BPTT is ``h = h.detach()`` every ``truncate`` steps."""
    rnn = rnn_from_params(params)
    V = torch.tensor(params["V"], requires_grad=True)
    c = torch.tensor(params["c"], requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    h = torch.tensor(h0, requires_grad=True)
    h0t, k = h, truncate or T
    outs = []
    for s in range(0, T, k):
        if s > 0:
            h = h.detach()                         # the state entering a window is a constant
        out, h_n = rnn(xt[s:s + k], h.unsqueeze(0))
        h = h_n[0]
        outs.append(out)
    o = torch.cat(outs) @ V.T + c
    loss = torch.nn.functional.cross_entropy(o.reshape(T * B, O), torch.tensor(y).reshape(-1),
                                             reduction="sum") / B
    loss.backward()
    grads = rnn_params(rnn, grad=True)
    grads.update(V=V.grad.numpy(), c=c.grad.numpy(), x=xt.grad.numpy(), h0=h0t.grad.numpy())
    return loss.item(), grads


def main() -> Result:
    x, y, h0, params = model()
    print(f"A tanh RNN with a softmax output layer: T = {T} steps, B = {B} sequences,\n"
          f"I = {I} inputs, H = {H} hidden units, O = {O} classes; float64, seed {SEED}.\n")

    loss, grads = bptt(x, y, h0, params)
    loss_t, grads_t = torch_bptt(x, y, h0, params)
    loss_vs_torch = claim(abs(loss - loss_t) / abs(loss), TOL_TORCH, what="|L - L_torch| / |L|")
    print(f"loss L = {fmt(loss, '.6f')} (sequence.bptt);  |L - L_torch| / |L| {loss_vs_torch}\n")

    inputs = {**params, "x": x, "h0": h0}
    numeric = numeric_grads(lambda: bptt(x, y, h0, params)[0], inputs)
    rows = [(key, str(grads[key].shape), BOOK[key],
             claim(max_abs(grads[key], grads_t[key]), TOL_TORCH, what=f"{key} vs torch"),
             claim(rel_error(grads[key], numeric[key]), TOL_FD, what=f"{key} vs finite differences"))
            for key in BOOK]
    print("Full BPTT. vs torch: max |bptt - autograd|; vs finite diff.: relative error")
    print("against central differences of the loss (eps = 1e-6). Each column is checked")
    print("with a factor 100 to spare, so it holds on any CPU.")
    print(table(["gradient", "shape", "book", "vs torch", "vs finite diff."], rows))

    print("\nTruncated BPTT, windows of k steps. vs torch: max |bptt - autograd| with")
    print("h = h.detach() every k steps; change: ||g_truncated - g_full|| / ||g_full||.")
    rows = []
    trunc = {k: (bptt(x, y, h0, params, truncate=k), torch_bptt(x, y, h0, params, truncate=k))
             for k in TRUNCATE}
    for key in BOOK:
        row = [key]
        for k in TRUNCATE:
            (loss_k, g), (_, g_t) = trunc[k]
            assert loss_k == loss                  # truncation changes the gradient, not the loss
            change = np.linalg.norm(g[key] - grads[key]) / np.linalg.norm(grads[key])
            row += [claim(max_abs(g[key], g_t[key]), TOL_TORCH, what=f"{key} vs torch, k={k}"),
                    fmt(change, ".3f") if change else "0 (exact)"]
        rows.append(row)
    headers = ["gradient"]
    for k in TRUNCATE:
        headers += [f"k={k}: vs torch", f"k={k}: change"]
    print(table(headers, rows))
    return Result(values={"loss": fmt(loss, ".6f")})
