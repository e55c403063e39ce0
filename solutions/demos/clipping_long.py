"""The clipping experiment over 400 steps, read from the long tier's committed records (docs/long/clipping-long/)."""

from __future__ import annotations

import math

import numpy as np

from solutions.experiments import clipping_long as cl
from solutions.experiments import clipping_train as ct
from solutions.experiments import longrun
from solutions.publish.report import PERTURB, SENSITIVE, Result, fmt, table

NAME = "clipping-long"
NAMES = {"none": "none", "value": f"by value, κ = {ct.CLIP_VALUE}", "norm": f"by norm, g_max = {ct.MAX_NORM:g}"}


def sig2(x: float) -> str:
    """Two significant digits (read from the records: the same text on every machine)."""
    return fmt(x, ".2g", rel=1e-6)


def main() -> Result:
    pairs = longrun.records(NAME)
    rec = {(c["mode"], c["lr"], c["seed"], c["perturb"]): r for c, r in pairs}
    n = len(cl.SEEDS)
    print(f"The experiment of clipping-train (delayed recall, tanh RNN, U = {ct.U_SCALE} × orthogonal, plain SGD,\n"
          f"the same stopping rule) for {cl.STEPS} steps instead of {ct.STEPS}, seeds {cl.SEEDS[0]}-{cl.SEEDS[-1]}; the first {ct.STEPS}\n"
          f"steps of a run are clipping-train's run. L/T @s: loss per time step at step s, median over the\n"
          f"runs still going; *: the twin runs (initial W × (1 + {PERTURB:g})) move this median by more than\n"
          f"{10 * SENSITIVE:g} (relative), so its digits are this machine's (training is chaotic there).\n"
          f"spiked: runs whose ‖g‖ passed {ct.SPIKE:g} × its step-1 value; max ‖g‖/‖g₁‖: the largest over\n"
          f"the runs; clipped: share of all steps with ‖g‖ > g_max (norm clipping).")
    print(longrun.session_summary(NAME))
    none_lrs = [f"{lr:g}" for m, lr in cl.SETTINGS if m == "none"]
    rows, values = [], {"steps": str(cl.STEPS), "n": str(n), "seeds": f"{cl.SEEDS[0]}-{cl.SEEDS[-1]}",
                        "none-lrs": ", ".join(none_lrs[:-1]) + " and " + none_lrs[-1],
                        "none-lrs-zh": "、".join(none_lrs)}
    raw = {}
    for mode, lr in cl.SETTINGS:
        runs = [rec[(mode, lr, s, 0.0)] for s in cl.SEEDS]
        twins = [rec[(mode, lr, s, PERTURB)] for s in cl.SEEDS]
        key = f"{mode}-{lr:g}"
        cells = []
        for step in cl.READ:
            a, b = ([r["loss"][str(step)] for r in rs] for rs in (runs, twins))
            live = [x for x in a if x is not None]
            if not live:
                cells.append("—")
                continue
            m = float(np.median(live))
            live_b = [x for x in b if x is not None]
            raw[(mode, lr)] = m, float(np.median(live_b))   # run and twin; the last step's, after the loop
            chaotic = len(live_b) != len(live) or abs(float(np.median(live_b)) - m) > 10 * SENSITIVE * m
            cells.append(sig2(m) + ("*" if chaotic else ""))
            values[f"{key}-{step}"] = sig2(m)             # prose says which are chaotic (a * is markdown)
        spiked = f"{sum(r['spike'] > 0 for r in runs)}/{n}"
        diverged = f"{sum(r['stopped'] for r in runs)}/{n}"
        ratio = sig2(max(r["max_ratio"] for r in runs))
        clipped = (f"{sum(r['clipped'] for r in runs) / sum(r['steps_run'] for r in runs):.1%}"  # counts: exact
                   if mode == "norm" else "—")
        rows.append([f"{lr:g}", NAMES[mode], spiked, diverged, *cells, ratio, clipped])
        values.update({f"{key}-spiked": spiked, f"{key}-diverged": diverged, f"{key}-ratio": ratio,
                       f"{key}-clipped": clipped})
    print(table(["η", "clipping", "spiked", "diverged", *(f"L/T @{s}" for s in cl.READ), "max ‖g‖/‖g₁‖", "clipped"],
                rows))
    last = str(cl.STEPS)
    best_lr = min((lr for m, lr in cl.SETTINGS if m == "none"), key=lambda lr: raw[("none", lr)][0])
    best_twin = min(raw[("none", lr)][1] for m, lr in cl.SETTINGS if m == "none")
    values.update({"best-none-lr": f"{best_lr:g}", "best-none": values[f"none-{best_lr:g}-{last}"],
                   "ratio-400": sig2(raw[("none", best_lr)][0] / raw[("norm", 0.3)][0]),
                   "ratio-400-twin": sig2(best_twin / raw[("norm", 0.3)][1])})
    print(f"At step {cl.STEPS}, the lowest unclipped median (η = {best_lr:g}: {values['best-none']}) is {values['ratio-400']} × that of norm\n"
          f"clipping at η = 0.3 ({values[f'norm-0.3-{last}']}); over the twin runs, {values['ratio-400-twin']} ×.\n")
    print(longrun.verified_replay(NAME), end="")
    return Result(figures={}, values=values)
