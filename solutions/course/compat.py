"""The deeplearning.ai course layout ("Building your RNN step by step") over our kernels.

The course and the posts this site answers store one example per **column** and put time
**last**: ``xt`` (n_x, m), ``a_prev`` (n_a, m), ``x`` (n_x, m, T_x), with
``a_next = tanh(Wax xt + Waa a_prev + ba)`` and ``yt_pred = softmax(Wya a_next + by)``.
These functions take and return exactly the course's arrays and keys, but compute nothing
themselves: they transpose to PyTorch's row layout, rename the parameters (``Wax`` → ``W_ih``,
``Waa`` → ``W_hh``, ``ba[:, 0]`` → ``b_ih``, zeros → ``b_hh``) and call
[solutions.cell][solutions.cell] and [solutions.sequence][solutions.sequence].
Only the output softmax, which those kernels do not have, is computed here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions import cell, lstm, sequence
from solutions.validate import Params, Shapes, check_cache

COURSE_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    "Wax": ("n_a", "n_x"),
    "Waa": ("n_a", "n_a"),
    "Wya": ("n_y", "n_a"),
    "ba": ("n_a", "1"),
    "by": ("n_y", "1"),
}
"""The course's parameters and their shapes (``"1"`` is a literal size of one)."""
_RECURRENT = ("Wax", "Waa", "ba")


class CourseCellCache(NamedTuple):
    """The course's step cache ``(a_next, a_prev, xt, parameters)``, by position as in the
    course and by name here; ``a_next`` is the cache's own copy of the returned state."""

    PRODUCER = "solutions.course.compat.rnn_cell_forward"
    SHAPES = {"a_next": ("n_a", "m"), "a_prev": ("n_a", "m"), "xt": ("n_x", "m"),
              "parameters": {k: COURSE_PARAM_SHAPES[k] for k in _RECURRENT}}

    a_next: np.ndarray
    """(n_a, m)."""
    a_prev: np.ndarray
    """(n_a, m)."""
    xt: np.ndarray
    """(n_x, m)."""
    parameters: Params
    """The course's ``Wax``, ``Waa``, ``Wya``, ``ba``, ``by``."""


class CourseCaches(NamedTuple):
    """The course's ``caches = (caches, x)`` of a whole sequence: ``caches[1]`` is ``x`` as in
    the course; ``caches[0]`` is the row-layout [RnnCache][solutions.sequence.RnnCache]
    (the course keeps a list of per-step caches there instead)."""

    PRODUCER = "solutions.course.compat.rnn_forward"
    SHAPES = {}                        # cache is an RnnCache, checked as such

    cache: sequence.RnnCache
    """The row-layout cache of [rnn_forward][solutions.sequence.rnn_forward]."""
    x: np.ndarray
    """(n_x, m, T_x), the course's input."""



def _shapes(dtype: np.dtype | None = None, **dims: int) -> Shapes:
    """A [Shapes][solutions.validate.Shapes] checker in which the symbol ``"1"`` is the size 1."""
    return Shapes(dtype, **{"1": 1}, **dims)


def _row_params(parameters: Params) -> Params:
    """The course's checked ``Wax``, ``Waa``, ``ba`` as our ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``."""
    return {
        "W_ih": parameters["Wax"],
        "W_hh": parameters["Waa"],
        "b_ih": parameters["ba"][:, 0],
        "b_hh": np.zeros_like(parameters["ba"][:, 0]),
    }


def _softmax_rows(o: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, stable (the largest logit is subtracted first)."""
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rnn_cell_forward(
    xt: np.ndarray, a_prev: np.ndarray, parameters: Params
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One step in the course's layout, through [rnn_cell_forward][solutions.cell.rnn_cell_forward].

    Parameters
    ----------
    xt : ndarray of shape (n_x, m)
        Input at this step, one example per column.
    a_prev : ndarray of shape (n_a, m)
        Previous hidden state.
    parameters : dict
        ``Wax`` (n_a, n_x), ``Waa`` (n_a, n_a), ``Wya`` (n_y, n_a), ``ba`` (n_a, 1),
        ``by`` (n_y, 1), in ``xt``'s dtype.

    Returns
    -------
    a_next : ndarray of shape (n_a, m)
        ``tanh(Wax xt + Waa a_prev + ba)``: eq. (6.5) of the book, then ``f = tanh``.
    yt_pred : ndarray of shape (n_y, m)
        ``softmax(Wya a_next + by)`` over each column.
    cache : CourseCellCache
        ``(a_next, a_prev, xt, parameters)``, as in the course, for
        [rnn_cell_backward][solutions.course.compat.rnn_cell_backward].

    Raises
    ------
    ValueError
        A wrong shape (e.g. ``ba`` not (n_a, 1)), a missing key, mixed dtypes, NaN/inf.
    """
    s = _shapes()
    s.array("xt", xt, ("n_x", "m"))
    s.array("a_prev", a_prev, ("n_a", "m"))
    p = s.params("parameters", parameters, COURSE_PARAM_SHAPES)
    h = cell.rnn_cell_forward_unchecked(xt.T, a_prev.T, _row_params(p))
    a_next = np.ascontiguousarray(h.T)
    yt_pred = _softmax_rows(h @ p["Wya"].T + p["by"][:, 0]).T
    return a_next, yt_pred, CourseCellCache(a_next.copy(), a_prev, xt, parameters)


def rnn_cell_backward(da_next: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
    """Gradients of one step, through [rnn_cell_backward][solutions.cell.rnn_cell_backward].

    Parameters
    ----------
    da_next : ndarray of shape (n_a, m)
        ``∂L/∂a_next``.
    cache : CourseCellCache
        ``(a_next, a_prev, xt, parameters)`` from
        [rnn_cell_forward][solutions.course.compat.rnn_cell_forward].

    Returns
    -------
    gradients : dict
        ``dxt`` (n_x, m), ``da_prev`` (n_a, m), ``dWax`` (n_a, n_x), ``dWaa`` (n_a, n_a),
        ``dba`` (n_a, 1), in the input's dtype.

    Raises
    ------
    ValueError
        ``da_next`` not shaped like ``a_next``, another dtype, NaN/inf, or a malformed cache.
    """
    check_cache(cache, CourseCellCache, "cache", _shapes()).array("da_next", da_next, ("n_a", "m"))
    a_next, a_prev, xt, parameters = cache
    g = cell.rnn_cell_backward_unchecked(da_next.T, xt.T, a_prev.T, a_next.T, _row_params(parameters))
    return {
        "dxt": g["x"].T,
        "da_prev": g["h_prev"].T,
        "dWax": g["W_ih"],
        "dWaa": g["W_hh"],
        "dba": g["b_ih"][:, None],
    }


def rnn_forward(x: np.ndarray, a0: np.ndarray, parameters: Params) -> tuple[np.ndarray, np.ndarray, tuple]:
    """A whole sequence in the course's layout, through [rnn_forward][solutions.sequence.rnn_forward].

    Parameters
    ----------
    x : ndarray of shape (n_x, m, T_x)
        Inputs, time last.
    a0 : ndarray of shape (n_a, m)
        Initial hidden state.
    parameters : dict
        ``Wax`` (n_a, n_x), ``Waa`` (n_a, n_a), ``Wya`` (n_y, n_a), ``ba`` (n_a, 1),
        ``by`` (n_y, 1), in ``x``'s dtype.

    Returns
    -------
    a : ndarray of shape (n_a, m, T_x)
        Every hidden state.
    y_pred : ndarray of shape (n_y, m, T_x)
        ``softmax(Wya a_t + by)`` for every ``t``.
    caches : CourseCaches
        ``(cache, x)``: as in the course, ``caches[1]`` is ``x``; ``caches[0]`` is the
        row-layout cache of [rnn_forward][solutions.sequence.rnn_forward] (the course keeps a
        list of per-step caches there instead), for
        [rnn_backward][solutions.course.compat.rnn_backward].

    Raises
    ------
    ValueError
        A wrong shape, a missing key, mixed dtypes, NaN/inf.
    """
    s = _shapes()
    s.array("x", x, ("n_x", "m", "T_x"))
    s.array("a0", a0, ("n_a", "m"))
    p = s.params("parameters", parameters, COURSE_PARAM_SHAPES)
    x_rows, h0, p_rows = np.ascontiguousarray(x.transpose(2, 1, 0)), a0.T, _row_params(p)
    h, cache = sequence.rnn_forward_unchecked(x_rows, h0, p_rows)  # h kept by the cache; the caller gets a copy
    a = h.transpose(2, 1, 0).copy()                # a copy even where the transpose is contiguous (m = T_x = 1)
    y_pred = _softmax_rows(h @ p["Wya"].T + p["by"][:, 0]).transpose(2, 1, 0)
    return a, y_pred, CourseCaches(cache, x)


def rnn_backward(da: np.ndarray, caches: tuple) -> dict[str, np.ndarray]:
    """BPTT in the course's layout, through [rnn_backward][solutions.sequence.rnn_backward].

    Parameters
    ----------
    da : ndarray of shape (n_a, m, T_x)
        ``∂L/∂a_t`` from outside the recurrence, for every step.
    caches : CourseCaches
        ``(cache, x)`` from [rnn_forward][solutions.course.compat.rnn_forward].

    Returns
    -------
    gradients : dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWax`` (n_a, n_x), ``dWaa`` (n_a, n_a),
        ``dba`` (n_a, 1), in the input's dtype.

    Raises
    ------
    ValueError
        ``da`` not shaped like ``a``, another dtype, NaN/inf, or not the caches of
        [rnn_forward][solutions.course.compat.rnn_forward].
    """
    check_cache(caches, CourseCaches, "caches")
    rows = check_cache(caches.cache, sequence.RnnCache, "caches.cache")     # T, B, H of the row layout
    _shapes(rows.dtype, n_a=rows.dims["H"], m=rows.dims["B"], T_x=rows.dims["T"]).array("da", da, ("n_a", "m", "T_x"))
    g = sequence.rnn_backward_unchecked(da.transpose(2, 1, 0), caches.cache)
    return {
        "dx": g["x"].transpose(2, 1, 0),
        "da0": g["h0"].T,
        "dWax": g["W_ih"],
        "dWaa": g["W_hh"],
        "dba": g["b_ih"][:, None],
    }


# --- LSTM: the course's lstm_cell_forward / lstm_forward / lstm_cell_backward / lstm_backward ---------
#
# The course stacks [a_prev; x_t] and keeps one weight matrix per gate: Wf, Wi, Wc, Wo (n_a, n_a + n_x)
# and bf, bi, bc, bo (n_a, 1). Its Γ_u (update gate) is the book's i_t, its c̃ the book's c̃_t.
# The adapters below split each Wg into its a_prev and x_t columns, stack the gates in PyTorch's
# order (i, f, g, o) and call solutions.lstm; they compute nothing else but the output softmax.

COURSE_LSTM_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    **{f"W{g}": ("n_a", "n_a+n_x") for g in "fico"},
    **{f"b{g}": ("n_a", "1") for g in "fico"},
    "Wy": ("n_y", "n_a"),
    "by": ("n_y", "1"),
}
"""The course's LSTM parameters and their shapes (``n_a+n_x`` is one symbol: the stacked width)."""
_LSTM_GATES = "ifco"
"""The course's gate letters in PyTorch's order (i, f, g, o): ``c`` is the candidate, PyTorch's ``g``."""


class CourseLSTMCellCache(NamedTuple):
    """The course's step cache ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``,
    by position as in the course and by name here; ``a_next`` and ``c_next`` are the cache's own
    copies of the returned states."""

    PRODUCER = "solutions.course.compat.lstm_cell_forward"
    SHAPES = {**dict.fromkeys(("a_next", "c_next", "a_prev", "c_prev", "ft", "it", "cct", "ot"), ("n_a", "m")),
              "xt": ("n_x", "m"),
              "parameters": {k: COURSE_LSTM_PARAM_SHAPES[k] for k in COURSE_LSTM_PARAM_SHAPES if k[1] in _LSTM_GATES}}

    a_next: np.ndarray
    """(n_a, m)."""
    c_next: np.ndarray
    """(n_a, m)."""
    a_prev: np.ndarray
    """(n_a, m)."""
    c_prev: np.ndarray
    """(n_a, m)."""
    ft: np.ndarray
    """(n_a, m), the forget gate."""
    it: np.ndarray
    """(n_a, m), the update (input) gate."""
    cct: np.ndarray
    """(n_a, m), the candidate c̃."""
    ot: np.ndarray
    """(n_a, m), the output gate."""
    xt: np.ndarray
    """(n_x, m)."""
    parameters: Params
    """The course's ``Wf``, ``bf``, ``Wi``, ``bi``, ``Wc``, ``bc``, ``Wo``, ``bo``, ``Wy``, ``by``."""


class CourseLSTMCaches(NamedTuple):
    """The course's ``caches = (caches, x)`` of a whole LSTM sequence: ``caches[1]`` is ``x`` as
    in the course; ``caches[0]`` is the [LSTMCache][solutions.lstm.LSTMCache] of
    [lstm_forward][solutions.lstm.lstm_forward] (the course keeps a list of step caches there)."""

    PRODUCER = "solutions.course.compat.lstm_forward"
    SHAPES = {}                        # cache is an LSTMCache, checked as such

    cache: lstm.LSTMCache
    """The cache of [solutions.lstm.lstm_forward][solutions.lstm.lstm_forward]."""
    x: np.ndarray
    """(n_x, m, T_x), the course's input."""


def lstm_row_params(parameters: Params, n_a: int) -> Params:
    """The course's LSTM parameters as [solutions.lstm][]'s (PyTorch's layout), without checks.

    Parameters
    ----------
    parameters : dict
        The course's ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), columns ``[a_prev; x_t]``, and
        ``bf, bi, bc, bo`` (n_a, 1); other keys are ignored.
    n_a : int
        The state size ``H``.

    Returns
    -------
    params : dict
        ``W_ih`` (4H, I), ``W_hh`` (4H, H), ``b_ih`` (4H,) stacked in PyTorch's gate order
        (i, f, g, o), and ``b_hh`` zeros (the course has one bias per gate).
    """
    W = [parameters[f"W{g}"] for g in _LSTM_GATES]
    b = np.concatenate([parameters[f"b{g}"][:, 0] for g in _LSTM_GATES])
    return {"W_ih": np.concatenate([w[:, n_a:] for w in W]), "W_hh": np.concatenate([w[:, :n_a] for w in W]),
            "b_ih": b, "b_hh": np.zeros_like(b)}


def lstm_course_grads(g: dict[str, np.ndarray], n_a: int) -> dict[str, np.ndarray]:
    """[solutions.lstm][]'s parameter gradients in the course's names and layout.

    Parameters
    ----------
    g : dict
        ``W_ih`` (4H, I), ``W_hh`` (4H, H), ``b_ih`` (4H,), gates in PyTorch's order (i, f, g, o).
    n_a : int
        The state size ``H``.

    Returns
    -------
    grads : dict
        ``dWi, dWf, dWc, dWo`` (n_a, n_a + n_x), columns ``[a_prev; x_t]``, and
        ``dbi, dbf, dbc, dbo`` (n_a, 1).
    """
    out = {}
    for k, gate in enumerate(_LSTM_GATES):
        rows = slice(k * n_a, (k + 1) * n_a)
        out[f"dW{gate}"] = np.concatenate([g["W_hh"][rows], g["W_ih"][rows]], axis=1)
        out[f"db{gate}"] = g["b_ih"][rows, None]
    return out


def lstm_cell_forward(
    xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray, parameters: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray, CourseLSTMCellCache]:
    """One LSTM step in the course's layout, through [lstm_forward][solutions.lstm.lstm_forward] with T = 1.

    Parameters
    ----------
    xt : ndarray of shape (n_x, m)
        Input at this step, one example per column.
    a_prev, c_prev : ndarray of shape (n_a, m)
        Previous hidden and cell (memory) state.
    parameters : dict
        ``Wf``, ``Wi``, ``Wc``, ``Wo`` (n_a, n_a + n_x) acting on ``[a_prev; xt]``,
        ``bf``, ``bi``, ``bc``, ``bo`` (n_a, 1), ``Wy`` (n_y, n_a), ``by`` (n_y, 1).

    Returns
    -------
    a_next, c_next : ndarray of shape (n_a, m)
        ``Γ_o ⊙ tanh(c_next)`` and ``Γ_f ⊙ c_prev + Γ_u ⊙ c̃`` (the book's h_t and c_t).
    yt_pred : ndarray of shape (n_y, m)
        ``softmax(Wy a_next + by)`` over each column.
    cache : CourseLSTMCellCache
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)`` as in the course.

    Raises
    ------
    ValueError
        A wrong shape (e.g. ``Wf`` not (n_a, n_a + n_x)), a missing key, mixed dtypes, NaN/inf.
    """
    s = _shapes()
    s.array("xt", xt, ("n_x", "m"))
    s.array("a_prev", a_prev, ("n_a", "m"))
    s.array("c_prev", c_prev, ("n_a", "m"))
    n_a = a_prev.shape[0]
    p = s.params("parameters", parameters, COURSE_LSTM_PARAM_SHAPES)
    _, _, cache = lstm.lstm_forward_unchecked(xt.T[None], a_prev.T, c_prev.T, lstm_row_params(p, n_a))
    a_next, c_next = cache.h[0], cache.c[0]          # (n_a, m): the cache's own arrays, by columns
    i, f, g, o = (cache.gates[0, k * n_a:(k + 1) * n_a] for k in range(4))
    yt_pred = _softmax_rows(a_next.T @ p["Wy"].T + p["by"][:, 0]).T
    return (a_next.copy(), c_next.copy(), yt_pred,
            CourseLSTMCellCache(a_next, c_next, a_prev, c_prev, f, i, g, o, xt, parameters))


def lstm_cell_backward(da_next: np.ndarray, dc_next: np.ndarray, cache: CourseLSTMCellCache) -> dict[str, np.ndarray]:
    """Gradients of one LSTM step in the course's layout, through [lstm_backward][solutions.lstm.lstm_backward].

    Parameters
    ----------
    da_next, dc_next : ndarray of shape (n_a, m)
        ``∂L/∂a_next`` and ``∂L/∂c_next`` from outside this step.
    cache : CourseLSTMCellCache
        From [lstm_cell_forward][solutions.course.compat.lstm_cell_forward].

    Returns
    -------
    gradients : dict
        ``dxt`` (n_x, m), ``da_prev``, ``dc_prev`` (n_a, m), ``dWf``, ``dWi``, ``dWc``, ``dWo``
        (n_a, n_a + n_x), ``dbf``, ``dbi``, ``dbc``, ``dbo`` (n_a, 1), in the input's dtype.

    Raises
    ------
    ValueError
        ``da_next`` or ``dc_next`` not shaped like ``a_next``, another dtype, NaN/inf, or a
        malformed cache.
    """
    s = check_cache(cache, CourseLSTMCellCache, "cache", _shapes())
    s.array("da_next", da_next, ("n_a", "m"))
    s.array("dc_next", dc_next, ("n_a", "m"))
    # solutions.lstm's cache of this step: the forward step again, by the kernel lstm_cell_forward ran
    # (the same bits as the course cache's gates and states)
    n_a = s.dims["n_a"]
    _, _, ours = lstm.lstm_forward_unchecked(cache.xt.T[None], cache.a_prev.T, cache.c_prev.T,
                                             lstm_row_params(cache.parameters, n_a))
    g = lstm.lstm_backward_unchecked(da_next.T[None], ours, dc_n=dc_next.T)
    return {"dxt": g["x"][0].T, "da_prev": g["h0"].T, "dc_prev": g["c0"].T, **lstm_course_grads(g, n_a)}


def lstm_forward(
    x: np.ndarray, a0: np.ndarray, parameters: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray, CourseLSTMCaches]:
    """A whole sequence in the course's layout, through [lstm_forward][solutions.lstm.lstm_forward].

    As in the course, the initial cell state is zero.

    Parameters
    ----------
    x : ndarray of shape (n_x, m, T_x)
        Inputs, time last.
    a0 : ndarray of shape (n_a, m)
        Initial hidden state.
    parameters : dict
        As for [lstm_cell_forward][solutions.course.compat.lstm_cell_forward].

    Returns
    -------
    a : ndarray of shape (n_a, m, T_x)
        Every hidden state.
    y : ndarray of shape (n_y, m, T_x)
        ``softmax(Wy a_t + by)`` for every ``t``.
    c : ndarray of shape (n_a, m, T_x)
        Every cell state.
    caches : CourseLSTMCaches
        ``(cache, x)`` for [lstm_backward][solutions.course.compat.lstm_backward].

    Raises
    ------
    ValueError
        A wrong shape, a missing key, mixed dtypes, NaN/inf.
    """
    s = _shapes()
    s.array("x", x, ("n_x", "m", "T_x"))
    s.array("a0", a0, ("n_a", "m"))
    n_a = a0.shape[0]
    p = s.params("parameters", parameters, COURSE_LSTM_PARAM_SHAPES)
    h, c, cache = lstm.lstm_forward_unchecked(np.ascontiguousarray(x.transpose(2, 1, 0)), a0.T,
                                              np.zeros_like(a0.T), lstm_row_params(p, n_a))
    y = _softmax_rows(h @ p["Wy"].T + p["by"][:, 0])
    cols = lambda a: np.ascontiguousarray(a.transpose(2, 1, 0))  # (T, m, n) -> (n, m, T), a copy
    return cols(h), cols(y), cols(c), CourseLSTMCaches(cache, x)


def lstm_backward(da: np.ndarray, caches: CourseLSTMCaches) -> dict[str, np.ndarray]:
    """BPTT in the course's layout, through [lstm_backward][solutions.lstm.lstm_backward].

    As in the course, the number of steps is read from ``da``: a ``da`` of ``T ≤ T_x`` steps
    is the gradient of a loss on ``a_1 … a_T`` only (the course's own test passes 4 steps of a
    7-step forward), so the steps after ``T`` contribute nothing and are skipped.

    Parameters
    ----------
    da : ndarray of shape (n_a, m, T)
        ``∂L/∂a_t`` from outside the recurrence for the first ``T`` steps, ``1 ≤ T ≤ T_x``.
    caches : CourseLSTMCaches
        From [lstm_forward][solutions.course.compat.lstm_forward].

    Returns
    -------
    gradients : dict
        ``dx`` (n_x, m, T), ``da0`` (n_a, m), ``dWf``, ``dWi``, ``dWc``, ``dWo``
        (n_a, n_a + n_x), ``dbf``, ``dbi``, ``dbc``, ``dbo`` (n_a, 1), in the input's dtype.

    Raises
    ------
    ValueError
        ``da`` of the wrong shape (or more steps than the forward ran), another dtype,
        NaN/inf, or not the caches of [lstm_forward][solutions.course.compat.lstm_forward].
    """
    check_cache(caches, CourseLSTMCaches, "caches")
    rows = check_cache(caches.cache, lstm.LSTMCache, "caches.cache")        # T, B, H of the row layout
    cache, T_x, n_a, m = caches.cache, rows.dims["T"], rows.dims["H"], rows.dims["B"]
    _shapes(rows.dtype, n_a=n_a, m=m).array("da", da, ("n_a", "m", "T"))
    T = da.shape[2]
    if T > T_x:
        raise ValueError(f"da must have shape (n_a, m, T) with T <= T_x = {T_x}, the steps lstm_forward ran; "
                         f"got shape {da.shape}")
    if T < T_x:   # the cache of the first T steps: those steps again, by the kernel lstm_forward ran
        cache = lstm.lstm_forward_unchecked(cache.x[:T], cache.h0, cache.c0, cache.params)[2]
    g = lstm.lstm_backward_unchecked(da.transpose(2, 1, 0), cache)
    return {"dx": g["x"].transpose(2, 1, 0), "da0": g["h0"].T, **lstm_course_grads(g, n_a)}
