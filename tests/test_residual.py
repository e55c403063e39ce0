"""solutions.residual (the update (6.50) of exercise 6-3) against torch autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.params import random_params
from solutions.residual import (
    residual_backward,
    residual_forward,
    state_jacobian_norms,
    step_jacobians,
)
from solutions.sequence import rnn_forward
from solutions.torch_ops import residual_autograd

KEYS = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")


def case(T: int, B: int, I: int, H: int, seed: int = 0, dtype=np.float64, scale: float = 0.5):
    """``(x, h0, params, dh)`` drawn from a fixed seed."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H, std=scale, bias_std=0.1)
    x, h0, dh = rng.normal(size=(T, B, I)), rng.normal(0, 0.5, (B, H)), rng.normal(size=(T, B, H))
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return cast(x), cast(h0), {k: cast(v) for k, v in params.items()}, cast(dh)


def torch_reference(x, h0, params, dh, alpha, dh_n=None):
    """h and every gradient of L = Σ dh ⊙ h [+ dh_n ⊙ h_T] from autograd through residual_autograd."""
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in {**params, "x": x, "h0": h0}.items()}
    h = residual_autograd(leaves["x"], leaves["h0"], leaves, alpha)
    loss = (h * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h[-1] * torch.tensor(dh_n)).sum()
    loss.backward()
    return h.detach().numpy(), {k: t.grad.numpy() for k, t in leaves.items()}


def torch_step(h_prev, x_t, params, alpha):
    """One step of (6.50) written independently of solutions.residual (guards the reference)."""
    z = x_t @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    return h_prev + alpha * torch.tanh(z)


SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 1), (6, 3, 4, 5), (4, 2, 1, 7)]
ALPHAS = [1.0, 0.5, 0.0, -0.3, 2.0]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_forward_and_backward_equal_torch_autograd(shape, alpha) -> None:
    x, h0, params, dh = case(*shape, seed=sum(shape))
    h, cache = residual_forward(x, h0, params, alpha)
    grads = residual_backward(dh, cache)
    h_ref, ref = torch_reference(x, h0, params, dh, alpha)
    assert h.shape == shape[:2] + (shape[3],) and h.dtype == np.float64
    assert max_abs(h, h_ref) <= 1e-12
    assert set(grads) == set(KEYS)
    for k in KEYS:
        assert grads[k].shape == ref[k].shape, k
        assert max_abs(grads[k], ref[k]) <= 1e-10, k


@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 5), B=st.integers(1, 3), I=st.integers(1, 3), H=st.integers(1, 4),
       alpha=st.sampled_from(ALPHAS), seed=st.integers(0, 2**16))
def test_dh_n_is_the_gradient_through_the_final_state(T, B, I, H, alpha, seed) -> None:
    x, h0, params, dh = case(T, B, I, H, seed=seed)
    dh_n = np.random.default_rng(seed + 1).normal(size=(B, H))
    _, cache = residual_forward(x, h0, params, alpha)
    grads = residual_backward(dh, cache, dh_n=dh_n)
    _, ref = torch_reference(x, h0, params, dh, alpha, dh_n)
    for k in KEYS:
        assert max_abs(grads[k], ref[k]) <= 1e-10, k
    with pytest.raises(ValueError, match="dh_n"):
        residual_backward(dh, cache, dh_n=np.zeros((B, H + 1)))


def test_torch_reference_matches_an_independent_loop() -> None:
    x, h0, params, _ = case(4, 2, 3, 5)
    tp = {k: torch.tensor(v) for k, v in params.items()}
    h, want = torch.tensor(h0), []
    for x_t in torch.tensor(x):
        h = torch_step(h, x_t, tp, 0.7)
        want.append(h)
    got = residual_autograd(torch.tensor(x), torch.tensor(h0), tp, 0.7)
    assert max_abs(got.numpy(), torch.stack(want).numpy()) == 0.0


def test_alpha_zero_freezes_the_state_and_alpha_one_is_the_book_update() -> None:
    x, h0, params, dh = case(5, 2, 3, 4)
    h, cache = residual_forward(x, h0, params, 0.0)
    assert np.array_equal(h, np.broadcast_to(h0, h.shape))           # h_t = h_0
    g = residual_backward(dh, cache)
    assert np.allclose(g["h0"], dh.sum(axis=0), atol=1e-14, rtol=0)  # ∂L/∂h_0 = Σ_t ∂L/∂h_t
    for k in ("x", "W_ih", "W_hh", "b_ih", "b_hh"):
        assert not g[k].any(), k
    # α = 1 and the default: h_t − h_{t−1} = tanh(z_t), z_t = U h_{t−1} + W x_t + b (6.5), (6.50)
    h1, _ = residual_forward(x, h0, params)
    prev = np.concatenate([h0[None], h1[:-1]])
    z = x @ params["W_ih"].T + prev @ params["W_hh"].T + params["b_ih"] + params["b_hh"]
    assert max_abs(h1 - prev, np.tanh(z)) <= 1e-14


@pytest.mark.parametrize("alpha", [1.0, 0.4])
def test_backward_equals_finite_differences(alpha: float) -> None:
    x, h0, params, dh = case(4, 2, 3, 4, seed=7)
    grads = residual_backward(dh, residual_forward(x, h0, params, alpha)[1])
    inputs = {**params, "x": x, "h0": h0}
    numeric = numeric_grads(lambda: float((residual_forward(x, h0, params, alpha)[0] * dh).sum()), inputs)
    for k in KEYS:
        assert rel_error(grads[k], numeric[k]) <= 1e-7, k


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 6), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 5),
       alpha=st.floats(-2.0, 2.0), seed=st.integers(0, 2**16))
def test_random_shapes_and_alphas_equal_torch(T, B, I, H, alpha, seed) -> None:
    x, h0, params, dh = case(T, B, I, H, seed=seed)
    h, cache = residual_forward(x, h0, params, alpha)
    grads = residual_backward(dh, cache)
    h_ref, ref = torch_reference(x, h0, params, dh, alpha)
    assert max_abs(h, h_ref) <= 1e-12
    for k in KEYS:
        assert max_abs(grads[k], ref[k]) <= 1e-10, k


def test_float32_in_float32_out() -> None:
    x, h0, params, dh = case(5, 2, 3, 4, dtype=np.float32)
    h, cache = residual_forward(x, h0, params, 0.5)
    grads = residual_backward(dh, cache)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    x64, h064, p64, dh64 = case(5, 2, 3, 4)
    h64, c64 = residual_forward(x64, h064, p64, 0.5)
    assert max_abs(h, h64) <= 1e-5
    g64 = residual_backward(dh64, c64)
    assert all(rel_error(grads[k], g64[k]) <= 1e-5 for k in KEYS)
    n32 = state_jacobian_norms(x, h0, params, "residual", 0.5)
    assert n32.dtype == np.float32 and step_jacobians(x, h0, params).dtype == np.float32
    assert rel_error(n32, state_jacobian_norms(x64, h064, p64, "residual", 0.5)) <= 1e-5


def bad(**change):
    x, h0, params, _ = case(3, 2, 3, 4)
    args = {"x": x, "h0": h0, "params": params, "alpha": 1.0}
    args.update(change)
    return args


@pytest.mark.parametrize("args, match", [
    (bad(x=np.zeros((3, 2))), r"x must have shape \(T, B, I\)"),
    (bad(h0=np.zeros((3, 4))), r"h0 must have shape \(B, H\) with B = 2"),
    (bad(h0=np.zeros((2, 5))), r"params\['W_ih'\] must have shape \(H, I\) with H = 5"),
    (bad(x=np.full((3, 2, 3), np.nan)), r"x of shape \(T, B, I\) contains NaN"),
    (bad(h0=np.full((2, 4), np.inf)), r"h0 of shape \(B, H\) contains NaN or infinity"),
    (bad(x=np.zeros((3, 2, 3), np.float32)), r"mixed dtypes"),
    (bad(params={}), r"params is missing key 'W_ih'"),
    (bad(x=[[[1.0]]]), r"x must be a NumPy array"),
    (bad(alpha=float("nan")), r"alpha must be a finite float"),
    (bad(alpha=float("inf")), r"alpha must be a finite float"),
    (bad(alpha="1.0"), r"alpha must be a finite float"),
    (bad(alpha=None), r"alpha must be a finite float"),
    (bad(alpha=True), r"alpha must be a finite float"),
])
def test_bad_inputs_raise_value_errors_naming_the_argument(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        residual_forward(**args)
    with pytest.raises(ValueError, match=match):
        state_jacobian_norms(**args)


def test_bad_backward_inputs() -> None:
    x, h0, params, dh = case(3, 2, 3, 4)
    _, cache = residual_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"dh must have shape \(T, B, H\) with T = 3"):
        residual_backward(dh[:2], cache)
    with pytest.raises(ValueError, match=r"dh has dtype float32"):
        residual_backward(dh.astype(np.float32), cache)
    with pytest.raises(ValueError, match=r"dh of shape \(T, B, H\) contains NaN"):
        residual_backward(np.full_like(dh, np.nan), cache)
    with pytest.raises(ValueError, match=r"cache must be the ResidualCache returned by solutions.residual.residual_forward"):
        residual_backward(dh, rnn_forward(x, h0, params)[1])
    with pytest.raises(ValueError, match=r"kind must be 'plain' or 'residual'"):
        state_jacobian_norms(x, h0, params, kind="lstm")


def torch_jacobian_norms(x, h0, params, kind, alpha):
    """‖∂h_t/∂h_0‖₂ for every t and example from torch.autograd.functional.jacobian."""
    tp = {k: torch.tensor(v) for k, v in params.items()}

    def run(h0_t):
        hs, h = [], h0_t
        for x_t in torch.tensor(x):
            if kind == "plain":
                h = torch.tanh(x_t @ tp["W_ih"].T + tp["b_ih"] + h @ tp["W_hh"].T + tp["b_hh"])
            else:
                h = torch_step(h, x_t, tp, alpha)
            hs.append(h)
        return torch.stack(hs)

    J = torch.autograd.functional.jacobian(run, torch.tensor(h0))      # (T, B, H, B, H)
    B = h0.shape[0]
    per_example = torch.stack([J[:, b, :, b, :] for b in range(B)], 1)  # (T, B, H, H)
    cross = max((J[:, b, :, c, :].abs().max().item() for b in range(B) for c in range(B) if b != c), default=0.0)
    return torch.linalg.matrix_norm(per_example, ord=2).numpy(), per_example.numpy(), cross


@pytest.mark.parametrize("kind, alpha", [("plain", 1.0), ("residual", 1.0), ("residual", 0.3), ("residual", 0.0)])
def test_jacobian_norms_equal_torch_autograd(kind: str, alpha: float) -> None:
    x, h0, params, _ = case(6, 2, 3, 4, seed=11, scale=0.8)
    want, J_full, cross = torch_jacobian_norms(x, h0, params, kind, alpha)
    assert cross == 0.0                                  # examples do not interact
    got = state_jacobian_norms(x, h0, params, kind, alpha)
    assert got.shape == (6, 2)
    assert rel_error(got, want) <= 1e-12
    # the one-step factors: J_t = ∂h_t/∂h_{t-1}, so J_1 = ∂h_1/∂h_0
    J = step_jacobians(x, h0, params, kind, alpha)
    assert J.shape == (6, 2, 4, 4)
    assert max_abs(J[0], J_full[0]) <= 1e-14
    P = J[0]
    for t in range(1, 6):
        P = J[t] @ P
    assert max_abs(P, J_full[-1]) <= 1e-12
    if alpha == 0.0:
        assert np.allclose(got, 1.0, atol=1e-15, rtol=0)  # J_t = I


def test_jacobian_norms_in_the_linear_regime_are_powers_of_the_spectral_radius() -> None:
    """x = 0, b = 0, h_0 = 0 keep z_t = 0, so J = U (plain) or I + αU (residual); U = sQ is normal."""
    rng = np.random.default_rng(3)
    H, T = 6, 40
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    lam = np.linalg.eigvals(Q)
    for s, alpha in ((0.5, 1.0), (2.0, 0.25)):
        params = {"W_ih": rng.standard_normal((H, 2)), "W_hh": s * Q, "b_ih": np.zeros(H), "b_hh": np.zeros(H)}
        x, h0 = np.zeros((T, 1, 2)), np.zeros((1, H))
        steps = np.arange(1, T + 1)
        plain = state_jacobian_norms(x, h0, params, "plain")[:, 0]
        assert rel_error(plain, s ** steps.astype(float)) <= 1e-12
        res = state_jacobian_norms(x, h0, params, "residual", alpha)[:, 0]
        rho = np.abs(1 + alpha * s * lam).max()
        assert rho > 1.0
        assert rel_error(res, rho ** steps.astype(float)) <= 1e-12


def test_jacobian_norms_do_not_overflow_while_the_norm_fits() -> None:
    """1000 steps at rate 2: the norm 2^1000 ≈ 1e301 still fits in float64; a plain product would too,
    but at rate 3 (3^1000 > 1e308) the result is inf, not NaN."""
    H = 2
    params = {"W_ih": np.ones((H, 1)), "W_hh": np.eye(H), "b_ih": np.zeros(H), "b_hh": np.zeros(H)}
    x, h0 = np.zeros((1000, 1, 1)), np.zeros((1, H))
    n = state_jacobian_norms(x, h0, params, "residual")[:, 0]
    assert rel_error(n[-1:], np.array([2.0**1000])) <= 1e-10   # 1000 rescalings: ~1000 roundings of a log
    n3 = state_jacobian_norms(x, h0, {**params, "W_hh": 2 * np.eye(H)}, "residual")[:, 0]
    assert np.isinf(n3[-1]) and not np.isnan(n3).any()
