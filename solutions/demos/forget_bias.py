"""The LSTM's forget-gate bias on the digit-sum task: the sweep's setup against the course's protocol, the sweep's rate choice, and b_f = 0, 1, 2 at a lower rate and a longer budget."""

from __future__ import annotations

import math

from solutions.experiments import digit_sum_course as dc
from solutions.experiments import digit_sum_sweep as sw
from solutions.experiments import forget_bias_sweep as fb
from solutions.experiments import longrun
from solutions.experiments.digit_sum import CHANCE
from solutions.experiments.digit_sum_sweep import LEARNED
from solutions.publish.report import Result, fmt, pct, table

SWEEP = "digit-sum-sweep"
NAME = "forget-bias-sweep"
L = fb.L  # the length the LSTM page discusses


def setups() -> list[list[str]]:
    """What differs between the swept comparison and the course's protocol, read from the two modules."""
    train, dev, test = dc.data(L)
    steps = dc.EPOCHS * -(-len(train[1]) // dc.BATCH)
    return [
        ["distractors", "L - 2 random digits", "zeros and one random digit"],
        ["training set", "fresh batches, per seed", f"{len(train[1])} fixed (100 pairs x 3), shared"],
        ["dev / test", f"{sw.DEV} / {sw.TEST} new, per seed", f"{len(dev[1])} / {len(test[1])}, the same pairs"],
        ["steps", f"{sw.STEPS}", f"{steps} ({dc.EPOCHS} epochs)"],
        ["Adam rate", ", ".join(f"{lr:g}" for lr in sw.LRS), f"{dc.LR:g}"],
        ["batch", f"{sw.BATCH}", f"{dc.BATCH}"],
        ["input", "one-hot", f"embedding ({dc.EMBED})"],
        ["hidden units", f"{sw.ds.H}", f"{dc.HIDDEN}"],
        ["initialisation", "PyTorch's default", "Xavier-uniform"],
        ["forget bias b_f", "set to 0, 1 or 2", "Xavier (near 0)"],
        ["precision", "float64", "float32"],
        ["model scored", "after the last step", "best-dev checkpoint"],
        ["seeds", f"{len(sw.SEEDS)}, own data each", f"{len(dc.SEEDS)}, one data set"],
    ]


def main() -> Result:
    values: dict[str, str] = {}
    print("1. The swept comparison (demo digit-sum) and the course's protocol (demo digit-sum-course),\n"
          "as the code runs them (solutions/experiments/digit_sum_sweep.py, digit_sum_course.py); the\n"
          "sweep's rate is the one with the best mean dev accuracy, the course's distractor sits at a\n"
          "random position >= 2:")
    print(table(["", "swept comparison", "course's protocol"], setups()))

    sweep = {c["model"]: r for c, r in longrun.records(SWEEP) if c["L"] == L}
    S = len(sw.SEEDS)
    print(f"\n2. The sweep's LSTMs at L = {L}: mean dev accuracy (%, {S} seeds) at each rate; "
          f"majority-class rate {CHANCE}%")
    rows = []
    for b in (0, 1, 2):
        copies = sweep[f"LSTM b_f={b}"]["copies"]
        dev = [pct(sum(c["dev"] for c in copies if c["lr"] == lr), S * sw.DEV) for lr in sw.LRS]
        rows.append([f"b_f = {b}", *dev])
        values[f"sweep-lstm{b}-dev"] = " / ".join(dev) + "%"
    print(table(["LSTM", *(f"lr {lr:g}" for lr in sw.LRS)], rows))
    span = L - 1
    factors = {b: fmt((1 / (1 + math.exp(-b))) ** span, ".2g") for b in (0, 1, 2)}
    print(f"\nThe cell path's factor over the task's {span} steps at initialisation (weights near 0, f = sigma(b_f)):\n"
          + ", ".join(f"sigma({b})^{span} = {v}" for b, v in factors.items()))
    values.update({f"cell-path-{b}": v for b, v in factors.items()} | {"span": str(span)})

    runs = {c["b_f"]: r for c, r in longrun.records(NAME)}
    biases = [b for b in fb.BIASES if b in runs]
    print(f"\n3. The sweep's task, model, seeds, data, initial weights, batch and Adam at L = {L}, at rates\n"
          f"{', '.join(f'{lr:g}' for lr in fb.LRS)} for {fb.STEPS} steps (solutions/experiments/forget_bias_sweep.py).")
    print(longrun.session_summary(NAME))
    missing = [b for b in fb.BIASES if b not in runs]
    if missing:
        print(f"Not run (the recorded run stopped before them): b_f = {', '.join(f'{b:g}' for b in missing)}.")
    print(f"Test accuracy (%) of seeds {', '.join(map(str, fb.SEEDS))} after each number of steps; "
          f"learned: {LEARNED}% or more")
    rows = []
    for b in sorted(biases):
        for lr in fb.LRS:
            copies = [c for c in runs[b]["copies"] if c["lr"] == lr]
            final = [c["test"][-1] for c in copies]
            learned = f"{sum(100 * t >= LEARNED * sw.TEST for t in final)} of {len(final)}"
            rows.append([f"b_f = {b:g}", f"{lr:g}",
                         *(" ".join(pct(c["test"][i], sw.TEST) for c in copies) for i in range(len(fb.CHECK))),
                         learned])
            key = f"fb{b:g}-{lr:g}"
            values[f"{key}-test"] = " / ".join(pct(t, sw.TEST) for t in final) + "%"
            values[f"{key}-learned"] = learned
            for i, step in enumerate(fb.CHECK[:-1]):
                n = sum(100 * c["test"][i] >= LEARNED * sw.TEST for c in copies)
                values[f"{key}-learned-{step}"] = f"{n} of {len(copies)}"
    print(table(["LSTM", "lr", *(f"after {s}" for s in fb.CHECK), "learned"], rows))

    at = fb.CHECK.index(sw.STEPS)  # the sweep's budget is one of the checkpoints
    pairs = [(c, s) for b in biases for c in runs[b]["copies"] for s in sweep[f"LSTM b_f={b:g}"]["copies"]
             if (s["seed"], s["lr"]) == (c["seed"], c["lr"])]
    differ = [(c["seed"], c["lr"]) for c, s in pairs if (s["dev"], s["test"]) != (c["dev"][at], c["test"][at])]
    if differ:
        raise ValueError(f"{NAME}: after {sw.STEPS} steps the copies (seed, lr) {differ} differ from the "
                         f"sweep's records ({SWEEP}), which trained them the same way")
    print(f"Check: after {sw.STEPS} steps at the sweep's own rate "
          f"{', '.join(f'{lr:g}' for lr in fb.LRS if lr in sw.LRS)}, the dev and test counts of all "
          f"{len(pairs)} such copies equal the sweep's records.")
    print("\nReplay (rerun by this demo; checked against the committed records):")
    print(longrun.verified_replay(NAME), end="")
    values.update({"steps": str(fb.STEPS), "lrs": ", ".join(f"{lr:g}" for lr in fb.LRS),
                   "low-lr": f"{min(fb.LRS):g}", "high-lr": f"{max(fb.LRS):g}", "checks": ", ".join(map(str, fb.CHECK)),
                   "seeds": str(len(fb.SEEDS))})
    return Result(values=values)
