"""The residual state update of exercise 6-3, its BPTT, and the norm of ∂h_t/∂h_0.

Book notation (NNDL §6.5, eq. (6.50) in the book): ``h_t = h_{t-1} + g(x_t, h_{t-1}; θ)``.
Here ``g`` is the simple RNN's step with a scale α in front,

    z_t = U h_{t-1} + W x_t + b        (6.5)
    h_t = h_{t-1} + α tanh(z_t)        (6.50) with g = α tanh(z_t)

so α = 1 is the book's update and α = 0 freezes the state (``h_t = h_0``). Code notation is
that of [solutions.sequence][]: ``W_ih`` = W, ``W_hh`` = U, ``b_ih + b_hh`` = b, time first.

The one-step Jacobian is ``∂h_t/∂h_{t-1} = I + α diag(1 − g_t²) U`` with ``g_t = tanh(z_t)``;
for the plain tanh RNN it is ``diag(1 − h_t²) U``.
[step_jacobians][solutions.residual.step_jacobians] builds these factors and
[state_jacobian_norms][solutions.residual.state_jacobian_norms] the spectral norm of their product,
``‖∂h_t/∂h_0‖₂``, for every ``t``.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import numpy as np

from solutions import sequence
from solutions.validate import (
    RNN_PARAM_SHAPES,
    Params,
    check_cache,
    check_dh,
    check_inputs,
)


class ResidualCache(NamedTuple):
    """What [residual_forward][solutions.residual.residual_forward] keeps for
    [residual_backward][solutions.residual.residual_backward] (its own arrays: editing the
    returned ``h`` in place does not change the gradients)."""

    PRODUCER = "solutions.residual.residual_forward"
    SHAPES = {"x": ("T", "B", "I"), "h0": ("B", "H"), "h": ("T", "B", "H"), "g": ("T", "B", "H"),
              "params": RNN_PARAM_SHAPES}

    x: np.ndarray
    """(T, B, I), the inputs."""
    h0: np.ndarray
    """(B, H), the initial state."""
    h: np.ndarray
    """(T, B, H), every state ``h_1 … h_T`` (a copy of the returned one)."""
    g: np.ndarray
    """(T, B, H), the branch ``g_t = tanh(z_t)``."""
    params: Params
    """``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``."""
    alpha: float
    """The scale α."""


def check_alpha(alpha: object) -> float:
    """α as a Python float; a ``ValueError`` unless it is a finite real number (not a bool)."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite float; got {alpha!r}")
    return float(alpha)


def residual_forward(
    x: np.ndarray, h0: np.ndarray, params: Params, alpha: float = 1.0
) -> tuple[np.ndarray, ResidualCache]:
    """Run the residual update ``h_t = h_{t-1} + α tanh(U h_{t-1} + W x_t + b)``, (6.50).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), in ``x``'s dtype.
        Other keys are ignored.
    alpha : float
        The scale α of the residual branch; 1.0 is the book's (6.50), 0.0 gives ``h_t = h_0``.

    Returns
    -------
    h : ndarray of shape (T, B, H)
        Every state ``h_1 … h_T``, in ``x``'s dtype.
    cache : ResidualCache
        For [residual_backward][solutions.residual.residual_backward].

    Raises
    ------
    ValueError
        Wrong rank or shape, a missing parameter, mixed dtypes, NaN or infinity, or an
        ``alpha`` that is not a finite number.
    """
    _, p = check_inputs(x, h0, params)
    h, cache = residual_forward_unchecked(x, h0, p, check_alpha(alpha))
    return h.copy(), cache


def residual_forward_unchecked(
    x: np.ndarray, h0: np.ndarray, p: Params, a: float
) -> tuple[np.ndarray, ResidualCache]:
    """[residual_forward][solutions.residual.residual_forward] without the input checks and the copy.

    For callers that checked the inputs already. The cache holds the returned ``h`` itself,
    so the caller must not edit it.
    """
    T, B, I = x.shape
    H = h0.shape[1]
    # --8<-- [start:forward] residual_forward
    g = np.empty((T, B, H), dtype=x.dtype)
    Wx = g.reshape(T * B, H)
    np.matmul(x.reshape(T * B, I), p["W_ih"].T, out=Wx)  # W x_t for every t: one GEMM
    Wx += p["b_ih"] + p["b_hh"]                          # + b
    h = np.empty_like(g)
    h_prev = h0
    for t in range(T):
        g[t] += h_prev @ p["W_hh"].T     # z_t = U h_{t-1} + W x_t + b   (6.5)
        np.tanh(g[t], out=g[t])          # g_t = f(z_t), in place
        np.multiply(g[t], a, out=h[t])
        h[t] += h_prev                   # h_t = h_{t-1} + α g_t         (6.50)
        h_prev = h[t]
    # --8<-- [end:forward]
    return h, ResidualCache(x, h0, h, g, p, a)


def residual_backward(dh: np.ndarray, cache: ResidualCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time for [residual_forward][solutions.residual.residual_forward].

    The loop carries ``∂L/∂h_{t-1} = ∂L/∂h_t + Uᵀ δ_t`` backwards: the first term is the
    identity path of (6.50), the second the path through ``g``, with
    ``δ_t = ∂L/∂z_t = α (1 − g_t²) ⊙ ∂L/∂h_t``. The weight gradients are then (6.39)–(6.41)
    of the book with these ``δ_t``, one matrix product each.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence (the loss terms) for every step ``t``.
    cache : ResidualCache
        From [residual_forward][solutions.residual.residual_forward].
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n``, the gradient of the final state ``h_T`` (as ``torch.nn`` returns a
        final state), added to ``dh[-1]``; ``None``: the loss does not read it.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,),
        ``b_hh`` (H,), in the input's dtype; ``b_ih`` and ``b_hh`` get the same gradient.

    Raises
    ------
    ValueError
        A cache not made by ``residual_forward``; ``dh`` not shaped like ``h`` or ``dh_n``
        not (B, H), of another dtype, or not finite.
    """
    check_dh(check_cache(cache, ResidualCache), dh, dh_n=dh_n)
    return residual_backward_unchecked(dh, cache, dh_n)


def residual_backward_unchecked(dh: np.ndarray, cache: ResidualCache,
                                dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """[residual_backward][solutions.residual.residual_backward] without the checks, for callers that checked."""
    x, h0, h, g, p, a = cache.x, cache.h0, cache.h, cache.g, cache.params, cache.alpha
    T, B, H = h.shape
    I = x.shape[2]
    # --8<-- [start:backward] residual_backward
    dz = a * (1.0 - g * g)                  # α f'(z_t) = α (1 − g_t²), all t at once
    dh_next = np.zeros((B, H), dtype=h.dtype)   # ∂L/∂h_t arriving from step t+1
    if dh_n is not None:
        dh_next += dh_n                     # ∂L/∂h_T through the final state
    for t in range(T - 1, -1, -1):
        dh_t = dh[t] + dh_next              # ∂L/∂h_t: own loss term + the future
        dz[t] *= dh_t                       # δ_t = α f'(z_t) ⊙ ∂L/∂h_t        (residual-carry)
        dh_next = dh_t + dz[t] @ p["W_hh"]  # ∂L/∂h_{t-1} = ∂L/∂h_t + Uᵀ δ_t    (residual-carry)
    d = dz.reshape(T * B, H)                #   (identity path + through g)
    h_prev = h[:-1].reshape((T - 1) * B, H)
    grads = {
        "x": (d @ p["W_ih"]).reshape(T, B, I),          # Wᵀ δ_t
        "h0": dh_next,                                  # ∂L/∂h_0
        "W_ih": d.T @ x.reshape(T * B, I),              # (6.40) Σ_t δ_t x_tᵀ
        "W_hh": d[B:].T @ h_prev + dz[0].T @ h0,        # (6.39) Σ_t δ_t h_{t-1}ᵀ
        "b_ih": d.sum(axis=0),                          # (6.41) Σ_t δ_t
    }
    grads["b_hh"] = grads["b_ih"].copy()
    # --8<-- [end:backward]
    return grads


def step_jacobians(
    x: np.ndarray, h0: np.ndarray, params: Params, kind: str = "residual", alpha: float = 1.0
) -> np.ndarray:
    """The one-step Jacobians ``J_t = ∂h_t/∂h_{t-1}`` along the trajectory from ``h0``.

    * ``kind="plain"`` (tanh RNN, (6.5)): ``J_t = diag(f'(z_t)) U = diag(1 − h_t²) U``;
    * ``kind="residual"`` ((6.50)): ``J_t = I + α diag(1 − g_t²) U``, ``g_t = tanh(z_t)``.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), in ``x``'s dtype.
    kind : {"plain", "residual"}
        Which state update.
    alpha : float
        Scale α of the residual branch (ignored for ``"plain"``, must still be finite).

    Returns
    -------
    J : ndarray of shape (T, B, H, H)
        ``J[t-1, b]`` = ``∂h_t/∂h_{t-1}`` for example ``b`` (book layout: row ``i`` is
        ``∂h_{t,i}``), in ``x``'s dtype.

    Raises
    ------
    ValueError
        As [residual_forward][solutions.residual.residual_forward], or an unknown ``kind``.
    """
    if kind not in ("plain", "residual"):
        raise ValueError(f"kind must be 'plain' or 'residual'; got {kind!r}")
    _, p = check_inputs(x, h0, params)
    a = check_alpha(alpha)
    # --8<-- [start:jacobian] step_jacobians
    if kind == "plain":
        h, _ = sequence.rnn_forward_unchecked(x, h0, p)   # the tanh RNN's states
        D = 1.0 - h * h                        # f'(z_t) = 1 − h_t²
    else:
        h, c = residual_forward_unchecked(x, h0, p, a)    # the residual states and branch g
        D = a * (1.0 - c.g * c.g)              # α f'(z_t) = α (1 − g_t²)
    J = D[..., None] * p["W_hh"]               # (residual-jacobian): diag(f'(z_t)) U, every t and example
    if kind == "residual":
        J += np.eye(h.shape[2], dtype=h.dtype) # (residual-jacobian): I + α diag(f'(z_t)) U
    # --8<-- [end:jacobian]
    return J


def state_jacobian_norms(
    x: np.ndarray, h0: np.ndarray, params: Params, kind: str = "residual", alpha: float = 1.0
) -> np.ndarray:
    """Spectral norm ``‖∂h_t/∂h_0‖₂`` for every step ``t`` and every example.

    ``∂h_t/∂h_0 = J_t J_{t-1} … J_1`` (chain rule) with the one-step Jacobians of
    [step_jacobians][solutions.residual.step_jacobians]. Examples in a batch do not
    interact, so each has its own product. The product is rescaled after every step and
    its scale kept as a logarithm, so it never overflows while the norm fits in a float.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), in ``x``'s dtype.
    kind : {"plain", "residual"}
        Which state update.
    alpha : float
        Scale α of the residual branch (ignored for ``"plain"``, must still be finite).

    Returns
    -------
    norms : ndarray of shape (T, B)
        ``norms[t-1, b]`` = largest singular value of ``∂h_t/∂h_0`` for example ``b``, in
        ``x``'s dtype (``inf`` only if the norm itself exceeds the dtype's range).

    Raises
    ------
    ValueError
        As [residual_forward][solutions.residual.residual_forward], or an unknown ``kind``.
    """
    J = step_jacobians(x, h0, params, kind, alpha)
    T, B, H, _ = J.shape
    # --8<-- [start:product] state_jacobian_norms
    P = np.broadcast_to(np.eye(H, dtype=J.dtype), (B, H, H)).copy()  # ∂h_0/∂h_0 = I
    log_scale = np.zeros(B)                    # true product = P · exp(log_scale)
    log_norms = np.empty((T, B))
    for t in range(T):
        P = J[t] @ P                           # ∂h_t/∂h_0 = J_t ∂h_{t-1}/∂h_0
        n = np.linalg.norm(P, ord=2, axis=(1, 2))     # spectral norm, per example
        s = np.where(n > 0, n, 1.0)
        log_norms[t] = log_scale + np.log(n, where=n > 0, out=np.full(B, -np.inf))
        P /= s[:, None, None]                  # rescale: the product never overflows
        log_scale += np.log(s)
    # --8<-- [end:product]
    with np.errstate(over="ignore"):
        return np.exp(log_norms).astype(J.dtype)
