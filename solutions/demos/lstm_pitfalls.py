"""The mistakes students make in the notebook's lstm_cell_backward and lstm_backward, with the numbers each prints on the notebook's own tests."""

from __future__ import annotations

import numpy as np

from solutions import lstm
from solutions.course import compat
from solutions.course.lstm_pitfalls import (
    CELL_MISTAKES,
    SEQUENCE_MISTAKES,
    cell_backward,
    course_cell,
    sequence_backward,
)
from solutions.course.lstm_reference import (
    CELL_BACKWARD,
    NEWER_BACKWARD,
    cell_draws,
    pick,
    sequence_draws,
)
from solutions.publish.report import claim, fmt, table


def names(labels, g) -> list[str]:
    out = []
    for label in labels:
        n = pick(g, [label])[label].size
        out += [label] if n == 1 else [f"{label}[{k}]" for k in range(n)]
    return out


def number(v: float) -> str:
    return fmt(v, ".6f", rel=1e-10)


def main() -> None:
    d = cell_draws()
    P = d["parameters"]
    n_a = d["a_prev"].shape[0]
    rows = compat.lstm_row_params(P, n_a)
    _, c_next, cache = lstm.lstm_cell_forward(d["xt"].T, d["a_prev"].T, d["c_prev"].T, rows)
    results = {m: course_cell(cell_backward(d["da_next"].T, d["dc_next"].T, cache, c_next, m), n_a)
               for m in CELL_MISTAKES}
    _, _, _, ccache = compat.lstm_cell_forward(d["xt"], d["a_prev"], d["c_prev"], P)
    ours = compat.lstm_cell_backward(d["da_next"], d["dc_next"], ccache)
    err = max(float(np.max(np.abs(results["correct"][k] - ours[k]))) for k in ours)

    print("lstm_cell_backward on the notebook's test (np.random.seed(1); xt, a_prev, c_prev, Wf, bf, Wi, bi,")
    print("Wo, bo, Wc, bc, Wy, by, then da_next, dc_next), the quantities it prints, for each mistake.")
    print(f"The 'correct' column is the reference cell solutions.lstm.lstm_cell_backward; it equals solutions.course.compat {claim(err, 1e-12)}.\n")
    labels = list(CELL_BACKWARD)
    cols = {m: np.concatenate(list(pick(g, labels).values())) for m, g in results.items()}
    rows_ = [[q, *(number(cols[m][k]) for m in CELL_MISTAKES)] for k, q in enumerate(names(labels, results["correct"]))]
    print(table(["printed", *CELL_MISTAKES], rows_))
    print("\nThe wrong line of each column:")
    for m, text in CELL_MISTAKES.items():
        print(f"  {m:<16} {text}")

    d = sequence_draws(zero_output_layer=True)
    labels = list(NEWER_BACKWARD)
    n_a = d["a0"].shape[0]
    x_rows = np.ascontiguousarray(d["x"].transpose(2, 1, 0))
    _, _, loop = lstm.lstm_forward_loop(x_rows, d["a0"].T, np.zeros_like(d["a0"].T),
                                        compat.lstm_row_params(d["parameters"], n_a))
    da_rows = np.ascontiguousarray(d["da"].transpose(2, 1, 0))
    seq = {m: sequence_backward(da_rows, loop, m) for m in SEQUENCE_MISTAKES}
    _, _, _, caches = compat.lstm_forward(d["x"], d["a0"], d["parameters"])
    ours = compat.lstm_backward(d["da"], caches)
    err = max(float(np.max(np.abs(seq["correct"][k] - ours[k]))) for k in ours)
    print("\nlstm_backward on the notebook's test (x (3, 10, 7), a0, the gates, then da (5, 10, 4)), for each")
    print(f"mistake in the loop; 'correct' equals solutions.course.compat {claim(err, 1e-12)}.\n")
    cols = {m: np.concatenate(list(pick(g, labels).values())) for m, g in seq.items()}
    rows_ = [[q, *(number(cols[m][k]) for m in SEQUENCE_MISTAKES)] for k, q in enumerate(names(labels, seq["correct"]))]
    print(table(["printed", *SEQUENCE_MISTAKES], rows_))
    print("\nThe call in the loop of each column:")
    for m, text in SEQUENCE_MISTAKES.items():
        print(f"  {m:<12} {text}")
