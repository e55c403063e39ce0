"""The remedies of 6-3 trained ten times longer than in ``residual-remedies``: a long-tier experiment.

The demo ``residual-remedies`` trains (6.50) and each remedy for ``remedies_sweep.STEPS`` SGD
steps, every remedy at every learning rate η of its sweep. Its verdicts are "within that many
steps", and the rows start from different losses. This experiment trains the same runs — the
same task, model size, remedies, seeds, batches, stopping rules and twin runs (the initial ``W``
multiplied by ``1 + TWIN``, to see where training is chaotic) — for ``STEPS`` steps, on the same
grid of η plus ``EXTRA_LRS`` (one value beyond the demo's largest). One configuration is one
remedy at every η (its runs and their twins train together, as in the demo); the record keeps, per run,
the mean loss per time step over the ``LAST`` steps ending at each step of ``CHECKS``, the
step at which it was stopped, its largest gradient norm, its last state's norm and the loss
curve in blocks of ``BLOCK`` steps. The replay reruns the first ``PREFIX`` steps.
"""

from __future__ import annotations

import math

import numpy as np

from solutions.experiments import remedies_sweep as sweep
from solutions.experiments.remedies import train

STEPS = 800                       # ten times the demo's
CHECKS = (80, 200, 400, 800)      # steps at which the final loss (mean over the LAST steps before) is kept
EXTRA_LRS = (10.0,)               # beyond the demo's grid, to see whether its largest η is the best
LRS = sweep.LRS + EXTRA_LRS
BLOCK = 10                        # the loss curve is kept as means over blocks of BLOCK steps
PREFIX = 10                       # the replay's steps
LAST = sweep.LAST


def _six(x: float) -> float | None:
    """Six significant digits, None for NaN (a run stopped before)."""
    return float(f"{x:.6g}") if np.isfinite(x) else None


def configs() -> list[dict]:
    """One configuration per remedy (``remedies_sweep.REMEDIES``, in order); each trains every η of ``LRS``."""
    return [{"remedy": key} for key in sweep.REMEDIES]


def run(config: dict, steps: int | None = None) -> dict:
    """Train the ``N`` runs of one remedy at every η of ``LRS``, and their twins, for ``steps``
    (default ``STEPS``), all in one batched training.

    Returns
    -------
    dict
        Per η (key ``f"{η:g}"``), lists over the ``2N`` runs (the ``N`` runs, then their twins):
        ``prefix`` (loss per time step at each of the first ``PREFIX`` steps), ``final`` (per step
        of ``CHECKS`` reached: the mean loss per time step over the ``LAST`` steps ending there,
        None if the run was stopped before), ``diverged_at`` (0: never), ``exploded_at``,
        ``max_norm`` (the largest ‖g‖₂ before clipping), ``h_last`` (‖h_T‖ at the last step it
        ran), ``curve`` (means over blocks of ``BLOCK`` steps; the ``N`` runs only).
    """
    n = STEPS if steps is None else steps
    if n < PREFIX:
        raise ValueError(f"steps must be at least PREFIX = {PREFIX}; got {steps!r}")
    N, K = sweep.N, len(LRS)
    seeds = [s for _ in LRS for s in range(N)] * 2
    lrs = [lr for lr in LRS for _ in range(N)] * 2
    perturb = [0.0] * (K * N) + [sweep.TWIN] * (K * N)
    runs = train(sweep.REMEDIES[config["remedy"]], sweep.TASK, sweep.H, seeds, n, lrs, sweep.EXPLODE,
                 sweep.LOSS_MAX, log="residual-remedies-long", perturb=perturb)
    out = {}
    for i, lr in enumerate(LRS):
        rows = [i * N + j for j in range(N)] + [K * N + i * N + j for j in range(N)]
        loss = runs.loss[rows]
        last_live = [int(np.flatnonzero(np.isfinite(row))[-1]) for row in runs.state_norm[rows]]
        out[f"{lr:g}"] = {
            "prefix": [[_six(v) for v in row[:PREFIX]] for row in loss],
            "final": {str(c): [_six(float(row[c - LAST:c].mean())) for row in loss] for c in CHECKS if c <= n},
            "diverged_at": runs.diverged_at[rows].tolist(),
            "exploded_at": runs.exploded_at[rows].tolist(),
            "max_norm": [_six(float(np.nanmax(row))) for row in runs.norm[rows]],
            "h_last": [_six(float(row[k])) for row, k in zip(runs.state_norm[rows], last_live)],
            "curve": [[_six(float(row[b:b + BLOCK].mean())) for b in range(0, n - BLOCK + 1, BLOCK)]
                      for row in loss[:N]],
        }
    return out


def fingerprint(config: dict, record: dict, steps: int) -> str:
    """Per η, the loss per time step of each of the ``N`` runs at steps 1 and ``steps``, to three
    significant digits where no CPU can flip the last one ("stop" where the run was stopped)."""
    from solutions.experiments.longrun import robust

    def at(row: list, s: int) -> str:
        v = row[s - 1]
        return "stop" if v is None or not math.isfinite(v) else robust(v)

    lines = [f"  η = {lr:g}: " + "; ".join(" ".join(at(row, s) for s in (1, steps))
                                         for row in record[f"{lr:g}"]["prefix"][:sweep.N]) for lr in LRS]
    return f"{config['remedy']}:\n" + "\n".join(lines)
