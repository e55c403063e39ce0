"""How far back the gradient reaches: ‖∂L_t/∂h_k‖ in a simple RNN, LSTMs (forget bias 0, 1, 2) and a GRU, measured."""

from __future__ import annotations

import math
import sys
from functools import partial

import matplotlib
import numpy as np
import torch
from matplotlib.colors import BoundaryNorm

from solutions.experiments import digit_sum as ds
from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import FragileNumber, Result, table

L = 20                    # the digit-sum length the models are measured (and trained) on
MODELS = (("RNN", "rnn", None), ("LSTM, b_f = 0", "lstm", 0.0), ("LSTM, b_f = 1", "lstm", 1.0),
          ("LSTM, b_f = 2", "lstm", 2.0), ("GRU", "gru", None))
HEAT = ("RNN", "LSTM, b_f = 2", "GRU")   # the heat maps (the LSTM of the digit-sum demo)
DISTANCES = (1, 5, 10, 19)               # T − k printed in the table
DECADES = 10                             # colour bins: ≥ 1, [1e-1, 1), …, < 1e-8
REL = 1e-6                               # a value this close (relatively) to a bin edge is refused
N = 64                                   # test sequences in the batch the gradients are taken on


def decade(x: float, rel: float = REL) -> int:
    """``floor(log10 x)``, refusing an ``x`` so close to a power of ten that another CPU could bin it elsewhere."""
    lo, hi = math.floor(math.log10(x * (1 - rel))), math.floor(math.log10(x * (1 + rel)))
    if lo != hi:
        raise FragileNumber(f"{x!r} lies within {rel:g} of a power of ten")
    return hi


def quantised_log10(x: float, step: float = 0.05, rel: float = REL) -> float:
    """``log10 x`` rounded to a multiple of ``step`` (what the curves plot), refusing a value near a rounding edge."""
    lo, hi = (round(math.log10(x * (1 + s * rel)) / step) for s in (-1, 1))
    if lo != hi:
        raise FragileNumber(f"{x!r}: log10 lies on a rounding edge of step {step}")
    return hi * step


def grad_norms(kind: str, p: dict[str, torch.Tensor], digits: np.ndarray, labels: np.ndarray,
               all_t: bool) -> np.ndarray:
    """``‖∂L_t/∂h_k‖`` per copy: (S, T, T) with entry [s, t, k] for k ≤ t (0 above the diagonal).

    ``L_t`` is the loss of the output layer read at step ``t`` with the sequence's label (the
    task's loss is ``L_T``); the norm is over the batch and the hidden units. Only ``t = T``
    when ``all_t`` is false. Torch autograd, float64.
    """
    p = {k: v.detach().clone().requires_grad_(True) for k, v in p.items()}
    hs = ds.states(kind, p, digits)
    T = len(hs)
    S = hs[0].shape[0]
    out = np.zeros((S, T, T))
    for t in (range(T) if all_t else [T - 1]):
        loss = ds.loss_of(ds.logits(p, hs[t]), labels)
        gs = torch.autograd.grad(loss, hs[:t + 1], retain_graph=True)
        for k, g in enumerate(gs):
            out[:, t, k] = g.flatten(1).norm(dim=1).numpy()
    return out


def main() -> Result:
    torch.set_num_threads(1)
    digits, labels = ds.test_set(L)
    digits, labels = digits[:N], labels[:N]
    S = len(ds.SEEDS)
    print(f"Digit-sum sequences of L = T = {L} digits, a batch of {N}; H = {ds.H}; {S} seeds; float64.\n"
          "g(T - k) = ||dL_T/dh_k|| / ||dL_T/dh_T||: how much of the gradient of the task's loss\n"
          "reaches the state k steps back (norms over the batch); median over the seeds.\n"
          f"'trained': after the digit-sum training ({ds.STEPS} Adam steps, see digit-sum). b_f is\n"
          "the LSTM's effective forget-gate bias b_if + b_hf at initialisation.\n")
    curves, heat = {}, {}
    for stage in ("init", "trained"):
        for name, kind, fb in MODELS:
            print(f"{stage}: {name} ...", file=sys.stderr, flush=True)
            p = ds.init_params(kind, ds.H, ds.SEEDS, fb) if stage == "init" else ds.trained(kind, L, fb)
            g = grad_norms(kind, p, digits, labels, all_t=name in HEAT)
            last = g[:, -1, :] / g[:, -1, -1:]                          # (S, T): g over k, for t = T
            curves[stage, name] = np.median(last, axis=0)[::-1]        # index d = T − k
            if name in HEAT:
                heat[stage, name] = np.median(g / np.diagonal(g, axis1=1, axis2=2)[:, :, None], axis=0)

    print("Decade of g(T - k) (1e-03 means 1e-3 <= g < 1e-2; 1e+00 means g >= 1):")
    for stage in ("init", "trained"):
        rows = [[name, *(f"1e{decade(curves[stage, name][dist]):+03d}" for dist in DISTANCES)]
                for name, _, _ in MODELS]
        print(f"\n{'at initialisation' if stage == 'init' else 'after training'}")
        print(table(["model", *(f"T - k = {dist}" for dist in DISTANCES)], rows))

    lines = {(stage, name): np.power(10.0, [quantised_log10(v) for v in curves[stage, name]])
             for stage in ("init", "trained") for name, _, _ in MODELS}
    bins = {}
    for stage in ("init", "trained"):
        for name in HEAT:
            m = heat[stage, name]
            b = np.full(m.shape, np.nan)
            for t in range(L):
                b[t, t] = 0                                   # the ratio is exactly 1 at k = t
                for k in range(t):
                    b[t, k] = min(max(decade(m[t, k]), -DECADES + 1), 0)
            bins[stage, name] = b

    values = {f"{stage}-{key}-{dist}": f"1e{decade(curves[stage, name][dist]):+03d}"
              for stage in ("init", "trained")
              for name, key in (("RNN", "rnn"), ("LSTM, b_f = 0", "lstm0"), ("LSTM, b_f = 1", "lstm1"),
                                ("LSTM, b_f = 2", "lstm2"), ("GRU", "gru"))
              for dist in DISTANCES}
    values["length"] = str(L)
    return Result(figures={"gated-gradients.svg": partial(_draw, lines, bins, S)}, values=values)


def _draw(lines: dict, bins: dict, S: int, s: Style):
    """Top: the median reach g(T − k) per model, at initialisation and after training; bottom: heat
    maps of the ratio over (k, t) for three models, coloured by decade."""
    fig = figure(height=9.6)[0]
    fig.delaxes(fig.axes[0])
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.25, 1])
    curve_axes = top.subplots(2, 1, sharex=True)
    d = np.arange(L)
    colours = ("blue", "orange", "green", "red", "purple")
    stages = {"init": s.t("at initialisation", "初始化时"), "trained": s.t("after training", "训练后")}
    for ax, stage in zip(curve_axes, ("init", "trained")):
        for (name, _, _), style, colour in zip(MODELS, ("-o", "-s", "-^", "-v", "-D"), colours):
            ax.plot(d, lines[stage, name], style, markersize=3.5, color=s.c(colour), label=name)
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e1)
        ax.set_yticks([1e-12, 1e-8, 1e-4, 1])
        ax.set_ylabel(r"$\|\partial L_T/\partial h_k\| \,/\, \|\partial L_T/\partial h_T\|$", fontsize=MATH_PT)
        ax.set_title(s.t(f"{stages[stage]} (median of {S} seeds)", f"{stages[stage]}（{S} 个种子的中位数）"), fontsize=11)
    curve_axes[1].set_xlabel(s.t("T − k (steps back)", "T − k（向前回溯的步数）"))
    curve_axes[1].set_xticks([0, 5, 10, 15])
    curve_axes[0].legend(fontsize=10, ncols=2, loc="lower left")
    cmap = matplotlib.colormaps[s.cmap].resampled(DECADES)
    norm = BoundaryNorm(np.arange(-DECADES + 0.5, 1.0), cmap.N)     # bins of whole decades
    heat_axes = bottom.subplots(2, 3, sharex=True, sharey=True)
    for row, stage in enumerate(("init", "trained")):
        for ax, name in zip(heat_axes[row], HEAT):
            im = ax.imshow(bins[stage, name], origin="lower", cmap=cmap, norm=norm, interpolation="nearest")
            ax.set_title(f"{name}\n{stages[stage]}", fontsize=10)
            ax.set_xticks([0, 10])
            ax.set_yticks([0, 10])
            ax.grid(False)
        heat_axes[row, 0].set_ylabel(s.t("t (loss)", "t（损失）"))
    for ax in heat_axes[1]:
        ax.set_xlabel(s.t("k (state)", "k（状态）"))
    ticks = [0, -2, -4, -6, -DECADES + 1]
    cbar = bottom.colorbar(im, ax=heat_axes, shrink=0.95, ticks=ticks)
    cbar.set_ticklabels([f"<1e{v + 1:+d}" if v == -DECADES + 1 else f"≥1e{v:+d}" for v in ticks])
    cbar.set_label(s.t("decade of the ratio", "比值的数量级"))
    return fig
