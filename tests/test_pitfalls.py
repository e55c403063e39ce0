"""The gradient check catches every deliberate bug of solutions.pitfalls, and passes the correct code."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions import pitfalls
from solutions.cell import rnn_cell_forward
from solutions.gradcheck import gradient_check, max_abs
from solutions.literal import double_sum_grads
from solutions.params import random_params
from solutions.pitfalls import PITFALLS, implementation
from solutions.sequence import rnn_backward, rnn_forward
from tests import rnn_reference as ref

CAUGHT = 1e-3   # a bug's relative error is at least this
PASSES = 1e-7   # the correct code's relative error is at most this

# (seed, T, B, I, H): I != H everywhere, so only W_hh is square; T = 7 is not a multiple of 3.
SHAPES = [(0, 5, 2, 3, 4), (1, 7, 3, 4, 3), (2, 4, 1, 2, 5)]


def problem(seed: int, T: int, B: int, I: int, H: int):
    rng = np.random.default_rng(seed)
    params = random_params(rng, I, H, std=0.4, bias_std=0.2)
    x = rng.standard_normal((T, B, I))
    h0 = 0.5 * rng.standard_normal((B, H))
    y = rng.uniform(-0.8, 0.8, (T, B, H))
    return x, h0, params, y


def check(name, truncate, x, h0, params, y) -> float:
    """Largest relative error over the four parameters."""
    return max(gradient_check(*implementation(name, truncate=truncate), x, h0, params, y, truncate=truncate).values())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("truncate", [None, 1, 3])
def test_correct_sequence_passes(shape, truncate) -> None:
    assert check(None, truncate, *problem(*shape)) <= PASSES


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,truncate", [
    ("forward_without_tanh", None), ("forward_without_tanh", 3),
    ("truncated_uses_h_t", 3), ("truncated_uses_h_t", None),
    ("sums_into_wrong_variable", None), ("sums_into_wrong_variable", 3),
    ("transposed_outer_product", None), ("transposed_outer_product", 3),
])
def test_gradient_check_catches_each_sequence_bug(shape, name, truncate) -> None:
    x, h0, params, y = problem(*shape)
    assert check(name, truncate, x, h0, params, y) > CAUGHT
    assert check(None, truncate, x, h0, params, y) <= PASSES


@pytest.mark.parametrize("name", ["truncated_uses_h_t", "sums_into_wrong_variable"])
def test_inner_loop_bugs_hide_when_the_inner_loop_never_steps(name) -> None:
    """truncate=1: δ_{t,t} only, so both bugs vanish; the check cannot see what is not there."""
    x, h0, params, y = problem(*SHAPES[1])
    h, cache = rnn_forward(x, h0, params)
    wrong, right = PITFALLS[name].function(h - y, cache, 1), rnn_backward(h - y, cache, 1)
    assert max(max_abs(wrong[k], right[k]) for k in right) <= 1e-13


@pytest.mark.parametrize("shape", SHAPES)
def test_transposed_outer_product_is_the_transpose_and_only_for_W_hh(shape) -> None:
    x, h0, params, y = problem(*shape)
    h, cache = rnn_forward(x, h0, params)
    right = rnn_backward(h - y, cache)
    wrong = pitfalls.transposed_outer_product(h - y, cache)
    assert max_abs(right["W_hh"], right["W_hh"].T) > CAUGHT          # non-symmetric: the bug shows
    assert max_abs(wrong["W_hh"], right["W_hh"].T) <= 1e-13
    assert max(max_abs(wrong[k], right[k]) for k in right if k != "W_hh") <= 1e-13


def test_transposed_outer_product_is_invisible_when_dW_hh_is_symmetric() -> None:
    """H = 1: a 1x1 gradient is its own transpose, so this case can never catch the bug."""
    x, h0, params, y = problem(3, 5, 2, 3, 1)
    assert check("transposed_outer_product", None, x, h0, params, y) <= PASSES


def _cell_case(seed: int, B: int = 3, I: int = 4, H: int = 5):
    x, h0, params, y = problem(seed, 1, B, I, H)
    return x[0], h0, params, y[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reads_global_right_only_while_the_global_equals_the_cache(seed) -> None:
    x, h_prev, params, y = _cell_case(seed)
    h, cache = rnn_cell_forward(x, h_prev, params)
    _, right = ref.cell(x, h_prev, params, h - y)      # torch autograd, independent of our kernels
    bias = params["b_ih"] + params["b_hh"]

    same = pitfalls.reads_global(bias.copy())(h - y, cache)
    assert set(same) == set(right)
    assert max(max_abs(same[k], right[k]) for k in right) <= 1e-12
    assert max(gradient_check(*implementation("reads_global", ba=bias.copy()), x, h_prev, params, y).values()) <= PASSES

    stale = pitfalls.reads_global(bias + 0.5)(h - y, cache)
    assert max_abs(stale["b_ih"], right["b_ih"]) > CAUGHT
    assert max(max_abs(stale[k], right[k]) for k in right if k not in ("b_ih", "b_hh")) <= 1e-12
    errors = gradient_check(*implementation("reads_global", ba=bias + 0.5), x, h_prev, params, y)
    assert errors["b_ih"] > CAUGHT and errors["b_hh"] > CAUGHT
    assert errors["W_ih"] <= PASSES and errors["W_hh"] <= PASSES
    assert max(gradient_check(*implementation(None, cell=True), x, h_prev, params, y).values()) <= PASSES


def test_truncated_gradient_needs_the_windowed_loss_as_reference() -> None:
    """Correct truncated BPTT is not the gradient of the full loss: the check must use the windows."""
    x, h0, params, y = problem(*SHAPES[1])
    forward, backward = implementation(None, truncate=3)
    assert max(gradient_check(forward, backward, x, h0, params, y, truncate=3).values()) <= PASSES
    assert max(gradient_check(forward, backward, x, h0, params, y, truncate=None).values()) > CAUGHT


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 6), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 4),
       truncate=st.sampled_from([None, 1, 2, 3, 5]), seed=st.integers(0, 2**16))
def test_double_sum_with_the_right_step_equals_rnn_backward(T, B, I, H, truncate, seed) -> None:
    """The loop the bugs live in is, bug-free, exactly the O(T) rnn_backward."""
    x, h0, params, y = problem(seed, T, B, I, H)
    h, cache = rnn_forward(x, h0, params)
    want, got = rnn_backward(h - y, cache, truncate), double_sum_grads(h - y, cache, truncate)
    assert got.keys() == want.keys()
    assert max(max_abs(got[k], want[k]) for k in want) <= 1e-12


@pytest.mark.parametrize("name", list(PITFALLS))
def test_each_variant_has_the_signature_of_the_function_it_mimics(name) -> None:
    fn, description, mimics = PITFALLS[name]
    doc = fn.__doc__
    if name == "reads_global":                 # made from the leftover ba it reads
        fn = fn(np.zeros(3))
    assert fn.__name__ == name and description
    assert list(inspect.signature(fn).parameters) == list(inspect.signature(mimics).parameters)
    assert "Bug:" in doc and "Symptom:" in doc and "Fix:" in doc


def test_bad_input_names_the_argument() -> None:
    x, h0, params, y = problem(*SHAPES[0])
    h, cache = rnn_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"dh must have shape \(T, B, H\)"):
        pitfalls.truncated_uses_h_t(h[0] - y[0], cache)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, I\)"):
        pitfalls.forward_without_tanh(x[0], h0, params)
    with pytest.raises(ValueError, match="truncate"):
        pitfalls.sums_into_wrong_variable(h - y, cache, 0)
    with pytest.raises(ValueError, match="name must be None or one of"):
        implementation("no_such_bug")
    with pytest.raises(ValueError, match="ba must be the leftover bias"):
        implementation("reads_global")


def test_no_mutable_module_global() -> None:
    """The leftover bias lives in the function reads_global makes, not in the module."""
    assert not hasattr(pitfalls, "ba")
