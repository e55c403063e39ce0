"""Recurrent depth, feedforward depth and recurrent skip coefficient of every structure, computed from its graph."""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.path import Path

from solutions.publish.plotting import Style, edge_points, figure
from solutions.publish.report import Result, table
from solutions.rnn_graph import BIDIRECTIONAL, RnnGraph, architecture, measures, rnn_graph, unroll, unrolled_paths

#: (row label, architecture name, k, figure file or None)
ROWS = [
    ("simple RNN (6.5)", "simple", 1, "deep-rnn-simple.svg"),
    ("stacked, L = 2 (§6.7.1)", "stacked", 2, "deep-rnn-stacked.svg"),
    ("stacked, L = 3", "stacked", 3, None),
    ("stacked + feedback h2 → h1, L = 2", "feedback", 2, "deep-rnn-feedback.svg"),
    ("stacked + feedback h3 → h1, L = 3", "feedback", 3, None),
    ("deep input-to-hidden, 2 layers", "deep-input", 2, "deep-rnn-deep-input.svg"),
    ("deep hidden-to-output, 2 layers", "deep-output", 2, "deep-rnn-deep-output.svg"),
    ("DT-RNN, m = 2", "deep-transition", 2, "deep-rnn-dt.svg"),
    ("DT-RNN, m = 3", "deep-transition", 3, None),
    ("DT(S)-RNN, m = 2", "deep-transition-shortcut", 2, "deep-rnn-dts.svg"),
    ("DT(S)-RNN, m = 3", "deep-transition-shortcut", 3, None),
    ("DOT-RNN, m = 2", "deep-transition-output", 2, "deep-rnn-dot.svg"),
    ("skip, Δ = 2", "skip", 2, None),
    ("skip, Δ = 4", "skip", 4, "deep-rnn-skip.svg"),
    ("RHN, m = 3", "rhn", 3, "deep-rnn-rhn.svg"),
]

LABEL = {"x": "x", "y": "y", "h": "h"}


def _text(f: Fraction | None) -> str:
    return "—" if f is None else str(f)


def _tex(node: str) -> str:
    return f"${node[0]}_{{{node[1:]}}}$" if len(node) > 1 else f"${node}$"


def _levels(g: RnnGraph) -> dict[str, int]:
    """Row of each node: the longest chain of delay-0 edges that leads to it."""
    level = {v: 0 for v in g.nodes}
    for _ in g.nodes:
        for u, v, d in g.edges:
            if d == 0:
                level[v] = max(level[v], level[u] + 1)
    return level


def _draw(s: Style, g: RnnGraph):
    """The cyclic graph: nodes bottom (x) to top (y), delay-0 edges straight up, delayed edges as
    arcs on the right labelled with their delay; the measures are computed from exactly this graph."""
    level = _levels(g)
    rows = max(level.values()) + 1
    fig, ax = figure(width=2.6, height=0.95 * rows + 0.4)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ink, blue, red, grey, r = s.c("ink"), s.c("blue"), s.c("red"), s.c("grey"), 0.3
    by_row: dict[int, list[str]] = {}
    for v in g.nodes:
        by_row.setdefault(level[v], []).append(v)
    pos = {v: (1.2 * (i - (len(vs) - 1) / 2), 1.0 * lv) for lv, vs in by_row.items() for i, v in enumerate(vs)}
    circles = {}
    for v, (cx, cy) in pos.items():
        edge = grey if v in g.inputs + g.outputs else blue
        circles[v] = ax.add_patch(Circle((cx, cy), r, facecolor=s.c("paper"), edgecolor=edge, linewidth=1.8, zorder=3))
        ax.text(cx, cy, _tex(v), ha="center", va="center", fontsize=13, color=ink, zorder=4)
    seen: dict[tuple[str, str, int], int] = {}
    loops: dict[str, int] = {}
    for u, v, d in g.edges:
        n = seen.get((u, v, d), 0)
        seen[u, v, d] = n + 1
        (ux, uy), (vx, vy) = pos[u], pos[v]
        if d == 0:
            rad = 0.0 if n == 0 else 0.45 * (1 if n % 2 else -1)
            ax.add_patch(FancyArrowPatch(*edge_points(circles[u], circles[v], rad),
                                         arrowstyle="-|>", mutation_scale=13, color=ink, linewidth=1.4,
                                         connectionstyle=f"arc3,rad={rad}", zorder=2))
            continue
        i = loops.get(u, 0)
        loops[u] = i + 1
        if u == v:                      # a self-loop on the right, larger for each further one
            L, th = 0.5 + 0.45 * i, math.radians(35)
            a, b = (ux + r * math.cos(th), uy + r * math.sin(th)), (ux + r * math.cos(th), uy - r * math.sin(th))
            loop = Path([a, (ux + r + L, uy + 0.3 + 0.1 * i), (ux + r + L, uy - 0.3 - 0.1 * i), b],
                        [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
            ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=12, color=red,
                                         linewidth=1.4, zorder=2))
            tip = 0.25 * a[0] + 0.75 * (ux + r + L)        # the curve's rightmost point
            ax.text(tip + 0.13, uy, str(d), ha="center", va="center", fontsize=11, color=red,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": s.c("paper"), "edgecolor": "none"}, zorder=5)
        else:                           # back down to a lower node, bulging right
            bend = 0.5 + 0.25 * i
            ax.add_patch(FancyArrowPatch((ux + r * 0.9, uy - r * 0.4), (vx + r * 0.9, vy + r * 0.4),
                                         arrowstyle="-|>", mutation_scale=12, color=red, linewidth=1.4,
                                         connectionstyle=f"arc3,rad=-{bend}", zorder=2))
            mx = max(ux, vx) + r * 0.9 + 0.5 * abs(uy - vy) * bend + 0.05
            ax.text(mx, (uy + vy) / 2, str(d), ha="center", va="center", fontsize=11, color=red,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": s.c("paper"), "edgecolor": "none"}, zorder=5)
    xs = [p[0] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 1.6)
    ax.set_ylim(-0.5, rows - 0.5)
    return fig


def main() -> Result:
    print("Zhang et al. (2016)'s three measures, computed exactly from each structure's cyclic graph")
    print("(solutions.rnn_graph.measures: cycle ratios in exact rational arithmetic, no unrolling).")
    print("d_r: recurrent depth, d_f: feedforward depth, s: recurrent skip coefficient.\n")
    rows, figures, values = [], {}, {}
    for label, name, k, fig_name in ROWS:
        g = architecture(name, k)
        m = measures(g)
        rows.append((label, str(len(g.edges)), _text(m.recurrent_depth), _text(m.feedforward_depth),
                     _text(m.skip_coefficient)))
        key = f"{name}-{k}"
        values[f"{key}-dr"], values[f"{key}-df"], values[f"{key}-s"] = (
            _text(m.recurrent_depth), _text(m.feedforward_depth), _text(m.skip_coefficient))
        if fig_name:
            figures[fig_name] = functools.partial(_draw, g=g)
    print(table(["structure", "edges", "d_r", "d_f", "s"], rows))

    print("\nBidirectional RNN (§6.7.2): its backward chain b reads b_{t+1}, a delay of −1. The cycle-ratio")
    print("formulas need delays ≥ 0, and rnn_graph refuses the edge:")
    try:
        rnn_graph(*BIDIRECTIONAL)
    except ValueError as e:
        print(f"  rnn_graph(...) -> ValueError: {e}")
    n_max = 60
    u = unroll(*BIDIRECTIONAL, n_max)
    print(f"The definitions apply to the unrolled graph directly (solutions.rnn_graph.unroll, steps 0 … {n_max}):")
    print(table(["n", "ℓmax(n)", "ℓmin(n)", "ℓ*(n)"], [(str(n), str(u.longest[n]), str(u.shortest[n]), str(u.io_longest[n]))
                                               for n in (0, 1, 2, 10, n_max)]))
    pattern = all(u.longest[n] == u.io_longest[n] == n + 2 and u.shortest[n] == n for n in range(1, n_max + 1))
    bi = {"dr": "1", "df": "2", "s": "1"} if pattern else {}
    if pattern:
        print(f"ℓmax(n) = ℓ*(n) = n + 2 and ℓmin(n) = n for every n from 1 to {n_max} (and, by the argument on the")
        print("page, for every n): d_r = 1, d_f = 2, s = 1 — the simple RNN's values.")
    ins, hid, outs, edges = BIDIRECTIONAL
    mirror = unroll(ins, hid, outs, [(a, b, -d) for a, b, d in edges], n_max)    # time reversed: step n → step 0
    if pattern and all(mirror.io_longest[n] == n + 2 for n in range(n_max + 1)):
        print("Those are paths forward in time (n ≥ 0). Backward in time, from step n to step 0 (the unrolling")
        print(f"with every delay negated): ℓ*(−n) = n + 2 for every n from 0 to {n_max}, so ℓ*(−n) − (−n)·d_r = 2n + 2")
        print("has no bound: d_f = 2 is the value under the convention n ≥ 0, not over every n ∈ ℤ.")
    values.update({f"bidirectional-{k}": v for k, v in bi.items()})
    print("\nThe measures are limits of the unrolled graph; the finite unrolling approaches them:")
    conv = []
    for label, name, k in (("DT-RNN, m = 2", "deep-transition", 2), ("DT(S)-RNN, m = 2", "deep-transition-shortcut", 2),
                           ("skip, Δ = 4", "skip", 4)):
        g = architecture(name, k)
        u = unrolled_paths(g, 400)
        for n in (4, 40, 400):
            conv.append((label, str(n), f"{u.longest[n]}/{n}", f"{n}/{u.shortest[n]}",
                         str(max(D - measures(g).recurrent_depth * i for i, D in enumerate(u.io_longest[: n + 1])
                                 if D is not None))))
    print(table(["structure", "n", "ℓmax(n)/n", "n/ℓmin(n)", "d_f(n)"], conv))
    print("\nℓmax(n), ℓmin(n): longest and shortest path from step 0 to step n (→ n·d_r and n/s);")
    print("d_f(n) = max over n' ≤ n of ℓ*(n') − n'·d_r, ℓ*(n') the longest path from an input at")
    print("step 0 to an output at step n' (→ d_f). solutions.rnn_graph.unrolled_paths.")
    return Result(figures=figures, values=values)
