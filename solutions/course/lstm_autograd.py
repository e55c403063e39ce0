"""The deeplearning.ai notebook's LSTM equations in torch float64, differentiated by autograd.

The independent reference that the ``lstm-course`` demo and ``tests/test_compat_lstm.py`` check
[solutions.course.compat][solutions.course.compat]'s LSTM adapters against: the notebook's own
forward pass (its column layout, its gates ``Γ_f, Γ_u, c̃, Γ_o`` acting on ``[a_prev; x_t]``),
written again in torch with none of our code, and its gradients by ``backward()``.
"""

from __future__ import annotations

import numpy as np
import torch


def notebook_grads(x: np.ndarray, a0: np.ndarray, c0: np.ndarray, parameters: dict[str, np.ndarray],
                   da: np.ndarray, dc_next: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The notebook's forward (Γ_f, Γ_u, c̃, Γ_o on [a_prev; x_t]) in torch float64 and the gradients
    of Σ ⟨da_t, a_t⟩ (+ ⟨dc_next, c_T⟩) over the first T = da.shape[2] steps, named as in the notebook.

    ``x`` (n_x, m, T_x), ``a0``, ``c0`` (n_a, m), ``parameters`` the notebook's ``Wf … bo``,
    ``da`` (n_a, m, T) with ``T ≤ T_x``. Returns ``dx`` (n_x, m, T), ``da0``, ``dc0`` and
    ``dWf``, ``dbf``, … for every gate.
    """
    def leaf(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a, dtype=torch.float64, requires_grad=True)

    t = {k: leaf(v) for k, v in parameters.items() if k[0] in "Wb" and k[1] in "fico"}
    xs, a, c = leaf(x), leaf(a0), leaf(c0)
    a_t, c_t, loss = a, c, 0.0
    for step in range(da.shape[2]):
        concat = torch.cat([a_t, xs[:, :, step]])
        f = torch.sigmoid(t["Wf"] @ concat + t["bf"])
        i = torch.sigmoid(t["Wi"] @ concat + t["bi"])
        cc = torch.tanh(t["Wc"] @ concat + t["bc"])
        o = torch.sigmoid(t["Wo"] @ concat + t["bo"])
        c_t = f * c_t + i * cc
        a_t = o * torch.tanh(c_t)
        loss = loss + (a_t * torch.tensor(da[:, :, step])).sum()
    if dc_next is not None:
        loss = loss + (c_t * torch.tensor(dc_next)).sum()
    loss.backward()
    grads = {"dx": xs.grad.numpy()[:, :, :da.shape[2]], "da0": a.grad.numpy(), "dc0": c.grad.numpy()}
    grads.update({f"d{k}": v.grad.numpy() for k, v in t.items()})
    return grads


def cell_autograd(d: dict) -> dict[str, np.ndarray]:
    """The cell test's gradients by torch autograd, named as lstm_cell_backward names them."""
    g = notebook_grads(d["xt"][:, :, None], d["a_prev"], d["c_prev"], d["parameters"], d["da_next"][:, :, None],
                       d["dc_next"])
    return {"dxt": g.pop("dx")[:, :, 0], "da_prev": g.pop("da0"), "dc_prev": g.pop("dc0"), **g}


def sequence_autograd(d: dict) -> dict[str, np.ndarray]:
    """The sequence test's gradients by torch autograd, named as lstm_backward names them."""
    g = notebook_grads(d["x"], d["a0"], np.zeros_like(d["a0"]), d["parameters"], d["da"])
    g.pop("dc0")
    return g
