"""solutions.cell against torch autograd, finite differences, dtypes and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from solutions.cell import rnn_cell_backward, rnn_cell_forward
from solutions.gradcheck import numeric_grads, rel_error
from tests import rnn_reference as ref

SHAPES = [(1, 1, 1), (1, 3, 2), (4, 3, 5), (3, 1, 1), (2, 6, 1)]  # (B, I, H)


def inputs(B: int, I: int, H: int, seed: int = 0, dtype: type = np.float64):
    rng = np.random.default_rng(seed)
    x, h_prev, dh = rng.normal(size=(B, I)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    return x.astype(dtype), h_prev.astype(dtype), ref.random_params(rng, I, H, dtype=dtype), dh.astype(dtype)


@pytest.mark.parametrize("B, I, H", SHAPES)
def test_forward_and_backward_equal_torch_autograd(B: int, I: int, H: int) -> None:
    x, h_prev, params, dh = inputs(B, I, H)
    h, cache = rnn_cell_forward(x, h_prev, params)
    grads = rnn_cell_backward(dh, cache)
    h_ref, grads_ref = ref.cell(x, h_prev, params, dh)
    assert np.max(np.abs(h - h_ref)) <= 1e-10
    assert set(grads) == {"x", "h_prev", *ref.KEYS}
    assert ref.max_err(grads, grads_ref) <= 1e-10


@pytest.mark.parametrize("B, I, H", [(1, 1, 1), (3, 2, 4)])
def test_finite_differences_on_every_input(B: int, I: int, H: int) -> None:
    x, h_prev, params, dh = inputs(B, I, H, seed=1)
    arrays = {"x": x, "h_prev": h_prev, **params}
    loss = lambda: float(np.sum(rnn_cell_forward(x, h_prev, params)[0] * dh))  # noqa: E731  ∂loss/∂h = dh
    grads = rnn_cell_backward(dh, rnn_cell_forward(x, h_prev, params)[1])
    for name, num in numeric_grads(loss, arrays).items():
        assert rel_error(grads[name], num) <= 1e-7, name


def test_float32_in_float32_out() -> None:
    x, h_prev, params, dh = inputs(3, 2, 4, dtype=np.float32)
    h, cache = rnn_cell_forward(x, h_prev, params)
    grads = rnn_cell_backward(dh, cache)
    assert h.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    h64, grads64 = ref.cell(*(a.astype(np.float64) for a in (x, h_prev)),
                            {k: v.astype(np.float64) for k, v in params.items()}, dh.astype(np.float64))
    assert np.max(np.abs(h - h64)) <= 1e-5 and ref.max_err(grads, grads64) <= 1e-4


def _bad(name: str):
    x, h_prev, params, _ = inputs(2, 3, 4)
    if name == "x not 2-D":
        return (x[None], h_prev, params), ["x", "(B, I)"]
    if name == "h_prev batch":
        return (x, h_prev[:1], params), ["h_prev", "(B, H)", "B = 2"]
    if name == "W_hh not square":
        return (x, h_prev, {**params, "W_hh": params["W_hh"][:, :3]}), ["W_hh", "(H, H)"]
    if name == "b_ih length":
        return (x, h_prev, {**params, "b_ih": np.zeros(5)}), ["b_ih", "(H,)", "H = 4"]
    if name == "missing key":
        return (x, h_prev, {k: v for k, v in params.items() if k != "b_hh"}), ["b_hh", "(H,)"]
    if name == "NaN in x":
        return (np.where(x > 0, np.nan, x), h_prev, params), ["x", "NaN"]
    if name == "inf in a parameter":
        return (x, h_prev, {**params, "W_ih": params["W_ih"] * np.inf}), ["W_ih", "infinity"]
    if name == "mixed dtypes":
        return (x, h_prev.astype(np.float32), params), ["h_prev", "float32", "float64"]
    if name == "list input":
        return (x.tolist(), h_prev, params), ["x", "NumPy array", "(B, I)"]
    if name == "integer x":
        return (np.ones((2, 3), dtype=np.int64), h_prev, params), ["x", "float32 or float64"]
    raise AssertionError(name)


@pytest.mark.parametrize("case", ["x not 2-D", "h_prev batch", "W_hh not square", "b_ih length", "missing key",
                                  "NaN in x", "inf in a parameter", "mixed dtypes", "list input", "integer x"])
def test_bad_forward_input_names_the_argument(case: str) -> None:
    args, words = _bad(case)
    with pytest.raises(ValueError) as err:
        rnn_cell_forward(*args)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("dh, words", [
    (np.zeros((2, 5)), ["dh", "(B, H)", "H = 4"]),
    (np.zeros((2, 4), dtype=np.float32), ["dh", "float32"]),
    (np.full((2, 4), np.inf), ["dh", "infinity"]),
    (np.zeros(4), ["dh", "(B, H)"]),
])
def test_bad_upstream_gradient_names_dh(dh: np.ndarray, words: list[str]) -> None:
    x, h_prev, params, _ = inputs(2, 3, 4)
    _, cache = rnn_cell_forward(x, h_prev, params)
    with pytest.raises(ValueError) as err:
        rnn_cell_backward(dh, cache)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_bad_cache() -> None:
    with pytest.raises(ValueError, match=r"cache must be the CellCache returned by solutions.cell.rnn_cell_forward"):
        rnn_cell_backward(np.zeros((2, 4)), ("not", "a cache"))
