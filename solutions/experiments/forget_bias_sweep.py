"""The LSTM's forget-gate bias on the digit-sum task, at a lower learning rate and a longer budget.

The swept comparison (``digit_sum_sweep``) trains every model for ``STEPS`` = 1000 Adam steps at
the rates 0.003, 0.01 and 0.03; there the LSTM with forget-gate bias ``b_f = b_if + b_hf`` of 0 or
1 learned ``L = 20`` on no seed. This experiment asks whether that is a property of the bias or of
the rates and the budget: the same task (``L`` uniform random digits, the answer ``d_1 + d_2``),
the same model (one LSTM layer, ``H = 32``, one-hot input, PyTorch's default initialisation apart
from ``b_f``, float64), the same seeds with the same data streams, dev and test sets and initial
weights (``digit_sum_sweep.rng``, ``digit_sum.init_params``), the same Adam (``adam_step``) and
batch (32 fresh sequences a step) — only the rates are ``LRS`` (one below the sweep's grid, and
its lowest) and training runs ``STEPS`` steps, with the dev and test sets scored at every step
of ``CHECK``. At 1000 steps and rate 0.003 a copy is the sweep's copy, step for step (the test
suite checks its dev and test counts against the sweep's records).

One job per ``b_f`` trains every seed at every rate at once (copies in one graph, as in the sweep).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from solutions.experiments import digit_sum as ds
from solutions.experiments import digit_sum_sweep as sw

L = 20
BIASES = (1.0, 2.0, 0.0)  # in the order they run: a partial run has b_f = 1 first
LRS = (0.001, 0.003)
SEEDS = sw.SEEDS
STEPS = 3000
CHECK = (1000, 2000, 3000)
FIRST = 10  # the loss of each of the first FIRST steps is recorded (the replay compares them)


def configs() -> list[dict]:
    """One job per forget-gate bias (each trains every seed at every rate)."""
    return [{"b_f": b, "L": L} for b in BIASES]


def copies() -> list[tuple[int, float]]:
    """``(seed, lr)`` of each trained copy, seed-major."""
    return [(s, lr) for s in SEEDS for lr in LRS]


def _sets(n: int, purpose: str, streams=None) -> tuple[np.ndarray, np.ndarray]:
    streams = streams or {s: sw.rng(s, L, purpose) for s in SEEDS}
    per_seed = {s: ds.make_data(L, n, streams[s]) for s in SEEDS}
    pairs = [per_seed[s] for s, _ in copies()]
    return np.stack([d for d, _ in pairs]), np.stack([y for _, y in pairs])


def run(config: dict, steps: int | None = None) -> dict:
    """Train every ``(seed, lr)`` copy of one ``b_f``; ``steps`` stops early (the replay).

    Returns
    -------
    dict
        ``copies``: per copy ``{"seed", "lr", "first", "loss", "dev", "test"}`` — ``first`` the training
        loss of each of the first ``FIRST`` steps, ``loss`` the mean of each block of 100 steps
        (6 significant digits), ``dev``/``test`` the correct answers on the seed's dev set (of
        ``sw.DEV``) and test set (of ``sw.TEST``) after each step of ``CHECK`` reached;
        ``seconds``: wall time.
    """
    t0 = time.time()
    n_steps = STEPS if steps is None else min(steps, STEPS)
    cp = copies()
    p = ds.init_params("lstm", ds.H, [s for s, _ in cp], config["b_f"])
    lr = torch.tensor([r for _, r in cp], dtype=torch.float64)
    streams = {s: sw.rng(s, L, "train") for s in SEEDS}
    evals = {purpose: _sets(n, purpose) for purpose, n in (("dev", sw.DEV), ("test", sw.TEST))}
    state: dict = {}
    first, losses, block = [], [], []
    counts: dict[str, list] = {"dev": [], "test": []}
    for t in range(1, n_steps + 1):
        digits, labels = _sets(sw.BATCH, "train", streams)
        o = ds.logits(p, ds.states("lstm", p, digits)[-1])                # (S, n, 19)
        each = torch.nn.functional.cross_entropy(o.transpose(1, 2), torch.as_tensor(labels),
                                                 reduction="none").mean(dim=1)   # (S,)
        each.sum().backward()
        sw.adam_step(p, state, lr, t)
        loss = each.detach().numpy()
        if t <= FIRST:
            first.append(loss)
        block.append(loss)
        if len(block) == sw.LOSS_EVERY:
            losses.append(np.mean(block, axis=0))
            block = []
        if t in CHECK:
            for purpose, (d, y) in evals.items():
                with torch.no_grad():
                    pred = ds.logits(p, ds.states("lstm", p, d)[-1]).argmax(dim=2).numpy()
                counts[purpose].append((pred == y).sum(axis=1))
    return {"copies": [{"seed": s, "lr": r, "first": [float(f"{b[i]:.6g}") for b in first],
                        "loss": [float(f"{b[i]:.6g}") for b in losses],
                        "dev": [int(c[i]) for c in counts["dev"]], "test": [int(c[i]) for c in counts["test"]]}
                       for i, (s, r) in enumerate(cp)],
            "seconds": round(time.time() - t0, 1)}


def fingerprint(config: dict, record: dict, steps: int) -> str:
    """The CPU-robust part of a job's first ``steps`` (≤ ``FIRST``) steps: each seed's losses to 3 digits."""
    from solutions.experiments.longrun import robust

    lines = [f"LSTM b_f={config['b_f']:g} L={config['L']}:"]
    for c in record["copies"]:
        lines.append(f"  seed {c['seed']} lr {c['lr']:g}: loss of steps 1-{steps} " + " ".join(robust(v) for v in c["first"][:steps]))
    return "\n".join(lines)


def prefix(config: dict, record: dict, steps: int) -> list[float]:
    """The numbers the replay checks: each seed's loss at each of the first ``steps`` steps."""
    return [v for c in record["copies"] for v in c["first"][:steps]]
