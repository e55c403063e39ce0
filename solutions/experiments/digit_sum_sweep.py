"""The digit-sum comparison, swept: each model at its best learning rate, chosen on a dev split.

The task of ``solutions/digit_sum.py``: ``L`` uniform random digits, the answer ``d_1 + d_2``
(19 classes), read from the last state ``h_L`` by a linear layer ``o = V h_L + b_o``; the other
``L − 2`` digits are distractors. Five models: the simple RNN (tanh), the LSTM with its
forget-gate bias ``b_f = b_if + b_hf`` set to 0, 1 and 2, and the GRU (torch's reset-after
form); one layer, ``H = 32``, one-hot digits in, PyTorch's default initialisation
U(−1/√H, 1/√H) apart from ``b_f`` (``digit_sum.init_params``); float64.

For each model and length, every seed of ``SEEDS`` is trained at every learning rate of
``LRS``: Adam, ``STEPS`` steps of ``BATCH`` fresh sequences. Each seed has its own data — its
own training stream, dev set (``DEV`` sequences) and test set (``TEST``), from generators
seeded by ``(seed, L, purpose)`` — and its own initial weights (the same for each learning
rate). A model's learning rate is the one with the highest mean dev accuracy over the seeds;
the comparison reports the test accuracy at that rate.

All ``len(SEEDS) × len(LRS)`` copies of one model train at once, in one graph
(``digit_sum.states`` with a leading copy axis): the loss is the sum of the copies' losses and
Adam's update (written out in ``adam_step``, with one learning rate per copy) is element-wise,
so each copy trains exactly as it would alone.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from solutions.experiments import digit_sum as ds

MODELS = {"SRN": ("rnn", None), "LSTM b_f=0": ("lstm", 0.0), "LSTM b_f=1": ("lstm", 1.0),
          "LSTM b_f=2": ("lstm", 2.0), "GRU": ("gru", None)}
"""Display name → (kind, forget-gate bias ``b_if + b_hf``)."""
LRS = (0.003, 0.01, 0.03)
LENGTHS = (20, 35, 10)  # in the order they run: a partial run covers 20 and 35 first
SEEDS = (0, 1, 2, 3, 4)
STEPS, BATCH, DEV, TEST, LOSS_EVERY = 1000, 32, 500, 1000, 100
BETAS, EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
LEARNED = 50  # per cent: a seed "learned" the task when its test accuracy is at least this
_PURPOSE = {"train": 0, "dev": 1, "test": 2}


def copies() -> list[tuple[int, float]]:
    """``(seed, lr)`` of each trained copy, seed-major."""
    return [(s, lr) for s in SEEDS for lr in LRS]


def rng(seed: int, L: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([seed, L, _PURPOSE[purpose]])


def data_sets(L: int, n: int, purpose: str, streams=None) -> tuple[np.ndarray, np.ndarray]:
    """One set of ``n`` sequences per copy: digits (S, n, L), labels (S, n)."""
    streams = streams or {s: rng(s, L, purpose) for s in SEEDS}
    per_seed = {s: ds.make_data(L, n, streams[s]) for s in SEEDS}
    pairs = [per_seed[s] for s, _ in copies()]
    return np.stack([d for d, _ in pairs]), np.stack([y for _, y in pairs])


def adam_step(params: dict[str, torch.Tensor], state: dict[str, tuple[torch.Tensor, torch.Tensor]],
              lr: torch.Tensor, t: int) -> None:
    """One Adam update (``torch.optim.Adam``'s rule) of every parameter, copy ``s`` at rate ``lr[s]``.

    ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``,
    ``p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)``; ``lr`` is (S,), ``t`` counts from 1.
    """
    b1, b2 = BETAS
    with torch.no_grad():
        for key, p in params.items():
            m, v = state.setdefault(key, (torch.zeros_like(p), torch.zeros_like(p)))
            g = p.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            step = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + EPS)
            p.sub_(lr.reshape(-1, *([1] * (p.ndim - 1))) * step)
            p.grad = None


def configs() -> list[dict]:
    """One job per model and length (each trains every seed at every learning rate)."""
    return [{"model": m, "L": L} for L in LENGTHS for m in MODELS]


def run(config: dict, steps: int | None = None) -> dict:
    """Train every ``(seed, lr)`` copy of one model at one length; ``steps`` stops early (replay).

    Returns
    -------
    dict
        ``copies``: per copy ``{"seed", "lr", "loss", "dev", "test"}`` — ``loss`` the mean
        training loss of each block of 100 steps (6 significant digits), ``dev``/``test`` the
        correct answers on the seed's dev set (of ``DEV``) and test set (of ``TEST``) after
        training; ``seconds``: wall time.
    """
    t0 = time.time()
    kind, fb = MODELS[config["model"]]
    L = config["L"]
    cp = copies()
    p = ds.init_params(kind, ds.H, [s for s, _ in cp], fb)
    lr = torch.tensor([r for _, r in cp], dtype=torch.float64)
    streams = {s: rng(s, L, "train") for s in SEEDS}
    state: dict = {}
    losses, block = [], []
    for t in range(1, (STEPS if steps is None else min(steps, STEPS)) + 1):
        digits, labels = data_sets(L, BATCH, "train", streams)
        o = ds.logits(p, ds.states(kind, p, digits)[-1])                  # (S, n, 19)
        each = torch.nn.functional.cross_entropy(o.transpose(1, 2), torch.as_tensor(labels),
                                                 reduction="none").mean(dim=1)   # (S,) mean loss per copy
        each.sum().backward()
        adam_step(p, state, lr, t)
        block.append(each.detach().numpy())
        if len(block) == LOSS_EVERY:
            losses.append(np.mean(block, axis=0))
            block = []
    counts = {}
    for purpose, n in (("dev", DEV), ("test", TEST)):
        digits, labels = data_sets(L, n, purpose)
        with torch.no_grad():
            pred = ds.logits(p, ds.states(kind, p, digits)[-1]).argmax(dim=2).numpy()
        counts[purpose] = (pred == labels).sum(axis=1)
    return {"copies": [{"seed": s, "lr": r, "loss": [float(f"{b[i]:.6g}") for b in losses],
                        "dev": int(counts["dev"][i]), "test": int(counts["test"][i])}
                       for i, (s, r) in enumerate(cp)],
            "seconds": round(time.time() - t0, 1)}


def fingerprint(config: dict, record: dict, steps: int) -> str:
    """The CPU-robust part of a job's first ``steps`` steps: each copy's block losses to 3 digits."""
    from solutions.experiments.longrun import robust

    lines = [f"{config['model']} L={config['L']}:"]
    for c in record["copies"]:
        loss = " ".join(robust(v) for v in c["loss"][:steps // LOSS_EVERY])
        lines.append(f"  seed {c['seed']} lr {c['lr']:g}: mean loss per 100 steps {loss}")
    return "\n".join(lines)


def prefix(config: dict, record: dict, steps: int) -> list[float]:
    """The numbers the replay checks: each copy's block losses in the first ``steps`` steps."""
    return [v for c in record["copies"] for v in c["loss"][:steps // LOSS_EVERY]]
