"""The deeplearning.ai notebook's LSTM test values, where each is printed, and the tests' inputs.

The LSTM half of "Building your Recurrent Neural Network - Step by Step" (deeplearning.ai,
Sequence Models, week 1), as [solutions.course.reference][solutions.course.reference] holds the
RNN half: what the notebook prints for ``lstm_cell_forward``, ``lstm_cell_backward``,
``lstm_forward`` and its two ``lstm_backward`` versions, and the draws of its tests, which
[solutions.course.compat][solutions.course.compat] reproduces (the ``lstm-course`` and
``lstm-pitfalls`` demos print the comparison). [pick][solutions.course.lstm_reference.pick]
reads the printed entries off our arrays, [agreement][solutions.course.lstm_reference.agreement]
compares one with the printed number.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from solutions.publish.report import FragileNumber

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

GATES = ("f", "i", "o", "c")
"""The notebook draws Wf, bf, Wi, bi, Wo, bo, Wc, bc in this order."""


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


ROUNDING = 5e-15
"""Allowance for the float64 rounding of both computations in [agreement][solutions.course.lstm_reference.agreement]."""


def pick(arrays: dict[str, np.ndarray], labels: Iterable[str]) -> dict[str, np.ndarray]:
    """``{"dWf[3][1]": ...}``: the entries the notebook prints (``labels``, e.g. the keys of
    ``CELL_BACKWARD``), read off our arrays by the same indices, each flattened (a printed row
    is one label)."""
    out = {}
    for label in labels:
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
