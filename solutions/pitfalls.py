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
5. [reads_global][solutions.pitfalls.reads_global] — a cell backward reads a ``ba`` left behind
   by an earlier notebook cell instead of the bias in its cache, right only while the two
   happen to be equal.

Variants 2–4 live in the loops of the double-sum form of BPTT, (6.39)–(6.41) in the book,
which [solutions.literal][] writes out literally; they are that one engine,
[double_sum_grads][solutions.literal.double_sum_grads], with a wrong ``step`` or ``outer``
swapped in. [implementation][solutions.pitfalls.implementation] pairs each variant with the
correct functions around it, for the gradient check
[gradient_check][solutions.gradcheck.gradient_check].
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from solutions.cell import CellCache, rnn_cell_backward, rnn_cell_forward
from solutions.gradcheck import Backward, Forward
from solutions.literal import double_sum_grads
from solutions.sequence import RnnCache, rnn_backward, rnn_forward
from solutions.validate import Params, check_inputs


def forward_without_tanh(x: np.ndarray, h0: np.ndarray, params: Params) -> tuple[np.ndarray, tuple]:
    """WRONG [rnn_forward][solutions.sequence.rnn_forward]: the state is ``z_t``, not ``tanh(z_t)``.

    Bug: the forward pass forgets the tanh of ``h_t = f(z_t)`` while the backward (the correct
    [rnn_backward][solutions.sequence.rnn_backward], fed this cache) still multiplies by its
    derivative ``1 − h_t²``. Symptom: no error, shapes fine, the loss even falls for a while;
    ``h`` leaves (−1, 1) and every gradient is off. Fix: ``h_t = tanh(z_t)``, as in
    ``sequence.py``'s forward loop (``np.tanh(h_t, out=h_t)``).

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
    cache : RnnCache
        What [rnn_backward][solutions.sequence.rnn_backward] reads.
    """
    _, p = check_inputs(x, h0, params)
    h = np.empty((x.shape[0], *h0.shape), dtype=x.dtype)
    h_prev = h0
    for t in range(x.shape[0]):
        # --8<-- [start:forward_without_tanh] forward_without_tanh
        # BUG: h_t = z_t, the tanh is missing
        h[t] = x[t] @ p["W_ih"].T + h_prev @ p["W_hh"].T + (p["b_ih"] + p["b_hh"])
        # --8<-- [end:forward_without_tanh]
        h_prev = h[t]
    return h, RnnCache(x, h0, h.copy(), p)


def truncated_uses_h_t(dh: np.ndarray, cache: tuple, truncate: int | None = None,
                       dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """WRONG [rnn_backward][solutions.sequence.rnn_backward]: ``tanh'`` at ``h_t`` inside the inner loop.

    Bug: walking back from the loss ``L_t``, the step ``δ_{t,k−1} = f'(z_{k−1}) ⊙ Uᵀ δ_{t,k}``
    uses ``1 − h_t²`` (the outer loop's state) instead of ``1 − h_{k−1}²`` (the inner loop's).
    Symptom: exact with ``truncate=1`` or ``T = 1`` (the inner loop never steps), wrong
    otherwise; every parameter's gradient is off by a few per cent and the loss still falls.
    Fix: index the derivative by the inner loop variable, as
    [next_delta][solutions.literal.next_delta] does.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step.
    cache : RnnCache
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` is full BPTT (the bug is there too).
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n``, as for ``rnn_backward``.

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_backward][solutions.sequence.rnn_backward]'s result.
    """
    # --8<-- [start:truncated_uses_h_t] truncated_uses_h_t
    def wrong_step(delta, t, k, dh, h, hp, W_hh):
        # BUG: h[t] is the outer loop's h_t; right: hp[k] = h_{k-1}
        return (1.0 - h[t] ** 2) * (delta @ W_hh)
    # --8<-- [end:truncated_uses_h_t]
    return double_sum_grads(dh, cache, truncate, dh_n, step=wrong_step)


def sums_into_wrong_variable(dh: np.ndarray, cache: tuple, truncate: int | None = None,
                             dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """WRONG [rnn_backward][solutions.sequence.rnn_backward]: step ``k−1``'s loss gradient joins ``L_t``'s error.

    Bug: the double sum carries the error of ONE loss term ``L_t`` back in time, but the step
    also adds ``∂L_{k−1}/∂h_{k−1}`` — right in the one-pass form, where the carry holds
    ``Σ_{t' ≥ k} δ_{t',k}``, wrong here — so ``L_{k−1}`` is counted once more for every later
    ``t`` of its window. Symptom: gradients too large by a growing factor along the sequence;
    with ``truncate=1`` it is exact; the loss still falls at a small learning rate. Fix: keep
    one form: ``Uᵀ δ_{t,k}`` only here, or add ``dh`` once per step in the one-pass loop of
    ``sequence.py`` (``dh_next += dh[t]``).

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L_t/∂h_t`` for every step.
    cache : RnnCache
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` is full BPTT.
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n``, as for ``rnn_backward``.

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_backward][solutions.sequence.rnn_backward]'s result.
    """
    # --8<-- [start:sums_into_wrong_variable] sums_into_wrong_variable
    def wrong_step(delta, t, k, dh, h, hp, W_hh):
        # BUG: dh[k-1] = ∂L_{k-1}/∂h_{k-1} belongs to L_{k-1}, not to L_t
        return (1.0 - hp[k] ** 2) * (delta @ W_hh + dh[k - 1])
    # --8<-- [end:sums_into_wrong_variable]
    return double_sum_grads(dh, cache, truncate, dh_n, step=wrong_step)


def transposed_outer_product(dh: np.ndarray, cache: tuple, truncate: int | None = None,
                             dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
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
    cache : RnnCache
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Window length of truncated BPTT; ``None`` is full BPTT.
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n``, as for ``rnn_backward``.

    Returns
    -------
    grads : dict
        Keys and shapes of [rnn_backward][solutions.sequence.rnn_backward]'s result.
    """
    # --8<-- [start:transposed_outer_product] transposed_outer_product
    def wrong_outer(delta, h_prev):
        # BUG: h_{k-1} δᵀ = (δ h_{k-1}ᵀ)ᵀ; right: delta.T @ h_prev
        return h_prev.T @ delta
    # --8<-- [end:transposed_outer_product]
    return double_sum_grads(dh, cache, truncate, dh_n, outer=wrong_outer)


def reads_global(ba: np.ndarray) -> Backward:
    """WRONG [rnn_cell_backward][solutions.cell.rnn_cell_backward], as a notebook defines it after an
    earlier cell left a bias ``ba`` behind: the bias line reads that ``ba``.

    Returns the wrong backward function, ``reads_global(dh, cache) -> grads`` with the signature
    of ``rnn_cell_backward``; ``ba`` (H,) is the leftover value it reads (a closure variable
    here, so the package keeps no mutable global).

    Bug: to get ``tanh'(z)`` for the bias gradient the function recomputes ``z`` with ``ba``,
    a name it never receives, instead of the bias in ``cache`` (or simply the cached ``h``).
    Python looks a missing local up in the enclosing and global scopes, so there is no
    ``NameError``. Symptom: right while the leftover equals the cache's ``b_ih + b_hh`` — the
    notebook's own test cell, which set both — and a different ``db`` (the notebook's ``dba``)
    for any other bias; every other gradient is right. Fix: read everything from the
    arguments: ``dz = dh * (1 − h²)`` from the cache, as ``cell.py`` does.

    Parameters
    ----------
    ba : ndarray of shape (H,)
        The leftover bias.

    Returns
    -------
    reads_global : callable
        ``(dh (B, H), cache from rnn_cell_forward) -> grads`` with the keys and shapes of
        [rnn_cell_backward][solutions.cell.rnn_cell_backward]'s result.
    """
    def reads_global(dh: np.ndarray, cache: CellCache) -> dict[str, np.ndarray]:
        grads = rnn_cell_backward(dh, cache)             # every other gradient: the correct kernel
        x, h_prev, p = cache.x, cache.h_prev, cache.params
        # --8<-- [start:reads_global] reads_global
        # BUG: `ba` is not an argument: the value an earlier notebook cell left behind
        z = x @ p["W_ih"].T + h_prev @ p["W_hh"].T + ba
        grads["b_ih"] = ((1.0 - np.tanh(z) ** 2) * dh).sum(axis=0)
        # --8<-- [end:reads_global]
        grads["b_hh"] = grads["b_ih"].copy()
        return grads

    return reads_global


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
"""name -> (wrong function, one-line description, the correct function with the same signature;
for ``reads_global``, the function that makes the wrong one from a leftover ``ba``)."""


def implementation(name: str | None, *, truncate: int | None = None, cell: bool = False,
                   ba: np.ndarray | None = None) -> tuple[Forward, Backward]:
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
    ba : ndarray of shape (H,), optional
        The leftover bias that ``"reads_global"`` reads (required for it, ignored otherwise).

    Returns
    -------
    forward : callable
        ``forward(x, h0, params) -> (h, cache)``.
    backward : callable
        ``backward(dh, cache) -> grads``.

    Raises
    ------
    ValueError
        An unknown ``name``, or ``"reads_global"`` without ``ba``.
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
    if ba is None:
        raise ValueError("ba must be the leftover bias, shape (H,), that reads_global reads; got None")
    return rnn_cell_forward, fn(ba)
