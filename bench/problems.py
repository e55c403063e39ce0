"""The benchmark's inputs: one seeded float32 problem of given sizes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Shape = tuple[int, int, int, int]
Setup = Callable[["Problem"], Callable[[], object]]


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
