"""solutions.tbptt: the per-window trainer against rnn_backward(truncate=) and torch with detach()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from solutions.sequence import bptt
from solutions.tbptt import TBPTT, full_bptt_bytes
from solutions.validate import MODEL_KEYS

T, B, I, H, O = 12, 3, 4, 5, 3


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = {"W_ih": rng.normal(0, 0.5, (H, I)), "W_hh": rng.normal(0, 0.5, (H, H)),
              "b_ih": rng.normal(0, 0.1, H), "b_hh": rng.normal(0, 0.1, H),
              "V": rng.normal(0, 0.5, (O, H)), "c": rng.normal(0, 0.1, O)}
    return rng.normal(size=(T, B, I)), rng.integers(0, O, (T, B)), rng.normal(0, 0.5, (B, H)), params


@pytest.mark.parametrize("ell", [1, 2, 3, 4, 5, 12, 20])
def test_windows_at_lr_0_add_up_to_rnn_backward_truncate(ell: int) -> None:
    """TBPTT(ℓ, ℓ) with lr = 0: the windows' gradients and losses sum to bptt(..., truncate=ℓ)."""
    x, y, h0, params = problem()
    p, updates = TBPTT(ell, lr=0.0).train(x, y, h0, params)
    loss, ref = bptt(x, y, h0, params, truncate=ell)
    assert len(updates) == -(-T // ell)
    assert sum(u.loss for u in updates) == pytest.approx(loss, rel=1e-12)
    for k in MODEL_KEYS:
        np.testing.assert_allclose(sum(u.grads[k] for u in updates), ref[k], rtol=1e-10, atol=1e-13)
        np.testing.assert_array_equal(p[k], params[k])


def test_updates_between_windows_match_a_hand_written_loop() -> None:
    """With lr > 0 each window sees the parameters the previous windows left, and the carried state."""
    x, y, h0, params = problem(1)
    ell, lr = 4, 0.05
    p, updates = TBPTT(ell, lr=lr).train(x, y, h0, params)
    q = {k: v.copy() for k, v in params.items()}
    h = h0
    from solutions.sequence import rnn_forward
    for s, u in zip(range(0, T, ell), updates):
        loss, g = bptt(x[s:s + ell], y[s:s + ell], h, q)          # one window, its own BPTT
        assert u.loss == pytest.approx(loss, rel=1e-12)
        h = rnn_forward(x[s:s + ell], h, q)[0][-1]                # state before the update, carried
        for k in MODEL_KEYS:
            q[k] = q[k] - lr * g[k]
    for k in MODEL_KEYS:
        np.testing.assert_allclose(p[k], q[k], rtol=1e-10, atol=1e-13)


def brute_force_windows(T: int, k1: int, k2: int) -> list[tuple[int, int, int]]:
    """``(start, end, new)`` of every update, by walking the sequence one step at a time: an update
    fires after every ``k1``-th step and after the last one; it backpropagates through the ``k2``
    steps that end where a full ``k1`` would have ended (clipped at 0), the losses of its ``new`` steps."""
    out, since = [], 0
    for t in range(1, T + 1):
        since += 1
        if since == k1 or t == T:
            out.append((max(0, t - since + k1 - k2), t, since))
            since = 0
    return out


def test_brute_force_windows_by_hand() -> None:
    assert brute_force_windows(12, 2, 5) == [(0, 2, 2), (0, 4, 2), (1, 6, 2), (3, 8, 2), (5, 10, 2), (7, 12, 2)]
    assert brute_force_windows(12, 5, 7) == [(0, 5, 5), (3, 10, 5), (8, 12, 2)]
    assert brute_force_windows(3, 4, 4) == [(0, 3, 3)]


@pytest.mark.parametrize("k1,k2", [(1, 3), (2, 5), (3, 3), (4, 8), (5, 7), (12, 12), (5, 20)])
def test_k1_k2_against_torch_detach(k1: int, k2: int) -> None:
    """TBPTT(k1, k2) at lr = 0: the updates fire where the brute-force walk says, and each one's
    gradient is autograd's on its steps start+1 … end from a detached state (losses of the newest)."""
    x, y, h0, params = problem(2)
    _, updates = TBPTT(k1, k2, lr=0.0).train(x, y, h0, params)
    windows = brute_force_windows(T, k1, k2)
    assert [u.end for u in updates] == [end for _, end, _ in windows]
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    for u, (start, end, new) in zip(updates, windows):
        with torch.no_grad():                         # the state entering the window: a constant
            h = torch.tensor(h0)
            for t in range(start):
                h = torch.tanh(torch.tensor(x[t]) @ tp["W_ih"].T + tp["b_ih"] + h @ tp["W_hh"].T + tp["b_hh"])
        loss = 0
        for t in range(start, end):
            h = torch.tanh(torch.tensor(x[t]) @ tp["W_ih"].T + tp["b_ih"] + h @ tp["W_hh"].T + tp["b_hh"])
            if t >= end - new:
                o = h @ tp["V"].T + tp["c"]
                loss = loss + torch.nn.functional.cross_entropy(o, torch.tensor(y[t]))
        grads = torch.autograd.grad(loss, [tp[k] for k in MODEL_KEYS])
        assert u.loss == pytest.approx(float(loss.detach()), rel=1e-12)
        for k, g in zip(MODEL_KEYS, grads):
            np.testing.assert_allclose(u.grads[k], g.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("k1,k2", [(4, 4), (3, 5), (12, 12)])
def test_memory_is_the_nbytes_of_the_arrays_each_backward_pass_holds(k1: int, k2: int, monkeypatch) -> None:
    """Update.cache_bytes is the nbytes of what the window's backward pass really holds: the arrays
    of the forward cache (not the parameters) and ∂L/∂o, caught as the trainer makes them; the
    longest window holds k2 steps, full BPTT all T (full_bptt_bytes)."""
    import solutions.tbptt as tbptt

    held: list[int] = []
    forward, loss_layer = tbptt.rnn_forward, tbptt.softmax_loss

    def spy_forward(*args):
        h, cache = forward(*args)
        held.append(sum(a.nbytes for a in (cache.x, cache.h0, cache.h)))
        return h, cache

    def spy_loss(*args):
        loss, do, grads = loss_layer(*args)
        held[-1] += do.nbytes
        return loss, do, grads

    monkeypatch.setattr(tbptt, "rnn_forward", spy_forward)
    monkeypatch.setattr(tbptt, "softmax_loss", spy_loss)
    x, y, h0, params = problem()
    _, updates = TBPTT(k1, k2).train(x, y, h0, params)
    assert [u.cache_bytes for u in updates] == held
    longest = max(end - start for start, end, _ in brute_force_windows(T, k1, k2))
    assert max(held) == 8 * longest * B * (I + H + O) + 8 * B * H
    if k1 == T:
        assert held == [full_bptt_bytes(T, B, I, H, O)]


@pytest.mark.parametrize("kwargs", [dict(k1=0), dict(k1=2, k2=1), dict(k1=True), dict(k1=2, lr=-1.0),
                                    dict(k1=2, lr=float("nan")), dict(k1=2.0)])
def test_bad_arguments_are_value_errors(kwargs) -> None:
    with pytest.raises(ValueError):
        TBPTT(**kwargs)


def test_full_bptt_is_one_window_and_one_update() -> None:
    x, y, h0, params = problem(3)
    p, updates = TBPTT(T, lr=0.1).train(x, y, h0, params)
    loss, g = bptt(x, y, h0, params)
    assert len(updates) == 1 and updates[0].loss == pytest.approx(loss, rel=1e-12)
    for k in MODEL_KEYS:
        np.testing.assert_allclose(p[k], params[k] - 0.1 * g[k], rtol=1e-12, atol=1e-14)
