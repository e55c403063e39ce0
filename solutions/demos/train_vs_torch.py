"""The character model trained by NumPy BPTT and by PyTorch from the same weights: one loss curve."""

from __future__ import annotations

import numpy as np

from solutions.gradcheck import max_abs
from solutions.publish.plotting import figure
from solutions.publish.report import Result, claim, fmt, round_sig, table
from solutions.experiments.train import PARAM_KEYS, char_task, sgd_train, torch_sgd_train

H, SEED, LR, STEPS = 32, 0, 0.02, 300
TOL = 1e-8    # |L_numpy − L_torch| / L_numpy at every step, and max |θ_numpy − θ_torch| (factor 100 to spare)
REL = 1e-7    # a printed loss must survive this relative change (300 steps of float64 SGD)


def main() -> Result:
    x, y, h0, params, vocab = char_task(H, SEED, np.float64)
    T, B, V = x.shape
    print(f"float64; T = {T}, B = {B}, V = {V}, H = {H}; the same initial weights (seed {SEED});")
    print(f"full-batch plain SGD, lr = {LR}, {STEPS} steps")
    print("  NumPy:   solutions.sequence.bptt, then θ -= lr·∂L/∂θ")
    print("  PyTorch: torch.nn.RNN + nn.Linear, F.cross_entropy(reduction='sum') / B,")
    print("           loss.backward(), torch.optim.SGD\n")
    p_np, l_np = sgd_train(x, y, h0, params, LR, STEPS, log_every=100)
    p_t, l_t = torch_sgd_train(x, y, h0, params, LR, STEPS, log_every=100)
    rel = np.abs(l_np - l_t) / l_np
    marks = [0, 1, 10, 50, 100, 200, STEPS - 1]
    print(table(["step", "L NumPy", "L PyTorch", "|ΔL| / L"],
                [(s + 1, fmt(l_np[s], ".3f", rel=REL), fmt(l_t[s], ".3f", rel=REL),
                  claim(rel[s], TOL, what=f"step {s + 1}")) for s in marks]))
    agree = claim(rel.max(), TOL, what="loss over all steps")
    print(f"\nmax |L_numpy − L_torch| / L_numpy over all {STEPS} steps: {agree}")
    print("max |θ_numpy − θ_torch| after training:")
    print("  " + ", ".join(f"{k} {claim(max_abs(p_np[k], p_t[k]), TOL, what=k)}" for k in PARAM_KEYS))
    print("(each bound is checked with a factor 100 to spare, so it holds on any CPU)")

    steps = np.arange(1, STEPS + 1)
    fig, ax = figure(height=3.6)
    # Drawn to 4 significant digits: the curves agree far below that, on any CPU.
    ax.semilogy(steps, round_sig(l_np / T), lw=2.5, color="C0", alpha=0.5, label="NumPy bptt + SGD")
    ax.semilogy(steps, round_sig(l_t / T), lw=1.0, color="C3", ls="--", label="torch.nn.RNN + torch.optim.SGD")
    ax.set_ylabel("loss per character L/T")
    ax.set_xlabel("SGD step")
    ax.set_title(f"Same model, same initial weights, float64: |ΔL| / L {agree} at every step")
    ax.legend()
    return Result(figures={"train-vs-torch.svg": fig},
                  values={"agreement": agree, "steps": str(STEPS),
                          "final-loss": fmt(l_np[-1], ".3f", rel=REL)})
