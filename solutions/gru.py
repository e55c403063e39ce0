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
  ``n_t = tanh(W_h x_t + b_in + r_t ⊙ (U_h h_{t-1} + b_hn))``;
* ``reset_after=False`` (the book, after Cho et al. 2014):
  ``n_t = tanh(W_h x_t + b_in + U_h (r_t ⊙ h_{t-1}) + b_hn)``.

Two tiers, as for the simple RNN (``cell.py``, ``sequence.py``): the readable reference,
[gru_cell_forward][solutions.gru.gru_cell_forward] and
[gru_cell_backward][solutions.gru.gru_cell_backward] — rows ``(B, ·)``, plain ``sigmoid``, one
line per equation of the 6-5 page with its number (Gr1)–(Gr12) — looped over time by
[gru_forward_loop][solutions.gru.gru_forward_loop] and
[gru_backward_loop][solutions.gru.gru_backward_loop]; and the fast pair below, which tests
tie to the loops and to ``torch.nn.GRU``.

Time is the first axis, as in ``torch.nn.GRU`` (``batch_first=False``). In the fast pair the input products
``W x_t`` of every step are one matrix product before the loop, and every weight gradient is
one matrix product after the backward loop; only the products with ``W_hh`` stay in the loops.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solutions.lstm import sigmoid
from solutions.validate import Params, check_cache, check_dh, check_inputs, check_steps

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
        ``U_h h_{t-1} + b_hn`` (``reset_after=True``) or ``r_t ⊙ h_{t-1}``
        (``reset_after=False``): what the candidate's recurrent term multiplies.
    params : dict
        ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` as checked.
    reset_after : bool
        Which form ran.
    """

    PRODUCER = "solutions.gru.gru_forward"
    SHAPES = {"x": ("T", "B", "I"), "hs": ("T+1", "B", "H"), "gates": ("T", "B", "3H"), "hn": ("T", "B", "H"),
              "params": GRU_PARAM_SHAPES}

    x: np.ndarray
    hs: np.ndarray
    gates: np.ndarray
    hn: np.ndarray
    params: Params
    reset_after: bool


def _check_inputs(
    x: object, h0: object, params: object, reset_after: object, x_spec: tuple[str, ...] = ("T", "B", "I"),
    h0_name: str = "h0",
) -> Params:
    """The input check of every GRU function: ``x`` (``x_spec``), the state (B, H) named
    ``h0_name``, the parameters (3H rows: one block per gate) and ``reset_after`` (a bool)."""
    _, p = check_inputs(x, h0, params, x_spec=x_spec, h0_name=h0_name, shapes=GRU_PARAM_SHAPES)
    if not isinstance(reset_after, (bool, np.bool_)):
        raise ValueError(  # noqa: TRY004  (every bad input is a ValueError, as everywhere in the package)
            f"reset_after must be True (torch.nn.GRU) or False (the book); got {reset_after!r}"
        )
    return p


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
        ``True`` (default): the reset gate multiplies ``U_h h_{t-1} + b_hn``, as
        ``torch.nn.GRU`` does. ``False``: it multiplies ``h_{t-1}`` before ``U_h``, as the
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
    p = _check_inputs(x, h0, params, reset_after)
    return gru_forward_unchecked(x, h0, p, bool(reset_after))


def gru_forward_unchecked(
    x: np.ndarray, h0: np.ndarray, p: Params, reset_after: bool = True
) -> tuple[np.ndarray, GRUCache]:
    """[gru_forward][solutions.gru.gru_forward] without the input checks, for callers that checked."""
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
    np.matmul(x.reshape(T * B, I), np.ascontiguousarray((p["W_ih"] * half[:, None]).T),
              out=g.reshape(T * B, 3 * H))           # W_r x_t, W_z x_t, W_h x_t for every t: one GEMM
    g += p["b_ih"] * half                            # + b_ir, b_iz, b_in
    g[:, :, :2 * H] += p["b_hh"][:2 * H] * 0.5       # + b_hr, b_hz (b_hn: see below)
    if reset_after:
        gh = np.empty((B, 3 * H), dtype=dt)
        gh_rz, gh_n, g_rz, g_n = gh[:, :2 * H], gh[:, 2 * H:], g[:, :, :2 * H], g[:, :, 2 * H:]   # views, once
        for t in range(T):
            h_prev, rz, n, hn_t = hs[t], g_rz[t], g_n[t], hn[t]
            # --8<-- [start:forward] gru_forward
            np.dot(h_prev, W_hh_T, out=gh)             # U_r h_{t-1}, U_z h_{t-1} (halved), U_h h_{t-1}
            rz += gh_rz
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5                                  # r_t, z_t = σ(W x_t + U h_{t-1} + b)
            r, z = rz[:, :H], rz[:, H:]
            np.add(gh_n, b_hn, out=hn_t)               # U_h h_{t-1} + b_hn
            np.multiply(r, hn_t, out=tmp)
            n += tmp
            np.tanh(n, out=n)                          # n_t = tanh(W_h x_t + b_in + r_t ⊙ (U_h h_{t-1} + b_hn))
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
    return hs[1:].copy(), GRUCache(x, hs, g, hn, p, reset_after)


def gru_backward(dh: np.ndarray, cache: GRUCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time for [gru_forward][solutions.gru.gru_forward].

    With ``δh_t = ∂L/∂h_t`` (the loss term ``dh[t]`` plus what flows back from step ``t+1``),
    the loop applies, backwards in ``t``,

    * ``∂L/∂n_t = (1 − z_t) ⊙ δh_t``, ``∂L/∂z_t = (h_{t-1} − n_t) ⊙ δh_t``;
    * through the nonlinearities: ``δ^h̃ = (1 − n_t²) ⊙ ∂L/∂n_t``, ``δ^z = z_t(1 − z_t) ⊙ ∂L/∂z_t``,
      ``δ^r = r_t(1 − r_t) ⊙ ∂L/∂r_t``;
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
    check_dh(check_cache(cache, GRUCache), dh, dh_n=dh_n)
    return gru_backward_unchecked(dh, cache, dh_n)


def gru_backward_unchecked(dh: np.ndarray, cache: GRUCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """[gru_backward][solutions.gru.gru_backward] without the checks, for callers that checked."""
    x, hs, G, hn, p = cache.x, cache.hs, cache.gates, cache.hn, cache.params
    T, B, H = hn.shape
    I = x.shape[2]
    r, z, n = G[:, :, :H], G[:, :, H:2 * H], G[:, :, 2 * H:]
    h_prev = hs[:-1]
    W_hh = p["W_hh"]
    dG = np.empty((T, B, 3 * H), dtype=hs.dtype)     # ∂L/∂(pre-activations): δ^r, δ^z, δ^h̃ (stacked: δ_t)
    carry = np.zeros((B, H), dtype=hs.dtype) if dh_n is None else dh_n.copy()
    if cache.reset_after:
        dGh = np.empty((T, B, 3 * H), dtype=hs.dtype)   # ∂L/∂(W_h· h_{t-1} + b_h·), blocks r, z, n
        # The factors that do not depend on δh_t, for every t at once:
        kn = (1.0 - z) * (1.0 - n * n)                  # (1 − z_t) ⊙ (1 − n_t²)
        kz = (h_prev - n) * (z * (1.0 - z))             # (h_{t-1} − n_t) ⊙ z_t (1 − z_t)
        kr = hn * (r * (1.0 - r))                       # (U_h h_{t-1} + b_hn) ⊙ r_t (1 − r_t)
        zd = np.empty((B, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            an = dG[t, :, 2 * H:]
            dht = carry
            dht += dh[t]                                  # δh_t = ∂L_t/∂h_t + carried from t+1
            np.multiply(dht, kn[t], out=an)               # δ^h̃ = (1 − n_t²) ⊙ (1 − z_t) ⊙ δh_t
            np.multiply(dht, kz[t], out=dGh[t, :, H:2 * H])   # δ^z = z_t (1 − z_t) ⊙ (h_{t-1} − n_t) ⊙ δh_t
            np.multiply(an, kr[t], out=dGh[t, :, :H])     # δ^r = r_t (1 − r_t) ⊙ (U_h h_{t-1} + b_hn) ⊙ δ^h̃
            np.multiply(an, r[t], out=dGh[t, :, 2 * H:])  # ∂L/∂(U_h h_{t-1} + b_hn) = r_t ⊙ δ^h̃
            np.multiply(dht, z[t], out=zd)                # z_t ⊙ δh_t: the direct path to h_{t-1}
            np.dot(dGh[t], W_hh, out=carry)               # W_hhᵀ (…): the paths through r, z, n
            carry += zd                                   # δh_{t-1} (without its own dh)
        dG[:, :, :2 * H] = dGh[:, :, :2 * H]              # δ^r, δ^z
        d, dGh = dG.reshape(T * B, 3 * H), dGh.reshape(T * B, 3 * H)
        grads = {
            "x": (d @ p["W_ih"]).reshape(T, B, I),                   # W_ihᵀ δ_t
            "h0": carry,                                             # δh_0
            "W_ih": d.T @ x.reshape(T * B, I),                       # Σ_t δ_t x_tᵀ
            "W_hh": dGh.T @ h_prev.reshape(T * B, H),                # Σ_t (δ^r, δ^z, r_t ⊙ δ^h̃)_t h_{t-1}ᵀ
            "b_ih": d.sum(axis=0),                                   # Σ_t δ_t
            "b_hh": dGh.sum(axis=0),                                 # Σ_t (δ^r, δ^z, r_t ⊙ δ^h̃)_t
        }
    else:
        W_rz, W_hn = W_hh[:2 * H], W_hh[2 * H:]
        dn_pre = (1.0 - z) * (1.0 - n * n)            # (1 − z_t)(1 − h̃_t²)
        kz = (h_prev - n) * (z * (1.0 - z))           # (h_{t-1} − h̃_t) ⊙ σ'(z)
        kr = h_prev * (r * (1.0 - r))                 # h_{t-1} ⊙ σ'(r)
        drh = np.empty((B, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            dht = dh[t] + carry                       # δh_t
            an = dG[t, :, 2 * H:]
            np.multiply(dht, dn_pre[t], out=an)       # δ^h̃ = (1 − z_t) ⊙ (1 − h̃_t²) ⊙ δh_t
            np.dot(an, W_hn, out=drh)                 # ∂L/∂(r_t ⊙ h_{t-1}) = U_hᵀ δ^h̃
            np.multiply(drh, kr[t], out=dG[t, :, :H])          # δ^r = σ'(r) ⊙ h_{t-1} ⊙ U_hᵀ δ^h̃
            np.multiply(dht, kz[t], out=dG[t, :, H:2 * H])     # δ^z = σ'(z) ⊙ (h_{t-1} − h̃_t) ⊙ δh_t
            np.dot(dG[t, :, :2 * H], W_rz, out=carry)          # U_rᵀ δ^r + U_zᵀ δ^z
            carry += dht * z[t]                                # + z_t ⊙ δh_t
            carry += drh * r[t]                                # + r_t ⊙ U_hᵀ δ^h̃
        d = dG.reshape(T * B, 3 * H)
        grads = {
            "x": (d @ p["W_ih"]).reshape(T, B, I),                   # Wᵀ δ_t
            "h0": carry,                                             # δh_0
            "W_ih": d.T @ x.reshape(T * B, I),                       # Σ_t δ_t x_tᵀ
            "W_hh": np.concatenate([
                d[:, :2 * H].T @ h_prev.reshape(T * B, H),           # Σ_t δ^{r,z}_t h_{t-1}ᵀ
                d[:, 2 * H:].T @ hn.reshape(T * B, H),               # Σ_t δ^h̃_t (r_t ⊙ h_{t-1})ᵀ
            ]),
            "b_ih": d.sum(axis=0),                                   # Σ_t δ_t
        }
        grads["b_hh"] = grads["b_ih"].copy()
    return grads


# --- The readable tier: one cell, and a sequence as a loop of cells ------------------------------


class GRUCellCache(NamedTuple):
    """What [gru_cell_forward][solutions.gru.gru_cell_forward] keeps for
    [gru_cell_backward][solutions.gru.gru_cell_backward]: every array (B, H) unless noted."""

    PRODUCER = "solutions.gru.gru_cell_forward"
    SHAPES = {"x": ("B", "I"), "h_prev": ("B", "H"), "r": ("B", "H"), "z": ("B", "H"), "n": ("B", "H"),
              "params": GRU_PARAM_SHAPES}     # and u or s, whichever reset_after's form keeps

    x: np.ndarray
    """(B, I), the input ``x_t``."""
    h_prev: np.ndarray
    """``h_{t-1}``."""
    r: np.ndarray
    """The reset gate ``r_t``."""
    z: np.ndarray
    """The update gate ``z_t``."""
    n: np.ndarray
    """The candidate ``h̃_t`` (PyTorch's ``n_t``)."""
    u: np.ndarray | None
    """``u_t = U_h h_{t-1} + b_hn``, what ``r_t`` multiplies in PyTorch's form (Gr4); ``None`` in the book's."""
    s: np.ndarray | None
    """``s_t = r_t ⊙ h_{t-1}``, what ``U_h`` multiplies in the book's form (Gr2); ``None`` in PyTorch's."""
    params: Params
    """``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``."""
    reset_after: bool
    """Which form ran."""


def gru_cell_forward(
    x: np.ndarray, h_prev: np.ndarray, params: Params, reset_after: bool = True
) -> tuple[np.ndarray, GRUCellCache]:
    """One GRU step, written for reading: one line per equation of the 6-5 page, (Gr1)–(Gr4).

    Parameters
    ----------
    x : ndarray of shape (B, I)
        Input at this step, one row per example.
    h_prev : ndarray of shape (B, H)
        Previous state ``h_{t-1}``.
    params : dict
        ``W_ih`` (3H, I), ``W_hh`` (3H, H), ``b_ih`` (3H,), ``b_hh`` (3H,), blocks in the order
        (r, z, n), in ``x``'s dtype. Other keys are ignored.
    reset_after : bool
        ``True`` (default): PyTorch's candidate (Gr4); ``False``: the book's (Gr2).

    Returns
    -------
    h : ndarray of shape (B, H)
        ``h_t``.
    cache : GRUCellCache
        For [gru_cell_backward][solutions.gru.gru_cell_backward].

    Raises
    ------
    ValueError
        As [gru_forward][solutions.gru.gru_forward], for ``x`` (B, I) and ``h_prev``.
    """
    p = _check_inputs(x, h_prev, params, reset_after, x_spec=("B", "I"), h0_name="h_prev")
    H = h_prev.shape[1]
    r_, z_, n_ = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)   # PyTorch's blocks: reset, update, candidate
    W_ih, W_hh, b_ih, b_hh = p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"]
    # --8<-- [start:cell-forward] gru_cell_forward
    a = x @ W_ih.T + b_ih                                          # W_* x_t + b_i*, the blocks r, z, n (input part of a^*_t)
    r = sigmoid(a[:, r_] + h_prev @ W_hh[r_].T + b_hh[r_])         # (Gr1) r_t = σ(W_r x_t + U_r h_{t-1} + b_r)
    z = sigmoid(a[:, z_] + h_prev @ W_hh[z_].T + b_hh[z_])         # (Gr1) z_t = σ(W_z x_t + U_z h_{t-1} + b_z)
    u = s = None
    if reset_after:
        u = h_prev @ W_hh[n_].T + b_hh[n_]                         # u_t = U_h h_{t-1} + b_hn
        n = np.tanh(a[:, n_] + r * u)                              # (Gr4) n_t = tanh(W_h x_t + b_in + r_t ⊙ u_t)
    else:
        s = r * h_prev                                             # s_t = r_t ⊙ h_{t-1}
        n = np.tanh(a[:, n_] + s @ W_hh[n_].T + b_hh[n_])          # (Gr2) h̃_t = tanh(W_h x_t + U_h s_t + b_h)
    h = z * h_prev + (1 - z) * n                                   # (Gr3) h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t
    # --8<-- [end:cell-forward]
    return h, GRUCellCache(x, h_prev, r, z, n, u, s, p, bool(reset_after))


def gru_cell_backward(dh: np.ndarray, cache: GRUCellCache) -> dict[str, np.ndarray]:
    """Gradients of one GRU step, written for reading: one line per equation, (Gr6)–(Gr12).

    Parameters
    ----------
    dh : ndarray of shape (B, H)
        ``δ^h_t = ∂L/∂h_t``, everything that reaches ``h_t`` (its loss term and step ``t+1``).
    cache : GRUCellCache
        From [gru_cell_forward][solutions.gru.gru_cell_forward].

    Returns
    -------
    grads : dict
        ``x`` (B, I), ``h_prev`` (B, H), ``W_ih`` (3H, I), ``W_hh`` (3H, H), ``b_ih`` (3H,),
        ``b_hh`` (3H,), in the input's dtype.

    Raises
    ------
    ValueError
        ``dh`` not shaped like ``h_prev``, of another dtype, or not finite; ``cache`` not a
        ``GRUCellCache``.
    """
    checked = check_cache(cache, GRUCellCache)
    kept = "u" if cache.reset_after else "s"             # the form's own intermediate
    checked.array(f"cache.{kept}", getattr(cache, kept), ("B", "H"), finite=False)
    checked.array("dh", dh, ("B", "H"))
    x, h_prev, r, z, n, u, s, p, reset_after = cache
    H = h_prev.shape[1]
    W_hh = p["W_hh"]
    r_, z_, n_ = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    # --8<-- [start:cell-backward] gru_cell_backward
    dn = (1 - z) * dh                        # (Gr6) ∂L/∂h̃_t = (1 − z_t) ⊙ δ^h_t
    dz = (h_prev - n) * dh                   # (Gr6) ∂L/∂z_t = (h_{t-1} − h̃_t) ⊙ δ^h_t
    d_n = (1 - n * n) * dn                   # (Gr7) δ^h̃_t, through tanh
    d_z = z * (1 - z) * dz                   # (Gr7) δ^z_t, through σ
    if reset_after:
        d_u = r * d_n                        # (Gr9) ∂L/∂u_t = r_t ⊙ δ^h̃_t
        d_r = r * (1 - r) * u * d_n          # (Gr9) δ^r_t = r_t(1 − r_t) ⊙ u_t ⊙ δ^h̃_t
        d_a = np.concatenate([d_r, d_z, d_n], axis=1)   # errors of W_* x_t + b_i*, blocks r, z, n
        d_b = np.concatenate([d_r, d_z, d_u], axis=1)   # errors of U_* h_{t-1} + b_h*
        grads = {
            "x": d_a @ p["W_ih"],                        # Σ_* W_*ᵀ δ^*_t
            "h_prev": z * dh + d_b @ W_hh,               # (Gr10) z_t ⊙ δ^h_t + U_rᵀ δ^r_t + U_zᵀ δ^z_t + U_hᵀ (r_t ⊙ δ^h̃_t)
            "W_ih": d_a.T @ x,                           # (Gr11) δ^*_t x_tᵀ
            "W_hh": d_b.T @ h_prev,                      # (Gr11), (Gr12) δ^r_t h_{t-1}ᵀ, δ^z_t h_{t-1}ᵀ, (r_t ⊙ δ^h̃_t) h_{t-1}ᵀ
            "b_ih": d_a.sum(axis=0),                     # (Gr11) δ^*_t
            "b_hh": d_b.sum(axis=0),                     # (Gr11), (Gr12): b_hn gets r_t ⊙ δ^h̃_t
        }
    else:
        ds = d_n @ W_hh[n_]                  # ∂L/∂s_t = U_hᵀ δ^h̃_t
        d_r = r * (1 - r) * h_prev * ds      # (Gr8) δ^r_t = r_t(1 − r_t) ⊙ h_{t-1} ⊙ U_hᵀ δ^h̃_t
        d_a = np.concatenate([d_r, d_z, d_n], axis=1)   # errors of every pre-activation, blocks r, z, h
        grads = {
            "x": d_a @ p["W_ih"],                                        # Σ_* W_*ᵀ δ^*_t
            "h_prev": z * dh + d_r @ W_hh[r_] + d_z @ W_hh[z_] + r * ds,  # (Gr10) z_t ⊙ δ^h_t + U_rᵀ δ^r_t + U_zᵀ δ^z_t + r_t ⊙ U_hᵀ δ^h̃_t
            "W_ih": d_a.T @ x,                                           # (Gr11) δ^*_t x_tᵀ
            "W_hh": np.concatenate([d_r.T @ h_prev, d_z.T @ h_prev,      # (Gr11) δ^r_t h_{t-1}ᵀ, δ^z_t h_{t-1}ᵀ
                                    d_n.T @ s]),                         # (Gr12) δ^h̃_t s_tᵀ, s_t = r_t ⊙ h_{t-1}
            "b_ih": d_a.sum(axis=0),                                     # (Gr11) δ^*_t
        }
        grads["b_hh"] = grads["b_ih"].copy()                             # only b_ih + b_hh enters
    # --8<-- [end:cell-backward]
    return grads


class GRULoopCache(NamedTuple):
    """What [gru_forward_loop][solutions.gru.gru_forward_loop] keeps: one cell cache per step."""

    PRODUCER = "solutions.gru.gru_forward_loop"
    SHAPES = {}                        # the steps are checked one by one (validate.check_steps)

    steps: list[GRUCellCache]
    """``steps[t]`` is the [GRUCellCache][solutions.gru.GRUCellCache] of step ``t`` (0-based)."""


def gru_forward_loop(
    x: np.ndarray, h0: np.ndarray, params: Params, reset_after: bool = True
) -> tuple[np.ndarray, GRULoopCache]:
    """The reference: a sequence is a loop of cells, [gru_cell_forward][solutions.gru.gru_cell_forward] at every step.

    Written for reading; [gru_forward][solutions.gru.gru_forward] computes the same states
    faster, and a test requires the two to agree (and to agree with ``torch.nn.GRU``).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
        Inputs, time first.
    h0 : ndarray of shape (B, H)
        Initial state.
    params : dict
        As for [gru_forward][solutions.gru.gru_forward].
    reset_after : bool
        ``True`` (default): PyTorch's form; ``False``: the book's.

    Returns
    -------
    h : ndarray of shape (T, B, H)
        ``h_1 … h_T``.
    cache : GRULoopCache
        For [gru_backward_loop][solutions.gru.gru_backward_loop].

    Raises
    ------
    ValueError
        As [gru_forward][solutions.gru.gru_forward].
    """
    p = _check_inputs(x, h0, params, reset_after)
    # --8<-- [start:loop-forward] gru_forward_loop
    h_t, hs, steps = h0, [], []
    for x_t in x:                                                   # t = 1 … T
        h_t, step = gru_cell_forward(x_t, h_t, p, reset_after)      # (Gr1)–(Gr4)
        hs.append(h_t)
        steps.append(step)
    # --8<-- [end:loop-forward]
    return np.stack(hs), GRULoopCache(steps)


def gru_backward_loop(dh: np.ndarray, cache: GRULoopCache, dh_n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The reference BPTT: [gru_cell_backward][solutions.gru.gru_cell_backward] at every step, last to first.

    Each step's ``δ^h_t`` is its own loss term plus what step ``t+1`` sends back (Gr5); the
    parameters are shared by every step, so their gradients are summed over the steps (Gr11).
    Same arguments and result as [gru_backward][solutions.gru.gru_backward], which a test ties
    to this.

    Parameters
    ----------
    dh : ndarray of shape (T, B, H)
        ``∂L/∂h_t`` from outside the recurrence for every step ``t``.
    cache : GRULoopCache
        From [gru_forward_loop][solutions.gru.gru_forward_loop].
    dh_n : ndarray of shape (B, H), optional
        An extra gradient into ``h_T`` (what ``torch.nn.GRU``'s ``h_n`` receives); ``None`` is zero.

    Returns
    -------
    grads : dict
        ``x`` (T, B, I), ``h0`` (B, H), ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``.

    Raises
    ------
    ValueError
        ``cache`` not a ``GRULoopCache``, ``dh`` not (T, B, H) in the cache's dtype, ``dh_n``
        not (B, H), or NaN/inf.
    """
    check_dh(check_steps(cache, GRULoopCache, GRUCellCache), dh, dh_n=dh_n)
    T = len(cache.steps)
    # --8<-- [start:loop-backward] gru_backward_loop
    grads = {key: np.zeros_like(cache.steps[0].params[key]) for key in GRU_PARAM_SHAPES}
    dx = []
    dh_next = np.zeros_like(dh[0]) if dh_n is None else dh_n   # what reaches h_T from beyond step T
    for t in range(T - 1, -1, -1):
        g = gru_cell_backward(dh[t] + dh_next, cache.steps[t])     # (Gr5) δ^h_t = ∂L_t/∂h_t + (∂h_{t+1}/∂h_t)ᵀ δ^h_{t+1}
        for key in GRU_PARAM_SHAPES:
            grads[key] += g[key]                               # (Gr11): shared by every step, summed
        dx.append(g["x"])
        dh_next = g["h_prev"]                                  # (Gr10)
    grads["x"], grads["h0"] = np.stack(dx[::-1]), dh_next
    # --8<-- [end:loop-backward]
    return grads
