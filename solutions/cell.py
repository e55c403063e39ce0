"""One step of a simple (Elman) RNN with tanh, forward and backward, in NumPy.

Book notation (NNDL eq. (6.5)): ``z_t = U h_{t-1} + W x_t + b``, ``h_t = tanh(z_t)``.
Code notation (PyTorch's names, row layout, one row per example)::

    h = tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)

so ``W_ih`` is the book's ``W`` (H, I), ``W_hh`` is the book's ``U`` (H, H) and
``b_ih + b_hh`` is the book's ``b``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions.validate import RNN_PARAM_SHAPES, Params, check_cache, check_inputs


class CellCache(NamedTuple):
    """What [rnn_cell_forward][solutions.cell.rnn_cell_forward] keeps for
    [rnn_cell_backward][solutions.cell.rnn_cell_backward].

    ``h`` is the cache's own copy of the returned state, so editing that state in place
    (``h *= 0.5``) does not change the gradients.
    """

    PRODUCER = "solutions.cell.rnn_cell_forward"
    SHAPES = {"x": ("B", "I"), "h_prev": ("B", "H"), "h": ("B", "H"), "params": RNN_PARAM_SHAPES}

    x: np.ndarray
    """(B, I), the input ``x_t``."""
    h_prev: np.ndarray
    """(B, H), the previous state ``h_{t-1}``."""
    h: np.ndarray
    """(B, H), the new state ``h_t = tanh(z_t)``; ``1 − h_t²`` is ``tanh'(z_t)``."""
    params: Params
    """``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``."""


def rnn_cell_forward(x: np.ndarray, h_prev: np.ndarray, params: Params) -> tuple[np.ndarray, CellCache]:
    """One RNN step: eq. (6.5) in the book followed by ``h = tanh(z)``.

    Parameters
    ----------
    x : ndarray of shape (B, I)
        Input at this step, one row per example.
    h_prev : ndarray of shape (B, H)
        Previous hidden state ``h_{t-1}``.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), all of ``x``'s dtype
        (float32 or float64). Other keys are ignored.

    Returns
    -------
    h : ndarray of shape (B, H)
        New hidden state ``h_t``, same dtype as ``x``.
    cache : CellCache
        For [rnn_cell_backward][solutions.cell.rnn_cell_backward].

    Raises
    ------
    ValueError
        Wrong shape or rank, a missing key, mixed dtypes, or NaN/inf in any input.
    """
    _, p = check_inputs(x, h_prev, params, x_spec=("B", "I"), h0_name="h_prev")
    h = rnn_cell_forward_unchecked(x, h_prev, p)
    return h, CellCache(x, h_prev, h.copy(), p)


def rnn_cell_forward_unchecked(x: np.ndarray, h_prev: np.ndarray, p: Params) -> np.ndarray:
    """[rnn_cell_forward][solutions.cell.rnn_cell_forward] without the input checks: the new state ``h``."""
    # --8<-- [start:forward]
    z = x @ p["W_ih"].T + h_prev @ p["W_hh"].T + (p["b_ih"] + p["b_hh"])  # z_t = W x_t + U h_{t-1} + b  (6.5)
    h = np.tanh(z)                                                         # h_t = f(z_t)
    # --8<-- [end:forward]
    return h


def rnn_cell_backward(dh: np.ndarray, cache: CellCache) -> dict[str, np.ndarray]:
    """Gradients of one RNN step, given ``dL/dh`` at its output.

    Parameters
    ----------
    dh : ndarray of shape (B, H)
        ``∂L/∂h_t``, the upstream gradient at this step's output.
    cache : CellCache
        From [rnn_cell_forward][solutions.cell.rnn_cell_forward].

    Returns
    -------
    grads : dict
        ``x`` (B, I), ``h_prev`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,),
        ``b_hh`` (H,): the gradient of ``L`` with respect to each, in the input's dtype.
        ``b_ih`` and ``b_hh`` get the same gradient, because only their sum ``b`` enters.

    Raises
    ------
    ValueError
        ``dh`` not shaped like ``h``, of another dtype, or not finite; ``cache`` not a
        ``CellCache`` (or one whose arrays were replaced by arrays of other shapes).
    """
    check_cache(cache, CellCache).array("dh", dh, ("B", "H"))
    return rnn_cell_backward_unchecked(dh, cache.x, cache.h_prev, cache.h, cache.params)


def rnn_cell_backward_unchecked(dh: np.ndarray, x: np.ndarray, h_prev: np.ndarray, h: np.ndarray,
                                p: Params) -> dict[str, np.ndarray]:
    """[rnn_cell_backward][solutions.cell.rnn_cell_backward] without the checks, from the step's
    arrays (those of a [CellCache][solutions.cell.CellCache], or of a cache in another layout)."""
    # --8<-- [start:backward] rnn_cell_backward
    dz = dh * (1.0 - h * h)          # δ = f'(z) ⊙ ∂L/∂h,  tanh' = 1 - h²
    grads = {
        "x": dz @ p["W_ih"],         # ∂L/∂x      = Wᵀ δ      (rows: δ W)
        "h_prev": dz @ p["W_hh"],    # ∂L/∂h_prev = Uᵀ δ
        "W_ih": dz.T @ x,            # ∂L/∂W      = δ xᵀ, summed over the batch
        "W_hh": dz.T @ h_prev,       # ∂L/∂U      = δ h_prevᵀ
        "b_ih": dz.sum(axis=0),      # ∂L/∂b      = δ
    }
    grads["b_hh"] = grads["b_ih"].copy()
    # --8<-- [end:backward]
    return grads

