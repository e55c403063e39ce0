"""The remedies of 6-3 trained ten times longer (800 steps, η up to 10): read from the recorded long run."""

from __future__ import annotations

import math

import numpy as np

from solutions.experiments import longrun
from solutions.experiments import remedies_long as rl
from solutions.experiments import remedies_sweep as sweep
from solutions.publish.report import Result, fmt, table

NAME = "residual-remedies-long"
PRINTED = (80, 400, 800)          # steps of rl.CHECKS shown in the table


def learned(finals: list, edge: float) -> int:
    """Runs whose final loss per time step is below ``edge`` (None: stopped before)."""
    return sum(1 for v in finals if v is not None and v < edge)


def count(main: int, twin: int) -> str:
    """``k/N``, with the twins' count beside it where it differs (training there is chaotic)."""
    return f"{main}/{sweep.N}" if main == twin else f"{main}/{sweep.N} (twin {twin})"


def median(values: list, spec: str) -> str:
    """Median of the runs not stopped (None: stopped), or — if every run was stopped."""
    alive = [v for v in values if v is not None]
    return fmt(float(np.median(alive)), spec, rel=1e-5) if alive else "—"


def main() -> Result:
    N = sweep.N
    edge = sweep.LEARNED * math.log(sweep.TASK.K)
    last = str(rl.CHECKS[-1])
    print(f"residual-remedies' runs trained for {rl.STEPS} steps instead of {sweep.STEPS}: the same task, model,\n"
          f"remedies, seeds, batches and stopping rules, η = {', '.join(f'{lr:g}' for lr in rl.LRS)}\n"
          f"(η = {', '.join(f'{lr:g}' for lr in rl.EXTRA_LRS)} beyond the demo's grid), {N} runs each, and a twin of every run\n"
          f"(its initial W multiplied by 1 + {sweep.TWIN:g}).")
    print(longrun.session_summary(NAME))
    print(f"learned @s: runs still running at step s whose loss per time step, averaged over the\n"
          f"  {rl.LAST} steps up to s, is below {sweep.LEARNED} ln {sweep.TASK.K} = {fmt(edge, '.3f')}. diverged: runs stopped by step\n"
          f"  {rl.STEPS} (‖g‖₂ or the loss passed {sweep.EXPLODE:g}; a clipped run only by its loss). final L/T and\n"
          f"  ‖h_T‖: medians at step {rl.STEPS} over the runs not stopped. max ‖g‖₂: the largest gradient norm of\n"
          f"  any run before it stopped (before clipping). (twin k): the twins' count, where it\n"
          f"  differs: there training is chaotic, and another machine may give either count.")
    rec = {c["remedy"]: r for c, r in longrun.records(NAME)}
    rows, best_rows = [], []
    values = {"steps": str(rl.STEPS), "lrs": ", ".join(f"{lr:g}" for lr in rl.LRS)}
    for key, remedy in sweep.REMEDIES.items():
        scored = []
        for lr in rl.LRS:
            r = rec[key][f"{lr:g}"]
            div = [sum(1 for d in r["diverged_at"][a:a + N] if d) for a in (0, N)]
            cells = {c: [learned(r["final"][str(c)][a:a + N], edge) for a in (0, N)] for c in PRINTED}
            norm = max(v for v in r["max_norm"][:N] if v is not None)
            loss = median(r["final"][last][:N], ".2f")
            row = [remedy.name, f"{lr:g}", count(*div), *(count(*cells[c]) for c in PRINTED), loss,
                   median([h if f is not None else None for h, f in zip(r["h_last"][:N], r["final"][last][:N])], ".2g"),
                   fmt(norm, ".2g", rel=1e-5)]
            rows.append(row)
            k = f"{key}-{lr:g}"
            values.update({f"{k}-diverged": row[2], f"{k}-loss": loss, f"{k}-h": row[-2], f"{k}-max-norm": row[-1]})
            values.update({f"{k}-learned-{c}": count(*cells[c]) for c in PRINTED})
            scored.append((-cells[PRINTED[-1]][0], div[0], float(loss) if loss != "—" else math.inf, lr))
        _, _, _, lr = min(scored)
        k = f"{key}-{lr:g}"
        alive = [v for v in rec[key][f"{lr:g}"]["final"][last][:N] if v is not None]
        spread = f"{fmt(min(alive), '.2g', rel=1e-5)}–{fmt(max(alive), '.2g', rel=1e-5)}" if alive else "—"
        best_rows.append([remedy.name, f"{lr:g}", values[f"{k}-diverged"], values[f"{k}-learned-{last}"],
                          values[f"{k}-loss"], spread])
        values.update({f"{key}-best-lr": f"{lr:g}", f"{key}-best-learned": values[f"{k}-learned-{last}"],
                       f"{key}-best-loss": values[f"{k}-loss"], f"{key}-best-range": spread})
    print(table(["remedy", "η", "diverged", *(f"learned @{c}" for c in PRINTED), "final L/T", "‖h_T‖",
                 "max ‖g‖₂"], rows))
    print(f"\nEach remedy at its best η at step {rl.STEPS}: most runs learned, then fewest diverged, then the\n"
          f"lowest final L/T, then the smallest η. range: the smallest and largest final L/T of the runs not stopped.")
    print(table(["remedy", "η", "diverged", f"learned @{last}", "final L/T", "range"], best_rows))
    print()
    print(longrun.verified_replay(NAME), end="")
    return Result(figures={}, values=values)
