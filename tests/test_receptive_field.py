"""Exercise 6-1: the receptive-field claims of docs/tdnn-cnn-rnn.md, tried against counterexamples.

Each test tries to break one sentence of the page, with dilations larger than the field below
(holes), one layer and several, w = 1, T ≥ 2 and the first steps (a field cut off by the start
of the sequence). Dependence is read by autograd, as in the demo: ∂y_t/∂x_k ≠ 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.experiments.receptive_field import (LARGE_ABOVE, CausalStack, SimpleRNN, large_u_gain, dependence,
                                                   dependence_over_inputs, expected, input_gain, kernel_bound, offsets,
                                                   rotation, span, stream, tap_choices)
from solutions.torch_ops import rnn

dilation_lists = st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple)


# tanh and σ: analytic, f' > 0 everywhere (the page's sufficient condition); -tanh: f' < 0 everywhere (f' has
# one sign, so every path term has the sign (sign f')^L and the sum is still nonzero). z³ (f'(0) = 0) and
# leaky ReLU (not analytic) show that the condition is not necessary: f' = 0 on an interval is what breaks it.
ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "neg_tanh": lambda z: -torch.tanh(z),
               "cube": lambda z: z**3, "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01)}


@settings(max_examples=10, deadline=None)
@given(width=st.integers(1, 3), dilations=dilation_lists, seed=st.integers(0, 10_000), f=st.sampled_from(sorted(ACTIVATIONS)))
@example(width=2, dilations=(1, 4), seed=0, f="tanh")       # issue 24: y_14 depends on x_9, x_10, x_13, x_14 only
@example(width=3, dilations=(1, 1), seed=0, f="tanh")       # the book's TDNN: delays at every layer
@example(width=2, dilations=(1, 4, 2), seed=0, f="tanh")    # a later layer fills the holes again
@example(width=2, dilations=(1, 2, 4), seed=0, f="sigmoid")  # WaveNet's doubling meets d_l <= r_{l-1}
@example(width=1, dilations=(5, 6), seed=0, f="tanh")       # w = 1: no delays, the field is x_t alone
@example(width=3, dilations=(3,), seed=0, f="tanh")         # one dilated layer: span 1 + (w-1)d, d-1 holes between taps
@example(width=2, dilations=(1, 2, 4), seed=0, f="neg_tanh")  # f' < 0 everywhere (referee 10): terms of one sign
@example(width=3, dilations=(1, 2), seed=1000, f="cube")    # f'(0) = 0 (referee 4): still S_L
@example(width=3, dilations=(1, 2), seed=1000, f="leaky_relu")  # the draw where ReLU cuts pairs: leaky ReLU does not
def test_field_is_the_set_of_lags_S_L(width: int, dilations: tuple[int, ...], seed: int, f: str) -> None:
    """(K4): y_t depends on x_k exactly when t - k ∈ S_L (for generic weights: random ones here, and
    an analytic f with f' ≠ 0: tanh, the logistic σ and -tanh, whose f' < 0; also z³ and leaky ReLU, so the
    condition is sufficient, not necessary), S_L lies in the span r_L (K5), and fills it when every d_l ≤ r_{l-1}."""
    r = span(width, dilations)
    T = 14 if (width, dilations) == (2, (1, 4)) else r + 2
    dep, _ = dependence(CausalStack(width, dilations, seed=seed, m=1, d=2, f=ACTIVATIONS[f]), T, m=1)
    lags = offsets(width, dilations)
    assert (dep == expected(lags, T)).all()
    assert max(lags) == r - 1, "the span: no input older than r_L - 1 steps matters, and the oldest one does"
    if all(d <= span(width, dilations[:l]) for l, d in enumerate(dilations)):
        assert lags == set(range(r)), "d_l ≤ r_{l-1} at every layer: the last r_L inputs, no holes"
    if (width, dilations) == (2, (1, 4)):
        assert [k + 1 for k in np.flatnonzero(dep[13])] == [9, 10, 13, 14]
    if (width, dilations) == (2, (1, 4, 2)):
        assert lags == set(range(8)), "the condition is sufficient, not necessary"


@settings(max_examples=20, deadline=None)
@given(width=st.integers(1, 3), dilations=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple))
@example(width=2, dilations=(1,) * 31)                 # the demo's TDNN: C(31, s) terms, 1 at s = 0 and s = 31
@example(width=2, dilations=(1, 2, 4, 8, 16))          # the demo's doubling CNN: one term per lag (referee s6, 2)
def test_the_number_of_terms_per_lag(width: int, dilations: tuple[int, ...]) -> None:
    """Page: ∂y_t/∂x_{t-s} of the plain stack (K2) is a sum with one term per choice of taps j_l with
    Σ_l j_l d_l = s; C(L, s) terms for w = 2, d_l = 1, exactly one per lag for w = 2 and d_l = 1, 2, 4, ....
    Checked on a scalar linear stack with every kernel entry 1 and no bias, whose ∂y_t/∂x_{t-s} counts the terms."""
    L, r = len(dilations), span(width, dilations)
    if width == 2 and set(dilations) == {1}:
        assert [tap_choices(width, dilations, s) for s in range(r)] == [math.comb(L, s) for s in range(r)]
    if width == 2 and list(dilations) == [2**l for l in range(L)]:
        assert [tap_choices(width, dilations, s) for s in range(r)] == [1] * r
    if L > 6:                                          # the autograd count below is for short stacks only
        return
    stack = CausalStack(width, dilations, seed=0, m=1, d=1, f=lambda z: z)
    stack.layers = [(torch.ones_like(kernel), torch.zeros_like(b), dil) for kernel, b, dil in stack.layers]
    T = r + 2
    J = torch.autograd.functional.jacobian(lambda x: stack(x)[-1, 0], torch.zeros(T, 1, dtype=torch.float64))[:, 0]
    assert [int(J[T - 1 - s]) for s in range(T)] == [tap_choices(width, dilations, s) for s in range(T)]
    assert {s for s in range(T) if tap_choices(width, dilations, s)} == offsets(width, dilations)


@settings(max_examples=6, deadline=None)
@given(width=st.integers(1, 3), dilations=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple),
       seed=st.integers(0, 10_000))
@example(width=3, dilations=(1, 2), seed=1000)    # the demo's CNN, its first ReLU draw: pairs of S_L cut
def test_with_relu_S_L_is_only_an_upper_bound(width: int, dilations: tuple[int, ...], seed: int) -> None:
    """With ReLU, no ■ lies outside S_L (the structural part holds for any f), but at a given input
    pairs inside S_L can be exactly 0 (units off at the steps their paths pass through)."""
    T = span(width, dilations) + 2
    dep, _ = dependence(CausalStack(width, dilations, seed=seed, m=2, d=3, f=torch.relu), T)   # the demo's sizes
    lags = expected(offsets(width, dilations), T)
    assert not (dep & ~lags).any()
    if (width, dilations, seed) == (3, (1, 2), 1000):
        assert (lags & ~dep).any(), "the pinned counterexample: pairs inside S_L with exactly 0"


def test_with_relu_the_union_over_inputs_recovers_S_L() -> None:
    """The cut pairs move with the input: for the demo's first ReLU draw the pattern at the demo's
    input misses pairs of S_L, the union over 20 inputs is exactly S_L."""
    dep = dependence_over_inputs(CausalStack(3, (1, 2), seed=1000, f=torch.relu))
    lags = expected(offsets(3, (1, 2)))
    assert (lags & ~dep[0]).any() and (dep.any(axis=0) == lags).all()


def test_with_relu_a_layer_above_the_first_can_be_dead_for_every_input() -> None:
    """As a function of x, too, ReLU can lose dependence on an open set of weights: layer 2 reads
    ReLU outputs (≥ 0), so with all its kernel entries and biases negative it never turns on, and
    y ≡ 0 for every input (here 20, of size 100), under any small change of the weights."""
    g = torch.Generator().manual_seed(1)
    for trial in range(2):
        cnn = CausalStack(3, (1, 2), seed=trial, f=torch.relu)
        (k1, b1, d1), (k2, b2, d2) = cnn.layers
        cnn.layers = [(k1, b1, d1), (-k2.abs() - 0.1 + 0.05 * torch.rand(k2.shape, generator=g, dtype=k2.dtype),
                                     -b2.abs() - 0.1, d2)]
        assert not dependence_over_inputs(cnn, scale=100.0).any()


def test_with_relu_the_jacobian_at_one_input_vanishes_on_an_open_set_of_weights() -> None:
    """At a given input (the demo's) the zeros are not a null set either: with every bias below -5
    (moderate weights) every unit is off there, and stays off under any small change of the
    weights: ∂y_t/∂x_k = 0 at that input, for the CNN and for a ReLU RNN (torch.nn.RNN)."""
    g = torch.Generator().manual_seed(0)
    for trial in range(2):
        cnn = CausalStack(3, (1, 2), seed=trial, f=torch.relu)
        cnn.layers = [(k + 0.05 * torch.randn(k.shape, generator=g, dtype=k.dtype), b - 5.0, d) for k, b, d in cnn.layers]
        assert not dependence(cnn)[0].any()
        rnn = torch.nn.RNN(2, 3, nonlinearity="relu", dtype=torch.float64)
        with torch.no_grad():
            for p in rnn.parameters():
                p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
            rnn.bias_ih_l0 -= 5.0
        assert not dependence(lambda x: rnn(x)[0], 6)[0].any()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(2, 6))
def test_a_relu_rnn_depends_on_no_future_input(seed: int, T: int) -> None:
    """With ReLU the RNN's pattern stays inside the lower triangle (causality holds for any f)."""
    g = torch.Generator().manual_seed(seed)
    rnn = torch.nn.RNN(2, 3, nonlinearity="relu", dtype=torch.float64)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    dep, _ = dependence(lambda x: rnn(x)[0], T)
    assert not (dep & ~expected(None, T)).any()


@settings(max_examples=15, deadline=None)
@given(width=st.integers(2, 3), lower=st.lists(st.integers(1, 6), max_size=2).map(tuple), extra=st.integers(1, 6))
@example(width=2, lower=(1,), extra=2)                       # the page's example: d = 1, 4 (d_2 = 4 > r_1 = 2)
def test_the_condition_d_l_le_r_l_minus_1_matters(width: int, lower: tuple[int, ...], extra: int) -> None:
    """When the last layer's dilation exceeds the field below it (d_L > r_{L-1}), the lag r_{L-1}
    is missing: the field has a hole inside its span, whatever the layers below. Every draw has
    d_L = r_{L-1} + extra > r_{L-1}."""
    below = span(width, lower)
    dilations = lower + (below + extra,)
    lags = offsets(width, dilations)
    assert below not in lags and below < span(width, dilations)


@settings(max_examples=10, deadline=None)
@given(width=st.integers(1, 3), dilations=dilation_lists, seed=st.integers(0, 10_000),
       f=st.sampled_from(["tanh", "sigmoid", "relu"]), w_scale=st.sampled_from([0.3, 1.0, 4.0]),
       x_scale=st.sampled_from([1e-3, 1.0, 10.0]))
@example(width=2, dilations=(1, 2, 4, 8, 16), seed=3, f="tanh", w_scale=1.0, x_scale=1.0)   # the demo's path CNN
@example(width=3, dilations=(1, 1), seed=1, f="relu", w_scale=4.0, x_scale=1e-3)            # ReLU, f' = 1 where on
def test_cnn_input_gain_is_bounded_at_every_lag_by_a_product_over_layers(width: int, dilations: tuple[int, ...], seed: int,
                                                                        f: str, w_scale: float, x_scale: float) -> None:
    """(K8): every path from x_k to y_t through the TDNN/CNN (K2) has L kernel matrices and L factors diag(f'),
    whatever the lag, so with |f'| ≤ 1 (tanh, σ, ReLU) ‖∂y_t/∂x_k‖₂ ≤ Π_l Σ_j ‖W_j^(l)‖₂ at every pair (t, k)."""
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}
    model = CausalStack(width, dilations, seed=seed, f=acts[f])
    model.layers = [(w_scale * kernel, b, d) for kernel, b, d in model.layers]
    T = min(span(width, dilations) + 2, 40)
    x = x_scale * torch.randn(T, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(model, x)                                 # (T, D, T, M)
    norms = torch.linalg.matrix_norm(J.permute(0, 2, 1, 3), ord=2)                   # (T, T): ‖∂y_t/∂x_k‖₂
    assert float(norms.max()) <= kernel_bound(model) * (1 + 1e-12)


@settings(max_examples=8, deadline=None)
@given(width=st.integers(1, 3), dilations=dilation_lists, shift=st.integers(1, 4), seed=st.integers(0, 10_000))
@example(width=3, dilations=(1, 2), shift=1, seed=10)       # the demo's CNN: the first steps do differ
def test_shifting_the_input_shifts_the_output_from_step_r_L_on(width: int, dilations: tuple[int, ...], shift: int,
                                                              seed: int) -> None:
    """The table's shift row. x' = (s other inputs, x_1, …, x_T): the TDNN/CNN gives y'_{t+s} = y_t at every
    t ≥ r_L (no padding enters y_t there); before, the padding can make them differ. The RNN, with generic
    weights and prefix, gives y'_{t+s} ≠ y_t at every t (the state after the prefix is not h_0), and
    y'_{t+s} = y_t when the prefix brings the state back to h_0 (zero inputs with b = 0, h_0 = 0)."""
    g = torch.Generator().manual_seed(seed)
    x, prefix = (torch.randn(n, 2, generator=g, dtype=torch.float64) for n in (span(width, dilations) + 3, shift))
    model, r = CausalStack(width, dilations, seed=seed), span(width, dilations)
    y, y2 = model(x), model(torch.cat([prefix, x]))
    torch.testing.assert_close(y2[shift + r - 1:], y[r - 1:], rtol=0, atol=1e-12)
    if (width, dilations, seed) == (3, (1, 2), 10):
        assert float((y2[shift] - y[0]).abs().max()) > 1e-6
    rnn_ = SimpleRNN(seed=seed % 1000)
    x = x[:8]
    assert bool(((rnn_(torch.cat([prefix, x]))[shift:] - rnn_(x)).abs().amax(dim=1) > 0).all())
    rnn_.b_ih, rnn_.b_hh = torch.zeros_like(rnn_.b_ih), torch.zeros_like(rnn_.b_hh)
    torch.testing.assert_close(rnn_(torch.cat([torch.zeros_like(prefix), x]))[shift:], rnn_(x), rtol=0, atol=0)


def test_a_flattening_head_fixes_T() -> None:
    """Pitfall "a CNN cannot handle variable-length sequences": the demo's convolutions run on T = 10 and 16
    with the same kernels; a Linear(T·D, ·) head on the flattened outputs, built for T = 10, raises at T = 16."""
    cnn, g = CausalStack(), torch.Generator().manual_seed(0)
    head = torch.nn.Linear(10 * 3, 1, dtype=torch.float64)
    ys = [cnn(torch.randn(T, 2, generator=g, dtype=torch.float64)) for T in (10, 16)]
    assert [tuple(y.shape) for y in ys] == [(10, 3), (16, 3)]
    head(ys[0].reshape(-1))
    with pytest.raises(RuntimeError):
        head(ys[1].reshape(-1))


@settings(max_examples=10, deadline=None)
@given(T=st.integers(2, 9), m=st.integers(1, 3), d=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_rnn_state_depends_on_the_whole_past_generically(T: int, m: int, d: int, seed: int) -> None:
    """(K3)/(K6): h_t depends on every x_k, k ≤ t, for random (generic) weights ..."""
    dep, _ = dependence(SimpleRNN(seed=seed, m=m, d=d), T, m=m)
    assert (dep == expected(None, T)).all()


@settings(max_examples=5, deadline=None)
@given(T=st.integers(1, 8), d=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_rnn_state_depends_on_h0_generically_and_not_when_U_is_zero(T: int, d: int, seed: int) -> None:
    """The table's "h_0 and all of x_1 … x_t": ∂h_t/∂h_0 = Π_{τ=1}^{t} diag(f'(z_τ)) U ≠ 0 at every t for random
    (generic) weights and a random h_0, and = 0 at every t ≥ 1 when U = 0 (the same counterexample as for x_k)."""
    g = torch.Generator().manual_seed(seed)
    rnn_ = SimpleRNN(seed=seed % 1000, m=2, d=d)
    x = torch.randn(T, 1, 2, generator=g, dtype=torch.float64)
    h0 = torch.randn(1, d, generator=g, dtype=torch.float64)
    for U in (rnn_.W_hh, torch.zeros_like(rnn_.W_hh)):
        J = torch.autograd.functional.jacobian(lambda h: rnn(x, h, rnn_.W_ih, U, rnn_.b_ih, rnn_.b_hh), h0)  # (T, 1, d, 1, d)
        nonzero = J.abs().amax(dim=(1, 2, 3, 4)) != 0                                                         # (T,)
        assert bool(nonzero.all()) if U is rnn_.W_hh else not bool(nonzero.any())


@settings(max_examples=5, deadline=None)
@given(width=st.integers(1, 4), dilation=st.integers(1, 4), d=st.integers(2, 4), seed=st.integers(0, 10_000))
def test_local_in_time_dense_across_units(width: int, dilation: int, d: int, seed: int) -> None:
    """The table's "local connectivity" row. One causal layer (K2): y_t reads x at the w lags 0, d_1, …, (w-1)d_1
    only (local in time), and through every one of them all D × M entries of the block are nonzero (dense across
    units). The RNN's step: h_t reads h_{t-1} and x_t only (one step back), and ∂h_t/∂h_{t-1} = diag(f'(z_t)) U has
    every one of its D × D entries nonzero for a random U: U connects every unit to every unit."""
    T = 1 + (width - 1) * dilation + 2
    layer = CausalStack(width, (dilation,), seed=seed, m=2, d=d)
    x = torch.randn(T, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(layer, x)                           # (T, D, T, M)
    t = T - 1
    reads = {t - k for k in range(T) if J[t, :, k].abs().amax() != 0}
    assert reads == {j * dilation for j in range(width)}
    assert all(bool((J[t, :, t - lag] != 0).all()) for lag in reads)
    rnn_ = SimpleRNN(seed=seed % 1000, m=2, d=d)
    h_prev = torch.randn(1, d, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    step = torch.autograd.functional.jacobian(
        lambda h: rnn(x[-1:, None], h, rnn_.W_ih, rnn_.W_hh, rnn_.b_ih, rnn_.b_hh)[0, 0], h_prev)[:, 0]   # (D, D)
    assert bool((step != 0).all())


@settings(max_examples=4, deadline=None)
@given(t=st.integers(1, 5), d=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_K6_transposed_is_the_books_error_product(t: int, d: int, seed: int) -> None:
    """(K6)ᵀ = Wᵀ Π_{τ=k}^{t-1} (diag(f'(z_τ)) Uᵀ) diag(f'(z_t)), τ = k on the left: the product of the book's
    section 长程依赖问题 (δ_{t,k} = Π_{τ=k}^{t-1} diag(f'(z_τ)) Uᵀ δ_{t,t}), against autograd, at every k ≤ t."""
    rnn_ = SimpleRNN(seed=seed % 1000, m=2, d=d)
    x = torch.randn(t, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    h = rnn_(x)                                                                  # (t, d): h_1 … h_t
    fprime = 1 - h**2                                                            # f'(z_τ) = 1 - h_τ², tanh
    J = torch.autograd.functional.jacobian(lambda x: rnn_(x)[-1], x)             # (d, t, 2): ∂h_t/∂x_k
    U, W = rnn_.W_hh, rnn_.W_ih
    for k in range(t):                                                           # k = 1 … t, 0-based
        book = W.T
        for tau in range(k, t - 1):
            book = book @ torch.diag(fprime[tau]) @ U.T
        book = book @ torch.diag(fprime[t - 1])
        torch.testing.assert_close(J[:, k].T, book, rtol=1e-12, atol=1e-14)


def test_rnn_with_U_zero_is_the_counterexample_to_always() -> None:
    """... but not for every weight: with U = 0, h_t = f(W x_t + b) depends on x_t alone."""
    rnn = SimpleRNN(seed=3)
    rnn.W_hh = torch.zeros_like(rnn.W_hh)
    dep, _ = dependence(rnn, 6)
    assert (dep == np.eye(6, dtype=bool)).all()


@settings(max_examples=5, deadline=None)
@given(width=st.integers(1, 3), dilations=dilation_lists, T=st.integers(2, 8), seed=st.integers(0, 10_000))
def test_a_cached_stack_computes_one_new_unit_per_layer(width: int, dilations: tuple[int, ...], T: int,
                                                        seed: int) -> None:
    """Streaming with a cache of (w-1)d_l + 1 activations per layer gives the convolution's outputs."""
    model = CausalStack(width, dilations, seed=seed)
    x = torch.randn(T, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    torch.testing.assert_close(stream(model, x), model(x), rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(width=st.integers(1, 4), layers=st.integers(1, 3), m=st.integers(1, 5), d=st.integers(1, 5))
def test_parameter_counts_of_the_table(width: int, layers: int, m: int, d: int) -> None:
    """wMD + D + (L-1)(wD² + D) for the TDNN and the CNN (dilations add none); DM + D² + D for the
    book's RNN (one bias) and DM + D² + 2D for torch.nn.RNN (two biases)."""
    for dilations in ((1,) * layers, tuple(2**l for l in range(layers))):
        model = CausalStack(width, dilations, m=m, d=d)
        assert sum(p.numel() for p in model.params()) == width * m * d + d + (layers - 1) * (width * d * d + d)
    torch_rnn = torch.nn.RNN(m, d)
    assert sum(p.numel() for p in torch_rnn.parameters()) == d * m + d * d + 2 * d
    book = sum(p.numel() for p in torch_rnn.parameters() if p is not torch_rnn.bias_hh_l0)
    assert book == d * m + d * d + d


NON_NORMAL = [[0.5, 3.0], [0.0, 0.5]]                     # ρ = 0.5, ‖U‖₂ ≈ 3.1
ISSUE_U = [[0.705, 1.005], [-1.005, -1.305]]              # issue 24: double eigenvalue -0.3, ‖U‖₂ ≈ 2.05


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(2, 8), gain=st.sampled_from([0.3, 1.0, 3.0]),
       x_scale=st.sampled_from([1e-3, 1.0, 10.0]), U=st.sampled_from([None, NON_NORMAL, ISSUE_U]))
@example(seed=0, T=6, gain=1.0, x_scale=1e-3, U=NON_NORMAL)   # grows before it decays, yet under the bound
@example(seed=0, T=6, gain=1.0, x_scale=10.0, U=ISSUE_U)      # partial saturation: some f' ≈ 0, others ≈ 1
def test_input_gain_is_bounded_by_norm_W_times_norm_U_to_the_lag(seed: int, T: int, gain: float, x_scale: float,
                                                                    U: list | None) -> None:
    """(K6) with 0 < f' ≤ 1 (tanh): ‖∂h_t/∂x_k‖₂ ≤ ‖W‖₂ ‖U‖₂^{t−k}, for any U (non-normal too), saturated or not."""
    g = torch.Generator().manual_seed(seed)
    rnn_ = SimpleRNN(seed=seed % 1000, m=2, d=2)
    rnn_.W_hh = (torch.tensor(U, dtype=torch.float64) if U is not None
                 else gain * torch.randn(2, 2, generator=g, dtype=torch.float64))
    x = x_scale * torch.randn(T, 2, generator=g, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(rnn_, x)                      # (T, D, T, M)
    nW, nU = (float(torch.linalg.matrix_norm(a, ord=2)) for a in (rnn_.W_ih, rnn_.W_hh))
    for t in range(T):
        for k in range(t + 1):
            assert float(torch.linalg.matrix_norm(J[t, :, k], ord=2)) <= nW * nU ** (t - k) * (1 + 1e-12) + 1e-300


def test_input_gain_can_stay_grow_first_or_explode() -> None:
    """Above the bound's ‖U‖ < 1 case, with small inputs (f' ≈ 1), (K6) can stay of order one
    (orthogonal U), grow before it decays (non-normal U, ρ < 1) and grow geometrically (ρ > 1); with
    inputs of size 1 saturation shrinks it (the orthogonal U's case vanishes); and along the
    trajectory of a large random U it explodes although tanh keeps the state bounded."""
    orth = input_gain(rotation(0.7))
    assert max(abs(v - 1) for v in orth) < 1e-6
    non_normal = input_gain(torch.tensor(NON_NORMAL, dtype=torch.float64))
    assert non_normal[1] > 3 * non_normal[0] and non_normal[-1] < 1e-6
    growing = input_gain(1.1 * rotation(0.7))
    assert all(b > a for a, b in zip(growing, growing[1:])) and growing[-1] > 40
    saturated = input_gain(rotation(0.7), scale=1.0)
    assert saturated[-1] < 1e-9
    assert large_u_gain()[0] > LARGE_ABOVE


@settings(max_examples=6, deadline=None)
@given(angle=st.floats(0.05, 3.09), seed=st.integers(0, 10_000))
@example(angle=0.7, seed=5)                                  # the demo's 1.1 R rows (referee 11)
def test_saturation_stops_the_growth_of_1_1_R(angle: float, seed: int) -> None:
    """The table's 1.1 R rows: for ρ(U) = ‖U‖₂ = 1.1 (U = 1.1 R, R any rotation) the 40-step-old input
    outweighs the present one with inputs of size TINY (f' ≈ 1), but with inputs of size 1 (tanh
    saturates in part) its gain falls far below the present input's, whatever the rotation and draw."""
    small = input_gain(1.1 * rotation(angle), seed=seed)
    assert all(b > a for a, b in zip(small, small[1:])) and small[-1] > 40 * small[0]
    large = input_gain(1.1 * rotation(angle), scale=1.0, seed=seed)
    assert large[-1] < 1e-5 * large[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_large_random_U_explodes_although_tanh_saturates(seed: int) -> None:
    """The line after the table: for a 64-unit random U with entries N(0, 3²/D) and inputs N(0, 1), (K6)
    explodes along the trajectory (‖∂h_200/∂x_1‖₂ > 1e10) although tanh is far from linear (mean f' < 0.5
    over the last three quarters of the steps), while the present input's gain stays below ‖W‖₂ < 10:
    the demo's draw (seed 0) and two others."""
    old, present, slope = large_u_gain(seed=seed)
    assert old > LARGE_ABOVE and present < 10 and slope < 0.5


@settings(max_examples=10, deadline=None)
@given(bits=st.lists(st.integers(0, 1), min_size=1, max_size=300))
@example(bits=[1] + [0] * 299)                               # the one bit that decides is 300 steps back
def test_a_finite_precision_rnn_is_not_limited_to_definite_memory(bits: list[int]) -> None:
    """The memory row: a float64 tanh RNN (6.5) is a finite-state machine, but not a definite-memory one.
    With hand-set weights, h = (2a - 1, 2b - 1) for a = [p + x > 1/2], b = [p + x > 3/2] (p the parity so far,
    p = a - b), it tracks the parity of every prefix, which depends on x_1 at every length: no bounded
    window of recent inputs fixes it. A steep tanh (c = 20) re-thresholds every step, so no error builds up."""
    c = 20.0
    U = c / 2 * torch.tensor([[1.0, -1.0], [1.0, -1.0]], dtype=torch.float64)
    W = c * torch.ones(2, 1, dtype=torch.float64)
    b = c * torch.tensor([-0.5, -1.5], dtype=torch.float64)
    x = torch.tensor(bits, dtype=torch.float64)[:, None, None]                # (T, B = 1, M = 1)
    zero = torch.zeros(2, dtype=torch.float64)
    for flip in (0, 1):                                                       # x_1 and x_1 flipped
        x[0] = float(bits[0] ^ flip)
        h = rnn(x, zero[None], W, U, b, zero)[:, 0]                          # (T, 2)
        parity = np.cumsum([int(x[0].item())] + bits[1:]) % 2
        assert ((h[:, 0] - h[:, 1]) / 2 - torch.from_numpy(parity)).abs().max() < 1e-6


def test_large_weights_show_a_false_dot_inside_the_field() -> None:
    """Pitfall "depends on read with a tolerance", the other direction: tanh' rounds to exactly 0 in
    float64 for |z| ≳ 19 (float32: |z| ≳ 9), so with the demo's TDNN weights times 40 some pairs
    inside S_L read as exact 0 (with its moderate weights the demo asserts none does)."""
    z = torch.tensor([19.5, 20.0], dtype=torch.float64, requires_grad=True)
    torch.tanh(z).sum().backward()
    assert (z.grad == 0).all()
    z32 = torch.tensor([8.5, 9.5], dtype=torch.float32, requires_grad=True)
    torch.tanh(z32).sum().backward()
    assert z32.grad[0] != 0 and z32.grad[1] == 0                       # float32: 0 already at 9.5 (referee 13)
    lags = expected(offsets(3, (1, 1)))
    model = CausalStack(3, (1, 1), seed=1)                              # the demo's TDNN (its own grid: no false ·)
    model.layers = [(40 * kernel, 40 * b, d) for kernel, b, d in model.layers]
    dep, _ = dependence(model)
    assert not (dep & ~lags).any() and (lags & ~dep).sum() > 0           # false ·, never a false ■


def test_an_fft_convolution_leaves_rounding_residue_outside_the_field() -> None:
    """Pitfall "depends on read with a tolerance": exact-0 comparison needs a direct convolution.
    The same causal layer computed through an FFT is the same function, but autograd leaves
    rounding residue at pairs outside S_1, which an exact-0 test would read as dependence."""
    kernel, b = CausalStack(3, (1,), seed=0).layers[0][:2]

    def fft_layer(x: torch.Tensor) -> torch.Tensor:                  # x: (T, M) -> (T, D)
        n = 2 * x.shape[0]
        k = torch.flip(kernel, dims=(2,))                               # tap j multiplies x_{t-j}
        X = torch.fft.rfft(x.T, n=n)                                    # (M, n//2 + 1)
        K = torch.fft.rfft(k, n=n)                                      # (D, M, n//2 + 1)
        y = torch.fft.irfft((K * X[None]).sum(dim=1), n=n)[:, : x.shape[0]]
        return torch.tanh(y.T + b)

    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    torch.testing.assert_close(fft_layer(x), CausalStack(3, (1,), seed=0)(x), rtol=0, atol=1e-12)   # same function
    J = torch.autograd.functional.jacobian(fft_layer, x).abs().amax(dim=(1, 3))   # (T, T)
    inside = torch.from_numpy(expected(offsets(3, (1,))))
    direct, _ = dependence(CausalStack(3, (1,), seed=0))
    assert (torch.from_numpy(direct) == inside).all()                   # the direct layer: exact zeros outside
    assert J[inside].min() > 1e-6                                       # the FFT layer: every ■ far above rounding
    assert (J[~inside] != 0).any() and J[~inside].max() < 1e-12         # ... and residue where there is no path


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("width, dilation", [(2, 1), (3, 1), (4, 1), (5, 1), (2, 2), (3, 3)])
def test_same_padding_reads_the_future(width: int, dilation: int) -> None:
    """Pitfall "non-causal padding": PyTorch's Conv1d(padding="same") pads (w-1)d zeros, (w-1)d // 2 on the
    left and the rest on the right (so one more on the right for odd (w-1)d), so y_t reads inputs after x_t;
    without dilation it reads x_{t+1}."""
    conv = torch.nn.Conv1d(1, 1, width, padding="same", dilation=dilation, bias=False).double()
    with torch.no_grad():
        conv.weight.fill_(1.0)
    T, t = 16, 8
    J = torch.autograd.functional.jacobian(lambda x: conv(x[None, None])[0, 0, t], torch.zeros(T, dtype=torch.float64))
    left = (width - 1) * dilation // 2
    assert set(torch.nonzero(J).flatten().tolist()) == {t - left + j * dilation for j in range(width)}
    assert J[t + 1 :].any() and (dilation > 1 or J[t + 1] != 0)
    read = torch.nonzero(J).flatten()
    assert (read.max() - t) - (t - read.min()) == (width - 1) * dilation % 2   # the extra zero, if any, is on the right


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), size=st.floats(0.1, 10.0))
@example(seed=0, size=3.0)                                    # the demo's first replacement (referee s4b, script c)
def test_the_grids_rnn_forgets_x1_in_float64_and_the_parity_rnn_does_not(seed: int, size: float) -> None:
    """The memory row: the grids' RNN is contracting (‖U‖₂ < 1, |tanh'| ≤ 1), so replacing x_1 leaves the float64
    outputs bit-identical from some step t < 80 on, although ∂y_t/∂x_1 ≠ 0; the hand-set parity RNN of the test
    above never forgets (flipping x_1 flips the parity at every length, checked there)."""
    model = SimpleRNN()
    assert float(torch.linalg.matrix_norm(model.W_hh, ord=2)) < 1
    x = torch.randn(80, 2, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    x2 = x.clone()
    x2[0] = size * torch.randn(2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    same = (model(x) == model(x2)).all(dim=1)
    assert same[-20:].all()                                     # bit-identical over the last 20 of 80 steps
    J = torch.autograd.functional.jacobian(lambda x: model(x)[59], x)    # ∂y_60/∂x_1: tiny, not 0
    assert J[:, 0].abs().max() > 0


def test_a_contracting_rnn_need_not_forget_x1_in_float64() -> None:
    """The memory row's limit (referee s5, script C): contraction in exact arithmetic does not make float64
    trajectories merge. The grids' RNN (‖U‖₂ < 1), with constant input x_t = (0.5, 0.5) for t ≥ 2 and
    x_1 = (3, -2) against (-3, 1), keeps a difference of a few ulp at every step from 1000 to 2000 (the two runs
    end on float orbits a few ulp apart; which orbit may depend on libm, so only "nonzero and tiny" is asserted);
    a scalar tanh RNN, h = tanh(0.999 h + x_t + 0.3), x_1 = ±1, then x_t = 0, ends on two float fixed points."""
    model = SimpleRNN()
    assert float(torch.linalg.matrix_norm(model.W_hh, ord=2)) < 1
    x = torch.full((2000, 2), 0.5, dtype=torch.float64)
    x2 = x.clone()
    x[0], x2[0] = torch.tensor([3.0, -2.0]), torch.tensor([-3.0, 1.0])
    y, y2 = model(x)[999:], model(x2)[999:]
    diff = (y - y2).abs()
    assert (diff > 0).any(dim=1).all()                                   # never bit-identical over steps 1000-2000
    assert (diff <= 8 * torch.finfo(torch.float64).eps * y.abs().clamp_min(1.0)).all()   # ... but a few ulp at most

    def scalar(x1: float) -> float:
        h = np.tanh(x1 + 0.3)
        for _ in range(20000):
            h = np.tanh(0.999 * h + 0.3)
        return float(h)

    a, b = scalar(1.0), scalar(-1.0)
    assert a != b and abs(a - b) <= 4 * np.spacing(a)
    assert all(float(np.tanh(0.999 * h + 0.3)) == h for h in (a, b))    # both are fixed points of the float map


@pytest.mark.parametrize("args, name", [((0, (1, 2), 3), "width"), ((2, (1, 0), 3), r"dilations\[1\]"),
                                        ((2, (1, 2), -1), "lag"), ((2.0, (1, 2), 3), "width")])
def test_tap_choices_names_the_bad_argument(args, name) -> None:
    with pytest.raises(ValueError, match=name):
        tap_choices(*args)
