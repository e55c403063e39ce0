"""A whole sequence through a tanh RNN, and backpropagation through time (BPTT), in NumPy.

Book notation (NNDL §6.4.1): ``z_t = U h_{t-1} + W x_t + b`` (6.5), ``h_t = tanh(z_t)``,
``L = Σ_t L_t``. Code notation: PyTorch's names and row layout, ``W_ih`` = W, ``W_hh`` = U,
``b_ih + b_hh`` = b; time is the first axis, as in ``torch.nn.RNN`` (``batch_first=False``).

The backward pass is the O(T) form of BPTT: instead of the double sums of (6.39)–(6.41),
it carries ``∂L/∂h_k`` backwards once, so that ``dz[k] = Σ_{t≥k} δ_{t,k}``; every weight
gradient is then one matrix product over all steps at once.

A sequence is a loop of cells: [rnn_forward_loop][solutions.sequence.rnn_forward_loop] and
[rnn_backward_loop][solutions.sequence.rnn_backward_loop] say so literally, calling
[rnn_cell_forward][solutions.cell.rnn_cell_forward] and
[rnn_cell_backward][solutions.cell.rnn_cell_backward] at every step, and are the readable
reference that a test ties to the fast pair. The fast pair computes the same numbers with
the input terms of all steps in one matrix product, states written in place, and no
allocation inside the time loop.

The pattern every model of the package follows: the public functions check their inputs
once; the unchecked kernels behind them,
[rnn_forward_unchecked][solutions.sequence.rnn_forward_unchecked] and
[rnn_backward_unchecked][solutions.sequence.rnn_backward_unchecked], are for callers that
checked already (``bptt``, the bidirectional layer, the course adapters, the residual
Jacobians). The backward functions take the gradient of the final state as ``torch.nn``
returns it, ``dh_n``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions.cell import CellCache, rnn_cell_backward, rnn_cell_forward
from solutions.validate import (OUTPUT_PARAM_SHAPES, PARAM_KEYS, RNN_PARAM_SHAPES, Params, check_cache, check_dh,
                                check_inputs, check_steps, check_truncate)


class RnnCache(NamedTuple):
    """What [rnn_forward][solutions.sequence.rnn_forward] keeps for
    [rnn_backward][solutions.sequence.rnn_backward].

    The pattern every model of the package follows (the residual, bidirectional, LSTM and GRU
    caches imitate it): a ``typing.NamedTuple`` whose ``PRODUCER`` names the function that
    makes it and whose ``SHAPES`` lists the fields its backward reads with their shapes,
    checked by [check_cache][solutions.validate.check_cache] and read by field name. ``h`` is
    the cache's own copy of the returned states, so editing those in place (``h *= 0.5``)
    does not change the gradients.
    """

    PRODUCER = "solutions.sequence.rnn_forward"
    SHAPES = {"x": ("T", "B", "I"), "h0": ("B", "H"), "h": ("T", "B", "H"), "params": RNN_PARAM_SHAPES}

    x: np.ndarray
    """(T, B, I), the inputs."""
    h0: np.ndarray
    """(B, H), the initial state."""
    h: np.ndarray
    """(T, B, H), every state ``h_1 … h_T``; ``1 − h_t²`` is ``tanh'(z_t)``."""
    params: Params
    """``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` (the caller's arrays, not copies)."""


def rnn_forward(x: np.ndarray, h0: np.ndarray, params: Params) -> tuple[np.ndarray, RnnCache]:
    """Run the RNN over a sequence: ``h_t = tanh(W x_t + U h_{t-1} + b)``, eq. (6.5).

    The same numbers as the loop of cells [rnn_forward_loop][solutions.sequence.rnn_forward_loop]
    (a test ties the two together), computed faster: the input term ``W x_t`` of every step is
    one matrix product before the loop, and each step writes into the output in place.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), in ``x``'s dtype.
        Other keys (an output layer's ``V``, ``c``) are ignored.

    Returns
    -------
    h : ndarray of shape (T, B, H)
        Every hidden state ``h_1 … h_T`` (what ``torch.nn.RNN`` returns as ``output``); yours
        to edit in place.
    cache : RnnCache
        For [rnn_backward][solutions.sequence.rnn_backward].

    Raises
    ------
    ValueError
        Wrong rank or shape, a missing parameter, mixed dtypes, NaN or infinity.
    """
    _, p = check_inputs(x, h0, params)
    h, cache = rnn_forward_unchecked(x, h0, p)
    return h.copy(), cache


def rnn_forward_unchecked(x: np.ndarray, h0: np.ndarray, p: Params) -> tuple[np.ndarray, RnnCache]:
    """[rnn_forward][solutions.sequence.rnn_forward] without the input checks and the copy.

    For callers that checked the inputs already. The cache holds the returned ``h`` itself,
    so the caller must not edit it (``rnn_forward`` hands out a copy instead).
    """
    T, B, I = x.shape
    H = h0.shape[1]
    # --8<-- [start:forward] rnn_forward
    h = np.empty((T, B, H), dtype=x.dtype)
    np.matmul(x.reshape(T * B, I), p["W_ih"].T, out=h.reshape(T * B, H))  # W x_t, all t: one GEMM
    h += p["b_ih"] + p["b_hh"]                   # + b
    U_T = p["W_hh"].T                            # Uᵀ for the row layout, taken once
    Uh = np.empty((B, H), dtype=x.dtype)         # U h_{t-1}, one buffer for every step
    # --8<-- [start:recurrence] rnn_forward
    h_prev = h0
    for h_t in h:                                # h_t: row t of h, written in place
        np.dot(h_prev, U_T, out=Uh)              # U h_{t-1}
        h_t += Uh                                # z_t = U h_{t-1} + W x_t + b   (6.5)
        np.tanh(h_t, out=h_t)                    # h_t = tanh(z_t)
        h_prev = h_t
    # --8<-- [end:recurrence]
    # --8<-- [end:forward]
    return h, RnnCache(x, h0, h, p)


def rnn_backward(dh: np.ndarray, cache: RnnCache, truncate: int | None = None,
                 dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time for [rnn_forward][solutions.sequence.rnn_forward].

    Implements (6.39), (6.40) and (6.41) of the book in their O(T) form: the loop carries
    ``∂L/∂h_{t-1} = Uᵀ δ_t`` backwards, and ``δ_t = tanh'(z_t) ⊙ (dh_t + Uᵀ δ_{t+1})``
    collects ``Σ_{t'≥t} δ_{t',t}`` for every step at once. The same numbers as the loop of
    cell backward steps [rnn_backward_loop][solutions.sequence.rnn_backward_loop].

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence (the loss terms) for every step ``t``.
    cache : RnnCache
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Truncated BPTT with windows of ``truncate`` steps: the state entering steps
        ``k, 2k, …`` (0-based) is treated as a constant, as ``h = h.detach()`` there does in
        PyTorch. ``None`` (default) is full BPTT.
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n``, the gradient of the final state ``h_n = h_T`` as ``torch.nn.RNN``
        returns it (one layer, one direction: ``h_n[0]``), added to ``dh[-1]`` (also when
        ``truncate`` is set: the last window ends at ``h_T``). ``None``: the loss does not
        read ``h_n``.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,),
        ``b_hh`` (H,), in the input's dtype.

    Raises
    ------
    ValueError
        ``cache`` not an ``RnnCache`` (or one whose arrays were replaced by arrays of other
        shapes), ``dh`` not shaped like ``h`` or ``dh_n`` not (B, H), another dtype, NaN/inf,
        or ``truncate`` < 1.
    """
    check_dh(check_cache(cache, RnnCache), dh, dh_n=dh_n)
    return rnn_backward_unchecked(dh, cache, check_truncate(truncate), dh_n)


def rnn_backward_unchecked(dh: np.ndarray, cache: RnnCache, truncate: int | None = None,
                           dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """[rnn_backward][solutions.sequence.rnn_backward] without the checks, for callers that checked."""
    x, h0, h, p = cache.x, cache.h0, cache.h, cache.params
    T, B, H = h.shape
    I = x.shape[2]
    k = truncate or T                  # window length; T: one window, full BPTT
    # --8<-- [start:backward] rnn_backward
    # --8<-- [start:delta-recursion] rnn_backward
    dz = np.multiply(h, h)             # h_t², every t at once
    np.subtract(1.0, dz, out=dz)       # tanh'(z_t) = 1 − h_t², in place
    U = p["W_hh"]
    dh_next = np.zeros((B, H), dtype=h.dtype)  # ∂L/∂h_t: the part from step t+1, then all of it
    if dh_n is not None:
        dh_next += dh_n                # ∂L/∂h_T through h_n: joins dh[T-1] at the first step
    # --8<-- [start:delta-loop] rnn_backward
    for t in range(T - 1, -1, -1):
        dz_t = dz[t]
        dh_next += dh[t]               # ∂L/∂h_t = ∂L_t/∂h_t + Uᵀ δ_{t+1}
        dz_t *= dh_next                # δ_t = f'(z_t) ⊙ ∂L/∂h_t
        if t > 0 and t % k == 0:
            dh_next.fill(0.0)          # truncated: h_{t-1} enters this window as a constant
        else:
            np.dot(dz_t, U, out=dh_next)       # ∂L/∂h_{t-1} = Uᵀ δ_t
    # --8<-- [end:delta-loop]
    # --8<-- [end:delta-recursion]
    # --8<-- [start:param-grads] rnn_backward
    d = dz.reshape(T * B, H)           # every δ_t, one row per step and example
    dW_hh = d[B:].T @ h[:-1].reshape((T - 1) * B, H)   # (6.39) Σ_t δ_t h_{t-1}ᵀ, t ≥ 2
    dW_hh += dz[0].T @ h0                               #        + δ_1 h_0ᵀ
    grads = {
        "x": (d @ p["W_ih"]).reshape(T, B, I),         # Wᵀ δ_t
        "h0": dh_next,                                 # Uᵀ δ_1
        "W_ih": d.T @ x.reshape(T * B, I),             # (6.40) Σ_t δ_t x_tᵀ
        "W_hh": dW_hh,
        "b_ih": d.sum(axis=0),                         # (6.41) Σ_t δ_t
    }
    grads["b_hh"] = grads["b_ih"].copy()
    # --8<-- [end:param-grads]
    # --8<-- [end:backward]
    return grads


class LoopCache(NamedTuple):
    """What [rnn_forward_loop][solutions.sequence.rnn_forward_loop] keeps: one cell cache per step."""

    PRODUCER = "solutions.sequence.rnn_forward_loop"
    SHAPES = {}                        # the steps are checked one by one (validate.check_steps)

    steps: list[CellCache]
    """``steps[t]`` is the [CellCache][solutions.cell.CellCache] of step ``t`` (0-based)."""


def rnn_forward_loop(x: np.ndarray, h0: np.ndarray, params: Params) -> tuple[np.ndarray, LoopCache]:
    """The reference: a sequence is a loop of cells, [rnn_cell_forward][solutions.cell.rnn_cell_forward] at every step.

    Written for reading (CS231n's ``rnn_forward``); [rnn_forward][solutions.sequence.rnn_forward]
    computes the same states faster, and a test requires the two to agree.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), in ``x``'s dtype.

    Returns
    -------
    h : ndarray of shape (T, B, H)
        Every hidden state ``h_1 … h_T``.
    cache : LoopCache
        For [rnn_backward_loop][solutions.sequence.rnn_backward_loop].

    Raises
    ------
    ValueError
        As [rnn_forward][solutions.sequence.rnn_forward].
    """
    _, p = check_inputs(x, h0, params)
    # --8<-- [start:loop-forward] rnn_forward_loop
    h_t, hs, steps = h0, [], []
    for x_t in x:                                      # t = 1 … T
        h_t, step = rnn_cell_forward(x_t, h_t, p)      # h_t = tanh(W x_t + U h_{t-1} + b)
        hs.append(h_t)
        steps.append(step)
    # --8<-- [end:loop-forward]
    return np.stack(hs), LoopCache(steps)


def rnn_backward_loop(dh: np.ndarray, cache: LoopCache, truncate: int | None = None,
                      dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The reference BPTT: [rnn_cell_backward][solutions.cell.rnn_cell_backward] at every step, last to first.

    Each step's ``∂L/∂h_t`` is its own loss term plus what step ``t+1`` sends back; the
    parameters are shared by every step, so their gradients are summed over the steps —
    (6.39)–(6.41) of the book. Same arguments and result as
    [rnn_backward][solutions.sequence.rnn_backward], which a test ties to this.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence for every step ``t``.
    cache : LoopCache
        From [rnn_forward_loop][solutions.sequence.rnn_forward_loop].
    truncate : int, optional
        Window length of truncated BPTT, as for ``rnn_backward``.
    dh_n : ndarray of shape (B, H), optional
        ``∂L/∂h_n``, added to ``dh[-1]``, as for ``rnn_backward``.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``.

    Raises
    ------
    ValueError
        ``cache`` not a ``LoopCache`` of ``CellCache`` steps, ``dh`` not (T, B, H) or ``dh_n``
        not (B, H) in the cache's dtype, NaN/inf, or ``truncate`` < 1.
    """
    check_dh(check_steps(cache, LoopCache, CellCache), dh, dh_n=dh_n)
    T = len(cache.steps)
    k = check_truncate(truncate) or T
    # --8<-- [start:loop-backward] rnn_backward_loop
    grads = {key: np.zeros_like(cache.steps[0].params[key]) for key in PARAM_KEYS}
    dx = []
    dh_next = np.zeros_like(dh[0]) if dh_n is None else dh_n  # from h_n, or nothing after step T
    for t in range(T - 1, -1, -1):
        g = rnn_cell_backward(dh[t] + dh_next, cache.steps[t])  # ∂L/∂h_t: own loss + the future
        for key in PARAM_KEYS:
            grads[key] += g[key]                       # W, U, b are shared by every step
        dx.append(g["x"])
        dh_next = g["h_prev"]                          # ∂L/∂h_{t-1} = Uᵀ δ_t
        if t > 0 and t % k == 0:
            dh_next = np.zeros_like(dh_next)           # truncated: the window starts here
    grads["x"], grads["h0"] = np.stack(dx[::-1]), dh_next
    # --8<-- [end:loop-backward]
    return grads


def bptt(
    x: np.ndarray,
    y: np.ndarray,
    h0: np.ndarray,
    params: Params,
    truncate: int | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and every gradient of an RNN with a softmax output layer, by BPTT.

    ``o_t = V h_t + c``, ``L = Σ_t mean_b CE(softmax(o_t), y_t)`` (the book's
    ``L = Σ_t L_t``, each step's loss averaged over the batch).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs.
    y : integer ndarray of shape (T, B)
        Class ids in ``[0, O)``.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), ``V`` (O, H),
        ``c`` (O,), in ``x``'s dtype.
    truncate : int, optional
        Window length of truncated BPTT (see [rnn_backward][solutions.sequence.rnn_backward]);
        the loss is the same, the gradient is the sum of the windows' gradients.

    Returns
    -------
    loss : float
        ``L``.
    grads : dict
        Every key of ``params`` (``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``, ``V``, ``c``) plus
        ``x`` and ``h0``, each shaped like its input.

    Raises
    ------
    ValueError
        Wrong shapes, ``y`` out of range or not integer, missing keys, mixed dtypes, NaN/inf,
        ``truncate`` < 1.
    """
    p = check_model_inputs(x, y, h0, params)
    k = check_truncate(truncate)
    h, cache = rnn_forward_unchecked(x, h0, p)  # checked once above; h stays inside, so no copy
    # --8<-- [start:bptt-call] bptt
    loss, do, grads_out = softmax_loss(h, y, p["V"], p["c"])   # output layer and loss
    grads = rnn_backward_unchecked(do @ p["V"], cache, k)      # ∂L/∂h_t = Vᵀ ∂L/∂o_t, then BPTT
    grads.update(grads_out)                                    # ∂L/∂V, ∂L/∂c
    # --8<-- [end:bptt-call]
    return loss, grads


def check_model_inputs(x: object, y: object, h0: object, params: object) -> Params:
    """The input check of an RNN with its softmax output layer, trained on class ids
    ([bptt][solutions.sequence.bptt], [solutions.tbptt.TBPTT.train][]).

    [check_inputs][solutions.validate.check_inputs] for ``x`` (T, B, I), ``h0`` (B, H) and the
    recurrent parameters, then ``V`` (O, H), ``c`` (O,) and ``y`` (T, B), integer class ids in
    ``[0, O)``.

    Returns
    -------
    params : dict
        The checked entries of ``params``, every key of ``MODEL_KEYS`` (the same arrays).

    Raises
    ------
    ValueError
        Naming the argument: a wrong shape, a missing key, mixed dtypes, NaN/inf, ``y`` not
        integer or out of range.
    """
    s, p = check_inputs(x, h0, params)
    p.update(s.params("params", params, OUTPUT_PARAM_SHAPES))
    s.array("y", y, ("T", "B"), kind="int")
    O = s.dims["O"]
    if y.min() < 0 or y.max() >= O:
        raise ValueError(
            f"y of shape (T, B) must hold class ids in [0, O) = [0, {O}); got values in [{y.min()}, {y.max()}]"
        )
    return p


def softmax_loss(
    h: np.ndarray, y: np.ndarray, V: np.ndarray, c: np.ndarray, steps: np.ndarray | None = None
) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    """The softmax output layer and its loss: ``o_t = V h_t + c``, ``L = Σ_t mean_b −log p_t[y_t]``.

    Unchecked (internal): [bptt][solutions.sequence.bptt] and
    [solutions.tbptt.window_grads][] validate their inputs and call it.

    Parameters
    ----------
    h : ndarray of shape (T, B, H)
        States.
    y : integer ndarray of shape (T, B)
        Class ids in ``[0, O)``.
    V : ndarray of shape (O, H)
    c : ndarray of shape (O,)
    steps : ndarray of shape (T,), optional
        A 0/1 weight per step: only steps with weight 1 contribute a loss (default: all).

    Returns
    -------
    loss : float
        ``L``.
    do : ndarray of shape (T, B, O)
        ``∂L/∂o_t = w_t (softmax(o_t) − onehot(y_t)) / B``.
    grads : dict
        ``V`` (O, H) and ``c`` (O,).
    """
    T, B, H = h.shape
    # --8<-- [start:output] softmax_loss
    o = h @ V.T + c                                    # o_t = V h_t + c
    o -= o.max(axis=2, keepdims=True)                  # stable softmax
    log_p = o - np.log(np.exp(o).sum(axis=2, keepdims=True))
    t_idx, b_idx = np.indices((T, B))
    w = np.ones((T, 1)) if steps is None else np.asarray(steps, dtype=h.dtype).reshape(T, 1)
    loss = -(log_p[t_idx, b_idx, y] * w).sum() / B     # L = Σ_t mean_b −log p_t[y_t]
    do = np.exp(log_p)
    do[t_idx, b_idx, y] -= 1.0
    do *= w[:, :, None] / B                            # ∂L/∂o_t = (softmax(o_t) − onehot(y_t)) / B
    dV = do.reshape(T * B, -1).T @ h.reshape(T * B, H)  # ∂L/∂V = Σ_t ∂L/∂o_t h_tᵀ
    dc = do.sum(axis=(0, 1))                           # ∂L/∂c = Σ_t ∂L/∂o_t
    # --8<-- [end:output]
    return float(loss), do, {"V": dV, "c": dc}

