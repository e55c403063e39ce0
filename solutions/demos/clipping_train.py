"""A tanh RNN with a large U trained over several seeds: unclipped runs hit a gradient spike, clipped runs train."""

from __future__ import annotations

import math
import sys
from functools import partial

import numpy as np

from solutions.clipping import clip_grad_norm_, clip_grad_value_, get_total_norm
from solutions.publish.plotting import Style, figure
from solutions.publish.report import (
    CHAOS_MARGIN,
    PERTURB,
    SENSITIVE,
    Result,
    count_below,
    fmt,
    require_chaotic,
    table,
)
from solutions.sequence import bptt

K, T, B, H, DELAY = 4, 40, 16, 16, 3    # tokens, steps per sequence, batch, hidden units, recall delay
U_SCALE = 1.5                            # U = 1.5 × an orthogonal matrix: every singular value is 1.5
LR, STEPS = 0.1, 80                      # plain SGD
SWEEP = (0.03, 0.1, 0.3)                 # part 3: learning rates, each on the first SWEEP_N seeds
SWEEP_N = 6
SEEDS = tuple(range(12))                  # one run per seed and mode: its initial weights and batches
MAX_NORM, CLIP_VALUE = 1.0, 0.1
SPIKE = 10.0                             # a spike: ‖g‖ above SPIKE × its value at step 1
LOSS_MAX = 10 * math.log(K)              # a clipped run whose loss per time step passes this has diverged
REL = 1e-6                               # printed digits must survive this relative change
SHOWN = (1, 10, 20, 40, STEPS)           # steps shown in the table
PARAM_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh", "V", "c")
CHAOTIC = ("observed",)                  # measured: a 1e-13 change of the weights moves its losses by %
COLORS = {"none": "red", "value": "blue", "norm": "green", "observed": "purple"}


def recall_batches(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``STEPS`` batches of the delayed-recall task: the target at step t is the token of step t − DELAY.

    Returns
    -------
    batches : list of (x, y)
        ``x`` float64 of shape (T, B, K), one-hot tokens; ``y`` int64 of shape (T, B), the
        token ``DELAY`` steps earlier (token 0 for the first ``DELAY`` steps).
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(STEPS):
        tokens = rng.integers(0, K, size=(T, B))
        y = np.zeros((T, B), dtype=np.int64)
        y[DELAY:] = tokens[:-DELAY]
        out.append((np.eye(K)[tokens], y))
    return out


def init_params(seed: int = 1) -> dict[str, np.ndarray]:
    """``U = U_SCALE · Q`` (Q orthogonal), ``W ~ N(0, 1/K)``, ``V ~ N(0, 0.01)``, zero biases; float64."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    return {"W_ih": rng.standard_normal((H, K)) / np.sqrt(K), "W_hh": U_SCALE * q,
            "b_ih": np.zeros(H), "b_hh": np.zeros(H), "V": 0.1 * rng.standard_normal((K, H)), "c": np.zeros(K)}


def train(mode: str, seed: int, max_norm: float = MAX_NORM, perturb: float = 0.0,
          lr: float = LR) -> tuple[np.ndarray, np.ndarray]:
    """SGD with BPTT gradients, clipped as ``mode`` says ("none", "value" or "norm").

    Without clipping the run stops at its first spike (‖g‖ > SPIKE × ‖g‖ at step 1): what
    follows is chaotic (one rounding difference in the spike's step changes every later
    number), so it is neither computed nor shown. A clipped run stops if its loss per time
    step passes ``LOSS_MAX`` or its gradient is not finite. ``perturb`` multiplies the initial
    ``W`` by ``1 + perturb`` (to measure how sensitive the run is); ``lr`` is the learning rate η.

    Returns
    -------
    losses : ndarray of shape (STEPS,)
        The loss per time step, ``L / T``, before each update; NaN after a stop.
    norms : ndarray of shape (STEPS,)
        ``‖g‖₂`` of all parameter gradients before clipping; NaN after a stop.
    """
    params = init_params(1000 + seed)
    params["W_ih"] *= 1.0 + perturb
    h0 = np.zeros((B, H))
    losses, norms = np.full(STEPS, np.nan), np.full(STEPS, np.nan)
    for step, (x, y) in enumerate(recall_batches(seed)):
        # --8<-- [start:loop] train
        loss, grads = bptt(x, y, h0, params)              # L and ∂L/∂θ by BPTT
        g = {k: grads[k] for k in PARAM_KEYS}             # the parameters' gradients
        if mode == "norm":
            norm = clip_grad_norm_(g, max_norm)           # returns ‖g‖ before clipping
        else:
            norm = get_total_norm(g)
            if mode == "value":
                clip_grad_value_(g, CLIP_VALUE)
        if not math.isfinite(norm):                       # NaN/inf: a useless step
            break
        for k in PARAM_KEYS:
            params[k] -= lr * g[k]                        # θ ← θ − η g
        # --8<-- [end:loop]
        losses[step], norms[step] = loss / T, norm
        if mode == "none" and norm > SPIKE * norms[0]:    # the spike: stop before what follows
            break
        if loss / T > LOSS_MAX:
            break
    print(f"clipping-train: {mode} seed {seed} done", file=sys.stderr)
    return losses, norms


def f(x: float, spec: str) -> str:
    return fmt(float(x), spec, rel=REL)


def coarse(a: np.ndarray) -> np.ndarray:
    """Round to 2 significant digits for plotting, so that last-bit differences between CPUs
    (amplified by training) do not move a point of the figure."""
    return np.array([float(f"{v:.2g}") if np.isfinite(v) else np.nan for v in a])


def medians(runs: list[tuple[np.ndarray, np.ndarray]], which: int) -> np.ndarray:
    """Per step, the median over the runs still going (NaN where none is)."""
    a = np.array([r[which] for r in runs])
    live = ~np.isnan(a)
    return np.array([np.median(a[live[:, s], s]) if live[:, s].any() else np.nan for s in range(STEPS)])


def main() -> Result:
    n = len(SEEDS)
    print(f"Task: output the token seen {DELAY} steps earlier ({K} tokens, T = {T}, batch {B},\n"
          f"  a fresh batch each step).\nModel: tanh RNN, H = {H}, U = {U_SCALE} × orthogonal\n"
          f"  (all singular values {U_SCALE} > 1/γ = 1); plain SGD, η = {LR}, {STEPS} steps.\n"
          f"{n} runs per mode (seeds {SEEDS[0]}-{SEEDS[-1]}: initial weights and batches); a mode's runs\n"
          "  start from the same weights and see the same batches as the other modes' runs.\n")

    # 1. Without clipping: when does ‖g‖ first jump, and what is a normal ‖g‖ before that?
    none = [train("none", s) for s in SEEDS]
    spike = np.array([int(np.argmax(nm > SPIKE * nm[0])) + 1 if (nm > SPIKE * nm[0]).any() else 0
                      for _, nm in none])
    hit = spike > 0
    g1 = np.array([nm[0] for _, nm in none])
    calm = int(spike[hit].min()) - 1 if hit.any() else STEPS   # steps before any run's spike
    tau_obs = float(np.median(np.array([nm[:calm] for _, nm in none])))
    values = {
        "n": str(n), "spiked": f"{int(hit.sum())}/{n}",
        "spike-median": f"{np.median(spike[hit]):g}",        # integers: exact
        "g1": f(np.median(g1), ".3g"), "tau-obs": f(tau_obs, ".3g"), "calm": str(calm),
        "chance": fmt(math.log(K), ".3f"),
    }
    print(f"1. No clipping: ‖g‖ first exceeds {SPIKE:g} × its step-1 value in {values['spiked']} runs,\n"
          f"   at step {values['spike-median']} (median over runs); median ‖g‖ at step 1: {values['g1']}.\n"
          f"   Each run stops at its spike: the step it would take is {LR} × that gradient, and\n"
          f"   what follows is chaotic. Only steps 1-{calm}, before any run's spike, are used\n"
          f"   below, so that no number depends on what happens near a spike.\n"
          f"   Threshold from the observed norms (Pascanu et al.): the median ‖g‖ of all runs\n"
          f"   over steps 1-{calm}: τ = {values['tau-obs']}.\n")

    # 2. Clipped: by value, by norm with τ = 1, by norm with the observed τ.
    modes = {"value": (f"by value, κ = {CLIP_VALUE}", lambda s: train("value", s)),
             "norm": (f"by norm, τ = {MAX_NORM:g}", lambda s: train("norm", s)),
             "observed": (f"by norm, τ = {values['tau-obs']}", lambda s: train("norm", s, tau_obs))}
    runs = {m: [run(s) for s in SEEDS] for m, (_, run) in modes.items()}
    taus = {"value": None, "norm": MAX_NORM, "observed": tau_obs}
    for m in CHAOTIC:                                     # measure that the mode is chaotic
        again = [train("norm", seed, tau_obs, PERTURB)[0][-1] for seed in SEEDS]
        require_chaotic(m, [r[0][-1] for r in runs[m]], again)
    rows = []
    chance = math.log(K)
    for m, (label, _) in modes.items():
        losses = np.array([r[0] for r in runs[m]])
        norms = np.array([r[1] for r in runs[m]])
        ok = ~np.isnan(losses[:, -1])
        stopped = f"{int((~ok).sum())}/{n}"
        if m in CHAOTIC:                                  # only a count, far from its bin edge
            values[f"{m}-below"] = f"{count_below(m, losses[ok, -1], chance)}/{int(ok.sum())}"
            values[f"{m}-diverged"] = stopped
            rows.append([label, stopped] + ["?"] * (len(SHOWN) - 1)
                        + [f"{values[f'{m}-below']} < ln {K}", "?", "?"])
            continue
        clipped = f(np.mean(norms[ok] > taus[m]), ".0%") if taus[m] is not None else "—"
        row = [label, stopped] + [f(np.median(losses[ok, s - 1]), ".3f") for s in SHOWN] + [
            f(np.median(np.nanmax(norms[ok], axis=1)), ".3g"), clipped]
        rows.append(row)
        values.update({f"{m}-diverged": row[1], f"{m}-final": row[2 + len(SHOWN) - 1],
                       f"{m}-maxnorm": row[-2], f"{m}-clipped": row[-1]})
    print("2. Clipped runs: loss per time step, median over the runs (none diverged if 0/N).")
    print(table(["clipping", "diverged"] + [f"L/T @{s}" for s in SHOWN] + ["max ‖g‖", "steps clipped"], rows))
    print(f"max ‖g‖: each run's largest ‖g‖ before clipping, median over runs. steps clipped:\n"
          f"  share of all steps of all runs with ‖g‖ > τ (by value: every step has some\n"
          f"  entry above κ, so the share says nothing).\n"
          f"?: with τ = {values['tau-obs']} the clipped step η τ is large and training is chaotic: rerun\n"
          f"  with the initial W multiplied by 1 + {PERTURB:g}, some run's loss at step {STEPS} changes\n"
          f"  by more than {10 * SENSITIVE:g} (relative), so its digits differ between CPUs. Only the\n"
          f"  number of runs whose loss per time step at step {STEPS} is below chance is shown\n"
          f"  (none within {CHAOS_MARGIN:.0%} of it).")

    # 3. The learning rate: the same three rules at other η, on the first SWEEP_N seeds.
    sweep_rows = []
    values.update({"sweep-lrs": ", ".join(f"{lr:g}" for lr in SWEEP), "sweep-n": str(SWEEP_N)})
    for lr in SWEEP:
        seeds = SEEDS[:SWEEP_N]
        first, twin = {}, {}
        for m in ("none", "value", "norm"):
            first[m] = (none if m == "none" else runs[m])[:SWEEP_N] if lr == LR else [train(m, s, lr=lr) for s in seeds]
            twin[m] = first[m] if lr == LR else [train(m, s, lr=lr, perturb=PERTURB) for s in seeds]  # chaos test
        spiked = sum(bool((nm > SPIKE * nm[0]).any()) for _, nm in first["none"])
        row = [f"{lr:g}", f"{spiked}/{SWEEP_N}"]
        for m in ("none", "value", "norm"):
            last, again = (np.array([r[0][-1] for r in rs]) for rs in (first[m], twin[m]))
            ok = ~np.isnan(last)
            if m != "none":
                row.append(f"{int((~ok).sum())}/{SWEEP_N}")
            chaotic = not np.array_equal(ok, ~np.isnan(again)) or bool(
                np.any(np.abs(again[ok] - last[ok]) > 10 * SENSITIVE * np.abs(last[ok])))
            row.append("—" if not ok.any() else "?" if chaotic else f(np.median(last[ok]), ".3f"))
        sweep_rows.append(row)
    print(f"\n3. The learning rate: η = {', '.join(f'{lr:g}' for lr in SWEEP)}, seeds {SEEDS[0]}-{SEEDS[SWEEP_N - 1]}. spiked: unclipped\n"
          f"   runs whose ‖g‖ passes {SPIKE:g} × its step-1 value within {STEPS} steps (each stops there);\n"
          f"   L/T @{STEPS}: loss per time step at step {STEPS}, median over the runs still going\n"
          f"   (— : none is; ?: chaotic — a twin run with W × (1 + {PERTURB:g}) moves it by more than\n"
          f"   {10 * SENSITIVE:g}, relative, or stops at another step; at η = {LR:g} these are the runs of\n"
          f"   sections 1 and 2).")
    print(table(["η", "no clipping: spiked", f"L/T @{STEPS}", "by value: diverged", f"L/T @{STEPS}", f"by norm τ = {MAX_NORM:g}: diverged",
                 f"L/T @{STEPS}"], sweep_rows))
    for row in sweep_rows:
        values.update({f"sweep-{row[0]}-{k}": v for k, v in zip(("spiked", "none-final", "value-diverged",
                                                                "value-final", "norm-diverged", "norm-final"), row[1:])})

    curves = {}  # mode -> (median loss, median norm) as plotted; "none" only for its calm steps
    for m, rs in [("none", none), *runs.items()]:
        if m in CHAOTIC:
            continue                                       # no curve of it is the same on every CPU
        shown = slice(0, calm) if m == "none" else slice(None)
        curves[m] = (coarse(medians(rs, 0)[shown]), coarse(medians(rs, 1)[shown]))
    lines = {"med_spike": float(np.median(spike[hit])), "calm": calm, "tau_obs": values["tau-obs"],
             "spike_line": SPIKE * float(values["g1"])}
    return Result(figures={"clipping-train.svg": partial(_draw, curves, lines)}, values=values)


def _draw(curves: dict, lines: dict, s: Style):
    """Top: median loss per time step; bottom: median gradient norm before clipping."""
    fig, (ax_loss, ax_norm) = figure(2, 1, height=7.4, sharex=True)
    names = {"none": s.t(f"no clipping (steps 1-{lines['calm']})", f"不截断（第 1-{lines['calm']} 步）"),
             "value": s.t(f"by value, κ = {CLIP_VALUE}", f"按值，κ = {CLIP_VALUE}"),
             "norm": s.t(f"by norm, τ = {MAX_NORM:g}", f"按模，τ = {MAX_NORM:g}"),
             "observed": s.t(f"by norm, τ = {lines['tau_obs']}", f"按模，τ = {lines['tau_obs']}")}
    for m, (loss, norm) in curves.items():
        steps = np.arange(1, len(loss) + 1)
        ax_loss.plot(steps, loss, color=s.c(COLORS[m]), lw=1.4, label=names[m])
        ax_norm.plot(steps, norm, color=s.c(COLORS[m]), lw=1.4)
    ax_loss.axhline(math.log(K), color=s.c("grey"), ls=":", lw=1.2, label=s.t(f"chance, ln {K}", f"随机水平 ln {K}"))
    ax_norm.axhline(MAX_NORM, color=s.c("grey"), ls="--", lw=1.2)
    ax_norm.axhline(float(lines["tau_obs"]), color=s.c(COLORS["observed"]), ls="--", lw=1.2)
    ax_norm.axhline(lines["spike_line"], color=s.c("red"), ls=":", lw=1.2)
    for ax in (ax_loss, ax_norm):
        ax.axvline(lines["med_spike"], color=s.c("red"), ls=":", lw=1.2)
        ax.set_yscale("log")
        ax.set_xlim(0, STEPS)
    ax_norm.set_xlabel(s.t("training step", "训练步数"))
    ax_loss.set_ylim(0.02, 5.0)        # fixed limits: autoscaling takes logs of the data, and the
    ax_norm.set_ylim(0.5, 500.0)       # layout would move by a last bit between CPUs
    ax_loss.set_ylabel(s.t("loss per time step", "每步损失"))
    ax_norm.set_ylabel(s.t("‖g‖₂ before clipping", "截断前的 ‖g‖₂"))
    ax_loss.set_title(s.t("medians over runs", "各次运行的中位数"), fontsize=11)
    ax_norm.set_title(s.t(f"dashed: τ = {MAX_NORM:g}, {lines['tau_obs']}; dotted: {SPIKE:g} × median ‖g₁‖",
                          f"虚线：τ = {MAX_NORM:g}、{lines['tau_obs']}；点线：{SPIKE:g} × ‖g₁‖ 中位数"),
                      fontsize=10)
    fig.legend(loc="outside lower center", ncols=2, fontsize=10)
    return fig

