"""A random-distractor, fresh-data variant of the course's digit-sum task (数字求和), swept: SRN, LSTM (b_f = 0, 1, 2) and GRU, each at its dev-chosen learning rate."""

from __future__ import annotations

from functools import partial
from itertools import pairwise

import numpy as np

from solutions.experiments import digit_sum_sweep as sw
from solutions.experiments import longrun
from solutions.experiments.digit_sum import CHANCE
from solutions.experiments.digit_sum_sweep import LEARNED
from solutions.publish.plotting import Style, accuracy_over_lengths, figure
from solutions.publish.report import Result, fmt, pct, table

NAME = "digit-sum-sweep"
TAIL = 3  # loss windows (of 100 steps) printed at the end of training


def main() -> Result:
    runs = {(c["model"], c["L"]): r for c, r in longrun.records(NAME)}
    lengths = [L for L in sw.LENGTHS if all((m, L) in runs for m in sw.MODELS)]
    missing = [L for L in sw.LENGTHS if L not in lengths]
    S = len(sw.SEEDS)
    print(f"Digit sum, a random-distractor, fresh-data variant of the course's task: all L digits uniform\n"
          f"random (L - 2 random distractors), answer d_1 + d_2 (19 classes); expected majority-class\n"
          f"rate {CHANCE}% (always answering 9; each seed's test set has its own class shares).\n"
          f"One layer, H = {sw.ds.H}, one-hot digits in, o = V h_T + b_o out (T = L); PyTorch's default init,\n"
          f"the LSTM's forget-gate bias b_f = b_if + b_hf set to 0, 1 or 2; float64.\n"
          f"Adam, {sw.STEPS} steps of {sw.BATCH} fresh sequences, at each learning rate of "
          f"{', '.join(f'{lr:g}' for lr in sw.LRS)};\n"
          f"{S} seeds, each with its own initial weights, training stream, dev set ({sw.DEV}) and test set "
          f"({sw.TEST}).\nA model's learning rate: the highest mean dev accuracy over the seeds.")
    print(longrun.session_summary(NAME))
    if missing:
        print(f"Not run (the recorded run stopped before them): L = {', '.join(map(str, missing))}.")

    chosen, values = {}, {}
    for L in lengths:
        rows = []
        for m in sw.MODELS:
            copies = runs[m, L]["copies"]
            dev = {lr: sum(c["dev"] for c in copies if c["lr"] == lr) for lr in sw.LRS}
            best = max(sw.LRS, key=lambda lr: (dev[lr], -lr))  # ties: the smaller rate
            chosen[m, L] = best
            rows.append([m, *(pct(dev[lr], S * sw.DEV) + ("*" if lr == best else "") for lr in sw.LRS)])
        print(f"\nL = {L}: dev accuracy (%, mean of {S} seeds) at each learning rate; * = chosen")
        print(table(["model", *(f"lr {lr:g}" for lr in sw.LRS)], rows))
        rows = []
        for m in sw.MODELS:
            key, row = _key(m), [m]
            for lr in sw.LRS:
                copies = [c for c in runs[m, L]["copies"] if c["lr"] == lr]
                dev, tests = sum(c["dev"] for c in copies), [c["test"] for c in copies]
                learned = sum(100 * t >= LEARNED * sw.TEST for t in tests)
                values[f"{key}-{L}-dev-{lr:g}"] = pct(dev, S * sw.DEV) + "%"
                values[f"{key}-{L}-test-{lr:g}"] = pct(sum(tests), S * sw.TEST) + "%"
                values[f"{key}-{L}-learned-{lr:g}"] = f"{learned} of {S}"
                values[f"{key}-{L}-learned-{lr:g}-n"] = str(learned)  # language-neutral: "k" of "seeds"
                values[f"{key}-{L}-max-{lr:g}"] = pct(max(tests), sw.TEST) + "%"
                row.append(f"{pct(sum(tests), S * sw.TEST)} ({learned} of {S})")
            rows.append(row)
        print(f"\nL = {L}: test accuracy (%, mean of {S} seeds) at each learning rate (seeds with {LEARNED}% or more)")
        print(table(["model", *(f"lr {lr:g}" for lr in sw.LRS)], rows))

    print(f"\nTest accuracy (%) at the chosen learning rate: mean of {S} seeds [each seed]; a seed with "
          f"{LEARNED}% or more learned the task")
    rows, test = [], {}
    for m in sw.MODELS:
        row = [m]
        for L in lengths:
            tests = [c["test"] for c in runs[m, L]["copies"] if c["lr"] == chosen[m, L]]
            test[m, L] = tests
            row.append(f"{pct(sum(tests), S * sw.TEST)} [{' '.join(pct(t, sw.TEST) for t in tests)}] "
                       f"(lr {chosen[m, L]:g})")
            key = _key(m)
            values[f"{key}-{L}-min"] = pct(min(tests), sw.TEST) + "%"
            values[f"{key}-{L}-max"] = pct(max(tests), sw.TEST) + "%"
            values[f"{key}-{L}"] = pct(sum(tests), S * sw.TEST) + "%"
            values[f"{key}-{L}-lr"] = f"{chosen[m, L]:g}"
            values[f"{key}-{L}-learned"] = f"{sum(100 * t >= LEARNED * sw.TEST for t in tests)} of {S}"
            values[f"{key}-{L}-learned-n"] = str(sum(100 * t >= LEARNED * sw.TEST for t in tests))  # language-neutral: "k" of "seeds"
        rows.append(row)
    print(table(["model", *(f"L = {L}" for L in lengths)], rows))
    print("\nDoes a seed's test count equal the count of one class in its own test set (what always\n"
          "answering that class scores)? 'no' means that seed's model does not answer a constant.")
    rows = []
    for L in lengths:
        _, labels = sw.data_sets(L, sw.TEST, "test")
        counts = [set(np.bincount(labels[i], minlength=19).tolist())
                  for i, (_, lr) in enumerate(sw.copies()) if lr == sw.LRS[0]]          # one per seed
        for m in sw.MODELS:
            match = [t in counts[i] for i, t in enumerate(test[m, L])]
            values[f"{_key(m)}-{L}-constant"] = f"{sum(match)} of {S}"
            values[f"{_key(m)}-{L}-constant-n"] = str(sum(match))  # language-neutral: "k" of "seeds"
            rows.append([m, f"L = {L}", " ".join("yes" if y else "no" for y in match)])
    print(table(["model", "length", f"seeds {', '.join(map(str, sw.SEEDS))}"], rows))
    print(f"\nMean training loss per 100 steps over the last {TAIL} windows (to step {sw.STEPS}) at the chosen rate:\n"
          f"mean of the {S} seeds; 'falling': seeds whose loss fell in each of the last {TAIL - 1} windows")
    rows = []
    for L in lengths:
        for m in sw.MODELS:
            losses = [c["loss"][-TAIL:] for c in runs[m, L]["copies"] if c["lr"] == chosen[m, L]]
            tail = " -> ".join(fmt(sum(w) / S, ".2f") for w in zip(*losses))
            falling = sum(all(b < a for a, b in pairwise(w)) for w in losses)
            values[f"{_key(m)}-{L}-loss-tail"] = tail.replace("->", "→")
            values[f"{_key(m)}-{L}-falling"] = f"{falling} of {S}"
            values[f"{_key(m)}-{L}-falling-n"] = str(falling)  # language-neutral: "k" of "seeds"
            rows.append([m, f"L = {L}", tail, f"{falling} of {S}"])
    print(table(["model", "length", "loss", "falling"], rows))
    print("\nReplay (rerun by this demo; equal to the committed records):")
    print(longrun.verified_replay(NAME), end="")

    values.update({"seeds": str(S), "steps": str(sw.STEPS), "batch": str(sw.BATCH), "hidden": str(sw.ds.H),
                   "lrs": ", ".join(f"{lr:g}" for lr in sw.LRS),
                   "lr-lowest": f"{min(sw.LRS):g}", "lr-middle": f"{sorted(sw.LRS)[1]:g}",
                   "lr-highest": f"{max(sw.LRS):g}", "dev": str(sw.DEV), "test": str(sw.TEST),
                   "chance": f"{CHANCE}%", "learned": f"{LEARNED}%"})
    return Result(figures={"digit-sum.svg": partial(_draw, lengths, test, S)}, values=values)


def _key(model: str) -> str:
    """The value-key stem of a model: 'LSTM b_f=2' -> 'lstm2', 'GRU' -> 'gru'."""
    return model.lower().replace(" b_f=", "").replace(" ", "")


def _draw(lengths: list[int], test: dict, S: int, s: Style):
    """Mean test accuracy per model against L (lines) and each seed (dots), at the chosen rates."""
    fig, ax = figure(height=3.8)
    colours = ("blue", "orange", "green", "red", "purple")
    for (m, marker, colour), off in zip(zip(sw.MODELS, "osD^v", colours), np.linspace(-0.6, 0.6, len(sw.MODELS))):
        ax.plot(lengths, [100.0 * sum(test[m, L]) / (S * sw.TEST) for L in lengths], marker=marker,
                color=s.c(colour), label=m)
        for L in lengths:
            ax.plot([L + off] * S, [t / 10 for t in test[m, L]], marker, color=s.c(colour), markersize=3,
                    alpha=0.5, linestyle="none")
    ax.axhline(CHANCE, color=s.c("grey"), linestyle=":", label=s.t("majority class (always 9)", "多数类（总答 9）"))
    accuracy_over_lengths(ax, s, lengths, s.t("sequence length L (distractors: L − 2)", "序列长度 L（干扰数字 L − 2 个）"))
    return fig
