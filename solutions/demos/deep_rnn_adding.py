"""The five structures trained on the adding problem (long tier: read from the committed records)."""

from __future__ import annotations

import numpy as np

from solutions.experiments import deep_rnn_adding as exp
from solutions.experiments.depth import ARCHS
from solutions.experiments.longrun import records, session_summary, verified_replay
from solutions.plotting import figure
from solutions.report import Result, fmt, round_sig, table

NAMES = {"simple": "simple", "stacked": "stacked, L = 2", "dt": "DT, m = 2", "dt-s": "DT(S), m = 2",
         "skip": "skip, Δ = 4"}
BASELINE = 1 / 6           # MSE of predicting the mean target, 1: Var(u1 + u2) = 2/12


def _final(rec: dict) -> float:
    """The last held-out MSE of a run (inf if it diverged)."""
    v = rec["eval_mse"][-1]
    return float("inf") if not np.isfinite(v) else v


def main() -> Result:
    runs = records("deep-rnn-adding")
    by = {}
    for cfg, rec in runs:
        by.setdefault((cfg["arch"], cfg["lr"]), []).append((cfg["seed"], rec))
    print(f"Adding problem, T = {exp.T}: two marked values, one in each half; target their sum;")
    print(f"predicting the mean gives MSE 1/6 = {fmt(BASELINE, '.3f')}. Adam, gradient norm clipped at {exp.CLIP:g},")
    print(f"batches of {exp.BATCH} fresh sequences, {exp.STEPS} steps; held-out MSE on the same {exp.EVAL_N} sequences")
    print(f"for every run; 'solved': held-out MSE < {exp.SOLVED:g}.")
    print(session_summary("deep-rnn-adding") + "\n")
    print("Widths chosen so that the learned numbers (recurrent part + output layer) match the")
    print(f"simple RNN's at H = {exp.BASE_WIDTH}:")
    print(table(["structure", "width H", "parameters"],
                [(NAMES[a], str(exp.WIDTH[a]), str(exp.total_params(a, exp.WIDTH[a]))) for a in ARCHS]))

    print("\nThe sweep: median final held-out MSE over the seeds (solved / seeds) per learning rate:")
    rows, best, values = [], {}, {}
    for a in ARCHS:
        row = [NAMES[a]]
        for lr in exp.LRS:
            got = by.get((a, lr), [])
            if not got:
                row.append("—")
                continue
            finals = [_final(r) for _, r in got]
            med = float(np.median(finals))
            solved = sum(f < exp.SOLVED for f in finals)
            row.append(f"{fmt(med, '.3g', rel=1e-6)} ({solved}/{len(finals)})")
            if a not in best or med < best[a][1]:
                best[a] = (lr, med)
        rows.append(row)
    print(table(["structure"] + [f"lr = {lr:g}" for lr in exp.LRS], rows))

    print("\nEach structure at its best learning rate (lowest median): final held-out MSE per seed.")
    rows, curves = [], {}
    for a in ARCHS:
        if a not in best:
            continue
        lr = best[a][0]
        got = sorted(by[(a, lr)], key=lambda sr: sr[0])
        finals = [_final(r) for _, r in got]
        solved = sum(f < exp.SOLVED for f in finals)
        rows.append((NAMES[a], f"{lr:g}", " ".join(fmt(f, ".3g", rel=1e-6) for f in finals),
                     f"{solved}/{len(finals)}"))
        values[f"{a}-best-lr"] = f"{lr:g}"
        values[f"{a}-median"] = fmt(best[a][1], ".3g", rel=1e-6)
        values[f"{a}-solved"] = f"{solved}/{len(finals)}"
        values[f"{a}-finals"] = ", ".join(fmt(f, ".3g", rel=1e-6) for f in finals)
        curves[a] = (got[0][1]["eval_step"], np.median([r["eval_mse"] for _, r in got], axis=0), lr)
    print(table(["structure", "best lr", "final MSE, seeds " + " ".join(str(s) for s in exp.SEEDS), "solved"], rows))
    print("\nReplay (rerun now, checked equal to the committed records): held-out MSE after")
    print(verified_replay("deep-rnn-adding"), end="")
    return Result(figures={"deep-rnn-adding.svg": _figure(curves)}, values=values)


def _figure(curves):
    fig, ax = figure(width=6.0, height=4.0)
    styles = {"simple": ("#222222", "o"), "stacked": ("#7f7f7f", "s"), "dt": ("#b2182b", "v"),
              "dt-s": ("#ef8a62", "^"), "skip": ("#1f5fa8", "D")}
    for a, (steps, med, lr) in curves.items():
        color, marker = styles[a]
        ax.plot(steps, round_sig(med), color=color, marker=marker, markersize=3.5, linewidth=1.6,
                markevery=2, label=f"{NAMES[a]} (lr {lr:g})")
    ax.axhline(BASELINE, color="#555555", linestyle=":", linewidth=1.2)
    ax.axhline(exp.SOLVED, color="#555555", linestyle="--", linewidth=1.0)
    ax.set_yscale("log")
    ax.set_xlabel("training step", fontsize=12)
    ax.set_ylabel("held-out MSE (median of seeds)", fontsize=12)
    ax.tick_params(labelsize=11)
    ax.legend(fontsize=10, loc="lower left")
    return fig
