"""The readable GRU (solutions.gru's cell and loop), both forms, against the fast kernels, torch.nn.GRU
(PyTorch's form) and autograd of the book's formula (the book's form); same input checks as the
fast functions; the equation numbers in its comments match the 6-5 page."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.gru import (
    gru_backward,
    gru_backward_loop,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    gru_forward_loop,
)
from tests.test_gru import BAD, book_gru, inputs, max_err, nn_gru
from tests.test_lstm_loop import ROOT, equation_numbers, message, without_source

dims = st.integers(min_value=1, max_value=4)


@settings(max_examples=15, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), with_dh_n=st.booleans(),
       reset_after=st.booleans())
@example(T=1, B=1, I=1, H=1, seed=0, with_dh_n=True, reset_after=True)
@example(T=1, B=1, I=1, H=1, seed=0, with_dh_n=False, reset_after=False)
def test_loop_equals_fast_kernel_and_torch(T, B, I, H, seed, with_dh_n, reset_after) -> None:
    x, h0, params, dh, dh_n = inputs(T, B, I, H, seed)
    dh_n = dh_n if with_dh_n else None
    h, cache = gru_forward_loop(x, h0, params, reset_after=reset_after)
    grads = gru_backward_loop(dh, cache, dh_n=dh_n)
    h_fast, fast = gru_forward(x, h0, params, reset_after=reset_after)
    assert h.shape == (T, B, H) and h.dtype == np.float64
    assert np.max(np.abs(h - h_fast)) <= 1e-12
    assert max_err(grads, gru_backward(dh, fast, dh_n)) <= 1e-12
    h_ref, grads_ref = (nn_gru if reset_after else book_gru)(x, h0, params, dh, dh_n)
    assert np.max(np.abs(h - h_ref)) <= 1e-10
    assert max_err(grads, grads_ref) <= 1e-10


@settings(max_examples=10, deadline=None)
@given(B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), reset_after=st.booleans())
@example(B=1, I=1, H=1, seed=0, reset_after=False)
def test_cell_is_one_step_of_the_fast_kernel(B, I, H, seed, reset_after) -> None:
    x, h0, params, dh, _ = inputs(1, B, I, H, seed)
    h, cache = gru_cell_forward(x[0], h0, params, reset_after=reset_after)
    h_fast, fast = gru_forward(x, h0, params, reset_after=reset_after)
    assert h.shape == (B, H) and np.max(np.abs(h - h_fast[0])) <= 1e-14
    grads = gru_cell_backward(dh[0], cache)
    assert set(grads) == {"x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"}
    ref = gru_backward(dh, fast)
    h0_grad, x_grad = grads.pop("h_prev"), grads.pop("x")
    assert max_err({**grads, "h0": h0_grad, "x": x_grad[None]}, ref) <= 1e-14


@pytest.mark.parametrize("reset_after", [True, False], ids=["torch", "book"])
def test_dh_n_adds_to_the_last_step(reset_after: bool) -> None:
    x, h0, params, dh, dh_n = inputs(4, 2, 3, 5, seed=7)
    _, cache = gru_forward_loop(x, h0, params, reset_after=reset_after)
    dh2 = dh.copy()
    dh2[-1] += dh_n
    assert max_err(gru_backward_loop(dh, cache, dh_n=dh_n), gru_backward_loop(dh2, cache)) <= 1e-14


@pytest.mark.parametrize("reset_after", [True, False], ids=["torch", "book"])
def test_float32_in_float32_out(reset_after: bool) -> None:
    x, h0, params, dh, dh_n = inputs(5, 3, 2, 4, dtype=np.float32)
    h, cache = gru_forward_loop(x, h0, params, reset_after=reset_after)
    grads = gru_backward_loop(dh, cache, dh_n)
    assert h.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    h_fast, fast = gru_forward(x, h0, params, reset_after=reset_after)
    assert np.max(np.abs(h - h_fast)) <= 1e-6
    assert max_err(grads, gru_backward(dh, fast, dh_n)) <= 1e-5


FORWARD = [c for c in BAD if c[1] is gru_forward]
GRADIENTS = [c for c in BAD if c[1] is gru_backward and not c[0].startswith("cache")]


@pytest.mark.parametrize("case", FORWARD, ids=[c[0] for c in FORWARD])
def test_loop_rejects_what_gru_forward_rejects_with_the_same_message(case) -> None:
    _, _, args, _ = case
    assert message(gru_forward_loop, *args) == message(gru_forward, *args)


@pytest.mark.parametrize("case", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_backward_loop_rejects_bad_gradients_like_gru_backward(case) -> None:
    _, _, (dh, fast, *extra), _ = case
    x, h0, params, *_ = inputs(4, 2, 3, 5)
    loop = gru_forward_loop(x, h0, params)[1]
    assert without_source(message(gru_backward_loop, dh, loop, *extra)) == without_source(message(gru_backward, dh, fast, *extra))


def test_bad_caches_and_cell_inputs_name_the_argument() -> None:
    x, h0, params, dh, _ = inputs(4, 2, 3, 5)
    fast = gru_forward(x, h0, params)[1]
    loop = gru_forward_loop(x, h0, params)[1]
    cases = [
        (gru_backward_loop, (dh, fast), ["cache", "GRULoopCache", "gru_forward_loop"]),
        (gru_backward_loop, (dh, loop._replace(steps=[])), ["cache", "steps", "empty"]),
        (gru_cell_forward, (x, h0, params), ["x", "(B, I)", "2-D"]),
        (gru_cell_forward, (x[0], h0[:1], params), ["h_prev", "(B, H)", "B = 2"]),
        (gru_cell_forward, (x[0], h0, {**params, "W_ih": params["W_ih"][:5]}), ["W_ih", "(3H, I)", "3H = 15"]),
        (gru_cell_forward, (x[0], h0, params, "no"), ["reset_after", "True", "False"]),
        (gru_cell_backward, (dh, loop.steps[0]), ["dh", "(B, H)", "2-D"]),
        (gru_cell_backward, (dh[0].astype(np.float32), loop.steps[0]), ["dh", "float32"]),
        (gru_cell_backward, (dh[0], fast), ["cache", "GRUCellCache", "gru_cell_forward"]),
    ]
    for fn, args, words in cases:
        text = message(fn, *args)
        assert all(w in text for w in words), text


# Each equation of docs/gru.md that the readable cell implements, and a piece of the code line
# that carries its number.
EQUATION_LINES = {
    "gru-gates": "z = sigmoid(a[:, z_]",
    "gru-cand": "n = np.tanh(a[:, n_] + s @ W_hh[n_].T",
    "gru-h": "h = z * h_prev + (1 - z) * n",
    "gru-cand-torch": "n = np.tanh(a[:, n_] + r * u)",
    "gru-total": "g = gru_cell_backward(dh[t] + dh_next",
    "gru-out": "dn = (1 - z) * dh",
    "gru-dhz": "d_z = z * (1 - z) * dz",
    "gru-dr-book": "d_r = r * (1 - r) * h_prev * ds",
    "gru-dr-torch": "d_r = r * (1 - r) * u * d_n",
    "gru-back": '"h_prev": z * dh + d_b @ W_hh',
    "gru-params": '"W_ih": d_a.T @ x',
    "gru-Uh": "d_n.T @ s",
}


def test_code_comments_carry_the_pages_equation_numbers() -> None:
    numbers = equation_numbers("gru.md", "Gr")
    assert numbers == equation_numbers("gru.zh.md", "Gr")
    lines = (ROOT / "solutions" / "gru.py").read_text(encoding="utf-8").splitlines()
    for label, code in EQUATION_LINES.items():
        tagged = [line for line in lines if code in line]
        assert tagged and all(f"# {numbers[label]}" in line for line in tagged), (label, numbers[label], tagged)
    cited = {f"({n})" for n in re.findall(r"\((Gr\d+)\)", "\n".join(lines))}
    assert cited <= set(numbers.values())
