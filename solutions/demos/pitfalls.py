"""Five wrong BPTT gradients from students' posts: the gradient check catches each, the loss does not."""

from __future__ import annotations

import textwrap
from functools import partial

import numpy as np

from solutions import pitfalls
from solutions.gradcheck import PARAM_KEYS, gradient_check, loss_and_grads, max_abs
from solutions.params import random_params
from solutions.pitfalls import implementation
from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, claim, fmt, table
from solutions.sequence import rnn_backward, rnn_forward

SEED, T, B, I, H = 0, 6, 3, 4, 5
TRUNCATE = 3          # window of the truncated rows
THRESHOLD = 1e-7      # a correct float64 gradient stays far below it
MARGIN = 20           # ... by this factor at least (checked), so a pass holds on any CPU
REL = 1e-6            # relative change the printed digits must survive (finite differences, SGD)
STEPS, LR = 50, 0.02  # the SGD run of the "what the loss shows" table
SHOWN = ("W_ih", "W_hh", "b_ih")


def problem(seed: int = SEED, T: int = T, B: int = B, I: int = I, H: int = H) -> tuple:
    """``x`` (T, B, I), ``h0`` (B, H), ``params`` and targets ``y`` (T, B, H): a teacher RNN's states."""
    rng = np.random.default_rng(seed)

    x = rng.standard_normal((T, B, I))
    h0 = 0.5 * rng.standard_normal((B, H))
    teacher, params = (random_params(rng, I, H, std=0.3, bias_std=0.2) for _ in range(2))
    return x, h0, params, rnn_forward(x, h0, teacher)[0]


def cases(params: dict[str, np.ndarray]) -> list[tuple[str, str | None, int | None, np.ndarray | None]]:
    """Rows of the check: (label, variant or None, truncate, global ``ba`` or None for a sequence row)."""
    b = params["b_ih"] + params["b_hh"]
    return [
        ("correct", None, None, None),
        ("forward_without_tanh", "forward_without_tanh", None, None),
        (f"correct, truncate={TRUNCATE}", None, TRUNCATE, None),
        (f"truncated_uses_h_t, truncate={TRUNCATE}", "truncated_uses_h_t", TRUNCATE, None),
        ("sums_into_wrong_variable", "sums_into_wrong_variable", None, None),
        ("transposed_outer_product", "transposed_outer_product", None, None),
        ("correct cell", None, None, b),
        ("reads_global, ba = bias", "reads_global", None, b),
        ("reads_global, ba stale", "reads_global", None, b + 0.5),
    ]


def _run(variant, truncate, ba, x, h0, params, y):
    """Forward/backward pair and the inputs of one row (a cell row uses step 1 only)."""
    cell = ba is not None
    forward, backward = implementation(variant, truncate=truncate, cell=cell, ba=ba)
    return (forward, backward, x[0], y[0]) if cell else (forward, backward, x, y)


def sgd(forward, backward, x, h0, params, y) -> list[float]:
    """The loss over ``STEPS`` steps of SGD with the gradients ``backward`` returns (stops at NaN/inf)."""
    p = {k: v.copy() for k, v in params.items()}
    losses = []
    for step in range(STEPS + 1):
        with np.errstate(all="ignore"):
            try:
                loss, grads = loss_and_grads(forward, backward, x, h0, p, y)
            except ValueError:            # rnn_backward refuses a NaN/inf dh
                loss = float("nan")
        losses.append(loss)
        if not np.isfinite(loss):
            break
        for k in PARAM_KEYS:
            p[k] -= LR * grads[k]
    return losses


def _err(e: float, what: str = "error") -> str:
    """``≤ 1e-07`` (the threshold, held with a factor 20 to spare) for a passing error, whose exact
    size is rounding noise that differs by CPU; three decimals for the large ones a bug gives."""
    return fmt(e, ".3f", rel=REL) if e >= 1e-3 else claim(e, THRESHOLD, MARGIN, what=what)


def _plotted(e: float) -> float:
    """Where the figure draws an error: its printed value, or THRESHOLD / MARGIN for a pass."""
    text = _err(e)
    return THRESHOLD / MARGIN if text.startswith("≤") else float(text)


def _loss_cells(losses: list[float]) -> list[str]:
    at = [fmt(losses[s], ".3f", rel=REL) if s < len(losses) and np.isfinite(losses[s]) else "NaN"
          for s in (0, 10, STEPS)]
    low, when = min((v, s) for s, v in enumerate(losses) if np.isfinite(v))
    return at + [f"{fmt(low, '.3f', rel=REL)} ({when})"]


def symptoms(x, h0, params, y, nan_step: int) -> list[tuple[str, str]]:
    """One measured line per bug on what it looks like from outside the gradient check."""
    h_lin = implementation("forward_without_tanh")[0](x, h0, params)[0]
    facts = [("forward_without_tanh", (f"largest state {fmt(np.abs(h_lin).max(), '.2f')}, outside tanh's (-1, 1);"
                                      f" where 1-h^2 < 0, SGD climbs: the loss is NaN at step {nan_step}"))]
    for name in ("truncated_uses_h_t", "sums_into_wrong_variable"):
        err = max(gradient_check(*implementation(name, truncate=1), x, h0, params, y, truncate=1).values())
        facts.append((name, f"with truncate=1 the inner loop never steps: max error {_err(err, name)}, passes"))
    h, cache = rnn_forward(x, h0, params)
    right, wrong = rnn_backward(h - y, cache), pitfalls.transposed_outer_product(h - y, cache)
    transposed = max_abs(wrong["W_hh"], right["W_hh"].T)
    others = max(max_abs(wrong[k], right[k]) for k in right if k != "W_hh")
    facts.append(("transposed_outer_product", (f"its W_hh is the right one transposed (max abs diff"
                                              f" {claim(transposed, 1e-12, what='W_hh transposed')}); every other"
                                              f" gradient: {claim(others, 1e-12, what='other gradients')}")))
    full = gradient_check(*implementation(None, truncate=TRUNCATE), x, h0, params, y)
    facts.append((f"correct, truncate={TRUNCATE}", ("checked against the FULL loss, not the windowed one:"
                                                 f" W_hh error {_err(full['W_hh'])}; a wrong reference, not a bug")))
    return facts


def main() -> Result:
    x, h0, params, y = problem()
    print(f"float64, T = {T}, B = {B}, I = {I}, H = {H}, seed {SEED}; cell rows: step 1 only.")
    print("L = 1/2 sum_t ||h_t - y_t||^2 with y_t a teacher RNN's states.")
    print("Relative error max|g - n| / max(|g| + |n|) against central differences")
    print(f"(eps = 1e-6), per parameter; caught when one exceeds {THRESHOLD:.0e}. A pass is")
    print(f"printed as that bound, held with a factor {MARGIN} to spare: its size is rounding noise.")
    print("b_hh gets b_ih's gradient (only their sum enters), so its column is left out.\n")

    rows, errors, curves = [], {}, []
    for label, variant, truncate, ba in cases(params):
        forward, backward, xs, ys = _run(variant, truncate, ba, x, h0, params, y)
        err = gradient_check(forward, backward, xs, h0, params, ys, truncate=truncate)
        errors[label] = err
        verdict = "caught" if max(err.values()) > THRESHOLD else "passes"
        rows.append([label, *(_err(err[k], f"{label} {k}") for k in SHOWN), verdict])
        curves.append(sgd(forward, backward, xs, h0, params, ys))
    print(table(["implementation", *SHOWN, "verdict"], rows))

    print("\nWhere each bug hides, measured on the same problem:")
    nan_step = len(curves[list(errors).index("forward_without_tanh")]) - 1
    for name, text in symptoms(x, h0, params, y, nan_step):
        print(textwrap.fill(text, 76, initial_indent=f"- {name}: ", subsequent_indent="    "))

    print(f"\nWhat the loss shows: {STEPS} steps of SGD, learning rate {LR}, same start")
    print(table(["implementation", "step 0", "step 10", f"step {STEPS}", "lowest (step)"],
                [[label, *_loss_cells(c)] for label, c in zip(errors, curves)]))

    plotted = {lab: {k: _plotted(errors[lab][k]) for k in PARAM_KEYS} for lab in errors}
    return Result(figures={"pitfalls-gradcheck.svg": partial(_draw, plotted)},
                  values=prose_values(x, h0, params, y, errors, dict(zip(errors, curves)), nan_step))


def _draw(plotted: dict[str, dict[str, float]], s: Style):
    fig, ax = figure(height=6.0)
    labels = list(plotted)
    markers = {"W_ih": "o", "W_hh": "s", "b_ih": "^", "b_hh": "v"}
    for j, (k, colour) in enumerate(zip(PARAM_KEYS, ("blue", "orange", "green", "purple"))):
        ax.scatter([plotted[lab][k] for lab in labels], np.arange(len(labels)) + (j - 1.5) * 0.1,
                   marker=markers[k], color=s.c(colour), label=k, zorder=3)
    for i, lab in enumerate(labels):  # each implementation's name above its row: the plot keeps the full width
        ax.text(2e-12, i - 0.33, lab, fontsize=10, va="center", color=s.c("ink"))
    ax.axvline(THRESHOLD, color=s.c("red"), lw=1.2, ls="--", label=s.t(f"threshold {THRESHOLD:.0e}", f"阈值 {THRESHOLD:.0e}"))
    ax.set_xscale("log")
    ax.set_xlim(1e-12, 3)
    ax.set_xticks([1e-12, 1e-8, 1e-4, 1])
    ax.set_yticks([])
    ax.set_xlabel(s.t("relative error vs finite differences", "相对误差（对比中心有限差分）"))
    ax.axvspan(1e-12, THRESHOLD, color=s.c("green"), alpha=0.08)
    ax.axvspan(THRESHOLD, 3, color=s.c("red"), alpha=0.08)
    ax.text(2e-12, -0.95, s.t("passes", "通过"), color=s.c("green"), fontweight="bold")
    ax.text(2e-6, -0.95, s.t("caught", "被查出"), color=s.c("red"), fontweight="bold")
    ax.set_ylim(len(labels) - 0.6, -1.25)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=10)
    return fig


def prose_values(x, h0, params, y, errors, curves, nan_step: int) -> dict[str, str]:
    """The numbers the page's prose quotes, formatted as the tables print them."""
    cells = {label: _loss_cells(c) for label, c in curves.items()}   # step 0, 10, STEPS, lowest (step)
    caught = [e for err in errors.values() for e in err.values() if e > THRESHOLD]
    h_lin = implementation("forward_without_tanh")[0](x, h0, params)[0]

    def span(label: str, spec: str) -> str:
        e = [errors[label][k] for k in PARAM_KEYS]
        return f"{fmt(min(e), spec, rel=REL)}–{fmt(max(e), spec, rel=REL)}"

    trunc = f"truncated_uses_h_t, truncate={TRUNCATE}"
    lowest, step = cells["transposed_outer_product"][3].split()
    return {
        "largest-state": fmt(np.abs(h_lin).max(), ".2f"),
        "nan-step": str(nan_step),
        "smallest-bug-error": fmt(min(caught), ".2f", rel=REL),
        "truncated-error-range": span(trunc, ".2f"),
        "truncated-loss": cells[trunc][2],
        "correct-truncated-loss": cells[f"correct, truncate={TRUNCATE}"][2],
        "wrong-variable-error-range": span("sums_into_wrong_variable", ".2f"),
        "wrong-variable-loss-10": cells["sums_into_wrong_variable"][1],
        "wrong-variable-lowest": cells["sums_into_wrong_variable"][3].split()[0],
        "wrong-variable-loss": cells["sums_into_wrong_variable"][2],
        "transposed-lowest": lowest,
        "transposed-lowest-step": step.strip("()"),
        "transposed-loss": cells["transposed_outer_product"][2],
        "transposed-error": _err(errors["transposed_outer_product"]["W_hh"]),
        "stale-loss": cells["reads_global, ba stale"][2],
        "correct-cell-loss": cells["correct cell"][2],
        "stale-error": _err(errors["reads_global, ba stale"]["b_ih"]),
        "steps": str(STEPS),
        "full-loss-error": _err(gradient_check(*implementation(None, truncate=TRUNCATE), x, h0, params, y)["W_hh"]),
    }
