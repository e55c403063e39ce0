"""The deeplearning.ai course's reference values, reproduced through solutions.course.compat."""

from __future__ import annotations

import numpy as np

from solutions.course import compat
from solutions.course import reference as course
from solutions.course.reference import cell_draws, params_of, sequence_draws
from solutions.publish.report import claim, fmt, table

# The published values, where they are printed, and the tests' inputs: solutions.course.reference.
COURSE_CELL_FORWARD, COURSE_CELL_BACKWARD = course.CELL_FORWARD, course.CELL_BACKWARD
COURSE_RNN_FORWARD, COURSE_RNN_BACKWARD = course.RNN_FORWARD, course.RNN_BACKWARD
OLDER_CELL_BACKWARD = course.OLDER_CELL_BACKWARD

TOL = 1e-12      # a value published to full float64 precision: |ours - published| ≤ TOL (factor 100 to spare)
DIGITS = 10      # ours, to this many significant digits (checked to survive a relative 1e-13 change)
REL = 1e-13      # float64 rounding of these short computations is ~1e-15 relative on any CPU


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
    print("Each course test through solutions.course.compat: np.random.seed(1), then the test's draws in its order.")
    print("Agreement: ours rounded to the decimals a value was published with equals it;")
    print("a value published with all float64 digits differs from ours by at most 1e-12.")

    d = cell_draws()
    a_next, yt_pred, _ = compat.rnn_cell_forward(d["xt"], d["a_prev"], params_of(d))
    show("rnn_cell_forward  (draws: xt, a_prev, Wax, Waa, Wya, ba, by)",
         {"a_next[4]": a_next[4], "yt_pred[1]": yt_pred[1]}, COURSE_CELL_FORWARD)

    d = cell_draws()
    _, _, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], params_of(d))
    g = compat.rnn_cell_backward(d["da_next"], cache)
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
    g = compat.rnn_backward(d["da"], caches)
    show("rnn_backward  (draws: x, a0, Wax, Waa, Wya, ba, by, then da)",
         {"dx[1][2]": g["dx"][1][2], "da0[2][3]": g["da0"][2][3], "dWax[3][1]": g["dWax"][3][1],
          "dWaa[1][2]": g["dWaa"][1][2], "dba[4]": g["dba"][4]}, COURSE_RNN_BACKWARD)

    # The older rnn_cell_backward values: the same test, but with the bias ba that the
    # rnn_forward test draws (after x, a0, Waa, Wax, Wya) instead of the test's own draw.
    stale_ba = sequence_draws(waa_first=True)["ba"]
    d = cell_draws()
    _, _, cache = compat.rnn_cell_forward(d["xt"], d["a_prev"], {**params_of(d), "ba": stale_ba})
    g = compat.rnn_cell_backward(d["da_next"], cache)
    older_ours = {"dxt[1][2]": g["dxt"][1][2], "da_prev[2][3]": g["da_prev"][2][3],
                  "dWax[3][1]": g["dWax"][3][1], "dWaa[1][2]": g["dWaa"][1][2], "dba[4]": g["dba"][4]}
    show("The older rnn_cell_backward values are reproduced when ba is not this test's draw but the\n"
         "ba left from the rnn_forward test (seed 1, x, a0, Waa, Wax, Wya, ba); every other input as above:",
         older_ours, OLDER_CELL_BACKWARD, source="older value")
