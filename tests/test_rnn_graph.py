"""solutions.rnn_graph: the exact measures against cycles enumerated by brute force, hand-worked
architectures, and the finite unrolling they are the limits of."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.rnn_graph import (
    ARCHITECTURES,
    BIDIRECTIONAL,
    architecture,
    feedforward_depth,
    max_cycle_ratio,
    measures,
    rnn_graph,
    unroll,
    unrolled_paths,
)

F = Fraction

# (name, k) -> (d_r, d_f, s), worked by hand from the drawings on the page: d_r is the longest
# cycle per unit delay, s the fastest, d_f the input→output path once n·d_r is taken away.
HAND = {
    ("simple", 1): (1, 2, 1),
    ("stacked", 2): (1, 3, 1),
    ("stacked", 3): (1, 4, 1),
    ("feedback", 2): (2, 3, 1),                  # h1 → h2 → h1 (top-down, delay 1): 2 edges per step
    ("feedback", 3): (3, 4, 1),
    ("deep-transition", 1): (1, 2, 1),           # m = 1 is the simple RNN
    ("deep-transition", 2): (2, 3, F(1, 2)),
    ("deep-transition", 3): (3, 4, F(1, 3)),
    ("deep-transition-shortcut", 2): (2, 3, 1),  # the shortcut restores s = 1, keeps d_r = 2
    ("deep-transition-shortcut", 4): (4, 5, 1),
    ("deep-output", 2): (1, 4, 1),
    ("deep-input", 2): (1, 4, 1),
    ("deep-transition-output", 2): (2, 4, F(1, 2)),
    ("skip", 2): (1, 2, 2),
    ("skip", 5): (1, 2, 5),
    ("rhn", 3): (3, 4, F(1, 3)),                 # the carry edges add no new cycle
}


@pytest.mark.parametrize("key", sorted(HAND))
def test_architectures_worked_by_hand(key) -> None:
    assert tuple(measures(architecture(*key))) == tuple(F(v) for v in HAND[key])


@settings(max_examples=6, deadline=None)
@given(L=st.integers(2, 9))
@example(L=2)                         # the page's row
def test_top_down_feedback_raises_recurrent_depth_and_keeps_skip_coefficient(L) -> None:
    """The page's claim: a top-down edge from the top layer at t − 1 into the first layer at t
    turns the stacked RNN's d_r = 1 into L and keeps its d_f = L + 1 (the stacked RNN's: it does
    not lengthen x_t → y_t) and s = 1 — recurrent depth
    without a smaller skip coefficient, unlike the deep transition (s = 1/m)."""
    fb, st_ = measures(architecture("feedback", L)), measures(architecture("stacked", L))
    assert (fb.recurrent_depth, fb.feedforward_depth, fb.skip_coefficient) == (L, L + 1, 1)
    assert (st_.recurrent_depth, st_.feedforward_depth, st_.skip_coefficient) == (1, L + 1, 1)
    # the feedback edge has delay 1: the x_t → y_t path (n = 0) is the stacked RNN's, no longer
    assert fb.feedforward_depth == st_.feedforward_depth
    assert unrolled_paths(architecture("feedback", L), 3).longest[0] == unrolled_paths(
        architecture("stacked", L), 3).longest[0] == L + 1
    assert measures(architecture("deep-transition", L)).skip_coefficient == F(1, L)
    # the finite unrolling agrees: x → h1 … hL, then L edges per step back round, hL → y at step n
    u = unrolled_paths(architecture("feedback", L), 40)
    assert u.longest[40] == 40 * L + L + 1 and u.shortest[40] == 40


def test_every_architecture_name_builds() -> None:
    for name in ARCHITECTURES:
        assert measures(architecture(name, 2)).recurrent_depth >= 1


def test_cycle_of_ratio_three_halves() -> None:
    # h → a → b → h with delays 0, 0, 2: 3 edges per 2 steps; with h → h (1) beside it
    g = rnn_graph(["x"], ["h", "a", "b"], ["y"],
                  [("x", "h", 0), ("h", "a", 0), ("a", "b", 0), ("b", "h", 2), ("h", "h", 1), ("b", "y", 0)])
    m = measures(g)
    assert m.recurrent_depth == F(3, 2) and m.skip_coefficient == 1
    # longest x→y at delay n: x→h, around the 3/2 cycle, then h→a→b→y: 4 edges at n = 0
    assert m.feedforward_depth == 4
    # a cycle of 2 edges and delay 3 makes s = 3/2
    g2 = rnn_graph([], ["h", "a"], [], [("h", "a", 1), ("a", "h", 2)])
    assert measures(g2) == (F(2, 3), None, F(3, 2))


def test_acyclic_and_unreachable() -> None:
    g = rnn_graph(["x"], ["h"], ["y"], [("x", "h", 0), ("h", "y", 0)])   # a feedforward net
    assert measures(g) == (0, 2, None)
    g = rnn_graph(["x"], ["h"], ["y"], [("h", "h", 1), ("h", "y", 0)])   # no input edge
    assert feedforward_depth(g) is None


def _simple_cycles(g):
    """Every simple cycle as a list of edge indices (brute force, tiny graphs only)."""
    out = []
    nodes = list(g.nodes)
    for s_i, s in enumerate(nodes):
        def walk(v, used, path):
            for i, (a, b, _) in enumerate(g.edges):
                if a != v:
                    continue
                if b == s:
                    out.append(path + [i])
                elif b not in used and nodes.index(b) > s_i:
                    walk(b, used | {b}, path + [i])
        walk(s, {s}, [])
    return out


@st.composite
def graphs(draw):
    """Small graphs: x, hidden h0 … h{k-1}, y; delay-0 edges only go up the hidden order."""
    k = draw(st.integers(1, 4))
    hs = [f"h{i}" for i in range(k)]
    edges = [("x", h, 0) for h in draw(st.lists(st.sampled_from(hs), min_size=1, max_size=k, unique=True))]
    edges += [(h, "y", 0) for h in draw(st.lists(st.sampled_from(hs), min_size=1, max_size=k, unique=True))]
    for _ in range(draw(st.integers(0, 6))):
        i, j, d = draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1)), draw(st.integers(0, 3))
        if d > 0 or i < j:
            edges.append((hs[i], hs[j], d))
    return rnn_graph(["x"], hs, ["y"], edges)


SKIP_AND_DEEP = rnn_graph(["x"], ["h", "z"], ["y"],
                          [("x", "z", 0), ("h", "z", 1), ("z", "h", 0), ("h", "h", 3), ("h", "y", 0)])

# A referee's graph (review of 2026-12-07) on which the limits of (deep-measures) do not exist:
# module A, x → a1 → a2 → a3 with a3 → a1 of delay 2 (ratio 3/2), beside module B, x → b with
# b → b of delay 1; both feed y. Odd n can only be crossed by B.
TWO_MODULES = rnn_graph(["x"], ["a1", "a2", "a3", "b"], ["y"],
                        [("x", "a1", 0), ("a1", "a2", 0), ("a2", "a3", 0), ("a3", "a1", 2),
                         ("x", "b", 0), ("b", "b", 1), ("a3", "y", 0), ("b", "y", 0)])
# a single loop of delay 2: no path at all for odd n
LOOP_OF_DELAY_TWO = rnn_graph([], ["h"], [], [("h", "h", 2)])


@settings(max_examples=40, deadline=None)
@given(g=graphs())
@example(g=architecture("deep-transition-shortcut", 3))
@example(g=architecture("skip", 3))
@example(g=architecture("feedback", 2))
@example(g=SKIP_AND_DEEP)
@example(g=TWO_MODULES)
@example(g=LOOP_OF_DELAY_TWO)
def test_exact_measures_are_the_upper_limits_of_the_unrolling(g) -> None:
    """The page's Claim (deep-ratios): d_r = lim sup ℓmax(n)/n and s = lim sup n/ℓmin(n). Checked as
    the proof states it: the exact value bounds the unrolling for every n (up to a constant) and is
    reached along the multiples of its best cycle's delay — together, the lim sup. It does not
    check that the limit exists: on some graphs it does not (``TWO_MODULES``, below)."""
    cycles = _simple_cycles(g)
    m = measures(g)
    V = len(g.nodes)
    dmax = max([d for _, _, d in g.edges] + [1])
    N = 3 * V * dmax + 12
    u = unrolled_paths(g, N)
    if not cycles:
        assert m.recurrent_depth == 0 and m.skip_coefficient is None
    else:
        ratio = lambda c, num: F(sum(1 if num else g.edges[i][2] for i in c),  # noqa: E731
                                 sum(g.edges[i][2] if num else 1 for i in c))
        # the parametric search finds the brute-force maxima
        assert m.recurrent_depth == max(ratio(c, True) for c in cycles)
        assert m.skip_coefficient == max(ratio(c, False) for c in cycles)
        assert max_cycle_ratio(g, "length", "delay") == m.recurrent_depth
        # longest paths: D(n) ≤ d_r·n + |V| for every n, and = d_r·n along the best cycle
        best = max(cycles, key=lambda c: ratio(c, True))
        c_delay = sum(g.edges[i][2] for i in best)
        for n, D in enumerate(u.longest):
            if D is not None:
                assert D <= m.recurrent_depth * n + V
        for n in range(c_delay, N + 1, c_delay):
            assert u.longest[n] is not None and u.longest[n] >= m.recurrent_depth * n
        # shortest paths: d(n) ≥ (n − (|V|−1)·dmax)/s, and ≤ n/s along the fastest cycle
        fast = max(cycles, key=lambda c: ratio(c, False))
        f_delay = sum(g.edges[i][2] for i in fast)
        for n, d in enumerate(u.shortest):
            if d is not None:
                assert d >= (n - (V - 1) * dmax) / m.skip_coefficient
        for n in range(f_delay, N + 1, f_delay):
            assert u.shortest[n] is not None and u.shortest[n] <= n / m.skip_coefficient
    # feedforward depth: sup_n D*(n) − n·d_r, attained within (|V|−1)·dmax steps
    gaps = [D - m.recurrent_depth * n for n, D in enumerate(u.io_longest) if D is not None]
    if m.feedforward_depth is None:
        assert not gaps
    else:
        assert max(gaps) == m.feedforward_depth
        early = [D - m.recurrent_depth * n for n, D in enumerate(u.io_longest[: (V - 1) * dmax + 1]) if D is not None]
        assert max(early) == m.feedforward_depth        # a simple path, so within (|V|−1)·dmax steps


def test_the_limit_can_fail_to_exist_the_upper_limit_cannot() -> None:
    """On ``TWO_MODULES`` ℓmax(n)/n alternates: 3n/2 + 4 edges for even n (x → a1 → a2 → a3, round
    the 3/2 cycle, → y), n + 2 for odd n (only module B crosses an odd number of steps). So
    lim ℓmax(n)/n does not exist; the lim sup is 3/2 = d_r, as ``measures`` returns."""
    m = measures(TWO_MODULES)
    assert m.recurrent_depth == F(3, 2)
    u = unrolled_paths(TWO_MODULES, 60)
    for n in range(2, 61):
        assert u.longest[n] == (3 * n // 2 + 4 if n % 2 == 0 else n + 2)
    assert u.longest[60] / 60 > F(3, 2) > 1 + F(1, 10) > u.longest[59] / 59
    loop = unrolled_paths(LOOP_OF_DELAY_TWO, 20)
    assert all(loop.longest[n] is None and loop.shortest[n] is None for n in range(1, 21, 2))
    assert measures(LOOP_OF_DELAY_TWO)[0::2] == (F(1, 2), F(2))


PAGE_STRUCTURES = [(name, k) for name in ARCHITECTURES for k in range(1, 6)
                   if not (k == 1 and name in ("skip", "feedback", "deep-transition-shortcut"))]


@pytest.mark.parametrize("name,k", PAGE_STRUCTURES)
def test_on_the_page_structures_the_limits_exist(name, k) -> None:
    """The page's remark beside the Claim: for every structure it measures, the limits in
    (deep-measures) exist. Checked by two-sided bounds for every n from 1 to 80: |ℓmax(n) − n·d_r|
    and |ℓmin(n) − n/s| stay below |V|·σmax, so ℓmax(n)/n → d_r and n/ℓmin(n) → s."""
    g = architecture(name, k)
    m = measures(g)
    C = len(g.nodes) * max(d for _, _, d in g.edges)
    u = unrolled_paths(g, 80)
    for n in range(1, 81):
        assert u.longest[n] is not None and u.shortest[n] is not None
        assert abs(u.longest[n] - n * m.recurrent_depth) <= C
        assert abs(u.shortest[n] - n / m.skip_coefficient) <= C


def test_unrolling_of_the_simple_rnn_by_hand() -> None:
    u = unrolled_paths(architecture("simple"), 4)
    assert u.longest == [2, 3, 4, 5, 6]          # x_0 → h_0 → … → h_n → y_n
    assert u.shortest == [0, 1, 2, 3, 4]         # h_0 → h_1 → … → h_n
    assert u.io_longest == [2, 3, 4, 5, 6]


@settings(max_examples=6, deadline=None)
@given(N=st.integers(1, 40))
def test_bidirectional_measures_on_the_unrolled_graph(N) -> None:
    """The page's claim: on the bidirectional RNN's unrolled graph (steps 0 … N), D(n) = D*(n) = n + 2
    and d(n) = n for every n ≥ 1, so d_r = 1, s = 1, d_f = sup_{n ≥ 0} (D*(n) − n) = 2: the simple RNN's
    values under the convention n ≥ 0; backward in time D*(−n) = n + 2, so over n ∈ ℤ d_f is unbounded.
    A path never mixes the chains (f only reaches f and y, b only b and y), which the proof on the
    page uses; reversing the forward chain's delay must turn the graph into its mirror image."""
    u = unroll(*BIDIRECTIONAL, N)
    assert u.longest[1:] == [n + 2 for n in range(1, N + 1)]
    assert u.shortest[1:] == list(range(1, N + 1))
    assert u.io_longest == [n + 2 for n in range(N + 1)]
    fwd = unrolled_paths(architecture("simple"), N)
    assert (u.longest, u.shortest, u.io_longest) == tuple(fwd)      # the simple RNN's numbers exactly
    ins, hid, outs, edges = BIDIRECTIONAL
    only_backward = [e for e in edges if e[0] != "f" and e[1] != "f"]
    back = unroll(ins, hid, outs, only_backward, N)                   # the backward chain alone reaches no later step
    assert back.shortest[1:] == [None] * N and back.io_longest[0] == 2
    # backward in time (the unrolling with every delay negated): ℓ*(−n) = n + 2, so over n ∈ ℤ the
    # supremum ℓ*(n) − n·d_r would be unbounded; d_f = 2 holds under the convention n ≥ 0 only
    mirror = unroll(ins, hid, outs, [(a, b, -d) for a, b, d in edges], N)
    assert mirror.io_longest == [n + 2 for n in range(N + 1)]
    assert max(mirror.io_longest[n] + n * 1 for n in range(N + 1)) == 2 * N + 2


def test_unroll_rejects_a_cyclic_unrolling_and_bad_edges() -> None:
    with pytest.raises(ValueError, match="unrolled graph has a cycle"):
        unroll(["x"], ["h"], ["y"], [("h", "h", 1), ("h", "h", -1)], 3)    # h_t needs h_{t-1} and h_{t+1}
    with pytest.raises(ValueError, match="unrolled graph has a cycle"):
        unroll(["x"], ["h", "a"], ["y"], [("h", "a", 1), ("a", "h", -1)], 3)  # a cycle of total delay 0
    with pytest.raises(ValueError, match="must be an integer"):
        unroll(["x"], ["h"], ["y"], [("h", "h", 1.0)], 3)
    with pytest.raises(ValueError, match="known nodes"):
        unroll(["x"], ["h"], ["y"], [("h", "q", 1)], 3)


@pytest.mark.parametrize("args, match", [
    ((["x"], ["h"], ["y"], [("x", "h", -1)]), r"the delay \(steps back in time\) must be an integer >= 0"),
    ((["x"], ["h"], ["y"], [("x", "h", 1.0)]), r"the delay \(steps back in time\) must be an integer >= 0"),
    ((["x"], ["h"], ["y"], [("x", "q", 0)]), "names a node"),
    ((["x"], ["h"], ["y"], [("h", "x", 1)]), "enters input node"),
    ((["x"], ["h"], ["y"], [("y", "h", 1)]), "leaves output node"),
    ((["x"], ["h", "a"], ["y"], [("h", "a", 0), ("a", "h", 0)]), "delay-0 edges form a cycle"),
    ((["x"], ["x"], ["y"], []), "distinct strings"),
    ((["x"], ["h"], ["y"], [("x", "h")]), "triples"),
])
def test_bad_graphs_are_rejected(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        rnn_graph(*args)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="num and den"):
        max_cycle_ratio(architecture("simple"), "length", "length")
    with pytest.raises(ValueError, match="k of 'skip' must be an integer >= 2"):
        architecture("skip", 1)
    with pytest.raises(ValueError, match="k must be >= 2"):
        architecture("deep-transition-shortcut", 1)
    with pytest.raises(ValueError, match="k of 'feedback' must be an integer >= 2"):
        architecture("feedback", 1)
    with pytest.raises(ValueError, match="name must be one of"):
        architecture("wide")
    with pytest.raises(ValueError, match="N must be"):
        unrolled_paths(architecture("simple"), -1)


@settings(max_examples=5, deadline=None)
@given(m=st.integers(1, 6))
@example(m=3)                         # the page's row
def test_rhn_skip_coefficient_does_not_come_from_its_carry_edges(m) -> None:
    """The page's claim: the RHN's s = 1/m is set by its cycles, each crossing m layers per step;
    without the carry edges (each parallel to a transform edge) the graph is the deep transition's
    and every measure is the same — counting the carry route as an edge only hides that it can pass
    the state on unchanged."""
    rhn = architecture("rhn", m)
    no_carry = rnn_graph(list(rhn.inputs), list(rhn.hidden), list(rhn.outputs), list(dict.fromkeys(rhn.edges)))
    assert len(no_carry.edges) == len(rhn.edges) - m
    assert tuple(measures(rhn)) == tuple(measures(no_carry)) == tuple(measures(architecture("deep-transition", m)))
    assert measures(rhn).skip_coefficient == F(1, m)


def rhn_with_gate_nodes(m: int):
    """The RHN graph with the candidate r̃_l and the gates a_l, κ_l as nodes (Zhang et al.'s
    nonlinear nodes): per layer r_{l−1} → {r̃_l, a_l, κ_l} → r_l (two edges each) beside the carry
    edge r_{l−1} → r_l; x enters layer 1's candidate and gates."""
    rs = [f"r{l}" for l in range(1, m + 1)]
    gates = [f"{g}{l}" for l in range(1, m + 1) for g in ("c", "a", "k")]
    edges = [(rs[-1], "r1", 1)]                                   # carry of layer 1
    edges += [(a, b, 0) for a, b in zip(rs, rs[1:])]             # carries of layers 2 … m
    for l in range(1, m + 1):
        src, d = (rs[-1], 1) if l == 1 else (rs[l - 2], 0)
        for g in ("c", "a", "k"):
            edges += [(src, f"{g}{l}", d), (f"{g}{l}", rs[l - 1], 0)]
            if l == 1:
                edges.append(("x", f"{g}{l}", 0))
    return rnn_graph(["x"], rs + gates, ["y"], edges + [(rs[-1], "y", 0)])


@settings(max_examples=5, deadline=None)
@given(m=st.integers(1, 6))
@example(m=3)                         # the page's row
def test_rhn_measures_depend_on_whether_gates_are_nodes(m) -> None:
    """The page's claim: d_r = m, s = 1/m for the RHN under the page's convention (gates folded
    into edges); with the candidate and the gates as nodes d_r = 2m while s stays 1/m (the carry
    cycle still has m edges per step)."""
    folded, gated = measures(architecture("rhn", m)), measures(rhn_with_gate_nodes(m))
    assert (folded.recurrent_depth, folded.skip_coefficient) == (m, F(1, m))
    assert (gated.recurrent_depth, gated.skip_coefficient) == (2 * m, F(1, m))


def test_deep_transition_fed_at_the_top_is_deeper_only_in_recurrent_depth() -> None:
    """The page's condition on "a deep transition adds feedforward depth": x_t must enter the
    FIRST layer of the transition, as in (deep-dt). Fed into the top layer instead (x → h,
    h → g1 with delay 1, g1 → h, h → y), the x_t → y_t path keeps the simple RNN's two edges:
    d_f = 2, while d_r = 2 and s = 1/2 as for DT-RNN (the referee's counterexample)."""
    top = rnn_graph(["x"], ["g1", "h"], ["y"], [("x", "h", 0), ("h", "g1", 1), ("g1", "h", 0), ("h", "y", 0)])
    assert tuple(measures(top)) == (2, 2, F(1, 2))
    assert measures(top).feedforward_depth == measures(architecture("simple", 1)).feedforward_depth
    assert tuple(measures(architecture("deep-transition", 2))) == (2, 3, F(1, 2))   # x into g1: d_f = 3
