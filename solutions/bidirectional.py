"""Bidirectional RNN (双向循环神经网络), forward and backward, one layer or stacked, in NumPy.

Book notation (NNDL, section "双向循环神经网络 (bidirectional RNN)" of "深层循环神经网络"), with
the book's direction superscripts (1) and (2) written as arrows, → forward and ← backward::

    →h_t = f(→U →h_{t-1} + →W x_t + →b)   t = 1 … T
    ←h_t = f(←U ←h_{t+1} + ←W x_t + ←b)   t = T … 1
    h_t  = →h_t ⊕ ←h_t

Code notation: PyTorch's names and row layout per direction (``W_ih`` = W, ``W_hh`` = U,
``b_ih + b_hh`` = b), time first unless ``batch_first``. Both directions run on the one kernel
[rnn_forward][solutions.sequence.rnn_forward]: the backward direction *is* the forward
recurrence applied to the time-reversed sequence, and its states are flipped back before the
concatenation. The backward pass likewise calls [rnn_backward][solutions.sequence.rnn_backward]
twice. Results equal ``torch.nn.RNN(I, H, num_layers=L, bidirectional=True)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from solutions.sequence import RnnCache, rnn_backward_unchecked, rnn_forward_unchecked
from solutions.validate import RNN_PARAM_SHAPES, Params, Shapes, check_cache


class BiCache(NamedTuple):
    """What [birnn_forward][solutions.bidirectional.birnn_forward] keeps for
    [birnn_backward][solutions.bidirectional.birnn_backward]."""

    PRODUCER = "solutions.bidirectional.birnn_forward"
    SHAPES = {}                        # fwd and bwd are RnnCaches, checked as such (_check_bi)

    fwd: RnnCache
    """The forward direction's kernel cache."""
    bwd: RnnCache
    """The backward direction's kernel cache, for the time-reversed sequence."""
    batch_first: bool
    """Whether ``x`` and ``out`` were (B, T, ·)."""


class StackedCache(NamedTuple):
    """What [stacked_birnn_forward][solutions.bidirectional.stacked_birnn_forward] keeps for
    [stacked_birnn_backward][solutions.bidirectional.stacked_birnn_backward]."""

    PRODUCER = "solutions.bidirectional.stacked_birnn_forward"
    SHAPES = {}                        # each layer is a BiCache, checked as such (_check_bi)

    layers: list[BiCache]
    """One [BiCache][solutions.bidirectional.BiCache] per layer, bottom first (each time first)."""
    batch_first: bool
    """Whether ``x`` and ``out`` were (B, T, ·)."""

#: Layers >= 1 read the (T, B, 2H) output of the layer below, so their ``W_ih`` is (H, 2H).
UPPER_PARAM_SHAPES: dict[str, tuple[str, ...]] = {**RNN_PARAM_SHAPES, "W_ih": ("H", "2H")}


def _check_bi(cache: object, name: str = "cache", shapes: Shapes | None = None) -> Shapes:
    """``cache`` a [BiCache][solutions.bidirectional.BiCache] whose two directions are
    [RnnCache][solutions.sequence.RnnCache]s of the same sizes (and of ``shapes``' sizes, if given)."""
    check_cache(cache, BiCache, name)
    s = check_cache(cache.fwd, RnnCache, f"{name}.fwd", shapes)
    check_cache(cache.bwd, RnnCache, f"{name}.bwd", s)
    return s


def _check_batch_first(batch_first: object) -> bool:
    if not isinstance(batch_first, (bool, np.bool_)):
        raise ValueError(f"batch_first must be a bool (True or False); got {batch_first!r}")
    return bool(batch_first)


def _seq_spec(batch_first: bool, feature: str) -> tuple[str, str, str]:
    return ("B", "T", feature) if batch_first else ("T", "B", feature)


def _check_states(s: Shapes, name: str, a: object, n: int, sym: str) -> np.ndarray:
    """``a`` of shape (n, B, H): ``n`` = 2 (one state per direction) times the layers."""
    if isinstance(a, np.ndarray) and a.ndim == 3 and a.shape[0] != n:
        bound = "" if sym == str(n) else f" with {sym} = {n}"
        raise ValueError(
            f"{name} must have shape ({sym}, B, H){bound}, one (B, H) state per layer and direction "
            f"in PyTorch's order (layer 0 forward, layer 0 backward, layer 1 forward, …); "
            f"got shape {a.shape}"
        )
    s.dims[sym] = n
    return s.array(name, a, (sym, "B", "H"))


def birnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    params_fwd: Params,
    params_bwd: Params,
    batch_first: bool = False,
) -> tuple[np.ndarray, np.ndarray, BiCache]:
    """One bidirectional RNN layer: the two directions and their concatenation ``→h_t ⊕ ←h_t``.

    The forward direction is ``→h_t = tanh(→W x_t + →U →h_{t-1} + →b)``, eq. (6.5)
    with the first parameter set; the backward direction is
    ``←h_t = tanh(←W x_t + ←U ←h_{t+1} + ←b)``, computed as
    [rnn_forward][solutions.sequence.rnn_forward] on ``x`` reversed in time (NNDL, section
    "双向循环神经网络 (bidirectional RNN)").

    Parameters
    ----------
    x : ndarray of shape (T, B, I), or (B, T, I) if batch_first
        Inputs.
    h0 : ndarray of shape (2, B, H)
        Initial states: ``h0[0]`` is ``→h_0`` (before step 1 of the forward direction),
        ``h0[1]`` is ``←h_{T+1}`` (before step T of the backward direction).
    params_fwd, params_bwd : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,) of each direction, in
        ``x``'s dtype (PyTorch's ``*_l0`` and ``*_l0_reverse``).
    batch_first : bool
        ``x`` and ``out`` are (B, T, ·) instead of (T, B, ·), as in ``torch.nn.RNN``.
        ``h0`` and ``h_n`` are (2, B, H) either way.

    Returns
    -------
    out : ndarray of shape (T, B, 2H), or (B, T, 2H) if batch_first
        ``out[t] = [→h_t ; ←h_t]``: forward states in ``[..., :H]``, backward states in
        ``[..., H:]``, both indexed by the step ``t`` of the *input* they belong to.
    h_n : ndarray of shape (2, B, H)
        Final state of each direction: ``h_n[0] = →h_T = out[T-1, :, :H]`` and
        ``h_n[1] = ←h_1 = out[0, :, H:]`` (the backward direction ends at step 1).
    cache : BiCache
        For [birnn_backward][solutions.bidirectional.birnn_backward].

    Raises
    ------
    ValueError
        ``x`` not 3-D, ``h0`` not (2, B, H), a missing parameter or one of the wrong shape,
        ``batch_first`` not a bool, mixed dtypes, NaN or infinity.
    """
    batch_first = _check_batch_first(batch_first)
    s = Shapes()
    s.array("x", x, _seq_spec(batch_first, "I"))
    _check_states(s, "h0", h0, 2, "2")
    p_fwd = s.params("params_fwd", params_fwd)
    p_bwd = s.params("params_bwd", params_bwd)
    xt = x.swapaxes(0, 1) if batch_first else x            # (T, B, I)
    out, h_n, cache = birnn_forward_unchecked(xt, h0, p_fwd, p_bwd)
    if batch_first:
        out = np.ascontiguousarray(out.swapaxes(0, 1))
    return out, h_n, cache._replace(batch_first=batch_first)


def birnn_forward_unchecked(
    xt: np.ndarray, h0: np.ndarray, p_fwd: Params, p_bwd: Params
) -> tuple[np.ndarray, np.ndarray, BiCache]:
    """[birnn_forward][solutions.bidirectional.birnn_forward] without the checks, time first.

    ``out`` and ``h_n`` are new arrays, not views of the kernel states the cache holds.
    """
    # --8<-- [start:forward] birnn_forward
    h_fwd, c_fwd = rnn_forward_unchecked(xt, h0[0], p_fwd)          # →h_t, t = 1 … T
    # backward direction: the same kernel on x_T … x_1, giving ←h_T … ←h_1
    h_rev, c_rev = rnn_forward_unchecked(xt[::-1], h0[1], p_bwd)
    out = np.concatenate([h_fwd, h_rev[::-1]], axis=2)     # →h_t ⊕ ←h_t
    h_n = np.stack([h_fwd[-1], h_rev[-1]])                 # →h_T, ←h_1
    # --8<-- [end:forward]
    return out, h_n, BiCache(c_fwd, c_rev, False)


def birnn_backward(dout: np.ndarray, cache: BiCache, dh_n: np.ndarray | None = None) -> dict:
    """Gradients of one bidirectional layer: BPTT once per direction, then summed into ``x``.

    ``dout`` splits into the two halves of the concatenation; the backward half is flipped in
    time and fed to [rnn_backward][solutions.sequence.rnn_backward] together with the kernel's
    cache for the reversed sequence. A gradient on the final states enters at each direction's
    last step: ``dh_n[0]`` at step T of the forward direction, ``dh_n[1]`` at step 1 of the
    input (the reversed sequence's last step). Each direction implements (6.39)–(6.41) of the
    book with its own parameters.

    Parameters
    ----------
    dout : ndarray of shape (T, B, 2H), or (B, T, 2H) if the forward pass had batch_first
        ``∂L/∂out``.
    cache : BiCache
        From [birnn_forward][solutions.bidirectional.birnn_forward].
    dh_n : ndarray of shape (2, B, H), optional
        ``∂L/∂h_n``; ``None`` means the loss does not read ``h_n``.

    Returns
    -------
    grads : dict
        ``x`` shaped like the input ``x``; ``h0`` (2, B, H); ``fwd`` and ``bwd``, each a dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,); all in the input's dtype.

    Raises
    ------
    ValueError
        ``cache`` not from ``birnn_forward``, ``dout`` or ``dh_n`` of the wrong shape or dtype,
        NaN or infinity.
    """
    s = _check_bi(cache)
    s.array("dout", dout, _seq_spec(cache.batch_first, "2H"))
    if dh_n is not None:
        _check_states(s, "dh_n", dh_n, 2, "2")
    g = birnn_backward_unchecked(dout.swapaxes(0, 1) if cache.batch_first else dout, cache, dh_n)
    if cache.batch_first:
        g["x"] = np.ascontiguousarray(g["x"].swapaxes(0, 1))
    return g


def birnn_backward_unchecked(d: np.ndarray, cache: BiCache, dh_n: np.ndarray | None = None) -> dict:
    """[birnn_backward][solutions.bidirectional.birnn_backward] without the checks, time first."""
    H = cache.fwd.h.shape[2]
    dh_n_fwd, dh_n_rev = (None, None) if dh_n is None else dh_n   # h_n[0] = →h_T, h_n[1] = ←h_1
    # --8<-- [start:backward] birnn_backward
    d_fwd = d[:, :, :H]                # ∂L/∂→h_t, t = 1 … T
    d_rev = d[::-1, :, H:]             # ∂L/∂←h_t, flipped: t = T … 1
    g_fwd = rnn_backward_unchecked(d_fwd, cache.fwd, dh_n=dh_n_fwd)  # BPTT, (6.39)–(6.41)
    g_rev = rnn_backward_unchecked(d_rev, cache.bwd, dh_n=dh_n_rev)  # same kernel, reversed sequence
    dx = g_fwd["x"] + g_rev["x"][::-1]      # x_t feeds both directions
    # --8<-- [end:backward]
    keys = RNN_PARAM_SHAPES.keys()
    return {
        "x": dx,
        "h0": np.stack([g_fwd["h0"], g_rev["h0"]]),
        "fwd": {k: g_fwd[k] for k in keys},
        "bwd": {k: g_rev[k] for k in keys},
    }


def stacked_birnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    layers: Sequence[tuple[Params, Params]],
    batch_first: bool = False,
) -> tuple[np.ndarray, np.ndarray, StackedCache]:
    """``L`` bidirectional layers, each reading the (T, B, 2H) output of the one below.

    Equals ``torch.nn.RNN(I, H, num_layers=L, bidirectional=True)``: layer 0 reads ``x``,
    layer ``l ≥ 1`` reads ``out`` of layer ``l − 1`` (so its ``W_ih`` is (H, 2H)), and the
    result is the top layer's ``out`` (NNDL, sections "堆叠循环神经网络" and "双向循环神经网络").

    Parameters
    ----------
    x : ndarray of shape (T, B, I), or (B, T, I) if batch_first
        Inputs.
    h0 : ndarray of shape (2L, B, H)
        Initial states in PyTorch's order: ``h0[2l]`` layer ``l`` forward, ``h0[2l+1]`` layer
        ``l`` backward.
    layers : sequence of L pairs (params_fwd, params_bwd)
        Each a dict ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``; ``W_ih`` is (H, I) in layer 0 and
        (H, 2H) above it. PyTorch's ``*_l{l}`` and ``*_l{l}_reverse``.
    batch_first : bool
        ``x`` and ``out`` are (B, T, ·) instead of (T, B, ·).

    Returns
    -------
    out : ndarray of shape (T, B, 2H), or (B, T, 2H) if batch_first
        The top layer's ``→h_t ⊕ ←h_t``.
    h_n : ndarray of shape (2L, B, H)
        Every layer's final states, in the order of ``h0``.
    cache : StackedCache
        For [stacked_birnn_backward][solutions.bidirectional.stacked_birnn_backward].

    Raises
    ------
    ValueError
        ``layers`` empty or not pairs of dicts, ``x`` not 3-D, ``h0`` not (2L, B, H), a
        parameter missing or of the wrong shape (layer ``l ≥ 1``: ``W_ih`` must be (H, 2H)),
        ``batch_first`` not a bool, mixed dtypes, NaN or infinity.
    """
    batch_first = _check_batch_first(batch_first)
    if not (isinstance(layers, Sequence) and len(layers) >= 1
            and all(isinstance(p, Sequence) and len(p) == 2 for p in layers)):
        raise ValueError("layers must be a non-empty list of (params_fwd, params_bwd) pairs, one per layer")
    L = len(layers)
    s = Shapes()
    s.array("x", x, _seq_spec(batch_first, "I"))
    _check_states(s, "h0", h0, 2 * L, "2L")
    checked = [[s.params(f"layers[{l}][{d}]", params, RNN_PARAM_SHAPES if l == 0 else UPPER_PARAM_SHAPES)
                for d, params in enumerate(pair)] for l, pair in enumerate(layers)]
    # --8<-- [start:stacked] stacked_birnn_forward
    inp = x.swapaxes(0, 1) if batch_first else x   # (T, B, I)
    h_n, caches = [], []
    for l, (p_fwd, p_bwd) in enumerate(checked):
        h0_l = h0[2 * l: 2 * l + 2]                # [forward, backward] of layer l
        inp, h_n_l, c = birnn_forward_unchecked(inp, h0_l, p_fwd, p_bwd)  # (T, B, 2H)
        h_n.append(h_n_l)
        caches.append(c)
    # --8<-- [end:stacked]
    out = np.ascontiguousarray(inp.swapaxes(0, 1)) if batch_first else inp
    return out, np.concatenate(h_n), StackedCache(caches, batch_first)


def stacked_birnn_backward(dout: np.ndarray, cache: StackedCache, dh_n: np.ndarray | None = None) -> dict:
    """Gradients of [stacked_birnn_forward][solutions.bidirectional.stacked_birnn_forward].

    Runs [birnn_backward][solutions.bidirectional.birnn_backward] from the top layer down:
    the gradient with respect to layer ``l``'s input is the ``dout`` of layer ``l − 1``, and
    ``dh_n[2l : 2l+2]`` enters layer ``l``.

    Parameters
    ----------
    dout : ndarray of shape (T, B, 2H), or (B, T, 2H) if the forward pass had batch_first
        ``∂L/∂out`` of the top layer.
    cache : StackedCache
        From [stacked_birnn_forward][solutions.bidirectional.stacked_birnn_forward].
    dh_n : ndarray of shape (2L, B, H), optional
        ``∂L/∂h_n``; ``None`` means the loss does not read ``h_n``.

    Returns
    -------
    grads : dict
        ``x`` shaped like the input ``x``; ``h0`` (2L, B, H); ``layers``, a list of L dicts
        ``{"fwd": {...}, "bwd": {...}}`` with ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` each.

    Raises
    ------
    ValueError
        ``cache`` not from ``stacked_birnn_forward``, ``dout`` or ``dh_n`` of the wrong shape or
        dtype, NaN or infinity.
    """
    check_cache(cache, StackedCache)
    caches, batch_first = cache.layers, cache.batch_first
    if not isinstance(caches, list) or not caches:
        raise ValueError(f"cache.layers must be a non-empty list of BiCache, one per layer; got {caches!r:.60}")
    L = len(caches)
    s = _check_bi(caches[-1], f"cache.layers[{L - 1}]")
    for l in range(L - 1):             # the same T, B, H in every layer; I is 2H above layer 0
        _check_bi(caches[l], f"cache.layers[{l}]", Shapes(s.dtype, **{k: s.dims[k] for k in "TBH"}))
    s.array("dout", dout, _seq_spec(batch_first, "2H"))
    if dh_n is not None:
        _check_states(s, "dh_n", dh_n, 2 * L, "2L")
    # --8<-- [start:stacked-backward] stacked_birnn_backward
    d = dout.swapaxes(0, 1) if batch_first else dout  # (T, B, 2H)
    grads_h0, grads_layers = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        dh_n_l = None if dh_n is None else dh_n[2 * l: 2 * l + 2]
        g = birnn_backward_unchecked(d, caches[l], dh_n_l)
        d = g["x"]                                 # = dout of layer l − 1
        grads_h0[l] = g["h0"]
        grads_layers[l] = {"fwd": g["fwd"], "bwd": g["bwd"]}
    # --8<-- [end:stacked-backward]
    return {
        "x": np.ascontiguousarray(d.swapaxes(0, 1)) if batch_first else d,
        "h0": np.concatenate(grads_h0),
        "layers": grads_layers,
    }
