"""Exercise 6-1: the receptive-field claims of docs/tdnn-cnn-rnn.md, tried against counterexamples.

Each test tries to break one sentence of the page, with dilations larger than the field below
(holes), one layer and several, w = 1, T ≥ 2 and the first steps (a field cut off by the start
of the sequence). Dependence is read by autograd, as in the demo: ∂y_t/∂x_k ≠ 0.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.experiments.receptive_field import (
    CausalStack,
    SimpleRNN,
    dependence,
    expected,
    offsets,
    span,
    stream,
)

dilation_lists = st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple)


@settings(max_examples=10, deadline=None)
@given(width=st.integers(1, 3), dilations=dilation_lists, seed=st.integers(0, 10_000))
@example(width=2, dilations=(1, 4), seed=0)       # issue 24: y_14 depends on x_9, x_10, x_13, x_14 only
@example(width=3, dilations=(1, 1), seed=0)       # the book's TDNN: delays at every layer
@example(width=2, dilations=(1, 4, 2), seed=0)    # a later layer fills the holes again
@example(width=2, dilations=(1, 2, 4), seed=0)    # WaveNet's doubling meets d_l <= r_{l-1}
@example(width=1, dilations=(5, 6), seed=0)       # w = 1: no delays, the field is x_t alone
def test_field_is_the_set_of_lags_S_L(width: int, dilations: tuple[int, ...], seed: int) -> None:
    """(K4): y_t depends on x_k exactly when t - k ∈ S_L (for generic weights: random ones here),
    S_L lies in the span r_L (K5), and fills it when every d_l ≤ r_{l-1}."""
    r = span(width, dilations)
    T = 14 if (width, dilations) == (2, (1, 4)) else r + 2
    dep, _ = dependence(CausalStack(width, dilations, seed=seed, m=1, d=2), T, m=1)
    lags = offsets(width, dilations)
    assert (dep == expected(lags, T)).all()
    assert max(lags) == r - 1, "the span: no input older than r_L - 1 steps matters, and the oldest one does"
    if all(d <= span(width, dilations[:l]) for l, d in enumerate(dilations)):
        assert lags == set(range(r)), "d_l ≤ r_{l-1} at every layer: the last r_L inputs, no holes"
    if (width, dilations) == (2, (1, 4)):
        assert [k + 1 for k in np.flatnonzero(dep[13])] == [9, 10, 13, 14]
    if (width, dilations) == (2, (1, 4, 2)):
        assert lags == set(range(8)), "the condition is sufficient, not necessary"


@settings(max_examples=15, deadline=None)
@given(width=st.integers(2, 3), dilations=dilation_lists)
def test_the_condition_d_l_le_r_l_minus_1_matters(width: int, dilations: tuple[int, ...]) -> None:
    """When the last layer's dilation exceeds the field below it (d_L > r_{L-1}), the lag r_{L-1}
    is missing: the field has a hole inside its span, whatever the layers below."""
    below = span(width, dilations[:-1])
    lags = offsets(width, dilations)
    if dilations[-1] > below:
        assert below not in lags and below < span(width, dilations)


@settings(max_examples=10, deadline=None)
@given(T=st.integers(2, 9), m=st.integers(1, 3), d=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_rnn_state_depends_on_the_whole_past_generically(T: int, m: int, d: int, seed: int) -> None:
    """(K3)/(K6): h_t depends on every x_k, k ≤ t, for random (generic) weights ..."""
    dep, _ = dependence(SimpleRNN(seed=seed, m=m, d=d), T, m=m)
    assert (dep == expected(None, T)).all()


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
