"""Next-character prediction on four short sentences: NumPy BPTT and plain SGD, before and after."""

from __future__ import annotations

import numpy as np

from solutions.publish.plotting import figure
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

    fig, ax = figure(height=3.4)
    ax.semilogy(np.arange(1, STEPS + 1), round_sig(per_char), lw=1.2, color="C0")  # 4 digits: same on any CPU
    ax.axhline(np.log(V), color="0.5", ls="--", lw=0.8, label=f"uniform guess, ln {V}")
    ax.set_ylim(0.5 * per_char.min(), 2 * per_char.max())
    ax.set_xlabel("SGD step")
    ax.set_ylabel("loss per character L/T (nats)")
    ax.set_title("Next-character prediction: NumPy BPTT, plain SGD")
    ax.legend()
    return Result(figures={"train-chars-loss.svg": fig},
                  values={"final-loss": fmt(per_char[-1], ".4f", rel=REL)})
