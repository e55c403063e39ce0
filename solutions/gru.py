"""A whole sequence through a GRU, and its backward pass, in NumPy.

Book notation (NNDL §6.6, gated recurrent unit): reset gate ``r_t``, update gate ``z_t``,
candidate state ``h̃_t`` (PyTorch's ``n_t``), and

    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t .

Code notation: PyTorch's names, gate order and row layout. ``W_ih`` (3H, I) stacks the input
weights ``W_r, W_z, W_h`` of the three blocks (r, z, n), ``W_hh`` (3H, H) the recurrent weights
``U_r, U_z, U_h``; ``b_ih`` and ``b_hh`` (3H,) are PyTorch's two biases, whose sums are the
book's ``b_r, b_z, b_h`` — except in the candidate of the default form, where ``b_hn`` sits
inside the reset:

* ``reset_after=True`` (``torch.nn.GRU``):
  ``n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))``;
* ``reset_after=False`` (the book, after Cho et al. 2014):
  ``n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)``.

Time is the first axis, as in ``torch.nn.GRU`` (``batch_first=False``). The input products
``W x_t`` of every step are one matrix product before the loop, and every weight gradient is
one matrix product after the backward loop; only the products with ``W_hh`` stay in the loops.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions.validate import Params, Shapes, check_cache

#: The GRU's parameters in PyTorch's names, with the shape each must have (``3H`` = 3 × ``H``).
GRU_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    "W_ih": ("3H", "I"),
    "W_hh": ("3H", "H"),
    "b_ih": ("3H",),
    "b_hh": ("3H",),
}


class GRUCache(NamedTuple):
    """What [gru_backward][solutions.gru.gru_backward] needs, kept by
    [gru_forward][solutions.gru.gru_forward]. The states and gates are the cache's own arrays:
    editing the returned ``h`` in place does not change the backward pass.

    Attributes
    ----------
    x : ndarray of shape (T, B, I)
        The inputs.
    hs : ndarray of shape (T + 1, B, H)
        ``h_0, h_1, …, h_T``.
    gates : ndarray of shape (T, B, 3H)
        ``r_t``, ``z_t``, ``n_t`` of every step, in PyTorch's block order.
    hn : ndarray of shape (T, B, H)
        ``W_hn h_{t-1} + b_hn`` (``reset_after=True``) or ``r_t ⊙ h_{t-1}``
        (``reset_after=False``): what the candidate's recurrent term multiplies.
    params : dict
        ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` as checked.
    reset_after : bool
        Which form ran.
    """

    PRODUCER = "solutions.gru.gru_forward"

    x: np.ndarray
    hs: np.ndarray
    gates: np.ndarray
    hn: np.ndarray
    params: Params
    reset_after: bool


def _check_inputs(x: object, h0: object, params: object) -> Params:
    """Check ``x`` (T, B, I), ``h0`` (B, H) and the parameters (3H rows: one block per gate)."""
    s = Shapes()
    s.array("x", x, ("T", "B", "I"))
    s.array("h0", h0, ("B", "H"))
    s.dims["3H"] = 3 * s.dims["H"]
    s.source["3H"] = "h0 (3H = 3 × H, one block of H rows per gate r, z, n)"
    return s.params("params", params, GRU_PARAM_SHAPES)


def gru_forward(
    x: np.ndarray, h0: np.ndarray, params: Params, reset_after: bool = True
) -> tuple[np.ndarray, GRUCache]:
    """Run a GRU over a sequence (NNDL §6.6, in PyTorch's gate order r, z, n).

    ``r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)``,
    ``z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)``,
    ``n_t`` as set by ``reset_after`` (see the module), and
    ``h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}``.

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        ``W_ih`` (3H, I), ``W_hh`` (3H, H), ``b_ih`` (3H,), ``b_hh`` (3H,), blocks in the order
        (r, z, n), in ``x``'s dtype. Other keys are ignored.
    reset_after : bool
        ``True`` (default): the reset gate multiplies ``W_hn h_{t-1} + b_hn``, as
        ``torch.nn.GRU`` does. ``False``: it multiplies ``h_{t-1}`` before ``W_hn``, as the
        book (and Cho et al. 2014) write it.

    Returns
    -------
    h : ndarray of shape (T, B, H)
        Every hidden state ``h_1 … h_T`` (``torch.nn.GRU``'s ``output``; ``h[-1]`` is ``h_n``).
    cache : GRUCache
        For [gru_backward][solutions.gru.gru_backward].

    Raises
    ------
    ValueError
        Wrong rank or shape, a missing parameter, mixed dtypes, NaN or infinity, or a
        ``reset_after`` that is not a bool.
    """
    p = _check_inputs(x, h0, params)
    if not isinstance(reset_after, (bool, np.bool_)):
        raise ValueError(  # noqa: TRY004  (every bad input is a ValueError, as everywhere in the package)
            f"reset_after must be True (torch.nn.GRU) or False (the book); got {reset_after!r}"
        )
    reset_after = bool(reset_after)
    T, B, I = x.shape
    H = h0.shape[1]
    dt = x.dtype
    # σ(a) = (1 + tanh(a/2)) / 2: the r and z rows are halved once (exact: a power of two), so
    # each σ is one tanh. Transposed copies of the weights make contiguous GEMM operands (faster).
    half = np.ones(3 * H, dtype=dt)
    half[:2 * H] = 0.5
    W_hh_T = np.ascontiguousarray((p["W_hh"] * half[:, None]).T)   # (H, 3H)
    hs = np.empty((T + 1, B, H), dtype=dt)
    hs[0] = h0
    hn = np.empty((T, B, H), dtype=dt)
    tmp = np.empty((B, H), dtype=dt)
    g = np.empty((T, B, 3 * H), dtype=dt)
    b_hn = p["b_hh"][2 * H:]
    # --8<-- [start:forward-input]
    np.matmul(x.reshape(T * B, I), np.ascontiguousarray((p["W_ih"] * half[:, None]).T),
              out=g.reshape(T * B, 3 * H))           # W_r x_t, W_z x_t, W_h x_t for every t: one GEMM
    g += p["b_ih"] * half                            # + b_ir, b_iz, b_in
    g[:, :, :2 * H] += p["b_hh"][:2 * H] * 0.5       # + b_hr, b_hz (b_hn: see below)
    # --8<-- [end:forward-input]
    if reset_after:
        gh = np.empty((B, 3 * H), dtype=dt)
        gh_rz, gh_n, g_rz, g_n = gh[:, :2 * H], gh[:, 2 * H:], g[:, :, :2 * H], g[:, :, 2 * H:]   # views, once
        for t in range(T):
            h_prev, rz, n, hn_t = hs[t], g_rz[t], g_n[t], hn[t]
            # --8<-- [start:forward]
            np.dot(h_prev, W_hh_T, out=gh)             # U_r h_{t-1}, U_z h_{t-1} (halved), W_hn h_{t-1}
            rz += gh_rz
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5                                  # r_t, z_t = σ(W x_t + U h_{t-1} + b)
            r, z = rz[:, :H], rz[:, H:]
            np.add(gh_n, b_hn, out=hn_t)               # W_hn h_{t-1} + b_hn
            np.multiply(r, hn_t, out=tmp)
            n += tmp
            np.tanh(n, out=n)                          # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
            np.subtract(h_prev, n, out=tmp)
            tmp *= z
            np.add(n, tmp, out=hs[t + 1])              # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
            # --8<-- [end:forward]
    else:
        W_rz_T, W_hn_T = W_hh_T[:, :2 * H], np.ascontiguousarray(W_hh_T[:, 2 * H:])
        W_rz_T = np.ascontiguousarray(W_rz_T)
        g[:, :, 2 * H:] += b_hn                        # the book's b_h = b_in + b_hn, outside the reset
        gh = np.empty((B, 2 * H), dtype=dt)
        for t in range(T):
            h_prev, rz, n = hs[t], g[t, :, :2 * H], g[t, :, 2 * H:]
            # --8<-- [start:forward-book]
            np.dot(h_prev, W_rz_T, out=gh)             # U_r h_{t-1}, U_z h_{t-1} (halved)
            rz += gh
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5                                  # r_t, z_t = σ(W x_t + U h_{t-1} + b)
            r, z = rz[:, :H], rz[:, H:]
            np.multiply(r, h_prev, out=hn[t])          # r_t ⊙ h_{t-1}
            np.dot(hn[t], W_hn_T, out=tmp)
            n += tmp
            np.tanh(n, out=n)                          # h̃_t = tanh(W_h x_t + U_h (r_t ⊙ h_{t-1}) + b_h), b_h in g
            np.subtract(h_prev, n, out=tmp)
            tmp *= z
            np.add(n, tmp, out=hs[t + 1])              # h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t
            # --8<-- [end:forward-book]
    return hs[1:].copy(), GRUCache(x, hs, g, hn, p, reset_after)


def gru_backward(dh: np.ndarray, cache: GRUCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time for [gru_forward][solutions.gru.gru_forward].

    With ``δh_t = ∂L/∂h_t`` (the loss term ``dh[t]`` plus what flows back from step ``t+1``),
    the loop applies, backwards in ``t``,

    * ``∂L/∂n_t = (1 − z_t) ⊙ δh_t``, ``∂L/∂z_t = (h_{t-1} − n_t) ⊙ δh_t``;
    * through the nonlinearities: ``a^n = (1 − n_t²) ⊙ ∂L/∂n_t``, ``a^z = z_t(1 − z_t) ⊙ ∂L/∂z_t``,
      ``a^r = r_t(1 − r_t) ⊙ ∂L/∂r_t``;
    * ``δh_{t-1} = dh[t-1] + z_t ⊙ δh_t + (recurrent terms through W_hh)``.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence (what ``torch.nn.GRU``'s ``output`` receives).
    cache : GRUCache
        From [gru_forward][solutions.gru.gru_forward].
    dh_n : ndarray of shape (B, H), optional
        An extra gradient into the last state ``h_T`` (what ``h_n`` receives); ``None`` is zero.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih`` (3H, I), ``W_hh`` (3H, H), ``b_ih`` (3H,),
        ``b_hh`` (3H,), in the input's dtype.

    Raises
    ------
    ValueError
        A cache that ``gru_forward`` did not make, or ``dh``/``dh_n`` of another shape or
        dtype, or with NaN/inf.
    """
    c = check_cache(cache, GRUCache)
    x, hs, G, hn, p = c.x, c.hs, c.gates, c.hn, c.params
    T, B, H = hn.shape
    I = x.shape[2]
    s = Shapes(hs.dtype, T=T, B=B, H=H)
    s.array("dh", dh, ("T", "B", "H"))
    if dh_n is not None:
        s.array("dh_n", dh_n, ("B", "H"))
    r, z, n = G[:, :, :H], G[:, :, H:2 * H], G[:, :, 2 * H:]
    h_prev = hs[:-1]
    W_hh = p["W_hh"]
    dG = np.empty((T, B, 3 * H), dtype=hs.dtype)     # ∂L/∂(pre-activations): a^r, a^z, a^n
    carry = np.zeros((B, H), dtype=hs.dtype) if dh_n is None else dh_n.copy()
    if c.reset_after:
        # --8<-- [start:backward]
        dGh = np.empty((T, B, 3 * H), dtype=hs.dtype)   # ∂L/∂(W_h· h_{t-1} + b_h·), blocks r, z, n
        # The factors that do not depend on δh_t, for every t at once:
        kn = (1.0 - z) * (1.0 - n * n)                  # (1 − z_t) ⊙ (1 − n_t²)
        kz = (h_prev - n) * (z * (1.0 - z))             # (h_{t-1} − n_t) ⊙ z_t (1 − z_t)
        kr = hn * (r * (1.0 - r))                       # (W_hn h_{t-1} + b_hn) ⊙ r_t (1 − r_t)
        zd = np.empty((B, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            an = dG[t, :, 2 * H:]
            dht = carry
            dht += dh[t]                                  # δh_t = ∂L_t/∂h_t + carried from t+1
            np.multiply(dht, kn[t], out=an)               # a^n = (1 − n_t²) ⊙ (1 − z_t) ⊙ δh_t
            np.multiply(dht, kz[t], out=dGh[t, :, H:2 * H])   # a^z = z_t (1 − z_t) ⊙ (h_{t-1} − n_t) ⊙ δh_t
            np.multiply(an, kr[t], out=dGh[t, :, :H])     # a^r = r_t (1 − r_t) ⊙ (W_hn h_{t-1} + b_hn) ⊙ a^n
            np.multiply(an, r[t], out=dGh[t, :, 2 * H:])  # ∂L/∂(W_hn h_{t-1} + b_hn) = r_t ⊙ a^n
            np.multiply(dht, z[t], out=zd)                # z_t ⊙ δh_t: the direct path to h_{t-1}
            np.dot(dGh[t], W_hh, out=carry)               # W_hhᵀ (…): the paths through r, z, n
            carry += zd                                   # δh_{t-1} (without its own dh)
        dG[:, :, :2 * H] = dGh[:, :, :2 * H]              # a^r, a^z
        d, dGh = dG.reshape(T * B, 3 * H), dGh.reshape(T * B, 3 * H)
        grads = {
            "x": (d @ p["W_ih"]).reshape(T, B, I),                   # W_ihᵀ a_t
            "h0": carry,                                             # δh_0
            "W_ih": d.T @ x.reshape(T * B, I),                       # Σ_t a_t x_tᵀ
            "W_hh": dGh.T @ h_prev.reshape(T * B, H),                # Σ_t a^h_t h_{t-1}ᵀ
            "b_ih": d.sum(axis=0),                                   # Σ_t a_t
            "b_hh": dGh.sum(axis=0),                                 # Σ_t a^h_t
        }
        # --8<-- [end:backward]
    else:
        W_rz, W_hn = W_hh[:2 * H], W_hh[2 * H:]
        # --8<-- [start:backward-book]
        dn_pre = (1.0 - z) * (1.0 - n * n)            # (1 − z_t)(1 − h̃_t²)
        kz = (h_prev - n) * (z * (1.0 - z))           # (h_{t-1} − h̃_t) ⊙ σ'(z)
        kr = h_prev * (r * (1.0 - r))                 # h_{t-1} ⊙ σ'(r)
        drh = np.empty((B, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            dht = dh[t] + carry                       # δh_t
            an = dG[t, :, 2 * H:]
            np.multiply(dht, dn_pre[t], out=an)       # a^h = (1 − z_t) ⊙ (1 − h̃_t²) ⊙ δh_t
            np.dot(an, W_hn, out=drh)                 # ∂L/∂(r_t ⊙ h_{t-1}) = U_hᵀ a^h
            np.multiply(drh, kr[t], out=dG[t, :, :H])          # a^r = σ'(r) ⊙ h_{t-1} ⊙ U_hᵀ a^h
            np.multiply(dht, kz[t], out=dG[t, :, H:2 * H])     # a^z = σ'(z) ⊙ (h_{t-1} − h̃_t) ⊙ δh_t
            np.dot(dG[t, :, :2 * H], W_rz, out=carry)          # U_rᵀ a^r + U_zᵀ a^z
            carry += dht * z[t]                                # + z_t ⊙ δh_t
            carry += drh * r[t]                                # + r_t ⊙ U_hᵀ a^h
        d = dG.reshape(T * B, 3 * H)
        grads = {
            "x": (d @ p["W_ih"]).reshape(T, B, I),                   # Wᵀ a_t
            "h0": carry,                                             # δh_0
            "W_ih": d.T @ x.reshape(T * B, I),                       # Σ_t a_t x_tᵀ
            "W_hh": np.concatenate([
                d[:, :2 * H].T @ h_prev.reshape(T * B, H),           # Σ_t a^{r,z}_t h_{t-1}ᵀ
                d[:, 2 * H:].T @ hn.reshape(T * B, H),               # Σ_t a^h_t (r_t ⊙ h_{t-1})ᵀ
            ]),
            "b_ih": d.sum(axis=0),                                   # Σ_t a_t
        }
        grads["b_hh"] = grads["b_ih"].copy()
        # --8<-- [end:backward-book]
    return grads
