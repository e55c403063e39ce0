"""The residual update (6.50) trained with PyTorch autograd, without and with each remedy of 6-3.

Book notation (NNDL §6.5): ``h_t = h_{t-1} + g(x_t, h_{t-1}; θ)`` (6.50), here with
``g = α tanh(z_t)`` and ``z_t = U h_{t-1} + W x_t + b`` (6.5), as in [solutions.residual][].
The output layer is ``o_t = V h_t + c`` with a softmax; the task is delayed recall: at step
``t`` output the token seen ``delay`` steps earlier (a dependency ``delay`` steps long).

One [Remedy][solutions.experiments.remedies.Remedy] changes one thing at a time:

* ``alpha``: the scale α of the branch (``α < 1``: a smaller step);
* ``beta``: the leaky (convex) update ``h_t = (1 − β) h_{t-1} + β tanh(z_t)`` instead of (6.50)
  (Goodfellow, Bengio & Courville 2016, §10.9.2);
* ``disc_radius``: initialise ``U = (−I + r Q)/α`` with ``Q`` orthogonal, so every eigenvalue
  of ``αU`` lies inside the disc ``|1 + αλ| ≤ 1`` (radius ``r < 1`` about ``−1``);
* ``weight_decay``: ``θ ← θ − η(g + wd·θ)`` on the weight matrices;
* ``layernorm``: ``h_t = LN(h_{t-1} + α tanh(z_t))`` (layer normalisation without gain and bias);
* ``gate``: the GRU-style update ``h_t = u_t ⊙ h_{t-1} + (1 − u_t) ⊙ tanh(z_t)`` with
  ``u_t = σ(U_u h_{t-1} + W_u x_t + b_u)`` — a GRU without reset gate (``r_t = 1``), ``b_u = 1``
  at initialisation;
* ``max_norm``: clip the gradient by its norm, PyTorch's rule ``g ← min(τ/(‖g‖ + 10⁻⁶), 1) g``;
* ``u_scale``: initialise ``U`` with i.i.d. ``N(0, u_scale²/H)`` entries (a small ``U``);
* ``truncate``: truncated BPTT, the state detached every ``truncate`` steps, so each loss
  term's gradient reaches back at most to the start of its window (one update per sequence).

All runs of one remedy train together as one batched model (a leading "run" axis on every
parameter), each run with its own seed, initial weights and batches; the loss is the sum of
the runs' losses, so each run's gradient is its own. A run **explodes** at the first step
whose gradient norm ‖g‖ (before clipping) exceeds ``explode_at``; without clipping it is
stopped there (its parameters are frozen before that step's update), and nothing after the
explosion is recorded. (Stopping does not remove chaos: a run that does not diverge can be
chaotic too; the demos measure that with a twin run.) With clipping the run goes on, clipped. A run whose loss per time step passes ``loss_max`` is stopped too.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import numpy as np
import torch

#: Parameter names of the batched model (run axis first): the book's W, U, b, V, c and the gate's.
WEIGHTS = ("W", "U", "V", "W_u", "U_u")


@dataclass(frozen=True)
class Task:
    """Delayed recall: ``K`` tokens, sequences of ``T`` steps, batch ``B``, recall ``delay`` steps back."""

    K: int = 4
    T: int = 40
    B: int = 16
    delay: int = 5


@dataclass(frozen=True)
class Remedy:
    """One training configuration of the model (6.50); the defaults are (6.50) with no remedy.

    Attributes
    ----------
    name : str
        Its label in tables and figures.
    alpha : float
        Scale α of the branch ``α tanh(z_t)``.
    beta : float or None
        Leaky update ``h_t = (1 − β) h_{t−1} + β tanh(z_t)`` (then ``alpha`` is unused).
    disc_radius : float or None
        Initialise ``U = (−I + r Q)/α``: the eigenvalues of ``αU`` inside ``|1 + αλ| ≤ r``.
    weight_decay : float
        Coupled L2 weight decay on the weight matrices.
    layernorm : bool
        ``h_t = LN(h_{t−1} + α tanh(z_t))``.
    gate : bool
        ``h_t = u_t ⊙ h_{t−1} + (1 − u_t) ⊙ tanh(z_t)``, ``u_t = σ(U_u h_{t−1} + W_u x_t + b_u)``.
    max_norm : float or None
        Clip each run's gradient to this norm (PyTorch's rule).
    u_scale : float
        Initial ``U`` entries ``N(0, u_scale²/H)`` (unless ``disc_radius`` is set).
    truncate : int or None
        Detach the state every ``truncate`` steps (windows of that many steps).
    """

    name: str = "none"
    alpha: float = 1.0
    beta: float | None = None
    disc_radius: float | None = None
    weight_decay: float = 0.0
    layernorm: bool = False
    gate: bool = False
    max_norm: float | None = None
    u_scale: float = 1.0
    truncate: int | None = None


@dataclass
class Runs:
    """What training recorded, one row per run.

    Attributes
    ----------
    loss : ndarray of shape (N, steps)
        Loss per time step before each update (NaN after a run was stopped).
    norm : ndarray of shape (N, steps)
        ‖g‖₂ of the run's parameter gradient before clipping (NaN after it was stopped).
    exploded_at : ndarray of shape (N,), int
        First step (1-based) with ‖g‖ > ``explode_at``; 0 if it never happened.
    diverged_at : ndarray of shape (N,), int
        Step (1-based) at which the run was stopped as diverged — ‖g‖ > ``explode_at``
        without clipping, or a loss per time step above ``loss_max`` or NaN; 0 if never.
    eig_before, eig_after : ndarray of shape (N, H), complex
        Eigenvalues of the one-step Jacobian minus I at ``f' = 1`` (``αU`` for (6.50)),
        before and after training.
    part_norm : dict of str to ndarray of shape (N, steps)
        ‖∂L/∂θ‖_F of each parameter array θ (keys as in [init_params][solutions.experiments.remedies.init_params]),
        before clipping, NaN after the run was stopped; ``norm`` is the Euclidean norm of them all.
    state_norm : ndarray of shape (N, steps)
        ‖h_T‖ (the last state, Euclidean), mean over the batch, NaN after the run was stopped.
    """

    loss: np.ndarray
    norm: np.ndarray
    exploded_at: np.ndarray
    diverged_at: np.ndarray
    eig_before: np.ndarray = field(repr=False)
    eig_after: np.ndarray = field(repr=False)
    part_norm: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    state_norm: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))


def batches(task: Task, seeds: np.ndarray | list[int], steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets for every run and step.

    Returns
    -------
    x : float64 Tensor of shape (steps, T, N, B, K)
        One-hot tokens.
    y : int64 Tensor of shape (steps, T, N, B)
        The token ``delay`` steps earlier (0 for the first ``delay`` steps, which the loss skips).
    """
    toks = np.stack([np.random.default_rng(1000 + int(s)).integers(0, task.K, size=(steps, task.T, task.B))
                     for s in seeds], axis=2)                       # (steps, T, N, B)
    y = np.zeros_like(toks)
    y[:, task.delay:] = toks[:, :-task.delay]
    return torch.from_numpy(np.eye(task.K)[toks]), torch.from_numpy(y)


def init_params(task: Task, remedy: Remedy, H: int, seeds) -> dict[str, torch.Tensor]:
    """Initial weights of every run (run axis first), float64.

    ``U`` has i.i.d. ``N(0, s²/H)`` entries, ``s = remedy.u_scale`` (its eigenvalues fill the
    disc of radius ``s`` about 0, the circular law) unless ``remedy.disc_radius`` is set; ``W ~ N(0, 1/K)``,
    ``V ~ N(0, 0.01)``, zero biases; the gate's ``U_u ~ N(0, 1/H)``, ``W_u ~ N(0, 1/K)``, ``b_u = 1``
    (the gate starts mostly closed over the old state, as the book advises for LSTM's forget gate).
    """
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("W", "U", "b", "V", "c", "W_u", "U_u", "b_u")}
    a = remedy.alpha if remedy.beta is None else 1.0
    for s in seeds:
        rng = np.random.default_rng(int(s))
        U = rng.standard_normal((H, H)) * remedy.u_scale / math.sqrt(H)
        W = rng.standard_normal((H, task.K)) / math.sqrt(task.K)
        V = 0.1 * rng.standard_normal((task.K, H))
        if remedy.disc_radius is not None:
            q, r = np.linalg.qr(rng.standard_normal((H, H)))
            U = (-np.eye(H) + remedy.disc_radius * q * np.sign(np.diag(r))) / a
        out["W"].append(W)
        out["U"].append(U)
        out["b"].append(np.zeros(H))
        out["V"].append(V)
        out["c"].append(np.zeros(task.K))
        out["W_u"].append(rng.standard_normal((H, task.K)) / math.sqrt(task.K))
        out["U_u"].append(rng.standard_normal((H, H)) / math.sqrt(H))
        out["b_u"].append(np.ones(H))
    keys = ("W", "U", "b", "V", "c") + (("W_u", "U_u", "b_u") if remedy.gate else ())
    return {k: torch.tensor(np.stack(out[k]), requires_grad=True) for k in keys}


def step_matrix(remedy: Remedy, U: np.ndarray) -> np.ndarray:
    """``J − I`` at ``f' = 1`` (small activations), per run: the matrix whose eigenvalues ``μ``
    must satisfy ``|1 + μ| ≤ 1`` for the one-step Jacobian ``J`` not to grow.

    ``αU`` for (6.50) (also with weight decay, LayerNorm or clipping, which leave the
    update's linear part alone), ``β(U − I)`` for the leaky update. Shape (N, H, H).
    (For the gate, ``J`` depends on the gate's value; this returns ``αU`` for its candidate.)
    """
    if remedy.beta is not None:
        return remedy.beta * (U - np.eye(U.shape[-1]))
    return remedy.alpha * U


def forward(p: dict[str, torch.Tensor], x: torch.Tensor, remedy: Remedy) -> torch.Tensor:
    """All states of every run: x (T, N, B, K) → h (T, N, B, H), from ``h_0 = 0``."""
    T, N, B, _ = x.shape
    H = p["U"].shape[1]
    h = x.new_zeros((N, B, H))
    # unbind, not Wx[t]: indexing would make autograd build a zero tensor of Wx's size per step
    Wx = (torch.einsum("nhk,tnbk->tnbh", p["W"], x) + p["b"][None, :, None, :]).unbind(0)
    if remedy.gate:
        Wux = (torch.einsum("nhk,tnbk->tnbh", p["W_u"], x) + p["b_u"][None, :, None, :]).unbind(0)
    hs = []
    # --8<-- [start:update] forward
    for t in range(T):
        if remedy.truncate and t and t % remedy.truncate == 0:
            h = h.detach()                                                    # a window starts
        g = torch.tanh(Wx[t] + torch.bmm(h, p["U"].transpose(1, 2)))          # tanh(z_t)
        if remedy.gate:
            u = torch.sigmoid(Wux[t] + torch.bmm(h, p["U_u"].transpose(1, 2)))
            h = u * h + (1.0 - u) * g                                         # GRU-style gate
        elif remedy.beta is not None:
            h = (1.0 - remedy.beta) * h + remedy.beta * g                     # leaky update
        else:
            h = h + remedy.alpha * g                                          # (6.50)
            if remedy.layernorm:
                h = torch.nn.functional.layer_norm(h, (H,))               # h_t = LN(h_{t-1} + α g_t)
        hs.append(h)
    # --8<-- [end:update]
    return torch.stack(hs)


def train(remedy: Remedy, task: Task = Task(), H: int = 16, seeds=range(8), steps: int = 100,
          lr=1.0, explode_at: float = 100.0, loss_max: float = 10.0, log: str = "", perturb=0.0) -> Runs:
    """Train one remedy over several seeds with SGD (float64, one thread); see the module docstring.

    Parameters
    ----------
    remedy : Remedy
    task : Task
    H : int
        Hidden size.
    seeds : iterable of int
        One run per seed (initial weights and batches; a seed may repeat, e.g. with another η).
    steps : int
        SGD updates per run.
    lr : float or sequence of float
        Learning rate η, one for all runs or one per run.
    explode_at : float
        The ‖g‖ that counts as an explosion (stops the run unless it clips).
    loss_max : float
        A loss per time step above this (or NaN) stops the run, clipped or not.
    log : str
        Tag for progress lines on stderr ("" for none).
    perturb : float or sequence of float
        Multiply the initial ``W`` by ``1 + perturb`` (one for all runs or one per run): a tiny
        change that measures how sensitive (chaotic) the training is.

    Returns
    -------
    Runs
    """
    seeds = list(seeds)
    N = len(seeds)
    x_all, y_all = batches(task, seeds, steps)
    p = init_params(task, remedy, H, seeds)
    eta = torch.tensor(np.broadcast_to(np.asarray(lr, dtype=np.float64), (N,)))
    if np.any(np.asarray(perturb) != 0):
        with torch.no_grad():
            p["W"].mul_(1.0 + torch.tensor(np.broadcast_to(np.asarray(perturb, dtype=np.float64), (N,)))
                        .reshape(N, 1, 1))
    names = list(p)
    eig_before = np.linalg.eigvals(step_matrix(remedy, p["U"].detach().numpy()))
    loss_rec = np.full((N, steps), np.nan)
    norm_rec = np.full((N, steps), np.nan)
    part_rec = {k: np.full((N, steps), np.nan) for k in names}
    state_rec = np.full((N, steps), np.nan)
    exploded_at = np.zeros(N, dtype=np.int64)
    diverged_at = np.zeros(N, dtype=np.int64)
    live = torch.ones(N, dtype=torch.float64)
    n_terms = (task.T - task.delay) * task.B
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for step in range(steps):
            x, y = x_all[step], y_all[step]
            h = forward(p, x, remedy)
            o = torch.einsum("nkh,tnbh->tnbk", p["V"], h) + p["c"][None, :, None, :]
            logp = torch.log_softmax(o[task.delay:], dim=-1)
            nll = -logp.gather(-1, y[task.delay:, ..., None])[..., 0]        # (T − delay, N, B)
            per_run = nll.sum(dim=(0, 2)) / n_terms                         # loss per time step, per run
            grads = torch.autograd.grad(per_run.sum(), [p[k] for k in names])
            with torch.no_grad():
                parts = [(g.reshape(N, -1) ** 2).sum(dim=1) for g in grads]
                norm = torch.sqrt(sum(parts))                               # ‖g‖ of each run
                new = (norm > explode_at) & (torch.from_numpy(exploded_at) == 0) & (live > 0)
                exploded_at[new.numpy()] = step + 1
                active = (live > 0).numpy()
                loss_rec[active, step] = per_run.detach().numpy()[active]
                norm_rec[active, step] = norm.numpy()[active]
                for k, sq in zip(names, parts):
                    part_rec[k][active, step] = torch.sqrt(sq).numpy()[active]
                state_rec[active, step] = h[-1].norm(dim=-1).mean(dim=-1).numpy()[active]
                bad = ~(per_run.detach() <= loss_max) & (live > 0)          # also NaN
                diverged_at[bad.numpy()] = step + 1
                if remedy.max_norm is None:
                    diverged_at[new.numpy()] = step + 1
                    bad = bad | new
                live = torch.where(bad, torch.zeros_like(live), live)       # stop: diverged
                coef = live
                if remedy.max_norm is not None:
                    coef = torch.clamp(remedy.max_norm / (norm + 1e-6), max=1.0) * live
                for k, g in zip(names, grads):
                    shape = (N,) + (1,) * (g.dim() - 1)
                    if k in WEIGHTS and remedy.weight_decay:
                        g = g + remedy.weight_decay * p[k]
                    p[k] -= (eta * coef).reshape(shape) * g
            if not (live > 0).any():
                break                                                      # every run stopped
            if log and (step + 1) % 50 == 0:
                print(f"{log}: {remedy.name} step {step + 1}/{steps}", file=sys.stderr)
    finally:
        torch.set_num_threads(threads)
    eig_after = np.linalg.eigvals(step_matrix(remedy, p["U"].detach().numpy()))
    return Runs(loss_rec, norm_rec, exploded_at, diverged_at, eig_before, eig_after, part_rec, state_rec)
