"""Gradient reach at initialisation: how ‖∂L_T/∂h_k‖ falls with T − k in five structures, against two predictions."""

from __future__ import annotations

import numpy as np
import torch

from solutions.experiments import deep_rnn_adding as adding
from solutions.experiments.depth import (
    ARCHS,
    fitted_slope,
    gradient_reach,
    graph,
    renewal_slope,
    skip_slope,
    state_node,
)
from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, fmt, round_sig, table
from solutions.rnn_graph import measures

T, B, I, H = 40, 8, 8, 32
N_MIN, N_MAX = 5, 30                 # the fitted range of n = T − k
TRAIN_N_MIN = 1                      # at the training's initialisation: n = 1 … T − 1 of its T = 20
TRAIN_MEAN_SEEDS = range(40)         # ... and the mean over these seeds (about 1 s in all)
TRAIN_GAIN = 3 ** -0.5               # RMS gain of a matrix with entries uniform in ±1/√H (variance 1/(3H))
#: (gain γ, input std): small inputs at two gains, then inputs large enough to bend tanh
SETTINGS = ((0.5, 0.1), (0.7, 0.1), (0.5, 1.0))
FLAT_GAIN, FLAT_SEEDS = 0.75, (0, 1, 2, 3, 4)   # where 2γ² > 1: the skip RNN's path count predicts growth
FLAT_STDS = (0.1, 0.01)              # at γ = 0.75 tanh already bends at input std 0.1; 0.01 is near-linear
RATIO_GAINS = (0.5, 0.75, 0.9, 0.95)  # DT / simple slope ratio as γ → 1 (at γ = 1 both predictions are 0: no ratio)
SQRT_SEEDS = (0, 1, 2)               # DT at gain √γ per matrix against the simple RNN at γ
SQRT_STDS = (0.1, 1.0)               # ... small inputs, and where tanh′ < 1 adds m factors per DT step
NAMES = {"simple": "simple", "stacked": "stacked, L = 2", "dt": "DT, m = 2", "dt-s": "DT(S), m = 2",
         "skip": "skip, Δ = 4"}


def main() -> Result:
    torch.set_num_threads(1)
    print("‖∂L_T/∂h_k‖ at initialisation, L_T = uᵀh_T (u a random unit vector), T = 40, 8 sequences,")
    print("width H = 32 for every structure, tanh; every H×H weight γ·(random orthogonal), input")
    print("weights N(0, 1/8), biases 0, inputs N(0, std²). h_k is the whole state at step k (both layers")
    print("of the stacked RNN). Slope: least-squares fit of the mean of log10‖∂L_T/∂h_k‖ over the sequences")
    print(f"against n = T − k for {N_MIN} ≤ n ≤ {N_MAX}: the change of log10 per step back in time.\n")
    curves, values = {}, {}
    for gain, std in SETTINGS:
        linear = std == 0.1
        rows = []
        for arch in ARCHS:
            s = measures(graph(arch)).skip_coefficient
            reach = gradient_reach(arch, gain, T=T, B=B, I=I, H=H, input_std=std)
            if (gain, std) == SETTINGS[0]:
                curves[arch] = reach
            slope = fmt(fitted_slope(reach, N_MIN, N_MAX), ".3f", rel=1e-6)
            values[f"{arch}-{gain}-{std}"] = slope
            row = [NAMES[arch], str(s), slope]
            if linear:
                pred_s, pred_r = skip_slope(s, gain), renewal_slope(graph(arch), state_node(arch), gain)
                values[f"{arch}-{gain}-s"], values[f"{arch}-{gain}-paths"] = fmt(pred_s, ".3f"), fmt(pred_r, ".3f")
                row += [values[f"{arch}-{gain}-s"], values[f"{arch}-{gain}-paths"]]
            rows.append(row)
        print(f"γ = {gain}, input std {std}{'' if linear else ' (tanh bends)'}, seed 0:")
        print(table(["structure", "s", "slope"] + (["log10(γ)/s", "paths"] if linear else []), rows))
        print()
    print("log10(γ)/s: the slope if the shortest path (n/s edges, each ×γ) carried the gradient alone.")
    print("paths: ½·log10 ρ, ρ the root of Σ_C γ^(2|C|) ρ^(−σ(C)) = 1 over the cycles C through the state")
    print("(|C| edges, delays adding up to σ(C)): every path counted, tanh′ = 1, paths uncorrelated")
    print("(solutions.experiments.depth.renewal_slope). Both ignore tanh′ < 1, which input std 1 brings in.")
    print()
    gain, g = FLAT_GAIN, graph("skip")
    values.update({"skip-0.75-paths": fmt(renewal_slope(g, "h", gain), "+.4f"),
                   "skip-0.75-s": fmt(skip_slope(measures(g).skip_coefficient, gain), ".4f"),
                   "simple-0.75-log": fmt(np.log10(gain), ".4f")})
    print(f"γ = {gain}, seeds {FLAT_SEEDS[0]} … {FLAT_SEEDS[-1]}, inputs of std 0.1 and of std 0.01: the skip RNN, where the path")
    print(f"count predicts a slope of {values['skip-0.75-paths']} (log10(γ)/s = {values['skip-0.75-s']}), and the simple RNN,")
    print(f"whose slope at tanh′ = 1 is log10 γ = {values['simple-0.75-log']}:")
    rows = []
    for arch in ("skip", "simple"):
        for std in FLAT_STDS:
            slopes = [fitted_slope(gradient_reach(arch, gain, T=T, B=B, I=I, H=H, input_std=std, seed=seed),
                                   N_MIN, N_MAX) for seed in FLAT_SEEDS]
            txt = [fmt(x, "+.4f", rel=1e-6) for x in slopes]
            key = f"{arch}-0.75" + ("" if std == 0.1 else f"-{std}")
            values.update({f"{key}-slopes": ", ".join(txt), f"{key}-min": fmt(min(slopes), "+.4f", rel=1e-6),
                           f"{key}-max": fmt(max(slopes), "+.4f", rel=1e-6)})
            rows.append([f"{NAMES[arch]}, input std {std}"] + txt)
    print(table(["structure, inputs"] + [f"seed {seed}" for seed in FLAT_SEEDS], rows))
    print()
    print("DT-RNN against the simple RNN as the gain per matrix γ approaches 1: the ratio of their slopes")
    print("(DT / simple; m = 2 is the path count's value at tanh′ = 1 for γ < 1; at γ = 1 both predicted slopes")
    print("are 0 and a ratio says nothing), seed 0, the rest as above:")
    rows = []
    for std in FLAT_STDS:
        txt = []
        for gain in RATIO_GAINS:
            dt, simple = (fitted_slope(gradient_reach(arch, gain, T=T, B=B, I=I, H=H, input_std=std), N_MIN, N_MAX)
                          for arch in ("dt", "simple"))
            txt.append(fmt(dt / simple, ".2f", rel=1e-6))
            values[f"ratio-{gain}-{std}"] = txt[-1]
        rows.append([f"input std {std}"] + txt)
    print(table(["DT / simple"] + [f"γ = {gain}" for gain in RATIO_GAINS], rows))
    print()
    print("Gain per matrix: DT-RNN (m = 2) with √0.5 for each of its two H×H matrices (one step ≈ 0.5,")
    print("as the simple RNN's one matrix at 0.5), against both at 0.5 per matrix; the rest as above,")
    print(f"seeds {SQRT_SEEDS[0]} … {SQRT_SEEDS[-1]}; input std 0.1, then with tanh bending (input std 1):")
    for std in SQRT_STDS:
        rows = []
        suffix = "" if std == 0.1 else f"-{std}"
        for key, arch, gain, label in (("dt-sqrt", "dt", 0.5 ** 0.5, "DT, √0.5 each"), ("simple-seeds", "simple", 0.5,
                                       "simple, 0.5"), ("dt-seeds", "dt", 0.5, "DT, 0.5 each")):
            txt = [fmt(fitted_slope(gradient_reach(arch, gain, T=T, B=B, I=I, H=H, input_std=std, seed=seed),
                                    N_MIN, N_MAX), ".3f", rel=1e-6) for seed in SQRT_SEEDS]
            values[key + suffix] = ", ".join(txt)
            rows.append([label] + txt)
        print(f"input std {std}:")
        print(table(["structure, gain per matrix"] + [f"seed {seed}" for seed in SQRT_SEEDS], rows))
        print()
    print(f"Where the training of the adding problem starts (its T = {adding.T}): each structure at its trained")
    print("width, torch.nn.RNN's initialisation (every entry uniform in ±1/√H, variance 1/(3H): RMS gain")
    print(f"1/√3 per matrix), the run's first batch of {adding.BATCH} adding-problem sequences, L = V h_T with the")
    print(f"run's output weights V; slope over {TRAIN_N_MIN} ≤ n ≤ {adding.T - 1} (solutions.experiments.deep_rnn_adding.initial_reach);")
    print(f"mean and range over the seeds {TRAIN_MEAN_SEEDS[0]} … {TRAIN_MEAN_SEEDS[-1]}; paths: the path count at γ = 1/√3:")
    rows, train = [], {}
    for arch in ARCHS:
        slopes = [fitted_slope(adding.initial_reach(arch, seed), TRAIN_N_MIN, adding.T - 1) for seed in TRAIN_MEAN_SEEDS]
        train[arch] = np.array(slopes)
        txt = [fmt(slopes[seed], ".3f", rel=1e-6) for seed in adding.SEEDS]
        values[f"{arch}-train"] = ", ".join(txt)
        for key, x in (("mean", np.mean(slopes)), ("min", min(slopes)), ("max", max(slopes)),
                       ("paths", renewal_slope(graph(arch), state_node(arch), TRAIN_GAIN))):
            values[f"{arch}-train-{key}"] = fmt(x, ".3f", rel=1e-6)
        rows.append([NAMES[arch], str(adding.WIDTH[arch])] + txt +
                    [values[f"{arch}-train-{key}"] for key in ("mean", "min", "max", "paths")])
    print(table(["structure", "width H"] + [f"seed {seed}" for seed in adding.SEEDS] +
                [f"mean, seeds 0 … {TRAIN_MEAN_SEEDS[-1]}", "min", "max", "paths"], rows))
    ratio = train["dt"] / train["simple"]
    values.update({"dt-train-ratio-mean": fmt(ratio.mean(), ".2f", rel=1e-6),
                   "dt-train-ratio-min": fmt(ratio.min(), ".2f", rel=1e-6),
                   "dt-train-ratio-max": fmt(ratio.max(), ".2f", rel=1e-6)})
    print(f"DT / simple, per seed: mean {values['dt-train-ratio-mean']}, from {values['dt-train-ratio-min']} "
          f"to {values['dt-train-ratio-max']} (the path count: 2).")
    return Result(figures={"deep-rnn-reach.svg": lambda s: _figure(s, curves)}, values=values)


def _figure(s: Style, curves: dict[str, np.ndarray]):
    fig, ax = figure(height=3.8)
    n = np.arange(T - 1, -1, -1)
    styles = {"simple": ("ink", "o"), "stacked": ("grey", "s"), "dt": ("red", "v"),
              "dt-s": ("orange", "^"), "skip": ("blue", "D")}
    for arch, reach in curves.items():
        color, marker = styles[arch]
        ax.plot(n, round_sig(reach), color=s.c(color), marker=marker, markersize=3.5, linewidth=1.6,
                markevery=4, label=NAMES[arch])
    ax.set_xlabel(s.t("n = T − k (steps back)", "n = T − k（回溯步数）"), fontsize=11)
    ax.set_ylabel("log10 ‖∂L_T/∂h_k‖", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.set_title(s.t("γ = 0.5, input std 0.1", "γ = 0.5，输入标准差 0.1"), fontsize=11)
    ax.legend(fontsize=10, loc="lower left")
    return fig
