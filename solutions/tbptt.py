"""Truncated BPTT as it is practised: one backward pass and one update per window, in order.

Book notation (NNDL §6.2, §6.4.1): ``z_t = U h_{t-1} + W x_t + b`` (6.5), ``h_t = tanh(z_t)``,
``o_t = V h_t + c``, ``L = Σ_t L_t`` with ``L_t`` the softmax cross-entropy averaged over the
batch (what [bptt][solutions.sequence.bptt] computes). Code notation: PyTorch's names,
``W_ih`` = W, ``W_hh`` = U, time first.

[TBPTT][solutions.tbptt.TBPTT] ``(k1, k2)`` is the algorithm of Williams & Peng (1990): the
network runs forward through a long sequence; every ``k1`` steps it backpropagates through
the last ``k2 ≥ k1`` steps (the losses of the newest ``k1`` steps only) and updates the
parameters; the state entering those ``k2`` steps is a constant (``h.detach()`` in PyTorch).
``k1 = k2 = ℓ`` is the common form: windows of ``ℓ`` steps in order, each with its own
forward, backward and update, the detached last state carried into the next window — so
later windows see updated parameters, and only one window is ever held in memory.
(On the site the window length is ℓ, because ``k`` already indexes ``δ_{t,k}``.)

For ``k2 > k1`` the older ``k2 − k1`` steps of each backward pass are recomputed from the
stored state ``h_{t−k2}`` with the current parameters (Williams & Peng reuse the states
computed before the last updates; the two agree when the parameters do not change).

[rnn_backward][solutions.sequence.rnn_backward] with ``truncate=ℓ`` is the reference
semantics of one window pattern: with the learning rate 0, the gradients of the windows
of ``TBPTT(ℓ, ℓ)`` add up to its gradient (``tests/test_tbptt.py``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from solutions.sequence import (
    check_model_inputs,
    rnn_backward,
    rnn_forward,
    softmax_loss,
)
from solutions.validate import MODEL_KEYS, Params, check_int


class Update(NamedTuple):
    """What one update of [TBPTT.train][solutions.tbptt.TBPTT.train] did."""

    end: int
    """Steps of the sequence consumed so far (the update happens after step ``end``)."""
    loss: float
    """The loss of the newest ``k1`` steps, ``Σ_t mean_b L_t``, before the update."""
    grads: dict[str, np.ndarray]
    """The gradient applied (every key of ``MODEL_KEYS``), before the learning rate."""
    cache_bytes: int
    """Bytes of the arrays kept for this backward pass: its cache and output probabilities."""


def window_grads(x: np.ndarray, y: np.ndarray, h_start: np.ndarray, params: Params,
                 n_loss: int) -> tuple[float, dict[str, np.ndarray], np.ndarray, int]:
    """Forward through a window from a constant state, loss of its last ``n_loss`` steps, BPTT.

    Parameters
    ----------
    x : ndarray of shape (S, B, I)
        The window's inputs.
    y : integer ndarray of shape (S, B)
        Its targets.
    h_start : ndarray of shape (B, H)
        The state entering the window, treated as a constant (detached).
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih``, ``b_hh`` (H,), ``V`` (O, H), ``c`` (O,).
    n_loss : int
        ``1 ≤ n_loss ≤ S``: only the last ``n_loss`` steps contribute a loss.

    Returns
    -------
    loss : float
        ``Σ_t mean_b L_t`` over the last ``n_loss`` steps.
    grads : dict
        Gradients of that loss for every key of ``MODEL_KEYS``.
    h : ndarray of shape (S, B, H)
        The window's states (a new array; ``h[-1]`` is carried into the next window).
    nbytes : int
        Bytes of the arrays held for the backward pass: every array of the forward cache
        except the parameters, plus the output layer's softmax (as ``∂L/∂o``, (S, B, O)).
    """
    S, Bn = y.shape
    h, cache = rnn_forward(x, h_start, params)
    # --8<-- [start:window]
    steps = np.zeros(S)
    steps[S - n_loss:] = 1.0                           # losses of the newest n_loss steps only
    loss, do, grads_out = softmax_loss(h, y, params["V"], params["c"], steps)
    grads = rnn_backward(do @ params["V"], cache)      # BPTT inside the window; h_start is a constant
    grads.update(grads_out)
    # --8<-- [end:window]
    nbytes = sum(a.nbytes for a in cache if isinstance(a, np.ndarray)) + do.nbytes
    return float(loss), {k: grads[k] for k in MODEL_KEYS}, h.copy(), nbytes


class TBPTT:
    """Truncated BPTT(k1, k2) of Williams & Peng (1990), trained with plain SGD.

    Every ``k1`` steps: backpropagate through the last ``k2`` steps (losses of the newest
    ``k1``), take one SGD step ``θ ← θ − lr·g``, carry the state on as a constant. With
    ``k2 = None`` (default) ``k2 = k1``: windows in order, the form used in practice.

    Parameters
    ----------
    k1 : int
        Steps between updates (``≥ 1``).
    k2 : int, optional
        Steps backpropagated per update (``≥ k1``); default ``k1``.
    lr : float
        Learning rate (``≥ 0``; 0 leaves the parameters unchanged: a gradient check).

    Examples
    --------
    Time per update, for a benchmark (``make bench``): build the trainer once, then time
    ``trainer.train(x, y, h0, params)`` and divide by ``len(result)`` — one update per
    ``k1`` steps (the last, shorter window included).
    """

    def __init__(self, k1: int, k2: int | None = None, lr: float = 0.1) -> None:
        self.k1 = check_int("k1", k1)
        self.k2 = self.k1 if k2 is None else check_int("k2", k2)
        if self.k2 < self.k1:
            raise ValueError(f"k2 must be >= k1 = {self.k1}; got {k2!r}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr < 0:
            raise ValueError(f"lr must be a finite number >= 0; got {lr!r}")
        self.lr = float(lr)

    def __repr__(self) -> str:
        return f"TBPTT(k1={self.k1}, k2={self.k2}, lr={self.lr:g})"

    def train(self, x: np.ndarray, y: np.ndarray, h0: np.ndarray, params: Params) -> tuple[Params, list[Update]]:
        """One pass over a long sequence, updating every ``k1`` steps.

        Parameters
        ----------
        x : ndarray of shape (T, B, I)
        y : integer ndarray of shape (T, B)
            Class ids in ``[0, O)``.
        h0 : ndarray of shape (B, H)
        params : dict
            ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih``, ``b_hh`` (H,), ``V`` (O, H), ``c`` (O,);
            not modified.

        Returns
        -------
        params : dict
            The parameters after the last update (new arrays).
        updates : list of Update
            One per update, in order: ``ceil(T / k1)`` of them.

        Raises
        ------
        ValueError
            Shapes as for [bptt][solutions.sequence.bptt].
        """
        p = {k: a.copy() for k, a in check_model_inputs(x, y, h0, params).items()}
        T = x.shape[0]
        kept = {0: h0.copy()}                   # states a later backward pass starts from
        updates = []
        # --8<-- [start:train] TBPTT
        for end in range(self.k1, T + self.k1, self.k1):
            end = min(end, T)                   # the last window may be shorter
            prev = updates[-1].end if updates else 0
            new = end - prev                    # the newest steps: k1 (fewer at the end)
            start = max(0, prev + self.k1 - self.k2)  # backpropagate through steps start+1 … end
            loss, g, h, nbytes = window_grads(x[start:end], y[start:end], kept[start], p, new)
            for k in MODEL_KEYS:
                p[k] -= self.lr * g[k]          # θ ← θ − η g: one update per window
            nxt = end + self.k1 - self.k2       # where the next backward pass starts
            kept = {t: v for t, v in kept.items() if t >= nxt}
            kept.update({t: h[t - start - 1] for t in range(max(nxt, start + 1), end + 1)})
            updates.append(Update(end, loss, g, nbytes))  # h_end goes on as a constant (detached)
        # --8<-- [end:train]
        return p, updates


def full_bptt_bytes(T: int, B: int, I: int, H: int, O: int, itemsize: int = 8) -> int:
    """Bytes full BPTT holds for its one backward pass over ``T`` steps (the same accounting as
    [window_grads][solutions.tbptt.window_grads]: the cache ``x``, ``h0``, ``h`` and the
    output probabilities)."""
    return itemsize * (T * B * I + B * H + T * B * H + T * B * O)
