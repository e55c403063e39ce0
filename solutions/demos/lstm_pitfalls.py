"""The mistakes students make in the notebook's lstm_cell_backward and lstm_backward, with the numbers each prints on the notebook's own tests."""

from __future__ import annotations

import numpy as np

from solutions.course import compat
from solutions.demos.lstm_course import (
    CELL_BACKWARD,
    NEWER_BACKWARD,
    cell_draws,
    sequence_draws,
)
from solutions.publish.report import claim, fmt, table

# Each mistake, as the wrong line a student writes in the notebook's lstm_cell_backward (column
# layout; dc is the gradient reaching c_next from both paths, the notebook's
# dc_next + Γo (1 − tanh²(c_next)) da_next).
CELL_MISTAKES = {
    "correct": "the notebook's equations (7)-(21)",
    "no dc_next": "dc = ot * (1 - tanh(c_next)**2) * da_next             (the cell path dc_next is dropped)",
    "no da in dc": "dc = dc_next                                          (the path da_next -> tanh(c_next) -> c_next is dropped)",
    "c for tanh c": "dot = da_next * c_next * ot*(1-ot);  dc uses (1 - c_next**2)   (c_next where tanh(c_next) belongs)",
    "1-s² for σ'": "dit = dc * cct * (1 - it**2), same for dft, dot   (tanh's derivative for the sigmoid gates)",
    "no σ'": "dit = dc * cct, dft = dc * c_prev, dot = da_next * tanh(c_next)   (gradients of the gates, not of their inputs)",
    "no f in dc_prev": "dc_prev = dc                                          (the forget gate's factor f_t is dropped)",
}
SEQUENCE_MISTAKES = {
    "correct": "lstm_cell_backward(da[:,:,t] + da_prevt, dc_prevt, caches[t]), both carried",
    "no da_prevt": "lstm_cell_backward(da[:,:,t], dc_prevt, caches[t])     (da_prev of step t+1 not added)",
    "no dc_prevt": "lstm_cell_backward(da[:,:,t] + da_prevt, 0, caches[t])  (dc_prev of step t+1 not passed)",
    "neither": "lstm_cell_backward(da[:,:,t], 0, caches[t])            (nothing carried: the older published set)",
}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def literal_cell_forward(xt, a_prev, c_prev, P):
    """The notebook's lstm_cell_forward, written out (to build the caches the literal backward reads)."""
    concat = np.concatenate([a_prev, xt])
    ft, it = sigmoid(P["Wf"] @ concat + P["bf"]), sigmoid(P["Wi"] @ concat + P["bi"])
    cct, ot = np.tanh(P["Wc"] @ concat + P["bc"]), sigmoid(P["Wo"] @ concat + P["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    return a_next, c_next, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, P)


def literal_cell_backward(da_next, dc_next, cache, mistake: str = "correct") -> dict[str, np.ndarray]:
    """The notebook's lstm_cell_backward, written out line by line, with one of ``CELL_MISTAKES``."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, P = cache
    n_a = a_next.shape[0]
    tc = c_next if mistake == "c for tanh c" else np.tanh(c_next)
    dc = {"no dc_next": ot * (1 - tc**2) * da_next, "no da in dc": dc_next}.get(mistake, dc_next + ot * (1 - tc**2) * da_next)
    if mistake == "1-s² for σ'":
        d_sig = lambda s: 1 - s**2
    elif mistake == "no σ'":
        d_sig = lambda s: 1.0
    else:
        d_sig = lambda s: s * (1 - s)
    dot = da_next * tc * d_sig(ot)
    dcct = dc * it * (1.0 if mistake == "no σ'" else 1 - cct**2)
    dit = dc * cct * d_sig(it)
    dft = dc * c_prev * d_sig(ft)
    concat = np.concatenate([a_prev, xt])
    g = {}
    for name, d in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)):
        g[f"dW{name}"] = d @ concat.T
        g[f"db{name}"] = d.sum(axis=1, keepdims=True)
    back = sum(P[f"W{n}"].T @ d for n, d in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)))
    g["da_prev"], g["dxt"] = back[:n_a], back[n_a:]
    g["dc_prev"] = dc if mistake == "no f in dc_prev" else dc * ft
    return g


def literal_backward(da, x, a0, P, mistake: str = "correct") -> dict[str, np.ndarray]:
    """The notebook's lstm_backward loop over the literal cell, with one of ``SEQUENCE_MISTAKES``."""
    n_a, m, T = da.shape
    caches, a, c = [], a0, np.zeros_like(a0)
    for t in range(x.shape[2]):
        a, c, cache = literal_cell_forward(x[:, :, t], a, c, P)
        caches.append(cache)
    total: dict[str, np.ndarray] = {}
    dx = np.zeros((x.shape[0], m, T))
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T)):
        carry_a = da_prevt if mistake in ("correct", "no dc_prevt") else 0.0
        carry_c = dc_prevt if mistake in ("correct", "no da_prevt") else np.zeros((n_a, m))
        g = literal_cell_backward(da[:, :, t] + carry_a, carry_c, caches[t])
        da_prevt, dc_prevt, dx[:, :, t] = g["da_prev"], g["dc_prev"], g["dxt"]
        for k in g:
            if k[:2] in ("dW", "db"):
                total[k] = total.get(k, 0) + g[k]
    return {"dx": dx, "da0": da_prevt, **total}


def pick(g: dict[str, np.ndarray], labels) -> list[float]:
    out = []
    for label in labels:
        name, *idx = label.replace("]", "").split("[")
        v = g[name]
        for i in idx:
            v = v[int(i)]
        out.extend(np.ravel(v))
    return out


def names(labels, g) -> list[str]:
    out = []
    for label in labels:
        n = len(pick(g, [label]))
        out += [label] if n == 1 else [f"{label}[{k}]" for k in range(n)]
    return out


def number(v: float) -> str:
    return fmt(v, ".6f", rel=1e-10)


def main() -> None:
    d = cell_draws()
    P = d["parameters"]
    _, _, cache = literal_cell_forward(d["xt"], d["a_prev"], d["c_prev"], P)
    results = {m: literal_cell_backward(d["da_next"], d["dc_next"], cache, m) for m in CELL_MISTAKES}
    _, _, _, ccache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], P)
    ours = compat.lstm_cell_backward(d["da_next"], d["dc_next"], ccache)
    err = max(float(np.max(np.abs(results["correct"][k] - ours[k]))) for k in ours)

    print("lstm_cell_backward on the notebook's test (np.random.seed(1); xt, a_prev, c_prev, Wf, bf, Wi, bi,")
    print("Wo, bo, Wc, bc, Wy, by, then da_next, dc_next), the quantities it prints, for each mistake.")
    print(f"The 'correct' column is the notebook's equations written out; it equals solutions.course.compat {claim(err, 1e-12)}.\n")
    labels = list(CELL_BACKWARD)
    cols = {m: pick(g, labels) for m, g in results.items()}
    rows = [[q, *(number(cols[m][k]) for m in CELL_MISTAKES)] for k, q in enumerate(names(labels, results["correct"]))]
    print(table(["printed", *CELL_MISTAKES], rows))
    print("\nThe wrong line of each column:")
    for m, text in CELL_MISTAKES.items():
        print(f"  {m:<16} {text}")

    d = sequence_draws(zero_output_layer=True)
    labels = list(NEWER_BACKWARD)
    seq = {m: literal_backward(d["da"], d["x"], d["a0"], d["parameters"], m) for m in SEQUENCE_MISTAKES}
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    ours = compat.lstm_backward(d["da"], caches)
    err = max(float(np.max(np.abs(seq["correct"][k] - ours[k]))) for k in ours)
    print("\nlstm_backward on the notebook's test (x (3, 10, 7), a0, the gates, then da (5, 10, 4)), for each")
    print(f"mistake in the loop; 'correct' equals solutions.course.compat {claim(err, 1e-12)}.\n")
    cols = {m: pick(g, labels) for m, g in seq.items()}
    rows = [[q, *(number(cols[m][k]) for m in SEQUENCE_MISTAKES)] for k, q in enumerate(names(labels, seq["correct"]))]
    print(table(["printed", *SEQUENCE_MISTAKES], rows))
    print("\nThe call in the loop of each column:")
    for m, text in SEQUENCE_MISTAKES.items():
        print(f"  {m:<12} {text}")
