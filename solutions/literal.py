"""The book's BPTT formulas computed literally, as double sums over error terms δ_{t,k}.

NNDL §6.4.1 writes the gradients of a simple RNN as double sums over the error terms
(误差项) ``δ_{t,k} = ∂L_t/∂z_k``, the error at step ``k`` caused by the loss at step ``t``:

    (6.39)  ∂L/∂U = Σ_{t=1}^{T} Σ_{k=1}^{t} δ_{t,k} h_{k-1}ᵀ
    (6.40)  ∂L/∂W = Σ_{t=1}^{T} Σ_{k=1}^{t} δ_{t,k} x_kᵀ
    (6.41)  ∂L/∂b = Σ_{t=1}^{T} Σ_{k=1}^{t} δ_{t,k}

with ``δ_{t,t} = f'(z_t) ⊙ ∂L_t/∂h_t`` and the recursion
``δ_{t,k} = diag(f'(z_k)) Uᵀ δ_{t,k+1}``. This module evaluates those formulas exactly as
printed — every ``δ_{t,k}`` separately, ``T(T+1)/2`` of them — so the pages can show that the
O(T) pass of [rnn_backward][solutions.sequence.rnn_backward] gives the same numbers. It is
written for reading, not for speed: its cost grows as O(T²).

It is the package's one double-sum engine: the recursion takes its step, and the sum of
(6.39) its outer product, as arguments (defaults: the right ones,
[next_delta][solutions.literal.next_delta] and [outer_hh][solutions.literal.outer_hh]), so
that [solutions.pitfalls][] can swap in the students' wrong ones.

Code layout as everywhere on the site: one row per example, so the book's column vector
``δ_{t,k}`` is the row ``delta[t, k, b]`` of example ``b``, ``Uᵀ δ`` is ``δ @ W_hh`` and the
outer product ``δ xᵀ`` summed over the batch is ``δ.T @ x``. Indices are 0-based: ``x[k]``
and ``h[k]`` are the book's ``x_{k+1}`` and ``h_{k+1}``, and ``h0`` is the book's ``h_0``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from solutions.sequence import RnnCache
from solutions.validate import check_cache, check_dh, check_truncate

#: ``step(delta, t, k, dh, h, hp, W_hh) -> δ_{t,k−1}``: one step of the recursion, all (B, H).
Step = Callable[..., np.ndarray]
#: ``outer(delta, h_prev) -> (H, H)``: one term of (6.39).
Outer = Callable[[np.ndarray, np.ndarray], np.ndarray]


# --8<-- [start:next_delta] next_delta
def next_delta(delta: np.ndarray, t: int, k: int, dh: np.ndarray,
               h: np.ndarray, hp: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """The right step: ``δ_{t,k−1} = f'(z_{k−1}) ⊙ Uᵀ δ_{t,k}``."""
    return (1.0 - hp[k] ** 2) * (delta @ W_hh)     # hp[k] = h_{k-1}, f'(z_{k-1}) = 1 - h_{k-1}²
# --8<-- [end:next_delta]


def outer_hh(delta: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """The right outer product of (6.39): ``δ_{t,k} h_{k−1}ᵀ`` summed over the batch, shape (H, H)."""
    return delta.T @ h_prev


def _checked(dh: np.ndarray, cache: RnnCache, dh_n: np.ndarray | None = None) -> RnnCache:
    """The checks of [rnn_backward][solutions.sequence.rnn_backward]: ``cache``, ``dh`` (T, B, H), ``dh_n`` (B, H)."""
    check_dh(check_cache(cache, RnnCache), dh, dh_n=dh_n)
    return cache


def error_terms(dh: np.ndarray, cache: RnnCache, truncate: int | None = None, *,
                step: Step = next_delta) -> np.ndarray:
    """Every error term ``δ_{t,k} = ∂L_t/∂z_k`` of the book's §6.4.1, by its recursion.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step ``t``: the gradient of the step-``t`` loss with respect
        to the state of the same step (what the output layer sends down).
    cache : RnnCache
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Truncated BPTT with windows of ``truncate`` steps, as in
        [rnn_backward][solutions.sequence.rnn_backward]: the recursion from ``L_t`` stops at
        the first step of ``t``'s window. ``None`` (default): full BPTT.
    step : callable
        ``step(delta, t, k, dh, h, hp, W_hh) -> δ_{t,k−1}``, each of shape (B, H), where
        ``hp`` (T, B, H) holds ``h_{k−1}`` at index ``k``; default
        [next_delta][solutions.literal.next_delta].

    Returns
    -------
    delta : ndarray of shape (T, T, B, H)
        ``delta[t, k]`` is ``δ_{t,k}`` (one row per example) for ``k ≤ t`` in ``t``'s
        window, and zero otherwise (the loss at step ``t`` does not depend on later states).
        Same dtype as ``dh``.

    Raises
    ------
    ValueError
        ``dh`` not shaped like ``h`` (T, B, H), of another dtype, or not finite; ``cache``
        not an ``RnnCache``; ``truncate`` < 1.
    """
    c = _checked(dh, cache)
    w = check_truncate(truncate) or len(c.h)
    h, U = c.h, c.params["W_hh"]
    T = h.shape[0]
    hp = np.concatenate([c.h0[None], h[:-1]])     # hp[k] = h_{k-1}
    delta = np.zeros((T, *h.shape), dtype=h.dtype)   # delta[t, k] = δ_{t,k}
    # --8<-- [start:recursion] error_terms
    for t in range(T):                          # one loss term L_t at a time
        start = t // w * w                      # first step of t's window (0: full BPTT)
        delta[t, t] = (1.0 - h[t] ** 2) * dh[t]   # δ_{t,t} = f'(z_t) ⊙ ∂L_t/∂h_t
        for k in range(t, start, -1):           # back from step t to the window's first:
            # δ_{t,k-1} = diag(f'(z_{k-1})) Uᵀ δ_{t,k}
            delta[t, k - 1] = step(delta[t, k], t, k, dh, h, hp, U)
    # --8<-- [end:recursion]
    return delta


def double_sum_grads(dh: np.ndarray, cache: RnnCache, truncate: int | None = None,
                     dh_n: np.ndarray | None = None, *,
                     step: Step = next_delta, outer: Outer = outer_hh) -> dict[str, np.ndarray]:
    """The gradients (6.39), (6.40), (6.41) of the book as literal double sums over ``δ_{t,k}``.

    The same result as [rnn_backward][solutions.sequence.rnn_backward] (with the same
    ``truncate``), computed the long way: O(T²) error terms from
    [error_terms][solutions.literal.error_terms], each multiplied into the sum on its own.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step, as for ``rnn_backward``.
    cache : RnnCache
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` (default) is full BPTT.
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n`` of the final state, as for ``rnn_backward``: one more loss term read at
        step ``T``, so it joins ``dh[-1]``.
    step : callable
        The recursion's step, passed to [error_terms][solutions.literal.error_terms].
    outer : callable
        ``outer(delta, h_prev) -> (H, H)``, the term of (6.39); default
        [outer_hh][solutions.literal.outer_hh].

    Returns
    -------
    grads : dict
        ``W_hh`` (H, H) = (6.39) ``Σ_t Σ_{k≤t} δ_{t,k} h_{k-1}ᵀ``,
        ``W_ih`` (H, I) = (6.40) ``Σ_t Σ_{k≤t} δ_{t,k} x_kᵀ``,
        ``b_ih`` and ``b_hh`` (H,) = (6.41) ``Σ_t Σ_{k≤t} δ_{t,k}``, and, with the same
        double sum, ``x`` (T, B, I) with ``∂L/∂x_k = Σ_{t≥k} Wᵀ δ_{t,k}`` and ``h0`` (B, H)
        with ``∂L/∂h_0 = Σ_t Uᵀ δ_{t,1}``. Each example's outer products are summed over the
        batch. Same dtype as ``dh``.

    Raises
    ------
    ValueError
        As [error_terms][solutions.literal.error_terms], or ``dh_n`` not (B, H) in ``dh``'s dtype.
    """
    if dh_n is not None:
        _checked(dh, cache, dh_n)
        dh = dh.copy()
        dh[-1] += dh_n                          # L reads h_T twice: through L_T and through h_n
    delta = error_terms(dh, cache, truncate, step=step)
    x, h0, h, p = cache.x, cache.h0, cache.h, cache.params
    T = h.shape[0]
    # --8<-- [start:sums] double_sum_grads
    W, U = p["W_ih"], p["W_hh"]
    dW, dU = np.zeros_like(W), np.zeros_like(U)
    db, dx, dh0 = np.zeros_like(p["b_ih"]), np.zeros_like(x), np.zeros_like(h0)
    for t in range(T):                          # Σ_{t=1}^{T}
        for k in range(t + 1):                  #   Σ_{k=1}^{t}
            d = delta[t, k]                     #     δ_{t,k}, a row per example
            h_prev = h0 if k == 0 else h[k - 1] #     h_{k-1}
            dU += outer(d, h_prev)              # (6.39)  δ_{t,k} h_{k-1}ᵀ
            dW += d.T @ x[k]                    # (6.40)  δ_{t,k} x_kᵀ
            db += d.sum(axis=0)                 # (6.41)  δ_{t,k}
            dx[k] += d @ W                      # ∂L/∂x_k += Wᵀ δ_{t,k}
        dh0 += delta[t, 0] @ U                  # ∂L/∂h_0 += Uᵀ δ_{t,1}
    # b = b_ih + b_hh: both get the whole ∂L/∂b
    g = {"W_ih": dW, "W_hh": dU, "b_ih": db, "b_hh": db.copy(), "x": dx, "h0": dh0}
    # --8<-- [end:sums]
    return g
