"""How far back the gradient reaches: ‖∂L_t/∂h_k‖ in a simple RNN, LSTMs (forget bias 0, 1, 2) and a GRU, measured."""

from __future__ import annotations

import math
from functools import partial

import matplotlib
import numpy as np
from matplotlib.colors import BoundaryNorm

from solutions.experiments import digit_sum as ds
from solutions.experiments import gradient_reach as gr
from solutions.experiments import longrun
from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import Result, fmt, table

NAME = "gradient-reach"
DISTANCES = (1, 5, 10, 19)               # T − k printed in the table
LOW, HIGH = -9, 1                        # colour bins: < 1e-8, [1e-8, 1e-7), …, [1, 10), ≥ 10
KEYS = {"RNN": "rnn", "LSTM, b_f = 0": "lstm0", "LSTM, b_f = 1": "lstm1", "LSTM, b_f = 2": "lstm2", "GRU": "gru"}
STAGES = {"init": "at initialisation", "trained": "after training"}


def sig2(x: float) -> str:
    """Two significant digits (the records hold six, so this is the same on every machine)."""
    return fmt(x, ".2g", rel=1e-5)


def pct(share: float) -> str:
    """A share as a percentage with one decimal (the records hold six digits)."""
    return fmt(100 * share, ".1f", rel=1e-5) + "%"


def main() -> Result:
    rec = {c["model"]: r for c, r in longrun.records(NAME) if "lr" not in c}
    S, T = len(ds.SEEDS), gr.L
    print(f"Digit-sum sequences of L = T = {T} uniform random digits (the random-distractor variant,\n"
          f"not the course's data), a batch of {gr.N}; H = {ds.H}; {S} seeds; float64.\n"
          "reach(T - k) = ||dL_T/dh_k|| / ||dL_T/dh_T||: how much of the gradient of the task's loss\n"
          "reaches the state k steps back (norms over the batch); median over the seeds.\n"
          f"'trained': after {ds.STEPS} Adam steps at lr {ds.LR:g} (batch {ds.BATCH}) on L = {T}: the short budget at\n"
          "one learning rate (the swept comparison is digit-sum), all seeds on one data stream, every\n"
          f"parameter rounded to a multiple of 2^{round(math.log2(ds.GRID))} after each step (last-bit differences between CPUs\n"
          "round away unless a value falls within them of a rounding edge; the replay below checks the first\n"
          "20 steps of two runs).\n"
          "b_f is the LSTM's effective forget-gate bias b_if + b_hf at initialisation; the GRU is\n"
          "PyTorch's form (reset after U_h).")
    print(longrun.session_summary(NAME))
    values = {}
    for stage in STAGES:
        rows = []
        for name in gr.MODELS:
            c = rec[name][stage]["curve"]
            rows.append([name, *(sig2(c[d]) for d in DISTANCES)])
            for d in DISTANCES:
                values[f"{stage}-{KEYS[name]}-{d}"] = sig2(c[d])
        print(f"\n{STAGES[stage]}: reach(T - k)")
        print(table(["model", *(f"T - k = {d}" for d in DISTANCES)], rows))
    print(f"\nTest accuracy of the trained models (% of {ds.TEST} sequences; seeds {', '.join(map(str, ds.SEEDS))})")
    rows = []
    for name in gr.MODELS:
        t = rec[name]["test"]
        rows.append([name, " ".join(f"{100 * v / ds.TEST:.1f}" for v in t)])
        values[f"test-{KEYS[name]}"] = " / ".join(f"{100 * v / ds.TEST:.1f}" for v in t) + "%"
    print(table(["model", "test accuracy"], rows))
    largest = max(range(T), key=lambda d: rec["GRU"]["trained"]["curve"][d])
    values["trained-gru-max"] = sig2(rec["GRU"]["trained"]["curve"][largest])
    values["trained-gru-max-at"] = str(largest)
    print(f"\nThe trained GRU's largest reach: {values['trained-gru-max']} at T - k = {largest}.")
    print(f"\nThe GRU's update gates z and one-step Jacobians J_t = dh_t/dh_(t-1) on the same {gr.N} sequences.\n"
          "Shares of z: over every step, unit, sequence and seed. The copy path's share of reach: the\n"
          f"batch ratio ||p * dL_T/dh_T|| / ||dL_T/dh_T||, p = prod_t z_t per sequence and unit over the {T - 1}\n"
          "steps from h_1 to h_T (what reach(T - k = 19) would be if the copy path alone carried the gradient),\n"
          "median over the seeds. The rest: median over the sequences and seeds, over the same steps;\n"
          "||.||_inf is the largest row sum.")
    labels = {"1mz-median": "median of 1 - z", "1mz-p10": "10th percentile of 1 - z",
              **{f"z-above-{c:g}": f"share of z > {c:g}" for c in gr.Z_LEVELS},
              "sum-E": f"sum over {T - 1} steps of ||J_t - I||_inf",
              "copy": "copy path alone: max_j prod_t z_t,j", "copy-batch": f"copy path's share of reach(T - k = {T - 1})",
              "full": "whole product: ||J_T ... J_2||_inf"}
    cols = {}
    for stage in STAGES:
        q = rec["GRU"][stage]["gates"]
        cells = {"1mz-median": sig2(1 - q["z-median"]), "1mz-p10": sig2(1 - q["z-p90"]),
                 **{f"z-above-{c:g}": pct(v) for c, v in zip(gr.Z_LEVELS, q["z-above"])},
                 "sum-E": sig2(q["sum-E"]), "copy": sig2(q["copy"]), "copy-batch": sig2(q["copy-batch"]),
                 "full": sig2(q["full"])}
        cols[stage] = cells
        values.update({f"{stage}-gru-{k}": v for k, v in cells.items()})
    print(table(["GRU", *STAGES.values()], [[labels[k], *(cols[s][k] for s in STAGES)] for k in labels]))
    values["copy-alone-19"] = sig2(2.0 ** -(T - 1))
    values.update({f"z-level-{i}": f"{c:g}" for i, c in enumerate(gr.Z_LEVELS, 1)})
    init = rec["GRU"]["init"]
    values["init-gru-19-over-copy"] = sig2(init["curve"][T - 1] / init["gates"]["copy"])   # the statistic errata 15 used
    for stage in STAGES:
        r = rec["GRU"][stage]
        values[f"{stage}-gru-19-over-copy-batch"] = sig2(r["curve"][T - 1] / r["gates"]["copy-batch"])
    print(f"(The copy path alone at z = 1/2 in every unit: 2^-{T - 1} = {values['copy-alone-19']}; the measured copy\n"
          "path's share above is larger: the batch ratio is a weighted root mean square of the entries of p,\n"
          "dominated by its largest: those of units whose gates have a geometric mean above 1/2.\n"
          f"reach(T - k = {T - 1}) is "
          f"{values['init-gru-19-over-copy-batch']} times the copy path's\n"
          f"share at initialisation and {values['trained-gru-19-over-copy-batch']} times after training: "
          "the weighted terms add the rest.)")
    print("\nReplay (rerun by this demo; equal to the committed records):")
    print(longrun.verified_replay(NAME), end="")

    lines = {(stage, name): rec[name][stage]["curve"] for stage in STAGES for name in gr.MODELS}
    bins = {}
    for stage in STAGES:
        for name in gr.HEAT:
            m = np.asarray(rec[name][stage]["heat"])
            b = np.full(m.shape, np.nan)
            for t in range(T):
                for k in range(t + 1):
                    b[t, k] = min(max(math.floor(math.log10(m[t, k])), LOW), HIGH)
            bins[stage, name] = b
    values.update(length=str(T), steps=str(ds.STEPS), lr=f"{ds.LR:g}", batch=str(ds.BATCH))
    return Result(figures={"gated-gradients.svg": partial(_draw, lines, bins, S, values["lr"])}, values=values)


def _draw(lines: dict, bins: dict, S: int, lr: str, s: Style):
    """Top: the median reach(T − k) per model, at initialisation and after training; bottom: heat
    maps of the ratio over (k, t) for three models, one colour per decade (the top bin: 10 or more)."""
    fig = figure(height=9.6)[0]
    fig.delaxes(fig.axes[0])
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.25, 1])
    curve_axes = top.subplots(2, 1, sharex=True)
    d = np.arange(gr.L)
    colours = ("blue", "orange", "green", "red", "purple")
    stages = {"init": s.t("at initialisation", "初始化时"), "trained": s.t("after training", "训练后")}
    for ax, stage in zip(curve_axes, STAGES):
        for name, style, colour in zip(gr.MODELS, ("-o", "-s", "-^", "-v", "-D"), colours):
            ax.plot(d, lines[stage, name], style, markersize=3.5, color=s.c(colour), label=name)
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e2)
        ax.set_yticks([1e-12, 1e-8, 1e-4, 1])
        ax.set_ylabel(r"$\|\partial L_T/\partial h_k\| \,/\, \|\partial L_T/\partial h_T\|$", fontsize=MATH_PT)
        long = {"init": stages["init"],                 # the top panel says which training, so that it stands alone
                "trained": s.t(f"trained at lr {lr}, the GRU's", f"以 GRU 的学习率 {lr} 训练后")}
        ax.set_title(s.t(f"{long[stage]} (median of {S} seeds)", f"{long[stage]}（{S} 个种子的中位数）"), fontsize=11)
    curve_axes[1].set_xlabel(s.t("T − k (steps back)", "T − k（向前回溯的步数）"))
    curve_axes[1].set_xticks([0, 5, 10, 15])
    curve_axes[0].legend(fontsize=10, ncols=2, loc="lower left")
    cmap = matplotlib.colormaps[s.cmap].resampled(HIGH - LOW + 1)
    norm = BoundaryNorm(np.arange(LOW - 0.5, HIGH + 1.0), cmap.N)     # bins of whole decades
    heat_axes = bottom.subplots(2, 3, sharex=True, sharey=True)
    for row, stage in enumerate(STAGES):
        for ax, name in zip(heat_axes[row], gr.HEAT):
            im = ax.imshow(bins[stage, name], origin="lower", cmap=cmap, norm=norm, interpolation="nearest")
            ax.set_title(f"{name}\n{stages[stage]}", fontsize=10)
            ax.set_xticks([0, 10])
            ax.set_yticks([0, 10])
            ax.grid(False)
        heat_axes[row, 0].set_ylabel(s.t("t (loss)", "t（损失）"))
    for ax in heat_axes[1]:
        ax.set_xlabel(s.t("k (state)", "k（状态）"))
    ticks = [HIGH, 0, -2, -4, -6, LOW]
    cbar = bottom.colorbar(im, ax=heat_axes, shrink=0.95, ticks=ticks)
    cbar.set_ticklabels([f"<1e{v + 1:+d}" if v == LOW else f"≥1e{v:+d}" if v == HIGH else f"1e{v:+d}" for v in ticks])
    cbar.set_label(s.t("decade of the ratio", "比值的数量级"))
    return fig
