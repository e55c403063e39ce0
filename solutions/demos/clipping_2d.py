"""Clipping a 2-D gradient by value (direction changes) and by norm (direction kept), drawn."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from solutions.clipping import clip_grad_norm, clip_grad_value
from solutions.publish.plotting import figure
from solutions.publish.report import fmt

BOUND = 1.0                                   # κ for by value, τ for by norm
GRADS = {"g": (3.0, 0.75), "g′": (-1.25, -2.5)}
GREY, RED, BLUE = "#555555", "#c0392b", "#1f5fa8"


def _angle(v) -> float:
    return math.degrees(math.atan2(v[1], v[0]))


def _vec(v) -> str:
    return "(" + ", ".join(fmt(a, "+.3f") for a in v) + ")"


def main() -> dict:
    fig, ax = figure(width=5.6, height=5.0)
    ax.set_aspect("equal")
    ax.set_xlim(-3.3, 3.3)
    ax.set_ylim(-3.0, 3.0)
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.add_patch(Rectangle((-BOUND, -BOUND), 2 * BOUND, 2 * BOUND, fill=False, edgecolor=RED,
                           linestyle="--", linewidth=1.3, label=f"by value: every entry in [−κ, κ], κ = {BOUND:g}"))
    ax.add_patch(Circle((0, 0), BOUND, fill=False, edgecolor=BLUE, linestyle="--", linewidth=1.3,
                        label=f"by norm: ‖g‖ ≤ τ, τ = {BOUND:g}"))

    print(f"Two 2-D gradients clipped with κ = τ = {BOUND:g} (solutions.clipping, the rules of")
    print("torch.nn.utils.clip_grad_value_ and clip_grad_norm_); direction = angle to the x-axis.\n")
    print(f"{'':4} {'':16} {'gradient':18} {'direction':>10}")
    for name, g in GRADS.items():
        by_value, by_norm = np.array(g), np.array(g)
        clip_grad_value(by_value, BOUND)
        clip_grad_norm(by_norm, BOUND)
        for what, v, color, shrink in (("as computed", g, GREY, 0), ("by value", by_value, RED, 0),
                                       ("by norm", by_norm, BLUE, 0)):
            print(f"{name:4} {what:16} {_vec(v):18} {fmt(_angle(v), '.1f'):>9}°")
            ax.add_patch(FancyArrowPatch((0, 0), tuple(v), arrowstyle="-|>", mutation_scale=14, color=color,
                                         linewidth=1.8 if what != "as computed" else 1.4, zorder=3 + shrink))
        ax.annotate(name, g, xytext=(6, 4) if g[1] > 0 else (10, -2), textcoords="offset points", fontsize=11, color=GREY)
        print()
    print("By norm, the clipped gradient keeps the direction of g (a positive multiple of it);")
    print("by value, the entries that reach κ are cut and the others are not, so it turns.")
    ax.plot([], [], color=GREY, label="gradient as computed")
    ax.plot([], [], color=RED, label="clipped by value")
    ax.plot([], [], color=BLUE, label="clipped by norm (same direction)")
    ax.legend(loc="upper left", fontsize=8.5, framealpha=0.9)
    ax.set_title("Clipping a 2-D gradient: by value vs by norm", fontsize=11)
    return {"clipping-2d.svg": fig}
