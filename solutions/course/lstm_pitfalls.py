"""The mistakes students make in the notebook's ``lstm_cell_backward`` and ``lstm_backward``.

Each mistake is built on the reference cell [solutions.lstm.lstm_cell_backward][] (rows, as
in the package), not on a private copy: a dropped path or a wrong value is the reference cell
given that wrong input; a slipped activation derivative is the reference's gate-error lines with
the slip. [course_cell][solutions.course.lstm_pitfalls.course_cell] renames a gradient to the
notebook's names and column layout. [without_carry][solutions.course.lstm_pitfalls.without_carry]
is ``lstm_backward`` with nothing carried between steps (the ``neither`` mistake, through the
fast kernel): what most of the older notebook's published values are. The ``lstm-pitfalls`` and
``lstm-course`` demos print them; ``tests/test_compat_lstm.py`` checks them.
"""

from __future__ import annotations

import numpy as np

from solutions import lstm
from solutions.course import compat

CELL_MISTAKES = {
    "correct": "the notebook's equations (7)-(21)",
    "no dc_next": "dc = ot * (1 - tanh(c_next)**2) * da_next             (the cell path dc_next is dropped)",
    "no da in dc": "dc = dc_next                                          (the path da_next -> tanh(c_next) -> c_next is dropped)",
    "c for tanh c": "dot = da_next * c_next * ot*(1-ot);  dc uses (1 - c_next**2)   (c_next where tanh(c_next) belongs)",
    "1-s² for σ'": "dit = dc * cct * (1 - it**2), same for dft, dot   (tanh's derivative for the sigmoid gates)",
    "no σ'": "dit = dc * cct, dft = dc * c_prev, dcct = dc * it, dot = da_next * tanh(c_next)   (gradients of the gates, not of their inputs)",
    "no f in dc_prev": "dc_prev = dc                                          (the forget gate's factor f_t is dropped)",
}
"""Each mistake of ``lstm_cell_backward``, as the wrong line a student writes in the notebook (column
layout; ``dc`` is the gradient reaching ``c_next`` from both paths, the notebook's
``dc_next + Γo (1 − tanh²(c_next)) da_next``)."""

SEQUENCE_MISTAKES = {
    "correct": "lstm_cell_backward(da[:,:,t] + da_prevt, dc_prevt, caches[t]), both carried",
    "no da_prevt": "lstm_cell_backward(da[:,:,t], dc_prevt, caches[t])     (da_prev of step t+1 not added)",
    "no dc_prevt": "lstm_cell_backward(da[:,:,t] + da_prevt, 0, caches[t])  (dc_prev of step t+1 not passed)",
    "neither": "lstm_cell_backward(da[:,:,t], 0, caches[t])            (nothing carried: most of the older published values, see lstm-course)",
}
"""Each mistake of ``lstm_backward``'s loop, as the call a student writes in the notebook."""


def course_cell(g: dict[str, np.ndarray], n_a: int) -> dict[str, np.ndarray]:
    """A gradient of solutions.lstm.lstm_cell_backward in the notebook's names and column layout."""
    return {"dxt": g["x"].T, "da_prev": g["h_prev"].T, "dc_prev": g["c_prev"].T, **compat.lstm_course_grads(g, n_a)}


def cell_backward(da_next, dc_next, cache: lstm.LSTMCellCache, c_next, mistake: str) -> dict[str, np.ndarray]:
    """What a notebook's lstm_cell_backward with one of ``CELL_MISTAKES`` returns, built on the
    reference cell solutions.lstm.lstm_cell_backward (rows: ``da_next`` is (m, n_a) here).

    A dropped path or a wrong value is the reference cell given that wrong input; a wrong
    activation derivative changes the gate errors themselves, so it is the reference's gate-error
    lines (L5), (L7) with the slipped derivative, followed by the reference's products.
    """
    backward = lstm.lstm_cell_backward
    if mistake == "no dc_next":
        return backward(da_next, np.zeros_like(dc_next), cache)
    if mistake == "no da in dc":          # the path da_next -> c_next, (L6)'s first term, taken out again
        path = da_next * cache.o * (1 - cache.tanh_c**2)
        return backward(da_next, dc_next - path, cache)
    if mistake == "c for tanh c":
        return backward(da_next, dc_next, cache._replace(tanh_c=c_next))
    if mistake == "no f in dc_prev":      # dc_prev as if f_t were 1; every other gradient is right
        ones = cache._replace(f=np.ones_like(cache.f))
        return {**backward(da_next, dc_next, cache), "c_prev": backward(da_next, dc_next, ones)["c_prev"]}
    if mistake in ("1-s² for σ'", "no σ'"):
        return slipped_derivative(da_next, dc_next, cache, tanh_for_sigmoid=mistake == "1-s² for σ'")
    return backward(da_next, dc_next, cache)


def slipped_derivative(da_next, dc_next, k: lstm.LSTMCellCache, tanh_for_sigmoid: bool) -> dict[str, np.ndarray]:
    """The reference's gate errors with σ'(z) = s(1 − s) replaced by tanh's 1 − s² (``tanh_for_sigmoid``),
    or with the gates' and the candidate's derivatives left out (the gradients of the gates, not of their
    inputs; the 1 − tanh²(c_t) of (L6) is kept)."""
    d_sig = (lambda s: 1 - s**2) if tanh_for_sigmoid else (lambda s: 1.0)
    d_tanh = (lambda t: 1 - t**2) if tanh_for_sigmoid else (lambda t: 1.0)
    dc = da_next * k.o * (1 - k.tanh_c**2) + dc_next                     # (L6), right
    d = np.concatenate([dc * k.g * d_sig(k.i), dc * k.c_prev * d_sig(k.f),  # (L7) with the slip
                        dc * k.i * d_tanh(k.g), da_next * k.tanh_c * d_sig(k.o)], axis=1)   # (L7), (L5)
    right = lstm.lstm_cell_backward(da_next, dc_next, k)
    grads = {"x": d @ k.params["W_ih"], "h_prev": d @ k.params["W_hh"], "W_ih": d.T @ k.x,
             "W_hh": d.T @ k.h_prev, "b_ih": d.sum(axis=0)}                 # (L8), (L9), as the reference
    return {**grads, "c_prev": right["c_prev"], "b_hh": grads["b_ih"].copy()}


def sequence_backward(da, loop: lstm.LSTMLoopCache, mistake: str) -> dict[str, np.ndarray]:
    """The notebook's lstm_backward loop with one of ``SEQUENCE_MISTAKES``, over the reference cells
    (rows: ``da`` is (T, m, n_a); ``da`` may have fewer steps than the forward pass ran)."""
    H = da.shape[2]
    total = {k: 0.0 for k in ("W_ih", "W_hh", "b_ih")}
    dx, da_prevt, dc_prevt = [], np.zeros_like(da[0]), np.zeros_like(da[0])
    for t in reversed(range(da.shape[0])):
        carry_a = da_prevt if mistake in ("correct", "no dc_prevt") else 0.0
        carry_c = dc_prevt if mistake in ("correct", "no da_prevt") else np.zeros_like(dc_prevt)
        g = lstm.lstm_cell_backward(da[t] + carry_a, carry_c, loop.steps[t])
        da_prevt, dc_prevt = g["h_prev"], g["c_prev"]
        dx.append(g["x"].T)
        total = {k: total[k] + g[k] for k in total}
    return {"dx": np.stack(dx[::-1], axis=2), "da0": da_prevt.T, **compat.lstm_course_grads(total, H)}


def without_carry(da: np.ndarray, caches: compat.CourseLSTMCaches) -> dict[str, np.ndarray]:
    """lstm_backward with nothing carried between steps: every step backpropagates only its own
    da[:, :, t], with da_prevt = dc_prevt = 0 — each step is solutions.lstm's backward of one step
    (its cache: that step again, by the kernel lstm_forward ran, from the states before it)."""
    cache = caches.cache
    n_a = cache.h.shape[1]
    total: dict[str, np.ndarray] = {}
    dx = []
    for t in range(da.shape[2]):
        h0 = cache.h0 if t == 0 else cache.h[t - 1].T
        c0 = cache.c0 if t == 0 else cache.c[t - 1].T
        _, _, one = lstm.lstm_forward_unchecked(cache.x[t:t + 1], h0, c0, cache.params)
        g = lstm.lstm_backward_unchecked(da[:, :, t].T[None], one)
        dx.append(g["x"][0].T)
        if t == 0:
            total["da0"] = g["h0"].T
        for k, v in compat.lstm_course_grads(g, n_a).items():
            total[k] = total.get(k, 0) + v
    return {"dx": np.stack(dx, axis=2), **total}
