"""solutions.bench: the table's structure on tiny shapes, thread limits restored, the stored table."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from solutions import bench

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "docs" / "benchmarks" / "rnn.txt"


def table_rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]


def expected_header() -> list[str]:
    return ["T,B,I,H", "thr"] + list(bench.IMPLEMENTATIONS)


def parse_cell(cell: str) -> tuple[float, float | None]:
    """``"12.45 ms (0.65x)"`` -> (12.45, 0.65); the baseline's ``"19.06 ms"`` -> (19.06, None)."""
    ms, _, ratio = cell.partition(" ms")
    ratio = ratio.strip()
    return float(ms), (float(ratio.strip("()").rstrip("x")) if ratio else None)


def test_table_on_tiny_problems_has_one_row_per_size_and_thread_count() -> None:
    results, limited = bench.run(shapes=[(3, 2, 4, 5), (1, 1, 1, 1)], thread_counts=[1, 2], repeats=1)
    text = bench.render(results, 1, limited)
    assert text.splitlines()[0].startswith("machine: ") and "cores" in text.splitlines()[0]
    assert "over 1 interleaved rounds" in text
    rows = table_rows(text)
    assert rows[0] == expected_header()
    assert set(rows[1][0]) == {"-"}  # the separator line
    body = rows[2:]
    assert [(r[0], r[1]) for r in body] == [("3,2,4,5", "1"), ("3,2,4,5", "2"), ("1,1,1,1", "1"), ("1,1,1,1", "2")]
    base = list(bench.IMPLEMENTATIONS).index(bench.BASELINE)
    for r in body:
        cells = [parse_cell(c) for c in r[2:]]
        assert len(cells) == len(bench.IMPLEMENTATIONS)
        ms = [t for t, _ in cells]
        assert all(t > 0 for t in ms)
        assert cells[base][1] is None and all(q is not None for i, (_, q) in enumerate(cells) if i != base)
        others = [(q, t) for i, (t, q) in enumerate(cells) if i != base]
        for ratio, t in others:  # the ms are rounded to 0.01, the ratios to 0.01
            lo, hi = (t - 0.005) / (ms[base] + 0.005), (t + 0.005) / max(ms[base] - 0.005, 1e-9)
            assert lo - 0.005 <= ratio <= hi + 0.005, (ratio, t, ms[base])


def test_threads_are_restored_and_checked() -> None:
    before = torch.get_num_threads()
    with bench.threads(1) as limited:
        assert torch.get_num_threads() == 1 and "torch.set_num_threads" in limited
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        with bench.threads(0):
            pass
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        bench.time_all(bench.make_problem(1, 1, 1, 1), repeats=0)


def test_stored_table_names_the_machine_both_sizes_and_every_implementation() -> None:
    assert STORED.exists(), "run `python -m solutions.bench --write docs/benchmarks/rnn.txt`"
    text = STORED.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("machine: ") and "cores" in first and "NumPy" in first and "PyTorch" in first
    rows = table_rows(text)
    assert rows[0] == expected_header(), "the stored table is stale: re-run the benchmark with --write"
    shapes = {r[0] for r in rows[2:]}
    assert shapes == {",".join(map(str, s)) for s in bench.SHAPES}
