"""The clipping experiment for 400 steps instead of 80: a long-tier experiment.

The delayed-recall task and the tanh RNN of ``solutions.experiments.clipping_train`` (U = 1.5 × an
orthogonal matrix, plain SGD, the same stopping rule), trained for ``STEPS`` steps on the seeds
``SEEDS`` at the settings ``SETTINGS``: unclipped at three learning rates around the 80-step
sweep's best (0.03) and below its first failing one (0.1), clipped by value and by norm at
the learning rates where they trained in the 80-step sweep. Each run also has its twin (initial W
× (1 + PERTURB)), so that a median whose digits another CPU would change can be marked.

A run's batches are the demo's batches followed by more from the same generator, so its first
80 steps are the demo's run. The replay reruns the first ``REPLAY`` steps of two runs that are
not chaotic and prints their loss at that step.
"""

from __future__ import annotations

import math

import numpy as np

from solutions.experiments import clipping_train as ct
from solutions.publish.report import PERTURB

STEPS = 400
READ = (80, 120, 160, 200, 300, 400)         # steps whose loss the record keeps (the table's columns)
SETTINGS = (("none", 0.03), ("none", 0.05), ("none", 0.07),
            ("value", 0.1), ("value", 0.3), ("norm", 0.1), ("norm", 0.3), ("norm", 1.0))
SEEDS = tuple(range(6))
REPLAY = 80


def configs() -> list[dict]:
    """Every setting × seed, each as a run and its twin (``perturb`` = 0 or ``PERTURB``)."""
    return [{"mode": m, "lr": lr, "seed": s, "perturb": p}
            for m, lr in SETTINGS for s in SEEDS for p in (0.0, PERTURB)]


def run(config: dict, steps: int | None = None) -> dict:
    """Train one run for ``steps`` (default ``STEPS``) steps; its record.

    Returns
    -------
    record : dict
        ``loss``: {step: L/T before that update, or None after a stop} for the steps of ``READ``
        not beyond ``steps``; ``stopped``: whether the run stopped (diverged) before ``steps``;
        ``spike``: the first step whose ‖g‖ exceeds ``ct.SPIKE`` × its step-1 value (0: none);
        ``max_ratio``: the largest ‖g‖ over the run divided by its step-1 value; ``clipped``:
        the number of steps with ‖g‖ > ``ct.MAX_NORM`` and ``steps_run``, the steps taken.
    """
    n = STEPS if steps is None else steps
    if not 1 <= n <= STEPS:
        raise ValueError(f"steps must be None or an int in [1, {STEPS}]; got {steps!r}")
    losses, norms, _ = ct.train(config["mode"], config["seed"], perturb=config["perturb"], lr=config["lr"], steps=n)
    live = ~np.isnan(norms)

    def num(x: float) -> float | None:
        return None if math.isnan(x) else float(x)

    return {"loss": {str(s): num(losses[s - 1]) for s in READ if s <= n}, "stopped": not bool(live.all()),
            "spike": ct.first_spike(norms), "max_ratio": float(np.nanmax(norms) / norms[0]),
            "clipped": int((norms[live] > ct.MAX_NORM).sum()), "steps_run": int(live.sum())}


def fingerprint(config: dict, record: dict, steps: int) -> str:
    """The loss per time step at step ``steps`` to three digits (or fewer next to a rounding edge)."""
    from solutions.experiments.longrun import robust

    x = record["loss"][str(steps)]
    return (f"{config['mode']}, lr {config['lr']:g}, seed {config['seed']}: "
            f"L/T @{steps} = {'—' if x is None else robust(x)}")
