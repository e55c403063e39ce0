"""The cyclic graph of a recurrent architecture and its three depth measures, computed exactly.

Zhang et al. (2016), "Architectural complexity measures of recurrent neural networks"
(NIPS 2016), describe an RNN by a finite directed graph whose edges carry a *time delay*
(0 for a connection inside one time step, ``d ≥ 1`` for a connection from step ``t − d`` to
step ``t``); unrolling it over time gives the familiar computation graph. On the unrolled
graph this module takes three numbers for long sequences, as the exercise-6-6 page defines them
(upper limits, ``lim sup``: the limit itself wherever it exists, as for every structure on that
page; on some legal graphs it does not, see ``measures``):

* **recurrent depth** ``d_r``: the longest path from (any node at) step ``i`` to step
  ``i + n``, divided by ``n``, its ``lim sup`` as ``n → ∞`` — how many nonlinear edges the state
  passes per time step on its longest route;
* **feedforward depth** ``d_f``: the supremum over ``n`` of (the longest path from an input at
  step ``i`` to an output at step ``i + n``) ``− n·d_r`` — the input-to-output depth left once
  the part that grows with time is taken away;
* **recurrent skip coefficient** ``s``: ``n`` divided by the *shortest* path from step ``i``
  to step ``i + n``, its ``lim sup`` as ``n → ∞`` over the ``n`` for which such a path exists —
  how many time steps information can cross per edge on its fastest route.

Unrolled paths that are long compared with the graph go round cycles, so these upper limits are
cycle ratios (proved on the page, section "The three measures are cycle ratios"):

    d_r = max over cycles C of  len(C) / delay(C)
    s   = max over cycles C of  delay(C) / len(C)
    d_f = max over input→output walks P of  Σ_{e∈P} (1 − d_r · delay(e))

[max_cycle_ratio][solutions.rnn_graph.max_cycle_ratio] finds the first two exactly, in
rational arithmetic (``fractions.Fraction``), by a parametric search: a cycle with
ratio above ``λ`` exists exactly when the edge weights ``a_e − λ b_e`` admit a positive cycle,
which Bellman–Ford detects; each cycle found raises ``λ`` to its own ratio, until none is
left. ``d_f`` is then one longest-path computation with the weights ``1 − d_r·delay``, which
have no positive cycle. Nothing is unrolled: [unrolled_paths][solutions.rnn_graph.unrolled_paths]
does the finite unrolling separately, and the tests check that these values bound its ratios
for every ``n`` and are reached along the multiples of the best cycle's delay.

The graphs of the structures on the exercise-6-6 page are built by
[architecture][solutions.rnn_graph.architecture]. A graph here repeats the same connections at
every step, and every delay is ≥ 0 (information flows forward in time). A bidirectional RNN has a delay of
−1 (``BIDIRECTIONAL``): [unroll][solutions.rnn_graph.unroll] computes the definitions on its
unrolled graph directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import NamedTuple

from solutions.validate import check_int

#: An edge: (source node, destination node, delay in steps).
Edge = tuple[str, str, int]


class RnnGraph(NamedTuple):
    """A recurrent architecture as a cyclic graph with time delays (after Zhang et al. 2016; see the module docstring).

    Build it with [rnn_graph][solutions.rnn_graph.rnn_graph], which checks it.
    """

    inputs: tuple[str, ...]
    """Input nodes (the ``x_t``): no edge enters them."""
    hidden: tuple[str, ...]
    """Hidden nodes (states and intermediate layers)."""
    outputs: tuple[str, ...]
    """Output nodes (the ``y_t``): no edge leaves them."""
    edges: tuple[Edge, ...]
    """``(u, v, d)``: node ``v`` at step ``t`` reads node ``u`` at step ``t − d``, ``d ≥ 0``."""

    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node: inputs, hidden, outputs."""
        return self.inputs + self.hidden + self.outputs


class Measures(NamedTuple):
    """The three measures of a graph, exact rationals."""

    recurrent_depth: Fraction
    """``d_r``; 0 for a graph without cycles."""
    feedforward_depth: Fraction | None
    """``d_f``; ``None`` when no output is reachable from an input."""
    skip_coefficient: Fraction | None
    """``s``; ``None`` for a graph without cycles (no path crosses more than a bounded time)."""


def rnn_graph(
    inputs: Iterable[str], hidden: Iterable[str], outputs: Iterable[str], edges: Iterable[Edge]
) -> RnnGraph:
    """A checked [RnnGraph][solutions.rnn_graph.RnnGraph].

    Parameters
    ----------
    inputs, hidden, outputs : iterables of str
        Node names, all distinct.
    edges : iterable of (str, str, int)
        ``(u, v, d)``: ``v`` at step ``t`` reads ``u`` at step ``t − d``. Parallel edges are
        allowed (a highway layer's carry and transform paths join the same two nodes).

    Returns
    -------
    RnnGraph

    Raises
    ------
    ValueError
        A repeated or non-string name, an edge that is not ``(u, v, d)`` with known nodes and an
        integer ``d ≥ 0``, an edge into an input or out of an output, or a cycle of delay 0
        (a node that would need its own value at the same step: not computable).
    """
    ins, hid, outs = tuple(inputs), tuple(hidden), tuple(outputs)
    names = ins + hid + outs
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise ValueError(f"inputs, hidden and outputs must be distinct strings; got {names!r}")
    checked = []
    for e in edges:
        if not (isinstance(e, tuple) and len(e) == 3):
            raise ValueError(f"edges must hold (source, destination, delay) triples; got {e!r}")
        u, v, d = e
        if u not in names or v not in names:
            raise ValueError(f"edge {e!r} names a node that is not in inputs, hidden or outputs")
        check_int(f"edge {e!r}: the delay (steps back in time)", d, 0)
        if v in ins:
            raise ValueError(f"edge {e!r} enters input node {v!r}; inputs have no incoming edges")
        if u in outs:
            raise ValueError(f"edge {e!r} leaves output node {u!r}; outputs have no outgoing edges")
        checked.append((u, v, d))
    g = RnnGraph(ins, hid, outs, tuple(checked))
    _step_order(g)                       # raises on a cycle of delay 0
    return g


def _step_order(g: RnnGraph) -> list[str]:
    """The nodes in an order in which one time step can be computed (the delay-0 edges' topological order)."""
    indeg = {v: 0 for v in g.nodes}
    for _, v, d in g.edges:
        if d == 0:
            indeg[v] += 1
    order = [v for v in g.nodes if indeg[v] == 0]
    for u in order:                      # order grows while we walk it (Kahn's algorithm)
        for a, v, d in g.edges:
            if a == u and d == 0:
                indeg[v] -= 1
                if indeg[v] == 0:
                    order.append(v)
    if len(order) != len(g.nodes):
        stuck = sorted(v for v in g.nodes if indeg[v] > 0)
        raise ValueError(f"edges: the delay-0 edges form a cycle through {stuck}; every cycle needs a delay >= 1")
    return order


def _positive_cycle(nodes: tuple[str, ...], edges: list[tuple[str, str, Fraction]]) -> list[int] | None:
    """Indices of the edges of a cycle of positive total weight, or ``None`` if there is none.

    Bellman–Ford for longest paths from a virtual source joined to every node by weight 0:
    with no positive cycle every distance settles within ``|V|`` passes; if a distance still
    rises in pass ``|V|``, walking ``|V|`` predecessor edges back from that node lands on a
    cycle of the predecessor graph, and such a cycle has positive weight.
    """
    dist = {v: Fraction(0) for v in nodes}
    pred: dict[str, int] = {}
    for _ in range(len(nodes)):
        last = None
        for i, (u, v, w) in enumerate(edges):
            if dist[u] + w > dist[v]:
                dist[v], pred[v], last = dist[u] + w, i, v
        if last is None:
            return None
    v = last
    for _ in range(len(nodes)):
        v = edges[pred[v]][0]
    cycle, u = [], v
    while True:
        i = pred[u]
        cycle.append(i)
        u = edges[i][0]
        if u == v:
            return cycle[::-1]


def max_cycle_ratio(g: RnnGraph, num: str, den: str) -> Fraction | None:
    """``max over cycles C of Σ_{e∈C} a_e / Σ_{e∈C} b_e``, exactly; ``None`` without cycles.

    ``a_e`` and ``b_e`` are an edge's ``"length"`` (1) or its ``"delay"``. Every cycle of a
    checked graph has delay ≥ 1 and length ≥ 1, so both ratios are finite and positive.

    A parametric search: for ``λ`` below the maximum, the weights ``a_e − λ b_e`` give
    some cycle a positive weight, i.e. a cycle of ratio ``> λ``; take its ratio as the new
    ``λ`` and repeat. Each round raises ``λ`` to the ratio of a simple cycle, of which there
    are finitely many, so the search ends — at the maximum, where no positive cycle is left.

    Parameters
    ----------
    g : RnnGraph
    num, den : {"length", "delay"}
        What the ratio counts: ``("length", "delay")`` gives ``d_r``, ``("delay", "length")``
        gives ``s``.

    Returns
    -------
    Fraction or None

    Raises
    ------
    ValueError
        ``num`` or ``den`` not ``"length"``/``"delay"``, or equal.
    """
    kinds = ("length", "delay")
    if num not in kinds or den not in kinds or num == den:
        raise ValueError(f"num and den must be 'length' and 'delay' in some order; got {num!r}, {den!r}")
    val = lambda kind, d: 1 if kind == "length" else d  # noqa: E731
    a = [val(num, d) for _, _, d in g.edges]
    b = [val(den, d) for _, _, d in g.edges]
    # --8<-- [start:ratio] max_cycle_ratio
    lam, best = Fraction(0), None
    while True:
        weighted = [(u, v, a[i] - lam * b[i]) for i, (u, v, _) in enumerate(g.edges)]
        cycle = _positive_cycle(g.nodes, weighted)      # a cycle with Σa/Σb > λ, if any
        if cycle is None:
            return best                                  # none left: λ is the maximum
        lam = best = Fraction(sum(a[i] for i in cycle), sum(b[i] for i in cycle))
    # --8<-- [end:ratio]


def recurrent_depth(g: RnnGraph) -> Fraction:
    """``d_r = max over cycles of len(C)/delay(C)``; 0 for a graph without cycles."""
    r = max_cycle_ratio(g, "length", "delay")
    return Fraction(0) if r is None else r


def skip_coefficient(g: RnnGraph) -> Fraction | None:
    """``s = max over cycles of delay(C)/len(C)`` (= 1 / the smallest ``len/delay``); ``None`` without cycles."""
    return max_cycle_ratio(g, "delay", "length")


def feedforward_depth(g: RnnGraph, d_r: Fraction | None = None) -> Fraction | None:
    """``d_f = max over input→output walks of Σ_e (1 − d_r·delay(e))``; ``None`` if no output is reachable.

    A walk of length ``ℓ`` and total delay ``n`` is an unrolled path from an input at step ``i``
    to an output at step ``i + n``, and contributes ``ℓ − n·d_r``; the supremum over ``n`` of the
    longest such path minus ``n·d_r`` is therefore a longest walk for the weights
    ``1 − d_r·delay``, which give no cycle a positive weight (``d_r`` is the largest
    ``len/delay``), so Bellman–Ford finds it in ``|V| − 1`` passes.

    Parameters
    ----------
    g : RnnGraph
    d_r : Fraction, optional
        The graph's recurrent depth, if already computed.
    """
    d_r = recurrent_depth(g) if d_r is None else d_r
    # --8<-- [start:feedforward] feedforward_depth
    w = [(u, v, 1 - d_r * d) for u, v, d in g.edges]   # an edge's length minus its share of n·d_r
    dist: dict[str, Fraction] = {v: Fraction(0) for v in g.inputs}
    for _ in range(len(g.nodes) - 1):
        for u, v, wt in w:
            if u in dist and (v not in dist or dist[u] + wt > dist[v]):
                dist[v] = dist[u] + wt
    reached = [dist[v] for v in g.outputs if v in dist]
    # --8<-- [end:feedforward]
    return max(reached) if reached else None


def measures(g: RnnGraph) -> Measures:
    """The three measures of ``g``: ``Measures(d_r, d_f, s)``.

    ``d_r`` and ``s`` are the upper limits ``lim sup ℓmax(n)/n`` and ``lim sup n/ℓmin(n)`` (over
    the ``n`` with a path) of the unrolling, not always its limits: with two modules ``x → a1 →
    a2 → a3``, ``a3 → a1`` (delay 2) and ``x → b``, ``b → b`` (delay 1), ``d_r = 3/2`` while
    ``ℓmax(n)/n`` alternates between about 3/2 (even ``n``) and about 1 (odd ``n``); a single loop
    of delay 2 has no path at all for odd ``n``. For every structure of the exercise-6-6 page
    (``architecture``) the limits exist and equal these values.
    """
    d_r = recurrent_depth(g)
    return Measures(d_r, feedforward_depth(g, d_r), skip_coefficient(g))


class Unrolled(NamedTuple):
    """Path lengths in the graph unrolled over ``n = 0 … N`` steps (``None`` where no path exists)."""

    longest: list[int | None]
    """``ℓmax(n)``: the longest path from any node at step 0 to any node at step ``n``."""
    shortest: list[int | None]
    """``ℓmin(n)``: the shortest such path."""
    io_longest: list[int | None]
    """``ℓ*(n)``: the longest path from an input at step 0 to an output at step ``n``."""


def unrolled_paths(g: RnnGraph, N: int) -> Unrolled:
    """Path lengths in the finite unrolling over steps ``0 … N`` — the definitions, computed literally.

    [unroll][solutions.rnn_graph.unroll] on the graph's nodes and edges. The measures are the
    limits of ``ℓmax(n)/n``, ``n/ℓmin(n)`` and ``sup_n ℓ*(n) − n·d_r``; the tests compare these
    finite values with the exact ones.

    Parameters
    ----------
    g : RnnGraph
    N : int
        The last step, ``N ≥ 0``.

    Returns
    -------
    Unrolled
    """
    return unroll(g.inputs, g.hidden, g.outputs, g.edges, N)


def unroll(
    inputs: Iterable[str], hidden: Iterable[str], outputs: Iterable[str], edges: Iterable[Edge], N: int
) -> Unrolled:
    """``ℓmax(n)``, ``ℓmin(n)``, ``ℓ*(n)`` for ``n = 0 … N`` in the graph unrolled over the steps ``0 … N``.

    Unlike [rnn_graph][solutions.rnn_graph.rnn_graph] this takes any integer delays, so a
    bidirectional RNN's backward chain (``h_{t+1} → h_t``, delay −1) can be unrolled
    (``BIDIRECTIONAL``); the cycle-ratio formulas of [measures][solutions.rnn_graph.measures]
    need delays ≥ 0, the definitions on the unrolled graph do not. The unrolled graph is built
    node by node — ``(v, t)`` for every node and step, an edge ``(u, t − d) → (v, t)`` for every
    edge ``(u, v, d)`` whose source step lies in ``0 … N`` — and, being a DAG for any computable
    architecture, walked in topological order.

    Raises
    ------
    ValueError
        An unknown node in an edge, a delay that is not an integer, ``N`` < 0, or an unrolled
        graph with a cycle (a node that needs its own value: not computable).
    """
    ins, hid, outs = tuple(inputs), tuple(hidden), tuple(outputs)
    names = ins + hid + outs
    N = check_int("N", N, 0)
    es = []
    for e in edges:
        if not (isinstance(e, tuple) and len(e) == 3 and e[0] in names and e[1] in names):
            raise ValueError(f"edges must hold (source, destination, delay) triples of known nodes; got {e!r}")
        if isinstance(e[2], bool) or not isinstance(e[2], int):
            raise ValueError(f"edge {e!r}: the delay must be an integer (steps back in time; < 0 runs backward)")
        es.append(e)
    succ: dict[tuple[str, int], list[tuple[str, int]]] = {(v, t): [] for v in names for t in range(N + 1)}
    indeg = dict.fromkeys(succ, 0)
    for u, v, d in es:
        for t in range(max(0, d), min(N, N + d) + 1):       # source step t − d within 0 … N
            succ[u, t - d].append((v, t))
            indeg[v, t] += 1
    order = [a for a in succ if indeg[a] == 0]
    for a in order:                                           # Kahn's algorithm: order grows as we walk it
        for b in succ[a]:
            indeg[b] -= 1
            if indeg[b] == 0:
                order.append(b)
    if len(order) != len(succ):
        raise ValueError("the unrolled graph has a cycle: some node needs its own value (not computable)")

    def best(start: set[tuple[str, int]], better) -> dict[tuple[str, int], int]:
        dist = {a: 0 for a in start}                          # path length from a start node
        for a in order:
            if a in dist:
                for b in succ[a]:
                    if b not in dist or better(dist[a] + 1, dist[b]) != dist[b]:
                        dist[b] = dist[a] + 1
        return dist

    def at(dist, ends, better) -> list[int | None]:
        out = []
        for t in range(N + 1):
            vals = [dist[v, t] for v in ends if (v, t) in dist]
            out.append(better(vals) if vals else None)
        return out

    step0 = {(v, 0) for v in names}
    hi, lo, io = best(step0, max), best(step0, min), best({(v, 0) for v in ins}, max)
    return Unrolled(at(hi, names, max), at(lo, names, min), at(io, outs, max))


#: The bidirectional RNN (NNDL §6.7.2) as ``unroll``'s arguments: a forward chain ``f`` reading
#: ``f_{t−1}``, a backward chain ``b`` reading ``b_{t+1}`` (delay −1), both reading ``x_t``
#: and read by ``y_t``.
BIDIRECTIONAL: tuple = (("x",), ("f", "b"), ("y",),
                        (("x", "f", 0), ("f", "f", 1), ("x", "b", 0), ("b", "b", -1), ("f", "y", 0), ("b", "y", 0)))


def architecture(name: str, k: int = 2) -> RnnGraph:
    """The graph of a structure on the exercise-6-6 page.

    Node names: ``x`` input, ``y`` output, ``h`` (or ``h1, h2, …``) states, ``g1, …`` the
    layers inside a deep transition, ``r1, …`` an RHN's highway layers, ``e1, …`` input layers,
    ``o1, …`` output layers.

    Parameters
    ----------
    name : str
        ``"simple"`` (NNDL (6.5)); ``"stacked"`` (``k`` layers, §6.7.1);
        ``"deep-transition"`` (DT-RNN, ``k`` nonlinear layers per step);
        ``"deep-transition-shortcut"`` (DT(S)-RNN: plus an edge ``h_{t−1} → h_t``);
        ``"deep-output"`` (``k`` layers between ``h_t`` and ``y_t``);
        ``"deep-input"`` (``k`` layers between ``x_t`` and ``h_t``);
        ``"deep-transition-output"`` (DOT-RNN: ``k``-layer transition and one output layer ``o1``);
        ``"skip"`` (simple RNN plus an edge ``h_{t−k} → h_t``);
        ``"rhn"`` (recurrent highway network of recurrence depth ``k``: each layer
        ``r_{l−1} → r_l`` is a transform edge and a carry edge).
    k : int
        The size parameter named above, ``≥ 1`` (``≥ 2`` for ``"skip"`` and ``"feedback"``).

    Returns
    -------
    RnnGraph

    Raises
    ------
    ValueError
        An unknown ``name``, or ``k`` out of range.
    """
    k = check_int(f"k of {name!r}", k, 2 if name in ("skip", "feedback") else 1)
    chain = lambda names: [(a, b, 0) for a, b in zip(names, names[1:])]  # noqa: E731
    if name == "simple":
        return rnn_graph(["x"], ["h"], ["y"], [("x", "h", 0), ("h", "h", 1), ("h", "y", 0)])
    if name == "stacked":
        hs = [f"h{l}" for l in range(1, k + 1)]
        return rnn_graph(["x"], hs, ["y"], chain(["x", *hs, "y"]) + [(h, h, 1) for h in hs])
    if name in ("deep-transition", "deep-transition-shortcut", "deep-transition-output"):
        zs = [f"g{l}" for l in range(1, k)]              # k − 1 layers g¹ … gᵏ⁻¹, then h: k nonlinear layers
        edges = chain(["x", *zs, "h"]) + [("h", zs[0] if zs else "h", 1)]
        out = ["h", "o1", "y"] if name == "deep-transition-output" else ["h", "y"]
        if name == "deep-transition-shortcut":
            if k < 2:
                raise ValueError("k must be >= 2 for 'deep-transition-shortcut' (with k = 1 the shortcut is U itself)")
            edges.append(("h", "h", 1))
        return rnn_graph(["x"], [*zs, "h", *out[1:-1]], ["y"], edges + chain(out))
    if name == "feedback":
        hs = [f"h{l}" for l in range(1, k + 1)]
        return rnn_graph(["x"], hs, ["y"], chain(["x", *hs, "y"]) + [(h, h, 1) for h in hs] + [(hs[-1], "h1", 1)])
    if name == "deep-input":
        es = [f"e{l}" for l in range(1, k + 1)]
        return rnn_graph(["x"], [*es, "h"], ["y"], chain(["x", *es, "h", "y"]) + [("h", "h", 1)])
    if name == "deep-output":
        os_ = [f"o{l}" for l in range(1, k + 1)]
        return rnn_graph(["x"], ["h", *os_], ["y"], chain(["x", "h", *os_, "y"]) + [("h", "h", 1)])
    if name == "skip":
        return rnn_graph(["x"], ["h"], ["y"], [("x", "h", 0), ("h", "h", 1), ("h", "h", k), ("h", "y", 0)])
    if name == "rhn":
        ss = [f"r{l}" for l in range(1, k + 1)]          # r_0 of step t is r_k of step t − 1
        layers = [(a, b, 0) for a, b in zip(ss, ss[1:])]
        edges = [("x", "r1", 0), (ss[-1], "r1", 1), (ss[-1], "r1", 1)]   # layer 1: transform + carry
        edges += layers + layers                          # layers 2 … k: transform + carry
        return rnn_graph(["x"], ss, ["y"], edges + [(ss[-1], "y", 0)])
    raise ValueError(f"name must be one of {ARCHITECTURES}; got {name!r}")


#: The names [architecture][solutions.rnn_graph.architecture] knows.
ARCHITECTURES = ("simple", "stacked", "feedback", "deep-transition", "deep-transition-shortcut", "deep-output",
                 "deep-input", "deep-transition-output", "skip", "rhn")
