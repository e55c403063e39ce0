"""The deeplearning.ai notebook's LSTM reference values through solutions.course.compat, checked by torch autograd; its two lstm_backward sets."""

from __future__ import annotations

import numpy as np
import torch

from solutions import lstm
from solutions.course import compat
from solutions.publish.report import FragileNumber, Result, claim, fmt, table

# Provenance. The notebook "Building your Recurrent Neural Network - Step by Step" (deeplearning.ai,
# Sequence Models, week 1) prints these values under "Expected Output", as strings with the digits
# below. Two versions of the notebook circulate in public copies of the course material:
#   * the older one (expected-output tables in bold markdown; its lstm_backward template loops with
#     "dWf = None" and no "+="), and
#   * the newer one (test variables named x_tmp, parameters_tmp, ...; "UNGRADED FUNCTION: lstm_backward";
#     Wy and by set to zeros in the lstm_backward test, "unused, but needed for lstm_forward").
# Both print the same values for lstm_cell_forward, lstm_forward and lstm_cell_backward, and the same
# draws (np.random.seed(1), then the order in *_draws below); they differ in lstm_backward only:
# OLDER_BACKWARD and NEWER_BACKWARD. Students report the mismatch on the course forum, e.g.
# https://community.deeplearning.ai/t/lstm-backward-wrong-output/67533 and
# https://community.deeplearning.ai/t/c5w1a1-wrong-results-of-lstm-backward/8480 .
CELL_FORWARD = {
    "a_next[4]": "-0.66408471 0.0036921 0.02088357 0.22834167 -0.85575339 0.00138482 0.76566531 0.34631421 "
                 "-0.00215674 0.43827275",
    "c_next[2]": "0.63267805 1.00570849 0.35504474 0.20690913 -1.64566718 0.11832942 0.76449811 -0.0981561 "
                 "-0.74348425 -0.26810932",
    "yt[1]": "0.79913913 0.15986619 0.22412122 0.15606108 0.97057211 0.31146381 0.00943007 0.12666353 "
             "0.39380172 0.07828381",
    "cache[1][3]": "-0.16263996 1.03729328 0.72938082 -0.54101719 0.02752074 -0.30821874 0.07651101 "
                   "-1.03752894 1.41219977 -0.37647422",
}
CELL_BACKWARD = {
    "dxt[1][2]": "3.23055911511", "da_prev[2][3]": "-0.0639621419711", "dc_prev[2][3]": "0.797522038797",
    "dWf[3][1]": "-0.147954838164", "dWi[1][2]": "1.05749805523", "dWc[3][1]": "2.30456216369",
    "dWo[1][2]": "0.331311595289", "dbf[4]": "0.18864637", "dbi[4]": "-0.40142491", "dbc[4]": "0.25587763",
    "dbo[4]": "0.13893342",
}
SEQUENCE_FORWARD = {
    "a[4][3][6]": "0.172117767533", "y[1][4][3]": "0.95087346185",
    "caches[1][1][1]": "0.82797464 0.23009474 0.76201118 -0.22232814 -0.20075807 0.18656139 0.41005165",
    "c[1][2][1]": "-0.855544916718",
}
NEWER_BACKWARD = {
    "dx[1][2]": "0.00218254 0.28205375 -0.48292508 -0.43281115", "da0[2][3]": "0.312770310257",
    "dWf[3][1]": "-0.0809802310938", "dWi[1][2]": "0.40512433093", "dWc[3][1]": "-0.0793746735512",
    "dWo[1][2]": "0.038948775763", "dbf[4]": "-0.15745657", "dbi[4]": "-0.50848333", "dbc[4]": "-0.42510818",
    "dbo[4]": "-0.17958196",
}
OLDER_BACKWARD = {
    "dx[1][2]": "-0.00173313 0.08287442 -0.30545663 -0.43281115", "da0[2][3]": "-0.095911501954",
    "dWf[3][1]": "-0.0698198561274", "dWi[1][2]": "0.102371820249", "dWc[3][1]": "-0.0624983794927",
    "dWo[1][2]": "0.0484389131444", "dbf[4]": "-0.0565788", "dbi[4]": "-0.06997391", "dbc[4]": "-0.27441821",
    "dbo[4]": "0.16532821",
}

REL = 1e-12      # a handful of float64 operations: far below any printed digit
ROUNDING = 5e-15
AUTOGRAD_TOL = 1e-12
GATES = ("f", "i", "o", "c")   # the notebook draws Wf, bf, Wi, bi, Wo, bo, Wc, bc in this order


def _params(draw) -> dict[str, np.ndarray]:
    p = {}
    for g in GATES:
        p[f"W{g}"], p[f"b{g}"] = draw(5, 8), draw(5, 1)
    return p


def cell_draws() -> dict[str, np.ndarray]:
    """The cell tests: seed 1; xt, a_prev, c_prev, (Wf, bf, Wi, bi, Wo, bo, Wc, bc), Wy, by; then da_next, dc_next."""
    np.random.seed(1)
    d = {"xt": np.random.randn(3, 10), "a_prev": np.random.randn(5, 10), "c_prev": np.random.randn(5, 10)}
    d["parameters"] = {**_params(np.random.randn), "Wy": np.random.randn(2, 5), "by": np.random.randn(2, 1)}
    d["da_next"], d["dc_next"] = np.random.randn(5, 10), np.random.randn(5, 10)
    return d


def sequence_draws(zero_output_layer: bool) -> dict[str, np.ndarray]:
    """The sequence tests: seed 1; x (3, 10, 7), a0, the gates as above, then Wy, by (drawn in the
    lstm_forward test, zeros in the newer lstm_backward test, absent in the older one: they never
    reach a gradient); then da (5, 10, 4)."""
    np.random.seed(1)
    d = {"x": np.random.randn(3, 10, 7), "a0": np.random.randn(5, 10)}
    p = _params(np.random.randn)
    if zero_output_layer:
        p["Wy"], p["by"] = np.zeros((2, 5)), np.zeros((2, 1))
    else:
        p["Wy"], p["by"] = np.random.randn(2, 5), np.random.randn(2, 1)
    d["parameters"] = p
    d["da"] = np.random.randn(5, 10, 4)
    return d


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
        g = lstm._backward(da[:, :, t].T[None], one)
        dx.append(g["x"][0].T)
        if t == 0:
            total["da0"] = g["h0"].T
        for k, v in compat._lstm_course_grads(g, n_a).items():
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
