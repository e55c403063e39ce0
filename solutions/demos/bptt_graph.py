"""The unrolled graph of BPTT: δ flowing back along diag(f′(z_k))Uᵀ, and W as per-step copies W_1 … W_T."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from solutions.publish.plotting import MATH_PT, Style, centre, edge_points, figure
from solutions.publish.report import claim
from solutions.sequence import rnn_backward, rnn_forward

T, B, I, H = 4, 1, 3, 5


def _arrow_deltas():
    """δ_{t,k} multiplied along the arrows of the figure, vs rnn_backward (max abs errors)."""
    rng = np.random.default_rng(6)
    x, h0 = rng.standard_normal((T, B, I)), rng.standard_normal((B, H))
    p = {"W_ih": rng.standard_normal((H, I)) * 0.5, "W_hh": rng.standard_normal((H, H)) * 0.5,
         "b_ih": rng.standard_normal(H) * 0.1, "b_hh": rng.standard_normal(H) * 0.1}
    g = rng.standard_normal((T, B, H))           # L_t = g_t · h_t, so ∂L_t/∂h_t = g_t
    h, cache = rnn_forward(x, h0, p)
    fprime = 1.0 - h**2                          # f'(z_k) for f = tanh
    U = p["W_hh"]
    dz = np.zeros((T, B, H))                     # Σ_{t ≥ k} δ_{t,k}
    for t in range(T):
        delta = fprime[t] * g[t]                 # δ_{t,t}: the arrow from L_t down to z_t
        dz[t] += delta
        for k in range(t - 1, -1, -1):           # along the arrows z_{k+1} → z_k
            delta = fprime[k] * (delta @ U)      # diag(f'(z_k)) Uᵀ δ_{t,k+1} (rows: examples)
            dz[k] += delta
    dW_copies = [dz[k].T @ x[k] for k in range(T)]   # ∂L/∂W_k = (Σ_t δ_{t,k}) x_kᵀ
    grads = rnn_backward(g, cache)
    return (np.abs(sum(dW_copies) - grads["W_ih"]).max(),
            np.abs(dz.sum(axis=(0, 1)) - grads["b_ih"]).max())


def _node(ax, x, y, text, color, ink, r=0.42):
    c = ax.add_patch(Circle((x, y), r, facecolor="none", edgecolor=color, linewidth=1.6, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=MATH_PT, color=ink, zorder=4)
    return c


def _box(ax, x, y, text, color, w=0.9):
    b = ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.3), w, 0.6, boxstyle="round,pad=0.03",
                                    facecolor="none", edgecolor=color, linewidth=1.4, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=MATH_PT, color=color, zorder=4)
    return b


def _arrow(ax, a, b, color, rad=0.0, style="-|>", ls="-", lw=1.4):
    ax.add_patch(FancyArrowPatch(*edge_points(a, b, rad), shrinkA=1.5, shrinkB=1.5,
                                 arrowstyle=style, mutation_scale=11, color=color, linewidth=lw,
                                 linestyle=ls, connectionstyle=f"arc3,rad={rad}", zorder=2))




def _frame(height, xlim, ylim):
    fig, ax = figure(height=height)
    ax.set_axis_off()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    return fig, ax


def _unrolled(s: Style):
    """Forward chain x_k → z_k → h_k → z_{k+1}, losses L_t, and the backward flow of δ."""
    blue, red, grey, ink = s.c("blue"), s.c("red"), s.c("grey"), s.c("ink")
    dx = 2.5
    y_x, y_z, y_h, y_l = 0.0, 1.8, 3.6, 5.3
    fig, ax = _frame(5.0, (-0.2, dx * T + 0.6), (-3.3, 5.8))
    cols = [dx * (k + 0.55) for k in range(T)]
    zs, hs = [], []
    for k, X in enumerate(cols, start=1):
        xn = _node(ax, X, y_x, f"$x_{k}$", grey, ink)
        zs.append(_node(ax, X, y_z, f"$z_{k}$", blue, ink))
        hs.append(_node(ax, X, y_h, f"$h_{k}$", blue, ink))
        ln = _box(ax, X, y_l, f"$\\mathcal{{L}}_{k}$", ink, w=0.9)
        _arrow(ax, xn, zs[-1], grey)                        # W x_k
        _arrow(ax, zs[-1], hs[-1], blue)                    # h_k = f(z_k)
        _arrow(ax, hs[-1], ln, blue)                        # L_k from h_k
        _arrow(ax, ln, zs[-1], red, rad=-0.55, ls="--")     # δ_{k,k} = f'(z_k) ⊙ ∂L_k/∂h_k
        ax.text(X + 1.0, y_h + 0.35, f"$\\delta_{{{k}{k}}}$", color=red, fontsize=MATH_PT,
                ha="left", va="center")
    for k in range(T - 1):
        _arrow(ax, hs[k], zs[k + 1], blue)                  # U h_k
        _arrow(ax, zs[k + 1], zs[k], red, rad=-0.35, ls="--")  # δ_{t,k} = diag(f'(z_k)) Uᵀ δ_{t,k+1}
    h0 = _box(ax, cols[0] - 1.05, y_h - 1.0, "$h_0$", grey, w=0.75)
    _arrow(ax, h0, zs[0], grey)
    ax.text(0, -1.0, s.t("forward (blue): x → z → h → loss", "前向（蓝）：x → z → h → 损失"), color=blue,
            fontsize=11, ha="left", va="center")
    ax.text(0, -1.95, s.t("backward (red, dashed): δ of each loss", "反向（红，虚线）：各损失的 δ"), color=red,
            fontsize=11, ha="left", va="center")
    ax.text(0, -2.9, "$z_{k+1} \\to z_k:\\ \\times\\, \\mathrm{diag}(f'(z_k))\\,U^\\top$",
            color=red, fontsize=MATH_PT, ha="left", va="center")
    return fig


def _copies(s: Style):
    """6-2 Step 1: each step with its own copy W_k; ∂L/∂W is the sum of the copies' gradients."""
    blue, red, grey, ink = s.c("blue"), s.c("red"), s.c("grey"), s.c("ink")
    dx = 2.5
    y_x, y_z, y_h, y_w = 0.0, 1.8, 3.6, -1.7
    fig, ax = _frame(5.0, (-0.2, dx * T + 0.2), (-4.8, 4.2))
    cols = [dx * (k + 0.68) for k in range(T)]
    zs, hs = [], []
    y_bus, y_wk = -0.95, (y_x + y_z) / 2
    w = _box(ax, (cols[0] + cols[-1]) / 2 - dx / 2, y_w, "$W$", ink, w=0.8)
    ax.plot([cols[0] - 1.1, cols[-1] - 1.1], [y_bus, y_bus], color=grey, linestyle=":", linewidth=1.2)
    ax.plot([centre(w)[0]] * 2, [y_w + 0.3, y_bus], color=grey, linestyle=":", linewidth=1.2)
    for k, X in enumerate(cols, start=1):
        xn = _node(ax, X, y_x, f"$x_{k}$", grey, ink)
        zs.append(_node(ax, X, y_z, f"$z_{k}$", blue, ink))
        hs.append(_node(ax, X, y_h, f"$h_{k}$", blue, ink))
        wk = _box(ax, X - 1.1, y_wk, f"$W_{k}$", blue, w=0.85)
        _arrow(ax, xn, zs[-1], grey)
        _arrow(ax, wk, zs[-1], blue)                               # W_k x_k enters z_k
        _arrow(ax, zs[-1], hs[-1], blue)
        ax.add_patch(FancyArrowPatch((X - 1.1, y_bus), (X - 1.1, y_wk - 0.3), arrowstyle="-|>",
                                     mutation_scale=10, color=grey, linestyle=":", linewidth=1.2))
    for k in range(T - 1):
        _arrow(ax, hs[k], zs[k + 1], blue)
    ax.text(centre(w)[0] + 0.6, y_w, "$W_1 = \\cdots = W_T = W$", color=grey, fontsize=MATH_PT,
            ha="left", va="center")
    ax.text(0, -3.6, "$\\dfrac{\\partial\\mathcal{L}}{\\partial W} = "
            "\\sum_{k=1}^{T} \\dfrac{\\partial\\mathcal{L}}{\\partial W_k}$",
            color=red, fontsize=MATH_PT + 1, ha="left", va="center")
    return fig


def main() -> dict:
    err_w, err_b = _arrow_deltas()
    print(f"The graphs of the figures, tanh RNN, T = {T}, B = {B}, I = {I}, H = {H}, float64;")
    print("L = Σ_t L_t with L_t = g_t · h_t for random g_t. Along the arrows:")
    print("δ_{t,t} = f′(z_t) ⊙ g_t, then for k = t-1 … 1")
    print("δ_{t,k} = diag(f′(z_k)) Uᵀ δ_{t,k+1},")
    print("and with per-step copies, ∂L/∂W_k = (Σ_{t≥k} δ_{t,k}) x_kᵀ.")
    print(f"max |Σ_k ∂L/∂W_k − ∂L/∂W from rnn_backward|      {claim(err_w, 1e-12)}")
    print(f"max |Σ_k Σ_t δ_(t,k) − ∂L/∂b from rnn_backward|  {claim(err_b, 1e-12)}")
    return {"bptt-unrolled.svg": _unrolled, "bptt-weight-copies.svg": _copies}
