"""solutions.gradcheck: central differences, restored inputs, the relative error."""

from __future__ import annotations

import numpy as np
import pytest

from solutions.gradcheck import max_abs, numeric_grad, numeric_grads, rel_error


def test_numeric_grad_of_a_quadratic() -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    A = np.array([[2.0, 1.0], [1.0, 4.0]])
    g = numeric_grad(lambda: float(np.sum(x * (A @ x))), x)
    assert max_abs(g, (A + A.T) @ x) <= 1e-8


@pytest.mark.parametrize("fail_on", [1, 2])   # while x is perturbed up, or down
def test_numeric_grad_restores_x_when_f_raises(fail_on: int) -> None:
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    calls = 0

    def f() -> float:
        nonlocal calls
        calls += 1
        if calls == fail_on:
            raise FloatingPointError("overflow in the model")
        return float(np.sum(x ** 2))

    with pytest.raises(FloatingPointError):
        numeric_grad(f, x)
    np.testing.assert_array_equal(x, before)


def test_numeric_grads_per_array_and_bad_input() -> None:
    a, b = np.ones(2), np.full((2, 2), 2.0)
    g = numeric_grads(lambda: float(a.sum() * b.sum()), {"a": a, "b": b})
    assert max_abs(g["a"], np.full(2, 8.0)) <= 1e-8 and max_abs(g["b"], np.full((2, 2), 2.0)) <= 1e-8
    with pytest.raises(ValueError, match="x must be a float64 NumPy array"):
        numeric_grad(lambda: 0.0, np.ones(2, dtype=np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        numeric_grad(lambda: 0.0, np.ones((3, 3))[:, :2])


def test_rel_error() -> None:
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([1.0, 0.0], [1.0, 1e-3]) == pytest.approx(1e-3 / 2.0)   # normwise, not per entry
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.ones(2), np.ones(3))
