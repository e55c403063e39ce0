"""Deeper RNNs than the stacked one: the deep transition (DT, DT(S)) and the skip connection, in NumPy.

Book notation (NNDL §6.2, (6.5)): ``z_t = U h_{t-1} + W x_t + b``, ``h_t = tanh(z_t)``.
Code notation: PyTorch's names, ``W_ih`` = W, ``W_hh`` = U, ``b_ih + b_hh`` = b, time first.

**Deep transition** (DT-RNN, Pascanu, Gulcehre, Cho & Bengio 2014): ``m`` nonlinear layers
between ``h_{t-1}`` and ``h_t``,

    g¹_t = tanh(U h_{t-1} + W x_t + b)              layer 1: the simple RNN's step
    gˡ_t = tanh(Wˡ gˡ⁻¹_t + bˡ)                     l = 2 … m   (``W_l``, ``b_l`` in code)
    h_t  = gᵐ_t

so ``m = 1`` is the simple RNN (a test ties it to [rnn_forward][solutions.sequence.rnn_forward]).
**With the shortcut** (DT(S)-RNN) the top layer also reads ``h_{t-1}`` directly,
``zᵐ_t = Wᵐ gᵐ⁻¹_t + U_sc h_{t-1} + bᵐ`` (``W_sc``), which gives the state a path of one
layer per step beside the path of ``m`` layers.

**Skip connection across time**: the simple RNN plus an edge from ``Δ`` steps back,

    h_t = tanh(U h_{t-1} + U_Δ h_{t-Δ} + W x_t + b)        (``W_skip`` = U_Δ, ``skip`` = Δ ≥ 2)

where a state before the sequence is ``h_0`` (``h_{t-Δ} = h_0`` for ``t ≤ Δ``).

Both structures run on one pair of loops, written step by step for reading: the forward loop
[deep_forward_unchecked][solutions.deep_rnn.deep_forward_unchecked] (``m`` layers per step, the shortcut, the skip edge)
and the backward loop [deep_backward_unchecked][solutions.deep_rnn.deep_backward_unchecked], BPTT from ``t = T`` down to 1: it
carries ``∂L/∂h_t`` (the loss terms ``dh`` plus what the later steps send back) and turns it into
the errors ``δˡ_t = ∂L/∂zˡ_t`` layer by layer; the weight gradients are then sums over steps, one
matrix product each, as (6.39)–(6.41) of the book. ``dt_forward``/``dt_backward`` and
``skip_forward``/``skip_backward`` check their inputs and call the pair; the torch versions
(``*_torch``, written separately) are the autograd references of the tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from solutions.validate import RNN_PARAM_SHAPES, Params, check_cache, check_dh, check_inputs, check_int


def dt_param_shapes(m: int, shortcut: bool = False) -> dict[str, tuple[str, ...]]:
    """The parameters of a deep transition with ``m`` layers and the shape of each.

    ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,) for layer 1; ``W_l`` (H, H)
    and ``b_l`` (H,) for ``l = 2 … m``; ``W_sc`` (H, H) with the shortcut.

    Raises
    ------
    ValueError
        ``m`` < 1, ``shortcut`` not a bool, or a shortcut with ``m = 1`` (it would be a second
        ``U``).
    """
    m = check_int("m", m, 1)
    if not isinstance(shortcut, (bool, np.bool_)):
        raise ValueError(f"shortcut must be a bool; got {shortcut!r}")
    if shortcut and m < 2:
        raise ValueError("shortcut=True needs m >= 2: with one layer the shortcut h_{t-1} -> h_t is U itself")
    shapes = dict(RNN_PARAM_SHAPES)
    for l in range(2, m + 1):
        shapes[f"W_{l}"], shapes[f"b_{l}"] = ("H", "H"), ("H",)
    if shortcut:
        shapes["W_sc"] = ("H", "H")
    return shapes


#: The parameters of the skip-connection RNN and their shapes.
SKIP_PARAM_SHAPES: dict[str, tuple[str, ...]] = {**RNN_PARAM_SHAPES, "W_skip": ("H", "H")}


def random_deep_params(
    rng: np.random.Generator | int,
    I: int,
    H: int,
    m: int = 1,
    shortcut: bool = False,
    skip: bool = False,
    std: float = 0.5,
    bias_std: float = 0.1,
) -> Params:
    """Random parameters for [dt_forward][solutions.deep_rnn.dt_forward] or, with ``skip=True``,
    [skip_forward][solutions.deep_rnn.skip_forward]: weights ``N(0, std²)``, biases
    ``N(0, bias_std²)``, drawn key by key in the order of the shape dict."""
    check_int("I", I, 1)
    check_int("H", H, 1)
    shapes = SKIP_PARAM_SHAPES if skip else dt_param_shapes(m, shortcut)
    rng = np.random.default_rng(rng)
    size = {"H": H, "I": I}
    return {k: rng.normal(0.0, std if len(s) == 2 else bias_std, size=tuple(size[d] for d in s))
            for k, s in shapes.items()}


def deep_forward_unchecked(
    x: np.ndarray, h0: np.ndarray, p: Params, m: int, shortcut: bool, skip: int | None
) -> np.ndarray:
    """The forward loop of every structure here, step by step and layer by layer (no input checks).

    ``gˡ_t`` for ``l = 1 … m`` and ``t = 1 … T``: layer 1 is the simple RNN's step, plus
    ``U_Δ h_{t-Δ}`` when ``skip = Δ`` (``h_{t-Δ} = h_0`` while ``t ≤ Δ``); layers 2 … m are
    ``tanh(Wˡ gˡ⁻¹_t + bˡ)``, the top one plus ``U_sc h_{t-1}`` when ``shortcut``; ``h_t = gᵐ_t``.
    Called by [dt_forward][solutions.deep_rnn.dt_forward] (``skip=None``) and
    [skip_forward][solutions.deep_rnn.skip_forward] (``m = 1``), which check the inputs first.

    Returns
    -------
    g : ndarray of shape (m, T, B, H)
        ``g[l-1, t-1] = gˡ_t``; ``g[m-1]`` holds the states ``h_1 … h_T``.
    """
    T, B, _ = x.shape
    # --8<-- [start:forward] deep_forward_unchecked
    g = np.empty((m, T, B, h0.shape[1]), dtype=x.dtype)    # g[l-1, t-1] = gˡ_t
    state = lambda t: g[m - 1, t] if t >= 0 else h0         # noqa: E731  (h_{t+1}; before the sequence h_0)
    for t in range(T):
        z = x[t] @ p["W_ih"].T + state(t - 1) @ p["W_hh"].T + p["b_ih"] + p["b_hh"]  # W x_t + U h_{t-1} + b   (deep-dt)
        if skip:
            z += state(t - skip) @ p["W_skip"].T                                   # + U_Δ h_{t-Δ}  (deep-skip)
        g[0, t] = np.tanh(z)                                                        # g¹_t
        for l in range(2, m + 1):
            z = g[l - 2, t] @ p[f"W_{l}"].T + p[f"b_{l}"]                           # Wˡ gˡ⁻¹_t + bˡ  (deep-dt)
            if shortcut and l == m:
                z += state(t - 1) @ p["W_sc"].T                                     # + U_sc h_{t-1}  (deep-dts)
            g[l - 1, t] = np.tanh(z)                                                # gˡ_t; h_t = gᵐ_t
    # --8<-- [end:forward]
    return g


def deep_backward_unchecked(
    dh: np.ndarray, x: np.ndarray, h0: np.ndarray, g: np.ndarray, p: Params, shortcut: bool, skip: int | None
) -> dict[str, np.ndarray]:
    """BPTT for [deep_forward_unchecked][solutions.deep_rnn.deep_forward_unchecked] (no input checks).

    ``h_t`` is read by step ``t+1`` (through ``U``, and ``U_sc`` with the shortcut) and by step
    ``t+Δ`` (through ``U_Δ``), so ``∂L/∂h_t = dh_t + Uᵀ δ¹_{t+1} (+ U_scᵀ δᵐ_{t+1}) (+ U_Δᵀ δ¹_{t+Δ})``;
    inside a step, down the layers, ``δᵐ_t = tanh'(zᵐ_t) ⊙ ∂L/∂h_t`` and
    ``δˡ⁻¹_t = tanh'(zˡ⁻¹_t) ⊙ Wˡᵀ δˡ_t``, with ``tanh'(z) = 1 − g²``.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence (a fresh array: the loop adds into it).
    x, h0, g, p, shortcut, skip
        The forward pass's inputs and its ``g`` (m, T, B, H).

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), and one entry per parameter, shaped like it.
    """
    m, T, B, H = g.shape
    # --8<-- [start:backward] deep_backward_unchecked
    delta = np.empty_like(g)                    # delta[l-1, t-1] = δˡ_t = ∂L/∂zˡ_t
    dh0 = np.zeros((B, H), dtype=g.dtype)       # ∂L/∂h_0
    for t in range(T - 1, -1, -1):              # dh[t] is complete: every reader of h_t is later
        dg = dh[t]                              # ∂L/∂h_t = ∂L/∂gᵐ_t
        for l in range(m, 0, -1):
            delta[l - 1, t] = (1.0 - g[l - 1, t] ** 2) * dg     # δˡ_t = tanh'(zˡ_t) ⊙ ∂L/∂gˡ_t  (deep-dt-delta)
            if l > 1:
                dg = delta[l - 1, t] @ p[f"W_{l}"]              # ∂L/∂gˡ⁻¹_t = Wˡᵀ δˡ_t  (deep-dt-delta)
        sends = [(t - 1, delta[0, t] @ p["W_hh"])]              # Uᵀ δ¹_t to h_{t-1}  (deep-dt-delta)
        if shortcut:
            sends.append((t - 1, delta[m - 1, t] @ p["W_sc"]))  # U_scᵀ δᵐ_t to h_{t-1}  (deep-dt-delta, DT(S))
        if skip:
            sends.append((t - skip, delta[0, t] @ p["W_skip"]))  # U_Δᵀ δ¹_t to h_{t-Δ}  (deep-skip-delta)
        for src, d_src in sends:
            if src >= 0:
                dh[src] += d_src
            else:
                dh0 += d_src                                    # a state before the sequence is h_0
    # --8<-- [end:backward]
    # --8<-- [start:grads] deep_backward_unchecked
    rows = lambda a: a.reshape(T * B, -1)       # noqa: E731  (steps and examples as rows)
    before = lambda k: np.concatenate([np.broadcast_to(h0, (min(k, T), B, H)), g[m - 1, : max(T - k, 0)]])  # noqa: E731
    d1 = rows(delta[0])
    grads = {
        "x": (d1 @ p["W_ih"]).reshape(x.shape),  # Wᵀ δ¹_t
        "h0": dh0,
        "W_ih": d1.T @ rows(x),                  # Σ_t δ¹_t x_tᵀ          (deep-dt-grads); (6.40) in the book
        "W_hh": d1.T @ rows(before(1)),          # Σ_t δ¹_t h_{t-1}ᵀ      (deep-dt-grads); (6.39) in the book
        "b_ih": d1.sum(axis=0),                  # Σ_t δ¹_t               ∂L/∂b;     (6.41) in the book
    }
    grads["b_hh"] = grads["b_ih"].copy()
    for l in range(2, m + 1):
        dl = rows(delta[l - 1])
        grads[f"W_{l}"] = dl.T @ rows(g[l - 2])  # Σ_t δˡ_t gˡ⁻¹_tᵀ        (deep-dt-grads)
        grads[f"b_{l}"] = dl.sum(axis=0)         # Σ_t δˡ_t               ∂L/∂b^(l)
    if shortcut:
        grads["W_sc"] = rows(delta[m - 1]).T @ rows(before(1))   # Σ_t δᵐ_t h_{t-1}ᵀ  (deep-dt-grads)
    if skip:
        grads["W_skip"] = d1.T @ rows(before(skip))              # Σ_t δ¹_t h_{t-Δ}ᵀ  (after deep-skip-delta)
    # --8<-- [end:grads]
    return grads


class DtCache(NamedTuple):
    """What [dt_forward][solutions.deep_rnn.dt_forward] keeps for [dt_backward][solutions.deep_rnn.dt_backward]."""

    PRODUCER = "solutions.deep_rnn.dt_forward"
    SHAPES = {"x": ("T", "B", "I"), "h0": ("B", "H"), "g": ("m", "T", "B", "H")}   # params: dt_param_shapes(m, shortcut)

    x: np.ndarray
    """(T, B, I), the inputs."""
    h0: np.ndarray
    """(B, H), the initial state."""
    g: np.ndarray
    """(m, T, B, H): ``g[l-1, t-1]`` is ``gˡ_t``; ``g[m-1]`` is the states ``h_1 … h_T`` (a copy)."""
    params: Params
    """The checked parameters (the caller's arrays)."""
    shortcut: bool
    """Whether the top layer reads ``h_{t-1}`` through ``W_sc``."""


def dt_forward(
    x: np.ndarray, h0: np.ndarray, params: Params, m: int = 1, shortcut: bool = False
) -> tuple[np.ndarray, DtCache]:
    """Run the deep-transition RNN: ``m`` tanh layers from ``(h_{t-1}, x_t)`` to ``h_t``.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        The keys of [dt_param_shapes][solutions.deep_rnn.dt_param_shapes]``(m, shortcut)``, in
        ``x``'s dtype; other keys are ignored.
    m : int
        Nonlinear layers per step, ``≥ 1``; 1 is the simple RNN.
    shortcut : bool
        DT(S): add ``U_sc h_{t-1}`` (``W_sc``) to the top layer's input (needs ``m ≥ 2``).

    Returns
    -------
    h : ndarray of shape (T, B, H)
        The states ``h_1 … h_T``.
    cache : DtCache
        For [dt_backward][solutions.deep_rnn.dt_backward].

    Raises
    ------
    ValueError
        Wrong rank or shape (naming the argument and the expected shape), a missing parameter,
        mixed dtypes, NaN or infinity, ``m`` < 1, or a shortcut with ``m = 1``.
    """
    _, p = check_inputs(x, h0, params, shapes=dt_param_shapes(m, shortcut))
    m = int(m)
    g = deep_forward_unchecked(x, h0, p, m, bool(shortcut), None)
    return g[m - 1].copy(), DtCache(x, h0, g, p, bool(shortcut))


def _with_final(dh: np.ndarray, dh_n: np.ndarray | None) -> np.ndarray:
    """``dh`` with ``dh_n`` (∂L/∂h_T from a loss on the final state) added to its last step, as a new array."""
    dh = dh.copy()
    if dh_n is not None:
        dh[-1] += dh_n
    return dh


def dt_backward(dh: np.ndarray, cache: DtCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """BPTT for [dt_forward][solutions.deep_rnn.dt_forward].

    Backwards in time, ``∂L/∂h_t = dh_t + Uᵀ δ¹_{t+1} (+ U_scᵀ δᵐ_{t+1})``; inside the step,
    down the layers, ``δᵐ_t = tanh'(zᵐ_t) ⊙ ∂L/∂h_t`` and
    ``δˡ⁻¹_t = tanh'(zˡ⁻¹_t) ⊙ Wˡᵀ δˡ_t``, with ``tanh'(z) = 1 − g²``.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence for every step ``t``.
    cache : DtCache
        From [dt_forward][solutions.deep_rnn.dt_forward].
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_T`` of a loss on the final state (``torch.nn.RNN``'s ``h_n``); added to ``dh[-1]``.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), and one entry per parameter, shaped like it.

    Raises
    ------
    ValueError
        ``cache`` not a ``DtCache``; ``dh`` or ``dh_n`` of the wrong shape or dtype, NaN or infinity.
    """
    s = check_cache(cache, DtCache)
    x, h0, g, p, shortcut = cache
    s.params("cache.params", p, dt_param_shapes(len(g), shortcut), finite=False)
    check_dh(s, dh, dh_n=dh_n)
    return deep_backward_unchecked(_with_final(dh, dh_n), x, h0, g, p, shortcut, None)


class SkipCache(NamedTuple):
    """What [skip_forward][solutions.deep_rnn.skip_forward] keeps for [skip_backward][solutions.deep_rnn.skip_backward]."""

    PRODUCER = "solutions.deep_rnn.skip_forward"
    SHAPES = {"x": ("T", "B", "I"), "h0": ("B", "H"), "h": ("T", "B", "H"), "params": SKIP_PARAM_SHAPES}

    x: np.ndarray
    """(T, B, I), the inputs."""
    h0: np.ndarray
    """(B, H), the initial state (also every state before the sequence)."""
    h: np.ndarray
    """(T, B, H), the states ``h_1 … h_T`` (a copy)."""
    params: Params
    """``W_ih``, ``W_hh``, ``W_skip``, ``b_ih``, ``b_hh``."""
    skip: int
    """Δ, the delay of the skip edge."""


def skip_forward(x: np.ndarray, h0: np.ndarray, params: Params, skip: int = 2) -> tuple[np.ndarray, SkipCache]:
    """Run the RNN with a skip edge across time: ``h_t = tanh(U h_{t-1} + U_Δ h_{t-Δ} + W x_t + b)``.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state; ``h_{t-Δ} = h_0`` while ``t ≤ Δ``.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``W_skip`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,).
    skip : int
        Δ ≥ 2, the delay of the skip edge (Δ = 1 would be a second ``U``).

    Returns
    -------
    h : ndarray of shape (T, B, H)
        The states ``h_1 … h_T``.
    cache : SkipCache
        For [skip_backward][solutions.deep_rnn.skip_backward].

    Raises
    ------
    ValueError
        As [dt_forward][solutions.deep_rnn.dt_forward], or ``skip`` not an integer ≥ 2.
    """
    _, p = check_inputs(x, h0, params, shapes=SKIP_PARAM_SHAPES)
    d = check_int("skip", skip, 2)
    h = deep_forward_unchecked(x, h0, p, 1, False, d)[0]
    return h, SkipCache(x, h0, h.copy(), p, d)


def skip_backward(dh: np.ndarray, cache: SkipCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """BPTT for [skip_forward][solutions.deep_rnn.skip_forward].

    ``h_t`` feeds two later steps, ``t+1`` (through U) and ``t+Δ`` (through U_Δ), so
    ``∂L/∂h_t = dh_t + Uᵀ δ_{t+1} + U_Δᵀ δ_{t+Δ}``; going backwards, step ``t`` adds its
    ``δ_t = tanh'(z_t) ⊙ ∂L/∂h_t`` into the two states it read.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence for every step ``t``.
    cache : SkipCache
        From [skip_forward][solutions.deep_rnn.skip_forward].
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_T`` of a loss on the final state; added to ``dh[-1]``.

    Returns
    -------
    grads : dict
        ``x``, ``h0``, ``W_ih``, ``W_hh``, ``W_skip``, ``b_ih``, ``b_hh``.

    Raises
    ------
    ValueError
        ``cache`` not a ``SkipCache``; ``dh`` or ``dh_n`` of the wrong shape or dtype, NaN or infinity.
    """
    check_dh(check_cache(cache, SkipCache), dh, dh_n=dh_n)
    x, h0, h, p, d = cache
    return deep_backward_unchecked(_with_final(dh, dh_n), x, h0, h[None], p, False, d)


def dt_forward_torch(
    x: torch.Tensor, h0: torch.Tensor, params: dict[str, torch.Tensor], m: int = 1, shortcut: bool = False
) -> list[torch.Tensor]:
    """[dt_forward][solutions.deep_rnn.dt_forward] in PyTorch, for autograd.

    Returns the states ``h_1 … h_T`` as a list of (B, H) tensors, one per step, so that a caller
    can ``retain_grad()`` each (``torch.stack`` gives the (T, B, H) of ``dt_forward``).
    """
    hs, h_prev = [], h0
    for x_t in x:
        a = torch.tanh(x_t @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"])
        for l in range(2, m + 1):
            z = a @ params[f"W_{l}"].T + params[f"b_{l}"]
            a = torch.tanh(z + h_prev @ params["W_sc"].T if shortcut and l == m else z)
        hs.append(a)
        h_prev = a
    return hs


def skip_forward_torch(
    x: torch.Tensor, h0: torch.Tensor, params: dict[str, torch.Tensor], skip: int = 2
) -> list[torch.Tensor]:
    """[skip_forward][solutions.deep_rnn.skip_forward] in PyTorch: the states ``h_1 … h_T``, one (B, H) tensor per step."""
    hs: list[torch.Tensor] = []
    state = lambda t: hs[t] if t >= 0 else h0   # noqa: E731
    for t, x_t in enumerate(x):
        hs.append(torch.tanh(x_t @ params["W_ih"].T + params["b_ih"] + state(t - 1) @ params["W_hh"].T
                             + state(t - skip) @ params["W_skip"].T + params["b_hh"]))
    return hs


def stacked_forward_torch(
    x: torch.Tensor, h0: torch.Tensor, layers: list[dict[str, torch.Tensor]]
) -> list[list[torch.Tensor]]:
    """The stacked RNN of NNDL §6.7.1 in PyTorch, step by step: ``out[t][l]`` is layer ``l``'s state (B, H) at step ``t``.

    Layer ``l`` reads layer ``l − 1``'s state at the same step (layer 0 reads ``x``), as
    ``torch.nn.RNN(num_layers=L)``; ``h0`` is (L, B, H). Each layer has the parameters
    ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` (``W_ih`` is (H, H) above layer 0).
    """
    prev, out = list(h0), []
    for x_t in x:
        inp = x_t
        for l, p in enumerate(layers):
            prev[l] = torch.tanh(inp @ p["W_ih"].T + p["b_ih"] + prev[l] @ p["W_hh"].T + p["b_hh"])
            inp = prev[l]
        out.append(list(prev))
    return out
