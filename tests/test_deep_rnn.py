"""solutions.deep_rnn (deep transition DT/DT(S), skip connection) against torch autograd,
finite differences, the simple RNN and hand computations; bad inputs get a ValueError."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.deep_rnn import (
    DtCache,
    dt_backward,
    dt_forward,
    dt_forward_torch,
    random_deep_params,
    skip_backward,
    skip_forward,
    skip_forward_torch,
    stacked_forward_torch,
)
from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.sequence import rnn_backward, rnn_forward


def case(T, B, I, H, seed, m=1, shortcut=False, skip=False, dtype=np.float64):
    rng = np.random.default_rng(seed)
    p = random_deep_params(rng, I, H, m, shortcut, skip)
    x, h0 = rng.normal(size=(T, B, I)), rng.normal(0, 0.5, (B, H))
    dh, dh_n = rng.normal(size=(T, B, H)), rng.normal(size=(B, H))
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return cast(x), cast(h0), {k: cast(v) for k, v in p.items()}, cast(dh), cast(dh_n)


def autograd(run, x, h0, params, dh, dh_n):
    """h and every gradient of L = Σ dh ⊙ h + dh_n ⊙ h_T by torch autograd."""
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in {**params, "x": x, "h0": h0}.items()}
    h = torch.stack(run(leaves["x"], leaves["h0"], leaves))
    loss = (h * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h[-1] * torch.tensor(dh_n)).sum()
    loss.backward()
    return h.detach().numpy(), {k: t.grad.numpy() for k, t in leaves.items()}


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 6), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 5),
       m=st.integers(1, 4), shortcut=st.booleans(), with_dh_n=st.booleans(), seed=st.integers(0, 2**16))
@example(T=1, B=1, I=1, H=1, m=1, shortcut=False, with_dh_n=True, seed=0)
@example(T=5, B=2, I=3, H=4, m=4, shortcut=True, with_dh_n=True, seed=1)
def test_deep_transition_equals_torch_autograd(T, B, I, H, m, shortcut, with_dh_n, seed) -> None:
    shortcut = shortcut and m >= 2
    x, h0, p, dh, dh_n = case(T, B, I, H, seed, m, shortcut)
    dh_n = dh_n if with_dh_n else None
    h, cache = dt_forward(x, h0, p, m, shortcut)
    grads = dt_backward(dh, cache, dh_n)
    h_ref, ref = autograd(lambda a, b, q: dt_forward_torch(a, b, q, m, shortcut), x, h0, p, dh, dh_n)
    assert h.shape == (T, B, H) and max_abs(h, h_ref) <= 1e-12
    assert set(grads) == set(ref)
    for k in ref:
        assert grads[k].shape == ref[k].shape and max_abs(grads[k], ref[k]) <= 1e-10, k


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 8), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 5),
       skip=st.integers(2, 10), with_dh_n=st.booleans(), seed=st.integers(0, 2**16))
@example(T=1, B=1, I=1, H=1, skip=2, with_dh_n=False, seed=0)       # the skip edge only reads h_0
@example(T=8, B=2, I=2, H=3, skip=3, with_dh_n=True, seed=2)
def test_skip_rnn_equals_torch_autograd(T, B, I, H, skip, with_dh_n, seed) -> None:
    x, h0, p, dh, dh_n = case(T, B, I, H, seed, skip=True)
    dh_n = dh_n if with_dh_n else None
    h, cache = skip_forward(x, h0, p, skip)
    grads = skip_backward(dh, cache, dh_n)
    h_ref, ref = autograd(lambda a, b, q: skip_forward_torch(a, b, q, skip), x, h0, p, dh, dh_n)
    assert max_abs(h, h_ref) <= 1e-12
    assert set(grads) == set(ref)
    for k in ref:
        assert grads[k].shape == ref[k].shape and max_abs(grads[k], ref[k]) <= 1e-10, k


@settings(max_examples=15, deadline=None)
@given(T=st.integers(1, 6), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_one_layer_is_the_simple_rnn(T, B, I, H, seed) -> None:
    x, h0, p, dh, dh_n = case(T, B, I, H, seed)
    h, cache = dt_forward(x, h0, p, 1)
    h_rnn, c_rnn = rnn_forward(x, h0, p)
    assert max_abs(h, h_rnn) <= 1e-15
    grads, want = dt_backward(dh, cache, dh_n), rnn_backward(dh + np.eye(T)[-1][:, None, None] * dh_n, c_rnn)
    assert set(grads) == set(want)
    for k in want:
        assert max_abs(grads[k], want[k]) <= 1e-13, k


def test_forward_by_hand() -> None:
    x, h0, p, _, _ = case(1, 2, 3, 4, seed=5, m=2, shortcut=True)
    g1 = np.tanh(x[0] @ p["W_ih"].T + h0 @ p["W_hh"].T + p["b_ih"] + p["b_hh"])
    want = np.tanh(g1 @ p["W_2"].T + p["b_2"] + h0 @ p["W_sc"].T)
    assert max_abs(dt_forward(x, h0, p, 2, shortcut=True)[0][0], want) <= 1e-15
    x, h0, p, _, _ = case(4, 2, 3, 4, seed=6, skip=True)
    h, _ = skip_forward(x, h0, p, skip=3)
    prev = [h0, h[0], h[1]]
    z = x[3] @ p["W_ih"].T + h[2] @ p["W_hh"].T + h[0] @ p["W_skip"].T + p["b_ih"] + p["b_hh"]
    assert max_abs(h[3], np.tanh(z)) <= 1e-15                        # h_4 reads h_3 and h_1
    z = x[1] @ p["W_ih"].T + prev[1] @ p["W_hh"].T + h0 @ p["W_skip"].T + p["b_ih"] + p["b_hh"]
    assert max_abs(h[1], np.tanh(z)) <= 1e-15                        # h_2 reads h_1 and h_{-1} = h_0


def test_torch_references_match_torch_nn_rnn() -> None:
    T, B, I, H = 5, 2, 3, 4
    torch.manual_seed(0)
    for L in (1, 2, 3):
        rnn = torch.nn.RNN(I, H, num_layers=L).double()
        x, h0 = torch.randn(T, B, I, dtype=torch.float64), torch.randn(L, B, H, dtype=torch.float64)
        out, h_n = rnn(x, h0)
        layers = [{k: getattr(rnn, f"{n}_l{l}") for k, n in
                   (("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh"))}
                  for l in range(L)]
        hs = stacked_forward_torch(x, h0, layers)                 # hs[t][l]
        assert max_abs(torch.stack([h[-1] for h in hs]).detach().numpy(), out.detach().numpy()) <= 1e-14
        assert max_abs(torch.stack(hs[-1]).detach().numpy(), h_n.detach().numpy()) <= 1e-14
        if L == 1:
            h1 = torch.stack(dt_forward_torch(x, h0[0], layers[0], 1))
            assert max_abs(h1.detach().numpy(), out.detach().numpy()) <= 1e-14


@pytest.mark.parametrize("m, shortcut", [(1, False), (3, False), (3, True)])
def test_deep_transition_equals_finite_differences(m, shortcut) -> None:
    x, h0, p, dh, dh_n = case(4, 2, 3, 3, seed=11, m=m, shortcut=shortcut)
    grads = dt_backward(dh, dt_forward(x, h0, p, m, shortcut)[1], dh_n)

    def loss() -> float:
        h = dt_forward(x, h0, p, m, shortcut)[0]
        return float((h * dh).sum() + (h[-1] * dh_n).sum())

    numeric = numeric_grads(loss, {**p, "x": x, "h0": h0})
    for k in numeric:
        assert rel_error(grads[k], numeric[k]) <= 1e-7, k


def test_skip_equals_finite_differences() -> None:
    x, h0, p, dh, dh_n = case(6, 2, 3, 3, seed=12, skip=True)
    grads = skip_backward(dh, skip_forward(x, h0, p, 4)[1], dh_n)

    def loss() -> float:
        h = skip_forward(x, h0, p, 4)[0]
        return float((h * dh).sum() + (h[-1] * dh_n).sum())

    numeric = numeric_grads(loss, {**p, "x": x, "h0": h0})
    for k in numeric:
        assert rel_error(grads[k], numeric[k]) <= 1e-7, k


def test_float32_stays_float32_and_cache_is_a_copy() -> None:
    x, h0, p, dh, _ = case(3, 2, 2, 3, seed=3, m=2, dtype=np.float32)
    h, cache = dt_forward(x, h0, p, 2)
    g = dt_backward(dh, cache)
    assert h.dtype == np.float32 and all(v.dtype == np.float32 for v in g.values())
    h *= 0.0                                           # editing the returned states …
    assert max_abs(dt_backward(dh, cache)["W_ih"], g["W_ih"]) == 0.0   # … leaves the gradients alone
    x, h0, p, dh, _ = case(3, 2, 2, 3, seed=3, skip=True, dtype=np.float32)
    h, cache = skip_forward(x, h0, p, 2)
    assert h.dtype == np.float32 and skip_backward(dh, cache)["W_skip"].dtype == np.float32


def _bad_calls():
    x, h0, p, dh, _ = case(3, 2, 4, 5, seed=0, m=2, shortcut=True)
    sp = case(3, 2, 4, 5, seed=0, skip=True)[2]
    cache = dt_forward(x, h0, p, 2, True)[1]
    no_w2 = {k: v for k, v in p.items() if k != "W_2"}
    no_sc = {k: v for k, v in p.items() if k != "W_sc"}
    return [
        (lambda: dt_forward(x[0], h0, p, 2), r"x must have shape \(T, B, I\)"),
        (lambda: dt_forward(x, h0[:1], p, 2), r"h0 must have shape \(B, H\) with B = 2"),
        (lambda: dt_forward(x, h0, no_w2, 2), r"params is missing key 'W_2' \(expected an array of shape \(H, H\)\)"),
        (lambda: dt_forward(x, h0, no_sc, 2, True), r"missing key 'W_sc'"),
        (lambda: dt_forward(x, h0, {**p, "W_2": p["W_2"][:, :3]}, 2), r"params\['W_2'\] must have shape \(H, H\)"),
        (lambda: dt_forward(x, h0, p, 0), "m must be an integer >= 1"),
        (lambda: dt_forward(x, h0, p, 1, True), "shortcut=True needs m >= 2"),
        (lambda: dt_forward(x, h0, p, 2, "yes"), "shortcut must be a bool"),
        (lambda: dt_forward(x.astype(np.float32), h0, p, 2), "mixed dtypes"),
        (lambda: dt_forward(np.full_like(x, np.nan), h0, p, 2), "NaN or infinity"),
        (lambda: dt_backward(dh[:2], cache), r"dh must have shape \(T, B, H\) with T = 3"),
        (lambda: dt_backward(dh, cache, dh[0, :, :2]), r"dh_n must have shape \(B, H\) with H = 5"),
        (lambda: dt_backward(dh, (1, 2)), "cache must be the DtCache returned by solutions.deep_rnn.dt_forward"),
        (lambda: dt_backward(dh, DtCache(x, h0, None, p, True)), r"cache\.g must be a NumPy array of shape \(m, T, B, H\)"),
        (lambda: skip_forward(x, h0, sp, 1), "skip must be an integer >= 2"),
        (lambda: skip_forward(x, h0, p, 2), r"params is missing key 'W_skip'"),
        (lambda: skip_backward(dh, cache), "cache must be the SkipCache"),
    ]


@pytest.mark.parametrize("i", range(17))
def test_bad_inputs_raise_value_error_naming_the_argument(i) -> None:
    call, match = _bad_calls()[i]
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_call_list_is_complete() -> None:
    assert len(_bad_calls()) == 17


@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 6), B=st.integers(1, 3), H=st.integers(1, 4), skip=st.integers(2, 7), seed=st.integers(0, 2**16))
def test_one_loop_pair_serves_both_structures(T, B, H, skip, seed) -> None:
    """The shared loops: a skip edge with U_Δ = 0 is the simple RNN, forward and backward (DT with m = 1)."""
    x, h0, p, dh, dh_n = case(T, B, 2, H, seed, skip=True)
    p["W_skip"] = np.zeros_like(p["W_skip"])
    h, cache = skip_forward(x, h0, p, skip)
    h1, cache1 = dt_forward(x, h0, p, 1)
    assert max_abs(h, h1) <= 0.0
    grads, want = skip_backward(dh, cache, dh_n), dt_backward(dh, cache1, dh_n)
    assert set(grads) == set(want) | {"W_skip"}
    for k in want:
        assert max_abs(grads[k], want[k]) <= 1e-14, k


def naive_skip_forward(x, h0, q, T, skip):
    """The pitfall's code: a preallocated list, slot 0 = h_0, slots 1 … T zero and written in turn,
    read as ``hs[t - skip]`` (a negative index wraps round)."""
    hs = [h0] + [torch.zeros_like(h0)] * T
    for t in range(1, T + 1):
        hs[t] = torch.tanh(x[t - 1] @ q["W_ih"].T + q["b_ih"] + hs[t - 1] @ q["W_hh"].T
                           + hs[t - skip] @ q["W_skip"].T + q["b_hh"])
    return hs[1:]


@settings(max_examples=5, deadline=None)
@given(T=st.integers(3, 8), skip=st.integers(2, 9), seed=st.integers(0, 2**16))
@example(T=6, skip=4, seed=0)                     # the referee's case: T = 6, Δ = 4, h_0 = 0
@example(T=6, skip=7, seed=0)                     # Δ = T + 1, the buffer's length
def test_naive_negative_index_is_silent_forward_equal_gradient_wrong(T, skip, seed) -> None:
    """The page's pitfall: for Δ ≤ T + 1 (the buffer's length), indexing a preallocated state
    buffer as ``hs[t − Δ]`` raises nothing for t < Δ (a negative index wraps round to a slot not
    yet written, still zero). With h_0 = 0 the forward states equal the correct ones
    (h_{t−Δ} = h_0 for t ≤ Δ), but ∂L/∂h_0 misses every U_Δ term and disagrees with the correct
    model's gradient (skip_backward = autograd)."""
    skip = min(skip, T + 1)                       # Δ ≤ T + 1: some step t < Δ reads before the start
    x, _, p, dh, _ = case(T, 2, 3, 4, seed, skip=True)
    h0 = np.zeros((2, 4))
    h, cache = skip_forward(x, h0, p, skip)
    right = skip_backward(dh, cache)["h0"]
    h_naive, wrong = autograd(lambda a, b, q: naive_skip_forward(a, b, q, T, skip), x, h0, p, dh, None)
    assert max_abs(h_naive, h) <= 1e-12           # forward: no error, the same states
    assert max_abs(wrong["h0"], right) > 1e-3     # backward: ∂L/∂h_0 differs


@settings(max_examples=5, deadline=None)
@given(T=st.integers(3, 8), past=st.integers(0, 4), seed=st.integers(0, 2**16))
@example(T=6, past=0, seed=0)                     # the referee's case: T = 6, Δ = 8
def test_naive_negative_index_past_the_buffer(T, past, seed) -> None:
    """The same code for Δ > T + 1: at Δ = T + 2 the index t − Δ wraps round to slot t − 1, already
    written, so there is still no error but the forward states differ from the correct model's;
    Δ ≥ T + 3 puts t − Δ below −(T + 1) at t = 1 and raises an IndexError."""
    skip = T + 2 + past
    x, _, p, _, _ = case(T, 2, 3, 4, seed, skip=True)
    h0 = np.zeros((2, 4))
    h, _ = skip_forward(x, h0, p, skip)
    q = {k: torch.tensor(v) for k, v in p.items()}
    if past == 0:
        h_naive = torch.stack(naive_skip_forward(torch.tensor(x), torch.tensor(h0), q, T, skip)).numpy()
        assert max_abs(h_naive, h) > 1e-6
    else:
        with pytest.raises(IndexError):
            naive_skip_forward(torch.tensor(x), torch.tensor(h0), q, T, skip)


def growing_skip_forward(x, h0, q, T, skip):
    """The pitfall with a growing list: ``hs = [h_0]``, then ``hs.append``, read as ``hs[t - skip]``."""
    hs = [h0]
    for t in range(1, T + 1):
        hs.append(torch.tanh(x[t - 1] @ q["W_ih"].T + q["b_ih"] + hs[t - 1] @ q["W_hh"].T
                             + hs[t - skip] @ q["W_skip"].T + q["b_hh"]))
    return hs[1:]


@settings(max_examples=5, deadline=None)
@given(T=st.integers(2, 8), skip=st.integers(2, 10), seed=st.integers(0, 2**16))
@example(T=6, skip=2, seed=0)
@example(T=6, skip=3, seed=0)
def test_naive_negative_index_growing_list(T, skip, seed) -> None:
    """A growing list (``hs = [h_0]``, ``hs.append``) read as ``hs[t − Δ]`` has length t at step t,
    so Δ ≥ 3 raises an IndexError at t = 1; for Δ = 2, ``hs[-1]`` at t = 1 and ``hs[0]`` at t = 2 are
    h_0, so states and every gradient equal the correct model's, with a nonzero h_0 too."""
    x, h0, p, dh, _ = case(T, 2, 3, 4, seed, skip=True)    # h0 ~ N(0, 0.5²), nonzero
    if skip >= 3:
        q = {k: torch.tensor(v) for k, v in p.items()}
        with pytest.raises(IndexError):
            growing_skip_forward(torch.tensor(x), torch.tensor(h0), q, T, skip)
        return
    h, cache = skip_forward(x, h0, p, skip)
    want = skip_backward(dh, cache)
    h_grow, grads = autograd(lambda a, b, q: growing_skip_forward(a, b, q, T, skip), x, h0, p, dh, None)
    assert max_abs(h_grow, h) <= 1e-12
    for k in ("h0", "W_skip", "W_hh", "x"):
        assert max_abs(grads[k], want[k]) <= 1e-12, k


@pytest.mark.parametrize("index", ["correct", "naive"])
def test_torch_tensor_buffer_written_in_place_fails_at_backward(index) -> None:
    """The pitfall's other container: a torch tensor buffer written in place (``hs[t] = ...``)
    does not fail silently; backward() raises autograd's in-place error, with the correct index
    (max(t − Δ, 0)) as well as the naive one (T = 6, Δ = 4)."""
    T, skip, B, H = 6, 4, 2, 3
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(H, H, generator=gen, dtype=torch.float64, requires_grad=True)
    W_skip = torch.randn(H, H, generator=gen, dtype=torch.float64, requires_grad=True)
    x = torch.randn(T, B, H, generator=gen, dtype=torch.float64)
    hs = torch.zeros(T + 1, B, H, dtype=torch.float64)
    for t in range(1, T + 1):
        back = t - skip if index == "naive" else max(t - skip, 0)
        hs[t] = torch.tanh(x[t - 1] + hs[t - 1] @ W.T + hs[back] @ W_skip.T)
    with pytest.raises(RuntimeError, match="inplace operation"):
        hs[1:].sum().backward()
