"""solutions.course.compat's LSTM adapters: the notebook's published values, torch autograd in its column
layout, the older lstm_backward set explained, dtypes, in-place edits, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from solutions import demos, lstm
from solutions.course import compat
from solutions.course import lstm_pitfalls as pit
from solutions.course.lstm_autograd import (
    cell_autograd,
    notebook_grads,
    sequence_autograd,
)
from solutions.course.lstm_reference import (
    CELL_BACKWARD,
    CELL_FORWARD,
    NEWER_BACKWARD,
    OLDER_BACKWARD,
    SEQUENCE_FORWARD,
    agreement,
    cell_draws,
    pick,
    sequence_draws,
)
from solutions.gradcheck import max_abs

SHAPES = [(1, 1, 1, 1), (3, 10, 4, 5), (2, 1, 3, 1), (4, 3, 1, 2)]   # (n_x, m, T_x, n_a)


def assert_published(ours: dict[str, np.ndarray], published: dict[str, str]) -> None:
    for label, pub in published.items():
        for a, b in zip(ours[label], pub.split(), strict=True):
            assert agreement(a, b), (label, a, b)


def course_params(rng: np.random.Generator, n_x: int, n_a: int, n_y: int = 2, dtype: type = np.float64) -> dict:
    p = {}
    for g in "fico":
        p[f"W{g}"] = rng.normal(0, 0.6, (n_a, n_a + n_x))
        p[f"b{g}"] = rng.normal(0, 0.3, (n_a, 1))
    p["Wy"], p["by"] = rng.normal(size=(n_y, n_a)), rng.normal(size=(n_y, 1))
    return {k: v.astype(dtype) for k, v in p.items()}


def course_inputs(n_x: int, m: int, T_x: int, n_a: int, seed: int = 0, dtype: type = np.float64):
    rng = np.random.default_rng(seed)
    p = course_params(rng, n_x, n_a, dtype=dtype)
    x, a0, da = (rng.normal(size=s).astype(dtype) for s in [(n_x, m, T_x), (n_a, m), (n_a, m, T_x)])
    return x, a0, p, da


# --- the published values ----------------------------------------------------------------------

def test_cell_forward_and_backward_reproduce_the_notebook() -> None:
    d = cell_draws()
    a_next, c_next, yt, cache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], d["parameters"])
    assert a_next.shape == c_next.shape == (5, 10) and yt.shape == (2, 10) and len(cache) == 10
    assert_published(pick({"a_next": a_next, "c_next": c_next, "yt": yt, "cache": cache}, CELL_FORWARD),
                     CELL_FORWARD)
    g = compat.lstm_cell_backward(d["da_next"], d["dc_next"], cache)
    assert {k: v.shape for k, v in g.items()} == {
        "dxt": (3, 10), "da_prev": (5, 10), "dc_prev": (5, 10), **{f"dW{c}": (5, 8) for c in "fico"},
        **{f"db{c}": (5, 1) for c in "fico"}}
    assert g["dxt"][1][2] == pytest.approx(3.23055911511, abs=5e-12)
    assert g["dWf"][3][1] == pytest.approx(-0.147954838164, abs=5e-12)
    assert_published(pick(g, CELL_BACKWARD), CELL_BACKWARD)
    assert max_abs(g, cell_autograd(d)) <= 1e-12


def test_sequence_forward_reproduces_the_notebook() -> None:
    d = sequence_draws(zero_output_layer=False)
    a, y, c, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    assert a.shape == c.shape == (5, 10, 7) and y.shape == (2, 10, 7) and len(caches) == 2
    assert caches[1] is d["x"]
    assert_published(pick({"a": a, "y": y, "c": c, "caches": caches}, SEQUENCE_FORWARD), SEQUENCE_FORWARD)


def test_sequence_backward_reproduces_the_newer_set_which_is_autograds() -> None:
    d = sequence_draws(zero_output_layer=True)
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    g = compat.lstm_backward(d["da"], caches)
    assert g["dx"].shape == (3, 10, 4) and g["da0"].shape == (5, 10)
    assert_published(pick(g, NEWER_BACKWARD), NEWER_BACKWARD)
    assert max_abs(g, sequence_autograd(d)) <= 1e-12


def test_the_older_set_is_the_gradient_without_carry_except_three_biases() -> None:
    d = sequence_draws(zero_output_layer=True)
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    cut = pick(pit.without_carry(d["da"], caches), OLDER_BACKWARD)
    differ = [k for k, pub in OLDER_BACKWARD.items()
              if not all(agreement(a, b) for a, b in zip(cut[k], pub.split(), strict=True))]
    assert differ == ["dbi[4]", "dbc[4]", "dbo[4]"]


def test_demo_values() -> None:
    assert demos.load("lstm-course").main().values["older-equal-no-carry"] == "10"


# --- torch autograd in the column layout, any shape ------------------------------------------------

@pytest.mark.parametrize("n_x, m, T_x, n_a", SHAPES)
def test_sequence_equals_autograd(n_x: int, m: int, T_x: int, n_a: int) -> None:
    x, a0, p, da = course_inputs(n_x, m, T_x, n_a)
    a, y, c, caches = compat.lstm_forward(x, a0, p)
    g = compat.lstm_backward(da, caches)
    ref = notebook_grads(x, a0, np.zeros_like(a0), p, da)
    ref.pop("dc0")
    assert max_abs(g, ref) <= 1e-10
    h, c2, _ = lstm.lstm_forward(x.transpose(2, 1, 0).copy(), a0.T.copy(), np.zeros((m, n_a)),
                                 compat.lstm_row_params(p, n_a))
    assert np.max(np.abs(a - h.transpose(2, 1, 0))) <= 1e-12 and np.max(np.abs(c - c2.transpose(2, 1, 0))) <= 1e-12
    assert np.allclose(y.sum(axis=0), 1.0)


@pytest.mark.parametrize("T", [1, 2, 3])
def test_a_shorter_da_is_the_loss_on_the_first_steps(T: int) -> None:
    x, a0, p, da = course_inputs(2, 3, 4, 3, seed=1)
    _, _, _, caches = compat.lstm_forward(x, a0, p)
    g = compat.lstm_backward(da[:, :, :T], caches)
    ref = notebook_grads(x, a0, np.zeros_like(a0), p, da[:, :, :T])
    ref.pop("dc0")
    assert g["dx"].shape == (2, 3, T) and max_abs(g, ref) <= 1e-10


@pytest.mark.parametrize("n_x, m, n_a", [(1, 1, 1), (3, 10, 5), (2, 4, 3)])
def test_cell_equals_autograd(n_x: int, m: int, n_a: int) -> None:
    rng = np.random.default_rng(3)
    d = {"xt": rng.normal(size=(n_x, m)), "a_prev": rng.normal(size=(n_a, m)), "c_prev": rng.normal(size=(n_a, m)),
         "parameters": course_params(rng, n_x, n_a), "da_next": rng.normal(size=(n_a, m)),
         "dc_next": rng.normal(size=(n_a, m))}
    _, _, _, cache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], d["parameters"])
    assert max_abs(compat.lstm_cell_backward(d["da_next"], d["dc_next"], cache), cell_autograd(d)) <= 1e-10


def test_float32_in_float32_out() -> None:
    x, a0, p, da = course_inputs(3, 4, 5, 6, dtype=np.float32)
    a, y, c, caches = compat.lstm_forward(x, a0, p)
    g = compat.lstm_backward(da, caches)
    a1, c1, y1, cache = compat.lstm_cell_forward(x[:, :, 0], a0, a0, p)
    g1 = compat.lstm_cell_backward(da[:, :, 0], da[:, :, 1], cache)
    assert all(v.dtype == np.float32 for v in (a, y, c, a1, c1, y1, *g.values(), *g1.values()))
    ref = notebook_grads(*(v.astype(np.float64) for v in (x, a0, np.zeros_like(a0))),
                         {k: v.astype(np.float64) for k, v in p.items()}, da.astype(np.float64))
    ref.pop("dc0")
    assert max_abs(g, ref) <= 1e-4


def test_editing_the_outputs_in_place_changes_nothing() -> None:
    x, a0, p, da = course_inputs(3, 4, 2, 5)
    a_next, c_next, _, cache = compat.lstm_cell_forward(x[:, :, 0], a0, a0, p)
    before = compat.lstm_cell_backward(da[:, :, 0], da[:, :, 1], cache)
    a_next *= 0.0
    c_next += 1.0
    after = compat.lstm_cell_backward(da[:, :, 0], da[:, :, 1], cache)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    a, _, c, caches = compat.lstm_forward(x, a0, p)
    before = compat.lstm_backward(da, caches)
    a *= 0.0
    c += 1.0
    after = compat.lstm_backward(da, caches)
    assert all(np.array_equal(before[k], after[k]) for k in before)


# --- bad input ---------------------------------------------------------------------------------------

def bad_case(case: str):
    x, a0, p, da = course_inputs(3, 4, 2, 5)
    xt = x[:, :, 0]
    _, _, _, cell_cache = compat.lstm_cell_forward(xt, a0, a0, p)
    _, _, _, caches = compat.lstm_forward(x, a0, p)
    rnn = {"Wax": np.ones((5, 3)), "Waa": np.ones((5, 5)), "Wya": np.ones((2, 5)), "ba": np.ones((5, 1)),
           "by": np.ones((2, 1))}
    cases = {
        "Wf not stacked": (compat.lstm_forward, (x, a0, {**p, "Wf": p["Wf"][:, :5]}), ["Wf", "(n_a, n_a+n_x)", "8"]),
        "Wi too wide": (compat.lstm_cell_forward, (xt, a0, a0, {**p, "Wi": np.ones((5, 9))}), ["Wi", "(n_a, n_a+n_x)"]),
        "bc 1-D": (compat.lstm_forward, (x, a0, {**p, "bc": p["bc"][:, 0]}), ["bc", "(n_a, 1)"]),
        "bo a row": (compat.lstm_cell_forward, (xt, a0, a0, {**p, "bo": p["bo"].T}), ["bo", "(n_a, 1)"]),
        "missing Wo": (compat.lstm_forward, (x, a0, {k: v for k, v in p.items() if k != "Wo"}), ["Wo", "missing"]),
        "missing Wy": (compat.lstm_cell_forward, (xt, a0, a0, {k: v for k, v in p.items() if k != "Wy"}),
                       ["Wy", "missing"]),
        "RNN parameters": (compat.lstm_forward, (x, a0, rnn), ["parameters", "missing"]),
        "x 2-D": (compat.lstm_forward, (xt, a0, p), ["x", "(n_x, m, T_x)"]),
        "c_prev wrong m": (compat.lstm_cell_forward, (xt, a0, a0[:, :3], p), ["c_prev", "(n_a, m)", "m = 4"]),
        "a_prev wrong n_a": (compat.lstm_cell_forward, (xt, a0[:4], a0[:4], p), ["Wf", "n_a"]),
        "NaN in xt": (compat.lstm_cell_forward, (xt * np.nan, a0, a0, p), ["xt", "NaN"]),
        "mixed dtypes": (compat.lstm_forward, (x.astype(np.float32), a0, p), ["a0", "float32", "float64"]),
        "da too many steps": (compat.lstm_backward, (np.ones((5, 4, 3)), caches), ["da", "T_x = 2"]),
        "da wrong m": (compat.lstm_backward, (da[:, :3], caches), ["da", "(n_a, m, T)", "m = 4"]),
        "da float32": (compat.lstm_backward, (da.astype(np.float32), caches), ["da", "float32"]),
        "da inf": (compat.lstm_backward, (da * np.inf, caches), ["da", "infinity"]),
        "caches not ours": (compat.lstm_backward, (da, (list(caches), caches[1])), ["caches", "CourseLSTMCaches"]),
        "RNN caches": (compat.lstm_backward, (da, compat.rnn_forward(x, a0, rnn)[2]), ["caches", "CourseLSTMCaches"]),
        "dc_next wrong shape": (compat.lstm_cell_backward, (da[:, :, 0], da, cell_cache), ["dc_next", "(n_a, m)"]),
        "da_next NaN": (compat.lstm_cell_backward, (da[:, :, 0] * np.nan, da[:, :, 0], cell_cache),
                        ["da_next", "NaN"]),
        "cell cache a tuple": (compat.lstm_cell_backward, (da[:, :, 0], da[:, :, 0], tuple(cell_cache)),
                               ["cache", "CourseLSTMCellCache"]),
        "RNN cell cache": (compat.lstm_cell_backward, (da[:, :, 0], da[:, :, 0], compat.rnn_cell_forward(xt, a0, rnn)[2]),
                           ["cache", "CourseLSTMCellCache"]),
    }
    return cases[case]


CASES = ["Wf not stacked", "Wi too wide", "bc 1-D", "bo a row", "missing Wo", "missing Wy", "RNN parameters", "x 2-D",
         "c_prev wrong m", "a_prev wrong n_a", "NaN in xt", "mixed dtypes", "da too many steps", "da wrong m",
         "da float32", "da inf", "caches not ours", "RNN caches", "dc_next wrong shape", "da_next NaN",
         "cell cache a tuple", "RNN cell cache"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_raises_value_error_naming_the_argument(case: str) -> None:
    fn, args, words = bad_case(case)
    with pytest.raises(ValueError) as err:
        fn(*args)
    assert all(w in str(err.value) for w in words), str(err.value)


# --- the pitfalls demo's mistakes, built on the reference cell ----------------------------------------

def test_pitfalls_mistakes_are_built_on_the_reference_cell_and_every_mistake_shows() -> None:
    d = cell_draws()
    n_a = d["a_prev"].shape[0]
    _, c_next, cache = lstm.lstm_cell_forward(d["xt"].T, d["a_prev"].T, d["c_prev"].T,
                                              compat.lstm_row_params(d["parameters"], n_a))
    run = lambda m: pit.course_cell(pit.cell_backward(d["da_next"].T, d["dc_next"].T, cache, c_next, m), n_a)  # noqa: E731
    _, _, _, ccache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], d["parameters"])
    right = run("correct")
    assert max_abs(right, compat.lstm_cell_backward(d["da_next"], d["dc_next"], ccache)) <= 1e-12
    printed = lambda g: np.concatenate(list(pick(g, CELL_BACKWARD).values()))  # noqa: E731
    for mistake in list(pit.CELL_MISTAKES)[1:]:
        assert np.max(np.abs(printed(run(mistake)) - printed(right))) > 1e-5, mistake
    # the mistakes that are a wrong input of the cell, against the notebook's lines written out
    k = cache
    dc_path = d["da_next"].T * k.o * (1 - k.tanh_c**2)
    assert np.max(np.abs(run("no da in dc")["dc_prev"] - (k.f * d["dc_next"].T).T)) <= 1e-15
    assert np.max(np.abs(run("no f in dc_prev")["dc_prev"] - (dc_path + d["dc_next"].T).T)) <= 1e-15
    tc = np.tanh(c_next)
    assert np.max(np.abs(run("c for tanh c")["dbo"][:, 0]
                         - (d["da_next"].T * c_next * k.o * (1 - k.o)).sum(axis=0))) <= 1e-12
    assert np.max(np.abs(right["dbo"][:, 0] - (d["da_next"].T * tc * k.o * (1 - k.o)).sum(axis=0))) <= 1e-12
    d = sequence_draws(zero_output_layer=True)
    n_a = d["a0"].shape[0]
    _, _, loop = lstm.lstm_forward_loop(np.ascontiguousarray(d["x"].transpose(2, 1, 0)), d["a0"].T,
                                        np.zeros_like(d["a0"].T), compat.lstm_row_params(d["parameters"], n_a))
    da = np.ascontiguousarray(d["da"].transpose(2, 1, 0))
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    assert max_abs(pit.sequence_backward(da, loop, "correct"), compat.lstm_backward(d["da"], caches)) <= 1e-12
    assert max_abs(pit.sequence_backward(da, loop, "neither"), pit.without_carry(d["da"], caches)) <= 1e-12
