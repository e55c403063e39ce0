"""The course's digit-sum task (数字求和): simple RNN vs LSTM vs GRU as the distance L grows, several seeds."""

from __future__ import annotations

import sys
from functools import partial

import numpy as np

from solutions.experiments import digit_sum as ds
from solutions.publish.plotting import Style, figure
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

    curves = {name: [round(pct[name, L]) for L in LENGTHS] for name, _, _ in MODELS}
    values = {f"{name.lower()}-{L}": fmt(pct[name, L], ".0f", rel=REL) + "%" for name, _, _ in MODELS
              for L in LENGTHS}
    values.update({"seeds": str(S), "steps": str(ds.STEPS), "batch": str(ds.BATCH), "hidden": str(ds.H)})
    return Result(figures={"digit-sum.svg": partial(_draw, curves)}, values=values)


def _draw(curves: dict[str, list[int]], s: Style):
    fig, ax = figure(height=3.6)
    for (name, _, fb), marker, colour in zip(MODELS, "osD", ("blue", "orange", "green")):
        label = name if fb is None else f"{name} (b_f = {fb:g})"
        ax.plot(LENGTHS, curves[name], marker=marker, color=s.c(colour), label=label)
    ax.axhline(CHANCE, color=s.c("grey"), linestyle=":", label=s.t("chance (always 9)", "随机水平（总答 9）"))
    ax.set_xlabel(s.t("sequence length L (distractors: L − 2)", "序列长度 L（干扰数字 L − 2 个）"))
    ax.set_ylabel(s.t("test accuracy, % (all seeds)", "测试准确率 %（全部种子）"))
    ax.set_xticks(LENGTHS)
    ax.set_ylim(0, 100)
    ax.legend()
    return fig
