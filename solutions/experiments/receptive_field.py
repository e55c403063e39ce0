"""Exercise 6-1's three networks in PyTorch float64, and which inputs each output depends on.

A TDNN and a dilated causal CNN ([CausalStack][solutions.experiments.receptive_field.CausalStack],
(K1)/(K2) of the 6-1 page) and the book's simple RNN
([SimpleRNN][solutions.experiments.receptive_field.SimpleRNN], (K3)); the dependence pattern
``∂y_t/∂x_k ≠ 0`` by autograd ([dependence][solutions.experiments.receptive_field.dependence]),
the lags and span it is compared with ([offsets][solutions.experiments.receptive_field.offsets],
[span][solutions.experiments.receptive_field.span], (K4)/(K5)), the cached one-step
computation of the page's table ([stream][solutions.experiments.receptive_field.stream]) and
the size of (K6) ([input_gain][solutions.experiments.receptive_field.input_gain],
[large_u_gain][solutions.experiments.receptive_field.large_u_gain]) and of ∂y_t/∂x_{t-s} at
several lags s ([lag_gains][solutions.experiments.receptive_field.lag_gains]), with the bound
(K8) of the TDNN and the CNN ([kernel_bound][solutions.experiments.receptive_field.kernel_bound]).
The ``receptive-field``
demo prints them; ``tests/test_receptive_field.py`` tries to break the page's claims with them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from solutions.torch_ops import rnn
from solutions.validate import check_int

T, M, D = 10, 2, 3          # steps, input size, hidden (= output) size
WIDTH = 3                   # window (kernel size) w of every layer: a layer reads w steps of the one below
CNN_DILATIONS = (1, 2)      # a dilated causal CNN: the second layer reads every 2nd step
SCALE = 0.5                 # moderate weights: tanh far from saturation, no tiny gradients
LAGS = (0, 1, 2, 5, 10, 20, 40)   # t - k at which the size of (K6) is printed
TINY = 1e-4                 # inputs of input_gain: small, so f' ≈ 1
LARGE_D, LARGE_GAIN, LARGE_T, LARGE_ABOVE = 64, 3.0, 200, 1e10   # a large random U whose (K6) explodes


def _weights(seed: int, *shape: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return SCALE * torch.randn(*shape, generator=g, dtype=torch.float64)


# --8<-- [start:models] causal_conv, CausalStack, SimpleRNN
def causal_conv(x: torch.Tensor, kernel: torch.Tensor, b: torch.Tensor, dilation: int = 1) -> torch.Tensor:
    """The affine part of one causal layer of (K2): out_t = Σ_j W_j x_{t-j·d} + b, zeros before x_1,
    with W_j = kernel[:, :, w-1-j] (conv1d correlates, so the kernel's last tap meets x_t).

    x: (T, C_in), kernel: (C_out, C_in, w), b: (C_out,) -> (T, C_out). Never reads x_{t+1}.
    """
    width = kernel.shape[2]
    x = F.pad(x.T[None], ((width - 1) * dilation, 0))        # (1, C_in, (w-1)d + T): zeros on the left only
    return F.conv1d(x, kernel, b, dilation=dilation)[0].T    # (T, C_out)


class CausalStack:
    """L causal layers h^(l)_t = f(Σ_{j<w} W_j^(l) h^(l-1)_{t-j d_l} + b^(l)), (K2); y_t = h^(L)_t.

    With every d_l = 1 this is the book's TDNN (K1): delays at every layer. f = tanh unless given."""

    def __init__(self, width: int = WIDTH, dilations: tuple[int, ...] = CNN_DILATIONS, seed: int = 10,
                 m: int = M, d: int = D, f: Callable[[torch.Tensor], torch.Tensor] = torch.tanh) -> None:
        sizes = [m] + [d] * len(dilations)
        self.f = f
        self.layers = [(_weights(seed + 2 * l, sizes[l + 1], sizes[l], width), _weights(seed + 2 * l + 1, sizes[l + 1]),
                        dil) for l, dil in enumerate(dilations)]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:      # x: (T, M) -> (T, D)
        for kernel, b, dil in self.layers:
            x = self.f(causal_conv(x, kernel, b, dil))        # (K2), one layer
        return x

    def params(self) -> list[torch.Tensor]:
        return [p for kernel, b, _ in self.layers for p in (kernel, b)]


class SimpleRNN:
    """The book's simple RNN, (K3) = (6.5) with h_t = f(z_t), f = tanh: z_t = U h_{t-1} + W x_t + b,
    y_t = h_t, h_0 = 0."""

    def __init__(self, seed: int = 30, m: int = M, d: int = D) -> None:
        self.W_ih, self.W_hh = _weights(seed, d, m), _weights(seed + 1, d, d)      # W, U
        self.b_ih, self.b_hh = _weights(seed + 2, d), _weights(seed + 3, d)        # b = b_ih + b_hh

    def __call__(self, x: torch.Tensor) -> torch.Tensor:                           # x: (T, M) -> (T, D)
        h0 = torch.zeros(1, self.W_hh.shape[0], dtype=x.dtype)
        return rnn(x[:, None], h0, self.W_ih, self.W_hh, self.b_ih, self.b_hh)[:, 0]   # (K3) at every t

    def params(self) -> list[torch.Tensor]:
        return [self.W_ih, self.W_hh, self.b_ih, self.b_hh]
# --8<-- [end:models]


# --8<-- [start:stream] stream
def stream(model: CausalStack, x: torch.Tensor) -> torch.Tensor:
    """The same outputs as ``model(x)``, one step at a time with a cache: each new input adds one new
    step (D units) per layer, (K2) at the newest step only, read from the last (w-1)d_l + 1 cached
    activations of the layer below."""
    caches = [torch.zeros((k.shape[2] - 1) * dil + 1, k.shape[1], dtype=x.dtype) for k, _, dil in model.layers]
    out = []
    for x_t in x:                                            # x_t: (M,), one new input
        h = x_t
        for (kernel, b, dil), cache in zip(model.layers, caches):
            cache[:-1] = cache[1:].clone()                   # drop the oldest activation
            cache[-1] = h                                    # the layer below's newest one
            taps = cache[::dil]                              # steps t-(w-1)d, ..., t-d, t: (w, C_in)
            h = model.f(torch.einsum("oij,ji->o", kernel, taps) + b)   # (K2) at step t
        out.append(h)
    return torch.stack(out)                                  # (T, D)
# --8<-- [end:stream]


# --8<-- [start:pattern] dependence
def dependence(model, T: int = T, m: int = M) -> tuple[np.ndarray, float]:
    """dep[t, k] = True iff ∂y_t/∂x_k ≠ 0 (any entry of the D × M block), by autograd.

    Also returns the smallest max|∂y_t/∂x_k| over the dependent pairs (inf if none): far above rounding,
    so no ■ below could turn into · on another CPU. Independent pairs are exact zeros: no
    path in the graph, so autograd only ever multiplies and adds zeros there.
    """
    x = torch.randn(T, m, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(model, x)                   # (T, D, T, M): ∂y[t, i]/∂x[k, j]
    block = J.abs().amax(dim=(1, 3)).numpy()                           # (T, T): max over the D × M entries
    dep = block != 0.0
    return dep, float(block[dep].min()) if dep.any() else float("inf")
# --8<-- [end:pattern]


def dependence_over_inputs(model: CausalStack, n: int = 20, T: int = T, m: int = M,
                           scale: float = 1.0) -> np.ndarray:
    """dep[i, t, k] = True iff ∂y_t/∂x_k ≠ 0 at input i, by autograd: input 0 is the one
    [dependence][solutions.experiments.receptive_field.dependence] reads, the other n - 1 are
    N(0, scale²) draws. Returns (n, T, T): with ReLU the pattern depends on the input."""
    first = torch.randn(1, T, m, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    rest = scale * torch.randn(n - 1, T, m, generator=torch.Generator().manual_seed(98), dtype=torch.float64)
    x = torch.cat([first, rest]).requires_grad_()
    y = torch.vmap(model)(x)                                               # (n, T, D): each input on its own
    dep = torch.zeros(n, T, T, dtype=torch.bool)
    for t in range(T):
        for i in range(y.shape[2]):
            g, = torch.autograd.grad(y[:, t, i].sum(), x, retain_graph=True)   # (n, T, M): row t of each Jacobian
            dep[:, t] |= g.abs().amax(dim=2) != 0
    return dep.numpy()


# --8<-- [start:field] offsets, span
def offsets(width: int, dilations: tuple[int, ...]) -> set[int]:
    """S_L of (K4): the lags t - k at which y_t can depend on x_k, S_l = S_{l-1} + {0, d_l, ..., (w-1)d_l}."""
    lags = {0}
    for d in dilations:
        lags = {a + j * d for a in lags for j in range(width)}
    return lags


def span(width: int, dilations: tuple[int, ...]) -> int:
    """r_L of (K5): 1 + (w-1) Σ d_l, one more than the largest lag."""
    return 1 + (width - 1) * sum(dilations)
# --8<-- [end:field]


def rotation(angle: float) -> torch.Tensor:
    c, s = np.cos(angle), np.sin(angle)
    return torch.tensor([[c, -s], [s, c]], dtype=torch.float64)


def input_gain(U: torch.Tensor, scale: float = TINY, T: int = max(LAGS) + 1, seed: int = 5) -> list[float]:
    """‖∂h_T/∂x_k‖₂ of (K6) at the lags T - k in LAGS, by autograd: W = I (D = M = 2), b = 0, h_0 = 0,
    inputs N(0, scale²) drawn with ``seed``. With scale = TINY the state stays small and f' ≈ 1: the
    product of the U's alone shows; with scale = 1 tanh saturates in part and every factor diag(f')
    shrinks it."""
    x = scale * torch.randn(T, 1, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    eye, zero = torch.eye(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda x: rnn(x, zero[None], eye, U, zero, zero)[-1, 0], x)  # (D, T, 1, M)
    return [float(torch.linalg.matrix_norm(J[:, T - 1 - lag, 0], ord=2)) for lag in LAGS]


def large_u_gain(gain: float = LARGE_GAIN, seed: int = 0) -> tuple[float, float, float]:
    """‖∂h_t/∂x_1‖₂ at t = LARGE_T for a large random U (D = LARGE_D, entries N(0, gain²/D)), W with
    entries N(0, 1/M), b = 0, h_0 = 0, tanh, inputs N(0, 1), all drawn with ``seed``, by (K6) run
    forwards: J_1 = diag(f'(z_1)) W, J_t = diag(f'(z_t)) U J_{t-1}.

    Returns
    -------
    (‖∂h_T/∂x_1‖₂, ‖∂h_T/∂x_T‖₂, the mean of f'(z_t) over units and the last three quarters of the steps)
    """
    rng = np.random.default_rng(seed)
    U = gain * rng.standard_normal((LARGE_D, LARGE_D)) / np.sqrt(LARGE_D)
    W, x = rng.standard_normal((LARGE_D, M)) / np.sqrt(M), rng.standard_normal((LARGE_T, M))
    h, J, slopes = np.zeros(LARGE_D), np.eye(LARGE_D)[:, :0], []
    for t in range(LARGE_T):
        h = np.tanh(U @ h + W @ x[t])
        slopes.append(1 - h**2)                                 # f'(z_t) = 1 - h_t²
        J = slopes[-1][:, None] * (W if t == 0 else U @ J)     # diag(f'(z_t)) (U J_{t-1})
    present = np.linalg.norm(slopes[-1][:, None] * W, 2)        # ∂h_T/∂x_T = diag(f'(z_T)) W
    return float(np.linalg.norm(J, 2)), float(present), float(np.mean(slopes[LARGE_T // 4:]))


def lag_gains(model, lags: tuple[int, ...], T: int, m: int = M) -> list[float]:
    """‖∂y_T/∂x_{T-s}‖₂ (the D × M block's spectral norm) at the lags s in ``lags``, by autograd, at the
    input [dependence][solutions.experiments.receptive_field.dependence] reads (seed 99), length T."""
    x = torch.randn(T, m, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda x: model(x)[-1], x)          # (D, T, M): ∂y_T/∂x_k
    return [float(torch.linalg.matrix_norm(J[:, T - 1 - s], ord=2)) for s in lags]


def tap_choices(width: int, dilations: tuple[int, ...], lag: int) -> int:
    """The number of terms of ∂y_t/∂x_{t-s} in the sum over paths through the layers: the choices of one tap
    j_l ∈ {0, ..., w-1} per layer with Σ_l j_l d_l = s (``lag``); 0 outside S_L of (K4)."""
    width, lag = check_int("width", width), check_int("lag", lag, lo=0)
    dilations = [check_int(f"dilations[{i}]", d) for i, d in enumerate(dilations)]
    count = {0: 1}
    for d in dilations:
        nxt: dict[int, int] = {}
        for a, c in count.items():
            for j in range(width):
                nxt[a + j * d] = nxt.get(a + j * d, 0) + c
        count = nxt
    return count.get(lag, 0)


def kernel_bound(model: CausalStack) -> float:
    """(K8): Π_l Σ_j ‖W_j^(l)‖₂, a bound on ‖∂y_t/∂x_k‖₂ at every lag t - k when |f'| ≤ 1."""
    return float(np.prod([sum(float(torch.linalg.matrix_norm(kernel[:, :, j], ord=2)) for j in range(kernel.shape[2]))
                          for kernel, _, _ in model.layers]))


def expected(lags: set[int] | None, T: int = T) -> np.ndarray:
    """dep[t, k] predicted: t - k ∈ S_L (k ≤ t); ``None`` for the RNN: every k ≤ t."""
    t, k = np.arange(T)[:, None], np.arange(T)[None, :]
    if lags is None:
        return k <= t
    return np.isin(t - k, sorted(lags))
