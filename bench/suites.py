"""The tables ``make bench`` prints: one suite per model, with its shapes and implementations."""

from __future__ import annotations

from dataclasses import dataclass

from bench.implementations import (
    BASELINE, FLOORS, IMPLEMENTATIONS, TBPTT_WINDOWS, numpy_gru, numpy_lstm, tbptt_setup, torch_gru, torch_lstm,
)
from bench.problems import Setup, Shape

SHAPES: tuple[Shape, ...] = ((20, 1, 10, 16), (100, 32, 64, 128), (1000, 8, 32, 64), (50, 64, 256, 512))
"""(T, B, I, H) of the RNN rows: tiny, short and wide, long and narrow, big."""

GATED_SHAPES: tuple[Shape, ...] = ((100, 32, 64, 128), (1000, 8, 32, 64))
"""(T, B, I, H) of the LSTM and GRU rows."""

TBPTT_SHAPES: tuple[Shape, ...] = ((1000, 8, 32, 64),)
"""(T, B, I, H) of the truncated-BPTT rows (a long sequence)."""


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
        Implementation name -> the name of its library's floor in ``FLOORS``,
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
                       {"full BPTT": tbptt_setup(None), **{f"TBPTT({w})": tbptt_setup(w) for w in TBPTT_WINDOWS}},
                       {}, TBPTT_SHAPES, _missing("tbptt", "TBPTT"),
                       "NumPy, solutions.tbptt: training over the whole sequence (output layer, softmax\n"
                       "loss, SGD), time / number of updates. Full BPTT: one update per sequence;\n"
                       "TBPTT(l): one forward + backward + update per window of l steps."),
    }
