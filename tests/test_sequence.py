"""solutions.sequence (rnn_forward, rnn_backward, bptt) against torch autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.gradcheck import numeric_grads, rel_error
from solutions.sequence import (
    bptt,
    rnn_backward,
    rnn_backward_loop,
    rnn_forward,
    rnn_forward_loop,
)
from tests import rnn_reference as ref

SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 3, 1), (6, 3, 4, 5)]  # (T, B, I, H)
dims = st.integers(min_value=1, max_value=6)


def inputs(T: int, B: int, I: int, H: int, O: int = 3, seed: int = 0, dtype: type = np.float64):
    """x, h0, params (with V, c), dh, y."""
    rng = np.random.default_rng(seed)
    x, h0, dh = rng.normal(size=(T, B, I)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))
    y = rng.integers(0, O, size=(T, B))
    return (x.astype(dtype), h0.astype(dtype), ref.random_params(rng, I, H, O, dtype=dtype),
            dh.astype(dtype), y)


def check_sequence(T: int, B: int, I: int, H: int, seed: int) -> None:
    x, h0, params, dh, _ = inputs(T, B, I, H, seed=seed)
    h, cache = rnn_forward(x, h0, params)
    grads = rnn_backward(dh, cache)
    h_ref, grads_ref = ref.nn_rnn(x, h0, params, dh)
    assert h.shape == (T, B, H) and np.max(np.abs(h - h_ref)) <= 1e-10
    assert set(grads) == {"x", "h0", *ref.KEYS}
    assert ref.max_err(grads, grads_ref) <= 1e-10


def check_bptt(T: int, B: int, I: int, H: int, O: int, seed: int, truncate: int | None = None) -> None:
    x, h0, params, _, y = inputs(T, B, I, H, O, seed=seed)
    loss, grads = bptt(x, y, h0, params, truncate)
    loss_ref, grads_ref = ref.bptt(x, y, h0, params, truncate)
    assert isinstance(loss, float) and abs(loss - loss_ref) <= 1e-10
    assert set(grads) == set(params) | {"x", "h0"}
    assert ref.max_err(grads, grads_ref) <= 1e-10


@pytest.mark.parametrize("T, B, I, H", SHAPES)
def test_rnn_forward_backward_equal_torch_nn_rnn(T: int, B: int, I: int, H: int) -> None:
    check_sequence(T, B, I, H, seed=0)


@pytest.mark.parametrize("T, B, I, H", SHAPES)
def test_bptt_equals_torch_autograd(T: int, B: int, I: int, H: int) -> None:
    check_bptt(T, B, I, H, O=3, seed=0)


@settings(max_examples=25, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16))
def test_rnn_forward_backward_any_shape(T: int, B: int, I: int, H: int, seed: int) -> None:
    check_sequence(T, B, I, H, seed)


@settings(max_examples=25, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, O=st.integers(1, 5), seed=st.integers(0, 2**16),
       truncate=st.none() | st.integers(1, 7))
def test_bptt_any_shape(T: int, B: int, I: int, H: int, O: int, seed: int, truncate: int | None) -> None:
    check_bptt(T, B, I, H, O, seed, truncate)


@settings(max_examples=25, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), truncate=st.none() | st.integers(1, 7),
       f32=st.booleans())
def test_fast_path_equals_the_loop_of_cells(T: int, B: int, I: int, H: int, seed: int, truncate: int | None,
                                            f32: bool) -> None:
    """rnn_forward/rnn_backward compute what the readable loop of cells computes."""
    x, h0, params, dh, _ = inputs(T, B, I, H, seed=seed, dtype=np.float32 if f32 else np.float64)
    h, cache = rnn_forward(x, h0, params)
    h_loop, cache_loop = rnn_forward_loop(x, h0, params)
    tol = 1e-5 if f32 else 1e-12
    assert h.dtype == h_loop.dtype and np.max(np.abs(h - h_loop)) <= tol
    fast, loop = rnn_backward(dh, cache, truncate), rnn_backward_loop(dh, cache_loop, truncate)
    assert set(fast) == set(loop) == {"x", "h0", *ref.KEYS}
    scale = max(1.0, *(float(np.max(np.abs(g))) for g in loop.values()))
    assert ref.max_err(fast, loop) <= tol * scale


@settings(max_examples=15, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), truncate=st.none() | st.integers(1, 7))
def test_dh_n_is_the_gradient_through_h_n_as_torch_returns_it(T: int, B: int, I: int, H: int, seed: int,
                                                              truncate: int | None) -> None:
    """``dh_n`` enters as the gradient of ``torch.nn.RNN``'s ``h_n`` (with truncation: of the last
    state of the detached loop), in the fast pair and in the loop of cells."""
    x, h0, params, dh, _ = inputs(T, B, I, H, seed=seed)
    dh_n = np.random.default_rng(seed + 1).normal(size=(B, H))
    if truncate is None:
        _, want = ref.nn_rnn(x, h0, params, dh, dh_n)
    else:
        _, want = ref.sequence(x, h0, params, dh, truncate, dh_n)
    _, cache = rnn_forward(x, h0, params)
    _, cache_loop = rnn_forward_loop(x, h0, params)
    assert ref.max_err(rnn_backward(dh, cache, truncate, dh_n=dh_n), want) <= 1e-10
    assert ref.max_err(rnn_backward_loop(dh, cache_loop, truncate, dh_n=dh_n), want) <= 1e-10
    without = rnn_backward(dh, cache, truncate)
    assert ref.max_err(rnn_backward(dh, cache, truncate, dh_n=np.zeros((B, H))), without) == 0.0


def test_dh_n_of_the_wrong_shape_or_dtype_names_dh_n() -> None:
    x, h0, params, dh, _ = inputs(3, 2, 4, 5)
    _, cache = rnn_forward(x, h0, params)
    _, cache_loop = rnn_forward_loop(x, h0, params)
    for backward, c in ((rnn_backward, cache), (rnn_backward_loop, cache_loop)):
        for bad in (np.zeros((1, 2, 5)), np.zeros((2, 4)), np.zeros((2, 5), np.float32), np.full((2, 5), np.nan)):
            with pytest.raises(ValueError, match="dh_n"):
                backward(dh, c, dh_n=bad)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 9])  # T = 6: k divides T (1, 2, 3, 6), does not (4, 5), k > T (9)
def test_truncated_bptt_equals_torch_detach_every_k_steps(k: int) -> None:
    check_bptt(6, 2, 3, 4, O=3, seed=k, truncate=k)
    x, h0, params, dh, _ = inputs(6, 2, 3, 4, seed=k)
    _, cache = rnn_forward(x, h0, params)
    _, grads_ref = ref.sequence(x, h0, params, dh, truncate=k)
    assert ref.max_err(rnn_backward(dh, cache, truncate=k), grads_ref) <= 1e-10


def test_truncation_changes_the_gradient_but_not_the_loss() -> None:
    """The detach really cuts: with k < T the gradients differ from full BPTT, and k >= T changes nothing."""
    x, h0, params, _, y = inputs(6, 2, 3, 4)
    loss, full = bptt(x, y, h0, params)
    loss2, cut = bptt(x, y, h0, params, truncate=2)
    _, long = bptt(x, y, h0, params, truncate=6)
    assert loss2 == loss
    assert np.max(np.abs(cut["W_hh"] - full["W_hh"])) > 1e-3
    assert ref.max_err(long, full) == 0.0


@pytest.mark.parametrize("truncate", [None, 2, 3])
def test_bptt_finite_differences_on_every_parameter_and_x_h0(truncate: int | None) -> None:
    """Central differences of the loss; when truncated, of the loss with each later window's
    entering state held at its unperturbed value (the function truncated BPTT differentiates)."""
    x, h0, params, _, y = inputs(5, 2, 3, 3, O=3, seed=3)
    _, grads = bptt(x, y, h0, params, truncate)
    k = truncate or len(x)
    frozen = rnn_forward(x, h0, params)[0].copy()

    def loss() -> float:
        return sum(bptt(x[s:s + k], y[s:s + k], h0 if s == 0 else frozen[s - 1], params)[0]
                   for s in range(0, len(x), k))

    for name, num in numeric_grads(loss, {"x": x, "h0": h0, **params}).items():
        assert rel_error(grads[name], num) <= 1e-7, name


def test_rnn_backward_finite_differences() -> None:
    x, h0, params, dh, _ = inputs(3, 2, 2, 3, seed=4)
    params = {k: params[k] for k in ref.KEYS}
    loss = lambda: float(np.sum(rnn_forward(x, h0, params)[0] * dh))  # noqa: E731  ∂loss/∂h_t = dh_t
    grads = rnn_backward(dh, rnn_forward(x, h0, params)[1])
    for name, num in numeric_grads(loss, {"x": x, "h0": h0, **params}).items():
        assert rel_error(grads[name], num) <= 1e-7, name


def test_float32_in_float32_out() -> None:
    x, h0, params, dh, y = inputs(5, 3, 2, 4, dtype=np.float32)
    h, cache = rnn_forward(x, h0, params)
    grads = rnn_backward(dh, cache)
    loss, bgrads = bptt(x, y, h0, params, truncate=2)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in [*grads.values(), *bgrads.values()])
    _, grads64 = ref.nn_rnn(x.astype(np.float64), h0.astype(np.float64),
                            {k: v.astype(np.float64) for k, v in params.items()}, dh.astype(np.float64))
    assert ref.max_err(grads, grads64) <= 1e-4


def bad_case(case: str):
    """(function, args, words the message must contain) for one bad input."""
    x, h0, params, dh, y = inputs(4, 2, 3, 5)
    rnn = {k: params[k] for k in ref.KEYS}
    nan = lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a)  # noqa: E731
    cases = {
        "x not 3-D": (rnn_forward, (x[0], h0, rnn), ["x", "(T, B, I)", "3-D"]),
        "h0 not (B, H)": (rnn_forward, (x, h0[:1], rnn), ["h0", "(B, H)", "B = 2"]),
        "h0 1-D": (rnn_forward, (x, h0[0], rnn), ["h0", "(B, H)"]),
        "h0 wider than the weights": (rnn_forward, (x, np.zeros((2, 6)), rnn),
                                      ["params['W_ih']", "(H, I)", "H = 6", "H = 6 was set by h0"]),
        "W_hh not square": (rnn_forward, (x, h0, {**rnn, "W_hh": rnn["W_hh"][:, :4]}), ["W_hh", "(H, H)", "H = 5"]),
        "W_ih wrong input size": (rnn_forward, (x, h0, {**rnn, "W_ih": rnn["W_ih"][:, :2]}), ["W_ih", "(H, I)", "I = 3"]),
        "b_hh wrong length": (rnn_forward, (x, h0, {**rnn, "b_hh": rnn["b_hh"][:4]}), ["b_hh", "(H,)", "H = 5"]),
        "missing key": (rnn_forward, (x, h0, {k: rnn[k] for k in ("W_ih", "W_hh", "b_ih")}), ["b_hh", "missing"]),
        "params not a dict": (rnn_forward, (x, h0, [rnn["W_ih"]]), ["params", "dict"]),
        "NaN in x": (rnn_forward, (nan(x), h0, rnn), ["x", "NaN"]),
        "inf in h0": (rnn_forward, (x, h0 * np.inf, rnn), ["h0", "infinity"]),
        "NaN in a parameter": (rnn_forward, (x, h0, {**rnn, "b_ih": nan(rnn["b_ih"])}), ["b_ih", "NaN"]),
        "mixed dtypes": (rnn_forward, (x, h0, {**rnn, "W_hh": rnn["W_hh"].astype(np.float32)}),
                         ["W_hh", "float32", "float64", "mixed"]),
        "x a list": (rnn_forward, (x.tolist(), h0, rnn), ["x", "NumPy array", "(T, B, I)"]),
        "dh not shaped like h": (rnn_backward, (dh[:, :, :4], rnn_forward(x, h0, rnn)[1]), ["dh", "(T, B, H)", "H = 5"]),
        "dh missing a step": (rnn_backward, (dh[:3], rnn_forward(x, h0, rnn)[1]), ["dh", "(T, B, H)", "T = 4"]),
        "NaN in dh": (rnn_backward, (nan(dh), rnn_forward(x, h0, rnn)[1]), ["dh", "NaN"]),
        "dh float32": (rnn_backward, (dh.astype(np.float32), rnn_forward(x, h0, rnn)[1]), ["dh", "float32"]),
        "cache not a cache": (rnn_backward, (dh, (x, h0)), ["cache", "rnn_forward"]),
        "truncate 0": (rnn_backward, (dh, rnn_forward(x, h0, rnn)[1], 0), ["truncate", ">= 1"]),
        "truncate float": (bptt, (x, y, h0, params, 2.0), ["truncate", "integer"]),
        "truncate bool": (bptt, (x, y, h0, params, True), ["truncate", "integer"]),
        "truncate negative": (bptt, (x, y, h0, params, -1), ["truncate", ">= 1"]),
        "y wrong shape": (bptt, (x, y[:, :1], h0, params), ["y", "(T, B)", "B = 2"]),
        "y 1-D": (bptt, (x, y[0], h0, params), ["y", "(T, B)"]),
        "y out of range": (bptt, (x, y + 3, h0, params), ["y", "[0, O)", "(T, B)"]),
        "y negative": (bptt, (x, y - 1, h0, params), ["y", "[0, O)"]),
        "y float": (bptt, (x, y.astype(np.float64), h0, params), ["y", "integer", "(T, B)"]),
        "V wrong hidden size": (bptt, (x, y, h0, {**params, "V": params["V"][:, :4]}), ["V", "(O, H)", "H = 5"]),
        "c wrong length": (bptt, (x, y, h0, {**params, "c": params["c"][:2]}), ["c", "(O,)", "O = 3"]),
        "missing V": (bptt, (x, y, h0, rnn), ["V", "missing"]),
        "bptt missing W_ih": (bptt, (x, y, h0, {k: v for k, v in params.items() if k != "W_ih"}), ["W_ih", "missing"]),
        "bptt NaN in V": (bptt, (x, y, h0, {**params, "V": nan(params["V"])}), ["V", "NaN"]),
    }
    return cases[case]


@pytest.mark.parametrize("case", [
    "x not 3-D", "h0 not (B, H)", "h0 1-D", "h0 wider than the weights", "W_hh not square", "W_ih wrong input size", "b_hh wrong length",
    "missing key", "params not a dict", "NaN in x", "inf in h0", "NaN in a parameter", "mixed dtypes", "x a list",
    "dh not shaped like h", "dh missing a step", "NaN in dh", "dh float32", "cache not a cache", "truncate 0",
    "truncate float", "truncate bool", "truncate negative", "y wrong shape", "y 1-D", "y out of range",
    "y negative", "y float", "V wrong hidden size", "c wrong length", "missing V", "bptt missing W_ih",
    "bptt NaN in V",
])
def test_bad_input_raises_value_error_naming_the_argument(case: str) -> None:
    fn, args, words = bad_case(case)
    with pytest.raises(ValueError) as err:
        fn(*args)
    assert all(w in str(err.value) for w in words), str(err.value)
