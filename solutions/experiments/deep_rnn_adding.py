"""Long tier: the five structures of [solutions.experiments.depth][] trained on the adding problem.

The task (a variant of the adding problem of Hochreiter & Schmidhuber 1997 in our own simplified
form, not their exact setting): each input step carries two numbers, a value ``u_t ~ U(0, 1)``
and a marker ``m_t ∈ {0, 1}``; exactly two steps are marked, one in the first half of the sequence and one in the second; the target,
read from the last state, is the sum of the two marked values. Predicting the mean (1.0)
gives a mean squared error of 1/6 ≈ 0.167. Reading only the second (near) marked value and
predicting it plus 1/2 gives ``Var(u) = 1/12 ≈ 0.083``, so an MSE below the plateau threshold
``PLATEAU`` (0.1) does not need the first marker; only an MSE well below 1/12 needs the gradient to
reach back to it, ``T/2`` to ``T − 1`` steps before the last (``3T/4 − 1/2`` on average) — the
kind of depth the recurrent skip coefficient describes.

Protocol (``configs``): ``T = 20``; every structure at the width that brings its learned
numbers (recurrent part plus the output layer) closest to the simple RNN's at ``H = 32``
(``WIDTH``); Adam with learning rates ``LRS``, gradient norm clipped at ``CLIP``, batches of
``BATCH`` fresh sequences, ``STEPS`` steps; seeds ``SEEDS``, each with its own data stream and
initialisation (``numpy.random.default_rng([seed, 0])`` for the weights, ``[seed, 1]`` for the
data); every run is evaluated on the same 500 dev sequences (which choose each structure's
learning rate) and the same 500 test sequences (which only report). Float64 NumPy, the kernels of
[solutions.deep_rnn][] and [solutions.sequence][] (tested against autograd).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from solutions import sequence
from solutions.clipping import clip_grad_norm_
from solutions.deep_rnn import dt_backward, dt_forward, skip_backward, skip_forward
from solutions.experiments.depth import ARCHS, DEPTH, SKIP, count_params, init_params, reach
from solutions.publish.report import fmt

T = 20
I = 2
BATCH = 32
STEPS = 2000
EVAL_EVERY = 100
EVAL_N = 500
DEV_SEED = 20161205     # the held-out sequences that choose the learning rate
TEST_SEED = 20170806    # other held-out sequences, only for reporting
LRS = (1e-3, 3e-3, 1e-2, 3e-2)
SEEDS = (0, 1, 2)
CLIP = 1.0
BASE_WIDTH = 32


def total_params(arch: str, H: int) -> int:
    """Learned numbers of ``arch`` at width ``H``: recurrent part plus the output layer (H + 1)."""
    return count_params(arch, I, H) + H + 1


def matched_width(arch: str) -> int:
    """The width ``H`` whose ``total_params`` is closest to the simple RNN's at ``BASE_WIDTH``."""
    target = total_params("simple", BASE_WIDTH)
    return min(range(1, 2 * BASE_WIDTH), key=lambda H: (abs(total_params(arch, H) - target), H))


#: The width of each structure (parameter counts matched to the simple RNN's).
WIDTH = {a: matched_width(a) for a in ARCHS}


def batch(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` adding-problem sequences: inputs (T, n, 2) and targets (n,)."""
    u = rng.uniform(0.0, 1.0, size=(T, n))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    m = np.zeros((T, n))
    m[first, np.arange(n)] = 1.0
    m[second, np.arange(n)] = 1.0
    y = u[first, np.arange(n)] + u[second, np.arange(n)]
    return np.stack([u, m], axis=2), y


def configs() -> list[dict]:
    """Every run: structure × learning rate × seed, seed by seed (a partial regeneration covers every structure)."""
    return [{"arch": a, "lr": lr, "seed": s} for s in SEEDS for lr in LRS for a in ARCHS]


def _forward_backward(arch: str, p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray | None):
    """Prediction ``ŷ = V h_T + c`` and, given targets, the loss ``mean (ŷ − y)²`` and every gradient.

    The NumPy kernels of [solutions.deep_rnn][] and [solutions.sequence][]; the loss reads only
    the last state, so its gradient enters the recurrence through ``dh_n``.
    """
    B, H = x.shape[1], p["W_hh"].shape[0]
    h0 = np.zeros((B, H))
    if arch == "stacked":
        upper = {k: p[f"{k}_l1"] for k in ("W_ih", "W_hh", "b_ih", "b_hh")}
        h1, c1 = sequence.rnn_forward_unchecked(x, h0, p)
        h, c2 = sequence.rnn_forward_unchecked(h1, h0, upper)
    elif arch == "skip":
        h, cache = skip_forward(x, h0, p, SKIP)
    else:
        h, cache = dt_forward(x, h0, p, 1 if arch == "simple" else DEPTH, arch == "dt-s")
    pred = h[-1] @ p["V"][0] + p["c"][0]
    if y is None:
        return pred
    err = pred - y
    loss = float(np.mean(err ** 2))
    dpred = 2.0 * err / B                               # ∂L/∂ŷ
    grads = {"V": (dpred @ h[-1])[None], "c": np.array([dpred.sum()])}
    dh_n = np.outer(dpred, p["V"][0])                   # ∂L/∂h_T = Vᵀ ∂L/∂ŷ
    if arch == "stacked":
        dh = np.zeros_like(h)
        dh[-1] = dh_n
        g2 = sequence.rnn_backward_unchecked(dh, c2)
        g1 = sequence.rnn_backward_unchecked(g2["x"], c1)                  # ∂L/∂h1_t: layer 2's input gradient
        grads.update({k: g1[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")})
        grads.update({f"{k}_l1": g2[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")})
    else:
        backward = skip_backward if arch == "skip" else dt_backward
        g = backward(np.zeros_like(h), cache, dh_n)
        grads.update({k: v for k, v in g.items() if k not in ("x", "h0")})
    return loss, grads


def initial_params(arch: str, seed: int) -> dict[str, np.ndarray]:
    """The parameters a run of ``arch`` starts from: ``init_params(arch, I, WIDTH[arch], rng)``
    (``torch.nn.RNN``'s uniform ``±1/√H``) and the output layer ``V`` (1, H), ``c`` (1,), also
    uniform ``±1/√H``, all from ``rng = numpy.random.default_rng([seed, 0])``."""
    H = WIDTH[arch]
    init_rng = np.random.default_rng([seed, 0])
    p = {k: v.numpy() for k, v in init_params(arch, I, H, init_rng).items()}
    k = 1 / math.sqrt(H)
    p["V"], p["c"] = init_rng.uniform(-k, k, size=(1, H)), init_rng.uniform(-k, k, size=(1,))
    return p


def initial_reach(arch: str, seed: int) -> np.ndarray:
    """[reach][solutions.experiments.depth.reach] where training starts: ``log10 ‖∂L/∂h_k‖`` for
    ``k = 1 … T`` at ``initial_params(arch, seed)``, on the run's first batch of ``BATCH``
    sequences, with ``L = V h_T`` (the direction of the first step's gradient; the loss
    ``(V h_T + c − y)²`` only scales it per sequence)."""
    p = initial_params(arch, seed)
    x, _ = batch(np.random.default_rng([seed, 1]), BATCH)
    params = {k: torch.tensor(v) for k, v in p.items() if k not in ("V", "c")}
    v = torch.tensor(p["V"][0])
    return reach(arch, params, torch.tensor(x), v / v.norm())


def run(config: dict, steps: int | None = None) -> dict:
    """Train one configuration; ``steps`` stops early (the record is then a prefix of the full one).

    Adam (β = 0.9, 0.999, ε = 1e-8, bias-corrected, as ``torch.optim.Adam``) on the gradients of
    the NumPy kernels, clipped to norm ``CLIP`` by [clip_grad_norm_][solutions.clipping.clip_grad_norm_].
    Returns ``{"width", "params", "eval_step", "dev_mse", "test_mse"}``: the MSE on the ``EVAL_N``
    dev sequences (which choose the learning rate) and on ``EVAL_N`` other test sequences (which
    only report), every ``EVAL_EVERY`` steps (``nan`` once it is not finite).
    """
    arch, lr, seed = config["arch"], config["lr"], config["seed"]
    H = WIDTH[arch]
    p = initial_params(arch, seed)
    data_rng = np.random.default_rng([seed, 1])
    m1 = {key: np.zeros_like(v) for key, v in p.items()}
    m2 = {key: np.zeros_like(v) for key, v in p.items()}
    held_out = {"dev_mse": batch(np.random.default_rng(DEV_SEED), EVAL_N),
                "test_mse": batch(np.random.default_rng(TEST_SEED), EVAL_N)}
    record = {"width": H, "params": total_params(arch, H), "eval_step": [], "dev_mse": [], "test_mse": []}
    with np.errstate(all="ignore"):
        for step in range(1, (STEPS if steps is None else steps) + 1):
            x, y = batch(data_rng, BATCH)
            _, grads = _forward_backward(arch, p, x, y)
            clip_grad_norm_(grads, CLIP)
            for key, g in grads.items():                     # Adam
                m1[key] = 0.9 * m1[key] + 0.1 * g
                m2[key] = 0.999 * m2[key] + 0.001 * g * g
                p[key] = p[key] - lr * (m1[key] / (1 - 0.9 ** step)) / (np.sqrt(m2[key] / (1 - 0.999 ** step)) + 1e-8)
            if step % EVAL_EVERY == 0:
                record["eval_step"].append(step)
                for key, (x_h, y_h) in held_out.items():
                    mse = float(np.mean((_forward_backward(arch, p, x_h, None) - y_h) ** 2))
                    record[key].append(mse if math.isfinite(mse) else float("nan"))
    return record


def fingerprint(config: dict, record: dict, replay_steps: int) -> str:
    """One line: the configuration and the dev-set MSE at each evaluation within ``replay_steps``."""
    vals = [fmt(v, ".4g", rel=1e-6) for s, v in zip(record["eval_step"], record["dev_mse"]) if s <= replay_steps]
    return f"{config['arch']} lr={config['lr']:g} seed={config['seed']} H={record['width']}: " + " ".join(vals)
