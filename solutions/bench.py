"""Timing table: NumPy BPTT (``rnn_forward`` + ``rnn_backward``) against ``torch.nn.RNN``.

``python -m solutions.bench`` times one forward and one backward pass of every implementation
in [IMPLEMENTATIONS][solutions.bench.IMPLEMENTATIONS] on the same float32 problem, on CPU, in
the same process. The implementations take turns inside each round (interleaved), so a slow
spell of a shared machine hits all of them alike; each one's time is the median over the
rounds. ``--write docs/benchmarks/rnn.txt`` also stores the table (with the machine it ran on;
timings are machine-specific, so the file is not byte-compared by the tests).

Both libraries get the same number of threads in each row: NumPy's OpenBLAS and PyTorch each
keep a pool of worker threads that spin for a while after a call, so with default settings
in one process each pool slows the other down. One row per shape uses 1 thread for both,
one uses every core for both.

To add an implementation, add an entry to ``IMPLEMENTATIONS``: a name and a function that takes
a [Problem][solutions.bench.Problem] and returns a no-argument callable doing one forward and
one backward pass, including every gradient (``x``, ``h0`` and the four parameters).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from solutions.report import machine, table
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import rnn

SHAPES: tuple[tuple[int, int, int, int], ...] = ((100, 32, 64, 128), (1000, 8, 32, 64))
"""(T, B, I, H) of the two problems timed: a short wide one and a long narrow one."""

BASELINE = "torch.nn.RNN"
"""The implementation every other one is compared with."""


@dataclass(frozen=True)
class Problem:
    """One benchmark problem, float32 NumPy arrays.

    Attributes
    ----------
    x : ndarray of shape (T, B, I)
    h0 : ndarray of shape (B, H)
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,).
    dh : ndarray of shape (T, B, H)
        The fixed upstream gradient ``∂L/∂h_t`` fed to every backward pass.
    """

    x: np.ndarray
    h0: np.ndarray
    params: dict[str, np.ndarray]
    dh: np.ndarray


def make_problem(T: int, B: int, I: int, H: int, seed: int = 0, dtype: type = np.float32) -> Problem:
    """A seeded problem of the given sizes, with weights scaled like ``torch.nn.RNN``'s init."""
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    params = {
        "W_ih": rng.uniform(-k, k, (H, I)),
        "W_hh": rng.uniform(-k, k, (H, H)),
        "b_ih": rng.uniform(-k, k, H),
        "b_hh": rng.uniform(-k, k, H),
    }
    return Problem(
        x=rng.standard_normal((T, B, I)).astype(dtype),
        h0=rng.standard_normal((B, H)).astype(dtype),
        params={key: v.astype(dtype) for key, v in params.items()},
        dh=rng.standard_normal((T, B, H)).astype(dtype),
    )


def numpy_bptt(p: Problem) -> Callable[[], object]:
    """[rnn_forward][solutions.sequence.rnn_forward] then [rnn_backward][solutions.sequence.rnn_backward]."""
    def step() -> dict[str, np.ndarray]:
        _, cache = rnn_forward(p.x, p.h0, p.params)
        return rnn_backward(p.dh, cache)
    return step


def torch_rnn(p: Problem) -> Callable[[], object]:
    """``torch.nn.RNN`` forward, then ``output.backward(dh)`` into ``x``, ``h0`` and the weights."""
    T, B, I = p.x.shape
    H = p.h0.shape[1]
    rnn = torch.nn.RNN(I, H, dtype=torch.from_numpy(p.x).dtype)
    with torch.no_grad():
        for key, name in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"),
                          ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")):
            getattr(rnn, name).copy_(torch.from_numpy(p.params[key]))
    x = torch.from_numpy(p.x).requires_grad_(True)
    h0 = torch.from_numpy(p.h0)[None].requires_grad_(True)
    dh = torch.from_numpy(p.dh)

    def step() -> None:
        x.grad = h0.grad = None
        rnn.zero_grad(set_to_none=True)
        out, _ = rnn(x, h0)
        out.backward(dh)
    return step


def torch_op(p: Problem) -> Callable[[], object]:
    """[rnn][solutions.torch_ops.rnn] (hand-written ``RNNFunction.backward``), then ``h.backward(dh)``."""
    args = [torch.from_numpy(a).requires_grad_(True)
            for a in (p.x, p.h0, *(p.params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")))]
    dh = torch.from_numpy(p.dh)

    def step() -> None:
        for a in args:
            a.grad = None
        rnn(*args).backward(dh)
    return step


IMPLEMENTATIONS: dict[str, Callable[[Problem], Callable[[], object]]] = {
    "NumPy": numpy_bptt,
    "torch_ops.rnn": torch_op,
    BASELINE: torch_rnn,
}
"""Name -> setup function; the callable it returns runs one forward + backward pass."""


def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """Get/set thread count of the OpenBLAS that NumPy loaded (its PyPI wheels bundle one).

    Found by name among the shared libraries of this process (``/proc/self/maps``); ``None``
    when there is none (another BLAS, or not Linux): then NumPy's threads are left alone.
    """
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.rsplit("/", 1)[-1].lower()})
    except OSError:
        return None
    for path in paths:
        lib = ctypes.CDLL(path)
        for suffix in ("64_", ""):  # scipy-openblas (NumPy >= 2) / plain OpenBLAS
            prefix = "scipy_openblas" if suffix else "openblas"
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                return get, set_
    return None


@contextmanager
def threads(n: int) -> Iterator[str]:
    """Run the block with ``n`` threads for PyTorch and for NumPy's OpenBLAS; restore them after.

    Yields a description of what was limited, for the table's header.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"threads must be an integer >= 1; got {n!r}")
    blas = _openblas()
    old_torch, old_blas = torch.get_num_threads(), blas[0]() if blas else None
    torch.set_num_threads(n)
    if blas:
        blas[1](n)
    try:
        yield "torch.set_num_threads and OpenBLAS" if blas else "torch.set_num_threads only (NumPy's BLAS is not OpenBLAS)"
    finally:
        torch.set_num_threads(old_torch)
        if blas:
            blas[1](old_blas)


def time_all(
    problem: Problem,
    implementations: dict[str, Callable[[Problem], Callable[[], object]]] | None = None,
    repeats: int = 15,
    warmup: int = 2,
) -> dict[str, float]:
    """Median seconds per forward + backward pass of each implementation, interleaved.

    In each round every implementation runs twice in a row and the second run is timed: the
    first one absorbs the other library's idle worker threads, which spin for a while after
    their own call and would otherwise slow down whichever library runs next.

    Parameters
    ----------
    problem : Problem
        The inputs every implementation gets.
    implementations : dict, optional
        Name -> setup function; default [IMPLEMENTATIONS][solutions.bench.IMPLEMENTATIONS].
    repeats : int
        Timed rounds.
    warmup : int
        Untimed rounds first (allocator, BLAS threads, torch's lazy init).

    Returns
    -------
    seconds : dict
        Name -> median seconds of one pass.
    """
    if not (isinstance(repeats, int) and repeats >= 1):
        raise ValueError(f"repeats must be an integer >= 1; got {repeats!r}")
    steps = {name: setup(problem) for name, setup in (implementations or IMPLEMENTATIONS).items()}
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(warmup + repeats):
        for name, step in steps.items():
            step()
            t0 = time.perf_counter()
            step()
            elapsed = time.perf_counter() - t0
            if r >= warmup:
                samples[name].append(elapsed)
    return {name: statistics.median(s) for name, s in samples.items()}


Row = tuple[tuple[int, int, int, int], int]
"""A table row's key: ``((T, B, I, H), threads)``."""


def run(
    shapes: Sequence[tuple[int, int, int, int]] = SHAPES,
    thread_counts: Sequence[int] | None = None,
    repeats: int = 15,
    implementations: dict[str, Callable[[Problem], Callable[[], object]]] | None = None,
) -> tuple[dict[Row, dict[str, float]], str]:
    """Time every implementation on every shape with each thread count.

    Parameters
    ----------
    shapes : sequence of (T, B, I, H)
    thread_counts : sequence of int, optional
        Default ``(1, os.cpu_count())`` (just ``(1,)`` on one core).
    repeats : int
        Timed rounds per row.
    implementations : dict, optional
        Default [IMPLEMENTATIONS][solutions.bench.IMPLEMENTATIONS].

    Returns
    -------
    results : dict
        ``((T, B, I, H), threads)`` -> name -> median seconds per pass.
    limited : str
        Which thread pools were limited (see [threads][solutions.bench.threads]).
    """
    if thread_counts is None:
        thread_counts = sorted({1, os.cpu_count() or 1})
    results, limited = {}, ""
    for shape in shapes:
        problem = make_problem(*shape)
        for n in thread_counts:
            print(f"timing T, B, I, H = {shape} with {n} thread(s) ...", file=sys.stderr)
            with threads(n) as limited:
                results[(tuple(shape), n)] = time_all(problem, implementations, repeats)
    return results, limited


def render(results: dict[Row, dict[str, float]], repeats: int, limited: str) -> str:
    """The table: one row per shape and thread count, ms per pass of each implementation, then
    each one's time divided by the baseline's."""
    names = list(next(iter(results.values())))
    others = [n for n in names if n != BASELINE]
    headers = ["T,B,I,H", "thr"] + names
    rows = []
    for (shape, n), sec in results.items():
        rows.append([",".join(map(str, shape)), n]
                    + [f"{1e3 * sec[name]:.2f} ms" + ("" if name == BASELINE else f" ({sec[name] / sec[BASELINE]:.2f}x)")
                       for name in names])
    return (
        f"machine: {machine()}\n"
        "float32 on CPU, one process; one pass = forward + backward with every\n"
        "gradient (x, h0, weights, biases). NumPy = solutions.sequence rnn_forward +\n"
        f"rnn_backward. (0.50x) = time / {BASELINE}'s time. thr = threads, set by\n"
        f"{limited}.\n"
        f"Median ms per pass over {repeats} interleaved rounds; each round times\n"
        "the 2nd of 2 back-to-back passes.\n\n"
        + table(headers, rows) + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per row (default 15)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the table to FILE")
    args = parser.parse_args(argv)
    results, limited = run(repeats=args.repeats)
    text = render(results, args.repeats, limited)
    print(text, end="")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
