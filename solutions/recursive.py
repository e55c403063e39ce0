"""A recursive neural network on a binary tree, and the chain on which it is a simple RNN.

Book notation (NNDL §6.8.1, 递归神经网络): every internal node combines its two children,

    h = f(W [h_left; h_right] + b),

with one ``W`` and one ``b`` shared by all nodes. This module takes ``f = tanh``, the
nonlinearity of the simple RNN in ``solutions.sequence``, so the two can be compared.

Children need not have the same size. With ``W`` of shape ``(D, D + M)`` every internal node
has a state of size ``D``; a left child must have size ``D`` and a right child size ``M``. On
the left-branching chain ``(((0, 1), 2), …, T)`` whose leftmost leaf is ``h_0`` (size ``D``)
and whose other leaves are ``x_1 … x_T`` (size ``M``), node ``t`` combines the state of node
``t - 1`` with ``x_t``:

    h_t = tanh(W[:, :D] h_{t-1} + W[:, D:] x_t + b),

the simple RNN (6.5) with ``U = W[:, :D]`` and input weight ``W[:, D:]`` — see
[chain][solutions.recursive.chain] and [chain_leaves][solutions.recursive.chain_leaves].

Forward pass only: this module is checked against ``solutions.sequence.rnn_forward``; its
gradients (backpropagation through structure) are checked against ``torch.nn.RNN`` in
``tests/test_recursive.py`` by autograd through the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from solutions.validate import Shapes, check_int

#: A tree: a leaf index (``int``) or a 2-tuple of trees, e.g. ``((0, 1), 2)``.
Tree = int | tuple


def _is_index(node: object) -> bool:
    return isinstance(node, (int, np.integer)) and not isinstance(node, (bool, np.bool_))


def check_tree(tree: object, n_leaves: int) -> list[tuple]:
    """Validate ``tree`` over leaves ``0 … n_leaves-1``; return its internal nodes in post-order.

    Post-order: both children before their parent, the left subtree before the right one —
    the order in which [tree_forward][solutions.recursive.tree_forward] computes the nodes.

    Parameters
    ----------
    tree : nested 2-tuples of int
        Every leaf index ``0 … n_leaves-1`` exactly once; the root must be a 2-tuple.
    n_leaves : int
        The number of leaves.

    Raises
    ------
    ValueError
        Naming ``tree``: the root is not a tuple, a node is neither an int nor a 2-tuple,
        a leaf index is a bool, out of range or repeated, or a leaf is not used.
    """
    if not isinstance(tree, tuple):
        raise ValueError(
            f"tree must be nested 2-tuples of leaf indices, e.g. ((0, 1), 2); got {type(tree).__name__}")
    seen: set[int] = set()
    order: list[tuple] = []
    stack: list[tuple[object, bool]] = [(tree, False)]  # iterative: a long chain is a deep tree
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)  # type: ignore[arg-type]
            continue
        if isinstance(node, tuple):
            if len(node) != 2:
                raise ValueError(f"tree: every internal node must be a 2-tuple (left, right); "
                                 f"got a tuple of length {len(node)}")
            stack += [(node, True), (node[1], False), (node[0], False)]
        elif _is_index(node):
            i = int(node)  # type: ignore[arg-type]
            if not 0 <= i < n_leaves:
                raise ValueError(f"tree: leaf index {i} is out of range for {n_leaves} leaves (0 … {n_leaves - 1})")
            if i in seen:
                raise ValueError(f"tree: leaf index {i} appears twice; every leaf is used exactly once")
            seen.add(i)
        else:
            raise ValueError(f"tree: a node must be a leaf index (int) or a 2-tuple; got {node!r} "
                             f"({type(node).__name__})")
    if len(seen) != n_leaves:
        unused = sorted(set(range(n_leaves)) - seen)
        raise ValueError(f"tree does not use leaves {unused[:10]} of the {n_leaves} given; "
                         "every leaf is used exactly once")
    return order


def tree_forward(tree: tuple, leaves: Sequence[np.ndarray], W: np.ndarray, b: np.ndarray) -> dict[tuple, np.ndarray]:
    """The state of every internal node: ``h = tanh(W [h_left; h_right] + b)`` (§6.8.1).

    Parameters
    ----------
    tree : nested 2-tuples of int
        The tree over the leaf indices, e.g. ``((0, 1), 2)``: every index ``0 … len(leaves)-1``
        exactly once. A leaf index stands for ``leaves[i]``.
    leaves : sequence of ndarray
        ``leaves[i]`` is a vector: of shape ``(D,)`` where it is a left child, ``(M,)`` where
        it is a right child. All leaves, ``W`` and ``b`` share one float dtype.
    W : ndarray of shape (D, D + M)
        The weight shared by all internal nodes: columns ``:D`` multiply the left child,
        columns ``D:`` the right child (``M >= 1``).
    b : ndarray of shape (D,)
        The bias shared by all internal nodes.

    Returns
    -------
    states : dict
        ``{subtree: h}`` for every internal node: the key is the subtree's own tuple (e.g.
        ``(0, 1)`` and ``((0, 1), 2)``; each is distinct because every leaf occurs once), the
        value its state, an ndarray of shape ``(D,)``. Keys are in post-order, so the root's
        state is the last value and, on [chain(T)][solutions.recursive.chain],
        ``list(states.values())`` is ``[h_1, …, h_T]``. Hashing a nested key costs time
        proportional to its size: prefer iterating over the values for long chains.

    Raises
    ------
    ValueError
        Naming the argument: a malformed ``tree`` (see
        [check_tree][solutions.recursive.check_tree]), ``leaves[i]`` of the wrong shape for its
        position, ``W`` not (D, D + M) with M >= 1, a right child that is a subtree while
        ``M != D``, ``b`` not (D,), mixed dtypes, NaN or infinity.
    """
    if not isinstance(leaves, Sequence) or isinstance(leaves, (str, bytes)):
        raise ValueError(f"leaves must be a list of 1-D arrays; got {type(leaves).__name__}")
    order = check_tree(tree, len(leaves))
    if not isinstance(W, np.ndarray) or W.ndim != 2 or W.shape[1] <= W.shape[0]:
        shape = W.shape if isinstance(W, np.ndarray) else type(W).__name__
        raise ValueError(f"W must be an array of shape (D, D + M) with M >= 1; got {shape}")
    D, M = W.shape[0], W.shape[1] - W.shape[0]
    s = Shapes(D=D, M=M)
    s.array("W", W, ("D", "D+M"))
    s.array("b", b, ("D",))
    size = {"D": D, "M": M}
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf, np.ndarray) or leaf.ndim != 1:
            raise ValueError(f"leaves[{i}] must be a 1-D array of shape (D,) or (M,); got "
                             f"{leaf.shape if isinstance(leaf, np.ndarray) else type(leaf).__name__}")
    # Which size each child must have: D on the left, M on the right.
    for node in order:
        for side, child, sym in (("left", node[0], "D"), ("right", node[1], "M")):
            if _is_index(child):
                leaf = leaves[int(child)]
                if leaf.shape != (size[sym],):
                    raise ValueError(
                        f"leaves[{int(child)}] is a {side} child, so it must have shape ({sym},) = "
                        f"({size[sym]},) for W of shape (D, D + M) = {W.shape}; got shape {leaf.shape}")
                s.array(f"leaves[{int(child)}]", leaf, (sym,))
            elif sym == "M" and D != M:
                raise ValueError(
                    f"tree: the subtree {_short(child)} is a right child, so its state (size D = {D}) "
                    f"must have size M = {M}: W of shape (D, D + M) = {W.shape} allows subtrees on the "
                    "right only when M = D")
    # --8<-- [start:forward] tree_forward
    Wl, Wr = W[:, :D], W[:, D:]         # (Tr3): the columns that read the left and the right child
    states: dict[tuple, np.ndarray] = {}
    h_last: dict[int, np.ndarray] = {}  # id(subtree) -> state: avoids hashing deep keys twice
    for node in order:                  # post-order: children first
        left, right = (leaves[int(c)] if _is_index(c) else h_last[id(c)] for c in node)
        h = np.tanh(Wl @ left + Wr @ right + b)   # (Tr1), with W [a; c] = Wl a + Wr c by (Tr3)
        h_last[id(node)] = h
        states[node] = h
    # --8<-- [end:forward]
    return states


def _short(tree: object, limit: int = 40) -> str:
    text = repr(tree) if not isinstance(tree, tuple) or len(repr(tree)) <= limit else repr(tree)[:limit] + "…"
    return text


def chain(T: int) -> tuple:
    """The left-branching chain over leaves ``0 … T``: ``(((0, 1), 2), …, T)``.

    Its internal node ``t`` (``t = 1 … T``) has the chain up to ``t - 1`` on the left and
    leaf ``t`` on the right; with [chain_leaves][solutions.recursive.chain_leaves] leaf 0 is
    ``h_0`` and leaf ``t`` is ``x_t``.

    Raises
    ------
    ValueError
        ``T`` is not an integer >= 1.
    """
    check_int("T", T)
    # --8<-- [start:chain] chain
    tree: Tree = 0                      # leaf 0 is h_0
    for t in range(1, int(T) + 1):
        tree = (tree, t)                # node t = (node t-1, x_t), (Tr2)
    # --8<-- [end:chain]
    return tree  # type: ignore[return-value]


def chain_leaves(h0: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
    """The leaves of [chain(T)][solutions.recursive.chain]: ``[h0, x[0], …, x[T-1]]``.

    Parameters
    ----------
    h0 : ndarray of shape (D,)
        The initial state: the leftmost leaf.
    x : ndarray of shape (T, M)
        The inputs ``x_1 … x_T``, one per row.

    Raises
    ------
    ValueError
        Wrong rank, mixed dtypes, NaN or infinity.
    """
    s = Shapes()
    s.array("h0", h0, ("D",))
    s.array("x", x, ("T", "M"))
    return [h0, *x]


def chain_params(params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The recursive network's ``(W, b)`` that runs a simple RNN on the chain.

    ``W = [U | W_in] = [W_hh | W_ih]`` of shape ``(D, D + M)`` and ``b = b_ih + b_hh``:
    the inverse of the split ``U = W[:, :D]``, ``W_in = W[:, D:]``.

    Parameters
    ----------
    params : dict
        ``W_ih`` (D, M), ``W_hh`` (D, D), ``b_ih`` (D,), ``b_hh`` (D,), as for
        ``solutions.sequence.rnn_forward`` (whose docstring calls D and M ``H`` and ``I``).
    """
    p = Shapes().params("params", params)
    return np.concatenate([p["W_hh"], p["W_ih"]], axis=1), p["b_ih"] + p["b_hh"]
