"""The deeplearning.ai course's reference values, reproduced through solutions.compat."""

from __future__ import annotations

import numpy as np

from solutions import compat
from solutions.report import claim, fmt, table

# The published reference values of the test cells of the deeplearning.ai notebook
# "Building your Recurrent Neural Network - Step by Step" (Sequence Models, week 1), as the
# notebook prints them (arrays to 8 decimals; yt_pred as the 4-decimal torch tensor of the
# student post that reprints them, /work/shared/reference/seeds/000_*.txt).
COURSE_CELL_FORWARD = {
    "a_next[4]": [-0.97683053, 0.99993218, 0.9999085, 0.99720415, 0.96532437, 0.24615069,
                  0.89433073, 0.88371261, 0.40821569, -0.99446565],
    "yt_pred[1]": [0.0617, 0.9972, 0.9895, 0.8253, 0.8099, 0.9891, 0.9262, 0.9997, 0.9953, 0.0052],
}
COURSE_CELL_BACKWARD = {
    "dxt[1][2]": -1.3872130506020928,
    "da_prev[2][3]": -0.1523994937739543,
    "dWax[3][1]": 0.41077282493545836,
    "dWaa[1][2]": 1.1503450668497135,
    "dba[4]": [0.20023491],
}
COURSE_RNN_FORWARD = {
    "a[4][1]": [-0.99999375, 0.77911235, -0.99861469, -0.99833267],
    "y_pred[1][3]": [0.79560373, 0.86224861, 0.11118257, 0.81515947],
    "caches[1][1][3]": [-1.1425182, -0.34934272, -0.20889423, 0.58662319],
}
COURSE_RNN_BACKWARD = {
    "dx[1][2]": [-2.07101689, -0.59255627, 0.02466855, 0.01483317],
    "da0[2][3]": -0.3149423751266506,
    "dWax[3][1]": 11.264104496527771,
    "dWaa[1][2]": 2.303333126579893,
    "dba[4]": [-0.74747722],
}
# The older values the same post lists for the rnn_cell_backward test.
OLDER_CELL_BACKWARD = {
    "dxt[1][2]": -0.4605641030588796,
    "da_prev[2][3]": 0.08429686538067724,
    "dWax[3][1]": 0.39308187392193034,
    "dWaa[1][2]": -0.28483955786960663,
    "dba[4]": [0.80517166],
}

TOL = 1e-12      # a value published to full float64 precision: |ours - published| ≤ TOL (factor 100 to spare)
DIGITS = 10      # ours, to this many significant digits (checked to survive a relative 1e-13 change)
REL = 1e-13      # float64 rounding of these short computations is ~1e-15 relative on any CPU


def cell_draws() -> dict[str, np.ndarray]:
    """The cell tests' inputs: seed 1, then xt, a_prev, Wax, Waa, Wya, ba, by."""
    np.random.seed(1)
    names_shapes = [("xt", (3, 10)), ("a_prev", (5, 10)), ("Wax", (5, 3)), ("Waa", (5, 5)),
                    ("Wya", (2, 5)), ("ba", (5, 1)), ("by", (2, 1))]
    return {name: np.random.randn(*shape) for name, shape in names_shapes}


def sequence_draws(waa_first: bool) -> dict[str, np.ndarray]:
    """The sequence tests' inputs: seed 1, x, a0, then Waa and Wax in the test's order, Wya, ba, by."""
    np.random.seed(1)
    d = {"x": np.random.randn(3, 10, 4), "a0": np.random.randn(5, 10)}
    order = ("Waa", "Wax") if waa_first else ("Wax", "Waa")
    d[order[0]] = np.random.randn(*((5, 5) if order[0] == "Waa" else (5, 3)))
    d[order[1]] = np.random.randn(*((5, 5) if order[1] == "Waa" else (5, 3)))
    d["Wya"], d["ba"], d["by"] = np.random.randn(2, 5), np.random.randn(5, 1), np.random.randn(2, 1)
    return d


def params_of(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: d[k] for k in ("Wax", "Waa", "Wya", "ba", "by")}


def rows(ours: dict[str, object], published: dict[str, object]) -> list[list[str]]:
    """One row per number: name, ours to 10 significant digits, the published value, and how they agree:
    ``≤ 1e-12`` for a value published to full float64 precision, else ``= to d decimals`` when ours
    rounded to the published d decimals is the published number (raises if it is not)."""
    out = []
    for name, ref in published.items():
        mine = np.ravel(ours[name])
        ref = np.ravel(ref)
        for i, (a, b) in enumerate(zip(mine, ref, strict=True)):
            label = name if mine.size == 1 else f"{name}[{i}]"
            published = repr(float(b))
            digits = published.lstrip("-0.").replace(".", "")
            if len(digits) >= 15:                               # all of float64's digits
                agree = claim(abs(a - b), TOL, what=label)
            else:
                d = len(published.split(".")[1])
                if fmt(a, f".{d}f", rel=REL) != f"{b:.{d}f}":
                    raise ValueError(f"{label}: ours {a!r} does not round to the published {published}")
                agree = f"= to {d} decimals"
            out.append([label, fmt(a, f"#.{DIGITS}g", rel=REL), published, agree])
    return out


def show(title: str, ours: dict[str, object], published: dict[str, object], source: str = "course") -> None:
    print(f"\n{title}")
    print(table(["quantity", "ours", source, "agreement"], rows(ours, published)))


def main() -> None:
    print("Each course test through solutions.compat: np.random.seed(1), then the test's draws in its order.")
    print("Agreement: ours rounded to the decimals a value was published with equals it;")
    print("a value published with all float64 digits differs from ours by at most 1e-12.")

    d = cell_draws()
    a_next, yt_pred, _ = compat.rnn_cell_forward(d["xt"], d["a_prev"], params_of(d))
    show("rnn_cell_forward  (draws: xt, a_prev, Wax, Waa, Wya, ba, by)",
         {"a_next[4]": a_next[4], "yt_pred[1]": yt_pred[1]}, COURSE_CELL_FORWARD)

    d = cell_draws()
    _, _, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], params_of(d))
    da_next = np.random.randn(5, 10)
    g = compat.rnn_cell_backward(da_next, cache)
    cell_ours = {"dxt[1][2]": g["dxt"][1][2], "da_prev[2][3]": g["da_prev"][2][3],
                 "dWax[3][1]": g["dWax"][3][1], "dWaa[1][2]": g["dWaa"][1][2], "dba[4]": g["dba"][4]}
    show("rnn_cell_backward  (draws: the cell inputs as above, then da_next)", cell_ours, COURSE_CELL_BACKWARD)

    d = sequence_draws(waa_first=True)
    a, y_pred, caches = compat.rnn_forward(d["x"], d["a0"], params_of(d))
    show("rnn_forward  (draws: x, a0, Waa, Wax, Wya, ba, by; Waa before Wax in this test)",
         {"a[4][1]": a[4][1], "y_pred[1][3]": y_pred[1][3], "caches[1][1][3]": caches[1][1][3]},
         COURSE_RNN_FORWARD)

    d = sequence_draws(waa_first=False)
    _, _, caches = compat.rnn_forward(d["x"], d["a0"], params_of(d))
    da = np.random.randn(5, 10, 4)
    g = compat.rnn_backward(da, caches)
    show("rnn_backward  (draws: x, a0, Wax, Waa, Wya, ba, by, then da)",
         {"dx[1][2]": g["dx"][1][2], "da0[2][3]": g["da0"][2][3], "dWax[3][1]": g["dWax"][3][1],
          "dWaa[1][2]": g["dWaa"][1][2], "dba[4]": g["dba"][4]}, COURSE_RNN_BACKWARD)

    # The older rnn_cell_backward values: the same test, but with the bias ba that the
    # rnn_forward test draws (after x, a0, Waa, Wax, Wya) instead of the test's own draw.
    stale_ba = sequence_draws(waa_first=True)["ba"]
    d = cell_draws()
    da_next = np.random.randn(5, 10)
    _, _, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], {**params_of(d), "ba": stale_ba})
    g = compat.rnn_cell_backward(da_next, cache)
    older_ours = {"dxt[1][2]": g["dxt"][1][2], "da_prev[2][3]": g["da_prev"][2][3],
                  "dWax[3][1]": g["dWax"][3][1], "dWaa[1][2]": g["dWaa"][1][2], "dba[4]": g["dba"][4]}
    show("The older rnn_cell_backward values are reproduced when ba is not this test's draw but the\n"
         "ba left from the rnn_forward test (seed 1, x, a0, Waa, Wax, Wya, ba); every other input as above:",
         older_ours, OLDER_CELL_BACKWARD, source="older value")
