"""A toy long experiment for tests/test_longrun.py: a noisy geometric decay, one run per seed."""

from __future__ import annotations

import numpy as np

SCALE = 1.0  # tests plant a change of the "committed code" by changing this


def configs() -> list[dict]:
    return [{"seed": s} for s in range(3)]


def run(config: dict, steps: int | None = None) -> dict:
    rng = np.random.default_rng(config["seed"])
    x, trace = 1.0, []
    for _ in range(10 if steps is None else steps):
        x *= SCALE * (0.9 + 0.01 * rng.standard_normal())
        trace.append(float(f"{x:.6g}"))
    return {"trace": trace, "final": trace[-1]}


def fingerprint(config: dict, record: dict, steps: int) -> str:
    return f"seed {config['seed']}: " + " ".join(f"{v:.3f}" for v in record["trace"][:steps])
