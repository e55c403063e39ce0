"""The header and the tables of ``docs/benchmarks/rnn.txt``."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence

from bench.environment import blas_info, environment_note, numpy_simd, torch_info
from bench.problems import Shape
from bench.suites import Suite, suites
from bench.timing import Measurements, Timing
from solutions.publish.report import machine, table

def header(repeats: int, load: Sequence[float] = ()) -> str:
    """What the timings depend on: machine, BLAS kernel, SIMD levels, threads, method, and how
    busy the machine was (1-minute load average before and after)."""
    wait = os.environ.get("OMP_WAIT_POLICY", "unset (libgomp's default: spin, then sleep)")
    busy = ""
    if load:
        busy = (f"load average (1 min) before / after the run: {' / '.join(f'{v:.1f}' for v in load)} "
                f"on {os.cpu_count()} cores{': busy before it started, timings unreliable' if load[0] >= 1.0 else ''}\n")
    return (
        f"machine: {machine()}\n"
        f"NumPy BLAS ({platform.machine()}): {blas_info()}\n"
        f"NumPy SIMD: {numpy_simd()}\n"
        f"PyTorch: {torch_info()}\n"
        f"CPU variables: {environment_note()}\n"
        "threads: thr = n gives the library being timed n threads and the other one 1\n"
        "  (torch.set_num_threads; threadpoolctl for NumPy's BLAS), switched before each\n"
        f"  implementation's untimed warm-up pass; OMP_WAIT_POLICY={wait}.\n"
        "float32 on CPU, one process; one pass = forward + backward with every gradient\n"
        "(x, initial state(s), weights, biases). NumPy = the solutions module's *_forward +\n"
        "*_backward. GEMMs = the same matrix products timed alone in that library (the floor).\n"
        f"ms = median per pass over {repeats} interleaved rounds; spread = interquartile range /\n"
        "median; / baseline = time / the baseline's time in the same row block; floor/time =\n"
        "that library's GEMM floor / the time of an implementation of the same algorithm\n"
        "(100% = nothing but GEMMs; the torch.nn modules run algorithms of their own: -).\n"
        + busy
    )


def render_suite(suite: Suite, rows: dict[tuple[Shape, int], dict[str, Timing]]) -> str:
    """One suite's table: one line per shape, thread count and implementation (floors last)."""
    headers = ["T,B,I,H", "thr", "implementation", "ms", "spread", f"/ {suite.baseline}", "floor/time"]
    lines = []
    for (shape, n), timing in rows.items():
        base = timing[suite.baseline].median
        for name, t in timing.items():
            floor = suite.floor_of.get(name)
            lines.append([
                ",".join(map(str, shape)), n, name, f"{1e3 * t.median:.3g}" if t.median < 1e-3 else f"{1e3 * t.median:.2f}",
                f"{100 * t.spread:.0f}%", f"{t.median / base:.2f}x",
                f"{100 * timing[floor].median / t.median:.0f}%" if floor else "-",
            ])
    note = f"{suite.note}\n" if suite.note else ""
    return f"{suite.name} (baseline {suite.baseline})\n{note}\n" + table(headers, lines) + "\n"


def render(result: Measurements) -> str:
    """The header, then one table per suite (or the reason a suite was not timed)."""
    out = [header(result.repeats, result.load)]
    for key, suite in suites().items():
        if key in result.rows:
            out.append(render_suite(suite, result.rows[key]))
        elif suite.missing:
            out.append(f"{suite.name}: not timed: {suite.missing}\n")
    return "\n".join(out)
