"""Finite-difference gradients and the relative error used on every page.

``numeric_grad`` is the central difference ``(f(x + ε e_i) − f(x − ε e_i)) / 2ε`` for every
entry ``i`` of an array, evaluated in place (the array is restored afterwards), like CS231n's
``eval_numerical_gradient``. ``rel_error`` is the normwise relative error
``max|a − b| / max(max(|a| + |b|), tiny)``: unlike an element-wise ratio it does not blow up on
entries that are zero in both arrays.

[gradient_check][solutions.gradcheck.gradient_check] is the harness of the pitfalls page: it
compares the parameter gradients any RNN forward/backward pair claims for
``L = ½ Σ_t ‖h_t − y_t‖²`` with central differences of that loss (also truncated).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from solutions.validate import PARAM_KEYS, Params, check_truncate

TINY = 1e-300

#: The parameters whose gradients [gradient_check][solutions.gradcheck.gradient_check] compares.

Forward = Callable[[np.ndarray, np.ndarray, Params], tuple[np.ndarray, tuple]]
Backward = Callable[[np.ndarray, tuple], dict[str, np.ndarray]]


def numeric_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    Parameters
    ----------
    f : callable
        Takes no argument and returns a float; it must read ``x`` (e.g. a closure over it).
    x : ndarray of any shape, float64
        Perturbed in place entry by entry and restored exactly, also when ``f`` raises.
    eps : float
        Step; 1e-6 balances truncation (O(ε²)) and rounding (O(1e-16/ε)) error in float64.

    Returns
    -------
    grad : ndarray, shape and dtype of ``x``
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(f"x must be a float64 NumPy array for finite differences; got {getattr(x, 'dtype', type(x).__name__)}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        try:
            flat[i] = old + eps
            up = float(f())
            flat[i] = old - eps
            down = float(f())
        finally:
            flat[i] = old            # restored even when f raises
        gflat[i] = (up - down) / (2 * eps)
    return grad


def numeric_grads(f: Callable[[], float], arrays: Mapping[str, np.ndarray], eps: float = 1e-6) -> dict[str, np.ndarray]:
    """[numeric_grad][solutions.gradcheck.numeric_grad] for each array of a dict; same keys."""
    return {name: numeric_grad(f, a, eps) for name, a in arrays.items()}


def rel_error(a: np.ndarray, b: np.ndarray, tiny: float = TINY) -> float:
    """``max|a − b| / max(max(|a| + |b|), tiny)``, the relative error quoted on the pages.

    Parameters
    ----------
    a, b : array_like of the same shape
    tiny : float
        Floor of the denominator, so two zero arrays give 0 rather than NaN.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), tiny))


def max_abs(a: np.ndarray | Mapping[str, np.ndarray], b: np.ndarray | Mapping[str, np.ndarray]) -> float:
    """``max|a − b|`` in float64 (0.0 for empty arrays); for two dicts of arrays with the same
    keys (two sets of gradients), the largest over every key."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            raise ValueError(f"a and b must have the same keys; got {sorted(a)} and {sorted(b)}")
        return max((max_abs(a[k], b[k]) for k in a), default=0.0)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def loss_and_grads(forward: Forward, backward: Backward, x: np.ndarray, h0: np.ndarray, params: Params,
                   y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """``L = ½ Σ ‖h − y‖²`` and the gradients that ``backward`` claims for it.

    Parameters
    ----------
    forward, backward : callable
        ``forward(x, h0, params) -> (h, cache)`` and ``backward(dh, cache) -> grads``, e.g. a
        pair from [implementation][solutions.pitfalls.implementation].
    x : ndarray of shape (T, B, I), or (B, I) for a cell
        Inputs.
    h0 : ndarray of shape (B, H)
        Initial (or previous) state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,).
    y : ndarray shaped like ``h`` (T, B, H), or (B, H) for a cell
        Regression targets.

    Returns
    -------
    loss : float
    grads : dict
        What ``backward`` returns for ``∂L/∂h = h − y``.
    """
    h, cache = forward(x, h0, params)
    return 0.5 * float(np.sum((h - y) ** 2)), backward(h - y, cache)


def gradient_check(forward: Forward, backward: Backward, x: np.ndarray, h0: np.ndarray, params: Params,
                   y: np.ndarray, truncate: int | None = None, eps: float = 1e-6) -> dict[str, float]:
    """Relative error of ``backward``'s parameter gradients against central finite differences.

    The function differentiated numerically is ``L = ½ Σ_t ‖h_t − y_t‖²`` through ``forward``.
    With ``truncate = k`` it is the loss truncated BPTT differentiates: each window of ``k``
    steps starts from the state entering it, frozen at its unperturbed value.

    Parameters
    ----------
    forward, backward : callable
        A forward/backward pair (same ``truncate``), e.g. from
        [implementation][solutions.pitfalls.implementation].
    x : ndarray of shape (T, B, I), or (B, I) for a cell
        Inputs, float64.
    h0 : ndarray of shape (B, H)
        Initial state, float64.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), float64; perturbed in
        place one entry at a time and restored.
    y : ndarray shaped like ``h``
        Targets.
    truncate : int, optional
        Window length (sequences only); ``None`` for the full loss.
    eps : float
        Finite-difference step.

    Returns
    -------
    errors : dict
        ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` -> [rel_error][solutions.gradcheck.rel_error].
    """
    k = check_truncate(truncate)
    h = forward(x, h0, params)[0]
    starts = list(range(0, len(x), k)) if k else [0]
    entering = [h0 if s == 0 else h[s - 1].copy() for s in starts]   # frozen at θ

    def loss() -> float:
        if k is None:
            return 0.5 * float(np.sum((forward(x, h0, params)[0] - y) ** 2))
        return sum(0.5 * float(np.sum((forward(x[s:s + k], h_s, params)[0] - y[s:s + k]) ** 2))
                   for s, h_s in zip(starts, entering))

    numeric = numeric_grads(loss, {key: params[key] for key in PARAM_KEYS}, eps)
    _, analytic = loss_and_grads(forward, backward, x, h0, params, y)
    return {key: rel_error(analytic[key], numeric[key]) for key in PARAM_KEYS}
