"""The LSTM's forget-gate bias on the digit-sum task: the sweep's setup against the course's protocol, the sweep's rate choice, b_f = 0, 1, 2 at a lower rate and a longer budget, the gradient reach of the three biases at initialisation, step by step, and the part of the gradient reaching the cell that the cell path carries alone."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from solutions.experiments import digit_sum as ds
from solutions.experiments import digit_sum_course as dc
from solutions.experiments import digit_sum_sweep as sw
from solutions.experiments import forget_bias_sweep as fb
from solutions.experiments import gradient_reach as gr
from solutions.experiments import longrun
from solutions.experiments.digit_sum import CHANCE
from solutions.experiments.digit_sum_sweep import LEARNED
from solutions.publish.report import Result, fmt, pct, table

SWEEP = "digit-sum-sweep"
NAME = "forget-bias-sweep"
REACH = "gradient-reach"
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
          f"expected majority-class rate {CHANCE}%")
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
            values[f"{key}-learned-n"] = str(sum(100 * t >= LEARNED * sw.TEST for t in final))  # language-neutral
            for i, step in enumerate(fb.CHECK[:-1]):
                n = sum(100 * c["test"][i] >= LEARNED * sw.TEST for c in copies)
                values[f"{key}-learned-{step}"] = f"{n} of {len(copies)}"
                values[f"{key}-learned-{step}-n"] = str(n)  # language-neutral: n of "seeds"
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
    values.update(reach_by_step())
    values.update(cell_reach())
    values.update(own_rate_reach())
    values.update({"steps": str(fb.STEPS), "lrs": ", ".join(f"{lr:g}" for lr in fb.LRS),
                   "low-lr": f"{min(fb.LRS):g}", "high-lr": f"{max(fb.LRS):g}", "checks": ", ".join(map(str, fb.CHECK)),
                   "seeds": str(len(fb.SEEDS))})
    return Result(values=values)


def reach_by_step() -> dict[str, str]:
    """Part 4: the three LSTMs' gradient reach at initialisation, read from the records of
    ``gradient-reach`` (demo gated-gradients), step by step: the ratio at T − k = 1, 2, 3, the factor
    of each step back against the cell path's σ(b_f), from which T − k on the ratios are ordered
    like the biases, and from which T − k on every step back multiplies the ratio by more than σ(b_f)."""
    rec = {c["model"]: r for c, r in longrun.records(REACH) if "lr" not in c}
    biases = (0, 1, 2)
    curve = {b: rec[f"LSTM, b_f = {b}"]["init"]["curve"] for b in biases}     # index d = T − k
    T = len(curve[0])
    sigma = {b: 1 / (1 + math.exp(-b)) for b in biases}
    step = {b: [curve[b][d + 1] / curve[b][d] for d in range(T - 1)] for b in biases}   # d → d + 1
    ordered = [all(curve[a][d] < curve[b][d] for a, b in pairwise(biases)) for d in range(T)]
    order_from = min(d for d in range(1, T) if all(ordered[d:]))
    slower_from = min(d for d in range(1, T - 1) if all(x > sigma[b] for b in biases for x in step[b][d:]))
    s2 = lambda x: fmt(x, ".2g", rel=1e-5)
    s3 = lambda x: fmt(x, ".3g", rel=1e-5)        # the smallest step against sigma(b_f): 0.9 vs 0.88 needs a third digit
    print(f"\n4. The three LSTMs' gradient reach at initialisation, step by step: the ratio\n"
          f"||dL_T/dh_k|| / ||dL_T/dh_T|| of demo gated-gradients (records docs/long/{REACH}/: {gr.N} test\n"
          f"sequences of length {gr.L}, H = {ds.H}, float64, the median over {len(ds.SEEDS)} seeds), and the factor of each\n"
          "step back, the ratio at T - k = d + 1 over the ratio at d; sigma(b_f) is the cell path's factor:")
    rows = [[f"b_f = {b}", s3(sigma[b]), *(s2(curve[b][d]) for d in (1, 2, 3)), s2(step[b][1]),
             s3(min(step[b][slower_from:])), s2((curve[b][T - 1] / curve[b][1]) ** (1 / (T - 2)))] for b in biases]
    print(table(["LSTM", "sigma(b_f)", "T - k = 1", "T - k = 2", "T - k = 3", "step 1 -> 2",
                 f"smallest step from {slower_from} on", f"mean step, 1 -> {T - 1}"], rows))
    print(f"Ordered like the biases (b_f = 0 below 1 below 2) at every T - k from {order_from} on; not at "
          f"{', '.join(str(d) for d in range(1, order_from) if not ordered[d])}.\n"
          f"Every step back from T - k = {slower_from} on ({slower_from} -> {slower_from + 1}, {slower_from + 1} -> "
          f"{slower_from + 2}, ...) multiplies the ratio by more\nthan sigma(b_f), for all three biases; the step "
          f"1 -> 2 by less, for b_f = {', '.join(str(b) for b in biases if step[b][1] <= sigma[b])}.")
    values = {"reach-order-from": str(order_from), "reach-slower-from": str(slower_from),
              "reach-batch": str(gr.N), "reach-length": str(gr.L), "reach-hidden": str(ds.H),
              "reach-seeds": str(len(ds.SEEDS))}
    for b in biases:
        values |= {f"reach-lstm{b}-{d}": s2(curve[b][d]) for d in (1, 2, 3)}
        values |= {f"reach-lstm{b}-step-1": s2(step[b][1]), f"reach-lstm{b}-step-min": s3(min(step[b][slower_from:])),
                   f"reach-lstm{b}-step-mean": s2((curve[b][T - 1] / curve[b][1]) ** (1 / (T - 2))),
                   f"sigma-{b}": s3(sigma[b])}
    return values


CELL_AT = (1, 5, 10, 19)   # the T − k at which part 5 prints the cell's ratios


def cell_reach() -> dict[str, str]:
    """Part 5: the gradient that reaches the cell c_k at initialisation, whole and along the cell path
    alone (``gradient_reach.lstm_cell_reach``, computed here, a few seconds): the median over the seeds
    at the T − k of ``CELL_AT``, and the least the paths through U_* carry (triangle inequality)."""
    rec = {c["model"]: r for c, r in longrun.records(REACH) if "lr" not in c}
    digits, labels = ds.test_set(gr.L)
    s2 = lambda x: fmt(x, ".2g", rel=1e-5)
    print("\n5. The gradient that reaches the cell c_k at initialisation, on the batch of part 4: the whole\n"
          "||dL_T/dc_k|| / ||dL_T/dc_T|| (autograd, every path), and the cell path alone,\n"
          "||(prod_tau f_tau) * dL_T/dc_T|| / ||dL_T/dc_T|| with each sequence's and unit's own f_tau\n"
          "(tau = k+1 ... T); the median over the seeds. h: the ratio of part 4. The paths through U_*\n"
          "carry at least whole - cell path (triangle inequality, per seed; the median shown):")
    values: dict[str, str] = {}
    rows, shows = [], {}
    for b in (0, 1, 2):
        total, cell = gr.lstm_cell_reach(ds.init_params("lstm", ds.H, ds.SEEDS, float(b)), digits[:gr.N], labels[:gr.N])
        curve = rec[f"LSTM, b_f = {b}"]["init"]["curve"]
        other = np.median(total[:, -1] - cell[:, -1])
        for d in CELL_AT:
            tm, cm = np.median(total[:, d]), np.median(cell[:, d])
            rows.append([f"b_f = {b}", str(d), s2(curve[d]), s2(tm), s2(cm)])
            values |= {f"c-lstm{b}-{d}": s2(tm), f"cell-lstm{b}-{d}": s2(cm)}
        values |= {f"uc-lstm{b}-19": s2(other), f"uc-over-cell-lstm{b}-19": fmt(np.median((total[:, -1] - cell[:, -1]) / cell[:, -1]), ".2g", rel=1e-5)}
        over = np.median((total - cell)[:, 1:] / cell[:, 1:], axis=0)       # T − k = 1 … T − 1
        above = [d for d in range(1, len(over) + 1) if all(over[d - 1:] > 1)]
        shows[b] = (above[0] if above else None, all(over[:above[0] - 1] <= 1) if above else False)
        values[f"uc-shows-from-lstm{b}"] = str(shows[b][0])
    print(table(["LSTM", "T - k", "h", "c, whole", "c, cell path alone"], rows))
    print("Paths through U_* at T - k = 19, at least (median over seeds), and that over the cell path: "
          + "; ".join(f"b_f = {b}: {values[f'uc-lstm{b}-19']} ({values[f'uc-over-cell-lstm{b}-19']}x)" for b in (0, 1, 2)))
    print("That lower bound over the cell path, (whole - cell path) / cell path (median over seeds), exceeds 1 at\n"
          "every T - k from: " + "; ".join(f"b_f = {b}: {d} on" + ("" if ok else " (and at some T - k before)")
                                            for b, (d, ok) in shows.items())
          + (", and at no T - k before" if all(ok for _, ok in shows.values()) else ""))
    return values


def own_rate_reach() -> dict[str, str]:
    """Part 6: the gradient reach of LSTMs trained at a rate where they learned (``gradient_reach.OWN_RATE``,
    records of ``gradient-reach``): per seed at initialisation and after training, the ratios of parts 4
    and 5 at the T − k of ``CELL_AT``, and the median over the seeds that learned."""
    rec = {(c["model"], c["lr"], c["steps"]): r for c, r in longrun.records(REACH) if "lr" in c}
    s2 = lambda x: fmt(x, ".3g", rel=1e-5) if abs(x) >= 100 else fmt(x, ".2g", rel=1e-5)
    seeds = list(sw.SEEDS)
    print(f"\n6. The LSTMs trained at a rate where they learned: forget_bias_sweep's protocol (part 3; its copies\n"
          f"at that rate, {len(seeds)} seeds), measured on the batch of part 4 before and after training\n"
          f"(records docs/long/{REACH}/, gradient_reach.own_rate). h: ||dL_T/dh_k|| / ||dL_T/dh_T||; c: the\n"
          "whole ||dL_T/dc_k|| / ||dL_T/dc_T||; cell: the cell path alone (part 5). Median over the seeds\n"
          f"that learned ({LEARNED}% or more on their test set) and, in brackets, over all {len(seeds)}:")
    values: dict[str, str] = {}
    rows, seed_rows = [], []
    for cfg in gr.OWN_RATE:
        r = rec.get((cfg["model"], cfg["lr"], cfg["steps"]))
        if r is None:
            continue
        b = cfg["model"][-1]
        step = fb.CHECK.index(cfg["steps"])
        theirs = [c["test"][step] for c in {c_["b_f"]: r_ for c_, r_ in longrun.records(NAME)}[float(b)]["copies"]
                  if c["lr"] == cfg["lr"]]
        if theirs != r["test"]:
            raise ValueError(f"{REACH} {cfg}: test counts {r['test']} differ from {NAME}'s {theirs} after {cfg['steps']} steps")
        ok = [i for i, t in enumerate(r["test"]) if 100 * t >= LEARNED * sw.TEST]
        key = f"own-lstm{b}"
        values |= {f"{key}-lr": f"{cfg['lr']:g}", f"{key}-steps": str(cfg["steps"]),
                   f"{key}-learned-n": str(len(ok)), f"{key}-seeds": str(len(seeds)),
                   f"{key}-test": " / ".join(pct(t, sw.TEST) for t in r["test"]) + "%"}
        for stage in ("init", "trained"):
            for q in ("h", "c", "cell"):
                arr = np.asarray(r[stage][q])
                row = [f"b_f = {b}, lr {cfg['lr']:g}, {cfg['steps']} steps", stage, q]
                for d in CELL_AT:
                    m = s2(np.median(arr[ok, d])) if ok else "-"
                    row.append(f"{m} ({s2(np.median(arr[:, d]))})")
                    values[f"{key}-{stage}-{q}-{d}"] = m
                rows.append(row)
        d = CELL_AT[-1]
        cell_t, c_t = np.asarray(r["trained"]["cell"])[:, d], np.asarray(r["trained"]["c"])[:, d]
        cell_0 = np.asarray(r["init"]["cell"])[:, d]
        for i in range(len(seeds)):
            seed_rows.append([f"b_f = {b}", str(seeds[i]), pct(r["test"][i], sw.TEST) + "%",
                              "yes" if i in ok else "no", s2(cell_0[i]), s2(cell_t[i]), s2(c_t[i])])
        fail = [i for i in range(len(seeds)) if i not in ok]
        span = lambda a: (s2(min(a)) if s2(min(a)) == s2(max(a)) else f"{s2(min(a))}–{s2(max(a))}") if len(a) else "-"
        values |= {f"{key}-learners-cell-{d}": span([cell_t[i] for i in ok]),
                   f"{key}-learners-c-{d}": span([c_t[i] for i in ok]),
                   f"{key}-others-cell-{d}": span([cell_t[i] for i in fail]),
                   f"{key}-others-c-{d}": span([c_t[i] for i in fail])}
        print(f"b_f = {b} at lr {cfg['lr']:g}, {cfg['steps']} steps: test "
              + " ".join(pct(t, sw.TEST) for t in r["test"]) + f"%; learned on {len(ok)} of {len(seeds)}")
    print(table(["LSTM", "stage", "ratio", *(f"T - k = {d}" for d in CELL_AT)], rows))
    print(f"Check: each seed's test count equals that of the same copy in {NAME}'s records (part 3) at that step.")
    print(f"Per seed, at T - k = {CELL_AT[-1]} (learned: {LEARNED}% or more on its test set); cell at initialisation, then after training:")
    print(table(["LSTM", "seed", "test", "learned", "cell, init", "cell", "c, whole"], seed_rows))
    return values
