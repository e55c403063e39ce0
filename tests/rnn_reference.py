"""PyTorch autograd references and random inputs for test_cell, test_sequence and test_compat."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from solutions.params import PARAM_NAMES
from solutions.params import random_params as package_random_params
from solutions.torch_ops import load_params
from solutions.validate import PARAM_KEYS as KEYS


def random_params(rng: np.random.Generator, I: int, H: int, O: int | None = None,
                  dtype: type = np.float64) -> dict[str, np.ndarray]:
    """``W_ih`` (H, I), ``W_hh`` (H, H) ~ N(0, 0.6²), ``b_ih``, ``b_hh`` (H,) ~ N(0, 0.3²)
    [, ``V`` (O, H), ``c`` (O,)]: the package's one factory with the tests' scales."""
    return package_random_params(rng, I, H, O, std=0.6, bias_std=0.3, dtype=dtype)


def leaves(arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """float64 tensors that require grad, one per array."""
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}


def grads_of(t: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {k: v.grad.numpy() for k, v in t.items()}


def cell(x: np.ndarray, h_prev: np.ndarray, params: dict, dh: np.ndarray) -> tuple[np.ndarray, dict]:
    """One step ``tanh(x W_ihᵀ + b_ih + h_prev W_hhᵀ + b_hh)`` and its gradients for upstream ``dh``."""
    t = leaves({"x": x, "h_prev": h_prev, **{k: params[k] for k in KEYS}})
    h = torch.tanh(t["x"] @ t["W_ih"].T + t["b_ih"] + t["h_prev"] @ t["W_hh"].T + t["b_hh"])
    h.backward(torch.tensor(dh))
    return h.detach().numpy(), grads_of(t)


def unroll(t: dict[str, torch.Tensor], truncate: int | None) -> torch.Tensor:
    """Every ``h_t`` of a loop of torch steps; ``h = h.detach()`` before steps k, 2k, ... (0-based)."""
    h, out = t["h0"], []
    for step in range(t["x"].shape[0]):
        if truncate is not None and step > 0 and step % truncate == 0:
            h = h.detach()
        h = torch.tanh(t["x"][step] @ t["W_ih"].T + t["b_ih"] + h @ t["W_hh"].T + t["b_hh"])
        out.append(h)
    return torch.stack(out)


def sequence(x: np.ndarray, h0: np.ndarray, params: dict, dh: np.ndarray,
             truncate: int | None = None, dh_n: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Every ``h_t`` and the gradients of ``Σ_t ⟨dh_t, h_t⟩ [+ ⟨dh_n, h_T⟩]`` (a torch loop,
    with detach when truncated)."""
    t = leaves({"x": x, "h0": h0, **{k: params[k] for k in KEYS}})
    h = unroll(t, truncate)
    loss = (h * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h[-1] * torch.tensor(dh_n)).sum()
    loss.backward()
    return h.detach().numpy(), grads_of(t)


def nn_rnn(x: np.ndarray, h0: np.ndarray, params: dict, dh: np.ndarray,
           dh_n: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """The same through a real ``torch.nn.RNN`` (float64), gradients keyed like ours; with
    ``dh_n`` (B, H), the loss also reads the returned ``h_n``: ``+ ⟨dh_n, h_n[0]⟩``."""
    T, B, I = x.shape
    H = h0.shape[1]
    rnn = load_params(torch.nn.RNN(I, H, dtype=torch.float64), params)
    names = {k: name + "_l0" for k, name in PARAM_NAMES.items()}
    tx = torch.tensor(x, requires_grad=True)
    th0 = torch.tensor(h0[None], requires_grad=True)
    out, h_n = rnn(tx, th0)
    loss = (out * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h_n[0] * torch.tensor(dh_n)).sum()
    loss.backward()
    grads = {k: getattr(rnn, name).grad.numpy() for k, name in names.items()}
    return out.detach().numpy(), {"x": tx.grad.numpy(), "h0": th0.grad[0].numpy(), **grads}


def bptt(x: np.ndarray, y: np.ndarray, h0: np.ndarray, params: dict,
         truncate: int | None = None) -> tuple[float, dict]:
    """``L = Σ_t mean_b CE(V h_t + c, y_t)`` and every gradient, by autograd."""
    t = leaves({"x": x, "h0": h0, **params})
    h = unroll(t, truncate)
    o = h @ t["V"].T + t["c"]
    loss = sum(F.cross_entropy(o[s], torch.tensor(y[s])) for s in range(len(y)))
    loss.backward()
    return float(loss.detach()), grads_of(t)


def max_err(ours: dict, ref: dict) -> float:
    """Largest max-abs difference over the keys of ``ref`` (shapes must agree)."""
    worst = 0.0
    for k, v in ref.items():
        assert ours[k].shape == v.shape, (k, ours[k].shape, v.shape)
        worst = max(worst, float(np.max(np.abs(ours[k] - v))))
    return worst
