"""Threads and timing: interleaved rounds, medians and spreads, one run over the suites."""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from threadpoolctl import ThreadpoolController, threadpool_limits

from bench.implementations import IMPLEMENTATIONS
from bench.problems import Problem, Setup, Shape, make_problem
from bench.suites import suites
from solutions.validate import check_int

THREADS: tuple[int, ...] = (1, 2)
"""Thread counts of the rows (both libraries get the same)."""



def library(name: str) -> str:
    """``"torch"`` for an implementation whose name starts with ``torch``, else ``"numpy"``."""
    return "torch" if name.startswith("torch") else "numpy"


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` threads for PyTorch and for NumPy's BLAS; restore them after.

    PyTorch: ``torch.set_num_threads`` (its OpenMP pool and MKL). NumPy's BLAS:
    ``threadpoolctl.threadpool_limits(n, user_api="blas")``.
    """
    check_int("threads", n)
    old_torch = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(old_torch)


def time_all(
    problem: Problem,
    implementations: dict[str, Setup] | None = None,
    repeats: int = 15,
    warmup: int = 2,
    min_seconds: float = 2e-3,
    n_threads: int = 1,
) -> dict[str, list[float]]:
    """Seconds per forward + backward pass of each implementation, in interleaved rounds.

    Each round runs every implementation once in turn, starting one place later than the round
    before. A turn is one untimed pass (it absorbs whatever the previous implementation left
    behind: caches, another library's waking threads), then ``k`` timed passes back to back,
    ``k`` chosen in the warm-up rounds so that a sample lasts about ``min_seconds``.

    Parameters
    ----------
    problem : Problem
        The inputs every implementation gets.
    implementations : dict, optional
        Name -> setup function; default ``IMPLEMENTATIONS``.
    repeats : int
        Timed rounds.
    warmup : int
        Untimed rounds first (allocator, BLAS threads, torch's lazy init).
    min_seconds : float
        Shortest sample: tiny problems time several passes per sample.
    n_threads : int
        Above 1: before each turn, the implementation's ``library`` gets
        ``n_threads`` threads and the other library 1 (call inside
        ``threads``, which restores them).

    Returns
    -------
    samples : dict
        Name -> ``repeats`` samples of seconds per pass.
    """
    check_int("repeats", repeats)
    check_int("warmup", warmup, 0)
    steps = {name: setup(problem) for name, setup in (implementations or IMPLEMENTATIONS).items()}
    names = list(steps)
    blas = ThreadpoolController().select(user_api="blas") if n_threads > 1 else None
    passes = dict.fromkeys(names, 1)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(warmup + repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            step, k = steps[name], passes[name]
            if blas is not None:  # this library n_threads, the other one 1: no idle pool to fight
                mine = library(name)
                torch.set_num_threads(n_threads if mine == "torch" else 1)
                blas.limit(limits=n_threads if mine == "numpy" else 1)
            step()
            t0 = time.perf_counter()
            for _ in range(k):
                step()
            per_call = (time.perf_counter() - t0) / k
            elapsed = per_call / getattr(step, "units", 1)  # e.g. per update of a TBPTT run
            if r < warmup:
                passes[name] = max(1, min(1000, math.ceil(min_seconds / max(per_call, 1e-9))))
            else:
                samples[name].append(elapsed)
    return samples


@dataclass(frozen=True)
class Timing:
    """Median seconds per pass and spread (interquartile range / median) of some samples."""

    median: float
    spread: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Timing:
        med = statistics.median(samples)
        if len(samples) < 2:
            return cls(med, 0.0)
        q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(med, (q3 - q1) / med)


@dataclass
class Measurements:
    """Everything one run measured, for ``render``."""

    repeats: int
    rows: dict[str, dict[tuple[Shape, int], dict[str, Timing]]] = field(default_factory=dict)
    """Suite key -> ``((T, B, I, H), threads)`` -> name -> timing."""
    load: list[float] = field(default_factory=list)
    """The 1-minute load average before and after the run (empty where the OS has none)."""


def run(
    suite_keys: Sequence[str] | None = None,
    shapes: Sequence[Shape] | None = None,
    thread_counts: Sequence[int] = THREADS,
    repeats: int = 15,
) -> Measurements:
    """Time every suite's implementations and floors on its shapes with each thread count.

    Parameters
    ----------
    suite_keys : sequence of str, optional
        Keys of ``suites``; default all that can run.
    shapes : sequence of (T, B, I, H), optional
        Override every suite's shapes (the tests use tiny ones).
    thread_counts : sequence of int
        Default ``(1, 2)``.
    repeats : int
        Timed rounds per row.
    """
    all_suites = suites()
    keys = list(suite_keys) if suite_keys is not None else list(all_suites)
    for key in keys:
        if key not in all_suites:
            raise ValueError(f"suite must be one of {sorted(all_suites)}; got {key!r}")
    result = Measurements(repeats)
    _load(result)
    for key in keys:
        suite = all_suites[key]
        if suite.missing:
            continue
        rows = result.rows.setdefault(key, {})
        for shape in (shapes or suite.shapes):
            problem = make_problem(*shape, gates=suite.gates)
            for n in thread_counts:
                print(f"{suite.name}: T, B, I, H = {tuple(shape)} with {n} thread(s) ...", file=sys.stderr)
                with threads(n):
                    samples = time_all(problem, suite.timed, repeats, n_threads=n)
                rows[(tuple(shape), n)] = {name: Timing.of(s) for name, s in samples.items()}
    _load(result)
    return result


def _load(result: Measurements) -> None:
    try:
        result.load.append(os.getloadavg()[0])
    except (AttributeError, OSError):  # not on Windows
        pass
