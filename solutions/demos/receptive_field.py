"""Exercise 6-1: which inputs x_k each output y_t depends on, in a TDNN, a dilated causal CNN and a simple RNN (autograd)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import torch
from matplotlib.patches import Rectangle

from solutions.experiments.receptive_field import (
    LARGE_ABOVE,
    LARGE_D,
    LARGE_GAIN,
    LARGE_T,
    CNN_DILATIONS,
    LAGS,
    TINY,
    WIDTH,
    CausalStack,
    D,
    M,
    SimpleRNN,
    T,
    large_u_gain,
    dependence,
    dependence_over_inputs,
    expected,
    input_gain,
    lag_gains,
    SCALE,
    tap_choices,
    offsets,
    rotation,
    span,
    stream,
)
from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import Result, count_below, fmt, table

TDNN_DELAYS = (1, 1)        # the book's TDNN: delays at every layer, two layers (dilation 1)
HOLES_W, HOLES_DILATIONS, HOLES_T = 2, (1, 4), 14   # d_2 = 4 > r_1 = 2: a field with holes
T_OTHER = 16                # a second length, to show that the same weights run on it
FLOOR = 1e-6                # every dependent gradient is at least this large
RELU_DRAWS = 10             # random weight draws of the CNN with ReLU in place of tanh
RELU_INPUTS = 20            # inputs per draw: the demo's one and others (ReLU's pattern depends on the input)
T_LONG, CUT = 40, 1e-8      # the RNN at a longer length, read with a tolerance abs(J) > CUT
ANGLE = 0.7                 # the rotation of the 2 x 2 examples
PRESENT_BELOW, SLOPE_BELOW = 10, 0.5   # the large random U's line: the present input's gain, the mean f' (bounds with margins)
PATH_W, PATH_DILATIONS, PATH_SEED = 2, (1, 2, 4, 8, 16), 3   # a doubling CNN whose field (32 steps) reaches far back
PATH_LAGS = (0, 1, 5, 10, 15, 20, 31)      # the lags s of ∂y_T/∂x_{T-s} printed for it and the RNN, T = T_LONG
PATH_TDNN_L = 31            # the book's TDNN (w = 2, d_l = 1) with the same reach: r_L = 1 + L = 32 needs 31 layers
FORGET_T, FORGET_DRAWS = 80, 3   # the grids' RNN with x_1 replaced: from which step on are the float64 outputs identical?


def forgetting(model, T: int = FORGET_T, draws: int = FORGET_DRAWS) -> list[int | None]:
    """For ``draws`` replacements of x_1 by 3·N(0, I) in the input ``dependence`` reads (seed 99, length T):
    the first step t from which y_t is bit-identical to the original output at every later step (None if never)."""
    x = torch.randn(T, M, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    y, first = model(x), []
    for seed in range(draws):
        x2 = x.clone()
        x2[0] = 3 * torch.randn(M, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        differs = np.flatnonzero((model(x2) != y).any(dim=1).numpy())
        first.append(int(differs.max()) + 2 if differs.max() < T - 1 else None)   # steps are 1-based
    return first


def relu_patterns(draws: int = RELU_DRAWS) -> tuple[int, int, int]:
    """The demo's CNN with ReLU in place of tanh, over ``draws`` weight draws: at how many draws the
    pattern at the demo's input equals S_L of (K4), at how many the union of the patterns over
    RELU_INPUTS inputs does, and at how many some input has a ■ outside S_L (none can)."""
    lags = expected(offsets(WIDTH, CNN_DILATIONS))
    at_one = over_inputs = outside = 0
    for i in range(draws):
        dep = dependence_over_inputs(CausalStack(WIDTH, CNN_DILATIONS, seed=1000 + 7 * i, f=torch.relu), RELU_INPUTS)
        at_one += int((dep[0] == lags).all())
        over_inputs += int((dep.any(axis=0) == lags).all())
        outside += int((dep & ~lags).any())
    return at_one, over_inputs, outside


def grid(dep: np.ndarray, rows: range | None = None) -> str:
    """Rows y_t, columns x_k; the last column counts the inputs y_t sees."""
    c = len(str(dep.shape[1])) + 1                            # column width: 2, or 3 from x_10 on
    head = "x_k:  " + "".join(f"{k:<{c}}" for k in range(1, dep.shape[1] + 1)) + "  seen"
    lines = [f"y_{t + 1:<4}" + "".join(("■" if d else "·").ljust(c) for d in dep[t]) + f"  {int(dep[t].sum()):>4}"
             for t in (rows if rows is not None else range(dep.shape[0]))]
    return "\n".join([head] + lines)


def _figure(patterns: list[tuple[tuple[str, str], np.ndarray]], s: Style):
    fig, axes = figure(1, 3, height=2.45, sharey=True)
    for ax, (title, dep) in zip(axes, patterns):
        ax.grid(False)
        for t in range(T):
            for k in range(T):
                ax.add_patch(Rectangle((k + 0.06, t + 0.06), 0.88, 0.88, linewidth=0,
                                       facecolor=s.c("blue") if dep[t, k] else s.c("faint")))
        ax.set_xlim(0, T)
        ax.set_ylim(T, 0)                     # y_1 on top
        ax.set_aspect("equal")
        ticks = [0.5, T - 0.5]
        ax.set_xticks(ticks, [f"$x_{{{int(v + 0.5)}}}$" for v in ticks], fontsize=MATH_PT)
        ax.set_yticks(ticks, [f"$y_{{{int(v + 0.5)}}}$" for v in ticks], fontsize=MATH_PT)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_title(s.t(*title), fontsize=10, loc="left")
    fig.supxlabel(s.t("blue: output y_t depends on input x_k", "蓝色：输出 y_t 依赖输入 x_k"), fontsize=11)
    return fig


def _count(model) -> int:
    return sum(p.numel() for p in model.params())


def main() -> Result:
    models = {"TDNN": (CausalStack(WIDTH, TDNN_DELAYS, seed=1), offsets(WIDTH, TDNN_DELAYS)),
              "CNN": (CausalStack(WIDTH, CNN_DILATIONS, seed=10), offsets(WIDTH, CNN_DILATIONS)),
              "RNN": (SimpleRNN(), None)}
    titles = {
        "TDNN": f"TDNN, {len(TDNN_DELAYS)} layers, w = {WIDTH}",
        "CNN": f"causal CNN, w = {WIDTH}, d = {', '.join(map(str, CNN_DILATIONS))}",
        "RNN": "simple RNN",
    }
    dils = ", ".join(map(str, CNN_DILATIONS))
    short = {  # the figure's panel titles, two short lines each (English, Chinese)
        "TDNN": (f"TDNN, L = {len(TDNN_DELAYS)}\nw = {WIDTH}", f"延时网络，L = {len(TDNN_DELAYS)}\nw = {WIDTH}"),
        "CNN": (f"causal CNN\nw = {WIDTH}, d = {dils}", f"因果卷积\nw = {WIDTH}, d = {dils}"),
        "RNN": ("simple RNN\n", "简单循环网络\n"),
    }
    print(f"Which inputs x_k does each output y_t depend on? T = {T}, M = {M} inputs,")
    print(f"D = {D} hidden units, float64; ■: ∂y_t/∂x_k ≠ 0 (by autograd), ·: exactly 0.")
    print(f"Weights (kernels and biases of the TDNN and the CNN; W, U, b_ih, b_hh of the RNN) i.i.d. N(0, {SCALE:g}²);")
    print("the input of the grids and of the path table: x_t i.i.d. N(0, I) (seed 99).")
    print("Last column: how many inputs y_t sees (its receptive field).\n")
    patterns, smallest = [], []
    x_other = torch.randn(T_OTHER, M, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    for name, (model, lags) in models.items():
        dep, low = dependence(model)
        assert (dep == expected(lags)).all(), f"{name}: the pattern differs from the argument's"
        assert (dependence(model, T_OTHER)[0] == expected(lags, T_OTHER)).all()   # same weights, another T
        if name != "RNN":                                   # streaming with a cache gives the same outputs
            assert torch.allclose(stream(model, x_other), model(x_other), rtol=0, atol=1e-12)
        smallest.append(low)
        patterns.append((short[name], dep))
        print(f"{titles[name]}:")
        print(grid(dep) + "\n")

    holes_model = CausalStack(HOLES_W, HOLES_DILATIONS, seed=40)
    holes, low = dependence(holes_model, HOLES_T)
    lags = offsets(HOLES_W, HOLES_DILATIONS)
    assert (holes == expected(lags, HOLES_T)).all()
    smallest.append(low)
    r = span(HOLES_W, HOLES_DILATIONS)
    seen = [k + 1 for k in np.flatnonzero(holes[-1])]
    print(f"Dilations larger than the field below: w = {HOLES_W}, d = {', '.join(map(str, HOLES_DILATIONS))}"
          f" (d_2 = {HOLES_DILATIONS[1]} > r_1 = {span(HOLES_W, HOLES_DILATIONS[:1])}),")
    print(f"T = {HOLES_T}. The span is r_2 = 1 + (w-1)(d_1 + d_2) = {r} steps, but the lags are")
    print(f"S_2 = {{{', '.join(map(str, sorted(lags)))}}}: holes inside the span. The last rows:")
    print(grid(holes, range(HOLES_T - 3, HOLES_T)) + "\n")
    inputs = ", ".join(f"x_{k}" for k in seen)
    print(f"y_{HOLES_T} depends on {inputs} only: {len(seen)} of the last {r} inputs.\n")

    equal, union, outside = relu_patterns()
    assert outside == 0
    print(f"The same causal CNN (w = {WIDTH}, d = {dils}) with ReLU in place of tanh, {RELU_DRAWS} random weight")
    print(f"draws: at the demo's input the pattern equals S_2 in {equal} of {RELU_DRAWS} draws; over {RELU_INPUTS} inputs")
    print(f"(the demo's and {RELU_INPUTS - 1} others) the union of the patterns equals S_2 in {union} of {RELU_DRAWS};")
    print("no input has a ■ outside S_2. A pair is cut at an input when every path from x_k to y_t passes")
    print("through a unit that is off (input < 0) there; the cut pairs move with the input.\n")

    x_long = torch.randn(T_LONG, M, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    J = torch.autograd.functional.jacobian(models["RNN"][0], x_long)              # (T, D, T, M)
    block = J.abs().amax(dim=(1, 3)).numpy()
    dependent = block[np.tril(np.ones((T_LONG, T_LONG), dtype=bool))]
    assert (dependent != 0).all()                                                  # every pair k ≤ t is a ■
    below = count_below("RNN blocks", dependent, CUT)
    first = fmt(block[-1, 0], ".1e")
    print(f"The same RNN at T = {T_LONG}: max|∂y_{T_LONG}/∂x_1| = {first}; {below} of the {dependent.size} pairs k ≤ t")
    print(f"are below {CUT:.0e}, so `abs(J) > {CUT:.0e}` would report a finite window (every one is ≠ 0).\n")

    cases = [("0.5 R", 0.5 * rotation(ANGLE), TINY), ("R (orthogonal)", rotation(ANGLE), TINY),
             ("[[0.5, 3], [0, 0.5]]", torch.tensor([[0.5, 3.0], [0.0, 0.5]], dtype=torch.float64), TINY),
             ("1.1 R", 1.1 * rotation(ANGLE), TINY), ("R (orthogonal)", rotation(ANGLE), 1.0),
             ("1.1 R", 1.1 * rotation(ANGLE), 1.0)]
    gains = []
    for label, U, scale in cases:
        rho = float(torch.linalg.eigvals(U).abs().max())
        gains.append((label, f"N(0, {scale:.0e}²)" if scale != 1 else "N(0, 1)", fmt(rho, ".2g"),
                      fmt(float(torch.linalg.matrix_norm(U, ord=2)), ".2g"), *(fmt(v, ".2g") for v in input_gain(U, scale))))
    print("How large is (K6)? ‖∂h_t/∂x_k‖₂ of the simple RNN with D = M = 2, W = I, b = 0, at the lags t − k;")
    print(f"R is the rotation by {ANGLE} rad. Inputs of size {TINY:.0e} keep tanh nearly linear (f' ≈ 1) over these")
    print(f"{max(LAGS) + 1} steps, so the first four rows show the product of the U's alone; the last two rows have")
    print("inputs of size 1 (tanh saturates in part):")
    print(table(["U", "inputs", "ρ(U)", "‖U‖₂", *(f"t−k = {lag}" for lag in LAGS)], gains) + "\n")
    gain, present, slope = large_u_gain()
    if not (gain > 100 * LARGE_ABOVE and present < PRESENT_BELOW / 2 and slope < SLOPE_BELOW - 0.1):
        # an exploding trajectory: only a claim with a wide margin is the same on every CPU
        raise ValueError(f"gain {gain:.3g}, present {present:.3g}, mean f' {slope:.3g}: too close to the claims")
    print(f"A large random U (D = {LARGE_D}, entries N(0, {LARGE_GAIN:g}²/D)), W with entries N(0, 1/M), M = {M}, b = 0,")
    print(f"h_0 = 0, tanh, inputs N(0, 1): along the trajectory ‖∂h_{LARGE_T}/∂x_1‖₂ > {LARGE_ABOVE:.0e}: it explodes")
    print(f"although tanh keeps the state bounded and saturates (mean f' < {SLOPE_BELOW:g} over steps"
          f" {LARGE_T // 4 + 1}-{LARGE_T});")
    # its value is not printed: after 200 steps of this U its last digits differ between CPUs (2.9 or 2.4)
    print(f"the present input's ‖∂h_{LARGE_T}/∂x_{LARGE_T}‖₂ < {PRESENT_BELOW:g}.\n")

    forget = forgetting(models["RNN"][0])
    assert all(t is not None for t in forget)
    U_norm = float(torch.linalg.matrix_norm(models["RNN"][0].W_hh, ord=2))
    print(f"The grids' RNN forgets in float64: ‖U‖₂ = {U_norm:.3g} < 1 and |tanh'| ≤ 1 make it contracting. With x_1")
    print(f"replaced by {FORGET_DRAWS} random vectors (T = {FORGET_T}), y_t is bit-identical to the original from step"
          f" t = {', '.join(map(str, forget))} on,")
    print("although ∂y_t/∂x_1 ≠ 0 at every t (a ■ is a statement about the exact derivative).\n")

    path_cnn = CausalStack(PATH_W, PATH_DILATIONS, seed=PATH_SEED)
    r_path, L_path = span(PATH_W, PATH_DILATIONS), len(PATH_DILATIONS)
    assert offsets(PATH_W, PATH_DILATIONS) == set(range(r_path)) and max(PATH_LAGS) < r_path   # every lag printed is a ■
    path_tdnn = CausalStack(PATH_W, (1,) * PATH_TDNN_L, seed=PATH_SEED)
    assert span(PATH_W, (1,) * PATH_TDNN_L) == r_path
    paths = {"cnn": lag_gains(path_cnn, PATH_LAGS, T_LONG), "tdnn": lag_gains(path_tdnn, PATH_LAGS, T_LONG),
             "rnn": lag_gains(models["RNN"][0], PATH_LAGS, T_LONG)}
    print(f"How many factors on the path from x_{{t−s}} to y_t? ‖∂y_{T_LONG}/∂x_{{{T_LONG}−s}}‖₂ at the demo's input, T = {T_LONG}:")
    print(table(["network", "factors on the path", *(f"s = {lag}" for lag in PATH_LAGS)],
                [(f"causal CNN, w = {PATH_W}, d = {', '.join(map(str, PATH_DILATIONS))} (r_{L_path} = {r_path})",
                  f"{L_path} kernels, {L_path} f' (every s)", *(fmt(v, ".2g") for v in paths["cnn"])),
                 (f"TDNN, w = {PATH_W}, L = {PATH_TDNN_L}, d = 1 (r_{PATH_TDNN_L} = {r_path})",
                  f"{PATH_TDNN_L} kernels, {PATH_TDNN_L} f' (every s)", *(fmt(v, ".2g") for v in paths["tdnn"])),
                 ("the grids' simple RNN", "s + 1 f', s U's, one W", *(fmt(v, ".2g") for v in paths["rnn"]))]))
    terms = {"cnn": [tap_choices(PATH_W, PATH_DILATIONS, lag) for lag in PATH_LAGS],
             "tdnn": [tap_choices(PATH_W, (1,) * PATH_TDNN_L, lag) for lag in PATH_LAGS]}
    assert terms["cnn"] == [1] * len(PATH_LAGS)                                  # binary digits: one tap choice per lag
    assert terms["tdnn"] == [math.comb(PATH_TDNN_L, lag) for lag in PATH_LAGS]   # C(L, s) for w = 2, d = 1
    print("Terms of the sum over paths (tap choices with Σ_l j_l d_l = s): CNN "
          + ", ".join(map(str, terms["cnn"])) + "; TDNN C(31, s) = " + ", ".join(f"{c:.2g}" if c > 10**4 else str(c)
                                                                               for c in terms["tdnn"]) + ".\n")

    L, Lc = len(TDNN_DELAYS), len(CNN_DILATIONS)
    n = {name: _count(model) for name, (model, _) in models.items()}
    assert n["TDNN"] == WIDTH * M * D + D + (L - 1) * (WIDTH * D * D + D)
    assert n["CNN"] == WIDTH * M * D + D + (Lc - 1) * (WIDTH * D * D + D)
    assert n["RNN"] == D * M + D * D + 2 * D == sum(p.numel() for p in torch.nn.RNN(M, D).parameters())
    rows = [("TDNN", "wMD + D + (L-1)(wD² + D)", str(n["TDNN"]), f"{L} (layers)"),
            ("causal CNN", "wMD + D + (L-1)(wD² + D)", str(n["CNN"]), f"{Lc} (layers)"),
            ("RNN, the book (one bias b)", "DM + D² + D", str(n["RNN"] - D), f"{T} (= T)"),
            ("RNN, PyTorch (b_ih, b_hh)", "DM + D² + 2D", str(n["RNN"]), f"{T} (= T)")]
    print(table(["network", "parameters", f"w = {WIDTH}, M = {M}, D = {D}", f"sequential steps, T = {T} (by construction)"], rows))
    low = min(smallest)
    if not low >= 100 * FLOOR:              # the claim below holds with a factor-100 margin
        raise ValueError(f"smallest dependent gradient {low:.3g} is too close to {FLOOR:g}")
    print(f"\nEvery pattern equals the predicted one, for T = {T} and, with the same")
    print(f"weights, T = {T_OTHER}; streamed one step at a time with a cache, the TDNN and the CNN")
    print(f"give the same outputs (≤ 1e-12). Every ■ has max|∂y_t/∂x_k| ≥ {FLOOR:.0e} (checked),")
    print("far above rounding: no ■ is an accident of the CPU, and every · is an exact 0.")
    values = {"params-tdnn": str(n["TDNN"]), "params-cnn": str(n["CNN"]), "params-rnn": str(n["RNN"]),
              "params-rnn-book": str(n["RNN"] - D), "tdnn-field": str(span(WIDTH, TDNN_DELAYS)),
              "cnn-field": str(span(WIDTH, CNN_DILATIONS)), "holes-span": str(r), "holes-seen": str(len(seen)),
              "holes-inputs": ", ".join(f"\\boldsymbol x_{{{k}}}" for k in seen),
              "holes-lags": ", ".join(map(str, sorted(lags))), "relu-equal": str(equal),
              "relu-draws": str(RELU_DRAWS), "long-T": str(T_LONG), "long-first": first, "long-below": str(below),
              "long-pairs": str(dependent.size), "cut": f"{CUT:.0e}", "large-T": str(LARGE_T),
              "large-above": f"10^{{{round(np.log10(LARGE_ABOVE))}}}", "nonnormal-lag1": gains[2][5],
              "growing-lag40": gains[3][-1], "saturated-lag40": gains[4][-1],
              "growing-saturated-lag40": gains[5][-1], "saturated-lag0": gains[4][4], "tiny": f"{TINY:.0e}", "relu-union": str(union),
              "relu-inputs": str(RELU_INPUTS), "large-D": str(LARGE_D),
              "large-gain": f"{LARGE_GAIN:g}", "nonnormal-lag5": gains[2][4 + LAGS.index(5)],
              "nonnormal-lag40": gains[2][-1], "tdnn-Lw": str(L * WIDTH), "T": str(T), "T-other": str(T_OTHER), "floor": f"{FLOOR:.0e}",
              "large-present-below": f"{PRESENT_BELOW:g}", "large-slope-below": f"{SLOPE_BELOW:g}",
              **{f"path-{net}-{lag}": fmt(v, ".2g") for net, vals in paths.items() for lag, v in zip(PATH_LAGS, vals)},
              **{f"terms-tdnn-{lag}": f"{c:.2g}" if c > 10**4 else str(c) for lag, c in zip(PATH_LAGS, terms["tdnn"])},
              "weight-scale": f"{SCALE:g}",
              "path-span": str(r_path), "path-tdnn-L": str(PATH_TDNN_L),
              "forget-t": str(min(forget)), "forget-T": str(FORGET_T), "forget-draws": str(FORGET_DRAWS),
              "rnn-U-norm": f"{U_norm:.2f}", "path-L": str(L_path), "path-dilations": ", ".join(map(str, PATH_DILATIONS))}
    return Result(figures={"receptive-field.svg": partial(_figure, patterns)}, values=values)
