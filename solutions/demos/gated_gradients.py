"""How far back the gradient reaches: ‖∂L_t/∂h_k‖ in a simple RNN, LSTMs (forget bias 0, 1, 2) and a GRU, measured."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap

from solutions import digit_sum as ds
from solutions.experiments import gradient_reach as gr
from solutions.experiments import longrun
from solutions.plotting import figure
from solutions.report import Result, fmt, table

NAME = "gradient-reach"
DISTANCES = (1, 5, 10, 19)               # T − k printed in the table
LOW, HIGH = -9, 1                        # colour bins: < 1e-8, [1e-8, 1e-7), …, [1, 10), ≥ 10
KEYS = {"RNN": "rnn", "LSTM, b_f = 0": "lstm0", "LSTM, b_f = 1": "lstm1", "LSTM, b_f = 2": "lstm2", "GRU": "gru"}
STAGES = {"init": "at initialisation", "trained": "after training"}


def sig2(x: float) -> str:
    """Two significant digits (the records hold six, so this is the same on every machine)."""
    return fmt(x, ".2g", rel=1e-5)


def main() -> Result:
    rec = {c["model"]: r for c, r in longrun.records(NAME)}
    S, T = len(ds.SEEDS), gr.L
    print(f"Digit-sum sequences of L = T = {T} digits, a batch of {gr.N}; H = {ds.H}; {S} seeds; float64.\n"
          "g(T - k) = ||dL_T/dh_k|| / ||dL_T/dh_T||: how much of the gradient of the task's loss\n"
          "reaches the state k steps back (norms over the batch); median over the seeds.\n"
          f"'trained': after {ds.STEPS} Adam steps at lr {ds.LR:g} (batch {ds.BATCH}) on L = {T}: the short budget at\n"
          "one learning rate (the swept comparison is digit-sum). b_f is the LSTM's effective\n"
          "forget-gate bias b_if + b_hf at initialisation.")
    print(longrun.session_summary(NAME))
    values = {}
    for stage in STAGES:
        rows = []
        for name in gr.MODELS:
            c = rec[name][stage]["curve"]
            rows.append([name, *(sig2(c[d]) for d in DISTANCES)])
            for d in DISTANCES:
                values[f"{stage}-{KEYS[name]}-{d}"] = sig2(c[d])
        print(f"\n{STAGES[stage]}: g(T - k)")
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
    print(f"\nThe trained GRU's largest g: {values['trained-gru-max']} at T - k = {largest}.")
    print("\nReplay (rerun by this demo; equal to the committed records):")
    print(longrun.verified_replay(NAME), end="")

    fig, axes = figure(2, 4, width=11.0, height=5.4, gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
    d = np.arange(T)
    for ax, stage in zip(axes[:, 0], STAGES):
        for name, style in zip(gr.MODELS, ("-o", "-s", "-^", "-v", "-D")):
            ax.plot(d, rec[name][stage]["curve"], style, markersize=3, label=name)
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e2)
        ax.set_xlabel("T − k (steps back)")
        ax.set_ylabel("‖∂L_T/∂h_k‖ / ‖∂L_T/∂h_T‖")
        ax.set_title(f"{STAGES[stage]} (median of {S} seeds)", fontsize=9)
    axes[0, 0].legend(fontsize=7, ncols=2)
    colours = ListedColormap(["#fde725", "#d2e21b", "#a5db36", "#7ad151", "#54c568", "#35b779", "#22a884",
                              "#1f988b", "#23888e", "#2a788e", "#31688e"][::-1])
    norm = BoundaryNorm(np.arange(LOW - 0.5, HIGH + 1.0), colours.N)
    for row, stage in enumerate(STAGES):
        for ax, name in zip(axes[row, 1:], gr.HEAT):
            m = np.asarray(rec[name][stage]["heat"])
            bins = np.full(m.shape, np.nan)
            for t in range(T):
                for k in range(t + 1):
                    bins[t, k] = min(max(math.floor(math.log10(m[t, k])), LOW), HIGH)
            im = ax.imshow(bins, origin="lower", cmap=colours, norm=norm, interpolation="nearest")
            ax.set_title(f"{name}, {'init' if stage == 'init' else 'trained'}", fontsize=9)
            ax.set_xlabel("k (state)")
            ax.set_ylabel("t (loss)")
            ax.grid(False)
    cbar = fig.colorbar(im, ax=axes[:, 1:], shrink=0.8, ticks=np.arange(LOW, HIGH + 1))
    cbar.set_ticklabels([f"<1e{LOW + 1:+d}" if v == LOW else f"≥1e{v:+d}" if v == HIGH else f"1e{v:+d}"
                         for v in range(LOW, HIGH + 1)])
    cbar.set_label("‖∂L_t/∂h_k‖ / ‖∂L_t/∂h_t‖, decade")
    values.update(length=str(T), steps=str(ds.STEPS), lr=f"{ds.LR:g}", batch=str(ds.BATCH))
    return Result(figures={"gated-gradients.svg": fig}, values=values)
