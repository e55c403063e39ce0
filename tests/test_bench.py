"""bench/ (``make bench``): the machinery on tiny shapes (nothing here is timed against a target).

The tables' structure and arithmetic, the floors doing the same products as the kernels, the
thread limits restored, the child process's environment (CPU-forcing variables removed and
named, the wait policy set), the header naming what timings depend on, and the stored table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from bench import timing
from bench.environment import CPU_ENV, child_env
from bench.implementations import FLOORS
from bench.problems import Problem, make_problem
from bench.render import render
from bench.suites import suites
from bench.timing import Measurements, Timing, library, run, threads, time_all

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "docs" / "benchmarks" / "rnn.txt"
TINY = [(3, 2, 4, 5), (1, 1, 1, 1)]


def table_rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]


def tables(text: str) -> dict[str, list[list[str]]]:
    """Title line -> that table's rows (header, separator, body)."""
    out: dict[str, list[list[str]]] = {}
    title = None
    for line in text.splitlines():
        if line.startswith("|") and title is not None:
            out.setdefault(title, []).append([c.strip() for c in line.strip().strip("|").split("|")])
        elif "(baseline " in line and not line.startswith("|"):
            title = line
    return out


def blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture(scope="module")
def tiny_text() -> str:
    result = run(["rnn"], shapes=TINY, thread_counts=[1, 2], repeats=2)
    return render(result)


def test_rnn_table_on_tiny_problems_has_one_line_per_size_thread_count_and_implementation(tiny_text: str) -> None:
    suite = suites()["rnn"]
    rows = tables(tiny_text)[f"{suite.name} (baseline {suite.baseline})"]
    assert rows[0] == ["T,B,I,H", "thr", "implementation", "ms", "spread", f"/ {suite.baseline}", "floor/time"]
    assert set(rows[1][0]) == {"-"}
    body = rows[2:]
    names = list(suite.timed)
    assert names == ["NumPy", "torch_ops.rnn", "torch.nn.RNN", "NumPy GEMMs", "torch GEMMs"]
    expected = [(",".join(map(str, s)), str(n), name) for s in TINY for n in (1, 2) for name in names]
    assert [tuple(r[:3]) for r in body] == expected
    for block in range(0, len(body), len(names)):
        lines = {r[2]: r for r in body[block:block + len(names)]}
        ms = {name: float(r[3]) for name, r in lines.items()}
        assert all(t > 0 for t in ms.values())
        assert lines[suite.baseline][5] == "1.00x"
        for name, r in lines.items():
            assert r[4].endswith("%") and float(r[4][:-1]) >= 0
            ratio = float(r[5].rstrip("x"))
            assert ratio == pytest.approx(ms[name] / ms[suite.baseline], rel=0.02, abs=0.011)
            floor = suite.floor_of.get(name)
            if floor is None:
                assert r[6] == "-"
            else:
                assert float(r[6].rstrip("%")) == pytest.approx(100 * ms[floor] / ms[name], rel=0.02, abs=1)


def test_header_names_machine_blas_kernel_simd_torch_capability_and_thread_policy(tiny_text: str) -> None:
    lines = tiny_text.splitlines()
    assert lines[0].startswith("machine: ") and "cores" in lines[0]
    head = "\n".join(lines[:16])
    for needle in ("NumPy BLAS", "NumPy SIMD: baseline", "dispatch", "PyTorch: CPU capability",
                   torch.backends.cpu.get_cpu_capability(), "CPU variables:", "OMP_WAIT_POLICY=",
                   "torch.set_num_threads", "threadpoolctl", "over 2 interleaved rounds"):
        assert needle in head, needle
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    if blas and blas[0].get("architecture"):
        assert f"kernel {blas[0]['architecture']}" in head


def test_child_environment_removes_cpu_forcing_variables_and_sets_the_wait_policy() -> None:
    env = child_env({"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "default", "PATH": "/bin"})
    assert "OPENBLAS_CORETYPE" not in env and "ATEN_CPU_CAPABILITY" not in env and env["PATH"] == "/bin"
    assert "OMP_WAIT_POLICY" not in env  # libgomp's own default unless --omp-wait-policy
    assert child_env({}, wait="PASSIVE")["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "OPENBLAS_CORETYPE=Haswell" in env["SOLUTIONS_BENCH_REMOVED"]
    assert "OMP_WAIT_POLICY=ACTIVE" in child_env({"OMP_WAIT_POLICY": "ACTIVE"})["SOLUTIONS_BENCH_REMOVED"]
    kept = child_env({"OPENBLAS_CORETYPE": "Haswell"}, keep=True)
    assert kept["OPENBLAS_CORETYPE"] == "Haswell" and kept["SOLUTIONS_BENCH_REMOVED"] == ""


def test_command_line_runs_in_a_child_that_reports_what_it_removed() -> None:
    env = {k: v for k, v in os.environ.items() if k not in CPU_ENV and not k.startswith("SOLUTIONS_BENCH")}
    env["OPENBLAS_CORETYPE"] = "Haswell"
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--suite", "rnn", "--shape", "2,1,2,3", "--threads", "1",
         "--repeats", "1"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    assert "removed for this run: OPENBLAS_CORETYPE=Haswell" in out
    assert "OMP_WAIT_POLICY=unset" in out
    assert [r[:3] for r in table_rows(out)[2:]][0] == ["2,1,2,3", "1", "NumPy"]


def test_threads_are_limited_inside_and_restored_after() -> None:
    before_torch, before_blas = torch.get_num_threads(), blas_threads()
    with threads(1):
        assert torch.get_num_threads() == 1
        assert all(n == 1 for n in blas_threads())
    assert torch.get_num_threads() == before_torch and blas_threads() == before_blas
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="threads must be an integer >= 1"):
            with threads(bad):
                pass
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        time_all(make_problem(1, 1, 1, 1), repeats=0)
    with pytest.raises(ValueError, match="suite must be one of"):
        run(["nope"])


def test_two_thread_rows_give_the_timed_library_the_threads_and_the_other_one() -> None:
    seen: list[tuple[str, int, list[int]]] = []

    def probe(name: str):
        return lambda p: (lambda: seen.append((name, torch.get_num_threads(), blas_threads())))
    impls = {name: probe(name) for name in ("NumPy", "torch_ops.rnn", "torch GEMMs", "TBPTT(20)")}
    assert [library(n) for n in impls] == ["numpy", "torch", "torch", "numpy"]
    before_torch, before_blas = torch.get_num_threads(), blas_threads()
    with threads(2):
        time_all(make_problem(1, 1, 1, 1), impls, repeats=1, warmup=0, n_threads=2)
    assert torch.get_num_threads() == before_torch and blas_threads() == before_blas
    for name, torch_n, blas_n in seen:
        mine = library(name)
        assert torch_n == (2 if mine == "torch" else 1), name
        assert all(b == (2 if mine == "numpy" else 1) for b in blas_n), name


@pytest.mark.parametrize("gates", [1, 3, 4])
def test_floors_compute_the_kernels_products(gates: int) -> None:
    """Both floors run the same products: the first one (all input projections) equals NumPy's."""
    p = make_problem(4, 3, 2, 5, gates=gates)
    assert p.sizes == (4, 3, 2, 5, gates) and p.params["W_hh"].shape == (gates * 5, 5)
    for setup in FLOORS.values():
        setup(p)()


def test_every_suite_runs_or_says_what_is_missing() -> None:
    for suite in suites().values():
        assert set(suite.floor_of) <= set(suite.implementations) and suite.baseline in suite.implementations
        if suite.missing:
            assert "solutions." in suite.missing
            assert f"{suite.name}: not timed: {suite.missing}" in render(Measurements(1))
            continue
        p = make_problem(3, 2, 4, 5, gates=suite.gates)
        for setup in suite.implementations.values():
            setup(p)()  # one forward + backward pass, every gradient


def test_timing_samples_interleave_count_and_divide_by_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    impls = {name: (lambda p, name=name: (lambda: calls.append(name))) for name in "abc"}
    samples = time_all(make_problem(1, 1, 1, 1), impls, repeats=3, warmup=0, min_seconds=0)
    assert {k: len(v) for k, v in samples.items()} == {"a": 3, "b": 3, "c": 3}
    firsts = calls[::2][:3]  # the untimed pass of each turn, first round
    assert firsts == ["a", "b", "c"] and calls[6:8] == ["b", "b"]  # round 2 starts one place later
    clock = [0.0]  # a fake clock: every call of the step below takes exactly 1 s and holds 4 updates
    monkeypatch.setattr(timing.time, "perf_counter", lambda: clock[0])

    def four_updates(p: Problem):
        def step() -> None:
            clock[0] += 1.0
        step.units = 4
        return step
    per_update = time_all(make_problem(1, 1, 1, 1), {"s": four_updates}, repeats=2, warmup=1)["s"]
    assert per_update == [0.25, 0.25]
    t = Timing.of([1.0, 2.0, 3.0, 4.0, 5.0])
    assert t.median == 3.0 and t.spread == pytest.approx(2.0 / 3.0)


def test_stored_table_names_the_machine_every_suite_shape_and_implementation() -> None:
    assert STORED.exists(), "run `make bench` (python -m bench --write docs/benchmarks/rnn.txt)"
    text = STORED.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("machine: ") and "cores" in first and "NumPy" in first and "PyTorch" in first
    assert "NumPy BLAS" in text and "NumPy SIMD" in text and "OMP_WAIT_POLICY" in text
    found = tables(text)
    for suite in suites().values():
        title = f"{suite.name} (baseline {suite.baseline})"
        if title not in found:
            assert not np.any([title in t for t in found]), title
            assert f"{suite.name}: not timed" in text, f"{title}: stale table, re-run `make bench`"
            continue
        rows = found[title][2:]
        assert {r[0] for r in rows} == {",".join(map(str, s)) for s in suite.shapes}, f"{title}: stale shapes"
        assert {r[2] for r in rows} == set(suite.timed), f"{title}: stale implementations"
