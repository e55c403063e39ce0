"""Timing tables: the NumPy kernels against PyTorch, and against their own GEMM floor.

``python -m solutions.bench`` (``make bench``) times one forward and one backward pass, with
every gradient, of each implementation of a model on the same float32 problem, on CPU, in one
process. The implementations take turns inside each round (interleaved, in an order that
rotates from round to round), so a slow spell of a shared machine hits all of them alike; each
one's time is the median over the rounds, and its spread the interquartile range over the
median. ``--write docs/benchmarks/rnn.txt`` also stores the tables. Timings are the one output
of this project that differs from machine to machine: the header names what they depend on
(CPU, BLAS and the kernel it picked, NumPy's SIMD level, PyTorch's CPU capability, the thread
policy), and no test compares them.

**The GEMM floor.** Outside their time loops, the kernels do one matrix product for the input
projections of all steps and one for each weight gradient; inside, one small product with
``U`` per step and direction. The same GEMM calls, with the same shapes, timed alone in the
same library are the *floor*: the time a pass cannot beat without faster matrix products.
``floor/time`` is how much of the implementation's time that is (100 % = nothing but GEMMs).
Ratios against PyTorch move with the CPU and its BLAS kernels; the floor fraction travels.

**Thread policy.** ``thr = n`` gives the library being timed ``n`` threads and the other one
thread: ``torch.set_num_threads`` for PyTorch (its OpenMP pool and MKL), ``threadpoolctl`` for
NumPy's BLAS, switched before each implementation's untimed warm-up pass (the library of an
implementation is PyTorch when its name starts with ``torch``). With default settings two
pools in one process fight: PyTorch's OpenMP workers spin for a while after every parallel
call (libgomp's default wait policy), OpenBLAS's workers yield-spin after theirs, and either
takes the second core from the other library's next call. With the other library at one
thread it has no workers to wake, and the warm-up pass outlasts the spin of the previous turn;
each library keeps its own default wait policy, as its users have it
(``--omp-wait-policy PASSIVE`` or ``ACTIVE`` overrides libgomp's for a comparison). The
benchmark runs in a child process started without any variable that forces a CPU code path
(``OPENBLAS_CORETYPE``, ``ATEN_CPU_CAPABILITY``, ``NPY_DISABLE_CPU_FEATURES``, ``MKL_CBWR``, ...),
so that each library runs with its own kernel choice; the header lists what was removed.
``--keep-env`` keeps them (and the header names them). On a busy machine a two-thread row is
noise whatever the policy: a thread waits at every parallel call for a thread that the
operating system has paused. The header's load average and the spread column show it.

To add an implementation, add an entry to a suite's ``implementations``: a name and a function
that takes a [Problem][solutions.bench.Problem] and returns a no-argument callable doing one
forward and one backward pass, including every gradient (``x``, ``h0`` and the parameters).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import ThreadpoolController, threadpool_info, threadpool_limits

from solutions.report import machine, table
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import rnn

Shape = tuple[int, int, int, int]
Setup = Callable[["Problem"], Callable[[], object]]

SHAPES: tuple[Shape, ...] = ((20, 1, 10, 16), (100, 32, 64, 128), (1000, 8, 32, 64), (50, 64, 256, 512))
"""(T, B, I, H) of the RNN rows: tiny, short and wide, long and narrow, big."""

GATED_SHAPES: tuple[Shape, ...] = ((100, 32, 64, 128), (1000, 8, 32, 64))
"""(T, B, I, H) of the LSTM and GRU rows."""

TBPTT_SHAPES: tuple[Shape, ...] = ((1000, 8, 32, 64),)
"""(T, B, I, H) of the truncated-BPTT rows (a long sequence)."""

THREADS: tuple[int, ...] = (1, 2)
"""Thread counts of the rows (both libraries get the same)."""

BASELINE = "torch.nn.RNN"
"""The implementation every other RNN implementation is compared with."""

CPU_ENV: tuple[str, ...] = (
    "OPENBLAS_CORETYPE", "OPENBLAS_VERBOSE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES",
    "ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE",
)
"""Environment variables that force a CPU code path; removed for the run unless ``--keep-env``."""


_CHILD = "SOLUTIONS_BENCH_CHILD"      # set in the child's environment: do not re-launch
_REMOVED = "SOLUTIONS_BENCH_REMOVED"  # what the parent removed, for the header


@dataclass(frozen=True)
class Problem:
    """One benchmark problem, float32 NumPy arrays.

    Attributes
    ----------
    x : ndarray of shape (T, B, I)
    h0, c0 : ndarray of shape (B, H)
        Initial states (``c0`` is read by the LSTM only).
    params : dict
        ``W_ih`` (G·H, I), ``W_hh`` (G·H, H), ``b_ih`` (G·H,), ``b_hh`` (G·H,), with ``G``
        blocks (1 for the RNN, 4 for the LSTM, 3 for the GRU).
    dh : ndarray of shape (T, B, H)
        The fixed upstream gradient ``∂L/∂h_t`` fed to every backward pass.
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    params: dict[str, np.ndarray]
    dh: np.ndarray

    @property
    def sizes(self) -> tuple[int, int, int, int, int]:
        """``(T, B, I, H, G)``."""
        T, B, I = self.x.shape
        H = self.h0.shape[1]
        return T, B, I, H, self.params["W_hh"].shape[0] // H


def make_problem(T: int, B: int, I: int, H: int, gates: int = 1, seed: int = 0,
                 dtype: type = np.float32) -> Problem:
    """A seeded problem of the given sizes, weights scaled like ``torch.nn.RNN``'s init.

    ``gates`` is the number of stacked blocks ``G`` in ``W_ih`` and ``W_hh``.
    """
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    G = gates
    params = {
        "W_ih": rng.uniform(-k, k, (G * H, I)),
        "W_hh": rng.uniform(-k, k, (G * H, H)),
        "b_ih": rng.uniform(-k, k, G * H),
        "b_hh": rng.uniform(-k, k, G * H),
    }
    return Problem(
        x=rng.standard_normal((T, B, I)).astype(dtype),
        h0=rng.standard_normal((B, H)).astype(dtype),
        c0=rng.standard_normal((B, H)).astype(dtype),
        params={key: v.astype(dtype) for key, v in params.items()},
        dh=rng.standard_normal((T, B, H)).astype(dtype),
    )


# ---------------------------------------------------------------- implementations

def numpy_bptt(p: Problem) -> Callable[[], object]:
    """[rnn_forward][solutions.sequence.rnn_forward] then [rnn_backward][solutions.sequence.rnn_backward]."""
    def step() -> dict[str, np.ndarray]:
        _, cache = rnn_forward(p.x, p.h0, p.params)
        return rnn_backward(p.dh, cache)
    return step


def numpy_lstm(p: Problem) -> Callable[[], object]:
    """[lstm_forward][solutions.lstm.lstm_forward] then [lstm_backward][solutions.lstm.lstm_backward]."""
    from solutions.lstm import lstm_backward, lstm_forward

    def step() -> dict[str, np.ndarray]:
        *_, cache = lstm_forward(p.x, p.h0, p.c0, p.params)
        return lstm_backward(p.dh, cache)
    return step


def numpy_gru(p: Problem) -> Callable[[], object]:
    """[gru_forward][solutions.gru.gru_forward] then [gru_backward][solutions.gru.gru_backward]."""
    from solutions.gru import gru_backward, gru_forward

    def step() -> dict[str, np.ndarray]:
        _, cache = gru_forward(p.x, p.h0, p.params)
        return gru_backward(p.dh, cache)
    return step


def _torch_module(cls: type[torch.nn.RNNBase], p: Problem) -> Callable[[], object]:
    """``cls(I, H)`` holding the problem's weights: forward, then ``output.backward(dh)`` into
    ``x``, the initial state(s) and every weight."""
    _, _, I, H, _ = p.sizes
    m = cls(I, H, dtype=torch.from_numpy(p.x).dtype)
    with torch.no_grad():
        for key, name in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"),
                          ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")):
            getattr(m, name).copy_(torch.from_numpy(p.params[key]))
    x = torch.from_numpy(p.x).requires_grad_(True)
    h0 = torch.from_numpy(p.h0)[None].requires_grad_(True)
    c0 = torch.from_numpy(p.c0)[None].requires_grad_(True)
    state = (h0, c0) if cls is torch.nn.LSTM else h0
    dh = torch.from_numpy(p.dh)

    def step() -> None:
        x.grad = h0.grad = c0.grad = None
        m.zero_grad(set_to_none=True)
        out, _ = m(x, state)
        out.backward(dh)
    return step


def torch_rnn(p: Problem) -> Callable[[], object]:
    """``torch.nn.RNN`` forward, then ``output.backward(dh)`` into ``x``, ``h0`` and the weights."""
    return _torch_module(torch.nn.RNN, p)


def torch_lstm(p: Problem) -> Callable[[], object]:
    """``torch.nn.LSTM`` forward, then ``output.backward(dh)`` into ``x``, ``h0``, ``c0``, weights."""
    return _torch_module(torch.nn.LSTM, p)


def torch_gru(p: Problem) -> Callable[[], object]:
    """``torch.nn.GRU`` forward, then ``output.backward(dh)`` into ``x``, ``h0`` and the weights."""
    return _torch_module(torch.nn.GRU, p)


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


TBPTT_WINDOWS: tuple[int, ...] = (100, 20)
"""Window lengths ``ℓ`` of the truncated-BPTT rows (``TBPTT(ℓ)``: one update every ``ℓ`` steps)."""


def _tbptt(window: int | None) -> Setup:
    """Setup timing [TBPTT][solutions.tbptt.TBPTT] training over the problem's sequence, per update.

    ``window=None`` is full BPTT: one window of all ``T`` steps, one update per sequence. The
    output layer has ``O = I`` classes (a character model); targets are seeded.
    """
    def setup(p: Problem) -> Callable[[], object]:
        from solutions.tbptt import TBPTT

        T, B, I, H, _ = p.sizes
        rng = np.random.default_rng(2)
        params = dict(p.params, V=rng.uniform(-0.1, 0.1, (I, H)).astype(p.x.dtype),
                      c=np.zeros(I, p.x.dtype))
        y = rng.integers(0, I, (T, B))
        trainer = TBPTT(window or T, lr=0.01)

        def step() -> None:
            trainer.train(p.x, y, p.h0, params)
        step.units = -(-T // (window or T))  # type: ignore[attr-defined]  # updates per call
        return step
    setup.__doc__ = f"TBPTT({window})" if window else "full BPTT"
    return setup


def _gemm_operands(p: Problem) -> dict[str, np.ndarray]:
    """Operands shaped like the kernels' own: ``Z`` (T·B, G·H) pre-activations, ``h`` (T+1, B, H)
    states (``h[0] = h0``), ``dZ`` (T, B, G·H) their errors, ``g`` (B, H), ``dx``, ``dW_ih``, ``dW_hh``."""
    T, B, I, H, G = p.sizes
    rng = np.random.default_rng(1)
    dt = p.x.dtype
    return {
        "Z": np.empty((T, B, G * H), dt),
        "h": np.tanh(rng.standard_normal((T + 1, B, H))).astype(dt),
        "dZ": rng.standard_normal((T, B, G * H)).astype(dt),
        "g": np.empty((B, H), dt),
        "dx": np.empty((T * B, I), dt),
        "dW_ih": np.empty((G * H, I), dt),
        "dW_hh": np.empty((G * H, H), dt),
    }


def numpy_gemms(p: Problem) -> Callable[[], object]:
    """The GEMM floor in NumPy: only the matrix products of a hoisted forward + backward pass.

    ``W x_t`` for all ``t`` (one product), ``U h_{t-1}`` for each ``t``, ``Uᵀ δ_t`` for each
    ``t``, then ``∂L/∂x``, ``∂L/∂W``, ``∂L/∂U`` (one product each), into preallocated arrays;
    ``Uᵀ`` is laid out contiguously once (the fastest per-step product in both libraries).
    """
    T, B, I, H, G = p.sizes
    o = _gemm_operands(p)
    W_ih, W_hh = p.params["W_ih"], p.params["W_hh"]
    x2, Z, h, dZ, g = p.x.reshape(T * B, I), o["Z"], o["h"], o["dZ"], o["g"]
    dZ2, h2, U_T = dZ.reshape(T * B, G * H), h[:-1].reshape(T * B, H), np.ascontiguousarray(W_hh.T)

    def step() -> None:
        np.matmul(x2, W_ih.T, out=Z.reshape(T * B, G * H))
        for t in range(T):
            np.matmul(h[t], U_T, out=Z[t])
        for t in range(T - 1, -1, -1):
            np.matmul(dZ[t], W_hh, out=g)
        np.matmul(dZ2, W_ih, out=o["dx"])
        np.matmul(dZ2.T, x2, out=o["dW_ih"])
        np.matmul(dZ2.T, h2, out=o["dW_hh"])
    return step


def torch_gemms(p: Problem) -> Callable[[], object]:
    """The GEMM floor in PyTorch: the same products as [numpy_gemms][solutions.bench.numpy_gemms]
    with ``torch.mm(..., out=...)``."""
    T, B, I, H, G = p.sizes
    o = {k: torch.from_numpy(v) for k, v in _gemm_operands(p).items()}
    W_ih, W_hh = torch.from_numpy(p.params["W_ih"]), torch.from_numpy(p.params["W_hh"])
    x2, Z, h, dZ, g = torch.from_numpy(p.x).reshape(T * B, I), o["Z"], o["h"], o["dZ"], o["g"]
    dZ2, h2, U_T = dZ.reshape(T * B, G * H), h[:-1].reshape(T * B, H), W_hh.T.contiguous()
    Z_t, h_t, dZ_t = Z.unbind(0), h.unbind(0), dZ.unbind(0)

    def step() -> None:
        torch.mm(x2, W_ih.T, out=Z.view(T * B, G * H))
        for t in range(T):
            torch.mm(h_t[t], U_T, out=Z_t[t])
        for t in range(T - 1, -1, -1):
            torch.mm(dZ_t[t], W_hh, out=g)
        torch.mm(dZ2, W_ih, out=o["dx"])
        torch.mm(dZ2.T, x2, out=o["dW_ih"])
        torch.mm(dZ2.T, h2, out=o["dW_hh"])
    return step


IMPLEMENTATIONS: dict[str, Setup] = {
    "NumPy": numpy_bptt,
    "torch_ops.rnn": torch_op,
    BASELINE: torch_rnn,
}
"""RNN: name -> setup function; the callable it returns runs one forward + backward pass."""

FLOORS: dict[str, Setup] = {"NumPy GEMMs": numpy_gemms, "torch GEMMs": torch_gemms}
"""Name -> setup of a GEMM floor (see the module docstring)."""


@dataclass(frozen=True)
class Suite:
    """One model's table.

    Attributes
    ----------
    name : str
        The table's title.
    gates : int
        ``G``: blocks stacked in ``W_ih`` and ``W_hh``.
    baseline : str
        The implementation the ratios divide by.
    implementations : dict
        Name -> setup (the baseline included).
    floor_of : dict
        Implementation name -> the name of its library's floor in [FLOORS][solutions.bench.FLOORS],
        for the implementations of the hoisted algorithm the floor is made of. The ``torch.nn``
        modules run their own algorithms (``torch.nn.LSTM`` even oneDNN's fused kernels), so
        they get no fraction.
    shapes : tuple of (T, B, I, H)
    missing : str
        Why the suite cannot run here (a module not written yet), or ``""``.
    note : str
        A line under the title saying what is timed, when it is not one forward + backward pass.
    """

    name: str
    gates: int
    baseline: str
    implementations: dict[str, Setup]
    floor_of: dict[str, str]
    shapes: tuple[Shape, ...]
    missing: str = ""
    note: str = ""

    @property
    def timed(self) -> dict[str, Setup]:
        """Every callable of a row: the implementations, then the floors (both libraries')."""
        return {**self.implementations, **(FLOORS if self.floor_of else {})}


def _missing(module: str, *names: str) -> str:
    """``""`` if ``solutions.<module>`` defines every name, else what is missing."""
    try:
        mod = __import__(f"solutions.{module}", fromlist=list(names))
    except ImportError as e:
        return f"solutions.{module} cannot be imported ({e})"
    absent = [n for n in names if not callable(getattr(mod, n, None))]
    return f"solutions.{module} has no {', '.join(absent)}" if absent else ""


def suites() -> dict[str, Suite]:
    """The tables ``make bench`` prints: ``rnn``, ``lstm``, ``gru`` (a gated model whose module
    is missing is listed with the reason instead of timed)."""
    return {
        "rnn": Suite("RNN (tanh)", 1, BASELINE, dict(IMPLEMENTATIONS),
                     {"NumPy": "NumPy GEMMs", "torch_ops.rnn": "torch GEMMs"},
                     SHAPES),
        "lstm": Suite("LSTM", 4, "torch.nn.LSTM", {"NumPy": numpy_lstm, "torch.nn.LSTM": torch_lstm},
                      {"NumPy": "NumPy GEMMs"}, GATED_SHAPES,
                      _missing("lstm", "lstm_forward", "lstm_backward")),
        "gru": Suite("GRU", 3, "torch.nn.GRU", {"NumPy": numpy_gru, "torch.nn.GRU": torch_gru},
                     {"NumPy": "NumPy GEMMs"}, GATED_SHAPES,
                     _missing("gru", "gru_forward", "gru_backward")),
        "tbptt": Suite("TBPTT, ms per update", 1, "full BPTT",
                       {"full BPTT": _tbptt(None), **{f"TBPTT({w})": _tbptt(w) for w in TBPTT_WINDOWS}},
                       {}, TBPTT_SHAPES, _missing("tbptt", "TBPTT"),
                       "NumPy, solutions.tbptt: training over the whole sequence (output layer, softmax\n"
                       "loss, SGD), time / number of updates. Full BPTT: one update per sequence;\n"
                       "TBPTT(l): one forward + backward + update per window of l steps."),
    }


# ---------------------------------------------------------------- threads and timing

def library(name: str) -> str:
    """``"torch"`` for an implementation whose name starts with ``torch``, else ``"numpy"``."""
    return "torch" if name.startswith("torch") else "numpy"


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` threads for PyTorch and for NumPy's BLAS; restore them after.

    PyTorch: ``torch.set_num_threads`` (its OpenMP pool and MKL). NumPy's BLAS:
    ``threadpoolctl.threadpool_limits(n, user_api="blas")``.
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise ValueError(f"threads must be an integer >= 1; got {n!r}")
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
        Name -> setup function; default [IMPLEMENTATIONS][solutions.bench.IMPLEMENTATIONS].
    repeats : int
        Timed rounds.
    warmup : int
        Untimed rounds first (allocator, BLAS threads, torch's lazy init).
    min_seconds : float
        Shortest sample: tiny problems time several passes per sample.
    n_threads : int
        Above 1: before each turn, the implementation's [library][solutions.bench.library] gets
        ``n_threads`` threads and the other library 1 (call inside
        [threads][solutions.bench.threads], which restores them).

    Returns
    -------
    samples : dict
        Name -> ``repeats`` samples of seconds per pass.
    """
    if not (isinstance(repeats, int) and repeats >= 1):
        raise ValueError(f"repeats must be an integer >= 1; got {repeats!r}")
    if not (isinstance(warmup, int) and warmup >= 0):
        raise ValueError(f"warmup must be an integer >= 0; got {warmup!r}")
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
class Result:
    """Everything one run measured, for [render][solutions.bench.render]."""

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
) -> Result:
    """Time every suite's implementations and floors on its shapes with each thread count.

    Parameters
    ----------
    suite_keys : sequence of str, optional
        Keys of [suites][solutions.bench.suites]; default all that can run.
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
    result = Result(repeats)
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


def _load(result: Result) -> None:
    try:
        result.load.append(os.getloadavg()[0])
    except (AttributeError, OSError):  # not on Windows
        pass


# ---------------------------------------------------------------- the header and the tables

def blas_info() -> str:
    """NumPy's BLAS as ``threadpoolctl`` sees it: library, version, kernel (architecture)."""
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not libs:
        return "not found by threadpoolctl"
    parts = []
    for i in libs:
        text = f"{i.get('internal_api', '?')} {i.get('version') or '?'}"
        if i.get("architecture"):
            text += f", kernel {i['architecture']}"
        if i.get("threading_layer"):
            text += f", {i['threading_layer']} threads"
        parts.append(text)
    return "; ".join(parts)


def numpy_simd() -> str:
    """NumPy's SIMD level: the compiled-in baseline and the dispatch targets this CPU enables."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    on = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    off = [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)]
    return (f"baseline {' '.join(__cpu_baseline__) or 'none'}; dispatch {' '.join(on) or 'none'}"
            + (f" (not {' '.join(off)})" if off else ""))


def torch_info() -> str:
    """PyTorch's CPU capability (its vectorised kernels) and BLAS."""
    cap = torch.backends.cpu.get_cpu_capability()
    config = torch.__config__.show()
    blas = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split()
                 if part.startswith("BLAS_INFO=")), "?")
    version = next((line.split("Version", 1)[1].split("-")[0].strip() for line in config.splitlines()
                    if "Math Kernel Library Version" in line), "")
    return f"CPU capability {cap}, BLAS {blas}{' ' + version if version and blas == 'mkl' else ''}"


def environment_note() -> str:
    """Which CPU-forcing variables the parent removed, and which are still set."""
    removed = os.environ.get(_REMOVED, "")
    kept = [f"{k}={os.environ[k]}" for k in CPU_ENV if k in os.environ]
    parts = []
    if removed:
        parts.append(f"removed for this run: {removed}")
    if kept:
        parts.append(f"set (forced, not the libraries' own choice): {' '.join(kept)}")
    return "; ".join(parts) or "no variable forcing a CPU code path was set"


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


def render(result: Result) -> str:
    """The header, then one table per suite (or the reason a suite was not timed)."""
    out = [header(result.repeats, result.load)]
    for key, suite in suites().items():
        if key in result.rows:
            out.append(render_suite(suite, result.rows[key]))
        elif suite.missing:
            out.append(f"{suite.name}: not timed: {suite.missing}\n")
    return "\n".join(out)


# ---------------------------------------------------------------- command line

def child_env(environ: dict[str, str], keep: bool = False, wait: str = "default") -> dict[str, str]:
    """The child process's environment: CPU-forcing variables removed (unless ``keep``), the
    thread policy set (``wait``: ``OMP_WAIT_POLICY``, or ``"default"`` to leave libgomp's own),
    and a note of what was removed for the header."""
    env = dict(environ)
    removed = [] if keep else [f"{k}={env.pop(k)}" for k in CPU_ENV if k in env]
    if wait == "default":
        if "OMP_WAIT_POLICY" in env:
            removed.append(f"OMP_WAIT_POLICY={env.pop('OMP_WAIT_POLICY')}")
    else:
        env["OMP_WAIT_POLICY"] = wait
    env[_REMOVED] = " ".join(removed)
    env[_CHILD] = "1"
    return env


def _shape(text: str) -> Shape:
    try:
        T, B, I, H = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape is T,B,I,H (four integers); got {text!r}") from None
    return T, B, I, H


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m solutions.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per row (default 15)")
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the tables to FILE")
    parser.add_argument("--suite", action="append", choices=sorted(suites()),
                        help="time only this model (repeatable; default all)")
    parser.add_argument("--shape", action="append", type=_shape, metavar="T,B,I,H",
                        help="time only this shape (repeatable; default each suite's own)")
    parser.add_argument("--threads", action="append", type=int, metavar="N",
                        help="thread count of the rows (repeatable; default 1 and 2)")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep variables that force CPU code paths (OPENBLAS_CORETYPE, ...)")
    parser.add_argument("--omp-wait-policy", choices=("PASSIVE", "ACTIVE", "default"), default="default",
                        help="OMP_WAIT_POLICY of the child (default: unset, libgomp's spin-then-sleep)")
    parser.add_argument("--in-process", action="store_true",
                        help="run here instead of in a child process with the thread policy's environment")
    args = parser.parse_args(argv)
    if os.environ.get(_CHILD) != "1" and not args.in_process:
        # NumPy, OpenBLAS and libgomp read these variables when they load: a fresh process.
        cmd = [sys.executable, "-m", "solutions.bench", *argv]
        return subprocess.run(cmd, env=child_env(dict(os.environ), args.keep_env, args.omp_wait_policy), check=False).returncode
    result = run(args.suite, args.shape, args.threads or THREADS, args.repeats)
    text = render(result)
    print(text, end="")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
