"""solutions.clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch 2.13).

Every comparison runs PyTorch's function on copies of the same arrays, with ``foreach`` both
on and off. float64 results must agree to 1e-12 relative; float32 ones to 1e-5 relative
(PyTorch sums float32 powers in float32 in its own order, NumPy in another; the last bits of
a float32 norm differ), and bit for bit when ``norm_type = inf`` (no sum: the norm is exact,
so the coefficient arithmetic itself is compared). NaN must come out in the same places.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from solutions import clipping
from solutions.experiments import clipping_train as ct
from solutions.publish.report import FragileNumber
from solutions.sequence import softmax_loss
from solutions.clipping import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)

NORM_TYPES = [0.5, 1.0, 2.0, 3.0, math.inf]
DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-12}
SETTINGS = settings(max_examples=25, deadline=None)


def _params(arrays: list[np.ndarray]) -> list[torch.nn.Parameter]:
    """torch parameters whose ``.grad`` are copies of ``arrays``."""
    out = []
    for a in arrays:
        g = torch.from_numpy(a.copy())
        p = torch.nn.Parameter(torch.zeros_like(g))
        p.grad = g
        out.append(p)
    return out


def torch_norm_clip(arrays, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """PyTorch's result: (returned norm as float, clipped gradients as NumPy arrays)."""
    params = _params(arrays)
    n = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite, foreach)
    return n.item(), [p.grad.numpy() for p in params]


def torch_value_clip(arrays, clip_value, foreach=None):
    params = _params(arrays)
    torch.nn.utils.clip_grad_value_(params, clip_value, foreach)
    return [p.grad.numpy() for p in params]


def assert_close(ours: np.ndarray | float, theirs: np.ndarray | float, rtol: float) -> None:
    """Same NaN places, same infinities, finite entries within ``rtol`` (relative)."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    fin = np.isfinite(b)
    np.testing.assert_array_equal(a[~fin & ~np.isnan(b)], b[~fin & ~np.isnan(b)])
    err = np.abs(a[fin] - b[fin])
    assert np.all(err <= rtol * np.abs(b[fin])), f"max relative error {np.max(err / np.maximum(np.abs(b[fin]), 1e-300))}"


def random_grads(seed: int, dtype, n_arrays: int, scale: float, as_dict: bool):
    """``n_arrays`` arrays of random shapes (0-D to 3-D), entries ~ scale · N(0, 1)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for _ in range(n_arrays):
        shape = tuple(rng.integers(1, 5, size=rng.integers(0, 4)))
        arrays.append(np.asarray(scale * rng.standard_normal(shape), dtype=dtype))
    if as_dict:
        return {f"p{i}": a for i, a in enumerate(arrays)}, arrays
    return arrays, arrays


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_arrays=st.integers(1, 5),
    scale=st.sampled_from([1e-4, 1e-2, 1.0, 1e2, 1e4]),
    max_norm=st.sampled_from([0.0, 1e-9, 1e-6, 1e-3, 0.5, 1.0, 7.0, 1e3, 1e9, math.inf]),
    as_dict=st.booleans(),
    foreach=st.booleans(),
)
def test_clip_grad_norm_equals_torch(dtype, norm_type, seed, n_arrays, scale, max_norm, as_dict, foreach):
    grads, arrays = random_grads(seed, dtype, n_arrays, scale, as_dict)
    before = [a.copy() for a in arrays]
    want_norm, want = torch_norm_clip(before, max_norm, norm_type, foreach=foreach)
    got_norm = clip_grad_norm_(grads, max_norm, norm_type)
    assert type(got_norm) is float
    assert_close(got_norm, want_norm, RTOL[dtype])
    for a, w in zip(arrays, want):
        assert a.dtype == dtype
        assert_close(a, w, RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_arrays=st.integers(1, 5),
       scale=st.sampled_from([1e-4, 1e-2, 1.0, 1e2, 1e4]),
       max_norm=st.one_of(st.sampled_from([0.0, 1e-9, 1e9, math.inf]), st.floats(1e-8, 1e8)),
       foreach=st.booleans(), nonfinite=st.sampled_from([None, np.nan, np.inf, -np.inf]))
@example(seed=0, n_arrays=2, scale=1e4, max_norm=math.inf, foreach=False, nonfinite=np.inf)
def test_inf_norm_is_bit_identical_to_torch(dtype, seed, n_arrays, scale, max_norm, foreach, nonfinite):
    """No sum in the inf norm: every bit must match, including the coefficient's rounding, over the
    same scales and thresholds as the other norms, with a NaN or ±inf entry or none."""
    _, arrays = random_grads(seed, dtype, n_arrays, scale, False)
    if nonfinite is not None:
        arrays[0].reshape(-1)[0] = nonfinite
    with np.errstate(invalid="ignore"):                           # 0 · inf = NaN, as in PyTorch
        want_norm, want = torch_norm_clip(arrays, max_norm, math.inf, foreach=foreach)
        got_norm = clip_grad_norm_(arrays, max_norm, "inf")
    assert got_norm == want_norm or (math.isnan(got_norm) and math.isnan(want_norm))
    for a, w in zip(arrays, want):
        np.testing.assert_array_equal(a, w)                       # NaN == NaN here


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORM_TYPES)
def test_total_norm_is_the_norm_of_everything_concatenated(dtype, norm_type):
    _, arrays = random_grads(7, dtype, 4, 1.0, False)
    flat = np.concatenate([a.ravel() for a in arrays]).astype(np.float64)
    want = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    assert get_total_norm(arrays, norm_type) == pytest.approx(want, rel=RTOL[dtype])
    assert get_total_norm({"a": arrays[0]}, norm_type) == pytest.approx(
        torch.linalg.vector_norm(torch.from_numpy(arrays[0]), norm_type).item(), rel=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_norm_equal_to_max_norm_is_still_scaled_by_the_1e6(dtype):
    """‖g‖ = max_norm: PyTorch multiplies by max_norm / (max_norm + 1e-6) < 1, and so do we."""
    g = np.array([3.0, 4.0], dtype=dtype)
    want_norm, (want,) = torch_norm_clip([g], 5.0)
    assert clip_grad_norm_([g], 5.0) == want_norm == 5.0
    np.testing.assert_array_equal(g, want)
    assert np.all(g < np.array([3.0, 4.0], dtype=dtype))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_arrays=st.integers(1, 5), k=st.floats(1.0, 1e3))
def test_the_1e6_halves_a_gradient_of_norm_equal_to_a_1e6_threshold(seed, n_arrays, k):
    """The page: at g_max = 1e-6 PyTorch's result is not a hair but a factor of 2 under g_max at
    ||g|| = g_max. Any direction, float64, against PyTorch: the factor is exactly 1/2 at ||g|| = g_max
    and k/(k + 1) at ||g|| = k g_max, so never below 1/2 for ||g|| >= g_max and near 1 far above it."""
    g_max = 1e-6
    for norm, want_ratio in [(g_max, 0.5), (k * g_max, k / (k + 1))]:
        _, arrays = random_grads(seed, np.float64, n_arrays, 1.0, False)
        total = math.sqrt(sum(float((a ** 2).sum()) for a in arrays))
        assume(total > 0)
        arrays = [np.array(a * (norm / total), dtype=np.float64) for a in arrays]
        _, want = torch_norm_clip([a.copy() for a in arrays], g_max)
        clip_grad_norm_(arrays, g_max)
        after = math.sqrt(sum(float((a ** 2).sum()) for a in arrays))
        assert after / g_max == pytest.approx(want_ratio, rel=1e-9)
        assert after / g_max >= 0.5 * (1 - 1e-9)
        for a, w in zip(arrays, want):
            assert_close(a, w, RTOL[np.float64])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("max_norm", [0.0, 1.0])
def test_zero_gradients_stay_zero(dtype, max_norm):
    grads = {"W": np.zeros((3, 2), dtype=dtype), "b": np.zeros(3, dtype=dtype)}
    assert clip_grad_norm_(grads, max_norm) == 0.0
    assert all(np.array_equal(g, np.zeros_like(g)) for g in grads.values())
    assert torch_norm_clip(list(grads.values()), max_norm)[0] == 0.0


@pytest.mark.parametrize("empty", [{}, []])
def test_no_gradients_give_norm_zero_like_torch(empty):
    assert clip_grad_norm_(empty, 1.0) == 0.0 == torch.nn.utils.clip_grad_norm_([], 1.0).item()
    assert get_total_norm(empty) == 0.0
    assert clip_grad_value_(empty, 1.0) is None


def nonfinite_cases(dtype):
    """(name, arrays) with NaN, ±inf, both, and sums of squares that overflow."""
    big = 1e20 if dtype == np.float32 else 1e200
    return [
        ("nan", [np.array([1.0, np.nan, -2.0], dtype), np.array([[0.5, 3.0]], dtype)]),
        ("+inf", [np.array([1.0, np.inf, -2.0], dtype), np.array([[0.5, 3.0]], dtype)]),
        ("-inf", [np.array([0.0, 1.0], dtype), np.array([-np.inf], dtype)]),
        ("inf and nan", [np.array([np.inf, 2.0], dtype), np.array([np.nan, 0.0], dtype)]),
        ("overflowing squares", [np.array([big, -big, 1.0], dtype), np.array([2.0], dtype)]),
        ("only nan", [np.array([np.nan], dtype)]),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("max_norm", [1.0, math.inf])
def test_nonfinite_gradients_like_torch(dtype, norm_type, case, max_norm):
    """NaN/inf inside the gradients: same norm, NaN in the same places, same values elsewhere."""
    _, arrays = nonfinite_cases(dtype)[case]
    for foreach in (True, False):
        want_norm, want = torch_norm_clip(arrays, max_norm, norm_type, foreach=foreach)
        ours = [a.copy() for a in arrays]
        got_norm = clip_grad_norm_(ours, max_norm, norm_type)
        assert_close(got_norm, want_norm, RTOL[dtype])
        for a, w in zip(ours, want):
            assert_close(a, w, RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_norm_makes_every_gradient_nan(dtype):
    grads = {"W": np.ones((2, 2), dtype), "b": np.array([np.nan, 0.0], dtype)}
    assert math.isnan(clip_grad_norm_(grads, 1.0))
    assert np.isnan(grads["W"]).all() and np.isnan(grads["b"]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(6))
def test_error_if_nonfinite_raises_like_torch_and_leaves_grads(dtype, case):
    _, arrays = nonfinite_cases(dtype)[case]
    ours = [a.copy() for a in arrays]
    with pytest.raises(RuntimeError, match="non-finite"):
        torch_norm_clip(arrays, 1.0, 2.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        get_total_norm(ours, error_if_nonfinite=True)
    for a, b in zip(ours, arrays):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_error_if_nonfinite_is_silent_on_finite_norms(dtype):
    g = np.array([3.0, 4.0], dtype)
    assert clip_grad_norm_([g], 1.0, error_if_nonfinite=True) == 5.0
    assert np.allclose(g, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_arrays=st.integers(1, 5),
       clip_value=st.sampled_from([0.0, 1e-6, 0.1, 1.0, 3.5, 1e6, math.inf]),
       as_dict=st.booleans(), foreach=st.booleans(), with_nonfinite=st.booleans())
def test_clip_grad_value_is_bit_identical_to_torch(dtype, seed, n_arrays, clip_value, as_dict, foreach,
                                                  with_nonfinite):
    grads, arrays = random_grads(seed, dtype, n_arrays, 2.0, as_dict)
    if with_nonfinite:
        arrays[0].reshape(-1)[:3] = np.array([np.nan, np.inf, -np.inf], dtype)[: arrays[0].size]
    want = torch_value_clip(arrays, clip_value, foreach)
    assert clip_grad_value_(grads, clip_value) is None
    for a, w in zip(arrays, want):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, w)  # NaN == NaN here
        assert np.all(np.isnan(a) | (np.abs(a) <= clip_value))


def test_one_array_like_a_single_tensor():
    g = np.array([[6.0, 8.0]])
    assert clip_grad_norm_(g, 1.0) == 10.0
    assert np.allclose(g, [[0.6, 0.8]])
    clip_grad_value_(g, 0.7)
    assert np.allclose(g, [[0.6, 0.7]])


@pytest.mark.parametrize("bad", [-1.0, -1e-12, math.nan, -math.inf, "1", None, True])
def test_bad_max_norm(bad):
    g = np.ones(3)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_([g], bad)
    np.testing.assert_array_equal(g, np.ones(3))


@pytest.mark.parametrize("bad", [-1.0, math.nan, -math.inf, "0.1", None])
def test_bad_clip_value(bad):
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_([np.ones(3)], bad)


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, math.nan, -math.inf, "two", None, True])
def test_bad_norm_type(bad):
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_([np.ones(3)], 1.0, bad)
    with pytest.raises(ValueError, match="norm_type"):
        get_total_norm([np.ones(3)], bad)


@pytest.mark.parametrize(("grads", "match"), [
    ({"W": np.ones(2), "b": [1.0, 2.0]}, r"grads\['b'\] must be a float NumPy array"),
    ({"W": np.ones(2), "b": np.float64(1.0)}, r"grads\['b'\] must be a float NumPy array"),
    ([np.ones(2), np.arange(3)], r"grads\[1\] must be float32 or float64 .* int64"),
    ({"W": np.ones(2, dtype=np.float16)}, r"grads\['W'\] must be float32 or float64"),
    ({"W": np.ones(2), "b": np.ones(2, np.float32)}, r"grads\['b'\] has dtype float32 .* float64"),
    ((np.ones(2), "x"), r"grads\[1\] must be a float NumPy array"),
    (np.ones(3).tolist(), r"grads\[0\] must be a float NumPy array"),
    ({1, 2}, "grads must be a dict or list"),
    (None, "grads must be a dict or list"),
])
def test_bad_grads_name_the_key(grads, match):
    with pytest.raises(ValueError, match=match):
        clip_grad_norm_(grads, 1.0)
    with pytest.raises(ValueError, match=match):
        clip_grad_value_(grads, 1.0)


def test_read_only_gradient_is_named():
    g = np.ones(3)
    g.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\['W'\] is read-only"):
        clip_grad_norm_({"W": g}, 1.0)


def test_empty_array_with_inf_norm_raises_like_torch():
    arrays = [np.ones(2), np.zeros((0, 3))]
    with pytest.raises(RuntimeError, match="empty tensor"):
        torch_norm_clip(arrays, 1.0, math.inf)
    with pytest.raises(ValueError, match="empty array"):
        clip_grad_norm_(arrays, 1.0, math.inf)
    want_norm = torch_norm_clip(arrays, 1.0, 2.0)[0]
    assert clip_grad_norm_(arrays, 1.0, 2.0) == want_norm == math.sqrt(2.0)


def test_clip_value_overflowing_float32_raises_like_torch():
    with pytest.raises(RuntimeError, match="overflow"):
        torch_value_clip([np.ones(2, np.float32)], 1e300)
    with pytest.raises(ValueError, match="clip_value .* overflows float32"):
        clip_grad_value_([np.ones(2, np.float32)], 1e300)
    g = np.array([1e300, -1e301])
    clip_grad_value_([g], 1e300)
    np.testing.assert_array_equal(g, [1e300, -1e300])


def test_error_if_nonfinite_must_be_bool():
    with pytest.raises(ValueError, match="error_if_nonfinite"):
        clip_grad_norm_([np.ones(2)], 1.0, error_if_nonfinite="yes")


def test_old_names_are_aliases_of_the_torch_names() -> None:
    assert clipping.total_norm is get_total_norm
    assert clipping.clip_grad_norm is clip_grad_norm_
    assert clipping.clip_grad_value is clip_grad_value_


def torch_split_clip(arrays, max_norm, total):
    """``torch.nn.utils.clip_grads_with_norm_`` with a given total norm (a tensor of the grads' dtype)."""
    params = _params(arrays)
    t = torch.tensor(total, dtype=params[0].grad.dtype) if params else torch.tensor(total)
    torch.nn.utils.clip_grads_with_norm_(params, max_norm, t)
    return [p.grad.numpy() for p in params]


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_arrays=st.integers(1, 5),
    scale=st.sampled_from([1e-2, 1.0, 1e2]),
    max_norm=st.sampled_from([0.0, 1e-6, 0.5, 1.0, 7.0, math.inf]),
    extra=st.sampled_from([0.0, 1.0, 10.0, math.inf, math.nan]),
)
def test_split_api_equals_torch_and_clip_grad_norm_(dtype, seed, n_arrays, scale, max_norm, extra):
    """get_total_norm + clip_grads_with_norm_ is clip_grad_norm_, bit for bit, and clip_grads_with_norm_
    with a norm taken over more gradients (``extra``) equals torch's."""
    _, arrays = random_grads(seed, dtype, n_arrays, scale, as_dict=False)
    whole = [a.copy() for a in arrays]
    norm = get_total_norm(arrays)
    assert type(norm) is float
    clip_grads_with_norm_(arrays, max_norm, norm)
    assert clip_grad_norm_(whole, max_norm) == norm
    for a, w in zip(arrays, whole):
        np.testing.assert_array_equal(a, w)
    more = [a.copy() for a in whole]
    total = float(np.hypot(norm, extra))
    want = torch_split_clip(more, max_norm, total)
    clip_grads_with_norm_(more, max_norm, total)
    for a, w in zip(more, want):
        assert a.dtype == dtype
        assert_close(a, w, RTOL[dtype])


def test_clip_grads_with_norm_rejects_bad_arguments() -> None:
    g = [np.ones(3)]
    with pytest.raises(ValueError, match="total_norm must be a real number"):
        clip_grads_with_norm_(g, 1.0, "2.0")
    with pytest.raises(ValueError, match="total_norm must be a real number"):
        clip_grads_with_norm_(g, 1.0, True)
    with pytest.raises(ValueError, match="max_norm must be a number >= 0"):
        clip_grads_with_norm_(g, -1.0, 2.0)
    clip_grads_with_norm_([], 1.0, 5.0)  # nothing to clip, as in torch


# --- The claims of docs/clipping.md, each tried against counterexamples ---------------------------
# Strategies: non-normal 2×2 matrices (small ρ, large ‖·‖), partial saturation (some f' ≈ 0,
# others at their maximum), products over T ≥ 2 steps, gradients with zero entries.

U_NONNORMAL = np.array([[0.705, 1.005], [-1.005, -1.305]])     # ρ = 0.3, ‖U‖₂ ≈ 2.05


@st.composite
def recurrent_case(draw):
    """(U, f' per step, γ_f): U dense or non-normal 2×2, f' in [0, γ_f] with partial saturation."""
    if draw(st.booleans()):
        k, th = draw(st.floats(0.0, 20.0)), draw(st.floats(0.0, np.pi))
        R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        U = R @ np.array([[draw(st.floats(-1, 1)), k], [0.0, draw(st.floats(-1, 1))]]) @ R.T
    else:
        n = draw(st.integers(2, 4))
        U = np.array(draw(st.lists(st.floats(-3, 3), min_size=n * n, max_size=n * n))).reshape(n, n)
    gamma = draw(st.sampled_from([1.0, 0.25]))                     # tanh, logistic sigmoid
    T = draw(st.integers(2, 8))
    fps = np.array([[draw(st.sampled_from([0.0, 0.01, gamma, draw(st.floats(0.0, gamma))]))
                     for _ in range(U.shape[0])] for _ in range(T)])
    return U, fps, gamma


@SETTINGS
@given(case=recurrent_case())
@example(case=(U_NONNORMAL, np.array([[0.05, 1.0]] * 50), 1.0))
def test_one_factor_is_at_most_gamma_f_times_the_largest_singular_value(case) -> None:
    """(clipping-bound): ‖diag(f')Uᵀ‖₂ ≤ γ_f σ_max for |f'| ≤ γ_f (σ_max = ‖U‖₂, Pascanu et al.'s λ₁),
    so a product of n factors is at most (γ_f σ_max)^n: σ_max < 1/γ_f is sufficient for vanishing,
    σ_max > 1/γ_f necessary for exploding."""
    U, fps, gamma = case
    sigma_max = np.linalg.norm(U, 2)
    P = np.eye(U.shape[0])
    for fp in fps:
        F = fp[:, None] * U.T
        assert np.linalg.norm(F, 2) <= gamma * sigma_max * (1 + 1e-12) + 1e-12
        P = F @ P
    assert np.linalg.norm(P, 2) <= (gamma * sigma_max) ** len(fps) * (1 + 1e-7) + 1e-300


@SETTINGS
@given(f1=st.floats(0.0, 0.05), f2=st.floats(0.8, 1.0))
@example(f1=0.05, f2=1.0)
@example(f1=0.05, f2=0.8)                                          # the edge of growth: ρ(F) = 1.005
def test_the_spectral_radius_is_not_the_condition(f1, f2) -> None:
    """ρ(U) = 0.3 < 1, yet with one unit saturated (f′ ≤ 0.05) and the other near the linear regime
    (f′ ≥ 0.8), the same f′ at every step, the product grows without bound: the condition is on
    σ_max(U), not ρ."""
    F = np.diag([f1, f2]) @ U_NONNORMAL.T                          # the factor diag(f') Uᵀ of (clipping-product)
    assert np.abs(np.linalg.eigvals(U_NONNORMAL)).max() < 1 < np.linalg.norm(U_NONNORMAL, 2)
    assert np.abs(np.linalg.eigvals(F)).max() > 1
    assert np.linalg.norm(np.linalg.matrix_power(F, 2000), 2) > 1e3
    if (f1, f2) == (0.05, 1.0):
        assert np.linalg.norm(np.linalg.matrix_power(F, 50), 2) > 1e5


@SETTINGS
@given(fs=st.lists(st.tuples(st.floats(0.0, 0.05), st.floats(0.8, 1.0)), min_size=1, max_size=8))
@example(fs=[(0.05, 0.8)])                                         # the slowest constant f′: 1.005 per step
@example(fs=[(0.05, 0.8), (0.0, 1.0)])
@example(fs=[(0.0, 0.8), (0.05, 1.0), (0.05, 0.8), (0.0, 1.0)])
def test_the_counterexample_grows_when_f_prime_changes_from_step_to_step(fs) -> None:
    """Step 1's counterexample with f′ changing from step to step inside the box (first unit f′ ≤ 0.05,
    second f′ ≥ 0.8), repeated over 2000 steps: the product still grows, at no less than the slowest
    constant corner's rate, 1.005 per step (1.005^2000 > 2e4)."""
    P = np.eye(2)
    for i in range(2000):
        f1, f2 = fs[i % len(fs)]
        P = P @ (np.diag([f1, f2]) @ U_NONNORMAL.T)                # the factor diag(f′_τ) Uᵀ, τ = k leftmost
    assert np.linalg.norm(P, 2) > 1e4


@SETTINGS
@given(f1=st.floats(0.8, 1.0), f2=st.floats(0.0, 0.05))
@example(f1=0.8, f2=0.05)                                          # the roles of the two units swapped
@example(f1=1.0, f2=0.05)
@example(f1=1.0, f2=0.0)                                           # the largest spectral radius of the range
def test_the_counterexample_needs_the_first_unit_saturated(f1, f2) -> None:
    """The same U with the roles swapped (the second unit saturated, the first near linear): the
    product vanishes, so which unit saturates is part of the condition."""
    F = np.diag([f1, f2]) @ U_NONNORMAL.T
    assert np.abs(np.linalg.eigvals(F)).max() < 0.75                 # 0.705 at f' = (1, 0)
    assert np.linalg.norm(np.linalg.matrix_power(F, 200), 2) < 1e-3


@SETTINGS
@given(f1=st.floats(0.0, 0.05), f2=st.floats(0.0, 0.7))
@example(f1=0.05, f2=0.7)
@example(f1=0.0, f2=0.5)                                           # a clearly unsaturated unit (tanh at |z| ≈ 0.88)
def test_the_counterexample_needs_the_other_unit_near_linear(f1, f2) -> None:
    """The same U with the other unit at f′ ≤ 0.7 (the first saturated as above): the product vanishes."""
    F = np.diag([f1, f2]) @ U_NONNORMAL.T
    assert np.abs(np.linalg.eigvals(F)).max() < 0.92
    assert np.linalg.norm(np.linalg.matrix_power(F, 200), 2) < 1e-3


def _forward_product(drive, h0, steps=200):
    """‖∏ diag(f′(z_τ)) Uᵀ‖₂ along the forward pass z_τ = U h_{τ−1} + x_τ, h_τ = tanh(z_τ), of the
    counterexample, with x_τ = drive(h_{τ−1}) (τ = k leftmost, as in (clipping-product))."""
    h, P = np.asarray(h0, float), np.eye(2)
    for _ in range(steps):
        h = np.tanh(U_NONNORMAL @ h + drive(h))
        P = P @ (np.diag(1 - h ** 2) @ U_NONNORMAL.T)
    return np.linalg.norm(P, 2)


def _constant_input_orbit(x, h0, steps):
    """The counterexample's forward pass under the constant input x from h0: the last two states and
    ln ‖∏ diag(f′(z_τ)) Uᵀ‖₂ over `steps` steps (the product renormalised at each step: no overflow)."""
    h, P, log_norm = np.asarray(h0, float), np.eye(2), 0.0
    for _ in range(steps):
        h_prev, h = h, np.tanh(U_NONNORMAL @ h + x)
        P = P @ (np.diag(1 - h ** 2) @ U_NONNORMAL.T)
        n = np.linalg.norm(P, 2)
        log_norm, P = log_norm + math.log(n), P / n
    return h_prev, h, log_norm


_REFEREE_CASE = (-3.0, 0.121373228636517, (0.7916384, -0.88954775))   # the product is still 2.6 at lag 200


@SETTINGS
@given(s=st.sampled_from([3.0, -3.0]), b2=st.floats(-3.0, 3.0),
       h0=st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0)))
@example(s=3.0, b2=0.3, h0=(0.0, 0.0))
@example(s=-3.0, b2=0.0, h0=(1.0, -1.0))
@example(s=_REFEREE_CASE[0], b2=_REFEREE_CASE[1], h0=_REFEREE_CASE[2])
def test_the_counterexample_under_a_constant_input(s, b2, h0) -> None:
    """Step 1: under a constant input (±3, b₂) the product decays in the end where the forward pass
    settles at a stable fixed point (checked at lag 1000), but it need not decay soon: from the
    referee's initial state it is still above 1 at lag 200 (an earlier version of this test asserted
    decay by lag 200 for every draw; that case broke it)."""
    x = np.array([s, b2])
    h_prev, h, log_norm = _constant_input_orbit(x, h0, 1000)
    if np.abs(h - h_prev).max() < 1e-10:                                 # settled at a fixed point
        rho = np.abs(np.linalg.eigvals(np.diag(1 - h ** 2) @ U_NONNORMAL)).max()
        if rho < 1:                                                      # a stable one
            assert log_norm < 0
    if (s, b2, h0) == _REFEREE_CASE:
        assert _forward_product(lambda h: x, h0, steps=200) > 1           # not decayed by lag 200


@SETTINGS
@given(d=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
       u=st.tuples(*[st.floats(-3.0, 3.0)] * 4))
@example(d=(0.0, 1.0), u=tuple(U_NONNORMAL.ravel()))                    # partial saturation
@example(d=(1.0, 1.0), u=(0.9, 10.0, 0.0, 0.9))                          # non-normal, ρ < 1 < σ_max
def test_a_fixed_point_where_the_product_grows_is_unstable(d, u) -> None:
    """Step 1: at a fixed point of a constant-input forward pass, f′ is the same at every step, so
    the forward Jacobian is diag(f′) U and the backward factor diag(f′) Uᵀ = (U diag(f′))ᵀ; AB and BA
    have the same eigenvalues, so the two have the same spectral radius: where the product grows
    geometrically (ρ > 1), the fixed point is unstable."""
    U, D = np.array(u).reshape(2, 2), np.diag(d)
    forward = np.sort_complex(np.linalg.eigvals(D @ U))
    backward = np.sort_complex(np.linalg.eigvals(D @ U.T))
    assert np.allclose(forward, backward, atol=1e-9 * (1 + np.abs(forward).max()))


def test_a_constant_input_holds_the_counterexample_at_an_unstable_fixed_point() -> None:
    """Step 1 (the referee's case): the input (3, 1) has a fixed point h* ≈ (0.9988, −0.0016) with
    f′ ≈ (0.002, 1); there the product grows (ρ > 1), so h* is unstable, yet started at h* it is held."""
    x, h = np.array([3.0, 1.0]), np.array([0.9988, -0.0016])
    for _ in range(50):                                                  # Newton on h − tanh(U h + x) = 0
        fp = 1 - np.tanh(U_NONNORMAL @ h + x) ** 2
        h = h - np.linalg.solve(np.eye(2) - np.diag(fp) @ U_NONNORMAL, h - np.tanh(U_NONNORMAL @ h + x))
    assert np.abs(h - np.tanh(U_NONNORMAL @ h + x)).max() < 1e-14
    fp = 1 - h ** 2
    assert fp[0] < 0.01 and fp[1] > 0.99
    assert np.abs(np.linalg.eigvals(np.diag(fp) @ U_NONNORMAL)).max() > 1.2     # unstable
    assert _forward_product(lambda _: x, h, steps=40) > 1e4                      # the product grows


@pytest.mark.parametrize("s", [3.0, -3.0])
def test_the_counterexample_grows_when_the_input_cancels_the_recurrent_drive(s) -> None:
    """Step 1: an input that cancels (U h_{t−1})₂ at every step holds z₂ = 0.3 (f′₂ > 0.9) while the
    first unit saturates: then the forward pass realises the counterexample, and the product grows."""
    drive = lambda h: np.array([s, 0.3 - (U_NONNORMAL @ h)[1]])     # noqa: E731
    assert _forward_product(drive, (0.0, 0.0)) > 1e10


@SETTINGS
@given(a=st.floats(0.05, 0.99), k=st.floats(0.0, 100.0), n=st.integers(1, 200))
@example(a=0.9, k=10.0, n=9)                                     # the clipping-rules example: 39 at lag 9
def test_rho_below_one_products_grow_before_they_decay(a, k, n) -> None:
    """Step 1: U = [[a, k], [0, a]] has ρ(U) = a < 1, yet at f′ = 1 the long-range factor
    (Uᵀ)ⁿ has the entry n aⁿ⁻¹ k, so ‖(Uᵀ)ⁿ‖₂ ≥ n aⁿ⁻¹ k (above 1 for a large k: a transient,
    with no unit saturated); and it decays in the end (ρ < 1)."""
    U = np.array([[a, k], [0.0, a]])
    assert np.abs(np.linalg.eigvals(U)).max() < 1
    P = np.linalg.matrix_power(U.T, n)
    assert np.linalg.norm(P, 2) >= n * a ** (n - 1) * k * (1 - 1e-12)
    assert np.linalg.norm(np.linalg.matrix_power(U.T, 20000), 2) < 1e-6      # it decays in the end
    if (a, k, n) == (0.9, 10.0, 9):
        lags = [np.linalg.norm(np.linalg.matrix_power(U.T, m), 2) for m in range(1, 100)]
        assert int(np.argmax(lags)) + 1 == 9 and 38 < max(lags) < 39
        assert lags[39] > 6 and min(m for m in range(9, 100) if lags[m - 1] < 1) == 63


@SETTINGS
@given(g=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=8),
       g_max=st.one_of(st.just(0.0), st.floats(1e-3, 1e3)), lr=st.floats(1e-3, 10.0))
@example(g=[3.0, 4.0], g_max=5.0, lr=0.1)                            # ‖g‖ = g_max exactly
@example(g=[3.0, 4.0], g_max=0.0, lr=0.1)                            # g_max = 0: the zero vector
@example(g=[2.225073858507e-311], g_max=0.0, lr=1.0)                 # subnormal: its squared norm underflows
@example(g=[1.6853292978281723e-279], g_max=1.0, lr=1.0)             # tiny: out @ g underflows to 0
def test_norm_clipping_keeps_the_direction_and_bounds_the_step(g, g_max, lr) -> None:
    """(clipping-norm) and PyTorch's rule: for g_max > 0 the result is a positive multiple of g
    (the direction is kept), its norm is at most g_max, so the step −η g moves the parameters by
    at most η g_max; PyTorch's result has norm g_max‖g‖/(‖g‖ + 10⁻⁶) when that is below ‖g‖ (a
    hair under g_max). For g_max = 0 both rules return the zero vector: no direction is kept."""
    g = np.array(g)
    norm = math.hypot(*g)  # np.linalg.norm squares first: a subnormal entry (2.2e-311) gives 0
    book = g * (g_max / norm) if norm > g_max else g.copy()
    torch_rule = {"g": g.copy()}
    clip_grad_norm_(torch_rule, g_max)
    for out in (book, torch_rule["g"]):
        assert np.linalg.norm(out) <= g_max * (1 + 1e-12)
        assert np.linalg.norm(lr * out) <= lr * g_max * (1 + 1e-12)
        if g_max == 0.0:
            assert not out.any()
        elif norm > 0:
            scale = np.abs(g).max()          # compare directions at unit scale: products of 1e-279s underflow
            o, u = out / scale, g / scale
            assert np.abs(o * np.linalg.norm(u) - u * np.linalg.norm(o)).max() <= 1e-9 * np.linalg.norm(u) * (1 + np.linalg.norm(o))
            assert o @ u > 0                                       # the same direction, not the opposite
    if norm > g_max - 1e-6:
        assert np.linalg.norm(torch_rule["g"]) == pytest.approx(g_max * norm / (norm + 1e-6), rel=1e-12, abs=1e-300)


@SETTINGS
@given(g=st.lists(st.floats(-10.0, 10.0), min_size=2, max_size=8), kappa=st.floats(0.01, 5.0))
@example(g=[3.0, 0.0], kappa=1.0)                                  # clipped entry beside a zero one
@example(g=[3.0, 0.5], kappa=1.0)
@example(g=[3.0, 2.0], kappa=1.0)                                  # every entry clipped, different sizes
def test_value_clipping_bounds_the_norm_and_turns_the_direction(g, kappa) -> None:
    """(clipping-value): the result has norm ≤ κ√n; it turns the direction whenever some entry is
    clipped and some other non-zero entry is not — not when the other entries are 0 — and when every
    non-zero entry is clipped but their sizes differ; it keeps it when they are all clipped and equal."""
    g = np.array(g)
    out = {"g": g.copy()}
    clip_grad_value_(out, kappa)
    c = out["g"]
    assert np.linalg.norm(c) <= kappa * np.sqrt(g.size) * (1 + 1e-12)
    clipped = np.abs(g) > kappa
    kept_nonzero = (~clipped) & (g != 0)
    ratio = c[g != 0] / g[g != 0]              # c ∥ g exactly when every ratio c_i/g_i is the same
    parallel = bool(np.all(ratio == ratio[0])) if ratio.size else True
    if clipped.any() and kept_nonzero.any():
        assert not parallel
    if clipped.any() and not kept_nonzero.any() and np.unique(np.abs(g[clipped])).size == 1:
        assert parallel                                            # e.g. (3, 0) → (1, 0)
    sizes = np.abs(g[clipped])
    if clipped.any() and not kept_nonzero.any() and np.ptp(sizes) > 1e-9 * sizes.max():
        assert not parallel                                        # e.g. (3, 2) → (1, 1)


@SETTINGS
@given(norms=st.lists(st.floats(0.0, 1e3), min_size=1, max_size=6), g_max=st.floats(1e-3, 1e2),
       p=st.sampled_from([0.5, 1.0, 2.0, 3.0]))
@example(norms=[3.0, 3.0], g_max=1.0, p=2.0)                          # two arrays above: total √2 g_max
@example(norms=[3.0, 0.5], g_max=1.0, p=2.0)                          # one shortened, one not: turns
@example(norms=[3.0, 0.0], g_max=1.0, p=2.0)                          # the other array is zero: no turn
@example(norms=[1.0, 2.4472100784146415e-132], g_max=0.5, p=0.5)     # a turn of 1e-132 rad: not resolvable
@example(norms=[5e-324], g_max=0.5, p=3.0)                            # every norm underflows to 0
@example(norms=[2.0, 1.199520208307141e-273], g_max=1.0, p=0.5)      # its 2-norm underflows: share by p-norm
def test_per_parameter_clipping_can_end_above_g_max(norms, g_max, p) -> None:
    """Clipping each of m arrays to g_max on its own (p-norms): the total norm is at most g_max·m^(1/p),
    above g_max when two or more arrays were above g_max, and the direction of the whole gradient
    changes when the arrays' non-zero parts are scaled by different factors (e.g. one shortened,
    another non-zero one not) — not when every non-zero array gets the same factor."""
    grads = {f"p{i}": np.full(3, v / 3 ** (1 / p)) for i, v in enumerate(norms)}
    before = np.concatenate(list(grads.values()))
    factors = []
    for k, g in grads.items():
        n0 = float(get_total_norm([g], p))
        clip_grad_norm_({k: g}, g_max, p)
        if n0 > 0:
            factors.append(float(get_total_norm([g], p)) / n0)
    after = np.concatenate(list(grads.values()))
    total = float(get_total_norm([after], p))
    assert total <= g_max * len(norms) ** (1 / p) * (1 + 1e-9)
    if sum(float(get_total_norm([np.full(3, v / 3 ** (1 / p))], p)) > g_max for v in norms) >= 2:
        assert total > g_max
    if before.any() and factors:  # factors is empty when every norm underflowed to 0 (e.g. 5e-324, p = 3)
        parallel = np.allclose(after * np.linalg.norm(before), before * np.linalg.norm(after), rtol=0,
                               atol=1e-12 * np.linalg.norm(before) * np.linalg.norm(after))
        spread = max(factors) - min(factors)
        sizes = [v for v in norms if v / 3 ** (1 / p) > 0]   # each array's p-norm (its entries not underflowed)
        smallest = min(sizes, default=0.0)
        # The turn's angle is about the smaller arrays' share of the norm: 1e-132 of it turns the
        # whole by 1e-132 rad, below float64's resolution. Asserted where the share is resolvable.
        if spread > 1e-6 * max(factors) and smallest > 1e-6 * max(sizes):
            assert not parallel
        if spread == 0.0:
            assert parallel


def _turn_and_total(a: np.ndarray, bs: list[np.ndarray], g_max: float) -> tuple[float, float, float, float]:
    """Per-parameter clipping of ``a`` and the arrays ``bs``: (cos of the turn, total norm after,
    shortening factor c of ``a``, share s = Σ‖b‖² / ‖g‖² before)."""
    grads = {"a": a.copy(), **{f"b{i}": b.copy() for i, b in enumerate(bs)}}
    before = np.concatenate([v.ravel() for v in grads.values()])
    for key in grads:
        clip_grad_norm_({key: grads[key]}, g_max)
    after = np.concatenate([v.ravel() for v in grads.values()])
    c = np.linalg.norm(grads["a"]) / np.linalg.norm(a)
    s = sum(float(b @ b) for b in bs) / float(before @ before)
    return float(after @ before / (np.linalg.norm(after) * np.linalg.norm(before))), float(np.linalg.norm(after)), c, s


@SETTINGS
@given(a=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=4), g_max=st.floats(0.5, 100.0),
       bs=st.lists(st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=3), min_size=1, max_size=4))
@example(a=[6.0, 8.0], g_max=1.0, bs=[[0.3, 0.4]])               # clipping-rules section 3: 24°, total 1.118
@example(a=[10.0], g_max=1.0, bs=[[0.99]])                       # one small array: 39°
@example(a=[10.0], g_max=1.0, bs=[[1e-3]])                       # kept part just above the edge: total > g_max
def test_per_parameter_turn_follows_the_share(a, g_max, bs) -> None:
    """One array shortened by c, the others (share s of ‖g‖² before clipping) below g_max and kept:
    cos θ = (c(1−s) + s)/√(c²(1−s) + s), and the total norm after clipping is above g_max exactly
    when the kept arrays' ‖·‖² add up to more than g_max² − (c‖a‖)², about 2·10⁻⁶ g_max²/‖a‖."""
    a, bs = np.array(a), [np.array(b) for b in bs]
    assume(np.linalg.norm(a) > 2 * g_max and all(np.linalg.norm(b) < g_max for b in bs))
    cos, total, c, s = _turn_and_total(a, bs, g_max)
    assert cos == pytest.approx((c * (1 - s) + s) / math.sqrt(c * c * (1 - s) + s), rel=1e-9, abs=1e-12)
    kept = sum(float(b @ b) for b in bs)
    edge = g_max ** 2 - (c * np.linalg.norm(a)) ** 2
    assert edge == pytest.approx(2e-6 * g_max ** 2 / np.linalg.norm(a), rel=1e-3)
    if kept > edge * (1 + 1e-3):
        assert total > g_max
    elif kept < edge * (1 - 1e-3):
        assert total < g_max
    if a.tolist() == [6.0, 8.0] and g_max == 1.0:
        assert math.degrees(math.acos(cos)) == pytest.approx(23.7, abs=0.1) and total == pytest.approx(1.118, abs=1e-3)


def test_per_parameter_turn_is_not_monotone_in_the_share() -> None:
    """g_max = 1, one array of norm 10 and k arrays of norm 0.99: the turn rises, then falls, as the
    kept arrays' share grows (k = 1, 10, 100, 1000, 10⁴: about 39°, 55°, 40°, 16°, 5°)."""
    turns, shares = [], []
    for k in (1, 10, 100, 1000, 10000):
        cos, _, _, s = _turn_and_total(np.array([10.0]), [np.array([0.99])] * k, 1.0)
        turns.append(math.degrees(math.acos(min(1.0, cos))))
        shares.append(s)
    assert shares == sorted(shares)
    assert turns[0] < turns[1] and turns[1] > turns[2] > turns[3] > turns[4]
    assert [round(t) for t in turns] == [39, 55, 40, 16, 5]


def test_clipping_before_backward_finds_no_gradients() -> None:
    """Pitfall "clipping at the wrong moment": after optimizer.zero_grad() (set_to_none=True, the
    default) the gradients are None, and clip_grad_norm_ returns 0."""
    torch.manual_seed(0)
    model = torch.nn.RNN(4, 16, batch_first=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item() == 0.0
    model(torch.randn(2, 5, 4))[0].sum().backward()
    assert torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item() > 0.0


# --- The measurements of the clipping-train experiment, tried on made-up runs ----------------------

def _run(*losses: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.array(losses, dtype=float)
    return a, np.ones_like(a), np.ones_like(a)


def test_passes_chance_skips_step_one_and_refuses_a_loss_next_to_chance() -> None:
    """A run's loss passes chance at its first step after step 1 above ln 4; a loss within 1e-6
    of ln 4 before that could fall on the other side on another CPU."""
    assert ct.passes_chance(np.array([1.5, 1.2, 1.0, 1.3, 1.5])) == 5
    assert ct.passes_chance(np.array([1.5, 1.2, 1.0, np.nan])) == 0
    assert ct.passes_chance(np.array([1.0, 1.5])) == 2
    with pytest.raises(FragileNumber):
        ct.passes_chance(np.array([1.5, math.log(4) * (1 + 1e-8), 2.0]))


def test_spike_jump_and_isolated_jump_on_made_up_norms() -> None:
    """The spike step's one-step rise, and a rise of ≥ 10× that falls ≥ 10× at the next step within
    steps 1-20 (a rise that stays up, or one after step 20, is not an isolated jump)."""
    norms = np.array([1.0, 2.0, 4.0, 30.0, 2.0, 2.5])             # spike at step 4: 30 > 10 × 1
    assert ct.first_spike(norms) == 4 and ct.spike_jump(norms) == pytest.approx(7.5)
    assert math.isnan(ct.spike_jump(np.array([1.0, 2.0, 3.0])))
    assert ct.isolated_jump(np.array([1.0, 1.0, 10.0, 1.0]))
    assert not ct.isolated_jump(np.array([1.0, 1.0, 10.0, 1.01]))   # falls less than 10×
    assert not ct.isolated_jump(np.array([1.0, 1.0, 9.9, 0.5]))     # rises less than 10×
    assert not ct.isolated_jump(np.r_[np.ones(20), 100.0, 1.0])     # after step 20
    assert not ct.isolated_jump(np.array([1.0, 20.0, np.nan, np.nan]))  # stopped: no next step


def test_twin_test_refuses_a_row_that_moved_or_stopped_elsewhere() -> None:
    """A row printed with digits must be measured stable: its twin may move no final loss by more
    than 10 × SENSITIVE (relative) and must stop where its run stops."""
    assert ct.require_stable("x", [_run(1.0, 0.5)], [_run(1.0, 0.5 * (1 + 1e-9))]) == pytest.approx(1e-9)
    with pytest.raises(ValueError, match="not chaotic"):
        ct.require_stable("x", [_run(1.0, 0.5)], [_run(1.0, 0.51)])
    with pytest.raises(ValueError, match="stopped"):
        ct.require_stable("x", [_run(1.0, 0.5)], [_run(1.0, np.nan)])


@pytest.mark.parametrize("x, text", [(4.57e-10, "< 1e-9"), (2.7e-12, "< 1e-11"), (0.3, "< 1e0")])
def test_below_power_prints_the_decade(x, text) -> None:
    assert ct.below_power(x) == text


@pytest.mark.parametrize("x", [9e-10, 1.2e-10])
def test_below_power_refuses_a_change_next_to_a_power_of_ten(x) -> None:
    with pytest.raises(FragileNumber):
        ct.below_power(x)


def test_clipped_share_is_exact_when_stable_and_a_shared_lower_bound_when_chaotic() -> None:
    def run(*norms: float):
        n = np.array(norms)
        return n, n, n
    runs = [run(2.0, 3.0, 0.5, np.nan)]                      # 2 of its 3 steps above g_max = 1
    twins = [run(2.0, 3.0, 3.0, 0.5)]                        # 3 of 4
    assert ct.clipped_share(runs, twins, chaotic=False) == "67%"
    assert ct.clipped_share(runs, twins, chaotic=True) == "≥60%"
    with pytest.raises(FragileNumber):
        ct.clipped_share([run(1.0 + 1e-9)], [run(2.0)], chaotic=False)


@SETTINGS
@given(seed=st.integers(0, 50), u_scale=st.sampled_from([0.5, 1.5, 3.0]), step=st.integers(1, 3))
@example(seed=0, u_scale=1.5, step=1)
def test_the_lag_split_sums_to_the_bptt_gradient(seed, u_scale, step) -> None:
    """Section 5 of clipping-train: ∂L/∂U split by the lag t − k (``lag_parts``) sums back to
    ``bptt``'s ∂L/∂U."""
    params = ct.init_params(1000 + seed, u_scale)
    x, y = ct.recall_batches(seed, step)[step - 1]
    G = ct.lag_parts(x, y, params)
    _, grads = ct.bptt(x, y, np.zeros((ct.B, ct.H)), params)
    np.testing.assert_allclose(G.sum(0), grads["W_hh"], rtol=1e-9, atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), wrong=st.integers(1, 3), scale=st.sampled_from([1.0, 10.0, 100.0]))
@example(seed=0, wrong=1, scale=100.0)
def test_one_wrong_position_outweighs_the_400_step_gap(seed, wrong, scale) -> None:
    """The 400-step section: L/T is the mean −log p of the right token over the B·T positions of
    one batch, so each position whose right token has probability ≤ 1/2 adds ≥ ln 2/(BT) to it,
    however confident the others (``scale`` makes them near-certain); and ln 2/(BT) exceeds the
    gap between the medians behind the printed factors (run and twin), and the run-by-run gap (the
    largest norm-clipped run at eta = 0.3 against the smallest unclipped one), so neither the factor
    nor that order can tell confidence from one wrong position."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, ct.K, size=(ct.T, ct.B))
    V = scale * np.eye(ct.K)
    h = np.zeros((ct.T, ct.B, ct.K))
    t_idx, b_idx = np.indices((ct.T, ct.B))
    h[t_idx, b_idx, y] = 1.0                                    # every right token near-certain …
    bad = rng.choice(ct.T * ct.B, size=wrong, replace=False)
    for i in bad:                                               # … except ``wrong`` positions, p ≤ 1/2
        t, b = divmod(int(i), ct.B)
        h[t, b] = 0.0
        h[t, b, (y[t, b] + 1) % ct.K] = rng.uniform(0.0, 1.0)
    loss, _, _ = softmax_loss(h, y, V, np.zeros(ct.K))
    assert loss / ct.T >= wrong * math.log(2) / (ct.B * ct.T) * (1 - 1e-12)

    values = json.loads((Path(__file__).resolve().parents[1] / "docs/outputs/clipping-long.values.json").read_text())
    clipped = float(values["norm-0.3-400"])
    for key in ("best-none", "best-none-twin"):
        assert 0 < float(values[key]) - clipped < math.log(2) / (ct.B * ct.T)
    assert 0 < float(values["none-min-400"]) - float(values["norm-0.3-max-400"]) < math.log(2) / (ct.B * ct.T)
