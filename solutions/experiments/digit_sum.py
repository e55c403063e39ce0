"""A random-distractor, fresh-data variant of the course's digit-sum task (数字求和), and small
torch models trained on it, several seeds at once.

The task (after the course's lab on long-range dependencies): a sequence of ``L`` digits
``d_1 … d_L``; only the first two matter, the other ``L − 2`` are distractors; the answer is
``d_1 + d_2``, one of 19 classes (0 … 18), read from the last hidden state ``h_L`` by a linear
layer ``o = V h_L + b_o``. To remember ``d_1, d_2`` the state must carry them across ``L − 2``
steps, so the gradient that teaches it has to cross them too. Here every digit, distractors
included, is drawn uniformly at random and every batch is fresh (``make_data``); the course's
distractors are zeros except one random digit, over a fixed set of 300/100/100 sequences (its
protocol is ``digit_sum_course``).

The models are the simple RNN (tanh), the LSTM and the GRU in PyTorch's layouts and gate orders
(the same functions as ``torch.nn.RNN``/``LSTM``/``GRU``, ``tests/test_gru.py`` checks), written
with batched matrix products so that ``S`` independently initialised copies (one per seed) train
in one graph: every parameter has a leading seed axis, the loss is the sum of the copies'
losses, and Adam's update is element-wise, so each copy trains exactly as it would alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from solutions.validate import MODEL_KEYS

CLASSES = 19
"""``d_1 + d_2`` ranges over 0 … 18."""

CHANCE = 10
"""Per cent, the majority-class rate: the most frequent sum, 9, is 10 of the 100 digit pairs."""

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
"""Blocks of ``H`` rows in ``W_ih``/``W_hh``: one per gate (PyTorch's orders: i, f, g, o and r, z, n)."""


# The scaled-down training setup shared by the digit-sum and gated-gradients demos.
H = 32            #: hidden units
SEEDS = (0, 1, 2)  #: one independently initialised copy per seed
STEPS = 300       #: Adam steps, each on a fresh batch
BATCH = 32        #: sequences per step
LR = 0.03         #: Adam's learning rate
TEST = 1000       #: test sequences per length (the same for every model)
GRID = 2.0**-20   #: parameters are rounded to multiples of this after every step (see ``train``)


def make_data(L: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of ``L`` uniform random digits (int array (n, L)) and their labels ``d_1 + d_2`` (n,)."""
    if L < 2:
        raise ValueError(f"L must be >= 2 (two digits to add); got {L}")
    digits = rng.integers(0, 10, size=(n, L))
    return digits, digits[:, 0] + digits[:, 1]


def init_params(kind: str, H: int, seeds: Sequence[int], forget_bias: float | None = None) -> dict[str, torch.Tensor]:
    """PyTorch's default initialisation, U(−1/√H, 1/√H) for every weight and bias, one copy per seed.

    Parameters
    ----------
    kind : {"rnn", "lstm", "gru"}
    H : int
        Hidden size.
    seeds : sequence of int
        One NumPy seed per copy.
    forget_bias : float, optional
        LSTM only: set the forget gate's *effective* bias ``b_if + b_hf`` to this value
        (``b_if`` = it, ``b_hf`` = 0), as NNDL §6.6 advises (1 or 2).

    Returns
    -------
    dict of float64 tensors with a leading seed axis ``S``: ``W_ih`` (S, gH, 10), ``W_hh``
    (S, gH, H), ``b_ih``, ``b_hh`` (S, gH), ``V`` (S, 19, H), ``c`` (S, 19); ``g`` = gates.
    """
    g = GATES[kind]
    k = 1.0 / np.sqrt(H)
    shapes = {"W_ih": (g * H, 10), "W_hh": (g * H, H), "b_ih": (g * H,), "b_hh": (g * H,),
              "V": (CLASSES, H), "c": (CLASSES,)}
    out = {key: [] for key in MODEL_KEYS}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        p = {key: rng.uniform(-k, k, shape) for key, shape in shapes.items()}
        if forget_bias is not None:
            if kind != "lstm":
                raise ValueError(f"forget_bias is for kind='lstm'; got kind={kind!r}")
            # --8<-- [start:forget-bias] init_params
            p["b_ih"][H:2 * H] = forget_bias   # the forget rows: effective b_f = forget_bias + 0
            p["b_hh"][H:2 * H] = 0.0
            # --8<-- [end:forget-bias]
        for key in MODEL_KEYS:
            out[key].append(p[key])
    return {key: torch.tensor(np.stack(v), dtype=torch.float64, requires_grad=True) for key, v in out.items()}


def states(kind: str, p: dict[str, torch.Tensor], digits: np.ndarray) -> list[torch.Tensor]:
    """Every hidden state ``h_1 … h_L`` (each (S, n, H)) of the ``S`` copies on one-hot ``digits``:
    ``trajectory(kind, p, digits)["h"]``."""
    return trajectory(kind, p, digits)["h"]


def trajectory(kind: str, p: dict[str, torch.Tensor], digits: np.ndarray) -> dict[str, list[torch.Tensor]]:
    """The run of the ``S`` copies on one-hot ``digits``, step by step (each entry (S, n, H)):
    ``"h"``: the hidden states ``h_1 … h_L``; for the LSTM also ``"c"``: the cells ``c_1 … c_L``,
    and ``"f"``: the forget gates ``f_1 … f_L``.

    ``digits`` is (n, L), the same sequences for every copy, or (S, n, L), each copy its own.
    ``h_0`` (and ``c_0``) are zero. The input product ``W_ih x_t`` of a one-hot ``x_t`` is the
    column of ``W_ih`` for digit ``d_t``: a lookup, done for every step at once.
    """
    S = p["W_ih"].shape[0]
    H = p["W_hh"].shape[2]
    d = torch.as_tensor(digits)
    if d.ndim == 3 and d.shape[0] != S:
        raise ValueError(f"digits must be (n, L) or (S, n, L) with S = {S} copies; got shape {tuple(d.shape)}")
    W_ih_T = p["W_ih"].transpose(1, 2)                       # (S, 10, gH)
    if d.ndim == 2:
        cols = W_ih_T[:, d.T]                                # (S, L, n, gH)
    else:
        cols = W_ih_T[torch.arange(S)[:, None, None], d.transpose(1, 2)]
    n, L = d.shape[-2:]
    gi = (cols + p["b_ih"][:, None, None]).unbind(1)         # L tensors (S, n, gH): W x_t + b_ih
    W_hh_T, b_hh = p["W_hh"].transpose(1, 2), p["b_hh"][:, None]
    h = torch.zeros(S, n, H, dtype=p["W_hh"].dtype)
    c = torch.zeros_like(h)
    out: dict[str, list[torch.Tensor]] = {"h": [], "c": [], "f": []} if kind == "lstm" else {"h": []}
    for t in range(L):
        a, u = gi[t], torch.baddbmm(b_hh, h, W_hh_T)
        if kind == "rnn":
            h = torch.tanh(a + u)                                   # h_t = tanh(W x_t + U h_{t-1} + b)
        elif kind == "lstm":
            i, f, g, o = (a + u).split(H, dim=2)
            f = torch.sigmoid(f)
            c = f * c + torch.sigmoid(i) * torch.tanh(g)                  # c_t = f ⊙ c_{t-1} + i ⊙ c̃
            h = torch.sigmoid(o) * torch.tanh(c)                          # h_t = o ⊙ tanh(c_t)
            out["c"].append(c)
            out["f"].append(f)
        else:
            ar, az, an = a.split(H, dim=2)
            ur, uz, un = u.split(H, dim=2)
            r, z = torch.sigmoid(ar + ur), torch.sigmoid(az + uz)
            cand = torch.tanh(an + r * un)                          # n_t (torch.nn.GRU's reset-after form)
            h = (1 - z) * cand + z * h                              # h_t = (1 − z) ⊙ n_t + z ⊙ h_{t-1}
        out["h"].append(h)
    return out


def logits(p: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
    """``o = V h + c`` for every copy: (S, n, 19)."""
    return torch.baddbmm(p["c"][:, None], h, p["V"].transpose(1, 2))


def loss_of(o: torch.Tensor, labels: np.ndarray) -> torch.Tensor:
    """Sum over the copies of each copy's mean cross-entropy."""
    S, n, C = o.shape
    y = torch.as_tensor(labels).repeat(S)
    return torch.nn.functional.cross_entropy(o.reshape(S * n, C), y, reduction="sum") / n


def train(kind: str, L: int, H: int, seeds: Sequence[int], steps: int, batch: int, lr: float,
          forget_bias: float | None = None, data_seed: int = 0, grid: float | None = GRID,
          on_step: Callable[[int, dict[str, torch.Tensor]], None] | None = None) -> dict[str, torch.Tensor]:
    """Adam on fresh batches (the same batches for every copy), float64; returns the trained parameters.

    Training a network is chaotic: a difference in the last bit — which another CPU's
    ``exp``/``tanh``/GEMM kernels make — can grow until another seed escapes its plateau at
    another step, and the final accuracy differs by several per cent. So after every step each
    parameter is rounded to a multiple of ``grid`` (2⁻²⁰ ≈ 1e-6: a fixed-point format with 20
    fractional bits, exact in float64): two CPUs whose updates differ in the last bits round to
    the same grid point unless a value lies within that difference of a rounding edge (unlikely,
    not impossible; the demos replay the first steps to check). ``grid=None`` trains without rounding.
    ``on_step(n, params)``, if given, is called after the ``n``-th step (n = 1 … steps).
    """
    p = init_params(kind, H, seeds, forget_bias)
    opt = torch.optim.Adam(p.values(), lr=lr)
    rng = np.random.default_rng(data_seed)
    for n in range(1, steps + 1):
        digits, labels = make_data(L, batch, rng)
        opt.zero_grad()
        loss = loss_of(logits(p, states(kind, p, digits)[-1]), labels)
        loss.backward()
        opt.step()
        if grid is not None:
            with torch.no_grad():
                for v in p.values():
                    v.copy_(torch.round(v / grid) * grid)
        if on_step is not None:
            on_step(n, p)
    return p


def accuracy_counts(kind: str, p: dict[str, torch.Tensor], digits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """How many of the sequences each copy answers right: int array (S,)."""
    with torch.no_grad():
        pred = logits(p, states(kind, p, digits)[-1]).argmax(dim=2).numpy()
    return (pred == labels[None]).sum(axis=1)


def test_set(L: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test sequences of length ``L`` (``TEST`` of them) and their labels."""
    return make_data(L, TEST, np.random.default_rng(10_000 + L))
