"""Five ways to be deep, built in PyTorch for measuring: gradient reach at initialisation.

The exercise-6-6 page compares five recurrent structures, all of tanh layers of width ``H``:

=========  ==============================================================  ==========
name       structure                                                       graph
=========  ==============================================================  ==========
simple     ``h_t = tanh(U h_{t-1} + W x_t + b)``, NNDL (6.5)               ``simple``
stacked    two simple layers, the upper reading the lower (§6.7.1)         ``stacked``
dt         deep transition, ``m = 2`` layers per step (DT-RNN)             ``deep-transition``
dt-s       the same with the shortcut ``h_{t-1} → h_t`` (DT(S)-RNN)        ``deep-transition-shortcut``
skip       the simple RNN plus ``U_Δ h_{t-Δ}``, ``Δ = 4``                  ``skip``
=========  ==============================================================  ==========

[states][solutions.experiments.depth.states] runs one of them on the torch references of
[solutions.deep_rnn][] and returns, per step, the tensors that make up its state (the two
layers' states for the stacked RNN), which later steps read — so ``retain_grad()`` on them
gives ``∂L/∂(state at step k)``. [gradient_reach][solutions.experiments.depth.gradient_reach]
measures ``‖∂L_T/∂h_k‖`` against ``n = T − k`` at initialisation, and
[renewal_slope][solutions.experiments.depth.renewal_slope] predicts its slope by counting
paths (see the page, section "Gradient reach").
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import torch

from solutions.deep_rnn import dt_forward_torch, skip_forward_torch, stacked_forward_torch
from solutions.rnn_graph import RnnGraph, architecture

ARCHS = ("simple", "stacked", "dt", "dt-s", "skip")
SKIP = 4          # Δ of the skip RNN
DEPTH = 2         # m of dt and dt-s, layers of stacked

_GRAPH = {"simple": ("simple", 1), "stacked": ("stacked", DEPTH), "dt": ("deep-transition", DEPTH),
          "dt-s": ("deep-transition-shortcut", DEPTH), "skip": ("skip", SKIP)}


def graph(arch: str) -> RnnGraph:
    """The cyclic graph of ``arch`` (for its measures)."""
    _check_arch(arch)
    return architecture(*_GRAPH[arch])


def _check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}; got {arch!r}")


def param_shapes(arch: str, I: int, H: int) -> dict[str, tuple[int, ...]]:
    """Every parameter of ``arch`` and its shape (the stacked RNN's layer-2 keys end in ``_l1``)."""
    _check_arch(arch)
    shapes = {"W_ih": (H, I), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
    if arch == "stacked":
        shapes.update({"W_ih_l1": (H, H), "W_hh_l1": (H, H), "b_ih_l1": (H,), "b_hh_l1": (H,)})
    if arch in ("dt", "dt-s"):
        shapes.update({"W_2": (H, H), "b_2": (H,)})
    if arch == "dt-s":
        shapes["W_sc"] = (H, H)
    if arch == "skip":
        shapes["W_skip"] = (H, H)
    return shapes


def count_params(arch: str, I: int, H: int) -> int:
    """How many numbers the recurrent part of ``arch`` learns (its output layer not included)."""
    return sum(math.prod(s) for s in param_shapes(arch, I, H).values())


def init_params(arch: str, I: int, H: int, rng: np.random.Generator, gain: float | None = None) -> dict[str, torch.Tensor]:
    """float64 parameters of ``arch``, drawn key by key from ``rng``.

    ``gain=None``: every entry uniform in ``±1/√H``, ``torch.nn.RNN``'s initialisation.
    ``gain=γ``: every (H, H) weight ``γ·Q`` with ``Q`` a random orthogonal matrix (so each
    recurrent or transition edge scales a vector by exactly γ before its tanh), input weights
    ``N(0, 1/I)``, biases 0.
    """
    out = {}
    for k, shape in param_shapes(arch, I, H).items():
        if gain is None:
            a = rng.uniform(-1 / math.sqrt(H), 1 / math.sqrt(H), size=shape)
        elif len(shape) == 1:
            a = np.zeros(shape)
        elif k == "W_ih":
            a = rng.normal(0.0, 1 / math.sqrt(I), size=shape)
        else:
            q, r = np.linalg.qr(rng.normal(size=shape))
            a = gain * q * np.sign(np.diag(r))          # Haar-random orthogonal, times γ
        out[k] = torch.tensor(a, dtype=torch.float64)
    return out


def states(arch: str, x: torch.Tensor, params: dict[str, torch.Tensor]) -> list[list[torch.Tensor]]:
    """Run ``arch`` from zero initial states: ``out[t]`` is the list of tensors (B, H) forming its state after step ``t + 1``.

    One tensor per step for every structure but the stacked RNN (two: layer 1, layer 2). The
    last tensor of each step is the top state, which an output layer reads.
    """
    _check_arch(arch)
    B, H = x.shape[1], params["W_hh"].shape[0]
    zero = torch.zeros(B, H, dtype=torch.float64)
    if arch == "stacked":
        layers = [{k: params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")},
                  {k: params[f"{k}_l1"] for k in ("W_ih", "W_hh", "b_ih", "b_hh")}]
        return stacked_forward_torch(x, torch.zeros(2, B, H, dtype=torch.float64), layers)
    if arch == "skip":
        return [[h] for h in skip_forward_torch(x, zero, params, SKIP)]
    return [[h] for h in dt_forward_torch(x, zero, params, DEPTH if arch != "simple" else 1, arch == "dt-s")]


def gradient_reach(arch: str, gain: float, *, T: int = 40, B: int = 8, I: int = 8, H: int = 32,
                   input_std: float = 0.1, seed: int = 0) -> np.ndarray:
    """``log10 ‖∂L_T/∂(state at step k)‖``, averaged over ``B`` sequences, for ``k = 1 … T``.

    ``L_T = uᵀ h_T`` with ``u`` a fixed random unit vector and ``h_T`` the top state after the
    last step; parameters from ``init_params(arch, I, H, rng, gain)``, inputs
    ``N(0, input_std²)``. Entry ``k − 1`` belongs to distance ``n = T − k``.
    """
    rng = np.random.default_rng(seed)
    params = init_params(arch, I, H, rng, gain)
    x = torch.tensor(rng.normal(0.0, input_std, size=(T, B, I)))
    u = torch.tensor(rng.normal(size=H))
    return reach(arch, params, x, u / u.norm())


def reach(arch: str, params: dict[str, torch.Tensor], x: torch.Tensor, u: torch.Tensor) -> np.ndarray:
    """``log10 ‖∂L_T/∂(state at step k)‖``, averaged over the sequences, for ``k = 1 … T``.

    ``L_T = uᵀ h_T``, summed over the batch, with ``h_T`` the top state after the last step of
    ``x`` (T, B, I); ``u`` (H,). Entry ``k − 1`` belongs to distance ``n = T − k``.
    """
    x = x.detach().clone().requires_grad_(True)        # so the states track gradients
    # --8<-- [start:reach] reach
    steps = states(arch, x, params)
    for parts in steps:
        for h in parts:
            h.retain_grad()                     # keep ∂L_T/∂(this state) when backward runs
    (steps[-1][-1] @ u).sum().backward()        # L_T = uᵀ h_T, summed over the batch
    sq = [sum(h.grad.pow(2).sum(dim=1) for h in parts) for parts in steps]   # ‖∂L_T/∂state_k‖², per sequence
    return np.array([0.5 * torch.log10(s).mean().item() for s in sq])
    # --8<-- [end:reach]


def fitted_slope(log_norms: np.ndarray, n_min: int, n_max: int) -> float:
    """Least-squares slope of ``log10 ‖∂L_T/∂h_k‖`` against ``n = T − k`` over ``n_min ≤ n ≤ n_max``."""
    T = len(log_norms)
    n = np.arange(T - 1, -1, -1)
    sel = (n >= n_min) & (n <= n_max)
    return float(np.polyfit(n[sel], log_norms[sel], 1)[0])


def routes(g: RnnGraph, node: str) -> list[tuple[int, int]]:
    """``(length, delay)`` of every simple cycle through ``node``: the ways back to it, one step block at a time."""
    out = []

    def walk(v: str, seen: frozenset[str], length: int, delay: int) -> None:
        for a, b, d in g.edges:
            if a != v:
                continue
            if b == node:
                out.append((length + 1, delay + d))
            elif b not in seen:
                walk(b, seen | {b}, length + 1, delay + d)

    walk(node, frozenset({node}), 0, 0)
    return out


def renewal_slope(g: RnnGraph, node: str, gain: float) -> float:
    """The slope of ``log10 ‖∂L_T/∂h_k‖`` per step predicted by counting paths.

    A path from ``h_k`` back to ``h_T`` is a sequence of cycles through ``h`` (routes, each of
    some length ``ℓ`` and delay ``d``) with delays adding up to ``n = T − k``. If every edge
    scales by γ, tanh′ ≈ 1 and the paths' contributions are uncorrelated (independent random
    orthogonal weights), ``E‖∂L_T/∂h_k‖² ≈ Σ_paths γ^{2ℓ}``, which grows like ``ρⁿ`` with ``ρ``
    the root of ``Σ_routes γ^{2ℓ} ρ^{−d} = 1``; the slope is ``½ log10 ρ``. When γ → 0 and a
    single route attains the largest ``d/ℓ`` (true for every structure here), that route dominates
    and the slope minus ``log10(γ)/s`` tends to 0; with two routes tied at the maximum it does not
    (two delay-1 loops: ``ρ = 2γ²``, a constant ``½·log10 2`` above ``log10 γ``).

    The routes are the *simple* cycles through ``node``: the count is exact only if every cycle
    that a walk from ``node`` back to ``node`` can enter passes through ``node`` (true for every
    structure here). It counts paths from ``node`` only: for the stacked RNN, whose measured state
    also holds layer 1 (``reach`` sums both layers), layer 1's own loop is not counted; with the
    same gain γ on both loops its ``n + 1`` paths add ``(n + 1) γ^{2(n+1)}`` to the squared norm
    ``γ^{2n}`` of the paths from ``h2``: a factor polynomial in ``n``, not a new rate.
    """
    rs = routes(g, node)
    f = lambda rho: sum(gain ** (2 * l) * rho ** (-d) for l, d in rs) - 1.0   # noqa: E731  decreasing in ρ
    lo, hi = 1e-12, 1.0
    while f(hi) > 0:
        hi *= 2.0
    for _ in range(200):                      # bisection to float precision
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return 0.5 * math.log10(0.5 * (lo + hi))


def skip_slope(s: Fraction, gain: float) -> float:
    """The slope predicted by the skip coefficient alone: one shortest path, ``log10(γ)/s``."""
    return math.log10(gain) / float(s)


def state_node(arch: str) -> str:
    """The node of ``graph(arch)`` that holds the top state (the one ``L_T`` reads)."""
    _check_arch(arch)
    return f"h{DEPTH}" if arch == "stacked" else "h"
