"""How far back the gradient reaches in a simple RNN, LSTMs (b_f = 0, 1, 2) and a GRU: a long-tier experiment.

For each model, ``‖∂L_t/∂h_k‖`` on a batch of digit-sum test sequences of length ``L``
(``solutions.experiments.digit_sum``; ``N`` sequences, the seeds of ``digit_sum.SEEDS``, float64, torch
autograd), at initialisation, after ``PREFIX`` training steps and after the short digit-sum
training (``digit_sum.STEPS`` Adam steps at ``digit_sum.LR``, parameters on the ``2⁻²⁰``
grid). The record keeps the median over the seeds of ``reach(T − k) = ‖∂L_T/∂h_k‖ / ‖∂L_T/∂h_T‖``
(``L_T``: the task's loss, read at the last step), the heat map of
``‖∂L_t/∂h_k‖ / ‖∂L_t/∂h_t‖`` for the models of ``HEAT``, and how many of the ``TEST`` test
sequences each trained seed answers right. For the GRU the full run also records, at
initialisation and after training, how open its update gates are and how far its one-step
Jacobians are from the identity (``gru_gates``). The replay reruns the first ``PREFIX`` steps.
"""

from __future__ import annotations

import numpy as np
import torch

from solutions.experiments import digit_sum as ds

L = 20
MODELS = {"RNN": ("rnn", None), "LSTM, b_f = 0": ("lstm", 0.0), "LSTM, b_f = 1": ("lstm", 1.0),
          "LSTM, b_f = 2": ("lstm", 2.0), "GRU": ("gru", None)}
HEAT = ("RNN", "LSTM, b_f = 2", "GRU")
N = 64          # test sequences in the batch the gradients are taken on
PREFIX = 20     # training steps after which the replayed measurement is taken


def grad_norms(kind: str, p: dict[str, torch.Tensor], digits: np.ndarray, labels: np.ndarray,
               all_t: bool) -> np.ndarray:
    """``‖∂L_t/∂h_k‖`` per copy: (S, T, T) with entry [s, t, k] for k ≤ t (0 above the diagonal).

    ``L_t`` is the loss of the output layer read at step ``t`` with the sequence's label (the
    task's loss is ``L_T``); the norm is over the batch and the hidden units. Only ``t = T``
    when ``all_t`` is false. Torch autograd, float64.
    """
    p = {k: v.detach().clone().requires_grad_(True) for k, v in p.items()}
    hs = ds.states(kind, p, digits)
    T = len(hs)
    S = hs[0].shape[0]
    out = np.zeros((S, T, T))
    for t in (range(T) if all_t else [T - 1]):
        loss = ds.loss_of(ds.logits(p, hs[t]), labels)
        gs = torch.autograd.grad(loss, hs[:t + 1], retain_graph=True)
        for k, g in enumerate(gs):
            out[:, t, k] = g.flatten(1).norm(dim=1).numpy()
    return out


def _six(a) -> list:
    return np.vectorize(lambda v: float(f"{v:.6g}"))(np.asarray(a)).tolist()


def measure(kind: str, p: dict[str, torch.Tensor], heat: bool) -> dict:
    """``curve``: median over seeds of reach(d), d = T − k = 0 … T−1; ``heat`` (T, T) medians or None."""
    digits, labels = ds.test_set(L)
    g = grad_norms(kind, p, digits[:N], labels[:N], all_t=heat)
    last = g[:, -1, :] / g[:, -1, -1:]
    out = {"curve": _six(np.median(last, axis=0)[::-1]), "heat": None}
    if heat:
        out["heat"] = _six(np.median(g / np.diagonal(g, axis1=1, axis2=2)[:, :, None], axis=0))
    return out


Z_LEVELS = (0.9, 0.99)   # update-gate levels whose shares gru_gates records


def gru_gates(p: dict[str, torch.Tensor], digits: np.ndarray, labels: np.ndarray) -> dict:
    """How open the GRU's update gates are, and how far its Jacobians are from ``I``, on ``digits``.

    For every copy ``s`` and sequence ``n`` of ``digits`` (n, T), with ``z_τ`` the update gate
    of (gru-gates) at step ``τ`` and ``J_τ = ∂h_τ/∂h_{τ−1}`` (torch autograd, row by row),
    ``E_τ = J_τ − I``, over the ``T − 1`` steps ``τ = 2 … T`` from ``h_1`` to ``h_T``:

    - ``z-median``, ``z-p90``: median and 90th percentile of every ``z_{τ,j}`` (τ = 1 … T);
    - ``z-above``: share of the ``z_{τ,j}`` above each level of ``Z_LEVELS``;
    - ``sum-E``: median over (s, n) of ``Σ_τ ‖E_τ‖_∞`` (‖·‖_∞: the largest row sum);
    - ``copy``: median of ``‖Π_τ diag(z_τ)‖_∞ = max_j Π_τ z_{τ,j}``, the copy path alone;
    - ``copy-batch``: median over the copies of ``‖D ⊙ δ_T‖ / ‖δ_T‖``, with ``D_{n,j} = Π_τ z_{τ,j}``
      and ``δ_T = ∂L_T/∂h_T`` (the task's loss on ``labels``; 2-norms over the sequences and
      units): the copy path's own share of ``reach(T − 1)``, the same batch ratio as ``measure``'s;
    - ``full``: median of ``‖J_T ⋯ J_2‖_∞``, the whole product.

    Values with six significant digits (as the record stores them).
    """
    ps = {k: v.detach().requires_grad_(True) for k, v in p.items()}   # so that the states form a graph
    hs = ds.states("gru", ps, digits)                     # T tensors (S, n, H), h_0 = 0
    S, n, H = hs[0].shape
    T = len(hs)
    (dT,) = torch.autograd.grad(ds.loss_of(ds.logits(ps, hs[-1]), labels), hs[-1], retain_graph=True)
    J = torch.zeros(T - 1, S, n, H, H, dtype=torch.float64)
    for t in range(1, T):                                 # row i of every copy's and sequence's J_t at once
        for i in range(H):
            (g,) = torch.autograd.grad(hs[t][..., i].sum(), hs[t - 1], retain_graph=True)
            J[t - 1, :, :, i, :] = g
    with torch.no_grad():
        d = torch.as_tensor(digits)
        W_z, U_z = ps["W_ih"][:, H:2 * H], ps["W_hh"][:, H:2 * H]
        b_z = (ps["b_ih"] + ps["b_hh"])[:, None, H:2 * H]
        prev = [torch.zeros_like(hs[0]), *hs[:-1]]
        z = torch.stack([torch.sigmoid(W_z[:, :, d[:, t]].transpose(1, 2) + prev[t] @ U_z.transpose(1, 2) + b_z)
                         for t in range(T)])              # (T, S, n, H): z_t = σ(W_z x_t + U_z h_{t−1} + b_z)
    eye = torch.eye(H, dtype=torch.float64)
    inf = lambda m: m.abs().sum(-1).amax(-1)              # noqa: E731  (the ∞-norm: the largest row sum)
    P = eye.expand(S, n, H, H)
    for t in range(T - 1):
        P = J[t] @ P                                      # J_T ⋯ J_2
    zf = z.flatten().numpy()
    six = lambda v: float(f"{float(v):.6g}")              # noqa: E731
    return {"z-median": six(np.median(zf)), "z-p90": six(np.percentile(zf, 90)),
            "z-above": [six(np.mean(zf > c)) for c in Z_LEVELS],
            "sum-E": six(np.median(inf(J - eye).sum(0).numpy())),
            "copy": six(np.median(z[1:].prod(0).amax(-1).numpy())),
            "copy-batch": six(np.median(((z[1:].prod(0) * dT).flatten(1).norm(dim=1) / dT.flatten(1).norm(dim=1)).numpy())),
            "full": six(np.median(inf(P).numpy()))}


def lstm_cell_reach(p: dict[str, torch.Tensor], digits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient that reaches the LSTM's cell ``c_k``, whole and along the cell path alone: two (S, T) arrays.

    Entry [s, d] of the first is ``‖∂L_T/∂c_{T−d}‖ / ‖∂L_T/∂c_T‖`` for copy ``s`` (torch autograd,
    every path); of the second ``‖D_d ⊙ δ^c_T‖ / ‖δ^c_T‖`` with ``δ^c_T = ∂L_T/∂c_T`` and
    ``D_{d; n,j} = Π_{τ=T−d+1}^{T} f_{τ,j}``, each sequence's and unit's own forget gates: the path
    along the cell, (lstm-product), alone. ``L_T`` is the task's loss on ``labels``; the norms are
    over the sequences and units together, as in ``measure``. No training: ``p`` as given.
    """
    p = {k: v.detach().clone().requires_grad_(True) for k, v in p.items()}
    run = ds.trajectory("lstm", p, digits)
    cs, fs = run["c"], [f.detach() for f in run["f"]]
    h = run["h"][-1]
    gs = torch.autograd.grad(ds.loss_of(ds.logits(p, h), labels), cs)
    T = len(cs)
    norm = lambda x: x.flatten(1).norm(dim=1).numpy()     # one norm per copy
    dT = gs[-1]
    total = np.stack([norm(gs[T - 1 - k]) / norm(dT) for k in range(T)], axis=1)
    D = torch.ones_like(dT)
    cell = [norm(dT) / norm(dT)]
    for k in range(1, T):
        D = D * fs[T - k]                                 # Π f_τ, τ = T−k+1 … T (fs[t] is f_{t+1})
        cell.append(norm(D * dT) / norm(dT))
    return total, np.stack(cell, axis=1)


OWN_RATE = ({"model": "LSTM, b_f = 2", "lr": 0.003, "steps": 1000},
            {"model": "LSTM, b_f = 1", "lr": 0.001, "steps": 3000})
"""LSTMs trained at a rate where they learned (``forget_bias_sweep``'s records), by that run's protocol."""


def configs() -> list[dict]:
    """One run per model at the short budget, then the LSTMs of ``OWN_RATE`` (appended: the earlier indices stay)."""
    return [{"model": m} for m in MODELS] + [dict(c) for c in OWN_RATE]


def own_rate(config: dict) -> dict:
    """An LSTM of ``OWN_RATE`` trained by the protocol of ``forget_bias_sweep`` and measured per seed.

    Every seed of ``digit_sum_sweep.SEEDS`` (its own initial weights and training stream), Adam
    (``digit_sum_sweep.adam_step``) at ``config["lr"]`` for ``config["steps"]`` steps of
    ``digit_sum_sweep.BATCH`` fresh sequences, no rounding: ``forget_bias_sweep``'s copies at that
    rate. At initialisation and after training, on the batch of ``measure`` (the first ``N`` of
    ``digit_sum.test_set(L)``), per seed: ``h``, ``reach(T − k)`` of ``measure`` (d = 0 … T−1);
    ``c`` and ``cell``, the two ratios of ``lstm_cell_reach``. ``test``: the correct answers on each
    seed's test set of ``digit_sum_sweep`` (of ``digit_sum_sweep.TEST``), as ``forget_bias_sweep`` scores it.
    """
    from solutions.experiments import digit_sum_sweep as sw

    torch.set_num_threads(1)
    fb = MODELS[config["model"]][1]
    seeds = list(sw.SEEDS)
    p = ds.init_params("lstm", ds.H, seeds, fb)
    digits, labels = ds.test_set(L)
    digits, labels = digits[:N], labels[:N]

    def per_seed(q: dict[str, torch.Tensor]) -> dict:
        g = grad_norms("lstm", q, digits, labels, all_t=False)[:, -1, :]
        total, cell = lstm_cell_reach(q, digits, labels)
        return {"h": _six((g / g[:, -1:])[:, ::-1]), "c": _six(total), "cell": _six(cell)}

    out = {"init": per_seed(p)}
    lr = torch.tensor([config["lr"]] * len(seeds), dtype=torch.float64)
    streams = {s: sw.rng(s, L, "train") for s in seeds}
    state: dict = {}
    for t in range(1, config["steps"] + 1):
        per = {s: ds.make_data(L, sw.BATCH, streams[s]) for s in seeds}
        d = np.stack([per[s][0] for s in seeds])
        y = np.stack([per[s][1] for s in seeds])
        o = ds.logits(p, ds.states("lstm", p, d)[-1])
        each = torch.nn.functional.cross_entropy(o.transpose(1, 2), torch.as_tensor(y), reduction="none").mean(dim=1)
        each.sum().backward()
        sw.adam_step(p, state, lr, t)
    p = {k: v.detach() for k, v in p.items()}
    out["trained"] = per_seed(p)
    tests = {s: ds.make_data(L, sw.TEST, sw.rng(s, L, "test")) for s in seeds}
    with torch.no_grad():
        pred = ds.logits(p, ds.states("lstm", p, np.stack([tests[s][0] for s in seeds]))[-1]).argmax(dim=2).numpy()
    out["test"] = [int(c) for c in (pred == np.stack([tests[s][1] for s in seeds])).sum(axis=1)]
    return out


def run(config: dict, steps: int | None = None) -> dict:
    """Measure at initialisation and after ``PREFIX`` steps; then (unless ``steps``) train on and measure again.

    ``steps`` (the replay) must be ``PREFIX``: the replay stops after the prefix measurement.
    """
    if steps is not None and steps != PREFIX:
        raise ValueError(f"steps must be None or PREFIX = {PREFIX}; got {steps!r}")
    if "lr" in config:
        if steps is not None:
            raise ValueError(f"{config} is not replayed")
        return own_rate(config)
    torch.set_num_threads(1)
    name = config["model"]
    kind, fb = MODELS[name]
    heat = name in HEAT and steps is None
    p0 = ds.init_params(kind, ds.H, ds.SEEDS, fb)
    out = {"init": measure(kind, p0, heat)}
    gates = kind == "gru" and steps is None               # not in the replay: it stops at the prefix
    if gates:
        digits, labels = ds.test_set(L)
        out["init"]["gates"] = gru_gates(p0, digits[:N], labels[:N])

    class Prefix(Exception):
        pass

    def on_step(n: int, p: dict[str, torch.Tensor]) -> None:
        if n == PREFIX:
            out["prefix"] = measure(kind, {k: v.detach() for k, v in p.items()}, False)
            if steps is not None:
                raise Prefix

    try:
        p = ds.train(kind, L, ds.H, ds.SEEDS, ds.STEPS, ds.BATCH, ds.LR, fb, data_seed=L, on_step=on_step)
    except Prefix:
        return out
    p = {k: v.detach() for k, v in p.items()}
    out["trained"] = measure(kind, p, heat)
    digits, labels = ds.test_set(L)
    if gates:
        out["trained"]["gates"] = gru_gates(p, digits[:N], labels[:N])
    out["test"] = ds.accuracy_counts(kind, p, digits, labels).tolist()
    return out


def decade(x: float, rel: float = 1e-6) -> int:
    """``floor(log10 x)``, refusing an ``x`` so close to a power of ten that another CPU could bin it elsewhere."""
    import math

    from solutions.publish.report import FragileNumber

    lo, hi = math.floor(math.log10(x * (1 - rel))), math.floor(math.log10(x * (1 + rel)))
    if lo != hi:
        raise FragileNumber(f"{x!r} lies within {rel:g} of a power of ten")
    return hi


def fingerprint(config: dict, record: dict, steps: int) -> str:
    """Decades of reach(T − k) at T − k = 1, 5, 10, 19, at initialisation and after the first ``PREFIX`` steps."""
    parts = []
    for stage in ("init", "prefix"):
        c = record[stage]["curve"]
        parts.append(f"{stage} " + " ".join(f"1e{decade(c[d]):+03d}" for d in (1, 5, 10, 19)))
    return f"{config['model']}: " + "; ".join(parts)
