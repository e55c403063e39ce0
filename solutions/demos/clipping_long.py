"""The clipping experiment over 400 steps, read from the long tier's committed records (docs/long/clipping-long/)."""

from __future__ import annotations

import math

import numpy as np

from solutions.experiments import clipping_long as cl
from solutions.experiments import clipping_train as ct
from solutions.experiments import longrun
from solutions.publish.report import PERTURB, SENSITIVE, Result, count_class, fmt, table

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
          f"spiked: runs whose ‖g‖ passed {ct.SPIKE:g} × its step-1 value; diverged: runs stopped by the rule;\n"
          f"failed: runs that diverged or end step {cl.STEPS} above chance (L/T > ln {ct.K}); in a row with a * or whose\n"
          f"twins give another count, a count is printed as in clipping-train: 0/n or n/n when run and twin\n"
          f"agree on it, ≤n/2 or ≥n/2 when both lie on that side, else ?; max ‖g‖/‖g₁‖: the largest over\n"
          f"the runs; clipped: share of all steps with ‖g‖ > g_max (norm clipping).")
    print(longrun.session_summary(NAME))
    none_lrs = [f"{lr:g}" for m, lr in cl.SETTINGS if m == "none"]
    rows, values = [], {"steps": str(cl.STEPS), "n": str(n), "seeds": f"{cl.SEEDS[0]}-{cl.SEEDS[-1]}",
                        "none-lrs": ", ".join(none_lrs[:-1]) + " and " + none_lrs[-1],
                        "none-lrs-zh": "、".join(none_lrs)}
    raw, finals = {}, {}
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
        counts = {}
        for what, hit in (("spiked", lambda r: r["spike"] > 0), ("diverged", lambda r: r["stopped"]),
                          ("failed", lambda r: r["stopped"] or r["loss"][str(cl.STEPS)] > math.log(ct.K))):
            counts[what] = [sum(bool(hit(r)) for r in rs) for rs in (runs, twins)]
        row_chaotic = any(c.endswith("*") for c in cells) or any(a != b for a, b in counts.values())
        spiked, diverged, failed = (count_class(min(c), max(c), n) if row_chaotic else f"{c[0]}/{n}"
                                    for c in counts.values())
        finals[(mode, lr)] = [r["loss"][str(cl.STEPS)] for r in runs + twins if not r["stopped"]]
        ratio = sig2(max(r["max_ratio"] for r in runs))
        clipped = (f"{sum(r['clipped'] for r in runs) / sum(r['steps_run'] for r in runs):.1%}"  # counts: exact
                   if mode == "norm" else "—")
        rows.append([f"{lr:g}", NAMES[mode], spiked, diverged, failed, *cells, ratio, clipped])
        values.update({f"{key}-spiked": spiked, f"{key}-diverged": diverged, f"{key}-failed": failed,
                       f"{key}-ratio": ratio,
                       f"{key}-clipped": clipped})
    print(table(["η", "clipping", "spiked", "diverged", "failed", *(f"L/T @{s}" for s in cl.READ), "max ‖g‖/‖g₁‖", "clipped"],
                rows))
    last = str(cl.STEPS)
    none_lrs_f = [lr for m, lr in cl.SETTINGS if m == "none"]
    best_lr = min(none_lrs_f, key=lambda lr: raw[("none", lr)][0])
    best_twin_lr = min(none_lrs_f, key=lambda lr: raw[("none", lr)][1])
    best_twin = raw[("none", best_twin_lr)][1]
    chance = math.log(ct.K)
    none_min = min(x for lr in none_lrs_f for x in finals[("none", lr)])      # runs and twins that kept going
    norm_max = max(finals[("norm", 0.3)])
    value_max = max(finals[("value", 0.1)])
    # norm clipping at η = 0.3: share of steps 81-400 clipped, given that steps 1-80 all were (the sweep's 100%)
    late = [(sum(r["clipped"] for r in rs) - ct.STEPS * n) / ((cl.STEPS - ct.STEPS) * n)
            for rs in ([rec[("norm", 0.3, s, p)] for s in cl.SEEDS] for p in (0.0, PERTURB))]
    values.update({"best-none-lr": f"{best_lr:g}", "best-none": values[f"none-{best_lr:g}-{last}"],
                   "best-none-twin-lr": f"{best_twin_lr:g}", "best-none-twin": sig2(best_twin),
                   "ratio-400": sig2(raw[("none", best_lr)][0] / raw[("norm", 0.3)][0]),
                   "ratio-400-twin": sig2(best_twin / raw[("norm", 0.3)][1]),
                   "none-min-400": sig2(none_min), "norm-0.3-max-400": sig2(norm_max),
                   "value-0.1-max-400": sig2(value_max),
                   "value-0.1-ratio-400": sig2(raw[("none", best_lr)][0] / raw[("value", 0.1)][0]),
                   # an upper bound: rounded up (late is k/1920, rounding to nearest can fall below it)
                   "norm-0.3-late-clipped": f"{math.ceil(1000 * max(late)) / 10:.1f}%"})
    # the same share run by run (steps 81-400 all recorded as counts: exact, the same on every machine)
    late_runs = [[(r["clipped"] - ct.STEPS) / (cl.STEPS - ct.STEPS) for r in (rec[("norm", 0.3, s, p)] for s in cl.SEEDS)]
                 for p in (0.0, PERTURB)]
    flat = late_runs[0] + late_runs[1]
    values.update({"norm-0.3-late-min": f"{math.floor(1000 * min(flat)) / 10:.1f}%",
                   "norm-0.3-late-max": f"{math.ceil(1000 * max(flat)) / 10:.1f}%",
                   "norm-0.3-late-half-run": str(sum(x > 0.5 for x in late_runs[0])),
                   "norm-0.3-late-half-twin": str(sum(x > 0.5 for x in late_runs[1]))})

    def relapsed(r: dict) -> bool:
        """Had learned (L/T < 0.01 at a recorded step s), then spiked or stopped after s, or ended above chance."""
        learned_at = [int(s) for s, x in r["loss"].items() if x is not None and x < 0.01]
        if not learned_at:
            return False
        s = min(learned_at)
        return (r["stopped"] and r["steps_run"] > s) or r["spike"] > s or (
            r["loss"][str(cl.STEPS)] is not None and r["loss"][str(cl.STEPS)] > chance)
    # every unclipped run that kept going and ends below chance has learned the task: a position whose
    # right token has probability <= 1/2 costs at least ln 2, so at most L/T / ln 2 of the positions are such
    learned = max(x for lr in none_lrs_f for x in finals[("none", lr)] if x < chance)
    values.update({"none-learned-max-400": sig2(learned),
                   "none-learned-right-400": f"{math.floor(1000 * (1 - learned / math.log(2))) / 10:.1f}%"})
    above = {lr: [[sum(r["loss"][last] > chance for r in rs if not r["stopped"]),
                   sum(r["stopped"] for r in rs)]
                  for rs in ([rec[("none", lr, s, p)] for s in cl.SEEDS] for p in (0.0, PERTURB))]
             for lr in none_lrs_f}
    values.update({f"none-{lr:g}-above-{w}": str(above[lr][i][0]) for lr in none_lrs_f for i, w in enumerate(("run", "twin"))})
    values.update({f"none-{lr:g}-stopped-{w}": str(above[lr][i][1]) for lr in none_lrs_f for i, w in enumerate(("run", "twin"))})
    relapse = {lr: [sum(relapsed(rec[("none", lr, s, p)]) for s in cl.SEEDS) for p in (0.0, PERTURB)]
               for lr in none_lrs_f}
    values.update({f"none-{lr:g}-relapsed-{w}": str(relapse[lr][i]) for lr in none_lrs_f for i, w in enumerate(("run", "twin"))})
    print(f"At step {cl.STEPS}, the lowest unclipped median (η = {best_lr:g}: {values['best-none']}) is {values['ratio-400']} × that of norm\n"
          f"clipping at η = 0.3 ({values[f'norm-0.3-{last}']}); over the twin runs the lowest unclipped median is at\n"
          f"η = {best_twin_lr:g} ({values['best-none-twin']}), {values['ratio-400-twin']} × that of norm clipping at η = 0.3.")
    print("Unclipped, (stopped, ended above chance) of this machine's runs and of their twins:\n" + "; ".join(
        f"η = {lr:g}: ({above[lr][0][1]}, {above[lr][0][0]}) and ({above[lr][1][1]}, {above[lr][1][0]})" for lr in none_lrs_f) + ".")
    print(f"Per run, runs and twins alike: the largest L/T @{last} of norm clipping at η = 0.3 is {values['norm-0.3-max-400']},\n"
          f"of value clipping at η = 0.1 {values['value-0.1-max-400']}; the smallest of any unclipped run that kept going\n"
          f"is {values['none-min-400']}. Norm clipping at η = 0.3 clipped at most {values['norm-0.3-late-clipped']} of steps "
          f"{ct.STEPS + 1}-{cl.STEPS}\n(runs or twins, rounded up; given that it clipped every one of steps 1-{ct.STEPS}, as in clipping-train);\n"
          f"run by run {values['norm-0.3-late-min']}-{values['norm-0.3-late-max']}, above half in {values['norm-0.3-late-half-run']} of {n} runs "
          f"and {values['norm-0.3-late-half-twin']} of {n} twins.\n"
          "Unclipped runs that had learned (L/T < 0.01 at a step read above) and then spiked, stopped or ended\n"
          "above chance, of this machine's runs and of their twins: " + "; ".join(
              f"η = {lr:g}: {relapse[lr][0]} and {relapse[lr][1]}" for lr in none_lrs_f) + ".\n"
          f"Every unclipped run that kept going and ends below chance has L/T @{last} ≤ {values['none-learned-max-400']}: its right token has\n"
          f"probability > 1/2 at ≥ {values['none-learned-right-400']} of the positions (a position where it has ≤ 1/2 costs ≥ ln 2).\n")
    print(longrun.verified_replay(NAME), end="")
    return Result(figures={}, values=values)
