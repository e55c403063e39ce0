"""How far back the gradient reaches: ‖∂L_t/∂h_k‖ in a simple RNN, LSTMs (forget bias 0, 1, 2) and a GRU, measured."""

from __future__ import annotations

import math
import sys

import numpy as np
import torch
from matplotlib.colors import BoundaryNorm, ListedColormap

from solutions.experiments import digit_sum as ds
from solutions.publish.plotting import figure
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

    fig, axes = figure(2, 4, width=11.0, height=5.4,
                       gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
    d = np.arange(L)
    for ax, stage in zip(axes[:, 0], ("init", "trained")):
        for (name, _, _), style in zip(MODELS, ("-o", "-s", "-^", "-v", "-D")):
            y = [quantised_log10(v) for v in curves[stage, name]]
            ax.plot(d, np.power(10.0, y), style, markersize=3, label=name)
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e1)
        ax.set_xlabel("T − k (steps back)")
        ax.set_ylabel("‖∂L_T/∂h_k‖ / ‖∂L_T/∂h_T‖")
        ax.set_title(f"{'at initialisation' if stage == 'init' else 'after training'} (median of {S} seeds)",
                     fontsize=9)
    axes[0, 0].legend(fontsize=7, ncols=2)
    colours = ListedColormap(["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e",
                              "#31688e", "#3e4989", "#482878", "#440154"][::-1])
    norm = BoundaryNorm(np.arange(-DECADES + 0.5, 1.0), colours.N)     # bins of whole decades
    for row, stage in enumerate(("init", "trained")):
        for ax, name in zip(axes[row, 1:], HEAT):
            m = heat[stage, name]
            bins = np.full(m.shape, np.nan)
            for t in range(L):
                bins[t, t] = 0                                   # the ratio is exactly 1 at k = t
                for k in range(t):
                    bins[t, k] = min(max(decade(m[t, k]), -DECADES + 1), 0)
            im = ax.imshow(bins, origin="lower", cmap=colours, norm=norm, interpolation="nearest")
            ax.set_title(f"{name}, {'init' if stage == 'init' else 'trained'}", fontsize=9)
            ax.set_xlabel("k (state)")
            ax.set_ylabel("t (loss)")
            ax.grid(False)
    cbar = fig.colorbar(im, ax=axes[:, 1:], shrink=0.8, ticks=np.arange(-DECADES + 1, 1))
    cbar.set_ticklabels([f"≥1e{v:+d}" if v > -DECADES + 1 else f"<1e{v + 1:+d}"
                         for v in range(-DECADES + 1, 1)])
    cbar.set_label("‖∂L_t/∂h_k‖ / ‖∂L_t/∂h_t‖, decade")

    values = {f"{stage}-{key}-{dist}": f"1e{decade(curves[stage, name][dist]):+03d}"
              for stage in ("init", "trained")
              for name, key in (("RNN", "rnn"), ("LSTM, b_f = 0", "lstm0"), ("LSTM, b_f = 1", "lstm1"),
                                ("LSTM, b_f = 2", "lstm2"), ("GRU", "gru"))
              for dist in DISTANCES}
    values["length"] = str(L)
    return Result(figures={"gated-gradients.svg": fig}, values=values)
