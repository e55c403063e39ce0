"""A one-layer LSTM over a sequence, forward and backward (BPTT), in NumPy.

Book notation (NNDL §6.6, long short-term memory)::

    i_t = σ(W_i x_t + U_i h_{t-1} + b_i)        input gate
    f_t = σ(W_f x_t + U_f h_{t-1} + b_f)        forget gate
    o_t = σ(W_o x_t + U_o h_{t-1} + b_o)        output gate
    c̃_t = tanh(W_c x_t + U_c h_{t-1} + b_c)     candidate state
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
    h_t = o_t ⊙ tanh(c_t)

Code notation: ``torch.nn.LSTM(I, H)``'s layout. ``W_ih`` (4H, I) stacks the book's
``W_i, W_f, W_c, W_o`` in PyTorch's gate order (i, f, g, o) — PyTorch calls c̃ the gate ``g`` —
``W_hh`` (4H, H) stacks ``U_i, U_f, U_c, U_o``, and ``b_ih + b_hh`` is the book's ``b``. Time is
the first axis, one example per row.

Two tiers, as for the simple RNN (``cell.py``, ``sequence.py``): the readable reference,
[lstm_cell_forward][solutions.lstm.lstm_cell_forward] and
[lstm_cell_backward][solutions.lstm.lstm_cell_backward] — rows ``(B, ·)``, plain
[sigmoid][solutions.lstm.sigmoid], one line per equation of the 6-4 page with its number
(L1)–(L9) — looped over time by [lstm_forward_loop][solutions.lstm.lstm_forward_loop] and
[lstm_backward_loop][solutions.lstm.lstm_backward_loop]; and the fast pair
[lstm_forward][solutions.lstm.lstm_forward], [lstm_backward][solutions.lstm.lstm_backward],
which tests tie to the loops and to ``torch.nn.LSTM``.

Speed: the input projections ``W x_t`` of all steps are one matrix product before the loop,
the weight gradients one product each after it; inside the loops only the ``T`` products with
``U`` remain, written in place. The loops keep every state as a column per example, ``(H, B)``
(the book's layout), so that each gate is a contiguous block of rows; the arrays returned are
in rows, ``(T, B, H)``, as ``torch.nn.LSTM`` returns them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions.validate import (
    Params,
    Shapes,
    check_cache,
    check_dh,
    check_inputs,
    check_steps,
)

#: The LSTM's parameters in PyTorch's names and the shape each must have (``4H``: four gates).
LSTM_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    "W_ih": ("4H", "I"),
    "W_hh": ("4H", "H"),
    "b_ih": ("4H",),
    "b_hh": ("4H",),
}


class LSTMCache(NamedTuple):
    """What [lstm_forward][solutions.lstm.lstm_forward] keeps for the backward pass.

    Inside the time loops every state is a column per example, ``(H, B)`` — the book's layout —
    so that each gate is a contiguous block of rows, and the cache stores the states that way.
    They are the cache's own arrays: ``lstm_forward`` returns transposed copies, so editing
    its ``h`` and ``c`` does not change the gradients.
    """

    PRODUCER = "solutions.lstm.lstm_forward"
    SHAPES = {"x": ("T", "B", "I"), "h0": ("B", "H"), "c0": ("B", "H"), "h": ("T", "H", "B"),
              "c": ("T", "H", "B"), "gates": ("T", "4H", "B"), "params": LSTM_PARAM_SHAPES}

    x: np.ndarray
    """(T, B, I), the inputs."""
    h0: np.ndarray
    """(B, H), the initial hidden state."""
    c0: np.ndarray
    """(B, H), the initial cell state."""
    h: np.ndarray
    """(T, H, B), h_1 … h_T, one column per example."""
    c: np.ndarray
    """(T, H, B), c_1 … c_T, one column per example."""
    gates: np.ndarray
    """(T, 4H, B), i_t, f_t, c̃_t, o_t after their activations, in PyTorch's order."""
    params: Params
    """``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``."""


def _check_inputs(
    x: object, h0: object, c0: object, params: object, x_spec: tuple[str, ...] = ("T", "B", "I"), step: bool = False
) -> tuple[Shapes, Params]:
    """The input check of every LSTM function: ``x`` (``x_spec``), the two states (B, H), the
    parameters (4H rows: one block of H per gate). ``step=True`` names the states ``h_prev``,
    ``c_prev`` (a cell) instead of ``h0``, ``c0`` (a sequence)."""
    h_name, c_name = ("h_prev", "c_prev") if step else ("h0", "c0")
    s, p = check_inputs(x, h0, params, x_spec=x_spec, h0_name=h_name, shapes=LSTM_PARAM_SHAPES)
    s.array(c_name, c0, ("B", "H"))
    return s, p


def lstm_forward(
    x: np.ndarray, h0: np.ndarray, c0: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray, LSTMCache]:
    """Run the LSTM over a sequence (NNDL §6.6; ``torch.nn.LSTM(I, H)``).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0, c0 : ndarray of shape (B, H)
        Initial hidden and cell state.
    params : dict
        ``W_ih`` (4H, I), ``W_hh`` (4H, H), ``b_ih`` (4H,), ``b_hh`` (4H,), gates in PyTorch's
        order (i, f, g, o), in ``x``'s dtype (float32 or float64). Other keys are ignored.

    Returns
    -------
    h : ndarray of shape (T, B, H)
        ``h_1 … h_T`` (``torch.nn.LSTM``'s ``output``; ``h[-1]`` is its ``h_n``).
    c : ndarray of shape (T, B, H)
        ``c_1 … c_T`` (``c[-1]`` is ``c_n``).
    cache : LSTMCache
        For [lstm_backward][solutions.lstm.lstm_backward].

    Raises
    ------
    ValueError
        Wrong rank or shape (the message names the argument and the expected shape), a missing
        parameter, mixed dtypes, NaN or infinity.
    """
    _, p = _check_inputs(x, h0, c0, params)
    return lstm_forward_unchecked(x, h0, c0, p)


def lstm_forward_unchecked(
    x: np.ndarray, h0: np.ndarray, c0: np.ndarray, p: Params
) -> tuple[np.ndarray, np.ndarray, LSTMCache]:
    """[lstm_forward][solutions.lstm.lstm_forward] without the input checks, for callers that checked."""
    T, B, _ = x.shape
    H = h0.shape[1]
    dt = x.dtype
    # σ(u) = (1 + tanh(u/2)) / 2: halving the rows of the three σ gates (exact, a power of two)
    # lets one tanh per step activate all four gates.
    half = np.ones((4 * H, 1), dtype=dt)
    half[:2 * H] = half[3 * H:] = 0.5
    W_hh = p["W_hh"] * half
    h = np.empty((T, H, B), dtype=dt)
    c = np.empty((T, H, B), dtype=dt)
    tanh_c = np.empty((H, B), dtype=dt)
    Uh = np.empty((4 * H, B), dtype=dt)
    ig = np.empty((H, B), dtype=dt)
    xT = np.ascontiguousarray(x.transpose(0, 2, 1))            # (T, I, B): x_t as columns
    gates = np.matmul(p["W_ih"] * half, xT)                     # W_* x_t for every t: (T, 4H, B)
    gates += (p["b_ih"] + p["b_hh"])[:, None] * half             # + b_*  (b = b_ih + b_hh)
    h_prev, c_prev = np.ascontiguousarray(h0.T), c0.T
    for t in range(T):
        a = gates[t]
        np.dot(W_hh, h_prev, out=Uh)
        a += Uh                                 # a^*_t = W_* x_t + U_* h_{t-1} + b_*   (σ rows halved)
        np.tanh(a, out=a)                       # c̃_t = tanh(a^c̃_t); tanh(a^*_t/2) for i, f, o
        a[:2 * H] *= 0.5
        a[:2 * H] += 0.5                        # i_t = σ(a^i_t), f_t = σ(a^f_t)
        a[3 * H:] *= 0.5
        a[3 * H:] += 0.5                        # o_t = σ(a^o_t)
        i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        np.multiply(f, c_prev, out=c[t])
        np.multiply(i, g, out=ig)
        c[t] += ig                              # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        np.tanh(c[t], out=tanh_c)
        np.multiply(o, tanh_c, out=h[t])        # h_t = o_t ⊙ tanh(c_t)
        h_prev, c_prev = h[t], c[t]
    rows = lambda a: np.ascontiguousarray(a.transpose(0, 2, 1))  # (T, H, B) -> (T, B, H), a copy
    return rows(h), rows(c), LSTMCache(x, h0, c0, h, c, gates, p)


def lstm_backward(
    dh: np.ndarray,
    cache: LSTMCache,
    dh_n: np.ndarray | None = None,
    dc_n: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Backpropagation through time for [lstm_forward][solutions.lstm.lstm_forward].

    Carries two gradients backwards, ``δh_t = ∂L/∂h_t`` (through ``U``) and ``δc_t = ∂L/∂c_t``
    (through ``f_t``), and collects the errors ``δ^*_t = ∂L/∂a^*_t`` of the four gates' net inputs at
    every step; the weight gradients are then one matrix product each over all steps.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence (the loss terms) for every step ``t``.
    cache : LSTMCache
        From [lstm_forward][solutions.lstm.lstm_forward].
    dh_n, dc_n : ndarray of shape (B, H), optional
        Extra gradients into the last hidden and cell state ``h_T``, ``c_T`` (what
        ``torch.nn.LSTM``'s ``(h_n, c_n)`` receive). No gradient enters the other cell
        states from outside, as in ``torch.nn.LSTM``.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``c0`` (B, H), ``W_ih`` (4H, I), ``W_hh`` (4H, H),
        ``b_ih`` (4H,), ``b_hh`` (4H,), in the input's dtype.

    Raises
    ------
    ValueError
        ``dh``, ``dh_n`` or ``dc_n`` of the wrong shape or dtype, NaN/inf, or a cache that
        ``lstm_forward`` did not make.
    """
    check_dh(check_cache(cache, LSTMCache), dh, dh_n=dh_n, dc_n=dc_n)
    return lstm_backward_unchecked(dh, cache, dh_n, dc_n)


def lstm_backward_unchecked(
    dh: np.ndarray, cache: LSTMCache, dh_n: np.ndarray | None = None, dc_n: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """[lstm_backward][solutions.lstm.lstm_backward] without the checks, for callers that checked."""
    x, h0, c0, h, c, gates, p = cache.x, cache.h0, cache.c0, cache.h, cache.c, cache.gates, cache.params
    T, H, B = h.shape
    I = x.shape[2]
    dt = h.dtype
    dh_next = np.zeros((H, B), dtype=dt) if dh_n is None else dh_n.T.copy()   # δh from step t+1
    dc_next = np.zeros((H, B), dtype=dt) if dc_n is None else dc_n.T.copy()   # δc from step t+1
    W_hh_T = np.ascontiguousarray(p["W_hh"].T)
    G = gates.reshape(T, 4, H, B)
    i, f, g, o = G[:, 0], G[:, 1], G[:, 2], G[:, 3]
    dA = np.empty((T, 4, H, B), dtype=dt)       # δ^*_t of every step: δ^i, δ^f, δ^c̃, δ^o
    # The factors that do not depend on the carried gradients, for every t at once:
    dA_all = dA.reshape(T, 4 * H, B)                         # the same memory, gates stacked
    np.multiply(gates, np.subtract(1, gates, out=dA_all), out=dA_all)   # s(1 − s) = σ'(a^s_t), s = i, f, o
    dA[:, 0] *= g                                            # δ^i_t = δ^c_t ⊙ c̃_t ⊙ i_t(1 − i_t)
    dA[0, 1] *= c0.T                                         # δ^f_t = δ^c_t ⊙ c_{t-1} ⊙ f_t(1 − f_t)
    dA[1:, 1] *= c[:-1]
    np.multiply(i, 1 - g * g, out=dA[:, 2])                  # δ^c̃_t = δ^c_t ⊙ i_t ⊙ (1 − c̃_t²)
    tanh_c = np.tanh(c)
    dA[:, 3] *= tanh_c                                       # δ^o_t = δ^h_t ⊙ tanh(c_t) ⊙ o_t(1 − o_t)
    h_to_c = np.multiply(tanh_c, tanh_c, out=tanh_c)
    np.subtract(1, h_to_c, out=h_to_c)
    h_to_c *= o                                              # ∂h_t/∂c_t = o_t ⊙ (1 − tanh²(c_t))
    dh_t, dc_t = np.empty((H, B), dtype=dt), np.empty((H, B), dtype=dt)
    dh = dh.transpose(0, 2, 1).copy()            # (T, H, B): columns, as in the loop
    for t in range(T - 1, -1, -1):
        # --8<-- [start:backward-step] lstm_backward
        np.add(dh[t], dh_next, out=dh_t)          # (L8) δ^h_t = ∂L_t/∂h_t + U^T δ^*_{t+1}
        np.multiply(dh_t, h_to_c[t], out=dc_t)
        dc_t += dc_next                           # (L6) δ^c_t = δ^h_t ⊙ ∂h_t/∂c_t + f_{t+1} ⊙ δ^c_{t+1}
        np.multiply(dc_t, f[t], out=dc_next)      # f_t ⊙ δ^c_t: carried to c_{t-1}
        dA[t, :3] *= dc_t                         # δ^i_t, δ^f_t, δ^c̃_t: δ^c_t times their factors
        dA[t, 3] *= dh_t                          # δ^o_t: δ^h_t times its factor
        np.dot(W_hh_T, dA[t].reshape(4 * H, B), out=dh_next)      # U^T δ^*_t: carried to h_{t-1}
        # --8<-- [end:backward-step]
    by_row = dA.reshape(T, 4 * H, B).transpose(0, 2, 1)  # (T, B, 4H): one row per example
    d = by_row.reshape(T * B, 4 * H)                                                  # a copy, in rows
    grads = {
        "x": (d @ p["W_ih"]).reshape(T, B, I),                                       # Σ_* W_*^T δ^*_t
        "h0": np.ascontiguousarray(dh_next.T),                                       # Σ_* U_*^T δ^*_1
        "c0": np.ascontiguousarray(dc_next.T),                                       # f_1 ⊙ δ^c_1
        "W_ih": d.T @ x.reshape(T * B, I),                                           # Σ_t δ^*_t x_t^T
        "W_hh": d[B:].T @ h[:-1].transpose(0, 2, 1).reshape(-1, H) + d[:B].T @ h0,               # Σ_t δ^*_t h_{t-1}^T
        "b_ih": d.sum(axis=0),                                                       # Σ_t δ^*_t
    }
    grads["b_hh"] = grads["b_ih"].copy()
    return grads


# --- The readable tier: one cell, and a sequence as a loop of cells ------------------------------


def sigmoid(u: np.ndarray) -> np.ndarray:
    """The logistic function ``σ(u) = 1 / (1 + e^{−u})``, element-wise, in ``u``'s dtype.

    For ``u`` below about −709 (float64) or −88 (float32) ``e^{−u}`` overflows to infinity and
    ``σ`` is 0, its limit; the overflow warning is silenced for that reason.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-u))


class LSTMCellCache(NamedTuple):
    """What [lstm_cell_forward][solutions.lstm.lstm_cell_forward] keeps for
    [lstm_cell_backward][solutions.lstm.lstm_cell_backward]: every array (B, H) unless noted,
    one row per example."""

    PRODUCER = "solutions.lstm.lstm_cell_forward"
    SHAPES = {"x": ("B", "I"), **dict.fromkeys(("h_prev", "c_prev", "i", "f", "g", "o", "tanh_c"), ("B", "H")),
              "params": LSTM_PARAM_SHAPES}

    x: np.ndarray
    """(B, I), the input ``x_t``."""
    h_prev: np.ndarray
    """``h_{t-1}``."""
    c_prev: np.ndarray
    """``c_{t-1}``."""
    i: np.ndarray
    """The input gate ``i_t``."""
    f: np.ndarray
    """The forget gate ``f_t``."""
    g: np.ndarray
    """The candidate ``c̃_t`` (PyTorch's ``g``)."""
    o: np.ndarray
    """The output gate ``o_t``."""
    tanh_c: np.ndarray
    """``tanh(c_t)``."""
    params: Params
    """``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``."""


def lstm_cell_forward(
    x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray, LSTMCellCache]:
    """One LSTM step, written for reading: one line per equation of the 6-4 page, (L1)–(L3).

    Parameters
    ----------
    x : ndarray of shape (B, I)
        Input at this step, one row per example.
    h_prev, c_prev : ndarray of shape (B, H)
        Previous hidden and cell state ``h_{t-1}``, ``c_{t-1}``.
    params : dict
        ``W_ih`` (4H, I), ``W_hh`` (4H, H), ``b_ih`` (4H,), ``b_hh`` (4H,), gates in PyTorch's
        order (i, f, g, o), in ``x``'s dtype (float32 or float64). Other keys are ignored.

    Returns
    -------
    h, c : ndarray of shape (B, H)
        ``h_t`` and ``c_t``.
    cache : LSTMCellCache
        For [lstm_cell_backward][solutions.lstm.lstm_cell_backward].

    Raises
    ------
    ValueError
        As [lstm_forward][solutions.lstm.lstm_forward], for ``x`` (B, I), ``h_prev``, ``c_prev``.
    """
    _, p = _check_inputs(x, h_prev, c_prev, params, x_spec=("B", "I"), step=True)
    H = h_prev.shape[1]
    # --8<-- [start:cell-forward] lstm_cell_forward
    a = x @ p["W_ih"].T + h_prev @ p["W_hh"].T + (p["b_ih"] + p["b_hh"])  # (L1) a^*_t = W_* x_t + U_* h_{t-1} + b_*
    i = sigmoid(a[:, 0 * H:1 * H])     # (L1) input gate      i_t = σ(a^i_t)
    f = sigmoid(a[:, 1 * H:2 * H])     # (L1) forget gate     f_t = σ(a^f_t)
    g = np.tanh(a[:, 2 * H:3 * H])     # (L1) candidate       c̃_t = tanh(a^c̃_t)
    o = sigmoid(a[:, 3 * H:4 * H])     # (L1) output gate     o_t = σ(a^o_t)
    c = f * c_prev + i * g             # (L2) c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
    tanh_c = np.tanh(c)
    h = o * tanh_c                     # (L3) h_t = o_t ⊙ tanh(c_t)
    # --8<-- [end:cell-forward]
    return h, c, LSTMCellCache(x, h_prev, c_prev, i, f, g, o, tanh_c, p)


def lstm_cell_backward(dh: np.ndarray, dc: np.ndarray, cache: LSTMCellCache) -> dict[str, np.ndarray]:
    """Gradients of one LSTM step, written for reading: one line per equation, (L5)–(L9).

    Parameters
    ----------
    dh : ndarray of shape (B, H)
        ``δh_t = ∂L/∂h_t``, everything that reaches ``h_t`` (its loss term and step ``t+1``).
    dc : ndarray of shape (B, H)
        What reaches ``c_t`` from outside this step: ``f_{t+1} ⊙ δc_{t+1}`` (the ``c_prev``
        result of step ``t+1``), or ``torch.nn.LSTM``'s ``dc_n`` at the last step.
    cache : LSTMCellCache
        From [lstm_cell_forward][solutions.lstm.lstm_cell_forward].

    Returns
    -------
    grads : dict
        ``x`` (B, I), ``h_prev`` (B, H), ``c_prev`` (B, H), ``W_ih`` (4H, I), ``W_hh`` (4H, H),
        ``b_ih`` (4H,), ``b_hh`` (4H,), in the input's dtype; ``b_ih`` and ``b_hh`` get the
        same gradient, because only their sum enters.

    Raises
    ------
    ValueError
        ``dh`` or ``dc`` not shaped like ``h_prev``, of another dtype, or not finite; ``cache``
        not an ``LSTMCellCache``.
    """
    s = check_cache(cache, LSTMCellCache)
    s.array("dh", dh, ("B", "H"))
    s.array("dc", dc, ("B", "H"))
    x, h_prev, c_prev, i, f, g, o, tanh_c, p = cache
    # --8<-- [start:cell-backward] lstm_cell_backward
    dc = dh * o * (1 - tanh_c**2) + dc     # (L6) δ^c_t = δ^h_t ⊙ o_t ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ δ^c_{t+1}
    d_o = dh * tanh_c * o * (1 - o)        # (L5) δ^o_t = δ^h_t ⊙ tanh(c_t) ⊙ o_t(1 − o_t)
    d_f = dc * c_prev * f * (1 - f)        # (L7) δ^f_t = δ^c_t ⊙ c_{t-1} ⊙ f_t(1 − f_t)
    d_i = dc * g * i * (1 - i)             # (L7) δ^i_t = δ^c_t ⊙ c̃_t ⊙ i_t(1 − i_t)
    d_g = dc * i * (1 - g**2)              # (L7) δ^c̃_t = δ^c_t ⊙ i_t ⊙ (1 − c̃_t²)
    d = np.concatenate([d_i, d_f, d_g, d_o], axis=1)   # (B, 4H): δ^*_t, gates in PyTorch's order
    grads = {
        "x": d @ p["W_ih"],                # Σ_* W_*ᵀ δ^*_t
        "h_prev": d @ p["W_hh"],           # (L8) Σ_* U_*ᵀ δ^*_t  (the loss term of h_{t-1} is added by the caller)
        "c_prev": f * dc,                  # f_t ⊙ δ^c_t: the additive path to c_{t-1}
        "W_ih": d.T @ x,                   # (L9) δ^*_t x_tᵀ, summed over the batch
        "W_hh": d.T @ h_prev,              # (L9) δ^*_t h_{t-1}ᵀ
        "b_ih": d.sum(axis=0),             # (L9) δ^*_t
    }
    grads["b_hh"] = grads["b_ih"].copy()
    # --8<-- [end:cell-backward]
    return grads


class LSTMLoopCache(NamedTuple):
    """What [lstm_forward_loop][solutions.lstm.lstm_forward_loop] keeps: one cell cache per step."""

    PRODUCER = "solutions.lstm.lstm_forward_loop"
    SHAPES = {}                        # the steps are checked one by one (validate.check_steps)

    steps: list[LSTMCellCache]
    """``steps[t]`` is the [LSTMCellCache][solutions.lstm.LSTMCellCache] of step ``t`` (0-based)."""


def lstm_forward_loop(
    x: np.ndarray, h0: np.ndarray, c0: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray, LSTMLoopCache]:
    """The reference: a sequence is a loop of cells, [lstm_cell_forward][solutions.lstm.lstm_cell_forward] at every step.

    Written for reading; [lstm_forward][solutions.lstm.lstm_forward] computes the same states
    faster, and a test requires the two to agree (and to agree with ``torch.nn.LSTM``).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0, c0 : ndarray of shape (B, H)
        Initial hidden and cell state.
    params : dict
        As for [lstm_forward][solutions.lstm.lstm_forward].

    Returns
    -------
    h, c : ndarray of shape (T, B, H)
        ``h_1 … h_T`` and ``c_1 … c_T``.
    cache : LSTMLoopCache
        For [lstm_backward_loop][solutions.lstm.lstm_backward_loop].

    Raises
    ------
    ValueError
        As [lstm_forward][solutions.lstm.lstm_forward].
    """
    _, p = _check_inputs(x, h0, c0, params)
    # --8<-- [start:loop-forward] lstm_forward_loop
    h_t, c_t, hs, cs, steps = h0, c0, [], [], []
    for x_t in x:                                              # t = 1 … T
        h_t, c_t, step = lstm_cell_forward(x_t, h_t, c_t, p)   # (L1)–(L3)
        hs.append(h_t)
        cs.append(c_t)
        steps.append(step)
    # --8<-- [end:loop-forward]
    return np.stack(hs), np.stack(cs), LSTMLoopCache(steps)


def lstm_backward_loop(
    dh: np.ndarray,
    cache: LSTMLoopCache,
    dh_n: np.ndarray | None = None,
    dc_n: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The reference BPTT: [lstm_cell_backward][solutions.lstm.lstm_cell_backward] at every step, last to first.

    Carries two gradients back, ``δh`` (through ``U``) and ``δc`` (through ``f_t``); the
    parameters are shared by every step, so their gradients are summed over the steps (L9).
    Same arguments and result as [lstm_backward][solutions.lstm.lstm_backward], which a test
    ties to this.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence for every step ``t``.
    cache : LSTMLoopCache
        From [lstm_forward_loop][solutions.lstm.lstm_forward_loop].
    dh_n, dc_n : ndarray of shape (B, H), optional
        Extra gradients into ``h_T`` and ``c_T`` (what ``torch.nn.LSTM``'s ``(h_n, c_n)``
        receive); ``None`` is zero.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``c0`` (B, H), ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``.

    Raises
    ------
    ValueError
        ``cache`` not an ``LSTMLoopCache``, ``dh`` not (T, B, H) in the cache's dtype,
        ``dh_n``/``dc_n`` not (B, H), or NaN/inf.
    """
    check_dh(check_steps(cache, LSTMLoopCache, LSTMCellCache), dh, dh_n=dh_n, dc_n=dc_n)
    T = len(cache.steps)
    # --8<-- [start:loop-backward] lstm_backward_loop
    grads = {key: np.zeros_like(cache.steps[0].params[key]) for key in LSTM_PARAM_SHAPES}
    dx = []
    dh_next = np.zeros_like(dh[0]) if dh_n is None else dh_n   # what reaches h_T from beyond step T
    dc_next = np.zeros_like(dh[0]) if dc_n is None else dc_n   # what reaches c_T from beyond step T
    for t in range(T - 1, -1, -1):
        step_grads = lstm_cell_backward(dh[t] + dh_next, dc_next, cache.steps[t])   # (L8): δ^h_t = ∂L_t/∂h_t + Σ_* U_*ᵀ δ^*_{t+1}
        for key in LSTM_PARAM_SHAPES:
            grads[key] += step_grads[key]                      # (L9): W_*, U_*, b_* are shared by every step
        dx.append(step_grads["x"])
        dh_next, dc_next = step_grads["h_prev"], step_grads["c_prev"]
    grads["x"], grads["h0"], grads["c0"] = np.stack(dx[::-1]), dh_next, dc_next
    # --8<-- [end:loop-backward]
    return grads
