"""The recursive network on a left-branching chain equals the simple RNN: tree_forward vs rnn_forward."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from solutions.publish.plotting import Style, edge_points, figure
from solutions.recursive import chain, chain_leaves, chain_params, tree_forward
from solutions.publish.report import claim, table
from solutions.sequence import rnn_forward

D, M, B = 4, 3, 3           # state size, input size, sequences per T
LENGTHS = (1, 2, 3, 10, 50, 200)
BOOK_LENGTHS = (2, 3, 10, 50)   # the book's chain needs two leaves at least
TOL = 1e-12


def _case(T: int):
    rng = np.random.default_rng(T)
    x, h0 = rng.standard_normal((T, B, M)), rng.standard_normal((B, D))
    params = {"W_ih": 0.5 * rng.standard_normal((D, M)), "W_hh": 0.5 * rng.standard_normal((D, D)),
              "b_ih": rng.standard_normal(D), "b_hh": rng.standard_normal(D)}
    return x, h0, params


# --8<-- [start:check] chain_error
def chain_error(T: int) -> tuple[int, float]:
    """Internal nodes of chain(T), and max |state of node t − h_t of rnn_forward| over t and the batch."""
    x, h0, params = _case(T)
    h, _ = rnn_forward(x, h0, params)           # (T, B, D): the simple RNN, (6.5)
    W, b = chain_params(params)                 # W = [U | W_in] = [W_hh | W_ih], b = b_ih + b_hh
    err, nodes = 0.0, 0
    for n in range(B):                          # tree_forward takes one sequence at a time
        states = tree_forward(chain(T), chain_leaves(h0[n], x[:, n]), W, b)
        nodes = len(states)
        h_tree = np.stack(list(states.values()))   # post-order on the chain: h_1, ..., h_T
        err = max(err, float(np.abs(h_tree - h[:, n]).max()))
    return nodes, err
# --8<-- [end:check]


# --8<-- [start:book] book_chain_error
def book_chain_error(T: int) -> tuple[int, float]:
    """The book's chain: leaves x_1 … x_T, no h_0, so x_1 is the leftmost leaf (needs M = D).

    It is chain(T - 1) with leaf 0 := x_1: node t (t = 2 … T) holds the RNN's state after
    x_2 … x_t, started from h_0 := x_1. Returns its internal nodes and the largest difference.
    """
    rng = np.random.default_rng(1000 + T)
    x = rng.standard_normal((T, B, D))                      # M = D: x_1 stands where a state goes
    params = {"W_ih": 0.5 * rng.standard_normal((D, D)), "W_hh": 0.5 * rng.standard_normal((D, D)),
              "b_ih": rng.standard_normal(D), "b_hh": rng.standard_normal(D)}
    h, _ = rnn_forward(x[1:], x[0], params)                 # (T-1, B, D): the RNN on x_2 … x_T, h_0 = x_1
    W, b = chain_params(params)
    err, nodes = 0.0, 0
    for n in range(B):
        states = tree_forward(chain(T - 1), list(x[:, n]), W, b)   # leaves x_1, x_2, …, x_T
        nodes = len(states)
        err = max(err, float(np.abs(np.stack(list(states.values())) - h[:, n]).max()))
    return nodes, err
# --8<-- [end:book]


def _figure(s: Style, T: int = 4):
    fig, ax = figure(height=4.3)
    ax.set_axis_off()
    ax.set_aspect("equal")
    blue, grey, ink, r = s.c("blue"), s.c("grey"), s.c("ink"), 0.36
    pos = {("h", 0): (0.0, 0.0)}
    for t in range(1, T + 1):
        pos[("h", t)] = (1.25 * t, 1.0 * t)        # node t: up and to the right of node t-1
        pos[("x", t)] = (1.25 * t + 1.0, 1.0 * (t - 1))
    nodes = {}
    for (kind, t), (cx, cy) in pos.items():
        leaf = kind == "x" or t == 0
        nodes[kind, t] = ax.add_patch(Circle((cx, cy), r, facecolor=s.c("paper"),
                                             edgecolor=grey if kind == "x" else blue,
                                             linewidth=2.0, linestyle="--" if leaf else "-", zorder=3))
        ax.text(cx, cy, f"${kind}_{t}$", ha="center", va="center", fontsize=14, color=ink, zorder=4)
    for t in range(1, T + 1):
        for child, color, label, dx in ((("h", t - 1), blue, "$U$", -0.42), (("x", t), grey, "$W_{in}$", 0.62)):
            a, b = nodes[child], nodes["h", t]
            ax.add_patch(FancyArrowPatch(*edge_points(a, b), arrowstyle="-|>",
                                         mutation_scale=16, color=color, linewidth=1.8, zorder=2))
            mx, my = (a.center[0] + b.center[0]) / 2, (a.center[1] + b.center[1]) / 2
            if label == "$U$":                     # half a unit along the arrow, clear of h_{T-1}
                ux, uy = b.center[0] - a.center[0], b.center[1] - a.center[1]
                mx, my = mx + 0.5 * ux / np.hypot(ux, uy), my + 0.5 * uy / np.hypot(ux, uy)
            if t == T:
                ax.text(mx + dx, my, label, ha="center", va="center", fontsize=14, color=color)
    ax.text(-0.45, T + 0.3, s.t("every internal node:", "每个内部节点："), ha="left", va="top", fontsize=12, color=ink)
    ax.text(-0.45, T - 0.35, "$h = \\tanh(W\\,[h_{left};\\,h_{right}] + b)$\n$W = [\\,U \\mid W_{in}\\,]$",
            ha="left", va="top", fontsize=13, color=ink, linespacing=1.6)
    ax.text(-0.45, T - 1.75, s.t("dashed: leaves", "虚线：叶子"), ha="left", va="top", fontsize=12, color=ink)
    ax.set_xlim(-0.6, 1.25 * T + 1.6)
    ax.set_ylim(-0.6, T + 0.55)
    return fig


def main() -> dict:
    print("The book's recursive network (section 递归神经网络), h = tanh(W [h_left; h_right] + b), on the")
    print("left-branching chain (((h_0, x_1), x_2), …, x_T): node t = (node t-1, x_t).")
    print("W = [U | W_in] = [W_hh | W_ih] of shape (D, D + M), b = b_ih + b_hh;")
    print(f"D = {D}, M = {M}, float64, {B} random sequences per T, weights drawn per T:")
    print("U, W_in ~ 0.5·N(0,1), b_ih, b_hh ~ N(0,1), x_t, h_0 ~ N(0,1).\n")
    print("The chain for T = 3 (solutions.recursive.chain(3)):")
    print(f"  {chain(3)!r}  =  (((h_0, x_1), x_2), x_3)\n")
    rows = []
    for T in LENGTHS:
        nodes, err = chain_error(T)
        assert nodes == T
        rows.append((str(T), str(nodes), claim(err, TOL, what=f"chain vs RNN, T = {T}")))
    print(table(["T", "internal nodes", "max abs(node t − h_t)"], rows))
    print("\nnode t − h_t: tree_forward's state of internal node t minus")
    print("solutions.sequence.rnn_forward's h_t, over t = 1 … T and every sequence.\n")
    print("The book's chain has no h_0: its leaves are x_1 … x_T, x_1 the leftmost,")
    print(f"(((x_1, x_2), x_3), …, x_T). It needs M = D (here M = D = {D}): it is chain(T - 1)")
    print("with leaf 0 := x_1, i.e. the RNN on x_2 … x_T started from h_0 := x_1.\n")
    rows = []
    for T in BOOK_LENGTHS:
        nodes, err = book_chain_error(T)
        assert nodes == T - 1
        rows.append((str(T), str(nodes), claim(err, TOL, what=f"book's chain vs RNN from x_1, T = {T}")))
    print(table(["T", "internal nodes", "max abs(node − RNN state)"], rows))
    return {"recursive-chain.svg": _figure}
