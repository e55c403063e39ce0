"""The GRU of 6-5 (gru.py), both forms: every gradient against torch.nn.GRU / autograd and finite differences."""

from __future__ import annotations

import numpy as np
import torch

from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.gru import gru_backward, gru_forward
from solutions.params import PARAM_NAMES
from solutions.publish.report import Result, claim, table
from solutions.torch_ops import load_params

T, B, I, H = 6, 3, 4, 5
SEED = 0
TOL_TORCH, TOL_FD = 1e-12, 1e-6   # stated tolerances: float64 agreement, central differences
KEYS = ("W_ih", "W_hh", "b_ih", "b_hh", "x", "h0")
BOOK = {"W_ih": "∂L/∂W_r, W_z, W_h", "W_hh": "∂L/∂U_r, U_z, U_h", "b_ih": "∂L/∂b (input part)",
        "b_hh": "∂L/∂b (recurrent part)", "x": "∂L/∂x_t", "h0": "∂L/∂h_0"}
SIZES = (10, 32)  # (I, H) of the digit-sum models, for the parameter counts


def model(seed: int = SEED):
    """``(x, h0, params, dh, dh_n)``: a small float64 problem, ``L = Σ_t dh_t · h_t + dh_n · h_T``."""
    rng = np.random.default_rng(seed)
    params = {"W_ih": rng.normal(0, 0.6, (3 * H, I)), "W_hh": rng.normal(0, 0.6, (3 * H, H)),
              "b_ih": rng.normal(0, 0.3, 3 * H), "b_hh": rng.normal(0, 0.3, 3 * H)}
    return (rng.normal(size=(T, B, I)), rng.normal(0, 0.5, (B, H)), params,
            rng.normal(size=(T, B, H)), rng.normal(size=(B, H)))


def torch_reference(x, h0, params, dh, dh_n, reset_after: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``torch.nn.GRU`` (reset after U), or the book's formula in torch ops (reset before U), with autograd."""
    tx, th0 = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    if reset_after:
        gru = load_params(torch.nn.GRU(I, H, dtype=torch.float64), params)
        out, _ = gru(tx, th0[None])
        leaves = {k: getattr(gru, f"{name}_l0") for k, name in PARAM_NAMES.items()}
    else:
        leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        W, U, b = leaves["W_ih"], leaves["W_hh"], leaves["b_ih"] + leaves["b_hh"]
        h, outs = th0, []
        for x_t in tx:                                  # the book: r before U_h, h = z h + (1 − z) h̃
            r = torch.sigmoid(x_t @ W[:H].T + h @ U[:H].T + b[:H])
            z = torch.sigmoid(x_t @ W[H:2 * H].T + h @ U[H:2 * H].T + b[H:2 * H])
            h_tilde = torch.tanh(x_t @ W[2 * H:].T + (r * h) @ U[2 * H:].T + b[2 * H:])
            h = z * h + (1 - z) * h_tilde
            outs.append(h)
        out = torch.stack(outs)
    ((out * torch.tensor(dh)).sum() + (out[-1] * torch.tensor(dh_n)).sum()).backward()
    grads = {k: t.grad.numpy() for k, t in leaves.items()}
    return out.detach().numpy(), {**grads, "x": tx.grad.numpy(), "h0": th0.grad.numpy()}


def param_counts(I: int, H: int) -> dict[str, int]:
    """Parameters of one layer with PyTorch's two bias vectors: (gates × H) × (I + H + 2)."""
    return {kind: gates * H * (I + H + 2) for kind, gates in (("RNN", 1), ("GRU", 3), ("LSTM", 4))}


def main() -> Result:
    x, h0, params, dh, dh_n = model()
    print(f"A GRU, T = {T}, B = {B}, M = {I} inputs, D = {H} units; L = sum_t dh_t . h_t + dh_n . h_T with\n"
          f"random dh_t, dh_n (the gradients nn.GRU's output and h_n receive); float64, seed {SEED}.\n")
    cols, forms = {}, {True: "reset after U (torch.nn.GRU)", False: "reset before U (the book)"}
    for reset_after in forms:
        h, cache = gru_forward(x, h0, params, reset_after=reset_after)
        grads = gru_backward(dh, cache, dh_n)
        h_ref, ref = torch_reference(x, h0, params, dh, dh_n, reset_after)
        numeric = numeric_grads(
            lambda ra=reset_after: float(np.sum((h := gru_forward(x, h0, params, reset_after=ra)[0]) * dh)
                                         + np.sum(h[-1] * dh_n)),
            {**params, "x": x, "h0": h0})
        cols[reset_after] = {k: f"{claim(max_abs(grads[k], ref[k]), TOL_TORCH, what=f'{k} vs torch')} / "
                                f"{claim(rel_error(grads[k], numeric[k]), TOL_FD, what=f'{k} vs differences')}"
                             for k in KEYS}
        cols[reset_after]["h"] = claim(max_abs(h, h_ref), TOL_TORCH, what="h vs torch") + " / —"
    print("Each cell: max |numpy - torch|  /  relative error vs central differences\n"
          "(eps = 1e-6), each a claim against a stated tolerance that holds with a\n"
          "100x margin (so it should hold on other CPUs as well). torch: nn.GRU for\n"
          "reset after U; the book's formula written with torch ops, through autograd,\n"
          "for reset before U.")
    rows = [["h (forward)", "h_t", cols[True]["h"], cols[False]["h"]]]
    rows += [[k, BOOK[k], cols[True][k], cols[False][k]] for k in KEYS]
    print(table(["array", "book", forms[True], forms[False]], rows))
    h_after, _ = gru_forward(x, h0, params, reset_after=True)
    h_before, _ = gru_forward(x, h0, params, reset_after=False)
    differ = np.abs(h_after - h_before).max() > 1e-3
    print(f"\nSame parameters, the two forms: max |h_after - h_before| > 1e-3: {differ}"
          " (two different functions)")
    counts = param_counts(*SIZES)
    print(f"\nParameters of one layer, M = {SIZES[0]} inputs, D = {SIZES[1]} hidden units"
          " (PyTorch's two biases):")
    print(table(["model", "gate blocks", "parameters"],
                [[k, {"RNN": 1, "GRU": 3, "LSTM": 4}[k], v] for k, v in counts.items()]))
    values = {f"params-{k.lower()}": str(v) for k, v in counts.items()}
    values["tol-torch"], values["tol-fd"] = "1e-12", "1e-6"
    return Result(values=values)
