"""Bidirectional RNN in NumPy vs torch.nn.RNN(bidirectional=True): out, h_n, every gradient; where h_n[1] lives."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from solutions.bidirectional import stacked_birnn_backward, stacked_birnn_forward
from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.params import random_params
from solutions.publish.plotting import MATH_PT, Style, edge_points, figure
from solutions.publish.report import claim, fmt, table
from solutions.torch_ops import rnn_params, to_numpy
from solutions.validate import PARAM_KEYS

T, B, I, H = 5, 2, 3, 4
TOL = 1e-12     # float64 agreement with torch (max abs. error), checked with a factor 100 to spare
TOL_FD = 1e-6   # relative error against central differences


def _case(L: int):
    """A float64 torch.nn.RNN(bidirectional=True) and the gradients of Σ out ⊙ G + Σ h_n ⊙ G_n."""
    torch.manual_seed(L)
    rnn = torch.nn.RNN(I, H, num_layers=L, bidirectional=True, dtype=torch.float64)
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2 * L, B, H, dtype=torch.float64, requires_grad=True)
    out, h_n = rnn(x, h0)
    G, Gn = torch.randn_like(out), torch.randn_like(h_n)
    ((out * G).sum() + (h_n * Gn).sum()).backward()
    return rnn, x, h0, out, h_n, G, Gn


def _errors(L: int) -> list[float]:
    rnn, x, h0, out, h_n, G, Gn = _case(L)
    layers = [(rnn_params(rnn, l), rnn_params(rnn, l, True)) for l in range(L)]
    o, n, cache = stacked_birnn_forward(to_numpy(x), to_numpy(h0), layers)
    g = stacked_birnn_backward(to_numpy(G), cache, to_numpy(Gn))
    errs = [max_abs(o, to_numpy(out)), max_abs(n, to_numpy(h_n)),
            max_abs(g["x"], to_numpy(x.grad)), max_abs(g["h0"], to_numpy(h0.grad))]
    for k in PARAM_KEYS:  # worst over every layer and both directions
        errs.append(max(max_abs(g["layers"][l][d][k], rnn_params(rnn, l, d == "bwd", grad=True)[k])
                        for l in range(L) for d in ("fwd", "bwd")))
    return errs


def _finite_difference_error() -> float:
    """Worst relative error of every gradient of a tiny 2-layer case vs central differences."""
    rng = np.random.default_rng(0)
    t, b, i, h = 3, 2, 2, 2
    x, h0 = rng.standard_normal((t, b, i)), rng.standard_normal((4, b, h))
    layers = [tuple(random_params(rng, i if l == 0 else 2 * h, h, std=1.0, bias_std=1.0) for _ in range(2))
              for l in range(2)]
    G, Gn = rng.standard_normal((t, b, 2 * h)), rng.standard_normal((4, b, h))

    def loss() -> float:
        out, h_n, _ = stacked_birnn_forward(x, h0, layers)
        return float((out * G).sum() + (h_n * Gn).sum())

    g = stacked_birnn_backward(G, stacked_birnn_forward(x, h0, layers)[2], Gn)
    pairs = [(g["x"], x), (g["h0"], h0)] + [(g["layers"][l][d][k], layers[l][j][k])
                                              for l in range(2) for j, d in enumerate(("fwd", "bwd")) for k in PARAM_KEYS]
    num = numeric_grads(loss, {str(n): a for n, (_, a) in enumerate(pairs)})
    return max(rel_error(ours, num[str(n)]) for n, (ours, _) in enumerate(pairs))


def _vec(v: np.ndarray) -> str:
    return "[" + " ".join(fmt(a, "+.4f") for a in v) + "]"


def _where_is_h_n() -> None:
    rnn, x, h0, out, h_n, _, _ = _case(1)
    out, h_n = to_numpy(out), to_numpy(h_n)
    print(f"\nWhere are the final states? torch.nn.RNN({I}, {H}, bidirectional=True), T = {T}:")
    rows = [
        ("h_n[0]", _vec(h_n[0, 0]), ""),
        ("out[T-1, :, :H]", _vec(out[-1, 0, :H]), claim(max_abs(h_n[0], out[-1, :, :H]), 0.0, what="h_n[0]")),
        ("h_n[1]", _vec(h_n[1, 0]), ""),
        ("out[0, :, H:]", _vec(out[0, 0, H:]), claim(max_abs(h_n[1], out[0, :, H:]), 0.0, what="h_n[1]")),
        ("out[T-1, :, H:] (wrong)", _vec(out[-1, 0, H:]), fmt(max_abs(h_n[1], out[-1, :, H:]), ".4f")),
    ]
    print(table(["read", "value (example 0)", "vs h_n"], rows))
    print("vs h_n: max abs difference to h_n[0] or h_n[1] over the whole batch (0: bit for bit).")
    print("h_n[1] = ←h_1: the backward direction after its last step, having seen")
    print("x_T … x_1. out[T-1, :, H:] = ←h_T is its FIRST step: it has seen x_T only.")

    layers = [(rnn_params(rnn, 0), rnn_params(rnn, 0, True))]
    ours, _, cache = stacked_birnn_forward(to_numpy(x), to_numpy(h0), layers)
    h_rev = cache.layers[0].bwd.h  # the backward kernel's states, in reversed time (T, B, H)
    unflipped = np.concatenate([ours[:, :, :H], h_rev], axis=2)
    print("\nmax |out − torch| when the backward states are concatenated")
    print(f"  as they come out of the reversed run:  {fmt(max_abs(unflipped, out), '.4f')}")
    print(f"  flipped back in time (our code):       {claim(max_abs(ours, out), TOL, what='flipped')}")


def _unrolled_figure(s: Style):
    """The unrolled bidirectional network: x_t at the bottom, the two directions, out on top."""
    steps, dx, r = 3, 2.4, 0.45
    y_x, y_f, y_b, y_o = 0.0, 1.7, 3.4, 5.2
    blue, red, grey, ink, paper = s.c("blue"), s.c("red"), s.c("grey"), s.c("ink"), s.c("paper")
    fig, ax = figure(height=5.0)
    ax.set_axis_off()
    ax.set_xlim(0.0, dx * (steps + 1) + 0.2)
    ax.set_ylim(-2.3, 6.2)
    ax.set_aspect("equal")

    def node(x, y, text, color):
        c = ax.add_patch(Circle((x, y), r, facecolor=paper, edgecolor=color, linewidth=1.8, zorder=3))
        ax.text(x, y, text, ha="center", va="center", fontsize=MATH_PT, color=ink, zorder=4)
        return c

    def box(x, y, w, text, color, fontsize):
        b = ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.3), w, 0.6, boxstyle="round,pad=0.03",
                                        facecolor=paper, edgecolor=color, linewidth=1.4, zorder=3))
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=color, zorder=4)
        return b

    def arrow(a, b, color, rad=0.0):
        ax.add_patch(FancyArrowPatch(*edge_points(a, b, rad), shrinkA=1.5, shrinkB=1.5, arrowstyle="-|>",
                                     mutation_scale=12, color=color, linewidth=1.4,
                                     connectionstyle=f"arc3,rad={rad}", zorder=2))

    cols = [dx * (t + 1) for t in range(steps)]
    fwd, bwd = [], []
    for t, X in enumerate(cols, start=1):
        xn = node(X, y_x, f"$x_{t}$", grey)
        fwd.append(node(X, y_f, f"$\\overrightarrow{{h}}_{t}$", blue))
        bwd.append(node(X, y_b, f"$\\overleftarrow{{h}}_{t}$", red))
        on = box(X, y_o, 2.0, f"$\\overrightarrow{{h}}_{t} \\oplus \\overleftarrow{{h}}_{t}$", ink, MATH_PT)
        ax.text(X, y_o + 0.45, f"out[{t - 1}]", ha="center", va="bottom", fontsize=10, color=ink,
                family="DejaVu Sans Mono")
        arrow(xn, fwd[-1], grey)                 # W→ x_t (forward direction)
        arrow(xn, bwd[-1], grey, rad=-0.3)       # W← x_t (backward direction), around the forward node
        arrow(fwd[-1], on, blue, rad=0.3)        # the forward half of out[t-1]
        arrow(bwd[-1], on, red)                  # the backward half
    for a, b in zip(range(steps - 1), range(1, steps)):
        arrow(fwd[a], fwd[b], blue)              # U→: h_{t-1} -> h_t
        arrow(bwd[b], bwd[a], red)               # U←: h_{t+1} -> h_t
    # initial and final states, with PyTorch's indices
    left, right = cols[0] - 1.65, cols[-1] + 1.65
    arrow(box(left, y_f - 0.9, 1.2, "h0[0]", blue, 10), fwd[0], blue)
    arrow(fwd[-1], box(right, y_f - 0.9, 1.3, "h_n[0]", blue, 10), blue)
    arrow(box(right, y_b + 0.9, 1.2, "h0[1]", red, 10), bwd[-1], red)
    arrow(bwd[0], box(left, y_b + 0.9, 1.3, "h_n[1]", red, 10), red)
    ax.text(0.1, -1.05, s.t("forward direction: t = 1 → T", "正向：t = 1 → T"), ha="left", va="center",
            fontsize=11, color=blue)
    ax.text(0.1, -1.85, s.t(f"backward direction: t = T → 1;  T = {steps}", f"逆向：t = T → 1；T = {steps}"),
            ha="left", va="center", fontsize=11, color=red)
    return fig


def main() -> dict:
    print(f"NumPy solutions.bidirectional vs torch.nn.RNN({I}, {H}, num_layers=L,")
    print(f"bidirectional=True), float64, T = {T}, B = {B}, the same weights;")
    print("loss = Σ out ⊙ G + Σ h_n ⊙ G_n, so gradients flow into out and h_n.")
    print("max |NumPy − PyTorch| ≤ bound (checked with a factor 100 to spare);")
    print("a parameter row is the worst layer and direction.\n")
    e1, e2 = _errors(1), _errors(2)
    names = ["out (T, B, 2H)", "h_n (2L, B, H)", "∂L/∂x", "∂L/∂h0"] + [f"∂L/∂{k}" for k in PARAM_KEYS]
    print(table(["", "L = 1", "L = 2"], [(n, claim(a, TOL, what=f"{n}, L = 1"), claim(b, TOL, what=f"{n}, L = 2"))
                                           for n, a, b in zip(names, e1, e2)]))
    print("\nFinite differences, L = 2, T = 3, B = I = H = 2, all 18 gradients:")
    print(f"max relative error {claim(_finite_difference_error(), TOL_FD, what='finite differences')}")
    _where_is_h_n()
    return {"birnn-unrolled.svg": _unrolled_figure}
