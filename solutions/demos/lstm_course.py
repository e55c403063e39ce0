"""The deeplearning.ai notebook's LSTM reference values through solutions.course.compat, checked by torch autograd; its two lstm_backward sets."""

from __future__ import annotations

import numpy as np
import torch

from solutions import lstm
from solutions.course import compat
from solutions.course.lstm_reference import (
    CELL_BACKWARD,
    CELL_FORWARD,
    NEWER_BACKWARD,
    OLDER_BACKWARD,
    SEQUENCE_FORWARD,
    cell_draws,
    sequence_draws,
)
from solutions.publish.report import FragileNumber, Result, claim, fmt, table

REL = 1e-12      # a handful of float64 operations: far below any printed digit
ROUNDING = 5e-15
AUTOGRAD_TOL = 1e-12


def _pick(arrays: dict[str, np.ndarray], published: dict[str, str]) -> dict[str, np.ndarray]:
    """``{"dWf[3][1]": ...}``: the entries the notebook prints, read off our arrays by the same indices."""
    out = {}
    for label in published:
        name, *idx = label.replace("]", "").split("[")
        v = arrays[name]
        for i in idx:
            v = v[int(i)]
        out[label] = np.ravel(v)
    return out


def agreement(a: float, published: str) -> bool:
    """Whether ``a`` is the published number to its ``d`` decimals: ``|a − published| ≤ ½·10^(−d)``,
    plus ``ROUNDING`` for the float64 rounding of both computations (the notebook printed some values
    from numbers that lie within 1e-16 of a rounding boundary). Raises ``FragileNumber`` when the
    answer could flip on another CPU."""
    d = len(published.split(".")[1])
    gap, limit = abs(a - float(published)), 0.5 * 10.0 ** -d + ROUNDING
    if abs(gap - limit) <= 1e-15:
        raise FragileNumber(f"{a!r} lies on the rounding boundary of the published {published}")
    return gap <= limit


def digits(a: float) -> str:
    """``a`` to 10 significant digits, or 9, 8, … where a tenth digit could differ on another CPU."""
    for n in range(10, 5, -1):
        try:
            return fmt(a, f"#.{n}g", rel=REL)
        except FragileNumber:
            continue
    raise FragileNumber(f"{a!r}: no robust number of digits")


def rows(ours: dict[str, np.ndarray], published: dict[str, str]) -> tuple[list[list[str]], list[str]]:
    """One row per printed number: label, published, ours (10 significant digits), same; and the
    labels of the numbers that do not agree."""
    out, differ = [], []
    for label, pub in published.items():
        pubs = pub.split()
        for k, (a, b) in enumerate(zip(ours[label], pubs, strict=True)):
            name = label if len(pubs) == 1 else f"{label}[{k}]"
            same = agreement(a, b)
            if not same:
                differ.append(name)
            out.append([name, b, digits(a), "yes" if same else "no"])
    return out, differ


def compare(title: str, ours: dict[str, np.ndarray], published: dict[str, str], source: str,
            mine: str = "ours") -> list[str]:
    """Print one table; return the labels that do not agree."""
    out, differ = rows(ours, published)
    print(f"\n{title}")
    print(table(["quantity", source, mine, "same"], out))
    return differ


# --- torch autograd of the notebook's equations, in its column layout ----------------------------

def _torch_sequence(x, a0, c0, parameters, da, dc_next=None):
    """The notebook's forward (Γ_f, Γ_u, c̃, Γ_o on [a_prev; x_t]) in torch float64 and the gradients
    of Σ ⟨da_t, a_t⟩ (+ ⟨dc_next, c_T⟩) over the first T = da.shape[2] steps, named as in the notebook."""
    leaf = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
    t = {k: leaf(v) for k, v in parameters.items() if k[0] in "Wb" and k[1] in "fico"}
    xs, a, c = leaf(x), leaf(a0), leaf(c0)
    a_t, c_t, loss = a, c, 0.0
    for step in range(da.shape[2]):
        concat = torch.cat([a_t, xs[:, :, step]])
        f = torch.sigmoid(t["Wf"] @ concat + t["bf"])
        i = torch.sigmoid(t["Wi"] @ concat + t["bi"])
        cc = torch.tanh(t["Wc"] @ concat + t["bc"])
        o = torch.sigmoid(t["Wo"] @ concat + t["bo"])
        c_t = f * c_t + i * cc
        a_t = o * torch.tanh(c_t)
        loss = loss + (a_t * torch.tensor(da[:, :, step])).sum()
    if dc_next is not None:
        loss = loss + (c_t * torch.tensor(dc_next)).sum()
    loss.backward()
    grads = {"dx": xs.grad.numpy()[:, :, :da.shape[2]], "da0": a.grad.numpy(), "dc0": c.grad.numpy()}
    grads.update({f"d{k}": v.grad.numpy() for k, v in t.items()})
    return grads


def cell_autograd(d: dict) -> dict[str, np.ndarray]:
    """The cell test's gradients by torch autograd, named as lstm_cell_backward names them."""
    g = _torch_sequence(d["xt"][:, :, None], d["a_prev"], d["c_prev"], d["parameters"], d["da_next"][:, :, None],
                        d["dc_next"])
    return {"dxt": g.pop("dx")[:, :, 0], "da_prev": g.pop("da0"), "dc_prev": g.pop("dc0"), **g}


def sequence_autograd(d: dict) -> dict[str, np.ndarray]:
    g = _torch_sequence(d["x"], d["a0"], np.zeros_like(d["a0"]), d["parameters"], d["da"])
    g.pop("dc0")
    return g


def max_diff(ours: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> float:
    assert set(ours) == set(ref), (set(ours), set(ref))
    return max(float(np.max(np.abs(ours[k] - ref[k]))) for k in ref)


def without_carry(da: np.ndarray, caches: compat.CourseLSTMCaches) -> dict[str, np.ndarray]:
    """lstm_backward with nothing carried between steps: every step backpropagates only its own
    da[:, :, t], with da_prevt = dc_prevt = 0 — each step is solutions.lstm's backward of one step."""
    cache = caches.cache
    n_a = cache.h.shape[1]
    total: dict[str, np.ndarray] = {}
    dx = []
    for t in range(da.shape[2]):
        h0 = cache.h0 if t == 0 else cache.h[t - 1].T
        c0 = cache.c0 if t == 0 else cache.c[t - 1].T
        one = cache._replace(x=cache.x[t:t + 1], h0=h0, c0=c0, h=cache.h[t:t + 1], c=cache.c[t:t + 1],
                             gates=cache.gates[t:t + 1])
        g = lstm.lstm_backward_unchecked(da[:, :, t].T[None], one)
        dx.append(g["x"][0].T)
        if t == 0:
            total["da0"] = g["h0"].T
        for k, v in compat.lstm_course_grads(g, n_a).items():
            total[k] = total.get(k, 0) + v
    return {"dx": np.stack(dx, axis=2), **total}


def main() -> Result:
    print("Each test of the notebook through solutions.course.compat: np.random.seed(1), then the test's draws in its")
    print("order. 'same': |ours - published| <= half a unit of the published value's last digit (+ 5e-15 for")
    print("float64 rounding).")

    d = cell_draws()
    a_next, c_next, yt, cache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], d["parameters"])
    differ = compare("lstm_cell_forward  (draws: xt, a_prev, c_prev, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by)",
                     _pick({"a_next": a_next, "c_next": c_next, "yt": yt, "cache": cache}, CELL_FORWARD),
                     CELL_FORWARD, "notebook")
    g = compat.lstm_cell_backward(d["da_next"], d["dc_next"], cache)
    differ += compare("lstm_cell_backward  (the same draws, then da_next, dc_next)", _pick(g, CELL_BACKWARD),
                      CELL_BACKWARD, "notebook")
    err = max_diff(g, cell_autograd(d))
    print(f"torch autograd of the notebook's cell equations, every gradient of this test: |ours - autograd| "
          f"{claim(err, AUTOGRAD_TOL, what='cell vs autograd')}")

    d = sequence_draws(zero_output_layer=False)
    a, y, c, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    differ += compare("lstm_forward  (draws: x (3, 10, 7), a0, the gates as above, Wy, by)",
                      _pick({"a": a, "y": y, "c": c, "caches": caches}, SEQUENCE_FORWARD), SEQUENCE_FORWARD,
                      "notebook")

    d = sequence_draws(zero_output_layer=True)
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    g = compat.lstm_backward(d["da"], caches)
    ours = _pick(g, NEWER_BACKWARD)
    differ += compare("lstm_backward, newer notebook  (draws: x (3, 10, 7), a0, the gates; then da (5, 10, 4):\n"
                      "the loss is on a_1 ... a_4, the first four of the seven steps)", ours, NEWER_BACKWARD, "newer")
    err = max_diff(g, sequence_autograd(d))
    print(f"torch autograd of the notebook's equations, every gradient of this test: |ours - autograd| "
          f"{claim(err, AUTOGRAD_TOL, what='sequence vs autograd')}")
    if differ:
        raise ValueError(f"published values not reproduced: {differ}")

    old_differ = compare("lstm_backward, older notebook: the same test, the same gradients (autograd's)",
                         ours, OLDER_BACKWARD, "older")
    cut_differ = compare("The older values against lstm_backward with nothing carried between steps (each step\n"
                         "gets only its own da[:, :, t]; da_prevt and dc_prevt stay zero):",
                         _pick(without_carry(d["da"], caches), OLDER_BACKWARD), OLDER_BACKWARD, "older",
                         "no carry")
    n_old = sum(len(v.split()) for v in OLDER_BACKWARD.values())
    print(f"\nOf the {n_old} older numbers, {n_old - len(old_differ)} equal autograd's and "
          f"{n_old - len(cut_differ)} equal the no-carry gradient; {', '.join(cut_differ) or 'none'} equal neither.")
    return Result(values={
        "older-numbers": str(n_old),
        "older-equal-autograd": str(n_old - len(old_differ)),
        "older-equal-no-carry": str(n_old - len(cut_differ)),
        "older-neither": ", ".join(f"`{u}`" for u in cut_differ) or "none",
    })
