"""The character model trained by NumPy BPTT and by PyTorch from the same weights: one loss curve."""

from __future__ import annotations

import numpy as np

from solutions.gradcheck import max_abs
from solutions.plotting import figure
from solutions.report import fmt_err, table
from solutions.train import PARAM_KEYS, char_task, sgd_train, torch_sgd_train

H, SEED, LR, STEPS = 32, 0, 0.02, 300


def main() -> dict:
    x, y, h0, params, vocab = char_task(H, SEED, np.float64)
    T, B, V = x.shape
    print(f"float64; T = {T}, B = {B}, V = {V}, H = {H}; the same initial weights (seed {SEED});")
    print(f"full-batch plain SGD, lr = {LR}, {STEPS} steps")
    print("  NumPy:   solutions.sequence.bptt, then θ -= lr·∂L/∂θ")
    print("  PyTorch: torch.nn.RNN + nn.Linear, F.cross_entropy(reduction='sum') / B,")
    print("           loss.backward(), torch.optim.SGD\n")
    p_np, l_np = sgd_train(x, y, h0, params, LR, STEPS, log_every=100)
    p_t, l_t = torch_sgd_train(x, y, h0, params, LR, STEPS, log_every=100)
    diff = np.abs(l_np - l_t)
    marks = [0, 1, 10, 50, 100, 200, STEPS - 1]
    print(table(["step", "L NumPy", "L PyTorch", "|difference|"],
                [(s + 1, f"{l_np[s]:.6f}", f"{l_t[s]:.6f}", fmt_err(diff[s])) for s in marks]))
    print(f"\nmax |L_numpy − L_torch| over {STEPS} steps: {fmt_err(diff.max())}")
    print(f"max |L_numpy − L_torch| / L_numpy:        {fmt_err((diff / l_np).max())}")
    print("max |θ_numpy − θ_torch| after training:")
    print("  " + ", ".join(f"{k} {fmt_err(max_abs(p_np[k], p_t[k]))}" for k in PARAM_KEYS))

    steps = np.arange(1, STEPS + 1)
    fig, (ax, ax_d) = figure(2, 1, height=5.0, sharex=True, height_ratios=[2, 1])
    ax.semilogy(steps, l_np / T, lw=2.5, color="C0", alpha=0.5, label="NumPy bptt + SGD")
    ax.semilogy(steps, l_t / T, lw=1.0, color="C3", ls="--", label="torch.nn.RNN + torch.optim.SGD")
    ax.set_ylabel("loss per character L/T")
    ax.set_title("Same model, same initial weights, float64")
    ax.legend()
    nz = diff > 0
    ax_d.semilogy(steps[nz], diff[nz], ".", ms=2.5, color="C2")
    ax_d.set_ylabel("|L_numpy − L_torch|")
    ax_d.set_xlabel("SGD step")
    return {"train-vs-torch.svg": fig}
