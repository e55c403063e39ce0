"""solutions.experiments.depth (gradient reach and its path-count prediction) and the adding-problem
training step of solutions.experiments.deep_rnn_adding (gradients against torch autograd)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.experiments import deep_rnn_adding as adding
from solutions.experiments.depth import (
    ARCHS,
    fitted_slope,
    gradient_reach,
    graph,
    init_params,
    renewal_slope,
    routes,
    skip_slope,
    state_node,
    states,
)
from solutions.gradcheck import max_abs
from solutions.rnn_graph import architecture, measures


#: How far the measured slope may lie from the path count. A structure with one path per step
#: (simple, DT) or one dominant layer (stacked): every seed within 0.02. DT(S) and the skip RNN
#: add paths of different lengths whose sum depends on the random matrices: single seeds scatter
#: (DT(S) at gamma = 0.625, seed 247: 0.054 away, beyond a first per-seed bound of 0.05), so the
#: claim for them is about the mean over SEEDS consecutive seeds, within 0.025.
PATH_TOL = {"simple": 0.02, "stacked": 0.02, "dt": 0.02}
MEAN_TOL = {"dt-s": 0.025, "skip": 0.025}
SEEDS = 16


@settings(max_examples=3, deadline=None)
@given(gain=st.floats(0.35, 0.75), first_seed=st.integers(0, 1000))
@example(gain=0.5, first_seed=0)        # the page's settings
@example(gain=0.75, first_seed=80)      # the largest mean deviation of DT(S) found: -0.019 (seeds 80 … 95)
@example(gain=0.625, first_seed=240)    # includes seed 247, DT(S) 0.054 from the prediction on its own
def test_path_count_predicts_the_measured_slope_near_the_linear_regime(gain, first_seed) -> None:
    """The page's claim: with inputs of std 0.1, orthogonal·γ weights, H = 32, T = 40 and γ in
    [0.35, 0.75], the fitted slope of log10‖∂L_T/∂h_k‖ is within PATH_TOL of renewal_slope for
    every seed of the one-path structures, and its mean over SEEDS seeds within MEAN_TOL for DT(S)
    and the skip RNN; the means fall in the order the page states, and with inputs of std 1
    (tanh′ < 1) every mean is steeper, in the same order."""
    torch.set_num_threads(1)
    seeds = range(first_seed, first_seed + SEEDS)
    means, bent = {}, {}
    for arch in ARCHS:
        slopes = np.array([fitted_slope(gradient_reach(arch, gain, seed=seed), 5, 30) for seed in seeds])
        deviation = slopes - renewal_slope(graph(arch), state_node(arch), gain)
        if arch in PATH_TOL:
            assert np.abs(deviation).max() <= PATH_TOL[arch], (arch, deviation)
        else:
            assert abs(deviation.mean()) <= MEAN_TOL[arch], (arch, deviation.mean())
        means[arch] = slopes.mean()
        bent[arch] = np.mean([fitted_slope(gradient_reach(arch, gain, seed=seed, input_std=1.0), 5, 30)
                              for seed in seeds])
    for m in (means, bent):  # skip decays slowest, then DT(S), stacked and simple, DT fastest
        assert m["skip"] > m["dt-s"] > m["simple"] > m["dt"] and m["stacked"] > m["dt"], m
    assert all(bent[arch] < means[arch] for arch in ARCHS), (bent, means)


def test_one_seed_of_dt_s_lies_beyond_a_per_seed_bound() -> None:
    """Why the DT(S) claim is about a mean (the page quotes this seed): at gamma = 0.625, seed 247,
    the fitted slope lies 0.054 from the path count, beyond the per-seed bound 0.05 it once had."""
    torch.set_num_threads(1)
    deviation = fitted_slope(gradient_reach("dt-s", 0.625, seed=247), 5, 30) - renewal_slope(graph("dt-s"), state_node("dt-s"), 0.625)
    assert round(deviation, 3) == 0.054


def test_dt_s_single_seeds_and_means_deviate_on_both_sides_of_the_path_count() -> None:
    """The page's "single seeds and the mean over seeds deviate on both sides of the prediction":
    DT(S), inputs of std 0.1, 16 consecutive seeds. At gamma = 0.5 (seeds 0 … 15) the mean of
    (measured − path count) is positive (+0.0066, flatter), at gamma = 0.75 (seeds 80 … 95)
    negative (−0.019, steeper), and within each set single seeds lie on both sides."""
    torch.set_num_threads(1)
    signs = []
    for gain, first_seed in ((0.5, 0), (0.75, 80)):
        deviation = np.array([fitted_slope(gradient_reach("dt-s", gain, seed=seed), 5, 30)
                              for seed in range(first_seed, first_seed + SEEDS)]) \
            - renewal_slope(graph("dt-s"), state_node("dt-s"), gain)
        assert (deviation > 0).any() and (deviation < 0).any(), (gain, deviation)
        signs.append(np.sign(deviation.mean()))
    assert signs == [1, -1], signs


def printed_seeds(test):
    """Pin as hypothesis examples the five seeds (0 … 4) the deep-rnn-reach output prints."""
    for seed in range(4, -1, -1):
        test = example(seed=seed)(test)
    return test


#: "About flat": the bound on |slope| (log10 per step) the page states for the skip RNN at γ = 0.75.
FLAT = 0.02


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
@printed_seeds
@example(seed=5)                     # -0.0101, the steepest of the seeds 0 … 11
@example(seed=6)                     # +0.0118, the only one of the seeds 0 … 11 that rises by more than 0.002
def test_skip_rnn_is_about_flat_at_gain_three_quarters(seed) -> None:
    """The page's claim at input std 0.1 only: at γ = 0.75 (orthogonal·γ weights, H = 32, T = 40)
    the skip RNN's fitted slope is about flat, |slope| ≤ FLAT per step, although the path count
    predicts +0.0105 and log10(γ)/s −0.031; it is several times flatter than the simple RNN's; and
    at this input std tanh already bends: the simple RNN falls faster than its tanh′ = 1 slope
    log10 γ (−0.132 to −0.136 over the seeds 0 … 11, against −0.125)."""
    torch.set_num_threads(1)
    skip = fitted_slope(gradient_reach("skip", 0.75, seed=seed), 5, 30)
    simple = fitted_slope(gradient_reach("simple", 0.75, seed=seed), 5, 30)
    assert abs(skip) <= FLAT, skip
    assert renewal_slope(graph("skip"), "h", 0.75) > 0 > skip_slope(measures(graph("skip")).skip_coefficient, 0.75)
    assert simple < -5 * FLAT, simple
    assert simple < math.log10(0.75) - 0.004, simple


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
@printed_seeds
@example(seed=5)                     # +0.0036, the least rising of the seeds 0 … 29
def test_skip_rnn_rises_at_gain_three_quarters_with_small_inputs(seed) -> None:
    """The referee's counterexample to "the prediction's sign is not borne out": with inputs of std
    0.01 (near-linear at γ = 0.75) the skip RNN's fitted slope is positive, the sign the path count
    predicts (+0.0105), and the simple RNN's is log10 γ to 0.001."""
    torch.set_num_threads(1)
    skip = fitted_slope(gradient_reach("skip", 0.75, seed=seed, input_std=0.01), 5, 30)
    simple = fitted_slope(gradient_reach("simple", 0.75, seed=seed, input_std=0.01), 5, 30)
    assert skip > 0, skip
    assert simple == pytest.approx(math.log10(0.75), abs=1e-3), simple


@settings(max_examples=3, deadline=None)
@given(gain=st.floats(0.5, 0.95), seed=st.integers(0, 10_000))
@example(gain=0.95, seed=0)          # the page's table: 1.64 at input std 0.1, 1.99 at 0.01
@example(gain=0.5, seed=0)           # 1.98 and 2.00
def test_deep_transition_ratio_is_m_only_while_tanh_is_near_linear(gain, seed) -> None:
    """The page's claim: DT-RNN (m = 2) falls m = 2 times as fast as the simple RNN while the
    activations are near-linear (input std 0.01: ratio within 0.03 of 2 for γ ≤ 0.95); at input std
    0.1 the ratio stays between 1 and 2 and falls as γ nears 1 (lower at 0.95 than at 0.75)."""
    torch.set_num_threads(1)

    def ratio(g, std):
        dt, simple = (fitted_slope(gradient_reach(a, g, seed=seed, input_std=std), 5, 30) for a in ("dt", "simple"))
        return dt / simple

    assert ratio(gain, 0.01) == pytest.approx(2.0, abs=0.03)
    assert 1.0 < ratio(gain, 0.1) < 2.0
    assert ratio(0.95, 0.1) < ratio(0.75, 0.1) - 0.2


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
@example(seed=0)                     # the three training seeds, printed on the page
@example(seed=1)
@example(seed=2)
@example(seed=4112)                  # DT 1.28 times the simple RNN's slope: broke a first bound of 1.4
@example(seed=915)                   # skip 0.43 times the simple RNN's slope: broke a first bound of 0.4
def test_reach_at_the_training_initialisation(seed) -> None:
    """The page's per-seed claim at the adding problem's initialisation (uniform ±1/√H, trained
    widths, the run's first batch, L = V h_T): single draws scatter around the mean ratio of about 2,
    but DT falls at least 1.2 times as steeply as the simple RNN (1.27 to 4.08 over the seeds 0 … 82
    and 4112; a first bound of 1.4 was broken by seed 4112) and the skip RNN at most 0.5 times as
    steeply (0.03 to 0.31 over those seeds, at most 0.23 over 40 more drawn at random; a first bound
    of 0.4 was broken by seed 915, 0.43, found by the explore profile)."""
    torch.set_num_threads(1)
    slope = {a: fitted_slope(adding.initial_reach(a, seed), 1, adding.T - 1) for a in ("simple", "dt", "skip")}
    assert slope["simple"] < 0
    assert slope["dt"] / slope["simple"] >= 1.2, slope
    assert slope["skip"] / slope["simple"] <= 0.5, slope


def test_renewal_slope_special_cases() -> None:
    for gain in (0.3, 0.5, 0.9):
        assert renewal_slope(graph("simple"), "h", gain) == pytest.approx(math.log10(gain), abs=1e-12)
        assert renewal_slope(graph("dt"), "h", gain) == pytest.approx(2 * math.log10(gain), abs=1e-12)
        # DT(S): per step either the shortcut (γ²) or the two layers (γ⁴)
        assert renewal_slope(graph("dt-s"), "h", gain) == pytest.approx(0.5 * math.log10(gain**2 + gain**4), abs=1e-12)
    # skip Δ = 4: ρ solves γ²/ρ + γ²/ρ⁴ = 1; as γ → 0 the slope tends to log10(γ)/s with s = 4
    rho = 10 ** (2 * renewal_slope(graph("skip"), "h", 0.5))
    assert 0.25 / rho + 0.25 / rho**4 == pytest.approx(1.0, abs=1e-12)
    s = measures(graph("skip")).skip_coefficient
    for gain in (1e-2, 1e-4):
        assert renewal_slope(graph("skip"), "h", gain) / skip_slope(s, gain) == pytest.approx(1.0, abs=0.1)
    assert sorted(routes(architecture("skip", 4), "h")) == [(1, 1), (1, 4)]


def test_states_are_what_later_steps_read() -> None:
    """states() returns one (B, H) tensor per state and step: two per step for the stacked RNN, one otherwise."""
    rng = np.random.default_rng(0)
    for arch in ARCHS:
        p = init_params(arch, 3, 4, rng)
        x = torch.tensor(rng.normal(size=(6, 2, 3)))
        hs = states(arch, x, p)
        assert len(hs) == 6 and len(hs[0]) == (2 if arch == "stacked" else 1)
        assert all(h.shape == (2, 4) for parts in hs for h in parts)


def _torch_loss(arch, p, x, y):
    h_T = states(arch, torch.tensor(x), p)[-1][-1]
    pred = (h_T @ p["V"].T + p["c"])[:, 0]
    return ((pred - torch.tensor(y)) ** 2).mean()


@pytest.mark.parametrize("arch", ARCHS)
def test_training_gradients_equal_torch_autograd(arch) -> None:
    rng = np.random.default_rng(3)
    H = 5
    p = {k: v.numpy() for k, v in init_params(arch, adding.I, H, rng).items()}
    p["V"], p["c"] = rng.normal(size=(1, H)), rng.normal(size=(1,))
    x, y = adding.batch(rng, 4)
    loss, grads = adding._forward_backward(arch, p, x, y)
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    ref = _torch_loss(arch, leaves, x, y)
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=1e-12)
    assert set(grads) == set(leaves)
    for k, t in leaves.items():
        assert max_abs(grads[k], t.grad.numpy()) <= 1e-12, k


def test_parameter_counts_are_matched() -> None:
    target = adding.total_params("simple", adding.BASE_WIDTH)
    for arch in ARCHS:
        assert abs(adding.total_params(arch, adding.WIDTH[arch]) - target) <= 0.03 * target, arch
    assert adding.WIDTH["simple"] == adding.BASE_WIDTH


def test_a_short_run_is_a_prefix_of_a_longer_one() -> None:
    cfg = {"arch": "dt-s", "lr": 3e-3, "seed": 0}
    short, longer = adding.run(cfg, steps=100), adding.run(cfg, steps=200)
    assert short["eval_step"] == [100] and longer["eval_step"] == [100, 200]
    assert short["dev_mse"][0] == longer["dev_mse"][0] and short["test_mse"][0] == longer["test_mse"][0]


def test_adding_batches() -> None:
    x, y = adding.batch(np.random.default_rng(0), 64)
    assert x.shape == (adding.T, 64, 2) and y.shape == (64,)
    assert (x[:, :, 1].sum(axis=0) == 2).all()
    assert (x[: adding.T // 2, :, 1].sum(axis=0) == 1).all()          # one marker in each half
    assert np.allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=0), y)


@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 10_000))
@example(seed=0)                     # the seeds the deep-rnn-reach output prints
@example(seed=2)
def test_deep_transition_at_root_gain_per_matrix_falls_like_the_simple_rnn(seed) -> None:
    """The page's claim: the "twice as fast" of DT-RNN (m = 2) comes from the convention of one gain
    γ per matrix. At γ = 0.5, input std 0.1 (near-linear), H = 32, T = 40, DT with √γ for each of its
    two matrices has the simple RNN's slope (within 0.01 log10 per step), while DT at γ per matrix
    falls at least 1.8 times as fast."""
    torch.set_num_threads(1)
    dt_root, dt, simple = (fitted_slope(gradient_reach(arch, gain, seed=seed), 5, 30)
                           for arch, gain in (("dt", 0.5 ** 0.5), ("dt", 0.5), ("simple", 0.5)))
    assert abs(dt_root - simple) <= 0.01, (dt_root, simple)
    assert dt < 1.8 * simple, (dt, simple)


def _radius(a: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(a))))


@settings(max_examples=5, deadline=None)
@given(gain=st.floats(0.1, 0.95), seed=st.integers(0, 10_000))
@example(gain=0.5, seed=0)
def test_deep_transition_step_factor_is_gain_to_the_m_only_for_scaled_orthogonal_matrices(gain, seed) -> None:
    """The page's "m times as fast" rests on every matrix being γ times an orthogonal one: then the
    one-step product W⁽²⁾U scales every vector by exactly γ². A gain read as a spectral radius does not
    fix the product: the referee's counterexample has both radii 1/2 and a product of radius 1."""
    rng = np.random.default_rng(seed)
    q1, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    q2, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    sv = np.linalg.svd((gain * q2) @ (gain * q1), compute_uv=False)
    assert np.allclose(sv, gain**2, rtol=1e-12)
    u = np.array([[0.0, 1.0], [0.25, 0.0]])
    w2 = np.array([[0.0, 0.25], [1.0, 0.0]])
    assert _radius(u) == pytest.approx(0.5, abs=1e-12)
    assert _radius(w2) == pytest.approx(0.5, abs=1e-12)
    assert _radius(w2 @ u) == pytest.approx(1.0, abs=1e-12)  # not 0.5² = 0.25


@settings(max_examples=3, deadline=None)
@given(gain=st.floats(1.1, 1.5), seed=st.integers(0, 10_000))
@example(gain=1.1, seed=0)           # the referee's counterexample: DT -0.0068 against the simple RNN's -0.0088
@example(gain=1.2, seed=0)           # DT rises (+0.0084) while the simple RNN is about flat (-0.0004)
@example(gain=1.3, seed=0)           # both rise, DT less steeply (+0.0091 against +0.0105)
@example(gain=1.1875, seed=264)      # both about flat, DT -0.00097 against -0.00038: broke a bound without tolerance
@example(gain=1.15, seed=7)          # DT -0.0040 against -0.0014: the lowest of gains 1.1 … 1.5 (step 0.05) x seeds 0 … 9
def test_deep_transition_is_never_clearly_steeper_than_m_times_above_gain_one(gain, seed) -> None:
    """What this shows, and only this: at a gain above 1 per matrix (H = 32, T = 40, input std 0.1)
    DT-RNN (m = 2) never falls clearly faster than twice the simple RNN's rate: its slope is above
    twice the simple RNN's less 0.003 per step, or it rises. It passes when DT falls exactly twice as
    fast, so it does not show that the factor m is absent."""
    torch.set_num_threads(1)
    dt, simple = (fitted_slope(gradient_reach(arch, gain, seed=seed), 5, 30) for arch in ("dt", "simple"))
    assert dt > 2 * simple - 0.003 or dt > 0, (dt, simple)


@settings(max_examples=3, deadline=None)
@given(gain=st.floats(1.05, 1.2), seed=st.integers(0, 10_000))
@example(gain=1.1, seed=0)           # the referee's row: DT +0.0828 against the simple RNN's +0.0414, ratio 2.00
@example(gain=1.2, seed=0)           # +0.1563 against +0.0792, ratio 1.97
def test_deep_transition_grows_m_times_as_fast_above_gain_one_while_tanh_is_near_linear(gain, seed) -> None:
    """The page's statement: the factor m is not a property of gains below 1. At a gain above 1 per
    matrix with inputs so small that tanh′ ≈ 1 throughout (input std 1e-6, H = 32, T = 40), the
    gradient grows, and DT-RNN's (m = 2) log-slope is within 0.05 of twice the simple RNN's. Only
    when tanh bends (input std 0.1, the tests below) does the factor shrink or go."""
    torch.set_num_threads(1)
    dt, simple = (fitted_slope(gradient_reach(a, gain, seed=seed, input_std=1e-6), 5, 30) for a in ("dt", "simple"))
    assert simple > 0, simple
    assert dt / simple == pytest.approx(2.0, abs=0.05), (dt, simple)


def test_deep_transition_falls_slower_than_the_simple_rnn_at_gain_1_1_in_four_of_six_seeds() -> None:
    """The page's statement: at γ = 1.1 per matrix (H = 32, T = 40, input std 0.1), seeds 0 … 5,
    DT-RNN's gradient falls more slowly than the simple RNN's in 4 of the 6 (not in seeds 2 and 4),
    and every slope of both is within 0.012 of flat."""
    torch.set_num_threads(1)
    slower = []
    for seed in range(6):
        dt, simple = (fitted_slope(gradient_reach(arch, 1.1, seed=seed), 5, 30) for arch in ("dt", "simple"))
        assert abs(dt) <= 0.012 and abs(simple) <= 0.012, (seed, dt, simple)
        slower.append(dt > simple)
    assert slower == [True, True, False, True, False, True], slower


@pytest.mark.parametrize("D", [19, 23, 32])
def test_torch_default_initialisation_has_rms_gain_one_over_root_three(D) -> None:
    """The page's statement on torch.nn.RNN's initialisation (entries uniform in ±1/√D, variance
    1/(3D)): a typical vector is scaled by about 1/√3 ≈ 0.58 and the spectral radius is about 1/√3
    too (mean over 200 draws), while the largest singular value, a bound on one step only, is above 1
    on average at the trained widths D = 19, 23, 32 (about 2/√3 ≈ 1.15 for large D); single draws
    fall below 1 (found here at D = 19 and 23)."""
    rng = np.random.default_rng(D)
    norms, gains, radii = [], [], []
    for _ in range(200):
        U = rng.uniform(-1 / math.sqrt(D), 1 / math.sqrt(D), size=(D, D))
        v = rng.normal(size=D)
        norms.append(np.linalg.norm(U, 2))
        gains.append(np.linalg.norm(U @ v) / np.linalg.norm(v))
        radii.append(max(abs(np.linalg.eigvals(U))))
    assert np.mean(gains) == pytest.approx(1 / math.sqrt(3), abs=0.03), np.mean(gains)
    assert np.mean(radii) == pytest.approx(1 / math.sqrt(3), abs=0.05), np.mean(radii)
    assert 1.0 < np.mean(norms) < 1.2, np.mean(norms)
    if D in (19, 23):                             # on average only: single draws fall below 1
        assert min(norms) < 1.0, min(norms)


@settings(max_examples=3, deadline=None)
@given(start=st.integers(0, 10_000))
@example(start=0)
@example(start=40)
def test_mean_reach_at_the_training_initialisation_follows_the_path_count(start) -> None:
    """The page's claim: at the adding problem's initialisation (torch's uniform ±1/√H, the trained
    widths, the run's first batch, L = V h_T), the mean slope over 20 consecutive seeds is within
    0.06 of the path count at the RMS gain γ = 1/√3 for each of the five structures (seeds 40 … 59
    put DT 0.039 below it: tanh′ < 1 makes the slopes a little steeper than the path count)."""
    torch.set_num_threads(1)
    for arch in ARCHS:
        mean = np.mean([fitted_slope(adding.initial_reach(arch, seed), 1, adding.T - 1)
                        for seed in range(start, start + 20)])
        assert mean == pytest.approx(renewal_slope(graph(arch), state_node(arch), 3 ** -0.5), abs=0.06), (arch, mean)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000))
@example(seed=0)
@example(seed=1)
@example(seed=2)
def test_structures_of_the_same_width_start_from_the_same_draws(seed) -> None:
    """The page's training protocol: ``initial_params`` draws key by key from one generator per
    seed, so DT and the skip RNN (both width 23) start from the same W, U, b and W^(2) = U_Δ, and
    the stacked RNN and DT(S) (both 19) from the same layer-1 W, U, b and W_in^(2) = W^(2); their
    output weights V differ, and structures of different widths share nothing."""
    assert adding.WIDTH["dt"] == adding.WIDTH["skip"] == 23
    assert adding.WIDTH["stacked"] == adding.WIDTH["dt-s"] == 19
    assert len({adding.WIDTH["simple"], 23, 19}) == 3
    p = {a: adding.initial_params(a, seed) for a in ("dt", "skip", "stacked", "dt-s")}
    common = ("W_ih", "W_hh", "b_ih", "b_hh")
    for a, b, extra in (("dt", "skip", ("W_2", "W_skip")), ("stacked", "dt-s", ("W_ih_l1", "W_2"))):
        for k in common:
            assert np.array_equal(p[a][k], p[b][k]), (a, b, k)
        assert np.array_equal(p[a][extra[0]], p[b][extra[1]]), (a, b, extra)
        assert not np.array_equal(p[a]["V"], p[b]["V"]), (a, b)
