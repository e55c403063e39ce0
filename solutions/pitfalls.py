"""Five deliberately WRONG versions of the RNN gradient, and the gradient check that catches each.

Each variant has the signature of the correct function it mimics (listed as ``mimics`` in
[PITFALLS][solutions.pitfalls.PITFALLS]) and differs from it in one line, the bug; everything
else is the correct code of [solutions.cell][] and [solutions.sequence][]. They reproduce, in our
own minimal form, the bugs found in students' posts on exercise 6-2P (习题6-2P):

1. [forward_without_tanh][solutions.pitfalls.forward_without_tanh] — the forward pass drops the
   tanh, the backward still multiplies by its derivative ``1 − h²``;
2. [truncated_uses_h_t][solutions.pitfalls.truncated_uses_h_t] — the inner loop of truncated
   BPTT takes ``tanh'`` at ``h_t`` (outer loop) where ``h_{k−1}`` (inner loop) belongs;
3. [sums_into_wrong_variable][solutions.pitfalls.sums_into_wrong_variable] — another step's loss
   gradient is summed into the error carried for the loss ``L_t``;
4. [transposed_outer_product][solutions.pitfalls.transposed_outer_product] — ``h δᵀ`` where
   ``δ hᵀ`` belongs: for the square ``U`` every shape still fits;
5. [reads_global][solutions.pitfalls.reads_global] — a cell backward reads a module-level ``ba``
   instead of the bias in its cache, right only while the two happen to be equal.

Variants 2–4 live in the loop of the double-sum form of BPTT, (6.39)–(6.41) in the book, which
[double_sum_backward][solutions.pitfalls.double_sum_backward] writes out literally; with its
correct step it equals [rnn_backward][solutions.sequence.rnn_backward] (the tests check it).
[gradient_check][solutions.pitfalls.gradient_check] compares any forward/backward pair with
central finite differences of ``L = ½ Σ_t ‖h_t − y_t‖²``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from solutions.cell import rnn_cell_backward, rnn_cell_forward
from solutions.gradcheck import numeric_grads, rel_error
from solutions.sequence import RnnCache, rnn_backward, rnn_forward
from solutions.validate import Params, Shapes, check_cache, check_truncate
Forward = Callable[[np.ndarray, np.ndarray, Params], tuple[np.ndarray, tuple]]
Backward = Callable[[np.ndarray, tuple], dict[str, np.ndarray]]
NextDelta = Callable[..., np.ndarray]

PARAM_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")
"""The parameters whose gradients the check compares."""

ba: np.ndarray | None = None
"""The module-level bias, shape (H,), that [reads_global][solutions.pitfalls.reads_global] reads by
mistake, like a ``ba`` left behind by an earlier cell of a notebook; ``None`` until set."""


def forward_without_tanh(x: np.ndarray, h0: np.ndarray, params: Params) -> tuple[np.ndarray, tuple]:
    """WRONG [rnn_forward][solutions.sequence.rnn_forward]: the state is ``z_t``, not ``tanh(z_t)``.

    Bug: the forward pass forgets the tanh of ``h_t = f(z_t)`` while the backward (the correct
    [rnn_backward][solutions.sequence.rnn_backward], fed this cache) still multiplies by its
    derivative ``1 − h_t²``. Symptom: no error, shapes fine, the loss even falls for a while;
    ``h`` leaves (−1, 1) and every gradient is off. Fix: ``h_t = tanh(z_t)``, as in
    ``sequence.py``'s forward loop (``np.tanh(h[t], out=h[t])``).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,).

    Returns
    -------
    h : ndarray of shape (T, B, H)
        The linear states ``z_1 … z_T`` (wrongly used as ``h_t``).
    cache : tuple
        ``(x, h0, h, params)``, the layout [rnn_backward][solutions.sequence.rnn_backward] reads.
    """
    s = Shapes()
    s.array("x", x, ("T", "B", "I"))
    s.array("h0", h0, ("B", "H"))
    p = s.params("params", params)
    h = np.empty((x.shape[0], *h0.shape), dtype=x.dtype)
    h_prev = h0
    for t in range(x.shape[0]):
        # --8<-- [start:forward_without_tanh]
        # BUG: h_t = z_t, the tanh is missing
        h[t] = x[t] @ p["W_ih"].T + h_prev @ p["W_hh"].T + (p["b_ih"] + p["b_hh"])
        # --8<-- [end:forward_without_tanh]
        h_prev = h[t]
    return h, RnnCache(x, h0, h.copy(), p)


# --8<-- [start:next_delta]
def next_delta(delta: np.ndarray, t: int, k: int, dh: np.ndarray,
               h: np.ndarray, hp: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """The right step: ``δ_{t,k−1} = f'(z_{k−1}) ⊙ Uᵀ δ_{t,k}``."""
    return (1.0 - hp[k] ** 2) * (delta @ W_hh)     # hp[k] = h_{k-1}
# --8<-- [end:next_delta]


def outer_hh(delta: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """The right outer product of (6.39): ``δ_{t,k} h_{k−1}ᵀ`` summed over the batch, shape (H, H)."""
    return delta.T @ h_prev


def double_sum_backward(
    dh: np.ndarray,
    cache: tuple,
    truncate: int | None = None,
    *,
    step: NextDelta = next_delta,
    outer: Callable[[np.ndarray, np.ndarray], np.ndarray] = outer_hh,
) -> dict[str, np.ndarray]:
    """BPTT as the literal double sum of (6.39)–(6.41): one backward walk per loss term ``L_t``.

    For every ``t``, ``δ_{t,t} = f'(z_t) ⊙ ∂L_t/∂h_t`` and ``δ_{t,k−1} = f'(z_{k−1}) ⊙ Uᵀ δ_{t,k}``
    back to the first step of ``t``'s truncation window; ``∂L/∂U += δ_{t,k} h_{k−1}ᵀ`` (6.39),
    ``∂L/∂W += δ_{t,k} x_kᵀ`` (6.40), ``∂L/∂b += δ_{t,k}`` (6.41). O(T²) steps instead of the
    O(T) of [rnn_backward][solutions.sequence.rnn_backward], to which it is equal with the
    default ``step`` and ``outer``; the students' loops have this shape, so the bugs of
    [truncated_uses_h_t][solutions.pitfalls.truncated_uses_h_t],
    [sums_into_wrong_variable][solutions.pitfalls.sums_into_wrong_variable] and
    [transposed_outer_product][solutions.pitfalls.transposed_outer_product] are swapped-in
    ``step`` or ``outer`` functions.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step.
    cache : tuple
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Windows of ``truncate`` steps, as in [rnn_backward][solutions.sequence.rnn_backward].
    step : callable
        ``step(delta, t, k, dh, h, hp, W_hh) -> δ_{t,k−1}``, each of shape (B, H), where
        ``hp`` (T, B, H) holds ``h_{k−1}`` at index ``k``; default
        [next_delta][solutions.pitfalls.next_delta].
    outer : callable
        ``outer(delta, h_prev) -> (H, H)`` term of ``∂L/∂U``; default
        [outer_hh][solutions.pitfalls.outer_hh].

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,).
    """
    c = check_cache(cache, RnnCache)
    x, h0, h, p = c.x, c.h0, c.h, c.params
    T, B, H = h.shape
    Shapes(h.dtype, T=T, B=B, H=H).array("dh", dh, ("T", "B", "H"))
    w = check_truncate(truncate) or T
    hp = np.concatenate([h0[None], h[:-1]])          # hp[k] = h_{k-1}
    g = {"x": np.zeros_like(x), "h0": np.zeros_like(h0), "W_ih": np.zeros_like(p["W_ih"]),
         "W_hh": np.zeros_like(p["W_hh"]), "b_ih": np.zeros_like(p["b_ih"])}
    # --8<-- [start:double_sum]
    for t in range(T):                          # one loss term L_t
        start = t // w * w                      # first step of t's window
        delta = (1.0 - h[t] ** 2) * dh[t]       # δ_{t,t} = f'(z_t) ⊙ ∂L_t/∂h_t
        for k in range(t, start - 1, -1):       # k = t, t-1, ..., start
            g["W_ih"] += delta.T @ x[k]         # (6.40) δ_{t,k} x_kᵀ
            g["W_hh"] += outer(delta, hp[k])    # (6.39) δ_{t,k} h_{k-1}ᵀ
            g["b_ih"] += delta.sum(axis=0)      # (6.41) δ_{t,k}
            g["x"][k] += delta @ p["W_ih"]      # Wᵀ δ_{t,k}
            if k == 0:
                g["h0"] += delta @ p["W_hh"]    # Uᵀ δ_{t,1}
            elif k > start:                     # δ_{t,k-1}:
                delta = step(delta, t, k, dh, h, hp, p["W_hh"])
    # --8<-- [end:double_sum]
    g["b_hh"] = g["b_ih"].copy()
    return g


def truncated_uses_h_t(dh: np.ndarray, cache: tuple, truncate: int | None = None) -> dict[str, np.ndarray]:
    """WRONG [rnn_backward][solutions.sequence.rnn_backward]: ``tanh'`` at ``h_t`` inside the inner loop.

    Bug: walking back from the loss ``L_t``, the step ``δ_{t,k−1} = f'(z_{k−1}) ⊙ Uᵀ δ_{t,k}``
    uses ``1 − h_t²`` (the outer loop's state) instead of ``1 − h_{k−1}²`` (the inner loop's).
    Symptom: exact with ``truncate=1`` or ``T = 1`` (the inner loop never steps), wrong
    otherwise; every parameter's gradient is off by a few per cent and the loss still falls.
    Fix: index the derivative by the inner loop variable, as
    [next_delta][solutions.pitfalls.next_delta] does.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step.
    cache : tuple
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` is full BPTT (the bug is there too).

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_backward][solutions.sequence.rnn_backward]'s result.
    """
    # --8<-- [start:truncated_uses_h_t]
    def wrong_step(delta, t, k, dh, h, hp, W_hh):
        # BUG: h[t] is the outer loop's h_t; right: hp[k] = h_{k-1}
        return (1.0 - h[t] ** 2) * (delta @ W_hh)
    # --8<-- [end:truncated_uses_h_t]
    return double_sum_backward(dh, cache, truncate, step=wrong_step)


def sums_into_wrong_variable(dh: np.ndarray, cache: tuple, truncate: int | None = None) -> dict[str, np.ndarray]:
    """WRONG [rnn_backward][solutions.sequence.rnn_backward]: step ``k−1``'s loss gradient joins ``L_t``'s error.

    Bug: the double sum carries the error of ONE loss term ``L_t`` back in time, but the step
    also adds ``∂L_{k−1}/∂h_{k−1}`` — right in the one-pass form, where the carry holds
    ``Σ_{t' ≥ k} δ_{t',k}``, wrong here — so ``L_{k−1}`` is counted once more for every later
    ``t`` of its window. Symptom: gradients too large by a growing factor along the sequence;
    with ``truncate=1`` it is exact; the loss still falls at a small learning rate. Fix: keep
    one form: ``Uᵀ δ_{t,k}`` only here, or add ``dh`` once per step in the one-pass loop of
    ``sequence.py`` (``dz[t] *= dh[t] + dh_next``).

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step.
    cache : tuple
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` is full BPTT.

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_backward][solutions.sequence.rnn_backward]'s result.
    """
    # --8<-- [start:sums_into_wrong_variable]
    def wrong_step(delta, t, k, dh, h, hp, W_hh):
        # BUG: dh[k-1] = ∂L_{k-1}/∂h_{k-1} belongs to L_{k-1}, not to L_t
        return (1.0 - hp[k] ** 2) * (delta @ W_hh + dh[k - 1])
    # --8<-- [end:sums_into_wrong_variable]
    return double_sum_backward(dh, cache, truncate, step=wrong_step)


def transposed_outer_product(dh: np.ndarray, cache: tuple, truncate: int | None = None) -> dict[str, np.ndarray]:
    """WRONG [rnn_backward][solutions.sequence.rnn_backward]: ``h_{k−1} δᵀ`` where ``δ h_{k−1}ᵀ`` belongs.

    Bug: the outer product of (6.39) is taken in the wrong order, which returns ``(∂L/∂U)ᵀ``.
    Symptom: silent — ``U`` is square, so every shape fits; only ``W_hh`` is off, everything
    else is exact, and for a symmetric ``∂L/∂U`` (e.g. ``H = 1``) even that agrees. The same
    slip on ``W`` (H, I) raises a shape error unless ``I = H``. Fix: rows index the output
    unit: ``δ hᵀ``, ``dz.T @ h_prev`` in ``cell.py``.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step.
    cache : tuple
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` is full BPTT.

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_backward][solutions.sequence.rnn_backward]'s result.
    """
    # --8<-- [start:transposed_outer_product]
    def wrong_outer(delta, h_prev):
        # BUG: h_{k-1} δᵀ = (δ h_{k-1}ᵀ)ᵀ; right: delta.T @ h_prev
        return h_prev.T @ delta
    # --8<-- [end:transposed_outer_product]
    return double_sum_backward(dh, cache, truncate, outer=wrong_outer)


def reads_global(dh: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
    """WRONG [rnn_cell_backward][solutions.cell.rnn_cell_backward]: the bias line reads the global ``ba``.

    Bug: to get ``tanh'(z)`` for the bias gradient the function recomputes ``z`` with the
    module-level [ba][solutions.pitfalls.ba] instead of the bias in ``cache`` (or simply the
    cached ``h``). Symptom: right while the global equals the cache's ``b_ih + b_hh`` — the
    notebook's own test cell, which set both — and a different ``db`` (the notebook's ``dba``)
    for any other bias; every other gradient is right. Fix: read everything from the
    arguments: ``dz = dh * (1 − h²)`` from the cache, as ``cell.py`` does.

    Parameters
    ----------
    dh : ndarray of shape (B, H)
        ``∂L/∂h_t`` at this step's output.
    cache : tuple
        From [rnn_cell_forward][solutions.cell.rnn_cell_forward].

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_cell_backward][solutions.cell.rnn_cell_backward]'s result.
    """
    grads = rnn_cell_backward(dh, cache)                 # every other gradient: the correct kernel
    x, h_prev, p = cache.x, cache.h_prev, cache.params
    # --8<-- [start:reads_global]
    # BUG: `ba` is the module's global, not the bias in the cache
    z = x @ p["W_ih"].T + h_prev @ p["W_hh"].T + ba
    grads["b_ih"] = ((1.0 - np.tanh(z) ** 2) * dh).sum(axis=0)
    # --8<-- [end:reads_global]
    grads["b_hh"] = grads["b_ih"].copy()
    return grads


class Pitfall(NamedTuple):
    """One registry entry: the wrong function, what is wrong, and the correct function it mimics."""

    function: Callable
    description: str
    mimics: Callable


PITFALLS: dict[str, Pitfall] = {
    "forward_without_tanh": Pitfall(
        forward_without_tanh, "forward forgets tanh, backward keeps its derivative 1 - h^2", rnn_forward),
    "truncated_uses_h_t": Pitfall(
        truncated_uses_h_t, "inner BPTT loop takes tanh' at h_t instead of h_{k-1}", rnn_backward),
    "sums_into_wrong_variable": Pitfall(
        sums_into_wrong_variable, "step k-1's loss gradient summed into L_t's carried error", rnn_backward),
    "transposed_outer_product": Pitfall(
        transposed_outer_product, "dW_hh = h_{k-1} delta^T instead of delta h_{k-1}^T", rnn_backward),
    "reads_global": Pitfall(
        reads_global, "cell backward reads a global ba instead of the cache's bias", rnn_cell_backward),
}
"""name -> (wrong function, one-line description, the correct function with the same signature)."""


def implementation(name: str | None, *, truncate: int | None = None, cell: bool = False) -> tuple[Forward, Backward]:
    """The ``(forward, backward)`` pair that runs variant ``name``, or the correct pair.

    Parameters
    ----------
    name : str or None
        A key of [PITFALLS][solutions.pitfalls.PITFALLS]; ``None`` for the correct code.
    truncate : int, optional
        Passed to the sequence backward (ignored by the cell).
    cell : bool
        With ``name=None``: the correct single-step pair (``rnn_cell_forward``,
        ``rnn_cell_backward``) instead of the sequence pair.

    Returns
    -------
    forward : callable
        ``forward(x, h0, params) -> (h, cache)``.
    backward : callable
        ``backward(dh, cache) -> grads``.
    """
    if name is None:
        if cell:
            return rnn_cell_forward, rnn_cell_backward
        return rnn_forward, partial(rnn_backward, truncate=truncate)
    if name not in PITFALLS:
        raise ValueError(f"name must be None or one of {list(PITFALLS)}; got {name!r}")
    fn, _, mimics = PITFALLS[name]
    if mimics is rnn_forward:
        return fn, partial(rnn_backward, truncate=truncate)
    if mimics is rnn_backward:
        return rnn_forward, partial(fn, truncate=truncate)
    return rnn_cell_forward, fn


def loss_and_grads(forward: Forward, backward: Backward, x: np.ndarray, h0: np.ndarray, params: Params,
                   y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """``L = ½ Σ ‖h − y‖²`` and the gradients that ``backward`` claims for it.

    Parameters
    ----------
    forward, backward : callable
        A pair from [implementation][solutions.pitfalls.implementation].
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
        A pair from [implementation][solutions.pitfalls.implementation] (same ``truncate``).
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
