"""Clipping a 2-D gradient by value (direction changes) and by norm (direction kept), drawn."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from solutions.clipping import clip_grad_norm_, clip_grad_value_
from solutions.publish.plotting import Style, figure
from solutions.publish.report import fmt

BOUND = 1.0                                   # κ for by value, g_max for by norm
GRADS = {"g": (3.0, 0.75), "g′": (-1.25, -2.5)}


def _angle(v) -> float:
    return math.degrees(math.atan2(v[1], v[0]))


def _vec(v) -> str:
    return "(" + ", ".join(fmt(a, "+.3f") for a in v) + ")"


def main() -> dict:
    print(f"Two 2-D gradients clipped with κ = g_max = {BOUND:g} (solutions.clipping, the rules of")
    print("torch.nn.utils.clip_grad_value_ and clip_grad_norm_); direction = angle to the x-axis.\n")
    print(f"{'':4} {'':16} {'gradient':18} {'direction':>10}")
    arrows = {}
    for name, g in GRADS.items():
        by_value, by_norm = np.array(g), np.array(g)
        clip_grad_value_(by_value, BOUND)
        clip_grad_norm_(by_norm, BOUND)
        arrows[name] = (g, tuple(float(f"{a:.6f}") for a in by_value), tuple(float(f"{a:.6f}") for a in by_norm))
        for what, v in (("as computed", g), ("by value", by_value), ("by norm", by_norm)):
            print(f"{name:4} {what:16} {_vec(v):18} {fmt(_angle(v), '.1f'):>9}°")
        print()
    print("By norm, the clipped gradient keeps the direction of g (a positive multiple of it);")
    print("by value, the entries that reach κ are cut and the others are not, so it turns.")
    return {"clipping-2d.svg": partial(_draw, arrows)}


def _draw(arrows: dict, s: Style):
    grey, red, blue = s.c("grey"), s.c("red"), s.c("blue")
    fig, ax = figure(height=5.6)
    ax.set_aspect("equal")
    ax.set_xlim(-3.3, 3.3)
    ax.set_ylim(-3.0, 3.0)
    ax.axhline(0, color=grey, linewidth=0.8)
    ax.axvline(0, color=grey, linewidth=0.8)
    ax.add_patch(Rectangle((-BOUND, -BOUND), 2 * BOUND, 2 * BOUND, fill=False, edgecolor=red,
                           linestyle="--", linewidth=1.3))
    ax.add_patch(Circle((0, 0), BOUND, fill=False, edgecolor=blue, linestyle="--", linewidth=1.3))
    for name, (g, by_value, by_norm) in arrows.items():
        for v, color, width in ((g, grey, 1.4), (by_value, red, 1.8), (by_norm, blue, 1.8)):
            ax.add_patch(FancyArrowPatch((0, 0), v, arrowstyle="-|>", mutation_scale=14, color=color,
                                         linewidth=width, zorder=3))
        ax.annotate(name, g, xytext=(6, 4) if g[1] > 0 else (10, -2), textcoords="offset points", fontsize=12,
                    color=s.c("ink"))
    ax.plot([], [], color=grey, label=s.t("gradient as computed", "原始梯度"))
    ax.plot([], [], color=red, label=s.t(f"by value, κ = {BOUND:g} (dashed square)", f"按值截断，κ = {BOUND:g}（虚线正方形）"))
    ax.plot([], [], color=blue, label=s.t(f"by norm, g_max = {BOUND:g} (dashed circle)", f"按模截断，g_max = {BOUND:g}（虚线圆）"))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=10)
    return fig
