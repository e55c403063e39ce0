"""The recursive network of NNDL §6.8.1: on the left-branching chain it is the simple RNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from solutions.recursive import chain, chain_leaves, chain_params, check_tree, tree_forward
from solutions.sequence import rnn_forward


def _rnn_case(rng: np.random.Generator, T: int, B: int, M: int, D: int, scale: float = 0.5):
    """x, h_0 ~ N(0,1); U, W_in ~ scale·N(0,1) (0.5 unless told); b_ih, b_hh ~ N(0,1)."""
    x = rng.standard_normal((T, B, M))
    h0 = rng.standard_normal((B, D))
    params = {"W_ih": scale * rng.standard_normal((D, M)), "W_hh": scale * rng.standard_normal((D, D)),
              "b_ih": rng.standard_normal(D), "b_hh": rng.standard_normal(D)}
    return x, h0, params


def _chain_error(x, h0, params) -> float:
    """max |tree_forward on chain(T) - rnn_forward| over every step and example."""
    T, B, _ = x.shape
    h, _ = rnn_forward(x, h0, params)
    W, b = chain_params(params)
    err = 0.0
    for n in range(B):
        states = tree_forward(chain(T), chain_leaves(h0[n], x[:, n]), W, b)
        assert len(states) == T
        err = max(err, float(np.abs(np.stack(list(states.values())) - h[:, n]).max()))
    return err


@pytest.mark.parametrize("T", [1, 2, 3, 7, 50, 200])
def test_chain_equals_rnn_forward(T: int) -> None:
    x, h0, params = _rnn_case(np.random.default_rng(T), T, B=3, M=3, D=4)
    assert _chain_error(x, h0, params) <= 1e-12


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 12), B=st.integers(1, 3), M=st.integers(1, 5), D=st.integers(1, 5),
       seed=st.integers(0, 2**32 - 1))
def test_chain_equals_rnn_forward_any_shape(T: int, B: int, M: int, D: int, seed: int) -> None:
    x, h0, params = _rnn_case(np.random.default_rng(seed), T, B, M, D)
    assert _chain_error(x, h0, params) <= 1e-12


def _chaotic_case(seed: int, T: int, D: int, s: float):
    """M = D; U, W_in ~ (s/√D)·N(0,1), b = 0, x ~ 0.1·N(0,1), h_0 ~ N(0,1): ρ(U) ≈ s for large D."""
    rng = np.random.default_rng(seed)
    params = {"W_ih": s / np.sqrt(D) * rng.standard_normal((D, D)),
              "W_hh": s / np.sqrt(D) * rng.standard_normal((D, D)),
              "b_ih": np.zeros(D), "b_hh": np.zeros(D)}
    x, h0 = 0.1 * rng.standard_normal((T, 1, D)), rng.standard_normal((1, D))
    return x, h0, params


def _stepwise_difference(x, h0, params) -> np.ndarray:
    """max over units of |tree_forward's node t − rnn_forward's h_t|, for t = 1 … T."""
    h, _ = rnn_forward(x, h0, params)
    W, b = chain_params(params)
    states = tree_forward(chain(len(x)), chain_leaves(h0[0], x[:, 0]), W, b)
    return np.abs(np.stack(list(states.values())) - h[:, 0]).max(axis=1)


@settings(max_examples=25, deadline=None)
@given(s=st.floats(0.1, 6.0), D=st.integers(1, 32), seed=st.integers(0, 2**32 - 1))
@example(s=3.0, D=32, seed=0).via("the referee's chaotic case")
@example(s=5.0, D=32, seed=0).via("the referee's chaotic case")
def test_chain_equals_rnn_to_rounding_over_the_first_steps_at_any_weight_scale(s: float, D: int, seed: int) -> None:
    """The two codes add the same terms in another order: each step agrees to rounding,
    even for weights large enough to make the RNN chaotic, over the first 3 steps."""
    x, h0, params = _chaotic_case(seed, 3, D, s)
    assert _stepwise_difference(x, h0, params).max() <= 1e-12


def test_a_chaotic_rnn_amplifies_the_rounding_to_order_one() -> None:
    """The equivalence is exact in real arithmetic, but a chaotic RNN amplifies the per-step
    rounding. One draw, seed 0, at s = 3 (ρ(U) = 3.34 > 3; other draws at this scale differ): the two
    codes' states agree to 1e-12 over the first 3 steps, first differ by more than 1 within 300
    steps, and keep differing by more than 1 up to step 1500. At s = 0.5 this draw stays within 1e-12."""
    x, h0, params = _chaotic_case(0, 1500, 32, 3.0)
    assert max(abs(np.linalg.eigvals(params["W_hh"]))) > 3
    d = _stepwise_difference(x, h0, params)
    first = int(np.argmax(d > 1))                # index of step first + 1
    assert d[:3].max() <= 1e-12 and d[first] > 1 and first < 300 and (d[first:] > 1).all()
    x, h0, params = _chaotic_case(0, 1500, 32, 0.5)
    assert _stepwise_difference(x, h0, params).max() <= 1e-12


def test_chain_split_of_W_is_U_then_W_in() -> None:
    """W = [U | W_in]: the first D columns read the left child (the state), the rest x_t."""
    rng = np.random.default_rng(0)
    _, _, params = _rnn_case(rng, 1, 1, M=2, D=3)
    W, b = chain_params(params)
    assert W.shape == (3, 5)
    np.testing.assert_array_equal(W[:, :3], params["W_hh"])
    np.testing.assert_array_equal(W[:, 3:], params["W_ih"])
    np.testing.assert_array_equal(b, params["b_ih"] + params["b_hh"])


def test_chain_structure_and_state_keys() -> None:
    assert chain(1) == (0, 1)
    assert chain(3) == (((0, 1), 2), 3)
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((2, 5)), rng.standard_normal(2)
    states = tree_forward(chain(3), chain_leaves(rng.standard_normal(2), rng.standard_normal((3, 3))), W, b)
    assert list(states) == [(0, 1), ((0, 1), 2), (((0, 1), 2), 3)]  # post-order: h_1, h_2, h_3


def test_general_tree_matches_a_hand_computation() -> None:
    """A balanced tree, D = M, children combined by the book's formula."""
    rng = np.random.default_rng(2)
    D = 3
    leaves = [rng.standard_normal(D) for _ in range(4)]
    W, b = rng.standard_normal((D, 2 * D)), rng.standard_normal(D)
    tree = ((0, 1), (2, 3))
    states = tree_forward(tree, leaves, W, b)
    f = lambda l, r: np.tanh(W @ np.concatenate([l, r]) + b)  # noqa: E731
    a, c = f(leaves[0], leaves[1]), f(leaves[2], leaves[3])
    np.testing.assert_allclose(states[(0, 1)], a, rtol=0, atol=1e-15)
    np.testing.assert_allclose(states[(2, 3)], c, rtol=0, atol=1e-15)
    np.testing.assert_allclose(states[tree], f(a, c), rtol=0, atol=1e-15)
    assert list(states) == [(0, 1), (2, 3), tree]


def test_long_chain_needs_no_recursion() -> None:
    T = 3000  # deeper than Python's default recursion limit
    rng = np.random.default_rng(3)
    x, h0, params = _rnn_case(rng, T, 1, M=2, D=2)
    assert _chain_error(x, h0, params) <= 1e-12


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(4)
    W, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    leaves = chain_leaves(rng.standard_normal(2).astype(np.float32), rng.standard_normal((2, 1)).astype(np.float32))
    assert all(h.dtype == np.float32 for h in tree_forward(chain(2), leaves, W, b).values())


# ---- bad input: a ValueError naming the argument ----------------------------------------

def _good():
    rng = np.random.default_rng(5)
    D, M = 3, 2
    return chain(2), chain_leaves(rng.standard_normal(D), rng.standard_normal((2, M))), \
        rng.standard_normal((D, D + M)), rng.standard_normal(D)


@pytest.mark.parametrize("tree, match", [
    (0, r"^tree must be nested 2-tuples"),
    ([[0, 1], 2], r"^tree must be nested 2-tuples"),
    (((0, 1, 2),), r"^tree: every internal node must be a 2-tuple"),
    (((0, 1), 2, 2), r"^tree: every internal node must be a 2-tuple"),
    (((0, 1), 3), r"^tree: leaf index 3 is out of range"),
    (((0, -1), 2), r"^tree: leaf index -1 is out of range"),
    (((0, 1), 1), r"^tree: leaf index 1 appears twice"),
    ((0, 1), r"^tree does not use leaves \[2\]"),
    (((0, True), 2), r"^tree: a node must be a leaf index"),
    (((0, 1.0), 2), r"^tree: a node must be a leaf index"),
    (((0, [1]), 2), r"^tree: a node must be a leaf index"),
])
def test_malformed_tree(tree, match) -> None:
    _, leaves, W, b = _good()
    with pytest.raises(ValueError, match=match):
        tree_forward(tree, leaves, W, b)


def test_numpy_integer_indices_are_leaf_indices() -> None:
    tree, leaves, W, b = _good()
    same = ((np.int64(0), np.int32(1)), np.int16(2))
    a, c = tree_forward(tree, leaves, W, b), tree_forward(same, leaves, W, b)
    np.testing.assert_array_equal(list(a.values())[-1], list(c.values())[-1])


def test_wrong_leaf_sizes_name_the_leaf_and_the_shape() -> None:
    tree, leaves, W, b = _good()
    with pytest.raises(ValueError, match=r"^leaves\[0\] is a left child, so it must have shape \(D,\) = \(3,\)"):
        tree_forward(tree, [leaves[1], leaves[1], leaves[2]], W, b)
    with pytest.raises(ValueError, match=r"^leaves\[2\] is a right child, so it must have shape \(M,\) = \(2,\)"):
        tree_forward(tree, [leaves[0], leaves[1], leaves[0]], W, b)
    with pytest.raises(ValueError, match=r"^leaves\[1\] must be a 1-D array"):
        tree_forward(tree, [leaves[0], leaves[1][None], leaves[2]], W, b)
    with pytest.raises(ValueError, match=r"^leaves must be a list"):
        tree_forward(tree, np.zeros(3), W, b)


def test_subtree_on_the_right_needs_M_equal_D() -> None:
    _, leaves, W, b = _good()  # D = 3, M = 2
    rng = np.random.default_rng(6)
    four = [leaves[0], leaves[1], leaves[0].copy(), rng.standard_normal(2)]
    with pytest.raises(ValueError, match=r"^tree: the subtree \(2, 3\) is a right child"):
        tree_forward(((0, 1), (2, 3)), four, W, b)


@pytest.mark.parametrize("W, match", [
    (np.zeros((3, 3)), r"^W must be an array of shape \(D, D \+ M\) with M >= 1; got \(3, 3\)"),
    (np.zeros((3, 5, 1)), r"^W must be an array of shape \(D, D \+ M\)"),
    ([[0.0] * 5] * 3, r"^W must be an array of shape \(D, D \+ M\) with M >= 1; got list"),
    (np.zeros((3, 5), dtype=np.float32), r"dtype"),
    (np.full((3, 5), np.nan), r"^W of shape \(D, D\+M\) contains NaN"),
    (np.zeros((4, 6)), r"^b must have shape \(D,\) with D = 4"),
])
def test_bad_W(W, match) -> None:
    tree, leaves, _, b = _good()
    with pytest.raises(ValueError, match=match):
        tree_forward(tree, leaves, W, b)


@pytest.mark.parametrize("b, match", [
    (np.zeros(2), r"^b must have shape \(D,\) with D = 3"),
    (np.zeros((3, 1)), r"^b must have shape \(D,\)"),
    (np.zeros(3, dtype=np.float32), r"^b has dtype float32"),
    ([0.0, 0.0, 0.0], r"^b must be a NumPy array of shape \(D,\)"),
])
def test_bad_b(b, match) -> None:
    tree, leaves, W, _ = _good()
    with pytest.raises(ValueError, match=match):
        tree_forward(tree, leaves, W, b)


def test_bad_leaf_values() -> None:
    tree, leaves, W, b = _good()
    with pytest.raises(ValueError, match=r"^leaves\[1\] of shape \(M,\) contains NaN"):
        tree_forward(tree, [leaves[0], np.full(2, np.nan), leaves[2]], W, b)
    with pytest.raises(ValueError, match=r"^leaves\[2\] has dtype float32"):
        tree_forward(tree, [leaves[0], leaves[1], leaves[2].astype(np.float32)], W, b)


@pytest.mark.parametrize("T", [0, -1, 2.0, True, "3"])
def test_bad_chain_length(T) -> None:
    with pytest.raises(ValueError, match=r"^T must be an integer >= 1"):
        chain(T)


def test_bad_chain_leaves() -> None:
    with pytest.raises(ValueError, match=r"^h0 must have shape \(D,\)"):
        chain_leaves(np.zeros((1, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"^x must have shape \(T, M\)"):
        chain_leaves(np.zeros(3), np.zeros(2))


def test_check_tree_returns_post_order() -> None:
    assert check_tree(((0, 1), (2, 3)), 4) == [(0, 1), (2, 3), ((0, 1), (2, 3))]


# ---- the claims of docs/recursive.md beyond the main equivalence -------------------------

def _square_case(seed: int, T: int, D: int):
    """M = D; x ~ N(0,1); U, W_in ~ 0.5·N(0,1); b_ih, b_hh ~ N(0,1)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, D))
    params = {"W_ih": 0.5 * rng.standard_normal((D, D)), "W_hh": 0.5 * rng.standard_normal((D, D)),
              "b_ih": rng.standard_normal(D), "b_hh": rng.standard_normal(D)}
    return x, params


@settings(max_examples=20, deadline=None)
@given(T=st.integers(2, 12), D=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_books_chain_from_x1_is_the_rnn_started_at_h0_equal_x1(T: int, D: int, seed: int) -> None:
    """The book's chain (((x_1, x_2), x_3), …, x_T) has no h_0: with M = D it is chain(T - 1) on
    the leaves x_1 … x_T, and node t holds the RNN's state after x_2 … x_t from h_0 := x_1."""
    x, params = _square_case(seed, T, D)
    W, b = chain_params(params)
    states = tree_forward(chain(T - 1), list(x), W, b)
    h, _ = rnn_forward(x[1:, None], x[0][None], params)
    assert len(states) == T - 1
    np.testing.assert_allclose(np.stack(list(states.values())), h[:, 0], rtol=0, atol=1e-12)


def test_books_chain_needs_M_equal_D() -> None:
    """x_1 stands where a state goes: with M ≠ D it is a left child of the wrong size."""
    rng = np.random.default_rng(7)
    D, M = 3, 2
    W, b = rng.standard_normal((D, D + M)), rng.standard_normal(D)
    with pytest.raises(ValueError, match=r"^leaves\[0\] is a left child, so it must have shape \(D,\) = \(3,\)"):
        tree_forward(chain(2), list(rng.standard_normal((3, M))), W, b)


def _right_chain(T: int) -> tuple:
    """(x_1, (x_2, (… (x_T, h_0)))): leaves 0 … T-1 are x_1 … x_T, leaf T is h_0."""
    tree: object = T
    for t in range(T - 1, -1, -1):
        tree = (t, tree)
    return tree  # type: ignore[return-value]


@settings(max_examples=15, deadline=None)
@given(T=st.integers(1, 10), D=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_right_branching_chain_is_the_rnn_on_the_reversed_sequence(T: int, D: int, seed: int) -> None:
    """Pitfall "the right-branching chain": with W = [W_in | U] (and M = D) its root holds the
    RNN's final state on x_T, …, x_1, not on x_1, …, x_T."""
    x, params = _square_case(seed, T, D)
    h0 = np.random.default_rng(seed + 1).standard_normal(D)
    W = np.concatenate([params["W_ih"], params["W_hh"]], axis=1)
    b = params["b_ih"] + params["b_hh"]
    root = list(tree_forward(_right_chain(T), [*x, h0], W, b).values())[-1]
    reversed_h, _ = rnn_forward(x[::-1, None], h0[None], params)
    np.testing.assert_allclose(root, reversed_h[-1, 0], rtol=0, atol=1e-12)
    # With the chain's own W = [U | W_in] (chain_params) the root is the reversed RNN with U and
    # W_in exchanged: neither the forward nor the reversed RNN, for generic weights.
    root_chain_W = list(tree_forward(_right_chain(T), [*x, h0], *chain_params(params)).values())[-1]
    exchanged = {**params, "W_ih": params["W_hh"], "W_hh": params["W_ih"]}
    np.testing.assert_allclose(root_chain_W, rnn_forward(x[::-1, None], h0[None], exchanged)[0][-1, 0],
                               rtol=0, atol=1e-12)
    if np.abs(params["W_hh"] - params["W_ih"]).max() > 0.1:
        forward_h, _ = rnn_forward(x[:, None], h0[None], params)
        assert np.abs(root_chain_W - forward_h[-1, 0]).max() > 1e-9
        assert np.abs(root_chain_W - reversed_h[-1, 0]).max() > 1e-9


@settings(max_examples=15, deadline=None)
@given(T=st.integers(2, 10), D=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_children_in_the_wrong_order_run_silently_wrong_when_M_equals_D(T: int, D: int, seed: int) -> None:
    """Pitfall "the children in the wrong order": stacking [x_t; h_{t-1}] with W = [U | W_in] and
    M = D raises nothing, and the states are not the RNN's."""
    x, params = _square_case(seed, T, D)
    assume(np.abs(params["W_hh"] - params["W_ih"]).max() > 0.1)   # generic: U = W_in would make the order irrelevant
    h0 = np.random.default_rng(seed + 2).standard_normal(D)
    W, b = chain_params(params)
    swapped: object = 0
    for t in range(1, T + 1):
        swapped = (t, swapped)                       # node t = (x_t, node t-1)
    states = tree_forward(swapped, [h0, *x], W, b)
    h, _ = rnn_forward(x[:, None], h0[None], params)
    assert np.abs(list(states.values())[-1] - h[-1, 0]).max() > 1e-6


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 8), M=st.integers(1, 6), D=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
@example(T=6, M=4, D=2, seed=0).via("the referee's counterexample: W = [c c c], U = c, W_in = [c c]")
@example(T=6, M=6, D=3, seed=1).via("the referee's second counterexample")
def test_children_in_the_wrong_order_are_harmless_when_the_columns_of_W_repeat_with_period_gcd(
        T: int, M: int, D: int, seed: int) -> None:
    """Pitfall "the children in the wrong order": W [x; h] = W [h; x] for every h, x exactly when the
    columns of W repeat with period gcd(D, M). Then the wrong order gives the RNN's states, also
    for M != D (where U != W_in); for M = D the condition is U = W_in."""
    rng = np.random.default_rng(seed)
    g = int(np.gcd(D, M))
    W = np.tile(rng.standard_normal((D, g)), (D + M) // g)          # columns of period gcd(D, M)
    b, h0, x = rng.standard_normal(D), rng.standard_normal(D), rng.standard_normal((T, M))
    params = {"W_hh": W[:, :D], "W_ih": W[:, D:], "b_ih": b, "b_hh": np.zeros(D)}
    h, _ = rnn_forward(x[:, None], h0[None], params)
    state = h0
    for t in range(T):
        state = np.tanh(W @ np.concatenate([x[t], state]) + b)     # wrong order [x_t; h_{t-1}]
        np.testing.assert_allclose(state, h[t, 0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("alone", ["b_ih", "b_hh"])
def test_one_of_pytorchs_two_biases_alone_is_wrong_from_the_first_node(alone: str) -> None:
    """Pitfall "two biases": with b = b_ih (or b_hh) alone instead of b_ih + b_hh, the tree's
    states differ from the RNN's from the first node on, already for T = 1."""
    x, h0, params = _rnn_case(np.random.default_rng(7), 1, 1, M=3, D=4)
    h, _ = rnn_forward(x, h0, params)
    W, _ = chain_params(params)
    states = tree_forward(chain(1), chain_leaves(h0[0], x[:, 0]), W, params[alone])
    assert np.abs(list(states.values())[0] - h[0, 0]).max() > 1e-3


@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 8), D=st.integers(2, 4), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_padding_the_inputs_with_zeros_to_size_D_changes_nothing(T: int, D: int, seed: int, data) -> None:
    """Pitfall "a node of the wrong size": x_t padded with zeros to size D and W = [U | W_in | any]
    give the same states as W = [U | W_in] (the extra columns meet only zeros)."""
    M = data.draw(st.integers(1, D - 1))
    x, h0, params = _rnn_case(np.random.default_rng(seed), T, 1, M, D)
    W, b = chain_params(params)
    extra = np.random.default_rng(seed + 3).standard_normal((D, D - M))
    padded = np.concatenate([x[:, 0], np.zeros((T, D - M))], axis=1)
    a = tree_forward(chain(T), chain_leaves(h0[0], x[:, 0]), W, b)
    c = tree_forward(chain(T), chain_leaves(h0[0], padded), np.concatenate([W, extra], axis=1), b)
    np.testing.assert_allclose(np.stack(list(a.values())), np.stack(list(c.values())), rtol=0, atol=1e-12)


def _chain_states(W: np.ndarray, b: np.ndarray, h0: np.ndarray, x: np.ndarray, f) -> np.ndarray:
    """(Tr1) on chain(T) for any activation f, written out: the states h_1 … h_T, (T, D)."""
    h, out = h0, []
    for x_t in x:
        h = f(W @ np.concatenate([h, x_t]) + b)
        out.append(h)
    return np.stack(out)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 6), D=st.integers(1, 3), extra=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_widening_the_state_to_M_when_M_is_larger_than_D(T: int, D: int, extra: int, seed: int) -> None:
    """Pitfall "a node of the wrong size", M > D: widen the state to M with zero rows of W and zero
    bias for the extra units, started at f(0). They hold f(0) at every node; the columns that read
    them add W[:, e] f(0): nothing for tanh (whatever those columns hold), a constant for the
    logistic σ, which b absorbs. The first D units are the RNN's states."""
    M = D + extra
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((T, M)), rng.standard_normal(D)
    U, W_in, b = 0.5 * rng.standard_normal((D, D)), 0.5 * rng.standard_normal((D, M)), rng.standard_normal(D)
    reads_extra = rng.standard_normal((D, extra))                  # the columns that read the extra units
    for f, f0 in ((np.tanh, 0.0), (_sigmoid, 0.5)):
        wide = np.zeros((M, 2 * M))
        wide[:D, :D], wide[:D, D:M], wide[:D, M:] = U, reads_extra, W_in
        b_wide = np.concatenate([b - reads_extra @ np.full(extra, f0), np.zeros(extra)])  # absorbs W[:, e] f(0)
        states = _chain_states(wide, b_wide, np.concatenate([h0, np.full(extra, f0)]), x, f)
        rnn = _chain_states(np.concatenate([U, W_in], axis=1), b, h0, x, f)
        np.testing.assert_allclose(states[:, :D], rnn, rtol=0, atol=1e-12)
        assert (states[:, D:] == f0).all()
        if f0:                                                      # σ without the absorbed constant: wrong
            b_raw = np.concatenate([b, np.zeros(extra)])
            raw = _chain_states(wide, b_raw, np.concatenate([h0, np.full(extra, f0)]), x, f)
            assert np.abs(raw[:, :D] - rnn).max() > 1e-9 or not reads_extra.any()


def _tree_states_torch(tree: tuple, leaves: list, W: torch.Tensor, b: torch.Tensor) -> list:
    """(Tr1) on any tree in torch ops, node by node in post-order (check_tree): autograd through
    it is backpropagation through structure. Returns the internal nodes' states in post-order."""
    order, state = check_tree(tree, len(leaves)), {}
    for node in order:
        left, right = (leaves[c] if isinstance(c, int) else state[id(c)] for c in node)
        state[id(node)] = torch.tanh(W @ torch.cat([left, right]) + b)
    return [state[id(node)] for node in order]


@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 8), M=st.integers(1, 4), D=st.integers(1, 4), seed=st.integers(0, 2**31 - 1),
       root_only=st.booleans())
@example(T=7, M=2, D=3, seed=0, root_only=False)          # referee 3's check
def test_bpts_on_the_chain_equals_bptt(T: int, M: int, D: int, seed: int, root_only: bool) -> None:
    """BPTS on chain(T) (autograd through the tree) gives BPTT's gradients (torch.nn.RNN) when the
    losses sit on the same nodes (L_t on node n_t, or one loss on the root and on h_T):
    ∂L/∂W = [∂L/∂W_hh  ∂L/∂W_ih], ∂L/∂b = ∂L/∂b_ih = ∂L/∂b_hh, and the same ∂L/∂h_0, ∂L/∂x."""
    g = torch.Generator().manual_seed(seed)
    rnn = torch.nn.RNN(M, D, dtype=torch.float64)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    x = torch.randn(T, M, generator=g, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(D, generator=g, dtype=torch.float64, requires_grad=True)
    a = torch.randn(T, D, generator=g, dtype=torch.float64)         # L = Σ_t L_t, L_t = a_t · sin(h_t)
    if root_only:
        a[:-1] = 0
    h, _ = rnn(x[:, None], h0[None, None])
    (a * torch.sin(h[:, 0])).sum().backward()
    W = torch.cat([rnn.weight_hh_l0, rnn.weight_ih_l0], dim=1).detach().requires_grad_()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().requires_grad_()
    x2, h02 = x.detach().clone().requires_grad_(), h0.detach().clone().requires_grad_()
    states = _tree_states_torch(chain(T), [h02, *x2], W, b)
    (a * torch.sin(torch.stack(states))).sum().backward()
    close = dict(rtol=0, atol=1e-12)
    torch.testing.assert_close(W.grad[:, :D], rnn.weight_hh_l0.grad, **close)
    torch.testing.assert_close(W.grad[:, D:], rnn.weight_ih_l0.grad, **close)
    torch.testing.assert_close(b.grad, rnn.bias_ih_l0.grad, **close)
    torch.testing.assert_close(b.grad, rnn.bias_hh_l0.grad, **close)
    torch.testing.assert_close(h02.grad, h0.grad, **close)
    torch.testing.assert_close(x2.grad, x.grad, **close)
