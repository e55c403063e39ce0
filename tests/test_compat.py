"""solutions.course.compat: the course's reference values, torch autograd in the column layout, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from solutions.course import compat
from solutions.course import reference as course
from solutions.course.reference import cell_draws, params_of, sequence_draws
from tests.rnn_reference import leaves

# (n_x, m, T_x, n_a, n_y)
SHAPES = [(1, 1, 1, 1, 1), (3, 10, 4, 5, 2), (2, 1, 3, 1, 3), (4, 3, 1, 2, 1)]


def course_inputs(n_x: int, m: int, T_x: int, n_a: int, n_y: int, seed: int = 0, dtype: type = np.float64):
    rng = np.random.default_rng(seed)
    params = {"Wax": rng.normal(size=(n_a, n_x)), "Waa": rng.normal(size=(n_a, n_a)) * 0.6,
              "Wya": rng.normal(size=(n_y, n_a)), "ba": rng.normal(size=(n_a, 1)), "by": rng.normal(size=(n_y, 1))}
    x, a0, da = rng.normal(size=(n_x, m, T_x)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T_x))
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return cast(x), cast(a0), {k: cast(v) for k, v in params.items()}, cast(da)


def torch_course(x: np.ndarray, a0: np.ndarray, params: dict, da: np.ndarray):
    """The course's equations in torch, columns and time last: a, y_pred and the gradients for ``da``."""
    t = leaves({"x": x, "a0": a0, **params})
    a_t, a, y = t["a0"], [], []
    for step in range(x.shape[2]):
        a_t = torch.tanh(t["Wax"] @ t["x"][:, :, step] + t["Waa"] @ a_t + t["ba"])
        a.append(a_t)
        y.append(torch.softmax(t["Wya"] @ a_t + t["by"], dim=0))
    a = torch.stack(a, dim=2)
    a.backward(torch.tensor(da))
    grads = {"dx": t["x"].grad, "da0": t["a0"].grad, "dWax": t["Wax"].grad, "dWaa": t["Waa"].grad,
             "dba": t["ba"].grad}
    return a.detach().numpy(), torch.stack(y, dim=2).detach().numpy(), {k: v.numpy() for k, v in grads.items()}


def assert_close(ours: dict, ref: dict, tol: float) -> None:
    assert set(ours) == set(ref)
    for k in ref:
        assert ours[k].shape == ref[k].shape, k
        assert np.max(np.abs(ours[k] - ref[k])) <= tol, k


# --- the course's published reference values (solutions.course.reference says where each is printed) ---

def test_draws_are_the_seeded_global_stream_without_touching_it() -> None:
    """The draws equal np.random.seed(1) + randn in the test cells' order, and leave the global state alone."""
    state = np.random.get_state()
    d = cell_draws()
    assert np.array_equal(np.random.get_state()[1], state[1])
    np.random.seed(1)
    expected = [np.random.randn(*a.shape) for a in d.values()]
    np.random.set_state(state)
    assert all(np.array_equal(a, b) for a, b in zip(d.values(), expected))
    assert list(d) == ["xt", "a_prev", "Wax", "Waa", "Wya", "ba", "by", "da_next"]
    assert list(sequence_draws(waa_first=True))[:4] == ["x", "a0", "Waa", "Wax"]


def test_cell_forward_reproduces_the_course() -> None:
    d = cell_draws()
    a_next, yt_pred, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], params_of(d))
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    assert np.max(np.abs(a_next[4] - course.CELL_FORWARD["a_next[4]"])) <= 5e-9
    assert np.max(np.abs(yt_pred[1] - course.CELL_FORWARD["yt_pred[1]"])) <= 5e-5
    assert np.array_equal(cache[0], a_next) and cache[0] is not a_next  # the cache keeps its own copy
    assert cache[1] is d["a_prev"] and cache[2] is d["xt"]


def test_cell_backward_reproduces_the_course() -> None:
    d = cell_draws()
    _, _, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], params_of(d))
    g = compat.rnn_cell_backward(d["da_next"], cache)
    assert {k: v.shape for k, v in g.items()} == {"dxt": (3, 10), "da_prev": (5, 10), "dWax": (5, 3),
                                                  "dWaa": (5, 5), "dba": (5, 1)}
    want = course.CELL_BACKWARD
    assert g["dxt"][1][2] == pytest.approx(want["dxt[1][2]"], abs=1e-14)
    assert g["da_prev"][2][3] == pytest.approx(want["da_prev[2][3]"], abs=1e-14)
    assert g["dWax"][3][1] == pytest.approx(want["dWax[3][1]"], abs=1e-14)
    assert g["dWaa"][1][2] == pytest.approx(want["dWaa[1][2]"], abs=1e-14)
    assert g["dba"][4][0] == pytest.approx(want["dba[4]"][0], abs=5e-9)


def test_rnn_forward_reproduces_the_course() -> None:
    d = sequence_draws(waa_first=True)
    a, y_pred, caches = compat.rnn_forward(d["x"], d["a0"], params_of(d))
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4)
    assert isinstance(caches, tuple) and len(caches) == 2 and caches[1] is d["x"]
    want = course.RNN_FORWARD
    assert np.max(np.abs(a[4][1] - want["a[4][1]"])) <= 5e-9
    assert np.max(np.abs(y_pred[1][3] - want["y_pred[1][3]"])) <= 5e-9
    assert np.max(np.abs(caches[1][1][3] - want["caches[1][1][3]"])) <= 5e-9


def test_rnn_backward_reproduces_the_course() -> None:
    d = sequence_draws(waa_first=False)
    _, _, caches = compat.rnn_forward(d["x"], d["a0"], params_of(d))
    g = compat.rnn_backward(d["da"], caches)
    assert {k: v.shape for k, v in g.items()} == {"dx": (3, 10, 4), "da0": (5, 10), "dWax": (5, 3),
                                                  "dWaa": (5, 5), "dba": (5, 1)}
    want = course.RNN_BACKWARD
    assert np.max(np.abs(g["dx"][1][2] - want["dx[1][2]"])) <= 5e-9
    assert g["da0"][2][3] == pytest.approx(want["da0[2][3]"], abs=1e-14)
    assert g["dWax"][3][1] == pytest.approx(want["dWax[3][1]"], abs=1e-13)
    assert g["dWaa"][1][2] == pytest.approx(want["dWaa[1][2]"], abs=1e-14)
    assert g["dba"][4][0] == pytest.approx(want["dba[4]"][0], abs=5e-9)


def test_the_older_values_come_from_a_stale_ba() -> None:
    """The older reference values: the cell test with the ba the rnn_forward test draws."""
    stale_ba = sequence_draws(waa_first=True)["ba"]
    d = cell_draws()
    _, _, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], {**params_of(d), "ba": stale_ba})
    g = compat.rnn_cell_backward(d["da_next"], cache)
    want = course.OLDER_CELL_BACKWARD
    assert g["dxt"][1][2] == pytest.approx(want["dxt[1][2]"], abs=1e-14)
    assert g["da_prev"][2][3] == pytest.approx(want["da_prev[2][3]"], abs=1e-14)
    assert g["dWax"][3][1] == pytest.approx(want["dWax[3][1]"], abs=1e-14)
    assert g["dWaa"][1][2] == pytest.approx(want["dWaa[1][2]"], abs=1e-14)
    assert g["dba"][4][0] == pytest.approx(want["dba[4]"][0], abs=5e-9)


# --- torch autograd in the course's layout ---------------------------------------------------

@pytest.mark.parametrize("n_x, m, T_x, n_a, n_y", SHAPES)
def test_sequence_equals_torch_autograd(n_x: int, m: int, T_x: int, n_a: int, n_y: int) -> None:
    x, a0, params, da = course_inputs(n_x, m, T_x, n_a, n_y)
    a, y_pred, caches = compat.rnn_forward(x, a0, params)
    g = compat.rnn_backward(da, caches)
    a_ref, y_ref, g_ref = torch_course(x, a0, params, da)
    assert np.max(np.abs(a - a_ref)) <= 1e-10 and np.max(np.abs(y_pred - y_ref)) <= 1e-10
    assert_close(g, g_ref, 1e-10)


@pytest.mark.parametrize("n_x, m, n_a, n_y", [(1, 1, 1, 1), (3, 10, 5, 2), (2, 4, 3, 3)])
def test_cell_equals_torch_autograd(n_x: int, m: int, n_a: int, n_y: int) -> None:
    x, a_prev, params, da = course_inputs(n_x, m, 1, n_a, n_y, seed=1)
    a_next, yt_pred, cache = compat.rnn_cell_forward(x[:, :, 0], a_prev, params)
    g = compat.rnn_cell_backward(da[:, :, 0], cache)
    a_ref, y_ref, g_ref = torch_course(x, a_prev, params, da)
    assert np.max(np.abs(a_next - a_ref[:, :, 0])) <= 1e-10 and np.max(np.abs(yt_pred - y_ref[:, :, 0])) <= 1e-10
    assert_close({"dx": g["dxt"][:, :, None], "da0": g["da_prev"], "dWax": g["dWax"], "dWaa": g["dWaa"],
                  "dba": g["dba"]}, g_ref, 1e-10)


def test_float32_in_float32_out() -> None:
    x, a0, params, da = course_inputs(3, 4, 5, 6, 2, dtype=np.float32)
    a, y_pred, caches = compat.rnn_forward(x, a0, params)
    g = compat.rnn_backward(da, caches)
    a1, y1, cache = compat.rnn_cell_forward(x[:, :, 0], a0, params)
    g1 = compat.rnn_cell_backward(da[:, :, 0], cache)
    assert all(v.dtype == np.float32 for v in (a, y_pred, a1, y1, *g.values(), *g1.values()))
    a_ref, y_ref, g_ref = torch_course(*(v.astype(np.float64) for v in (x, a0)),
                                       {k: v.astype(np.float64) for k, v in params.items()}, da.astype(np.float64))
    assert np.max(np.abs(a - a_ref)) <= 1e-5 and np.max(np.abs(y_pred - y_ref)) <= 1e-5
    assert_close(g, g_ref, 1e-4)


# --- bad input ---------------------------------------------------------------------------------

def bad_case(case: str):
    x, a0, params, da = course_inputs(3, 4, 2, 5, 2)
    xt = x[:, :, 0]
    _, _, cell_cache = compat.rnn_cell_forward(xt, a0, params)
    _, _, caches = compat.rnn_forward(x, a0, params)
    cases = {
        "ba 1-D": (compat.rnn_forward, (x, a0, {**params, "ba": params["ba"][:, 0]}), ["ba", "(n_a, 1)"]),
        "ba a row": (compat.rnn_cell_forward, (xt, a0, {**params, "ba": params["ba"].T}), ["ba", "(n_a, 1)"]),
        "by wrong": (compat.rnn_cell_forward, (xt, a0, {**params, "by": params["by"][:1]}), ["by", "(n_y, 1)"]),
        "Waa not square": (compat.rnn_forward, (x, a0, {**params, "Waa": params["Waa"][:, :4]}), ["Waa", "(n_a, n_a)"]),
        "missing Wya": (compat.rnn_forward, (x, a0, {k: v for k, v in params.items() if k != "Wya"}), ["Wya", "missing"]),
        "x 2-D": (compat.rnn_forward, (xt, a0, params), ["x", "(n_x, m, T_x)"]),
        "xt 3-D": (compat.rnn_cell_forward, (x, a0, params), ["xt", "(n_x, m)"]),
        "a0 wrong m": (compat.rnn_forward, (x, a0[:, :3], params), ["a0", "(n_a, m)", "m = 4"]),
        "a_prev wrong n_a": (compat.rnn_cell_forward, (xt, a0[:4], params), ["Wax", "(n_a, n_x)", "n_a = 4"]),
        "NaN in x": (compat.rnn_forward, (x * np.nan, a0, params), ["x", "NaN"]),
        "mixed dtypes": (compat.rnn_forward, (x.astype(np.float32), a0, params), ["a0", "float32", "float64"]),
        "x a list": (compat.rnn_forward, (x.tolist(), a0, params), ["x", "NumPy array"]),
        "da wrong shape": (compat.rnn_backward, (da[:, :, :1], caches), ["da", "(n_a, m, T_x)", "T_x = 2"]),
        "da float32": (compat.rnn_backward, (da.astype(np.float32), caches), ["da", "float32"]),
        "da inf": (compat.rnn_backward, (da * np.inf, caches), ["da", "infinity"]),
        "caches not a pair": (compat.rnn_backward, (da, caches[0]), ["caches", "rnn_forward"]),
        "da_next wrong shape": (compat.rnn_cell_backward, (da, cell_cache), ["da_next", "(n_a, m)"]),
        "da_next NaN": (compat.rnn_cell_backward, (da[:, :, 0] * np.nan, cell_cache), ["da_next", "NaN"]),
        "cache not a cache": (compat.rnn_cell_backward, (da[:, :, 0], cell_cache[:2]), ["cache", "rnn_cell_forward"]),
    }
    return cases[case]


@pytest.mark.parametrize("case", [
    "ba 1-D", "ba a row", "by wrong", "Waa not square", "missing Wya", "x 2-D", "xt 3-D", "a0 wrong m",
    "a_prev wrong n_a", "NaN in x", "mixed dtypes", "x a list", "da wrong shape", "da float32", "da inf",
    "caches not a pair", "da_next wrong shape", "da_next NaN", "cache not a cache",
])
def test_bad_input_raises_value_error_naming_the_argument(case: str) -> None:
    fn, args, words = bad_case(case)
    with pytest.raises(ValueError) as err:
        fn(*args)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_the_course_values_have_their_provenance_in_the_repository(root) -> None:
    """No module points to a file outside the repository for the course's values; the module that
    holds them names the notebook and where each set is printed."""
    for path in (root / "solutions").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "shared/reference" not in text and "/work/" not in text, path
    doc = course.__doc__
    assert "Building your Recurrent Neural Network - Step by Step" in doc and "Sequence Models" in doc
    for name in ("CELL_FORWARD", "CELL_BACKWARD", "OLDER_CELL_BACKWARD", "RNN_FORWARD", "RNN_BACKWARD"):
        assert f"[{name}]" in doc, name
