"""solutions.gru (gru_forward, gru_backward) against torch.nn.GRU, torch autograd of the book's
formula, and finite differences; float32; bad inputs; returned arrays edited in place."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.gradcheck import numeric_grads, rel_error
from solutions.gru import GRUCache, gru_backward, gru_forward
from solutions.torch_ops import load_params
from solutions.validate import MODEL_KEYS

KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")
NAMES = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 3, 1), (6, 3, 4, 5)]  # (T, B, I, H)
dims = st.integers(min_value=1, max_value=6)


def inputs(T: int, B: int, I: int, H: int, seed: int = 0, dtype: type = np.float64):
    """x, h0, params, dh, dh_n — weights large enough that every gate is far from 1/2."""
    rng = np.random.default_rng(seed)
    params = {
        "W_ih": rng.normal(0, 0.7, (3 * H, I)),
        "W_hh": rng.normal(0, 0.7, (3 * H, H)),
        "b_ih": rng.normal(0, 0.4, 3 * H),
        "b_hh": rng.normal(0, 0.4, 3 * H),
    }
    arrays = (rng.normal(size=(T, B, I)), rng.normal(size=(B, H)), params,
              rng.normal(size=(T, B, H)), rng.normal(size=(B, H)))
    cast = lambda a: a.astype(dtype)
    x, h0, p, dh, dh_n = arrays
    return cast(x), cast(h0), {k: cast(v) for k, v in p.items()}, cast(dh), cast(dh_n)


def nn_gru(x, h0, params, dh, dh_n=None):
    """``h`` and the gradients of ``Σ_t ⟨dh_t, h_t⟩ + ⟨dh_n, h_T⟩`` through a real ``torch.nn.GRU``."""
    gru = load_params(torch.nn.GRU(x.shape[2], h0.shape[1], dtype=torch.float64), params)
    tx = torch.tensor(x, requires_grad=True)
    th0 = torch.tensor(h0[None], requires_grad=True)
    out, h_n = gru(tx, th0)
    loss = (out * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h_n[0] * torch.tensor(dh_n)).sum()
    loss.backward()
    grads = {k: getattr(gru, name).grad.numpy() for k, name in NAMES.items()}
    return out.detach().numpy(), {"x": tx.grad.numpy(), "h0": th0.grad[0].numpy(), **grads}


def book_gru(x, h0, params, dh, dh_n=None):
    """The book's GRU (reset before U, NNDL §6.6) written with torch ops, and its autograd gradients."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in {"x": x, "h0": h0, **{k: params[k] for k in KEYS}}.items()}
    H = h0.shape[1]
    W, U, b = t["W_ih"], t["W_hh"], t["b_ih"] + t["b_hh"]
    W_z, W_r, W_h = W[H:2 * H], W[:H], W[2 * H:]
    U_z, U_r, U_h = U[H:2 * H], U[:H], U[2 * H:]
    b_z, b_r, b_h = b[H:2 * H], b[:H], b[2 * H:]
    h, out = t["h0"], []
    for x_t in t["x"]:
        z = torch.sigmoid(x_t @ W_z.T + h @ U_z.T + b_z)
        r = torch.sigmoid(x_t @ W_r.T + h @ U_r.T + b_r)
        h_tilde = torch.tanh(x_t @ W_h.T + (r * h) @ U_h.T + b_h)
        h = z * h + (1 - z) * h_tilde
        out.append(h)
    out = torch.stack(out)
    loss = (out * torch.tensor(dh)).sum()
    if dh_n is not None:
        loss = loss + (h * torch.tensor(dh_n)).sum()
    loss.backward()
    return out.detach().numpy(), {k: v.grad.numpy() for k, v in t.items()}


def max_err(ours: dict, ref: dict) -> float:
    assert set(ours) == set(ref) == {"x", "h0", *KEYS}
    for k, r in ref.items():
        assert ours[k].shape == r.shape, k
    return max(float(np.max(np.abs(ours[k] - r))) for k, r in ref.items())


def check(T: int, B: int, I: int, H: int, seed: int, reset_after: bool, with_dh_n: bool = True) -> None:
    x, h0, params, dh, dh_n = inputs(T, B, I, H, seed)
    dh_n = dh_n if with_dh_n else None
    h, cache = gru_forward(x, h0, params, reset_after=reset_after)
    grads = gru_backward(dh, cache, dh_n)
    h_ref, grads_ref = (nn_gru if reset_after else book_gru)(x, h0, params, dh, dh_n)
    assert h.shape == (T, B, H) and h.dtype == np.float64
    assert np.max(np.abs(h - h_ref)) <= 1e-10
    assert max_err(grads, grads_ref) <= 1e-10


@pytest.mark.parametrize("reset_after", [True, False], ids=["torch", "book"])
@pytest.mark.parametrize("T, B, I, H", SHAPES)
def test_gru_equals_torch(T: int, B: int, I: int, H: int, reset_after: bool) -> None:
    check(T, B, I, H, seed=0, reset_after=reset_after)
    check(T, B, I, H, seed=1, reset_after=reset_after, with_dh_n=False)


@settings(max_examples=20, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), with_dh_n=st.booleans())
def test_gru_equals_torch_nn_gru_any_shape(T: int, B: int, I: int, H: int, seed: int, with_dh_n: bool) -> None:
    check(T, B, I, H, seed, reset_after=True, with_dh_n=with_dh_n)


@settings(max_examples=15, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), with_dh_n=st.booleans())
def test_book_gru_equals_autograd_of_its_formula_any_shape(T, B, I, H, seed, with_dh_n) -> None:
    check(T, B, I, H, seed, reset_after=False, with_dh_n=with_dh_n)


def test_the_two_forms_are_different_functions() -> None:
    """Reset before U and reset after U differ (unless b_hn = 0 and r = 1)."""
    x, h0, params, *_ = inputs(4, 2, 3, 5)
    h_torch, _ = gru_forward(x, h0, params)
    h_book, _ = gru_forward(x, h0, params, reset_after=False)
    assert np.max(np.abs(h_torch - h_book)) > 1e-2


@pytest.mark.parametrize("reset_after", [True, False], ids=["torch", "book"])
def test_finite_differences(reset_after: bool) -> None:
    x, h0, params, dh, dh_n = inputs(3, 2, 2, 3, seed=5)

    def loss() -> float:
        h, _ = gru_forward(x, h0, params, reset_after=reset_after)
        return float(np.sum(h * dh) + np.sum(h[-1] * dh_n))

    grads = gru_backward(dh, gru_forward(x, h0, params, reset_after=reset_after)[1], dh_n)
    for name, num in numeric_grads(loss, {"x": x, "h0": h0, **params}).items():
        assert rel_error(grads[name], num) <= 1e-7, name


@pytest.mark.parametrize("reset_after", [True, False], ids=["torch", "book"])
def test_float32_in_float32_out(reset_after: bool) -> None:
    x, h0, params, dh, dh_n = inputs(5, 3, 2, 4, dtype=np.float32)
    h, cache = gru_forward(x, h0, params, reset_after=reset_after)
    grads = gru_backward(dh, cache, dh_n)
    assert h.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    to64 = lambda a: a.astype(np.float64)
    h64, g64 = (nn_gru if reset_after else book_gru)(
        to64(x), to64(h0), {k: to64(v) for k, v in params.items()}, to64(dh), to64(dh_n))
    assert np.max(np.abs(h - h64)) <= 1e-5
    assert max_err(grads, g64) <= 1e-4


@pytest.mark.parametrize("reset_after", [True, False], ids=["torch", "book"])
def test_editing_returned_arrays_in_place_does_not_change_the_backward(reset_after: bool) -> None:
    x, h0, params, dh, dh_n = inputs(4, 2, 3, 5, seed=2)
    h, cache = gru_forward(x, h0, params, reset_after=reset_after)
    before = gru_backward(dh, cache, dh_n)
    h[...] = 7.0
    grads = gru_backward(dh, cache, dh_n)
    grads["h0"][...] = 3.0                     # nor does editing one backward's output the next one
    again = gru_backward(dh, cache, dh_n)
    assert max_err(before, again) == 0.0
    _, grads_ref = (nn_gru if reset_after else book_gru)(x, h0, params, dh, dh_n)
    assert max_err(before, grads_ref) <= 1e-10


def test_inputs_are_not_modified() -> None:
    x, h0, params, dh, dh_n = inputs(4, 2, 3, 5, seed=3)
    copies = [a.copy() for a in (x, h0, dh, dh_n, *params.values())]
    for reset_after in (True, False):
        gru_backward(dh, gru_forward(x, h0, params, reset_after=reset_after)[1], dh_n)
    for a, b in zip((x, h0, dh, dh_n, *params.values()), copies):
        assert np.array_equal(a, b)


def test_zero_update_gate_and_unit_reset_is_a_simple_rnn_on_the_candidate() -> None:
    """z = 0, r = 1 (large biases) turns either form into h_t = tanh(W_in x_t + W_hn h_{t-1} + b): NNDL §6.6."""
    x, h0, params, *_ = inputs(4, 2, 3, 5, seed=4)
    H = 5
    p = {k: v.copy() for k, v in params.items()}
    p["W_ih"][:2 * H] = p["W_hh"][:2 * H] = 0.0
    p["b_ih"][:H], p["b_ih"][H:2 * H] = 50.0, -50.0     # r = σ(50) = 1, z = σ(−50) ≈ 0
    p["b_hh"][:2 * H] = 0.0
    h = h0
    for x_t in x:
        h = np.tanh(x_t @ p["W_ih"][2 * H:].T + p["b_ih"][2 * H:] + h @ p["W_hh"][2 * H:].T + p["b_hh"][2 * H:])
    for reset_after in (True, False):
        assert np.max(np.abs(gru_forward(x, h0, p, reset_after=reset_after)[0][-1] - h)) <= 1e-12


def bad_cases():
    """(name, function, args, words the message must contain)."""
    x, h0, params, dh, dh_n = inputs(4, 2, 3, 5)
    nan = lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a)
    _, cache = gru_forward(x, h0, params)
    F, Bw = gru_forward, gru_backward
    return [
        ("x not 3-D", F, (x[0], h0, params), ["x", "(T, B, I)", "3-D"]),
        ("x a list", F, (x.tolist(), h0, params), ["x", "NumPy array"]),
        ("x int", F, (x.astype(int), h0, params), ["x", "float32 or float64"]),
        ("h0 wrong batch", F, (x, h0[:1], params), ["h0", "(B, H)", "B = 2"]),
        ("h0 1-D", F, (x, h0[0], params), ["h0", "(B, H)"]),
        ("W_ih with H rows (an RNN's)", F, (x, h0, {**params, "W_ih": params["W_ih"][:5]}),
         ["W_ih", "(3H, I)", "3H = 15"]),
        ("W_ih wrong input size", F, (x, h0, {**params, "W_ih": params["W_ih"][:, :2]}), ["W_ih", "(3H, I)", "I = 3"]),
        ("W_hh 4H rows (an LSTM's)", F, (x, h0, {**params, "W_hh": np.zeros((20, 5))}), ["W_hh", "(3H, H)", "3H = 15"]),
        ("W_hh not (3H, H)", F, (x, h0, {**params, "W_hh": params["W_hh"][:, :4]}), ["W_hh", "(3H, H)", "H = 5"]),
        ("b_hh wrong length", F, (x, h0, {**params, "b_hh": params["b_hh"][:14]}), ["b_hh", "(3H,)", "3H = 15"]),
        ("b_ih 2-D", F, (x, h0, {**params, "b_ih": params["b_ih"][None]}), ["b_ih", "(3H,)"]),
        ("missing key", F, (x, h0, {k: params[k] for k in ("W_ih", "W_hh", "b_ih")}), ["b_hh", "missing"]),
        ("params not a dict", F, (x, h0, [params["W_ih"]]), ["params", "dict"]),
        ("NaN in x", F, (nan(x), h0, params), ["x", "NaN"]),
        ("inf in h0", F, (x, h0 * np.inf, params), ["h0", "infinity"]),
        ("NaN in W_hh", F, (x, h0, {**params, "W_hh": nan(params["W_hh"])}), ["W_hh", "NaN"]),
        ("mixed dtypes", F, (x, h0, {**params, "b_ih": params["b_ih"].astype(np.float32)}),
         ["b_ih", "float32", "float64"]),
        ("h0 float32", F, (x, h0.astype(np.float32), params), ["h0", "float32"]),
        ("reset_after a string", F, (x, h0, params, "yes"), ["reset_after", "True", "False"]),
        ("reset_after an int", F, (x, h0, params, 1), ["reset_after"]),
        ("dh not shaped like h", Bw, (dh[:, :, :4], cache), ["dh", "(T, B, H)", "H = 5"]),
        ("dh missing a step", Bw, (dh[:3], cache), ["dh", "(T, B, H)", "T = 4"]),
        ("NaN in dh", Bw, (nan(dh), cache), ["dh", "NaN"]),
        ("dh float32", Bw, (dh.astype(np.float32), cache), ["dh", "float32"]),
        ("dh a list", Bw, (dh.tolist(), cache), ["dh", "NumPy array"]),
        ("dh_n (T, B, H)", Bw, (dh, cache, dh), ["dh_n", "(B, H)"]),
        ("dh_n wrong batch", Bw, (dh, cache, dh_n[:1]), ["dh_n", "(B, H)", "B = 2"]),
        ("inf in dh_n", Bw, (dh, cache, dh_n * np.inf), ["dh_n", "infinity"]),
        ("dh_n float32", Bw, (dh, cache, dh_n.astype(np.float32)), ["dh_n", "float32"]),
        ("cache a tuple", Bw, (dh, tuple(cache)), ["cache", "GRUCache", "gru_forward"]),
        ("cache None", Bw, (dh, None), ["cache", "GRUCache"]),
        ("cache of an RNN", Bw, (dh, (x, h0, dh, params)), ["cache", "GRUCache"]),
        ("cache field edited", Bw, (dh, cache._replace(hs=None)), ["cache", "hs"]),
    ]


BAD = bad_cases()


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_value_error_naming_the_argument(case) -> None:
    _, fn, args, words = case
    with pytest.raises(ValueError) as err:
        fn(*args)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_cache_type_is_a_named_tuple_read_by_field() -> None:
    x, h0, params, *_ = inputs(2, 1, 1, 2)
    _, cache = gru_forward(x, h0, params)
    assert isinstance(cache, GRUCache) and cache.reset_after is True and cache.hs.shape == (3, 1, 2)


@pytest.mark.parametrize("kind, module", [("rnn", torch.nn.RNN), ("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)])
def test_digit_sum_models_are_torch_nn_modules_one_per_seed(kind: str, module: type) -> None:
    """solutions.experiments.digit_sum trains several seeds in one graph; each copy is the torch.nn module."""
    from solutions.experiments import digit_sum as ds

    p = ds.init_params(kind, 4, seeds=[3, 4], forget_bias=2.0 if kind == "lstm" else None)
    digits, labels = ds.make_data(6, 5, np.random.default_rng(0))
    hs = ds.states(kind, p, digits)
    counts = ds.accuracy_counts(kind, p, digits, labels)
    for s in range(2):
        m = load_params(module(10, 4, dtype=torch.float64), {k: p[k][s] for k in NAMES})
        out, _ = m(torch.nn.functional.one_hot(torch.as_tensor(digits.T), 10).double())
        assert max(float((hs[t][s] - out[t]).abs().max().detach()) for t in range(6)) <= 1e-12
        o = out[-1] @ p["V"][s].T + p["c"][s]
        assert int((o.argmax(dim=1).numpy() == labels).sum()) == counts[s]
    if kind == "lstm":
        assert torch.all(p["b_ih"][:, 4:8] + p["b_hh"][:, 4:8] == 2.0)


def test_digit_sum_training_on_the_grid_forgets_last_bit_differences(monkeypatch) -> None:
    """What makes the digit-sum outputs CPU-independent: a last-bit change of the weights the
    first step sees (as another CPU's kernels make) is gone after rounding to the 2^-20 grid."""
    from solutions.experiments import digit_sum as ds

    original = ds.init_params
    runs = []
    for nudge in (0.0, 1e-15):
        def nudged(*args, nudge=nudge, **kw):
            p = original(*args, **kw)
            with torch.no_grad():
                p["W_hh"].mul_(1.0 + nudge)
            return p

        monkeypatch.setattr(ds, "init_params", nudged)
        runs.append(ds.train("gru", 5, 4, seeds=[0, 1], steps=20, batch=8, lr=0.03))
    assert not torch.equal(nudged("gru", 4, [0, 1])["W_hh"], original("gru", 4, [0, 1])["W_hh"])
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in MODEL_KEYS)
    assert all(torch.equal(v, torch.round(v / ds.GRID) * ds.GRID) for v in runs[0].values())


def test_digit_sum_states_take_one_digit_set_per_copy() -> None:
    """``states`` with digits (S, n, L) gives each copy the states of its own sequences."""
    from solutions.experiments import digit_sum as ds

    p = ds.init_params("lstm", 4, seeds=[0, 1, 2], forget_bias=1.0)
    rng = np.random.default_rng(5)
    digits = np.stack([ds.make_data(6, 3, rng)[0] for _ in range(3)])      # (S, n, L)
    each = ds.states("lstm", p, digits)
    for s in range(3):
        alone = ds.states("lstm", {k: v[s:s + 1] for k, v in p.items()}, digits[s])
        assert all(torch.equal(a[s], b[0]) for a, b in zip(each, alone))
    with pytest.raises(ValueError, match="digits"):
        ds.states("lstm", p, digits[:2])
