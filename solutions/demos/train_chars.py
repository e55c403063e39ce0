"""Next-character prediction on four short sentences: NumPy BPTT and plain SGD, before and after."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, fmt, round_sig, table
from solutions.experiments.train import SENTENCES, char_task, greedy_sample, sgd_train

H, SEED, LR, STEPS = 32, 0, 0.02, 600
REL = 1e-7  # a printed loss must survive this relative change (600 steps of float64 SGD)


def main() -> Result:
    x, y, h0, params, vocab = char_task(H, SEED)
    T, B, V = x.shape
    print(f"{B} sentences, one per batch column, padded with '.' to {T + 1} characters;")
    print(f"vocabulary of V = {V} characters: T = {T} steps, B = {B}")
    print(f"RNN: I = {V} one-hot inputs, H = {H} tanh units, O = {V} softmax outputs")
    print(f"full-batch plain SGD, lr = {LR}, {STEPS} steps, initial weights seed {SEED}\n")
    trained, losses = sgd_train(x, y, h0, params, LR, STEPS, log_every=100)
    per_char = losses / T
    marks = [0, 50, 100, 200, 300, 400, 500, STEPS - 1]
    print(f"loss per character L/T (nats; a uniform guess is ln V = {fmt(np.log(V), '.3f')}):")
    print(table(["step", "L/T"], [(s + 1, fmt(per_char[s], ".4f", rel=REL)) for s in marks]))
    print("\ngreedy samples, starting from each sentence's first character:")
    rows = [(s[0], repr(greedy_sample(params, vocab, s[0], T + 1)), repr(greedy_sample(trained, vocab, s[0], T + 1)))
            for s in SENTENCES]
    print(table(["first", "before training", "after training"], rows))

    curve = round_sig(per_char)  # 4 digits: the same on any CPU
    return Result(figures={"train-chars-loss.svg": partial(_draw, curve, V)},
                  values={"final-loss": fmt(per_char[-1], ".4f", rel=REL)})


def _draw(curve: np.ndarray, V: int, s: Style):
    fig, ax = figure(height=3.4)
    ax.semilogy(np.arange(1, len(curve) + 1), curve, lw=1.3, color=s.c("blue"))
    ax.axhline(np.log(V), color=s.c("grey"), ls="--", lw=1, label=s.t(f"uniform guess, ln {V}", f"均匀猜测，ln {V}"))
    ax.set_ylim(0.5 * curve.min(), 2 * curve.max())
    ax.set_xlabel(s.t("SGD step", "SGD 步数"))
    ax.set_ylabel(s.t("loss per character (nats)", "每字符损失（奈特）"))
    ax.legend()
    return fig
