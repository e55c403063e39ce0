"""solutions.validate: the one cache check, the one input check, and messages that name their source."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from solutions.validate import Params, Shapes, check_cache, check_dh, check_inputs, check_int, check_steps, check_truncate


class Step(NamedTuple):
    PRODUCER = "tests.step_forward"
    SHAPES = {"h": ("B", "H")}
    h: np.ndarray


class Outer(NamedTuple):
    PRODUCER = "tests.outer_forward"
    SHAPES = {"x": ("T", "B", "I"), "h": ("T+1", "B", "H"), "gates": ("T", "B", "4H"),
              "params": {"W": ("4H", "I")}}
    x: np.ndarray
    h: np.ndarray
    gates: np.ndarray
    params: Params
    alpha: float                      # not in SHAPES: not checked


class Loop(NamedTuple):
    PRODUCER = "tests.loop_forward"
    SHAPES = {}
    steps: list[Step]


def good() -> Outer:
    return Outer(np.ones((3, 2, 4)), np.ones((4, 2, 5)), np.ones((3, 2, 20)), {"W": np.ones((20, 4))}, 0.5)


def test_a_well_formed_cache_binds_its_sizes_and_dtype() -> None:
    s = check_cache(good(), Outer)
    assert s.dims == {"T": 3, "B": 2, "I": 4, "T+1": 4, "H": 5, "4H": 20} and s.dtype == np.float64
    assert check_cache(good()._replace(alpha="anything"), Outer).dims["H"] == 5
    with pytest.raises(ValueError, match=r"^dh must have shape \(T, B, H\) with T = 3; got shape \(2, 2, 5\) "
                                         r"\(T = 2 on axis 0; T = 3 was set by cache\.x\)$"):
        s.array("dh", np.ones((2, 2, 5)), ("T", "B", "H"))


@pytest.mark.parametrize("cache, words", [
    (None, ["cache must be the Outer returned by tests.outer_forward", "got NoneType"]),
    ((1, 2, 3), ["cache must be the Outer", "got tuple"]),
    (Step(np.ones(1)), ["cache must be the Outer", "got Step"]),
])
def test_foreign_cache_names_the_type_and_producer(cache, words) -> None:
    with pytest.raises(ValueError) as err:
        check_cache(cache, Outer)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("field, value, want", [
    ("x", [1.0, 2.0], "caches.x must be a NumPy array of shape (T, B, I); got list"),
    ("x", np.ones((3, 2)), "caches.x must have shape (T, B, I) (3-D); got shape (3, 2) (2-D)"),
    ("h", np.ones((3, 2, 5)), ("caches.h must have shape (T+1, B, H) with T+1 = 4; got shape (3, 2, 5) "
                               "(T+1 = 3 on axis 0; T+1 = 4 was set by caches.x (T+1 = T + 1))")),
    ("gates", np.ones((3, 2, 15)), ("caches.gates must have shape (T, B, 4H) with 4H = 20; got shape (3, 2, 15) "
                                    "(4H = 15 on axis 2; 4H = 20 was set by caches.h (4H = 4 × H))")),
    ("gates", np.ones((3, 2, 20), dtype=np.float32), "caches.gates has dtype float32 but the other inputs are float64"),
    ("params", {"V": np.ones(1)}, "caches.params is missing key 'W' (expected an array of shape (4H, I))"),
    ("params", [np.ones(1)], "caches.params must be a dict with keys ['W']; got list"),
    ("params", {"W": np.ones((20, 3))}, "caches.params['W'] must have shape (4H, I) with I = 4"),
])
def test_a_replaced_field_is_named_with_its_shape(field, value, want) -> None:
    with pytest.raises(ValueError) as err:
        check_cache(good()._replace(**{field: value}), Outer, "caches")
    assert str(err.value).startswith(want), str(err.value)


def test_cache_arrays_are_not_scanned_for_nan() -> None:
    """The forward made them from checked inputs; the gradient arguments are scanned."""
    assert check_cache(good()._replace(x=np.full((3, 2, 4), np.nan)), Outer).dims["T"] == 3


def test_check_steps_names_the_step() -> None:
    steps = [Step(np.ones((2, 5))), Step(np.ones((2, 5)))]
    s = check_steps(Loop(steps), Loop, Step)
    assert s.dims == {"T": 2, "B": 2, "H": 5}
    for bad, want in [
        ([], "cache.steps must be a non-empty list of Step, one per step; got []"),
        (tuple(steps), "cache.steps must be a non-empty list of Step, one per step; got (Step("),
        ([steps[0], (1,)], "cache.steps[1] must be the Step returned by tests.step_forward; got tuple"),
        ([steps[0], Step(np.ones((2, 4)))], "cache.steps[1].h must have shape (B, H) with H = 5"),
    ]:
        with pytest.raises(ValueError) as err:
            check_steps(Loop(bad), Loop, Step)
        assert str(err.value).startswith(want), str(err.value)
    with pytest.raises(ValueError, match=r"^cache must be the Loop returned by tests\.loop_forward; got list$"):
        check_steps(steps, Loop, Step)


def test_check_dh_checks_the_final_state_gradients_given() -> None:
    s = check_cache(good(), Outer)
    check_dh(s, np.ones((3, 2, 5)), dh_n=None, dc_n=np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"^dc_n must have shape \(B, H\) with H = 5; got shape \(2, 4\)"):
        check_dh(s, np.ones((3, 2, 5)), dh_n=np.ones((2, 5)), dc_n=np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^dh of shape \(T, B, H\) contains NaN or infinity$"):
        check_dh(s, np.full((3, 2, 5), np.inf))


def test_check_inputs_returns_the_checked_params_only_and_the_sizes() -> None:
    x, h0 = np.zeros((3, 2, 4)), np.zeros((2, 5))
    p = {"W_ih": np.zeros((5, 4)), "W_hh": np.zeros((5, 5)), "b_ih": np.zeros(5), "b_hh": np.zeros(5),
         "V": np.zeros((1, 5))}
    s, checked = check_inputs(x, h0, p)
    assert set(checked) == {"W_ih", "W_hh", "b_ih", "b_hh"} and checked["W_hh"] is p["W_hh"]
    assert s.dims == {"T": 3, "B": 2, "I": 4, "H": 5} and s.dtype == np.float64


def test_a_size_mismatch_names_the_argument_that_set_the_size() -> None:
    s = Shapes()
    s.array("h0", np.zeros((2, 6)), ("B", "H"))
    with pytest.raises(ValueError) as err:
        s.array("params['W_hh']", np.zeros((5, 5)), ("H", "H"))
    assert str(err.value) == ("params['W_hh'] must have shape (H, H) with H = 6; got shape (5, 5) "
                              "(H = 5 on axis 0; H = 6 was set by h0)")


def test_nan_inf_and_dtype_messages() -> None:
    with pytest.raises(ValueError, match=r"x of shape \(T,\) contains NaN or infinity"):
        Shapes().array("x", np.array([1.0, np.inf]), ("T",))
    with pytest.raises(ValueError, match=r"x must be float32 or float64 of shape \(T,\); got dtype int64"):
        Shapes().array("x", np.array([1, 2]), ("T",))
    assert Shapes().array("x", np.array([np.nan]), ("T",), finite=False).shape == (1,)


@pytest.mark.parametrize("value, ok", [
    (1, True), (np.int64(3), True), (np.uint8(2), True), (0, False), (-1, False), (True, False),
    (np.bool_(True), False), (1.0, False), (2.5, False), ("2", False), (None, False), (np.array(2), False),
])
def test_check_int_accepts_integers_only(value, ok: bool) -> None:
    """The one integer check: Python and NumPy integers >= lo; not bools, floats, strings, arrays."""
    if ok:
        assert check_int("n", value) == value and type(check_int("n", value)) is int
    else:
        with pytest.raises(ValueError, match=r"^n must be an integer >= 1; got "):
            check_int("n", value)
    with pytest.raises(ValueError, match=r"^layer must be an integer in \[0, 2\); got 2$"):
        check_int("layer", 2, 0, 2)
    assert check_int("layer", 0, 0, 2) == 0 and check_truncate(None) is None and check_truncate(np.int32(3)) == 3
