"""A tanh RNN with a large U trained three ways: no clipping diverges, clipping by value or by norm trains."""

from __future__ import annotations

import math
import sys

import numpy as np

from solutions.clipping import clip_grad_norm, clip_grad_value, total_norm
from solutions.plotting import figure
from solutions.report import table
from solutions.sequence import bptt

K, T, B, H, DELAY = 4, 40, 16, 16, 3    # tokens, steps per sequence, batch, hidden units, recall delay
U_SCALE = 1.5                            # U = 1.5 × an orthogonal matrix: every singular value is 1.5
LR, STEPS = 0.1, 150                     # plain SGD
MAX_NORM, CLIP_VALUE = 1.0, 0.1
SPIKE = 10.0                             # a spike: ‖g‖ above SPIKE × its value at step 1
PARAM_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh", "V", "c")
RUNS = {"none": "no clipping", "value": f"by value, {CLIP_VALUE}", "norm": f"by norm, {MAX_NORM}"}


def recall_batches(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``STEPS`` batches of the delayed-recall task: the target at step t is the token of step t − DELAY.

    Returns
    -------
    batches : list of (x, y)
        ``x`` float64 of shape (T, B, K), one-hot tokens; ``y`` int64 of shape (T, B), the
        token ``DELAY`` steps earlier (token 0 for the first ``DELAY`` steps).
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(STEPS):
        tokens = rng.integers(0, K, size=(T, B))
        y = np.zeros((T, B), dtype=np.int64)
        y[DELAY:] = tokens[:-DELAY]
        out.append((np.eye(K)[tokens], y))
    return out


def init_params(seed: int = 1) -> dict[str, np.ndarray]:
    """``U = U_SCALE · Q`` (Q orthogonal), ``W ~ N(0, 1/K)``, ``V ~ N(0, 0.01)``, zero biases; float64."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    return {"W_ih": rng.standard_normal((H, K)) / np.sqrt(K), "W_hh": U_SCALE * q,
            "b_ih": np.zeros(H), "b_hh": np.zeros(H), "V": 0.1 * rng.standard_normal((K, H)), "c": np.zeros(K)}


def train(mode: str, batches: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """SGD with BPTT gradients, clipped as ``mode`` says ("none", "value" or "norm").

    Returns
    -------
    losses : ndarray of shape (STEPS,)
        The loss per time step, ``L / T``, before each update.
    norms : ndarray of shape (STEPS,)
        ``‖g‖₂`` of all parameter gradients before clipping.
    """
    params = init_params()
    h0 = np.zeros((B, H))
    losses, norms = np.empty(STEPS), np.empty(STEPS)
    for step, (x, y) in enumerate(batches):
        # --8<-- [start:loop]
        loss, grads = bptt(x, y, h0, params)              # L and ∂L/∂θ by BPTT
        g = {k: grads[k] for k in PARAM_KEYS}             # the parameters' gradients
        if mode == "norm":
            norm = clip_grad_norm(g, MAX_NORM)            # returns ‖g‖ before clipping
        else:
            norm = total_norm(g)
            if mode == "value":
                clip_grad_value(g, CLIP_VALUE)
        if not math.isfinite(norm):                       # NaN/inf: a useless step
            raise FloatingPointError(f"‖g‖ = {norm} at step {step + 1}")
        for k in PARAM_KEYS:
            params[k] -= LR * g[k]                        # θ ← θ − η g
        # --8<-- [end:loop]
        losses[step], norms[step] = loss / T, norm
        if (step + 1) % 50 == 0:
            print(f"clipping-train: {mode} step {step + 1}/{STEPS} loss/T {loss / T:.3f}", file=sys.stderr)
    return losses, norms


def plot(results: dict[str, tuple[np.ndarray, np.ndarray]], spike: int):
    fig, (ax_loss, ax_norm) = figure(1, 2, width=9.0, height=3.6)
    steps = np.arange(1, STEPS + 1)
    colors = {"none": "tab:red", "value": "tab:blue", "norm": "tab:green"}
    for mode, (losses, norms) in results.items():
        ax_loss.plot(steps, losses, color=colors[mode], lw=1.2, label=RUNS[mode])
        ax_norm.plot(steps, norms, color=colors[mode], lw=1.2, label=RUNS[mode])
    ax_loss.axhline(math.log(K), color="gray", ls=":", lw=1, label=f"chance, ln {K}")
    ax_norm.axhline(MAX_NORM, color="gray", ls="--", lw=1, label=f"max_norm = {MAX_NORM:g}")
    for ax in (ax_loss, ax_norm):
        ax.axvline(spike, color="tab:red", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_xlim(0, STEPS)
    ax_loss.set_ylabel("loss per time step, L / T")
    ax_norm.set_ylabel("‖g‖₂ before clipping")
    ax_loss.set_title("loss")
    ax_norm.set_title(f"gradient norm (spike at step {spike})")
    ax_loss.legend(loc="lower left", fontsize=8)
    ax_norm.legend(loc="upper right", fontsize=8)
    return fig


def main() -> dict:
    batches = recall_batches()
    results = {mode: train(mode, batches) for mode in RUNS}
    print(f"Task: output the token seen {DELAY} steps earlier ({K} tokens, T = {T}, batch {B},\n"
          f"  a fresh batch each step).\nModel: tanh RNN, H = {H}, U = {U_SCALE} × orthogonal\n"
          f"  (all singular values {U_SCALE} > 1/γ = 1); plain SGD, η = {LR}, {STEPS} steps;\n"
          "  the same initial weights and batches for all runs.")
    rows = []
    for step in [1, 2, 4, 6, 8, 10, 15, 20, 30, 50, 75, 100, 125, STEPS]:
        rows.append([step] + [f"{results[m][0][step - 1]:.3f}" for m in RUNS]
                    + [f"{results[m][1][step - 1]:.3g}" for m in RUNS])
    print(f"Runs: none = no clipping; value = clip_grad_value(g, {CLIP_VALUE});\n"
          f"  norm = clip_grad_norm(g, {MAX_NORM}).\n"
          "L/T = loss per time step before the update; ‖g‖ = gradient norm before clipping.\n")
    print(table(["step"] + [f"L/T {m}" for m in RUNS] + [f"‖g‖ {m}" for m in RUNS], rows))
    losses, norms = results["none"]
    spike = int(np.argmax(norms > SPIKE * norms[0])) + 1
    peak = int(np.argmax(norms)) + 1
    best = int(np.argmin(losses[:spike])) + 1
    print(f"\nno clipping: ‖g‖ first exceeds {SPIKE:g} × its step-1 value ({norms[0]:.3g}) at step "
          f"{spike} ({norms[spike - 1]:.3g});\n  it peaks at {norms[peak - 1]:.3g} at step {peak}. "
          f"The loss per time step, down to\n  {losses[best - 1]:.3f} at step {best}, never again falls "
          f"below {losses[spike:].min():.3f} after step {spike}\n  (chance: ln {K} = {math.log(K):.3f}).")
    for mode in ("value", "norm"):
        losses, norms = results[mode]
        print(f"{RUNS[mode]}: largest ‖g‖ {norms.max():.3g}; loss per time step "
              f"{losses[-1]:.3f} after {STEPS} steps.")
    return {"clipping-train.svg": plot(results, spike)}
