"""The experiment of the demo ``clipping-train``: a tanh RNN with a large ``U`` trained by SGD, clipped or not.

The task (``recall_batches``): output the token seen ``DELAY`` steps earlier, ``K`` tokens,
sequences of ``T`` steps, a fresh batch of ``B`` each step. The model (``init_params``): a
tanh RNN with ``H`` hidden units and a softmax output layer, ``U = U_SCALE`` × an orthogonal
matrix, so that every singular value of ``U`` is above ``1/γ_f = 1``. ``train`` runs plain
SGD on BPTT gradients (``solutions.sequence.bptt``), clipped by value (``CLIP_VALUE``), by norm
(``MAX_NORM``) or not at all, and stops a run only when its loss per time step passes
``LOSS_MAX`` or its gradient norm is not finite.

The measurements of a run that the demo prints and ``tests/test_clipping.py`` tries on made-up
runs: ``first_spike``, ``spike_jump``, ``isolated_jump``, ``passes_chance``, ``require_stable``,
``below_power`` and ``clipped_share``; a number they return next to a rounding edge raises
``FragileNumber``.
The demo ``clipping-long`` and the long-tier experiment ``solutions.experiments.clipping_long``
train the same runs for longer.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from solutions.clipping import clip_grad_norm_, clip_grad_value_, get_total_norm
from solutions.publish.report import PERTURB, SENSITIVE, FragileNumber, fmt
from solutions.sequence import bptt, rnn_forward_unchecked, softmax_loss

K, T, B, H, DELAY = 4, 40, 16, 16, 3    # tokens, steps per sequence, batch, hidden units, recall delay
U_SCALE = 1.5                            # U = 1.5 × an orthogonal matrix: every singular value is 1.5
LR, STEPS = 0.1, 80                      # plain SGD
MAX_NORM, CLIP_VALUE = 1.0, 0.1
SPIKE = 10.0                             # a spike: ‖g‖ above SPIKE × its value at step 1
JUMP, JUMP_WINDOW = 10.0, 20             # an isolated jump: ‖g‖ up ≥ JUMP× in one step, down ≥ JUMP× the next
LOSS_MAX = 10 * math.log(K)              # a run whose loss per time step passes this has diverged (stopped)
REL = 1e-6                               # printed digits must survive this relative change
TWIN_FACTOR = 1.5                        # the twin test's largest change is printed as a power of ten it stays below
PARAM_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh", "V", "c")
LAG_SPLIT = 10                           # the lag split: lags t − k below 10 against lags of 10 or more


def recall_batches(seed: int = 0, steps: int = STEPS) -> list[tuple[np.ndarray, np.ndarray]]:
    """``steps`` batches of the delayed-recall task: the target at step t is the token of step t − DELAY.

    The batches are drawn one after another from one generator, so the first ``STEPS`` of a longer
    stream are the demo's batches.

    Returns
    -------
    batches : list of (x, y)
        ``x`` float64 of shape (T, B, K), one-hot tokens; ``y`` int64 of shape (T, B), the
        token ``DELAY`` steps earlier (token 0 for the first ``DELAY`` steps).
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        tokens = rng.integers(0, K, size=(T, B))
        y = np.zeros((T, B), dtype=np.int64)
        y[DELAY:] = tokens[:-DELAY]
        out.append((np.eye(K)[tokens], y))
    return out


def init_params(seed: int = 1, u_scale: float = U_SCALE) -> dict[str, np.ndarray]:
    """Initial parameters: ``U = u_scale · Q`` (Q orthogonal), ``W ~ N(0, 1/K)``, ``V ~ N(0, 0.01)``,
    zero biases; float64, from the generator seeded by ``seed``.

    Returns
    -------
    params : dict of str to ndarray
        ``W_ih`` (H, K), ``W_hh`` (H, H), ``b_ih`` and ``b_hh`` (H,), ``V`` (K, H), ``c`` (K,):
        the keys ``solutions.sequence.bptt`` reads.
    """
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    return {"W_ih": rng.standard_normal((H, K)) / np.sqrt(K), "W_hh": u_scale * q,
            "b_ih": np.zeros(H), "b_hh": np.zeros(H), "V": 0.1 * rng.standard_normal((K, H)), "c": np.zeros(K)}


def train(mode: str, seed: int, max_norm: float = MAX_NORM, perturb: float = 0.0,
          lr: float = LR, u_scale: float = U_SCALE, steps: int = STEPS,
          params_log: list | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGD with BPTT gradients, clipped as ``mode`` says ("none", "value" or "norm").

    Every run, clipped or not, stops only if its loss per time step passes ``LOSS_MAX`` or its
    gradient norm is not finite (the same rule for every mode). ``perturb`` multiplies the
    initial ``W`` by ``1 + perturb`` (to measure how sensitive the run is); ``lr`` is the
    learning rate η; ``u_scale`` the singular values of the initial ``U``; ``steps`` the number of
    SGD steps (a longer run passes through the same first ``STEPS`` steps). A list ``params_log``
    receives a copy of the parameters before each update.

    Returns
    -------
    losses : ndarray of shape (steps,)
        The loss per time step, ``L / T``, before each update; NaN after a stop.
    norms : ndarray of shape (steps,)
        ``‖g‖₂`` of all parameter gradients before clipping; NaN after a stop.
    moves : ndarray of shape (steps,)
        The length of each update, ``η ‖g‖₂`` after clipping; NaN after a stop.
    """
    params = init_params(1000 + seed, u_scale)
    params["W_ih"] *= 1.0 + perturb
    h0 = np.zeros((B, H))
    losses, norms, moves = np.full(steps, np.nan), np.full(steps, np.nan), np.full(steps, np.nan)
    for step, (x, y) in enumerate(recall_batches(seed, steps)):
        if params_log is not None:
            params_log.append({k: v.copy() for k, v in params.items()})
        # --8<-- [start:loop] train
        loss, grads = bptt(x, y, h0, params)              # L and ∂L/∂θ by BPTT, (6.39)-(6.41) in the book
        g = {k: grads[k] for k in PARAM_KEYS}             # the parameters' gradients
        if mode == "norm":
            norm = clip_grad_norm_(g, max_norm)           # (clipping-torch); returns ‖g‖ before clipping
        else:
            norm = get_total_norm(g)                      # (clipping-global)
            if mode == "value":
                clip_grad_value_(g, CLIP_VALUE)           # (clipping-value)
        if not math.isfinite(norm):                       # NaN/inf: a useless step
            break
        for k in PARAM_KEYS:
            params[k] -= lr * g[k]                        # θ ← θ − η g
        # --8<-- [end:loop]
        losses[step], norms[step], moves[step] = loss / T, norm, lr * get_total_norm(g)
        if loss / T > LOSS_MAX:
            break
    print(f"clipping-train: {mode} seed {seed} done", file=sys.stderr)
    return losses, norms, moves


def lag_parts(x: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """∂L/∂U split by the lag n = t − k: ``G[n] = Σ_t δ_{t,t−n} h_{t−n−1}ᵀ`` (the terms of (6.39) in
    the book whose error term has crossed n factors of (clipping-product)), from h₀ = 0 as in
    ``train``; ``G.sum(0)`` is ``bptt``'s ``W_hh`` gradient.

    Returns
    -------
    G : ndarray of shape (T, H, H)
    """
    h0 = np.zeros((x.shape[1], params["W_hh"].shape[0]))
    h, _ = rnn_forward_unchecked(x, h0, params)
    _, do, _ = softmax_loss(h, y, params["V"], params["c"])
    fp = 1.0 - h ** 2                                    # f'(z_t) of tanh
    h_prev = np.concatenate([h0[None], h[:-1]])          # h_{k-1} for every k
    d = (do @ params["V"]) * fp                          # δ_{t,t} for every t; below, d[i] = δ_{i+n, i}
    G = np.zeros((len(x),) + params["W_hh"].shape)
    for n in range(len(x)):
        G[n] = np.einsum("tbi,tbj->ij", d, h_prev[: len(x) - n])
        d = (d[1:] @ params["W_hh"]) * fp[: len(x) - n - 1]   # one more factor diag(f') Uᵀ
    return G


def long_short(params: dict[str, np.ndarray], seed: int, step: int) -> float:
    """‖part of ∂L/∂U from lags ≥ LAG_SPLIT‖ / ‖part from lags < LAG_SPLIT‖ (Frobenius) at a run's
    ``step`` (1-based), on that step's batch."""
    x, y = recall_batches(seed, step)[step - 1]
    G = lag_parts(x, y, params)
    return float(np.linalg.norm(G[LAG_SPLIT:].sum(0)) / np.linalg.norm(G[:LAG_SPLIT].sum(0)))


def first_spike(norms: np.ndarray) -> int:
    """The first step (1-based) whose ‖g‖ exceeds ``SPIKE`` × its step-1 value; 0 if none."""
    over = norms > SPIKE * norms[0]
    return int(np.argmax(over)) + 1 if over.any() else 0


def spike_jump(norms: np.ndarray) -> float:
    """‖g_s‖ / ‖g_{s−1}‖ at the spike step s (``first_spike``, ≥ 2); NaN if the run has no spike."""
    s = first_spike(norms)
    return float(norms[s - 1] / norms[s - 2]) if s else math.nan


def isolated_jump(norms: np.ndarray) -> bool:
    """Whether, within steps 1-``JUMP_WINDOW``, one step's ‖g‖ is at least ``JUMP`` × the step
    before and the next step's at most 1/``JUMP`` of it (a rise that collapses at once)."""
    n = norms[:JUMP_WINDOW][~np.isnan(norms[:JUMP_WINDOW])]
    r = n[1:] / n[:-1]
    return bool(np.any((r[:-1] >= JUMP) & (r[1:] <= 1.0 / JUMP)))


def passes_chance(losses: np.ndarray) -> int:
    """The first step s ≥ 2 (1-based) whose loss per time step is above chance, ln K; 0 if none.

    Step 1 is skipped: training starts at chance (its loss is that of the untrained network).

    Raises
    ------
    FragileNumber
        If a loss up to that step lies within ``REL`` (relative) of ln K, where another CPU
        could put it on the other side.
    """
    chance = math.log(K)
    for s in range(1, len(losses)):
        if abs(losses[s] / chance - 1.0) < REL:
            raise FragileNumber(f"loss {losses[s]!r} at step {s + 1} lies within {REL:g} of ln {K}")
        if losses[s] > chance:
            return s + 1
    return 0


def require_stable(name: str, runs: list, twins: list) -> float:
    """The largest relative change of a run's loss at step ``STEPS`` between ``runs`` and their
    ``twins`` (initial W × (1 + PERTURB)): a row printed with digits must be measured not to be
    chaotic.

    Parameters
    ----------
    name : str
        The row, named in the error.
    runs, twins : list of tuple
        What ``train`` returned for each run, and for its twin.

    Raises
    ------
    ValueError
        If a run stopped in one and not the other, or if the change is above ``10 × SENSITIVE``.
    """
    a, b = (np.array([r[0][-1] for r in rs]) for rs in (runs, twins))
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        raise ValueError(f"{name}: a twin run stopped where its run did not")
    ok = ~np.isnan(a)
    change = float(np.max(np.abs(b[ok] - a[ok]) / a[ok])) if ok.any() else 0.0
    if not change <= 10 * SENSITIVE:
        raise ValueError(f"{name}: printed as not chaotic, but a {PERTURB:g} change moved its losses by {change:.2g}")
    return change


def below_power(x: float) -> str:
    """``"< 1e-9"``: the smallest power of ten above ``x > 0``.

    Raises
    ------
    FragileNumber
        Unless ``x`` lies a factor ``TWIN_FACTOR`` inside its decade (the twin test's change,
        grown from a perturbation of 1e-13, not from rounding, varies between CPUs by far less
        than that factor).
    """
    e = math.ceil(math.log10(x))
    if not (x * TWIN_FACTOR < 10.0 ** e and x / TWIN_FACTOR > 10.0 ** (e - 1)):
        raise FragileNumber(f"{x!r} lies within a factor {TWIN_FACTOR:g} of a power of ten")
    return f"< 1e{e}"


def clipped_share(runs: list, twins: list, chaotic: bool) -> str:
    """The share of all steps of all ``runs`` (until each stops) whose ‖g‖ before clipping is above
    ``MAX_NORM``, as a percentage ("67%").

    For ``chaotic`` runs only a lower bound that the ``twins`` share too: the smaller share,
    minus 5%, rounded down to a multiple of 10% ("≥90%").

    Raises
    ------
    FragileNumber
        If a gradient norm lies within ``REL`` (relative) of ``MAX_NORM``.
    """
    shares = []
    for rs in (runs, twins):
        norms = np.concatenate([r[1][~np.isnan(r[1])] for r in rs])
        if np.any(np.abs(norms / MAX_NORM - 1.0) < REL):
            raise FragileNumber(f"a gradient norm lies within {REL:g} of g_max = {MAX_NORM:g}")
        shares.append(float(np.mean(norms > MAX_NORM)))
    if not chaotic:
        return fmt(shares[0], ".0%", rel=REL)
    return f"≥{max(0, math.floor((min(shares) - 0.05) * 10)) * 10}%"
