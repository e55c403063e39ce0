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

Speed: the input projections ``W x_t`` of all steps are one matrix product before the loop,
the weight gradients one product each after it; inside the loops only the ``T`` products with
``U`` remain, written in place. The loops keep every state as a column per example, ``(H, B)``
(the book's layout), so that each gate is a contiguous block of rows; the arrays returned are
in rows, ``(T, B, H)``, as ``torch.nn.LSTM`` returns them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions.validate import Params, Shapes, check_cache

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


def _check_inputs(x: object, h0: object, c0: object, params: object) -> tuple[Shapes, Params]:
    s = Shapes()
    s.array("x", x, ("T", "B", "I"))
    s.array("h0", h0, ("B", "H"))
    s.array("c0", c0, ("B", "H"))
    s.dims["4H"] = 4 * s.dims["H"]          # four gates of H rows each
    s.source["4H"] = "h0 (4H = 4 × H, one block of H rows per gate)"
    return s, s.params("params", params, LSTM_PARAM_SHAPES)


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
    return _forward(x, h0, c0, p)


def _forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray, LSTMCache]:
    """[lstm_forward][solutions.lstm.lstm_forward] without the input checks."""
    T, B, _ = x.shape
    H = h0.shape[1]
    dt = x.dtype
    # σ(z) = (1 + tanh(z/2)) / 2: halving the rows of the three σ gates (exact, a power of two)
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
    # --8<-- [start:forward-input]
    gates = np.matmul(p["W_ih"] * half, xT)                     # W_* x_t for every t: (T, 4H, B)
    gates += (p["b_ih"] + p["b_hh"])[:, None] * half             # + b_*  (b = b_ih + b_hh)
    # --8<-- [end:forward-input]
    h_prev, c_prev = np.ascontiguousarray(h0.T), c0.T
    for t in range(T):
        z = gates[t]
        # --8<-- [start:forward-gates]
        np.dot(W_hh, h_prev, out=Uh)
        z += Uh                                 # z_t = W x_t + U h_{t-1} + b   (σ rows halved)
        np.tanh(z, out=z)                       # c̃_t = tanh(z_c); tanh(z/2) for i, f, o
        z[:2 * H] *= 0.5
        z[:2 * H] += 0.5                        # i_t = σ(z_i), f_t = σ(z_f)
        z[3 * H:] *= 0.5
        z[3 * H:] += 0.5                        # o_t = σ(z_o)
        i, f, g, o = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
        # --8<-- [end:forward-gates]
        # --8<-- [start:forward-state]
        np.multiply(f, c_prev, out=c[t])
        np.multiply(i, g, out=ig)
        c[t] += ig                              # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        np.tanh(c[t], out=tanh_c)
        np.multiply(o, tanh_c, out=h[t])        # h_t = o_t ⊙ tanh(c_t)
        # --8<-- [end:forward-state]
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
    (through ``f_t``), and collects the errors ``δz_t`` of the four gates' pre-activations at
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
    cache = check_cache(cache, LSTMCache)
    T, H, B = cache.h.shape
    s = Shapes(cache.h.dtype, T=T, B=B, H=H)
    s.array("dh", dh, ("T", "B", "H"))
    for name, extra in (("dh_n", dh_n), ("dc_n", dc_n)):
        if extra is not None:
            s.array(name, extra, ("B", "H"))
    return _backward(dh, cache, dh_n, dc_n)


def _backward(
    dh: np.ndarray, cache: LSTMCache, dh_n: np.ndarray | None = None, dc_n: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """[lstm_backward][solutions.lstm.lstm_backward] without the checks."""
    x, h0, c0, h, c, gates, p = cache.x, cache.h0, cache.c0, cache.h, cache.c, cache.gates, cache.params
    T, H, B = h.shape
    I = x.shape[2]
    dt = h.dtype
    dh_next = np.zeros((H, B), dtype=dt) if dh_n is None else dh_n.T.copy()   # δh from step t+1
    dc_next = np.zeros((H, B), dtype=dt) if dc_n is None else dc_n.T.copy()   # δc from step t+1
    W_hh_T = np.ascontiguousarray(p["W_hh"].T)
    G = gates.reshape(T, 4, H, B)
    i, f, g, o = G[:, 0], G[:, 1], G[:, 2], G[:, 3]
    dZ = np.empty((T, 4, H, B), dtype=dt)       # δz_t of every step: δz_i, δz_f, δz_c, δz_o
    # --8<-- [start:backward-local]
    # The factors that do not depend on the carried gradients, for every t at once:
    dZ_all = dZ.reshape(T, 4 * H, B)                         # the same memory, gates stacked
    np.multiply(gates, np.subtract(1, gates, out=dZ_all), out=dZ_all)   # a_t(1 − a_t) = σ'(z_a), a = i, f, o
    dZ[:, 0] *= g                                            # δz_i = δc_t ⊙ c̃_t ⊙ i_t(1 − i_t)
    dZ[0, 1] *= c0.T                                         # δz_f = δc_t ⊙ c_{t-1} ⊙ f_t(1 − f_t)
    dZ[1:, 1] *= c[:-1]
    np.multiply(i, 1 - g * g, out=dZ[:, 2])                  # δz_c = δc_t ⊙ i_t ⊙ (1 − c̃_t²)
    tanh_c = np.tanh(c)
    dZ[:, 3] *= tanh_c                                       # δz_o = δh_t ⊙ tanh(c_t) ⊙ o_t(1 − o_t)
    h_to_c = np.multiply(tanh_c, tanh_c, out=tanh_c)
    np.subtract(1, h_to_c, out=h_to_c)
    h_to_c *= o                                              # ∂h_t/∂c_t = o_t ⊙ (1 − tanh²(c_t))
    # --8<-- [end:backward-local]
    dh_t, dc_t = np.empty((H, B), dtype=dt), np.empty((H, B), dtype=dt)
    dh = dh.transpose(0, 2, 1).copy()            # (T, H, B): columns, as in the loop
    for t in range(T - 1, -1, -1):
        # --8<-- [start:backward-step]
        np.add(dh[t], dh_next, out=dh_t)          # δh_t = ∂L_t/∂h_t + U^T δz_{t+1}
        np.multiply(dh_t, h_to_c[t], out=dc_t)
        dc_t += dc_next                           # δc_t = δh_t ⊙ ∂h_t/∂c_t + f_{t+1} ⊙ δc_{t+1}
        np.multiply(dc_t, f[t], out=dc_next)      # f_t ⊙ δc_t: carried to c_{t-1}
        dZ[t, :3] *= dc_t                         # δz_i, δz_f, δz_c: δc_t times their factors
        dZ[t, 3] *= dh_t                          # δz_o: δh_t times its factor
        np.dot(W_hh_T, dZ[t].reshape(4 * H, B), out=dh_next)      # U^T δz_t: carried to h_{t-1}
        # --8<-- [end:backward-step]
    dz = dZ.reshape(T, 4 * H, B).transpose(0, 2, 1)    # (T, B, 4H): one row per example
    # --8<-- [start:backward-params]
    d = dz.reshape(T * B, 4 * H)                                                     # a copy, in rows
    grads = {
        "x": (d @ p["W_ih"]).reshape(T, B, I),                                       # W^T δz_t
        "h0": np.ascontiguousarray(dh_next.T),                                       # U^T δz_1
        "c0": np.ascontiguousarray(dc_next.T),                                       # f_1 ⊙ δc_1
        "W_ih": d.T @ x.reshape(T * B, I),                                           # Σ_t δz_t x_t^T
        "W_hh": d[B:].T @ h[:-1].transpose(0, 2, 1).reshape(-1, H) + d[:B].T @ h0,               # Σ_t δz_t h_{t-1}^T
        "b_ih": d.sum(axis=0),                                                       # Σ_t δz_t
    }
    grads["b_hh"] = grads["b_ih"].copy()
    # --8<-- [end:backward-params]
    return grads
