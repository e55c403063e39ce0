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

from solutions import cell, sequence
from solutions.validate import Params, Shapes, check_cache


class CourseCellCache(NamedTuple):
    """The course's step cache ``(a_next, a_prev, xt, parameters)``, by position as in the
    course and by name here; ``a_next`` is the cache's own copy of the returned state."""

    PRODUCER = "solutions.compat.rnn_cell_forward"

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

    PRODUCER = "solutions.compat.rnn_forward"

    cache: sequence.RnnCache
    """The row-layout cache of [rnn_forward][solutions.sequence.rnn_forward]."""
    x: np.ndarray
    """(n_x, m, T_x), the course's input."""

COURSE_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    "Wax": ("n_a", "n_x"),
    "Waa": ("n_a", "n_a"),
    "Wya": ("n_y", "n_a"),
    "ba": ("n_a", "1"),
    "by": ("n_y", "1"),
}
"""The course's parameters and their shapes (``"1"`` is a literal size of one)."""
_RECURRENT = ("Wax", "Waa", "ba")


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
        [rnn_cell_backward][solutions.compat.rnn_cell_backward].

    Raises
    ------
    ValueError
        A wrong shape (e.g. ``ba`` not (n_a, 1)), a missing key, mixed dtypes, NaN/inf.
    """
    s = _shapes()
    s.array("xt", xt, ("n_x", "m"))
    s.array("a_prev", a_prev, ("n_a", "m"))
    p = s.params("parameters", parameters, COURSE_PARAM_SHAPES)
    h = cell._forward(xt.T, a_prev.T, _row_params(p))
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
        [rnn_cell_forward][solutions.compat.rnn_cell_forward].

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
    c = check_cache(cache, CourseCellCache)
    a_next, a_prev, xt, parameters = c.a_next, c.a_prev, c.xt, c.parameters
    s = _shapes()
    s.array("cache a_next", a_next, ("n_a", "m"))
    s.array("cache a_prev", a_prev, ("n_a", "m"))
    s.array("cache xt", xt, ("n_x", "m"))
    p = s.params("cache parameters", parameters, {k: COURSE_PARAM_SHAPES[k] for k in _RECURRENT})
    s.array("da_next", da_next, ("n_a", "m"))
    g = cell._backward(da_next.T, cell.CellCache(xt.T, a_prev.T, a_next.T, _row_params(p)))
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
        [rnn_backward][solutions.compat.rnn_backward].

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
    h = sequence._forward(x_rows, h0, p_rows)      # h itself is never returned: a is a transposed copy
    a = np.ascontiguousarray(h.transpose(2, 1, 0))
    y_pred = _softmax_rows(h @ p["Wya"].T + p["by"][:, 0]).transpose(2, 1, 0)
    return a, y_pred, CourseCaches(sequence.RnnCache(x_rows, h0, h, p_rows), x)


def rnn_backward(da: np.ndarray, caches: tuple) -> dict[str, np.ndarray]:
    """BPTT in the course's layout, through [rnn_backward][solutions.sequence.rnn_backward].

    Parameters
    ----------
    da : ndarray of shape (n_a, m, T_x)
        ``∂L/∂a_t`` from outside the recurrence, for every step.
    caches : CourseCaches
        ``(cache, x)`` from [rnn_forward][solutions.compat.rnn_forward].

    Returns
    -------
    gradients : dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWax`` (n_a, n_x), ``dWaa`` (n_a, n_a),
        ``dba`` (n_a, 1), in the input's dtype.

    Raises
    ------
    ValueError
        ``da`` not shaped like ``a``, another dtype, NaN/inf, or not the caches of
        [rnn_forward][solutions.compat.rnn_forward].
    """
    cache = check_cache(caches, CourseCaches, "caches").cache
    T, B, H = cache.h.shape
    _shapes(cache.h.dtype, n_a=H, m=B, T_x=T).array("da", da, ("n_a", "m", "T_x"))
    g = sequence._backward(da.transpose(2, 1, 0), cache, None)
    return {
        "dx": g["x"].transpose(2, 1, 0),
        "da0": g["h0"].T,
        "dWax": g["W_ih"],
        "dWaa": g["W_hh"],
        "dba": g["b_ih"][:, None],
    }
