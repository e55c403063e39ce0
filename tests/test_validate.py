"""solutions.validate: the one cache check, the one input check, and messages that name their source."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from solutions.validate import Params, Shapes, check_cache, check_inputs, check_int, check_truncate


class Inner(NamedTuple):
    PRODUCER = "tests.inner_forward"
    h: np.ndarray


class Outer(NamedTuple):
    PRODUCER = "tests.outer_forward"
    x: np.ndarray
    params: Params
    alpha: float
    flag: bool
    steps: list[Inner]
    extra: np.ndarray | None


def good() -> Outer:
    return Outer(np.ones(2), {"W": np.ones((2, 2))}, 0.5, True, [Inner(np.ones(3))], None)


def test_a_well_formed_cache_is_returned_as_is() -> None:
    c = good()
    assert check_cache(c, Outer) is c
    assert check_cache(c._replace(extra=np.zeros(1)), Outer).extra is not None


@pytest.mark.parametrize("cache, words", [
    (None, ["cache must be the Outer returned by tests.outer_forward", "got NoneType"]),
    ((1, 2, 3), ["cache must be the Outer", "got tuple"]),
    (Inner(np.ones(1)), ["cache must be the Outer", "got Inner"]),
])
def test_foreign_cache_names_the_type_and_producer(cache, words) -> None:
    with pytest.raises(ValueError) as err:
        check_cache(cache, Outer)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("field, value, want", [
    ("x", [1.0, 2.0], "a NumPy array"),
    ("params", {"W": 1.0}, "a dict of NumPy arrays"),
    ("params", [np.ones(1)], "a dict of NumPy arrays"),
    ("alpha", "0.5", "a float"),
    ("alpha", True, "a float"),
    ("flag", 1, "a bool"),
    ("steps", [Inner([1.0])], "a list of Inner items"),
    ("steps", (Inner(np.ones(1)),), "a list of Inner items"),
    ("extra", 3, "a NumPy array or None"),
])
def test_malformed_cache_names_the_field(field, value, want) -> None:
    with pytest.raises(ValueError) as err:
        check_cache(good()._replace(**{field: value}), Outer, "caches")
    msg = str(err.value)
    assert f"caches is a malformed Outer: caches.{field} must be {want}" in msg, msg
    assert "tests.outer_forward" in msg


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
