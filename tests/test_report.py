"""solutions.publish.report: claims against a tolerance, numbers that refuse a rounding boundary, Result."""

from __future__ import annotations

import numpy as np
import pytest

from solutions.publish import report
from solutions.publish.report import FragileNumber, Result, claim, fmt, pct, round_sig


def test_claim_states_the_tolerance_not_the_error() -> None:
    assert claim(3e-16, 1e-12) == "≤ 1e-12"
    assert claim(0.0, 1e-12) == "≤ 1e-12"
    assert claim(0.0, 0.0) == "0"
    assert claim(2e-6, 1e-4, margin=20) == "≤ 1e-04"
    assert claim(1e-9, 2.5e-5) == "≤ 2.5e-05"


@pytest.mark.parametrize(("err", "tol", "margin"), [(1e-13, 1e-12, 100), (1e-12, 1e-12, 1.5), (1e-20, 0.0, 100),
                                                     (float("nan"), 1e-12, 100), (-1.0, 1e-12, 100),
                                                     (1e-20, -1.0, 100)])
def test_claim_refuses_an_error_without_its_margin(err: float, tol: float, margin: float) -> None:
    with pytest.raises(ValueError, match="dW"):
        claim(err, tol, margin, what="dW")


def test_fmt_formats_like_format() -> None:
    assert fmt(1.23456, ".3f") == "1.235"
    assert fmt(np.float64(0.5), ".0%") == "50%"
    assert fmt(7, "d") == "7" and fmt(np.int64(7), "3d") == "  7"
    assert fmt(0.0, ".3f") == "0.000" and fmt(float("nan"), ".2f") == "nan"
    assert fmt(-2.5e-7, ".1e") == "-2.5e-07"


@pytest.mark.parametrize(("x", "spec", "rel"), [
    (1.0005, ".3f", 1e-9),          # 1.000499999…: a rounding boundary one ulp away
    (0.49999995, ".7f", 1e-9),      # 5 / (10 + 1e-6), the clipping-rules case
    (60.13214912984053, ".4f", 1e-7),
    (2.0, "g", 1e-4),               # an exact count as a float: 1.9998 / 2.0002
    (1e-17, ".3f", 1e-9),           # rounds to zero: its sign would be noise (-0.000)
    (-1e-17, ".3f", 1e-9),
])
def test_fmt_refuses_a_fragile_number(x: float, spec: str, rel: float) -> None:
    with pytest.raises(FragileNumber):
        fmt(x, spec, rel=rel)
    assert issubclass(FragileNumber, ValueError)


def test_pct_is_exact_and_rounds_half_up() -> None:
    """Integer counts, so no float rounding: 1/16 = 6.25% prints 6.3 (``f"{6.25:.1f}"`` gives 6.2)."""
    assert [pct(1, 3), pct(2, 3), pct(1, 16), pct(0, 7), pct(7, 7)] == ["33.3", "66.7", "6.3", "0.0", "100.0"]


def test_round_sig_rounds_to_significant_digits() -> None:
    out = round_sig([123456.0, 0.000123456, -9.87654, 0.0, np.inf, np.nan], 4)
    assert out[:4].tolist() == [123500.0, 0.0001235, -9.877, 0.0]
    assert np.isinf(out[4]) and np.isnan(out[5])


def test_result_is_a_named_tuple_with_empty_defaults() -> None:
    r = Result(values={"loss": "0.961"})
    assert dict(r.figures) == {} and r.values["loss"] == "0.961"
    assert Result({"a.svg": None}, {}).figures == {"a.svg": None}


@pytest.mark.parametrize("lo, hi, n, text", [
    (0, 0, 12, "0/12"), (12, 12, 12, "12/12"), (0, 6, 12, "≤6/12"), (1, 5, 12, "≤6/12"),
    (6, 12, 12, "≥6/12"), (7, 11, 12, "≥6/12"), (5, 7, 12, "?"), (0, 3, 5, "?"), (3, 5, 5, "≥2/5"),
])
def test_count_class_prints_what_holds_for_every_count_in_the_range(lo, hi, n, text) -> None:
    assert report.count_class(lo, hi, n) == text


@pytest.mark.parametrize("lo, hi, n", [(3, 2, 5), (-1, 2, 5), (0, 6, 5)])
def test_count_class_rejects_a_range_that_is_not_one(lo, hi, n) -> None:
    with pytest.raises(ValueError, match="lo, hi, n"):
        report.count_class(lo, hi, n)
