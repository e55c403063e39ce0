"""A whole sequence through a tanh RNN, and backpropagation through time (BPTT), in NumPy.

Book notation (NNDL §6.4.1): ``z_t = U h_{t-1} + W x_t + b`` (6.5), ``h_t = tanh(z_t)``,
``L = Σ_t L_t``. Code notation: PyTorch's names and row layout, ``W_ih`` = W, ``W_hh`` = U,
``b_ih + b_hh`` = b; time is the first axis, as in ``torch.nn.RNN`` (``batch_first=False``).

The backward pass is the O(T) form of BPTT: instead of the double sums of (6.39)–(6.41),
it carries ``∂L/∂h_k`` backwards once, so that ``dz[k] = Σ_{t≥k} δ_{t,k}``; every weight
gradient is then one matrix product over all steps at once.
"""

from __future__ import annotations

import numpy as np

from solutions.validate import Shapes, check_cache, check_truncate

Params = dict[str, np.ndarray]
Cache = tuple[np.ndarray, np.ndarray, np.ndarray, Params]


def rnn_forward(x: np.ndarray, h0: np.ndarray, params: Params) -> tuple[np.ndarray, Cache]:
    """Run the RNN over a sequence: ``h_t = tanh(W x_t + U h_{t-1} + b)``, eq. (6.5).

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
        Every hidden state ``h_1 … h_T`` (what ``torch.nn.RNN`` returns as ``output``).
    cache : tuple
        ``(x, h0, h, params)`` for [rnn_backward][solutions.sequence.rnn_backward].

    Raises
    ------
    ValueError
        Wrong rank or shape, a missing parameter, mixed dtypes, NaN or infinity.
    """
    s = Shapes()
    s.array("x", x, ("T", "B", "I"))
    s.array("h0", h0, ("B", "H"))
    p = s.params("params", params)
    T, B, I = x.shape
    H = h0.shape[1]
    # --8<-- [start:forward]
    h = np.empty((T, B, H), dtype=x.dtype)
    Wx = h.reshape(T * B, H)
    np.matmul(x.reshape(T * B, I), p["W_ih"].T, out=Wx)  # W x_t for every t: one GEMM
    Wx += p["b_ih"] + p["b_hh"]                          # + b
    Uh = np.empty((B, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        np.matmul(h_prev, p["W_hh"].T, out=Uh)           # U h_{t-1}
        h[t] += Uh                                       # z_t = U h_{t-1} + W x_t + b   (6.5)
        np.tanh(h[t], out=h[t])                          # h_t = tanh(z_t), in place
        h_prev = h[t]
    # --8<-- [end:forward]
    return h, (x, h0, h, p)


def rnn_backward(dh: np.ndarray, cache: Cache, truncate: int | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time for [rnn_forward][solutions.sequence.rnn_forward].

    Implements (6.39), (6.40) and (6.41) of the book in their O(T) form: the loop carries
    ``∂L/∂h_{t-1} = Uᵀ δ_t`` backwards, and ``δ_t = tanh'(z_t) ⊙ (dh_t + Uᵀ δ_{t+1})``
    collects ``Σ_{t'≥t} δ_{t',t}`` for every step at once.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence (the loss terms) for every step ``t``.
    cache : tuple
        From [rnn_forward][solutions.sequence.rnn_forward].
    truncate : int, optional
        Truncated BPTT with windows of ``truncate`` steps: the state entering steps
        ``k, 2k, …`` (0-based) is treated as a constant, as ``h = h.detach()`` there does in
        PyTorch. ``None`` (default) is full BPTT.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,),
        ``b_hh`` (H,), in the input's dtype.

    Raises
    ------
    ValueError
        ``dh`` not shaped like ``h``, another dtype, NaN/inf, or ``truncate`` < 1.
    """
    x, h0, h, p = check_cache(cache, "rnn_forward")
    T, B, H = h.shape
    Shapes(h.dtype, T=T, B=B, H=H).array("dh", dh, ("T", "B", "H"))
    k = check_truncate(truncate)
    I = x.shape[2]
    # --8<-- [start:backward]
    dz = 1.0 - h * h                   # tanh'(z_t) = 1 - h_t², for every t at once
    dh_next = np.zeros((B, H), dtype=h.dtype)   # ∂L/∂h_t arriving from step t+1
    for t in range(T - 1, -1, -1):
        dz[t] *= dh[t] + dh_next       # δ_t = f'(z_t) ⊙ (∂L_t/∂h_t + Uᵀ δ_{t+1})
        if k is not None and t > 0 and t % k == 0:
            dh_next[:] = 0.0           # truncated: h_{t-1} enters this window as a constant
        else:
            np.matmul(dz[t], p["W_hh"], out=dh_next)   # ∂L/∂h_{t-1} = Uᵀ δ_t
    d = dz.reshape(T * B, H)
    dW_hh = d[B:].T @ h[:-1].reshape((T - 1) * B, H) + dz[0].T @ h0  # (6.39) Σ_t δ_t h_{t-1}ᵀ
    grads = {
        "x": (d @ p["W_ih"]).reshape(T, B, I),                       # Wᵀ δ_t
        "h0": dh_next,                                               # Uᵀ δ_1
        "W_ih": d.T @ x.reshape(T * B, I),                           # (6.40) Σ_t δ_t x_tᵀ
        "W_hh": dW_hh,
        "b_ih": d.sum(axis=0),                                       # (6.41) Σ_t δ_t
    }
    grads["b_hh"] = grads["b_ih"].copy()
    # --8<-- [end:backward]
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
    s = Shapes()
    s.array("x", x, ("T", "B", "I"))
    s.array("h0", h0, ("B", "H"))
    s.params("params", params, {"V": ("O", "H"), "c": ("O",)})
    s.array("y", y, ("T", "B"), kind="int")
    O = params["V"].shape[0]
    if y.min() < 0 or y.max() >= O:
        raise ValueError(
            f"y of shape (T, B) must hold class ids in [0, O) = [0, {O}); got values in [{y.min()}, {y.max()}]"
        )
    check_truncate(truncate)
    h, cache = rnn_forward(x, h0, params)
    T, B, H = h.shape
    V, c = params["V"], params["c"]
    # --8<-- [start:output]
    o = h @ V.T + c                                    # o_t = V h_t + c
    o -= o.max(axis=2, keepdims=True)                  # stable softmax
    log_p = o - np.log(np.exp(o).sum(axis=2, keepdims=True))
    t_idx, b_idx = np.indices((T, B))
    loss = -log_p[t_idx, b_idx, y].sum() / B           # L = Σ_t mean_b −log p_t[y_t]
    do = np.exp(log_p)
    do[t_idx, b_idx, y] -= 1.0
    do /= B                                            # ∂L/∂o_t = (softmax(o_t) − onehot(y_t)) / B
    grads = rnn_backward(do @ V, cache, truncate)      # ∂L/∂h_t = Vᵀ ∂L/∂o_t, then BPTT
    grads["V"] = do.reshape(T * B, -1).T @ h.reshape(T * B, H)
    grads["c"] = do.sum(axis=(0, 1))
    # --8<-- [end:output]
    return float(loss), grads

