"""The course's digit-sum task (数字求和): simple RNN vs LSTM vs GRU as the distance L grows, several seeds."""

from __future__ import annotations

import sys

import numpy as np

from solutions.experiments import digit_sum as ds
from solutions.publish.plotting import figure
from solutions.publish.report import Result, fmt, table

LENGTHS = (5, 10, 20, 35)
MODELS = (("RNN", "rnn", None), ("LSTM", "lstm", 2.0), ("GRU", "gru", None))
CHANCE = 10  # per cent: the most frequent sum, 9, is 10 of the 100 digit pairs
REL = 1e-3   # generous margin: a trained network's last bits differ between CPUs


def results() -> dict[tuple[str, int], np.ndarray]:
    """Correct answers of every copy on the fixed test set: ``{(model, L): int array (S,)}``."""
    out = {}
    for L in LENGTHS:
        digits, labels = ds.test_set(L)
        for name, kind, fb in MODELS:
            print(f"training {name} on L = {L} ...", file=sys.stderr, flush=True)
            out[name, L] = ds.accuracy_counts(kind, ds.trained(kind, L, fb), digits, labels)
    return out


def main() -> Result:
    S = len(ds.SEEDS)
    print(f"Digit sum: L digits, answer d_1 + d_2 (19 classes); chance ≈ {CHANCE}%.\n"
          f"One layer, H = {ds.H}, one-hot digits in, o = V h_L + c out; Adam, lr = {ds.LR},\n"
          f"{ds.STEPS} steps of {ds.BATCH} fresh sequences; PyTorch's default init (LSTM: forget-gate\n"
          f"bias b_if + b_hf = {MODELS[1][2]:g}); {S} seeds; float64. Test: {ds.TEST} fixed sequences per L.\n")
    res = results()
    pct = {key: 100.0 * counts.sum() / (S * ds.TEST) for key, counts in res.items()}
    learned = {key: int((100.0 * counts / ds.TEST >= 50).sum()) for key, counts in res.items()}
    rows = [[f"L = {L}", *(f"{fmt(pct[name, L], '.0f', rel=REL)}%  ({learned[name, L]}/{S})"
                           for name, _, _ in MODELS)] for L in LENGTHS]
    print("Test accuracy over all seeds (in brackets: seeds with accuracy ≥ 50%)")
    print(table(["length", *(name for name, _, _ in MODELS)], rows))

    fig, ax = figure(width=6.0, height=3.6)
    for (name, _, fb), marker in zip(MODELS, "osD"):
        label = name if fb is None else f"{name} (b_f = {fb:g})"
        ax.plot(LENGTHS, [round(pct[name, L]) for L in LENGTHS], marker=marker, label=label)
    ax.axhline(CHANCE, color="grey", linestyle=":", label="chance (always 9)")
    ax.set_xlabel("sequence length L (distractors: L − 2)")
    ax.set_ylabel("test accuracy, % (all seeds)")
    ax.set_xticks(LENGTHS)
    ax.set_ylim(0, 100)
    ax.legend()
    values = {f"{name.lower()}-{L}": fmt(pct[name, L], ".0f", rel=REL) + "%" for name, _, _ in MODELS
              for L in LENGTHS}
    values.update({"seeds": str(S), "steps": str(ds.STEPS), "batch": str(ds.BATCH), "hidden": str(ds.H)})
    return Result(figures={"digit-sum.svg": fig}, values=values)
