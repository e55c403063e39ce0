"""The deeplearning.ai notebook's LSTM reference values through solutions.course.compat, checked by torch autograd; its two lstm_backward sets."""

from __future__ import annotations

import numpy as np

from solutions.course import compat
from solutions.course.lstm_autograd import cell_autograd, sequence_autograd
from solutions.course.lstm_pitfalls import without_carry
from solutions.course.lstm_reference import (
    CELL_BACKWARD,
    CELL_FORWARD,
    NEWER_BACKWARD,
    OLDER_BACKWARD,
    SEQUENCE_FORWARD,
    agreement,
    cell_draws,
    pick,
    sequence_draws,
)
from solutions.gradcheck import max_abs
from solutions.publish.report import FragileNumber, Result, claim, fmt, table

REL = 1e-12      # a handful of float64 operations: far below any printed digit
AUTOGRAD_TOL = 1e-12


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


def main() -> Result:
    print("Each test of the notebook through solutions.course.compat: np.random.seed(1), then the test's draws in its")
    print("order. 'same': |ours - published| <= half a unit of the published value's last digit (+ 5e-15 for")
    print("float64 rounding).")

    d = cell_draws()
    a_next, c_next, yt, cache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], d["parameters"])
    differ = compare("lstm_cell_forward  (draws: xt, a_prev, c_prev, Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by)",
                     pick({"a_next": a_next, "c_next": c_next, "yt": yt, "cache": cache}, CELL_FORWARD),
                     CELL_FORWARD, "notebook")
    g = compat.lstm_cell_backward(d["da_next"], d["dc_next"], cache)
    differ += compare("lstm_cell_backward  (the same draws, then da_next, dc_next)", pick(g, CELL_BACKWARD),
                      CELL_BACKWARD, "notebook")
    err = max_abs(g, cell_autograd(d))
    print(f"torch autograd of the notebook's cell equations, every gradient of this test: |ours - autograd| "
          f"{claim(err, AUTOGRAD_TOL, what='cell vs autograd')}")

    d = sequence_draws(zero_output_layer=False)
    a, y, c, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    differ += compare("lstm_forward  (draws: x (3, 10, 7), a0, the gates as above, Wy, by)",
                      pick({"a": a, "y": y, "c": c, "caches": caches}, SEQUENCE_FORWARD), SEQUENCE_FORWARD,
                      "notebook")

    d = sequence_draws(zero_output_layer=True)
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    g = compat.lstm_backward(d["da"], caches)
    ours = pick(g, NEWER_BACKWARD)
    differ += compare("lstm_backward, newer notebook  (draws: x (3, 10, 7), a0, the gates; then da (5, 10, 4):\n"
                      "the loss is on a_1 ... a_4, the first four of the seven steps)", ours, NEWER_BACKWARD, "newer")
    err = max_abs(g, sequence_autograd(d))
    print(f"torch autograd of the notebook's equations, every gradient of this test: |ours - autograd| "
          f"{claim(err, AUTOGRAD_TOL, what='sequence vs autograd')}")
    if differ:
        raise ValueError(f"published values not reproduced: {differ}")

    old_differ = compare("lstm_backward, older notebook: the same test, the same gradients (autograd's)",
                         ours, OLDER_BACKWARD, "older")
    cut_differ = compare("The older values against lstm_backward with nothing carried between steps (each step\n"
                         "gets only its own da[:, :, t]; da_prevt and dc_prevt stay zero):",
                         pick(without_carry(d["da"], caches), OLDER_BACKWARD), OLDER_BACKWARD, "older",
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
