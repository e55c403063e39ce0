"""What the benchmark times: NumPy kernels, ``torch.nn`` modules, the hand-written op, the GEMM floors.

Each setup takes a ``Problem`` and returns a no-argument callable doing one forward and one
backward pass, with every gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from bench.problems import Problem, Setup
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import load_params, rnn

BASELINE = "torch.nn.RNN"
"""The implementation every other RNN implementation is compared with."""



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
    m = load_params(cls(I, H, dtype=torch.from_numpy(p.x).dtype), p.params)
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


def tbptt_setup(window: int | None) -> Setup:
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


def _gemm_floor(mm: Callable[..., object], x: object, W_ih: object, W_hh: object, U_T: object,
                o: dict) -> Callable[[], None]:
    """The floor's products with ``mm(a, b, out=c)``: ``np.matmul`` on arrays or ``torch.mm`` on
    tensors (``x`` (T, B, I), the operands ``o`` of ``_gemm_operands``, ``U_T`` contiguous)."""
    T, B, I = x.shape
    GH, H = W_hh.shape
    x2, Z, h, dZ, g = x.reshape(T * B, I), o["Z"], o["h"], o["dZ"], o["g"]
    Z2, dZ2, h2 = Z.reshape(T * B, GH), dZ.reshape(T * B, GH), h[:-1].reshape(T * B, H)
    Z_t, h_t, dZ_t = list(Z), list(h), list(dZ)          # one view per step, made once

    def step() -> None:
        mm(x2, W_ih.T, out=Z2)                            # W x_t, every t
        for t in range(T):
            mm(h_t[t], U_T, out=Z_t[t])                   # U h_{t-1}
        for t in range(T - 1, -1, -1):
            mm(dZ_t[t], W_hh, out=g)                      # Uᵀ δ_t
        mm(dZ2, W_ih, out=o["dx"])                        # ∂L/∂x
        mm(dZ2.T, x2, out=o["dW_ih"])                     # ∂L/∂W
        mm(dZ2.T, h2, out=o["dW_hh"])                     # ∂L/∂U
    return step


def numpy_gemms(p: Problem) -> Callable[[], object]:
    """The GEMM floor in NumPy: only the matrix products of a hoisted forward + backward pass.

    ``W x_t`` for all ``t`` (one product), ``U h_{t-1}`` for each ``t``, ``Uᵀ δ_t`` for each
    ``t``, then ``∂L/∂x``, ``∂L/∂W``, ``∂L/∂U`` (one product each), into preallocated arrays;
    ``Uᵀ`` is laid out contiguously once (the fastest per-step product in both libraries).
    """
    W_ih, W_hh = p.params["W_ih"], p.params["W_hh"]
    return _gemm_floor(np.matmul, p.x, W_ih, W_hh, np.ascontiguousarray(W_hh.T), _gemm_operands(p))


def torch_gemms(p: Problem) -> Callable[[], object]:
    """The GEMM floor in PyTorch: the same products as ``numpy_gemms``
    with ``torch.mm(..., out=...)``."""
    o = {k: torch.from_numpy(v) for k, v in _gemm_operands(p).items()}
    W_ih, W_hh = torch.from_numpy(p.params["W_ih"]), torch.from_numpy(p.params["W_hh"])
    return _gemm_floor(torch.mm, torch.from_numpy(p.x), W_ih, W_hh, W_hh.T.contiguous(), o)


IMPLEMENTATIONS: dict[str, Setup] = {
    "NumPy": numpy_bptt,
    "torch_ops.rnn": torch_op,
    BASELINE: torch_rnn,
}
"""RNN: name -> setup function; the callable it returns runs one forward + backward pass."""

FLOORS: dict[str, Setup] = {"NumPy GEMMs": numpy_gemms, "torch GEMMs": torch_gemms}
"""Name -> setup of a GEMM floor (see the module docstring)."""
