"""solutions.literal: the book's double sums (6.39)-(6.41) equal the O(T) pass and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from solutions.literal import double_sum_grads, error_terms
from solutions.params import random_params
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import rnn_from_params, rnn_params

SHAPES = [  # (T, B, I, H)
    (1, 1, 1, 1),
    (1, 3, 2, 4),
    (2, 1, 3, 1),
    (5, 2, 3, 4),
    (7, 3, 2, 5),
]
KEYS = ["W_ih", "W_hh", "b_ih", "b_hh", "x", "h0"]


def make(T: int, B: int, I: int, H: int, seed: int = 0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H, std=0.7, bias_std=0.2, dtype=dtype)
    x = rng.normal(size=(T, B, I)).astype(dtype)
    h0 = rng.normal(0, 0.5, (B, H)).astype(dtype)
    dh = rng.normal(size=(T, B, H)).astype(dtype)
    return x, h0, params, dh


def autograd(x, h0, params, dh, dh_n=None) -> dict[str, np.ndarray]:
    rnn = rnn_from_params(params)
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out, h_n = rnn(xt, h0t.unsqueeze(0))
    loss = (out * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h_n[0] * torch.tensor(dh_n)).sum()
    loss.backward()
    return {**rnn_params(rnn, grad=True), "x": xt.grad.numpy(), "h0": h0t.grad.numpy()}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}-B{}-I{}-H{}".format(*s))
def test_double_sums_equal_rnn_backward_and_autograd(shape) -> None:
    x, h0, params, dh = make(*shape)
    _, cache = rnn_forward(x, h0, params)
    literal = double_sum_grads(dh, cache)
    fast = rnn_backward(dh, cache)
    auto = autograd(x, h0, params, dh)
    assert sorted(literal) == sorted(KEYS)
    for key in KEYS:
        assert literal[key].shape == fast[key].shape and literal[key].dtype == np.float64
        assert np.abs(literal[key] - fast[key]).max() <= 1e-10, key
        assert np.abs(literal[key] - auto[key]).max() <= 1e-10, key


@pytest.mark.parametrize("truncate", [None, 2])
def test_dh_n_joins_the_last_loss_term_as_in_rnn_backward_and_autograd(truncate) -> None:
    x, h0, params, dh = make(5, 2, 3, 4, seed=3)
    dh_n = np.random.default_rng(4).normal(size=(2, 4))
    _, cache = rnn_forward(x, h0, params)
    literal = double_sum_grads(dh, cache, truncate, dh_n)
    fast = rnn_backward(dh, cache, truncate, dh_n)
    auto = autograd(x, h0, params, dh, dh_n) if truncate is None else fast
    for key in KEYS:
        assert np.abs(literal[key] - fast[key]).max() <= 1e-10, key
        assert np.abs(literal[key] - auto[key]).max() <= 1e-10, key
    with pytest.raises(ValueError, match="dh_n"):
        double_sum_grads(dh, cache, truncate, dh_n[:1])


def autograd_error_terms(x, h0, params, dh) -> np.ndarray:
    """δ_{t,k} = ∂L_t/∂z_k with L_t = ⟨dh_t, h_t⟩, by torch autograd (z_k's .grad), one t at a time."""
    T, B, _ = x.shape
    out = np.zeros((T, T, B, h0.shape[1]))
    for t in range(T):
        p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        h, zs = torch.tensor(h0), []
        for k in range(t + 1):
            z = torch.tensor(x[k]) @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T + p["b_hh"]
            z.retain_grad()
            zs.append(z)
            h = torch.tanh(z)
        (h * torch.tensor(dh[t])).sum().backward()
        for k, z in enumerate(zs):
            out[t, k] = z.grad.numpy()
    return out


def test_error_terms_are_dL_t_dz_k_and_sum_to_the_per_step_error() -> None:
    """δ_{t,k} = ∂L_t/∂z_k (autograd), zero for k > t; Σ_t δ_{t,k} W = ∂L/∂x_k of rnn_backward."""
    T, B, I, H = 6, 2, 3, 4
    x, h0, params, dh = make(T, B, I, H, seed=1)
    _, cache = rnn_forward(x, h0, params)
    delta = error_terms(dh, cache)
    assert delta.shape == (T, T, B, H)
    t_idx, k_idx = np.triu_indices(T, 1)
    assert not delta[t_idx, k_idx].any()
    assert np.abs(delta - autograd_error_terms(x, h0, params, dh)).max() <= 1e-12
    dz = delta.sum(axis=0)  # δ_k = Σ_{t≥k} δ_{t,k}, what rnn_backward carries
    assert np.abs(dz @ params["W_ih"] - rnn_backward(dh, cache)["x"]).max() <= 1e-12


@pytest.mark.parametrize("truncate", [1, 2, 4])
def test_truncated_error_terms_keep_only_each_window(truncate) -> None:
    """With windows of k steps, δ_{t,j} is the full one for j in t's window and zero before it;
    the double sums then equal truncated rnn_backward."""
    T = 6
    x, h0, params, dh = make(T, 2, 3, 4, seed=3)
    _, cache = rnn_forward(x, h0, params)
    full, cut = error_terms(dh, cache), error_terms(dh, cache, truncate)
    for t in range(T):
        start = t // truncate * truncate
        np.testing.assert_array_equal(cut[t, start:], full[t, start:])
        assert not cut[t, :start].any()
    literal, fast = double_sum_grads(dh, cache, truncate), rnn_backward(dh, cache, truncate)
    assert max(np.abs(literal[k] - fast[k]).max() for k in KEYS) <= 1e-12


def test_only_the_loss_at_step_t_feeds_delta_t() -> None:
    """Row t of δ comes from L_t alone: with dh zero except at step t = 3 (0-based 2), only that row is not zero."""
    T, B, I, H = 4, 2, 3, 3
    x, h0, params, dh = make(T, B, I, H, seed=2)
    dh[:2] = 0.0
    dh[3] = 0.0
    _, cache = rnn_forward(x, h0, params)
    delta = error_terms(dh, cache)
    assert not delta[[0, 1, 3]].any() and delta[2, :3].all()


def test_float32_in_float32_out() -> None:
    x, h0, params, dh = make(4, 2, 3, 5, dtype=np.float32)
    _, cache = rnn_forward(x, h0, params)
    literal = double_sum_grads(dh, cache)
    fast = rnn_backward(dh, cache)
    assert error_terms(dh, cache).dtype == np.float32
    for key in KEYS:
        assert literal[key].dtype == np.float32, key
        assert np.abs(literal[key] - fast[key]).max() <= 1e-5, key


@pytest.mark.parametrize("fn", [error_terms, double_sum_grads])
@pytest.mark.parametrize("bad, match", [
    (lambda dh: dh[0], r"dh must have shape \(T, B, H\)"),
    (lambda dh: dh[:, :1], r"dh must have shape \(T, B, H\) with B = 2"),
    (lambda dh: dh[:-1], r"dh must have shape \(T, B, H\) with T = 3"),
    (lambda dh: dh.astype(np.float32), r"dh has dtype float32"),
    (lambda dh: np.where(dh > 0, np.nan, dh), r"dh of shape \(T, B, H\) contains NaN"),
    (lambda dh: dh.tolist(), r"dh must be a NumPy array"),
], ids=["rank", "batch", "steps", "dtype", "nan", "list"])
def test_bad_dh_raises_naming_it(fn, bad, match) -> None:
    x, h0, params, dh = make(3, 2, 2, 4)
    _, cache = rnn_forward(x, h0, params)
    with pytest.raises(ValueError, match=match):
        fn(bad(dh), cache)


@pytest.mark.parametrize("fn", [error_terms, double_sum_grads])
def test_bad_cache_raises_naming_it(fn) -> None:
    x, h0, params, dh = make(3, 2, 2, 4)
    _, cache = rnn_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"cache must be the RnnCache returned by solutions.sequence.rnn_forward"):
        fn(dh, cache[:3])
