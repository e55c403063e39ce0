"""Exercise 6-1: which inputs x_k each output y_t depends on, in a TDNN, a causal CNN and a simple RNN (autograd)."""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle

from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import Result, table
from solutions.torch_ops import rnn

T, M, D = 10, 2, 3          # steps, input size, hidden (= output) size
W_TDNN = 3                  # the TDNN's window: y_t reads x_{t-2}, x_{t-1}, x_t
K, DILATIONS = 3, (1, 2)    # the stacked CNN: two causal layers of kernel 3, dilations 1 and 2
SCALE = 0.5                 # moderate weights: tanh far from saturation, no tiny gradients
T_OTHER = 16                # a second length, to show that the same weights run on it
FLOOR = 1e-6                # every dependent gradient is at least this large


FORMULA = {"TDNN": "wMD + D", "CNN": "kMD + D + kD² + D", "RNN": "DM + D² + 2D"}
STEPS = {"TDNN": "1", "CNN": f"{len(DILATIONS)} (layers)", "RNN": f"{T} (= T)"}


def _weights(seed: int, *shape: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return SCALE * torch.randn(*shape, generator=g, dtype=torch.float64)


# --8<-- [start:models] TDNN
def causal_conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, dilation: int = 1) -> torch.Tensor:
    """y_t = Σ_j w[:, :, j] x_{t-(k-1-j)·d} + b: a 1-D convolution that never reads the future."""
    k = w.shape[2]
    x = F.pad(x.T[None], ((k - 1) * dilation, 0))           # (1, C, (k-1)d + T): zeros before x_1
    return F.conv1d(x, w, b, dilation=dilation)[0].T        # (T, C_out)


class TDNN:
    """Time-delay network (Waibel et al. 1989): y_t = tanh(Σ_{j<w} W_j x_{t-j} + b), one layer."""

    def __init__(self) -> None:
        self.w, self.b = _weights(1, D, M, W_TDNN), _weights(2, D)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:     # x: (T, M) -> (T, D)
        return torch.tanh(causal_conv(x, self.w, self.b))

    def params(self) -> list[torch.Tensor]:
        return [self.w, self.b]


class CausalCNN:
    """Stacked causal 1-D convolutions: layer l reads layer l-1 at t, t-d_l, ..., t-(k-1)d_l."""

    def __init__(self) -> None:
        sizes = [M] + [D] * len(DILATIONS)
        self.layers = [(_weights(10 + l, sizes[l + 1], sizes[l], K), _weights(20 + l, sizes[l + 1]), d)
                       for l, d in enumerate(DILATIONS)]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for w, b, d in self.layers:
            x = torch.tanh(causal_conv(x, w, b, d))
        return x

    def params(self) -> list[torch.Tensor]:
        return [p for w, b, _ in self.layers for p in (w, b)]


class SimpleRNN:
    """The book's simple RNN (6.5), h_t = tanh(U h_{t-1} + W x_t + b), y_t = h_t; this package's op."""

    def __init__(self) -> None:
        self.W_ih, self.W_hh = _weights(30, D, M), _weights(31, D, D)
        self.b_ih, self.b_hh = _weights(32, D), _weights(33, D)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        h0 = torch.zeros(1, D, dtype=x.dtype)
        return rnn(x[:, None], h0, self.W_ih, self.W_hh, self.b_ih, self.b_hh)[:, 0]

    def params(self) -> list[torch.Tensor]:
        return [self.W_ih, self.W_hh, self.b_ih, self.b_hh]
# --8<-- [end:models]


# --8<-- [start:pattern] SimpleRNN
def dependence(model, T: int = T) -> tuple[np.ndarray, float]:
    """dep[t, k] = True iff ∂y_t/∂x_k ≠ 0 (any entry of the D × M block), by autograd.

    Also returns the smallest max|∂y_t/∂x_k| over the dependent pairs: far above rounding,
    so no ■ below could turn into · on another CPU. Independent pairs are exact zeros: no
    path in the graph, so autograd only ever multiplies and adds zeros there.
    """
    x = torch.randn(T, M, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(model, x)       # (T, D, T, M): ∂y[t, i]/∂x[k, j]
    block = J.abs().amax(dim=(1, 3)).numpy()               # (T, T): max over the D × M entries
    dep = block != 0.0
    return dep, float(block[dep].min())
# --8<-- [end:pattern]


def expected(name: str, T: int = T) -> np.ndarray:
    """The pattern the argument predicts: a window of w steps, of 1 + Σ_l (k-1) d_l steps, or all k ≤ t."""
    t, k = np.arange(T)[:, None], np.arange(T)[None, :]
    width = {"TDNN": W_TDNN, "CNN": 1 + sum((K - 1) * d for d in DILATIONS), "RNN": T}[name]
    return (k <= t) & (k > t - width)


def grid(dep: np.ndarray) -> str:
    """Rows y_t, columns x_k; the last column counts the inputs y_t sees."""
    head = "x_k:  " + "".join(f"{k:<2}" for k in range(1, dep.shape[1] + 1)) + "  seen"
    rows = [f"y_{t + 1:<4}" + "".join("■ " if d else "· " for d in row) + f"  {int(row.sum()):>4}"
            for t, row in enumerate(dep)]
    return "\n".join([head] + rows)


def _figure(patterns: list[tuple[tuple[str, str], np.ndarray]], s: Style):
    fig, axes = figure(1, 3, height=2.45, sharey=True)
    for i, (ax, (title, dep)) in enumerate(zip(axes, patterns)):
        ax.grid(False)
        for t in range(T):
            for k in range(T):
                ax.add_patch(Rectangle((k + 0.06, t + 0.06), 0.88, 0.88, linewidth=0,
                                       facecolor=s.c("blue") if dep[t, k] else s.c("faint")))
        ax.set_xlim(0, T)
        ax.set_ylim(T, 0)                     # y_1 on top
        ax.set_aspect("equal")
        ticks = [0.5, T - 0.5]
        ax.set_xticks(ticks, [f"$x_{{{int(v + 0.5)}}}$" for v in ticks], fontsize=MATH_PT)
        ax.set_yticks(ticks, [f"$y_{{{int(v + 0.5)}}}$" for v in ticks], fontsize=MATH_PT)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_title(s.t(*title), fontsize=10, loc="left")
    fig.supxlabel(s.t("blue: output y_t depends on input x_k", "蓝色：输出 y_t 依赖输入 x_k"), fontsize=11)
    return fig


def main() -> Result:
    models = {"TDNN": TDNN(), "CNN": CausalCNN(), "RNN": SimpleRNN()}
    titles = {
        "TDNN": f"TDNN, window w = {W_TDNN}",
        "CNN": f"causal CNN, k = {K}, d = {', '.join(map(str, DILATIONS))}",
        "RNN": "simple RNN",
    }
    short = {  # the figure's panel titles, two short lines each (English, Chinese)
        "TDNN": (f"TDNN\nw = {W_TDNN}", f"延时网络\nw = {W_TDNN}"),
        "CNN": (f"causal CNN\nk = {K}, d = {', '.join(map(str, DILATIONS))}",
                f"因果卷积\nk = {K}, d = {', '.join(map(str, DILATIONS))}"),
        "RNN": ("simple RNN\n", "简单循环网络\n"),
    }
    print(f"Which inputs x_k does each output y_t depend on? T = {T}, M = {M} inputs,")
    print(f"D = {D} hidden units, float64; ■: ∂y_t/∂x_k ≠ 0 (by autograd), ·: exactly 0.")
    print("Last column: how many inputs y_t sees (its receptive field).\n")
    patterns, rows = [], []
    smallest = []
    for name, model in models.items():
        dep, low = dependence(model)
        assert (dep == expected(name)).all(), f"{name}: the pattern differs from the argument's"
        for T2 in (T_OTHER,):                # the same weights on another length
            assert (dependence(model, T2)[0] == expected(name, T2)).all()
        smallest.append(low)
        patterns.append((short[name], dep))
        print(f"{titles[name]}:")
        print(grid(dep) + "\n")
        n = sum(p.numel() for p in model.params())
        rows.append((name, FORMULA[name], str(n), STEPS[name]))
    print(table(["network", "parameters", f"M = {M}, D = {D}", f"sequential steps, T = {T}"], rows))
    print("(The book's RNN has one bias b = b_ih + b_hh: DM + D² + D.)")
    low = min(smallest)
    if not low >= 100 * FLOOR:              # the claim below holds with a factor-100 margin
        raise ValueError(f"smallest dependent gradient {low:.3g} is too close to {FLOOR:g}")
    print(f"\nEvery pattern equals the predicted one, for T = {T} and, with the same")
    print(f"weights, T = {T_OTHER}. Every ■ has max|∂y_t/∂x_k| ≥ {FLOOR:.0e} (checked),")
    print("far above rounding: no ■ is an accident of the CPU, and every · is an exact 0.")
    params = {name: str(sum(p.numel() for p in m.params())) for name, m in models.items()}
    values = {f"params-{k.lower()}": v for k, v in params.items()}
    values["cnn-field"] = str(1 + sum((K - 1) * d for d in DILATIONS))
    return Result(figures={"receptive-field.svg": partial(_figure, patterns)}, values=values)
