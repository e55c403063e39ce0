"""solutions.lstm against torch.nn.LSTM, torch autograd of the book's equations, finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions import gru, sequence
from solutions.gradcheck import numeric_grads, rel_error
from solutions.lstm import LSTMCache, lstm_backward, lstm_forward
from solutions.params import PARAM_NAMES, random_params
from solutions.torch_ops import load_params

KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 3, 1), (6, 3, 4, 5)]  # (T, B, I, H)
dims = st.integers(min_value=1, max_value=5)


def inputs(T: int, B: int, I: int, H: int, seed: int = 0, dtype: type = np.float64):
    """x, h0, c0, params, dh, dh_n, dc_n."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H, gates=4, std=0.6, bias_std=0.3, dtype=dtype)
    arrays = [rng.normal(size=s).astype(dtype) for s in [(T, B, I), (B, H), (B, H), (T, B, H), (B, H), (B, H)]]
    x, h0, c0, dh, dh_n, dc_n = arrays
    return x, h0, c0, params, dh, dh_n, dc_n


def nn_lstm(x, h0, c0, params, dh, dh_n=None, dc_n=None):
    """h, c_n and every gradient through a real float64 ``torch.nn.LSTM``, keyed like ours."""
    I, H = x.shape[2], h0.shape[1]
    m = load_params(torch.nn.LSTM(I, H, dtype=torch.float64), params)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in (("x", x), ("h0", h0), ("c0", c0))}
    out, (h_n, c_n) = m(t["x"], (t["h0"][None], t["c0"][None]))
    loss = (out * torch.tensor(dh, dtype=torch.float64)).sum()
    if dh_n is not None:
        loss = loss + (h_n[0] * torch.tensor(dh_n, dtype=torch.float64)).sum()
    if dc_n is not None:
        loss = loss + (c_n[0] * torch.tensor(dc_n, dtype=torch.float64)).sum()
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in t.items()}
    grads.update({k: getattr(m, PARAM_NAMES[k] + "_l0").grad.numpy() for k in KEYS})
    return out.detach().numpy(), c_n[0].detach().numpy(), grads


def book_cells(x, h0, c0, params):
    """Every c_t by the book's equations (NNDL §6.6) written with torch ops, gates i, f, c̃, o."""
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
    W_i, W_f, W_c, W_o = t["W_ih"].chunk(4)
    U_i, U_f, U_c, U_o = t["W_hh"].chunk(4)
    b_i, b_f, b_c, b_o = (t["b_ih"] + t["b_hh"]).chunk(4)
    h, c, cs = torch.tensor(h0), torch.tensor(c0), []
    for x_t in torch.tensor(x):
        i = torch.sigmoid(x_t @ W_i.T + h @ U_i.T + b_i)
        f = torch.sigmoid(x_t @ W_f.T + h @ U_f.T + b_f)
        o = torch.sigmoid(x_t @ W_o.T + h @ U_o.T + b_o)
        c_tilde = torch.tanh(x_t @ W_c.T + h @ U_c.T + b_c)
        c = f * c + i * c_tilde
        h = o * torch.tanh(c)
        cs.append(c)
    return torch.stack(cs).numpy()


def max_err(ours: dict, ref: dict) -> float:
    assert set(ours) == set(ref)
    for k in ref:
        assert ours[k].shape == ref[k].shape and ours[k].dtype == ref[k].dtype, k
    return max(float(np.max(np.abs(ours[k] - ref[k]))) for k in ref)


def check(T: int, B: int, I: int, H: int, seed: int, with_n: bool = True) -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(T, B, I, H, seed)
    if not with_n:
        dh_n = dc_n = None
    h, c, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dh, cache, dh_n, dc_n)
    h_ref, c_n_ref, grads_ref = nn_lstm(x, h0, c0, params, dh, dh_n, dc_n)
    assert h.shape == c.shape == (T, B, H)
    assert np.max(np.abs(h - h_ref)) <= 1e-10
    assert np.max(np.abs(c[-1] - c_n_ref)) <= 1e-10
    assert np.max(np.abs(c - book_cells(x, h0, c0, params))) <= 1e-10
    assert max_err(grads, grads_ref) <= 1e-10


@pytest.mark.parametrize("T, B, I, H", SHAPES)
@pytest.mark.parametrize("with_n", [True, False])
def test_equals_torch_nn_lstm(T: int, B: int, I: int, H: int, with_n: bool) -> None:
    check(T, B, I, H, seed=0, with_n=with_n)


@settings(max_examples=20, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), with_n=st.booleans())
def test_equals_torch_nn_lstm_any_shape(T: int, B: int, I: int, H: int, seed: int, with_n: bool) -> None:
    check(T, B, I, H, seed, with_n)


def test_dh_n_and_dc_n_are_extra_gradients_into_the_last_step() -> None:
    """dh_n adds to dh[-1]; dc_n is a gradient no dh can express (it enters c_T directly)."""
    x, h0, c0, params, dh, dh_n, dc_n = inputs(4, 2, 3, 5, seed=7)
    _, _, cache = lstm_forward(x, h0, c0, params)
    dh2 = dh.copy()
    dh2[-1] += dh_n
    assert max_err(lstm_backward(dh, cache, dh_n=dh_n), lstm_backward(dh2, cache)) <= 1e-14
    assert max_err(lstm_backward(dh, cache, dc_n=0 * dc_n), lstm_backward(dh, cache)) == 0.0
    assert np.max(np.abs(lstm_backward(dh, cache, dc_n=dc_n)["c0"] - lstm_backward(dh, cache)["c0"])) > 1e-3


def test_finite_differences() -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(3, 2, 2, 3, seed=4)

    def loss() -> float:
        h, c, _ = lstm_forward(x, h0, c0, params)
        return float(np.sum(h * dh) + np.sum(h[-1] * dh_n) + np.sum(c[-1] * dc_n))

    grads = lstm_backward(dh, lstm_forward(x, h0, c0, params)[2], dh_n, dc_n)
    for name, num in numeric_grads(loss, {"x": x, "h0": h0, "c0": c0, **params}).items():
        assert rel_error(grads[name], num) <= 1e-7, name


def test_float32_in_float32_out() -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(6, 3, 4, 5, dtype=np.float32)
    h, c, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dh, cache, dh_n, dc_n)
    assert h.dtype == c.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    f64 = lambda a: a.astype(np.float64)  # noqa: E731
    h_ref, _, grads_ref = nn_lstm(f64(x), f64(h0), f64(c0), {k: f64(v) for k, v in params.items()},
                                  f64(dh), f64(dh_n), f64(dc_n))
    assert np.max(np.abs(h - h_ref)) <= 1e-5
    assert max(float(np.max(np.abs(grads[k] - grads_ref[k]))) for k in grads_ref) <= 1e-4


def test_editing_the_outputs_in_place_changes_nothing() -> None:
    """The cache keeps its own h and c: h *= 0, c += 1 on the returned arrays leave the gradients
    as they were, and a second backward from the same cache gives the same numbers."""
    x, h0, c0, params, dh, dh_n, dc_n = inputs(5, 2, 3, 4, seed=2)
    h, c, cache = lstm_forward(x, h0, c0, params)
    before = lstm_backward(dh, cache, dh_n, dc_n)
    h *= 0.0
    c += 1.0
    assert max_err(lstm_backward(dh, cache, dh_n, dc_n), before) == 0.0
    h2, c2, _ = lstm_forward(x, h0, c0, params)
    assert not np.shares_memory(h2, cache.h) and not np.shares_memory(c2, cache.c)


def test_inputs_are_not_modified() -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(4, 2, 3, 4, seed=3)
    copies = [a.copy() for a in (x, h0, c0, dh, dh_n, dc_n, *params.values())]
    lstm_backward(dh, lstm_forward(x, h0, c0, params)[2], dh_n, dc_n)
    assert all(np.array_equal(a, b) for a, b in zip((x, h0, c0, dh, dh_n, dc_n, *params.values()), copies))


def test_gate_order_is_pytorchs() -> None:
    """A huge forget-gate bias (rows H:2H) keeps c_t = c_{t-1}; on any other block it does not."""
    x, h0, c0, params, *_ = inputs(3, 2, 3, 4, seed=5)
    H = 4
    for block, keeps in [(1, True), (0, False), (2, False), (3, False)]:
        p = {k: v.copy() for k, v in params.items()}
        p["b_ih"][block * H:(block + 1) * H] = 50.0
        p["b_ih"][:H] = -50.0 if block != 0 else 50.0   # input gate shut (unless it is the block tested)
        _, c, _ = lstm_forward(x, h0, c0, p)
        assert np.allclose(c[-1], c0, atol=1e-12) == keeps, block


def bad_case(case: str):
    """(function, args, words the message must contain) for one bad input."""
    x, h0, c0, params, dh, dh_n, dc_n = inputs(4, 2, 3, 5)
    _, _, cache = lstm_forward(x, h0, c0, params)
    nan = lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a)  # noqa: E731
    cases = {
        "x not 3-D": (lstm_forward, (x[0], h0, c0, params), ["x", "(T, B, I)", "3-D"]),
        "h0 wrong B": (lstm_forward, (x, h0[:1], c0, params), ["h0", "(B, H)", "B = 2"]),
        "c0 wrong H": (lstm_forward, (x, h0, c0[:, :4], params), ["c0", "(B, H)", "H = 5"]),
        "c0 1-D": (lstm_forward, (x, h0, c0[0], params), ["c0", "(B, H)"]),
        "W_ih not 4H rows": (lstm_forward, (x, h0, c0, {**params, "W_ih": params["W_ih"][:15]}),
                             ["W_ih", "(4H, I)", "4H = 20"]),
        "W_hh with H rows": (lstm_forward, (x, h0, c0, {**params, "W_hh": params["W_hh"][:5]}),
                             ["W_hh", "(4H, H)", "4H = 20"]),
        "W_hh not H columns": (lstm_forward, (x, h0, c0, {**params, "W_hh": params["W_hh"][:, :4]}),
                               ["W_hh", "(4H, H)", "H = 5"]),
        "W_ih wrong input size": (lstm_forward, (x, h0, c0, {**params, "W_ih": params["W_ih"][:, :2]}),
                                  ["W_ih", "(4H, I)", "I = 3"]),
        "b_hh of H": (lstm_forward, (x, h0, c0, {**params, "b_hh": params["b_hh"][:5]}), ["b_hh", "(4H,)", "4H = 20"]),
        "b_ih 2-D": (lstm_forward, (x, h0, c0, {**params, "b_ih": params["b_ih"][:, None]}), ["b_ih", "(4H,)"]),
        "missing b_hh": (lstm_forward, (x, h0, c0, {k: params[k] for k in ("W_ih", "W_hh", "b_ih")}),
                         ["b_hh", "missing"]),
        "params not a dict": (lstm_forward, (x, h0, c0, list(params.values())), ["params", "dict"]),
        "NaN in x": (lstm_forward, (nan(x), h0, c0, params), ["x", "NaN"]),
        "inf in c0": (lstm_forward, (x, h0, c0 * np.inf, params), ["c0", "infinity"]),
        "NaN in W_hh": (lstm_forward, (x, h0, c0, {**params, "W_hh": nan(params["W_hh"])}), ["W_hh", "NaN"]),
        "mixed dtypes": (lstm_forward, (x, h0, c0.astype(np.float32), params), ["c0", "float32", "float64"]),
        "int x": (lstm_forward, (x.astype(int), h0, c0, params), ["x", "float32 or float64"]),
        "x a list": (lstm_forward, (x.tolist(), h0, c0, params), ["x", "NumPy array", "(T, B, I)"]),
        "c0 missing": (lstm_forward, (x, h0, None, params), ["c0", "NumPy array"]),
        "dh wrong H": (lstm_backward, (dh[:, :, :4], cache), ["dh", "(T, B, H)", "H = 5"]),
        "dh missing a step": (lstm_backward, (dh[:3], cache), ["dh", "(T, B, H)", "T = 4"]),
        "NaN in dh": (lstm_backward, (nan(dh), cache), ["dh", "NaN"]),
        "dh float32": (lstm_backward, (dh.astype(np.float32), cache), ["dh", "float32"]),
        "dh_n wrong shape": (lstm_backward, (dh, cache, dh_n[:1]), ["dh_n", "(B, H)", "B = 2"]),
        "dc_n wrong shape": (lstm_backward, (dh, cache, None, dc_n.T), ["dc_n", "(B, H)"]),
        "dc_n NaN": (lstm_backward, (dh, cache, None, nan(dc_n)), ["dc_n", "NaN"]),
        "dh_n float32": (lstm_backward, (dh, cache, dh_n.astype(np.float32)), ["dh_n", "float32"]),
        "cache a tuple": (lstm_backward, (dh, tuple(cache)), ["cache", "LSTMCache", "lstm_forward"]),
        "cache None": (lstm_backward, (dh, None), ["cache", "LSTMCache"]),
        "an RNN cache": (lstm_backward, (dh, sequence.rnn_forward(x, h0, random_params(0, 3, 5))[1]),
                         ["cache", "LSTMCache"]),
        "a GRU cache": (lstm_backward, (dh, gru.gru_forward(x, h0, random_params(0, 3, 5, gates=3))[1]),
                        ["cache", "LSTMCache"]),
        "malformed cache": (lstm_backward, (dh, cache._replace(gates=cache.gates.tolist())),
                            ["cache", "gates", "NumPy array"]),
        "cache params not arrays": (lstm_backward, (dh, cache._replace(params={"W_ih": [1.0]})),
                                    ["cache", "params"]),
    }
    return cases[case]


CASES = [
    "x not 3-D", "h0 wrong B", "c0 wrong H", "c0 1-D", "W_ih not 4H rows", "W_hh with H rows", "W_hh not H columns",
    "W_ih wrong input size", "b_hh of H", "b_ih 2-D", "missing b_hh", "params not a dict", "NaN in x", "inf in c0",
    "NaN in W_hh", "mixed dtypes", "int x", "x a list", "c0 missing", "dh wrong H", "dh missing a step", "NaN in dh",
    "dh float32", "dh_n wrong shape", "dc_n wrong shape", "dc_n NaN", "dh_n float32", "cache a tuple", "cache None",
    "an RNN cache", "a GRU cache", "malformed cache", "cache params not arrays",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_raises_value_error_naming_the_argument(case: str) -> None:
    fn, args, words = bad_case(case)
    with pytest.raises(ValueError) as err:
        fn(*args)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_cache_type_is_exported() -> None:
    _, _, cache = lstm_forward(*inputs(2, 1, 1, 1)[:4])
    assert isinstance(cache, LSTMCache) and cache.h.shape == (2, 1, 1)
