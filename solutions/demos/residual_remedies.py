"""The residual update (6.50) trained on delayed recall over several seeds: no remedy vs each remedy of 6-3."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from solutions.experiments.remedies import Runs, train
from solutions.experiments.remedies_sweep import (
    EXPLODE,
    LAST,
    LEARNED,
    LOSS_MAX,
    LRS,
    REMEDIES,
    STEPS,
    TASK,
    TWIN,
    WINDOW,
    H,
    N,
)
from solutions.publish.plotting import Style, figure
from solutions.publish.report import (
    CHAOS_MARGIN,
    SENSITIVE,
    FragileNumber,
    Result,
    count_below,
    count_class,
    fmt,
    round_sig,
    table,
)

REL = 1e-4                     # printed digits must survive this relative change (trained values)
NEAR = 2.0                     # chaotic runs: a run within this factor of a stopping threshold may stop on another CPU
LINEAR = ("none", "alpha", "leaky", "disc", "small", "decay", "truncate", "clip")  # J − I at f' = 1 is step_matrix


def median_or_dash(values: np.ndarray, spec: str, rel: float = REL) -> str:
    """The median to ``spec`` (e.g. ".2f"), or to one digit fewer when its last digit is fragile."""
    if not len(values):
        return "—"
    x = float(np.median(values))
    try:
        return fmt(x, spec, rel=rel)
    except FragileNumber:
        return fmt(x, spec.replace("2", "1"), rel=rel)


def outside(eigs: np.ndarray) -> int:
    """How many eigenvalues μ of J − I lie outside the disc |1 + μ| ≤ 1 (growing directions)."""
    return int((np.abs(1.0 + eigs) > 1.0).sum())




def rho(eigs: np.ndarray) -> np.ndarray:
    """Per run: max |1 + μ|, the spectral radius of J at f' = 1 (the growth per step)."""
    return np.abs(1.0 + eigs).max(axis=1)


def final_loss(run: Runs) -> np.ndarray:
    """Per run: the mean loss per time step over the last LAST steps (NaN for a run stopped before)."""
    last = run.loss[:, -LAST:]
    alive = np.isfinite(last).all(axis=1)
    out = np.full(len(last), np.nan)
    out[alive] = last[alive].mean(axis=1)
    return out


def pick(run: Runs, rows: slice) -> Runs:
    """The runs ``rows`` of a batched training."""
    return Runs(run.loss[rows], run.norm[rows], run.exploded_at[rows], run.diverged_at[rows],
                run.eig_before[rows], run.eig_after[rows], {k: v[rows] for k, v in run.part_norm.items()},
                run.state_norm[rows])


def sweep(key: str) -> list[tuple[Runs, Runs, bool]]:
    """Train one remedy at every η of LRS, N seeds each, with a twin of every run whose initial W
    is multiplied by 1 + TWIN — all in one batched training. Returns, per η, the runs, their
    twins and whether that setting is chaotic: some twin diverges at another step, lands on the other side of the
    'learned' edge, or ends with a final loss changed by more than 10 × SENSITIVE (relative)."""
    seeds = [s for _ in LRS for s in range(N)] * 2
    lrs = [lr for lr in LRS for _ in range(N)] * 2
    perturb = [0.0] * (len(LRS) * N) + [TWIN] * (len(LRS) * N)
    both = train(REMEDIES[key], TASK, H, seeds, STEPS, lrs, EXPLODE, LOSS_MAX, log="residual-remedies",
                 perturb=perturb)
    out = []
    for i in range(len(LRS)):
        a, b = (pick(both, slice(j * len(LRS) * N + i * N, j * len(LRS) * N + (i + 1) * N)) for j in (0, 1))
        fa, fb = (final_loss(r) for r in (a, b))
        ok = np.isfinite(fa) & np.isfinite(fb)
        change = float(np.max(np.abs(fa[ok] - fb[ok]) / fa[ok])) if ok.any() else 0.0
        edge = LEARNED * math.log(TASK.K)
        flips = bool(np.any((fa[ok] < edge) != (fb[ok] < edge)))
        out.append((a, b, change > 10 * SENSITIVE or flips or not np.array_equal(a.diverged_at, b.diverged_at)))
    return out




def summary(key: str, run: Runs, twin: Runs, chaotic: bool) -> dict[str, str]:
    """Diverged and learned counts, median final loss, eigenvalue columns. Where the training is
    chaotic a count is a class of the interval [lo, hi] over the run and its twin (a run within
    CHAOS_MARGIN of the 'learned' edge, or whose ‖g‖ or loss came within a factor NEAR of its
    stopping threshold, counting as either side); the rest is "?"."""
    if chaotic:
        edge = LEARNED * math.log(TASK.K)
        finals = [final_loss(r)[r.diverged_at == 0] for r in (run, twin)]
        div = [int((r.diverged_at > 0).sum()) for r in (run, twin)]
        stops_at_norm = REMEDIES[key].max_norm is None          # a clipped run is not stopped by ‖g‖
        near = [int(((r.diverged_at > 0) | (stops_at_norm & (np.nanmax(r.norm, axis=1) > EXPLODE / NEAR))
                     | (np.nanmax(r.loss, axis=1) > LOSS_MAX / NEAR)).sum()) for r in (run, twin)]
        out = {"diverged": count_class(min(div), max(near), N),
               "learned": count_class(min(int((f < edge * (1 - CHAOS_MARGIN)).sum()) for f in finals),
                                      max(int((f < edge * (1 + CHAOS_MARGIN)).sum()) for f in finals), N),
               "loss": "?", "exploded": "?", "step": "?", "outside": "—", "rho": "—"}
        if key in LINEAR:
            before = (str(outside(run.eig_before)), median_or_dash(rho(run.eig_before), ".2f", 1e-6))
            out.update({"outside": f"{before[0]} → ?", "rho": f"{before[1]} → ?", "outside-before": before[0],
                        "rho-before": before[1], "outside-after": "?", "rho-after": "?"})
        return out
    ok = run.diverged_at == 0
    final = final_loss(run)[ok]
    out = {"diverged": f"{int((~ok).sum())}/{N}",
           "learned": f"{count_below(key, final, LEARNED * math.log(TASK.K), REL)}/{N}",
           "loss": median_or_dash(final, ".2f")}
    exploded = run.exploded_at[run.exploded_at > 0]
    out["exploded"] = f"{len(exploded)}/{N}"
    out["step"] = f"{np.median(exploded):g}" if len(exploded) else "—"      # integers: exact
    if key in LINEAR:
        before = (str(outside(run.eig_before)), median_or_dash(rho(run.eig_before), ".2f", 1e-6))
        after = ("—", "—") if not ok.any() else (
            str(outside(run.eig_after[ok])), median_or_dash(rho(run.eig_after[ok]), ".2f"))
        out.update({"outside": f"{before[0]} → {after[0]}", "rho": f"{before[1]} → {after[1]}",
                    "outside-before": before[0], "rho-before": before[1],
                    "outside-after": after[0], "rho-after": after[1]})
    else:
        out.update({"outside": "—", "rho": "—"})
    return out


def plain(x: float) -> str:
    """Two significant digits without an exponent (270, 25, 5.6), refusing a fragile last digit."""
    return np.format_float_positional(float(fmt(x, ".2g", rel=1e-6)), trim="-")


TRIGGER = ("none", "small", "decay", "truncate")   # the diverging rows: what the gradient is made of when it passes EXPLODE


def at_explosion(run: Runs) -> dict[str, str] | None:
    """Medians over the runs that passed ``EXPLODE``, at that first step and at step 1: the state
    size ‖h_T‖ and the gradient of the output layer (V), of U and of W; None if no run passed it."""
    hit = np.flatnonzero(run.exploded_at > 0)
    if not len(hit):
        return None
    first = run.exploded_at[hit] - 1                      # 0-based step of the first ‖g‖ > EXPLODE
    def med(a: np.ndarray, steps: np.ndarray) -> str:
        return plain(float(np.median(a[hit, steps])))
    one = np.zeros_like(first)
    return {"runs": f"{len(hit)}/{N}", "step": f"{np.median(run.exploded_at[hit]):g}",
            "h1": med(run.state_norm, one), "h": med(run.state_norm, first),
            "V1": med(run.part_norm["V"], one), "V": med(run.part_norm["V"], first),
            "U1": med(run.part_norm["U"], one), "U": med(run.part_norm["U"], first),
            "W": med(run.part_norm["W"], first)}


def start_of(run: Runs) -> dict[str, str]:
    """Step 1, before any update: the median loss per time step over the runs, its smallest and
    largest value ("lo–hi"), and the median last state ‖h_T‖ (mean over the batch)."""
    loss, h = run.loss[:, 0], run.state_norm[:, 0]
    return {"loss": median_or_dash(loss, ".2f", 1e-6),
            "range": f"{fmt(float(loss.min()), '.2f', rel=1e-6)}–{fmt(float(loss.max()), '.2f', rel=1e-6)}",
            "h": plain(float(np.median(h)))}


def best(stats: list[dict[str, str]]) -> int:
    """The η of the sweep to report: most runs surely learned (the lower end of an interval), then
    fewest runs possibly diverged (the upper end), then the lowest
    median final L/T (where printed), then a setting that is not chaotic, then the smallest η."""
    def loss(s: dict[str, str]) -> float:
        return float(s["loss"]) if s["loss"] not in ("?", "—") else math.inf
    def bounds(text: str) -> tuple[int, int]:             # the interval a printed count stands for
        if text == "?":
            return 0, N
        k = int(text.split("/")[0].lstrip("≤≥"))
        return (0, k) if text[0] == "≤" else (k, N) if text[0] == "≥" else (k, k)
    score = [(-bounds(s["learned"])[0], bounds(s["diverged"])[1], loss(s), s["loss"] == "?", i)
             for i, s in enumerate(stats)]
    return min(score)[-1]


def main() -> Result:
    print(f"Task: delayed recall, output the token seen {TASK.delay} steps earlier ({TASK.K} tokens,\n"
          f"  T = {TASK.T}, batch {TASK.B}, a fresh batch each step; chance: ln {TASK.K}).\n"
          f"Model: h_t = h_(t-1) + α tanh(U h_(t-1) + W x_t + b), o_t = V h_t + b_o, H = {H};\n"
          f"  U ~ N(0, 1/H) entries. Plain SGD, {STEPS} steps, float64, torch autograd.\n"
          f"Sweep: every remedy at η = {', '.join(f'{lr:g}' for lr in LRS)}, {N} runs each (seeds 0-{N - 1}:\n"
          f"  each its own initial weights and its own batches).\n"
          f"A run diverges when its loss per time step exceeds {LOSS_MAX:g} or, for every remedy but\n"
          f"  clipping, when ‖g‖₂ > {EXPLODE:g} (‖g‖₂: the Euclidean norm of all parameter gradients\n"
          f"  stacked into one vector); it is stopped there (nothing after that is used). A clipped\n"
          f"  run is not stopped by its ‖g‖₂ before clipping.\n")
    values: dict[str, str] = {"n": str(N), "chance": fmt(math.log(TASK.K), ".3f"), "steps": str(STEPS),
                              "lrs": ", ".join(f"{lr:g}" for lr in LRS), "window": str(WINDOW),
                              "explode": f"{EXPLODE:g}", "chaos-rel": f"{10 * SENSITIVE:g}"}
    sweep_rows, rows, trigger_rows, best_runs, start_rows = [], [], [], {}, []
    for key, r in REMEDIES.items():
        stats = []
        for lr, (run, twin, chaotic) in zip(LRS, sweep(key)):
            if lr == LRS[0]:                   # step 1 is before any update: the same for every η
                start = start_of(run)
                start_rows.append([r.name, start["loss"], start["range"], start["h"]])
                values.update({f"{key}-start-{k}": v for k, v in start.items()})
            st = summary(key, run, twin, chaotic)
            ex = at_explosion(run) if key in TRIGGER and not chaotic else None
            if ex is not None:
                trigger_rows.append([REMEDIES[key].name, f"{lr:g}", ex["runs"], ex["step"], f"{ex['h1']} → {ex['h']}",
                                     f"{ex['V1']} → {ex['V']}", f"{ex['U1']} → {ex['U']}", ex["W"]])
                values.update({f"{key}-{lr:g}-ex-{k}": v for k, v in ex.items()})
            stats.append(st)
            sweep_rows.append([r.name, f"{lr:g}", st["diverged"], st["learned"], st["loss"]])
            values.update({f"{key}-{lr:g}-{k}": st[k] for k in ("diverged", "learned", "loss")})
            best_runs.setdefault(key, []).append((run, chaotic))
        i = best(stats)
        st = stats[i]
        best_runs[key] = best_runs[key][i]
        rows.append([r.name, f"{LRS[i]:g}", st["diverged"], st["exploded"], st["step"], st["learned"], st["loss"],
                     st["outside"], st["rho"]])
        values.update({f"{key}-{k}": v for k, v in st.items()})
        values[f"{key}-lr"] = f"{LRS[i]:g}"
    print(f"0. The start: loss per time step L/T and the last state ‖h_T‖ (mean over the batch) at\n"
          f"   step 1, before any update (the same for every η), over the {N} runs: median, and\n"
          f"   smallest-largest L/T (chance: ln {TASK.K} = {values['chance']}).")
    print(table(["remedy", "L/T at step 1", "range", "‖h_T‖ at step 1"], start_rows))
    print("\n1. The sweep: runs diverged and learned (of N), median final L/T of the runs that did not\n"
          "   diverge (— where every run diverged; ? where training is chaotic).")
    print(table(["remedy", "η", "diverged", "learned", "final L/T"], sweep_rows))
    print("\n2. Each remedy at its best η: most runs surely learned (an interval: its lower end), then\n"
          "   fewest runs possibly diverged (its upper end), then the lowest final L/T (where it is\n"
          "   printed), then a setting that is not chaotic, then the smallest η.")
    print(table(["remedy", "η", "diverged", f"‖g‖₂ > {EXPLODE:g}", "first step", "learned", "final L/T",
                 "outside disc", "ρ(J)"], rows))
    edge = [r[0] for r in rows if r[1] == f"{LRS[-1]:g}"]
    print(f"Best at the largest η of the grid ({LRS[-1]:g}), so the grid does not bracket their best η:\n"
          f"  {'; '.join(edge) or 'none'}.")
    print(f"\ndiverged: runs stopped (of {N}). ‖g‖₂ > {EXPLODE:g}: runs whose gradient norm passed it\n"
          f"  at some step; first step: the median of the first such step. final L/T: loss per\n"
          f"  time step, mean over the last {LAST} steps (each on a fresh batch), median over the runs\n"
          f"  that did not diverge (chance: ln {TASK.K} = {values['chance']}); learned: runs whose final\n"
          f"  L/T is below {LEARNED} ln {TASK.K}.\n"
          f"outside disc: eigenvalues μ of J - I at f' = 1 (αU; β(U - I) for the leaky update)\n"
          f"  with |1 + μ| > 1, counted over all runs ({N * H} eigenvalues), at initialisation →\n"
          f"  after training (runs that did not diverge). ρ(J) = max |1 + μ|, the growth per\n"
          "  step of the linearised update: median over runs, before → after.\n"
          f"?: training is chaotic there: a twin of some run, its initial W multiplied by\n"
          f"  1 + {TWIN:g}, diverges at another step, ends on the other side of the 'learned' edge,\n"
          f"  or ends with a final L/T changed by more than {10 * SENSITIVE:g} (relative); its digits\n"
          f"  differ between CPUs, and so may its exact counts. Over the run and its twin the count\n"
          f"  lies in [lo, hi] (a run within {CHAOS_MARGIN:.0%} of the 'learned' edge, or whose loss, or unclipped\n"
          f"  ‖g‖₂, came within a factor {NEAR:g} of its threshold, counting on either side); it is shown as\n"
          f"  0/{N} or {N}/{N} when sure, ≤{N // 2}/{N} when hi ≤ {N // 2}, ≥{N // 2}/{N} when lo ≥ {N // 2}, else as ?.\n"
          f"  A clipped run is stopped only by its loss.")
    print(f"\n3. What the gradient is made of when it first passes {EXPLODE:g}: the diverging rows (not chaotic),\n"
          f"   medians over the runs that passed it, at step 1 → at that step. ‖h_T‖: the last state\n"
          f"   (mean over the batch); ‖∂L/∂V‖_F: the output layer's weight; ‖∂L/∂U‖_F, ‖∂L/∂W‖_F.")
    print(table(["remedy", "η", f"‖g‖₂ > {EXPLODE:g}", "first step", "‖h_T‖", "‖∂L/∂V‖_F", "‖∂L/∂U‖_F",
                 "‖∂L/∂W‖_F"], trigger_rows))

    curves = {}  # remedy key -> (median loss, median norm), as plotted: each at its best η, not chaotic
    for key in REMEDIES:
        run, chaotic = best_runs[key]
        if chaotic:
            continue                      # chaotic: no curve of it is the same on every CPU
        live = ~np.isnan(run.loss)
        m = np.array([np.median(run.loss[live[:, s], s]) if live[:, s].any() else np.nan for s in range(STEPS)])
        g = np.array([np.median(run.norm[live[:, s], s]) if live[:, s].any() else np.nan for s in range(STEPS)])
        curves[key] = (round_sig(m, 2), round_sig(g, 2), values[key + "-lr"])
    return Result(figures={"residual-remedies.svg": partial(_draw, curves)}, values=values)


ZH_NAMES = {  # the Chinese figure's labels of REMEDIES
    "none": "无：(6.50)，α = 1", "alpha": "更小的 α = 0.1", "leaky": "泄漏更新，β = 0.1",
    "disc": "圆盘内初始化，ω = 0.5", "small": "初始化时较小的 U，s = 0.1", "decay": "权重衰减 0.01",
    "truncate": f"截断的随时间反向传播，ℓ = {WINDOW}", "layernorm": "状态的 LayerNorm",
    "gate": "GRU 式门控", "clip": "按模截断，g_max = 1",
}


def _draw(curves: dict, s: Style):
    """Top: median loss per time step of the live runs; bottom: their median gradient norm; each
    remedy at its best η."""
    fig, (ax_l, ax_g) = figure(2, 1, height=8.4, sharex=True)
    steps = np.arange(1, STEPS + 1)
    colours = ("blue", "orange", "green", "red", "purple", "brown", "pink", "olive", "grey", "cyan")
    for key, (m, g, lr) in curves.items():
        i = list(REMEDIES).index(key)
        colour, ls = s.c(colours[i]), "--" if i % 2 else "-"
        label = s.t(f"{REMEDIES[key].name}, η = {lr}", f"{ZH_NAMES[key]}，η = {lr}")
        ax_l.plot(steps, m, ls, color=colour, lw=1.4, label=label)
        ax_g.plot(steps, g, ls, color=colour, lw=1.4)
    ax_l.axhline(math.log(TASK.K), color=s.c("grey"), ls=":", lw=1.2, label=s.t(f"chance, ln {TASK.K}", f"随机水平 ln {TASK.K}"))
    ax_g.axhline(EXPLODE, color=s.c("grey"), ls=":", lw=1.2)
    for ax in (ax_l, ax_g):
        ax.set_yscale("log")
        ax.set_xlim(0, STEPS)
    ax_l.set_ylim(0.7, 2.0)               # diverging runs leave at the top (they stop there)
    ax_g.set_xlabel(s.t("training step", "训练步数"))
    ax_l.set_ylabel(s.t("loss per time step", "每步损失"))
    ax_g.set_ylabel(s.t(f"‖g‖₂ before clipping (dotted: {EXPLODE:g})", f"截断前的 ‖g‖₂（点线：{EXPLODE:g}）"))
    ax_l.set_title(s.t("medians of the live runs, each remedy at its best η", "仍在训练的运行的中位数，每种方法取最佳 η"),
                   fontsize=10)
    fig.legend(loc="outside lower center", ncols=1, fontsize=10)
    return fig
