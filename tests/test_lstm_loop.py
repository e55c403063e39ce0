"""The readable LSTM (solutions.lstm's cell and loop) against the fast kernels and torch.nn.LSTM;
same input checks as the fast functions; the equation numbers in its comments match the 6-4 page."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.lstm import (
    LSTMCellCache,
    lstm_backward,
    lstm_backward_loop,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    lstm_forward_loop,
)
from tests.test_lstm import CASES, bad_case, inputs, max_err, nn_lstm

ROOT = Path(__file__).resolve().parents[1]
dims = st.integers(min_value=1, max_value=4)


@settings(max_examples=15, deadline=None)
@given(T=dims, B=dims, I=dims, H=dims, seed=st.integers(0, 2**16), with_n=st.booleans())
@example(T=1, B=1, I=1, H=1, seed=0, with_n=True)
@example(T=1, B=1, I=1, H=1, seed=0, with_n=False)
def test_loop_equals_fast_kernel_and_torch_nn_lstm(T: int, B: int, I: int, H: int, seed: int, with_n: bool) -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(T, B, I, H, seed)
    if not with_n:
        dh_n = dc_n = None
    h, c, cache = lstm_forward_loop(x, h0, c0, params)
    grads = lstm_backward_loop(dh, cache, dh_n=dh_n, dc_n=dc_n)
    h_fast, c_fast, fast = lstm_forward(x, h0, c0, params)
    assert h.shape == c.shape == (T, B, H) and h.dtype == c.dtype == np.float64
    assert np.max(np.abs(h - h_fast)) <= 1e-12 and np.max(np.abs(c - c_fast)) <= 1e-12
    assert max_err(grads, lstm_backward(dh, fast, dh_n, dc_n)) <= 1e-12
    h_ref, c_n_ref, grads_ref = nn_lstm(x, h0, c0, params, dh, dh_n, dc_n)
    assert np.max(np.abs(h - h_ref)) <= 1e-10 and np.max(np.abs(c[-1] - c_n_ref)) <= 1e-10
    assert max_err(grads, grads_ref) <= 1e-10


@settings(max_examples=10, deadline=None)
@given(B=dims, I=dims, H=dims, seed=st.integers(0, 2**16))
@example(B=1, I=1, H=1, seed=0)
def test_cell_is_one_step_of_the_fast_kernel(B: int, I: int, H: int, seed: int) -> None:
    """lstm_cell_backward(dh, dc, ·) is lstm_backward over T = 1 with dc_n = dc."""
    x, h0, c0, params, dh, _, dc = inputs(1, B, I, H, seed)
    h, c, cache = lstm_cell_forward(x[0], h0, c0, params)
    h_fast, c_fast, fast = lstm_forward(x, h0, c0, params)
    assert h.shape == c.shape == (B, H)
    assert np.max(np.abs(h - h_fast[0])) <= 1e-14 and np.max(np.abs(c - c_fast[0])) <= 1e-14
    grads = lstm_cell_backward(dh[0], dc, cache)
    assert set(grads) == {"x", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh"}
    ref = lstm_backward(dh, fast, dc_n=dc)
    ref = {"h_prev": ref.pop("h0"), "c_prev": ref.pop("c0"), **ref, "x": ref["x"][0]}
    assert max_err(grads, ref) <= 1e-14


def test_dh_n_adds_to_the_last_step_and_dc_n_enters_c_T() -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(4, 2, 3, 5, seed=7)
    _, _, cache = lstm_forward_loop(x, h0, c0, params)
    dh2 = dh.copy()
    dh2[-1] += dh_n
    assert max_err(lstm_backward_loop(dh, cache, dh_n=dh_n), lstm_backward_loop(dh2, cache)) <= 1e-14
    assert max_err(lstm_backward_loop(dh, cache, dc_n=0 * dc_n), lstm_backward_loop(dh, cache)) == 0.0
    with_dc = lstm_backward_loop(dh, cache, dc_n=dc_n)
    assert np.max(np.abs(with_dc["c0"] - lstm_backward_loop(dh, cache)["c0"])) > 1e-3


def test_float32_in_float32_out() -> None:
    x, h0, c0, params, dh, dh_n, dc_n = inputs(5, 3, 4, 2, seed=1, dtype=np.float32)
    h, c, cache = lstm_forward_loop(x, h0, c0, params)
    grads = lstm_backward_loop(dh, cache, dh_n, dc_n)
    assert h.dtype == c.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    h_fast, _, fast = lstm_forward(x, h0, c0, params)
    assert np.max(np.abs(h - h_fast)) <= 1e-6
    assert max_err(grads, lstm_backward(dh, fast, dh_n, dc_n)) <= 1e-5


def message(fn, *args) -> str:
    with pytest.raises(ValueError) as err:
        fn(*args)
    return str(err.value)


def without_source(msg: str) -> str:
    """``msg`` without the clause naming which cache field set a size: a loop's cache is a list
    of step caches, so it names ``cache.steps[0].x`` where the fast cache names ``cache.x``."""
    return re.sub(r"; \S+ = \d+ was set by .*\)$", ")", msg)


FORWARD_CASES = [c for c in CASES if bad_case(c)[0] is lstm_forward]
GRADIENT_CASES = [c for c in CASES if bad_case(c)[0] is lstm_backward and not c.startswith(("cache", "an ", "a ", "malformed"))]


@pytest.mark.parametrize("case", FORWARD_CASES)
def test_loop_rejects_what_lstm_forward_rejects_with_the_same_message(case: str) -> None:
    _, args, _ = bad_case(case)
    assert message(lstm_forward_loop, *args) == message(lstm_forward, *args)


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_backward_loop_rejects_bad_gradients_like_lstm_backward(case: str) -> None:
    _, (dh, fast, *extra), _ = bad_case(case)
    x, h0, c0, params, *_ = inputs(4, 2, 3, 5)
    loop = lstm_forward_loop(x, h0, c0, params)[2]
    assert without_source(message(lstm_backward_loop, dh, loop, *extra)) == without_source(message(lstm_backward, dh, fast, *extra))


def test_bad_caches_and_cell_inputs_name_the_argument() -> None:
    x, h0, c0, params, dh, *_ = inputs(4, 2, 3, 5)
    fast = lstm_forward(x, h0, c0, params)[2]
    loop = lstm_forward_loop(x, h0, c0, params)[2]
    cell = loop.steps[0]
    cases = [
        (lstm_backward_loop, (dh, fast), ["cache", "LSTMLoopCache", "lstm_forward_loop"]),
        (lstm_backward_loop, (dh, tuple(loop)), ["cache", "LSTMLoopCache"]),
        (lstm_backward_loop, (dh, loop._replace(steps=[])), ["cache", "steps", "empty"]),
        (lstm_backward_loop, (dh, loop._replace(steps=[fast])), ["cache", "steps"]),
        (lstm_cell_forward, (x, h0, c0, params), ["x", "(B, I)", "2-D"]),
        (lstm_cell_forward, (x[0], h0[:1], c0, params), ["h_prev", "(B, H)", "B = 2"]),
        (lstm_cell_forward, (x[0], h0, c0[:, :4], params), ["c_prev", "(B, H)", "H = 5"]),
        (lstm_cell_forward, (x[0], h0, c0, {**params, "W_hh": params["W_hh"][:5]}), ["W_hh", "(4H, H)", "4H = 20"]),
        (lstm_cell_forward, (x[0], h0, c0.astype(np.float32), params), ["c_prev", "float32"]),
        (lstm_cell_backward, (dh[0], dh[0][:, :4], cell), ["dc", "(B, H)", "H = 5"]),
        (lstm_cell_backward, (dh, dh[0], cell), ["dh", "(B, H)", "2-D"]),
        (lstm_cell_backward, (dh[0] * np.nan, dh[0], cell), ["dh", "NaN"]),
        (lstm_cell_backward, (dh[0], dh[0], fast), ["cache", "LSTMCellCache", "lstm_cell_forward"]),
    ]
    for fn, args, words in cases:
        text = message(fn, *args)
        assert all(w in text for w in words), text


# Each equation of docs/lstm.md that the readable cell implements, and a piece of the code line
# that carries its number: if the page's numbering moves, the comments must move with it.
EQUATION_LINES = {
    "lstm-gates": "i = sigmoid(a[:, 0 * H:1 * H])",
    "lstm-cell": "c = f * c_prev + i * g",
    "lstm-hidden": "h = o * tanh_c",
    "lstm-do": "d_o = dh * tanh_c * o * (1 - o)",
    "lstm-dc": "dc = dh * o * (1 - tanh_c**2) + dc",
    "lstm-dz": "d_g = dc * i * (1 - g**2)",
    "lstm-dh": '"h_prev": d @ p["W_hh"]',
    "lstm-params": '"W_hh": d.T @ h_prev',
}


def equation_numbers(page: str, prefix: str) -> dict[str, str]:
    """label -> its number as the page shows it, e.g. ``lstm-cell`` -> ``(L2)``: the n-th ``equation``
    environment without ``\\tag``, ``\\notag`` or ``\\nonumber`` is prefix + n (as the site numbers them)."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    numbers, n = {}, 0
    for block in re.findall(r"\\begin\{equation\}(.*?)\\end\{equation\}", text, re.S):
        if re.search(r"\\(tag|notag|nonumber)\b", block):
            continue
        n += 1
        numbers.update({label: f"({prefix}{n})" for label in re.findall(r"\\label\{([^}]*)\}", block)})
    return numbers


def test_code_comments_carry_the_pages_equation_numbers() -> None:
    numbers = equation_numbers("lstm.md", "L")
    assert numbers == equation_numbers("lstm.zh.md", "L")         # both languages number alike
    lines = (ROOT / "solutions" / "lstm.py").read_text(encoding="utf-8").splitlines()
    for label, code in EQUATION_LINES.items():
        tagged = [line for line in lines if code in line]
        assert tagged and all(f"# {numbers[label]}" in line for line in tagged), (label, numbers[label], tagged)
    cited = set(re.findall(r"# \((L\d+)\)", "\n".join(lines)))
    assert cited <= {n.strip("()") for n in numbers.values()}
