"""The five structures trained on the adding problem (long tier: read from the committed records)."""

from __future__ import annotations

import numpy as np

from solutions.experiments import deep_rnn_adding as exp
from solutions.experiments.depth import ARCHS
from solutions.experiments.longrun import records, session_summary, verified_replay
from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, fmt, round_sig, table

NAMES = {"simple": "simple", "stacked": "stacked, L = 2", "dt": "DT, m = 2", "dt-s": "DT(S), m = 2",
         "skip": "skip, Δ = 4"}
BASELINE = 1 / 6           # MSE of predicting the mean target, 1: Var(u1 + u2) = 2/12


def _final(rec: dict, key: str) -> float:
    """The last ``dev_mse`` or ``test_mse`` of a run (inf if it diverged)."""
    v = rec[key][-1]
    return float("inf") if not np.isfinite(v) else v


def main() -> Result:
    runs = records("deep-rnn-adding")
    by = {}
    for cfg, rec in runs:
        by.setdefault((cfg["arch"], cfg["lr"]), []).append((cfg["seed"], rec))
    print(f"Adding problem, T = {exp.T}: two marked values, one in each half; target their sum;")
    print(f"predicting the mean gives MSE 1/6 = {fmt(BASELINE, '.3f')}. Adam, gradient norm clipped at {exp.CLIP:g},")
    print(f"batches of {exp.BATCH} fresh sequences, {exp.STEPS} steps. Every run is evaluated on the same")
    print(f"{exp.EVAL_N} dev sequences, which choose the learning rate, and the same {exp.EVAL_N} test sequences,")
    print(f"which only report; 'solved': test MSE < {exp.SOLVED:g}.")
    print(session_summary("deep-rnn-adding") + "\n")
    print("Widths chosen so that the learned numbers (recurrent part + output layer) match the")
    print(f"simple RNN's at H = {exp.BASE_WIDTH}:")
    print(table(["structure", "width H", "parameters"],
                [(NAMES[a], str(exp.WIDTH[a]), str(exp.total_params(a, exp.WIDTH[a]))) for a in ARCHS]))

    print("\nThe sweep: median final dev MSE over the seeds, per learning rate:")
    rows, best, values = [], {}, {}
    for a in ARCHS:
        row = [NAMES[a]]
        for lr in exp.LRS:
            got = by.get((a, lr), [])
            if not got:
                row.append("—")
                continue
            med = float(np.median([_final(r, "dev_mse") for _, r in got]))
            row.append(fmt(med, ".3g", rel=1e-6))
            if a not in best or med < best[a][1]:
                best[a] = (lr, med)
        rows.append(row)
    print(table(["structure"] + [f"lr = {lr:g}" for lr in exp.LRS], rows))

    print("\nEach structure at the learning rate with the lowest median dev MSE: final test MSE per seed.")
    rows, curves = [], {}
    for a in ARCHS:
        if a not in best:
            continue
        lr = best[a][0]
        got = sorted(by[(a, lr)], key=lambda sr: sr[0])
        finals = [_final(r, "test_mse") for _, r in got]
        solved = sum(f < exp.SOLVED for f in finals)
        rows.append((NAMES[a], f"{lr:g}", " ".join(fmt(f, ".3g", rel=1e-6) for f in finals),
                     f"{solved}/{len(finals)}"))
        values[f"{a}-best-lr"] = f"{lr:g}"
        values[f"{a}-median"] = fmt(best[a][1], ".3g", rel=1e-6)
        values[f"{a}-solved"] = f"{solved}/{len(finals)}"
        values[f"{a}-finals"] = ", ".join(fmt(f, ".3g", rel=1e-6) for f in finals)
        values[f"{a}-min"], values[f"{a}-max"] = fmt(min(finals), ".3g", rel=1e-6), fmt(max(finals), ".3g", rel=1e-6)
        curves[a] = (got[0][1]["eval_step"], np.median([r["test_mse"] for _, r in got], axis=0), lr)
    print(table(["structure", "lr", "test MSE, seeds " + " ".join(str(s) for s in exp.SEEDS), "solved"], rows))
    print("\nReplay (rerun now, checked equal to the committed records): dev MSE after")
    print(verified_replay("deep-rnn-adding"), end="")
    return Result(figures={"deep-rnn-adding.svg": lambda s: _figure(s, curves)}, values=values)


def _figure(s: Style, curves):
    fig, ax = figure(height=3.8)
    styles = {"simple": ("ink", "o"), "stacked": ("grey", "s"), "dt": ("red", "v"),
              "dt-s": ("orange", "^"), "skip": ("blue", "D")}
    for a, (steps, med, lr) in curves.items():
        color, marker = styles[a]
        ax.plot(steps, round_sig(med), color=s.c(color), marker=marker, markersize=3.5, linewidth=1.6,
                markevery=2, label=f"{NAMES[a]} (lr {lr:g})")
    ax.axhline(BASELINE, color=s.c("grey"), linestyle=":", linewidth=1.2)
    ax.axhline(exp.SOLVED, color=s.c("grey"), linestyle="--", linewidth=1.0)
    ax.set_yscale("log")
    ax.set_xlabel(s.t("training step", "训练步数"), fontsize=11)
    ax.set_ylabel(s.t("test MSE (median of seeds)", "测试集均方误差（种子中位数）"), fontsize=11)
    ax.tick_params(labelsize=10)
    ax.legend(fontsize=9.5, loc="lower left")
    return fig
