"""Finite-difference gradients and the relative error used on every page.

``numeric_grad`` is the central difference ``(f(x + ε e_i) − f(x − ε e_i)) / 2ε`` for every
entry ``i`` of an array, evaluated in place (the array is restored afterwards), like CS231n's
``eval_numerical_gradient``. ``rel_error`` is the normwise relative error
``max|a − b| / max(max(|a| + |b|), tiny)``: unlike an element-wise ratio it does not blow up on
entries that are zero in both arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

TINY = 1e-300


def numeric_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    Parameters
    ----------
    f : callable
        Takes no argument and returns a float; it must read ``x`` (e.g. a closure over it).
    x : ndarray of any shape, float64
        Perturbed in place entry by entry and restored exactly.
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
        flat[i] = old + eps
        up = float(f())
        flat[i] = old - eps
        down = float(f())
        flat[i] = old
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


def max_abs(a: np.ndarray, b: np.ndarray) -> float:
    """``max|a − b|`` in float64 (0.0 for empty arrays)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0
