"""The character model trained by NumPy BPTT and by PyTorch from the same weights: one loss curve."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.gradcheck import max_abs
from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, claim, fmt, round_sig, table
from solutions.experiments.train import char_task, sgd_train, torch_sgd_train
from solutions.validate import MODEL_KEYS

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
    print("  " + ", ".join(f"{k} {claim(max_abs(p_np[k], p_t[k]), TOL, what=k)}" for k in MODEL_KEYS))
    print("(each bound is checked with a factor 100 to spare, so it holds on any CPU)")

    # Drawn to 4 significant digits: the curves agree far below that, on any CPU.
    curves = (round_sig(l_np / T), round_sig(l_t / T))
    return Result(figures={"train-vs-torch.svg": partial(_draw, curves)},
                  values={"agreement": agree, "steps": str(STEPS),
                          "final-loss": fmt(l_np[-1], ".3f", rel=REL)})


def _draw(curves: tuple[np.ndarray, np.ndarray], s: Style):
    numpy_curve, torch_curve = curves
    steps = np.arange(1, len(numpy_curve) + 1)
    fig, ax = figure(height=3.4)
    ax.semilogy(steps, numpy_curve, lw=3, color=s.c("blue"), alpha=0.55, label=s.t("NumPy bptt + SGD", "NumPy bptt + SGD"))
    ax.semilogy(steps, torch_curve, lw=1.2, color=s.c("red"), ls="--", label="torch.nn.RNN + torch.optim.SGD")
    ax.set_ylabel(s.t("loss per character", "每字符损失"))
    ax.set_xlabel(s.t("SGD step", "SGD 步数"))
    ax.legend()
    return fig
