"""PyTorch side of the site: a tanh RNN as an autograd operator with a hand-written backward.

[rnn][solutions.torch_ops.rnn] runs ``h_t = tanh(W x_t + U h_{t-1} + b)`` (eq. (6.5) in the
book) over a sequence; its gradient is BPTT written out by hand in
[RNNFunction.backward][solutions.torch_ops.RNNFunction.backward], the torch twin of
[rnn_backward][solutions.sequence.rnn_backward]. [rnn_autograd][solutions.torch_ops.rnn_autograd]
is the same recurrence in plain torch ops, differentiated by autograd: the reference;
[residual_autograd][solutions.torch_ops.residual_autograd] is that reference for the residual
update (6.50) of ``solutions.residual`` (which itself imports no torch).

``torch.nn.RNN`` stores layer ``l``'s weights as ``weight_ih_l{l}``, ``weight_hh_l{l}``,
``bias_ih_l{l}``, ``bias_hh_l{l}`` and, when bidirectional, the backward direction's as the
same names with ``_reverse``. Those are, in the book's letters, ``W``, ``U`` and the two
halves of ``b``; [rnn_params][solutions.torch_ops.rnn_params] takes them out and
[load_params][solutions.torch_ops.load_params] puts NumPy parameters into any
``torch.nn.RNN``, ``LSTM`` or ``GRU`` (the one way the package, its demos and tests do it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch.autograd.function import FunctionCtx, once_differentiable

from solutions.params import PARAM_NAMES
from solutions import residual, validate
from solutions.validate import RNN_PARAM_SHAPES, Shapes, check_int, spec_text

FLOAT_DTYPES = tuple(getattr(torch, d.name) for d in validate.FLOAT_DTYPES)
"""``validate.FLOAT_DTYPES`` as torch dtypes: ``torch.float32``, ``torch.float64``."""


class TensorShapes(Shapes):
    """[Shapes][solutions.validate.Shapes] for torch tensors: same symbols, same messages.

    Every checked tensor must also be float32 or float64 like the first one, live on the
    first one's device, and hold no NaN or infinity.
    """

    def __init__(self, **dims: int) -> None:
        super().__init__(**dims)
        self.dtype: torch.dtype | None = None
        self.device: torch.device | None = None

    def array(self, name: str, a: object, spec: Sequence[str]) -> torch.Tensor:  # type: ignore[override]
        """Check the tensor ``a`` against ``spec`` and return it unchanged.

        Parameters
        ----------
        name : str
            The argument's name, used in the error message.
        a : object
            The value to check; must be a ``torch.Tensor``.
        spec : sequence of str
            One symbol per axis, e.g. ``("T", "B", "I")``.
        """
        want = spec_text(spec)
        if not isinstance(a, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor of shape {want}; got {type(a).__name__}")
        self.bind(name, tuple(a.shape), spec)
        if a.dtype not in FLOAT_DTYPES:
            raise ValueError(f"{name} must be float32 or float64 of shape {want}; got dtype {a.dtype}")
        if self.dtype is None:
            self.dtype, self.device = a.dtype, a.device
        elif a.dtype != self.dtype:
            raise ValueError(f"{name} has dtype {a.dtype} but the other inputs are {self.dtype}; "
                             "mixed dtypes are not up-cast silently: convert them to one dtype")
        elif a.device != self.device:
            raise ValueError(f"{name} is on device {a.device} but the other inputs are on {self.device}; "
                             "move them to one device")
        # NaN propagates into min and max, ±inf is one of them: one pass, no temporary the size of a
        if a.numel() and not all(math.isfinite(float(v)) for v in torch.aminmax(a.detach())):
            raise ValueError(f"{name} of shape {want} contains NaN or infinity")
        return a


class RNNFunction(torch.autograd.Function):
    """``h = rnn(x, h0, W_ih, W_hh, b_ih, b_hh)`` with BPTT written by hand as its backward.

    Call it through [rnn][solutions.torch_ops.rnn] (which checks the inputs) or as
    ``RNNFunction.apply(x, h0, W_ih, W_hh, b_ih, b_hh)``. Neither pass records an autograd
    graph: ``forward`` runs with gradients disabled, as every ``Function.forward`` does, and
    ``backward`` is plain tensor arithmetic under ``once_differentiable`` (a second
    derivative through it raises an error instead of returning a wrong answer).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor,
                W_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        """Every hidden state: ``h[t] = tanh(x[t] @ W_ih.T + h[t-1] @ W_hh.T + b_ih + b_hh)``.

        Parameters
        ----------
        ctx : FunctionCtx
            Where the tensors the backward pass needs are saved.
        x : Tensor of shape (T, B, I)
        h0 : Tensor of shape (B, H)
        W_ih : Tensor of shape (H, I)
        W_hh : Tensor of shape (H, H)
        b_ih, b_hh : Tensor of shape (H,)

        Returns
        -------
        h : Tensor of shape (T, B, H)
            ``h_1 … h_T``, as ``torch.nn.RNN`` returns them in ``output``.
        """
        T, B, I = x.shape
        H = h0.shape[1]
        # --8<-- [start:forward] RNNFunction
        h = torch.addmm(b_ih + b_hh, x.reshape(T * B, I), W_ih.T).view(T, B, H)  # W x_t + b, all t: one GEMM
        U_T = W_hh.T.contiguous()                # Uᵀ laid out once: a transposed view is a slower GEMM
        h_prev = h0
        for h_t in h.unbind(0):                  # views into h: written in place
            h_t.addmm_(h_prev, U_T)              # z_t = U h_{t-1} + W x_t + b   (6.5)
            h_t.tanh_()                          # h_t = tanh(z_t)
            h_prev = h_t
        ctx.save_for_backward(x, h0, W_ih, W_hh, h)  # what backward reads; versions are checked
        # --8<-- [end:forward]
        # The caller gets a fresh tensor of its own, as torch.nn.RNN's output is: editing it in
        # place (F.dropout(h, inplace=True), h *= 0.5) neither fails nor changes the saved h.
        return h.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, dh: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        """BPTT: the gradients of ``L`` given ``dh = ∂L/∂h`` (eqs. (6.39)–(6.41) in the book).

        Parameters
        ----------
        ctx : FunctionCtx
            Holds ``x``, ``h0``, ``W_ih``, ``W_hh`` and the output ``h``.
        dh : Tensor of shape (T, B, H)
            ``∂L/∂h_t`` from outside the recurrence, for every ``t``.

        Returns
        -------
        grads : tuple
            ``∂L/∂x`` (T, B, I), ``∂L/∂h0`` (B, H), ``∂L/∂W_ih`` (H, I), ``∂L/∂W_hh`` (H, H),
            ``∂L/∂b_ih`` (H,), ``∂L/∂b_hh`` (H,), in ``forward``'s argument order; ``None``
            for an input that does not require a gradient.
        """
        x, h0, W_ih, W_hh, h = ctx.saved_tensors
        need_x, need_h0, need_W_ih, need_W_hh, need_b_ih, need_b_hh = ctx.needs_input_grad
        T, B, I = x.shape
        H = h.shape[2]
        # --8<-- [start:backward] RNNFunction
        dz = torch.square(h).neg_().add_(1.0)   # tanh'(z_t) = 1 - h_t², every t at once
        dz_t, dh_t = dz.unbind(0), dh.unbind(0)
        g, buf = dh_t[T - 1], torch.empty_like(dz_t[0])  # g = ∂L/∂h_t, loss term + what step t+1 sends
        for t in range(T - 1, 0, -1):
            dz_t[t].mul_(g)                      # δ_t = f'(z_t) ⊙ ∂L/∂h_t
            g = torch.addmm(dh_t[t - 1], dz_t[t], W_hh, out=buf)  # ∂L/∂h_{t-1} = dh_{t-1} + Uᵀ δ_t
        dz_t[0].mul_(g)
        d = dz.view(T * B, H)
        dx = (d @ W_ih).view(T, B, I) if need_x else None                         # Wᵀ δ_t
        dh0 = dz_t[0] @ W_hh if need_h0 else None                                 # Uᵀ δ_1
        dW_ih = d.T @ x.reshape(T * B, I) if need_W_ih else None                  # (6.40) Σ_t δ_t x_tᵀ
        dW_hh = (d[B:].T @ h[:-1].reshape((T - 1) * B, H)).addmm_(dz_t[0].T, h0) if need_W_hh else None  # (6.39)
        db = d.sum(0) if need_b_ih or need_b_hh else None                         # (6.41) Σ_t δ_t
        # --8<-- [end:backward]
        return dx, dh0, dW_ih, dW_hh, db if need_b_ih else None, db.clone() if need_b_hh else None


def rnn(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
        b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """A tanh RNN over a sequence, differentiable through a hand-written BPTT backward.

    ``h_t = tanh(W x_t + U h_{t-1} + b)``, eq. (6.5) in the book, with ``W = W_ih``,
    ``U = W_hh``, ``b = b_ih + b_hh``; the gradients are those of
    [RNNFunction.backward][solutions.torch_ops.RNNFunction.backward].

    Parameters
    ----------
    x : Tensor of shape (T, B, I)
        Inputs, time first (``torch.nn.RNN``'s ``batch_first=False``).
    h0 : Tensor of shape (B, H)
        Initial state.
    W_ih : Tensor of shape (H, I)
    W_hh : Tensor of shape (H, H)
    b_ih, b_hh : Tensor of shape (H,)
        All six float32 or all float64, on one device.

    Returns
    -------
    h : Tensor of shape (T, B, H)
        Every hidden state ``h_1 … h_T``, in the inputs' dtype.

    Raises
    ------
    ValueError
        A non-tensor, wrong rank or shape, mixed dtypes or devices, NaN or infinity.
    """
    s = TensorShapes()
    s.array("x", x, ("T", "B", "I"))
    s.array("h0", h0, ("B", "H"))
    for (name, spec), p in zip(RNN_PARAM_SHAPES.items(), (W_ih, W_hh, b_ih, b_hh)):
        s.array(name, p, spec)
    return RNNFunction.apply(x, h0, W_ih, W_hh, b_ih, b_hh)


def rnn_autograd(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                 b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """The same recurrence in plain torch ops, for autograd to differentiate (the reference).

    Parameters and return value as for [rnn][solutions.torch_ops.rnn]; no input checks.
    """
    # --8<-- [start:autograd] rnn_autograd
    h_prev, hs = h0, []
    for x_t in x:
        h_prev = torch.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)  # (6.5), f = tanh
        hs.append(h_prev)
    return torch.stack(hs)
    # --8<-- [end:autograd]


def residual_autograd(
    x: torch.Tensor, h0: torch.Tensor, params: dict[str, torch.Tensor], alpha: float = 1.0
) -> torch.Tensor:
    """[residual_forward][solutions.residual.residual_forward] in PyTorch, step by step, for autograd
    to differentiate (the reference of the residual update (6.50), as ``rnn_autograd`` is of (6.5)).

    Parameters
    ----------
    x : Tensor of shape (T, B, I)
    h0 : Tensor of shape (B, H)
    params : dict of Tensor
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,).
    alpha : float

    Returns
    -------
    h : Tensor of shape (T, B, H)
        ``h_1 … h_T``, built from differentiable operations only.
    """
    a = residual.check_alpha(alpha)
    hs, h_prev = [], h0
    for x_t in x:
        z = x_t @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
        h_prev = h_prev + a * torch.tanh(z)
        hs.append(h_prev)
    return torch.stack(hs)


def rnn_params(rnn: torch.nn.RNN, layer: int = 0, reverse: bool = False, *, as_numpy: bool = True,
               grad: bool = False) -> dict:
    """The four parameters of one layer and direction of a ``torch.nn.RNN``.

    Parameters
    ----------
    rnn : torch.nn.RNN
        A tanh RNN with biases.
    layer : int
        Layer index, ``0 … num_layers − 1``.
    reverse : bool
        The backward direction of a bidirectional RNN (the ``_reverse`` parameters).
    as_numpy : bool
        ``True``: detached NumPy copies; ``False``: the ``torch.nn.Parameter`` objects
        themselves (so gradients flow into ``rnn``).
    grad : bool
        Return the parameters' ``.grad`` instead of their values (NumPy copies).

    Returns
    -------
    params : dict
        ``W_ih`` (H, I) (I = 2H for layers ≥ 1 of a bidirectional RNN), ``W_hh`` (H, H),
        ``b_ih`` (H,), ``b_hh`` (H,).

    Raises
    ------
    ValueError
        Not a ``torch.nn.RNN``, not tanh, no biases, a layer out of range, ``reverse`` on a
        one-directional RNN, or ``grad=True`` before any backward pass.
    """
    if not isinstance(rnn, torch.nn.RNN):
        raise ValueError(f"rnn must be a torch.nn.RNN; got {type(rnn).__name__}")
    if rnn.nonlinearity != "tanh" or not rnn.bias:
        raise ValueError("rnn must be a tanh RNN with biases (nonlinearity='tanh', bias=True)")
    suffix = _suffix(rnn, layer, reverse)
    out = {}
    for key, name in PARAM_NAMES.items():
        p = getattr(rnn, name + suffix)
        if grad:
            if p.grad is None:
                raise ValueError(f"{name + suffix}.grad is None: run a backward pass first")
            out[key] = p.grad.detach().cpu().numpy().copy()
        else:
            out[key] = p.detach().cpu().numpy().copy() if as_numpy else p
    return out


def _suffix(module: torch.nn.RNNBase, layer: object, reverse: bool) -> str:
    """``_l{layer}`` or ``_l{layer}_reverse``: the suffix of one layer's and direction's parameter names."""
    layer = check_int("layer", layer, 0, module.num_layers)
    if reverse and not module.bidirectional:
        raise ValueError(f"reverse=True needs a bidirectional {type(module).__name__}")
    return f"_l{layer}" + ("_reverse" if reverse else "")


def load_params(module: torch.nn.RNNBase, params: Mapping[str, object], layer: int = 0,
                reverse: bool = False) -> torch.nn.RNNBase:
    """Copy NumPy parameters into one layer and direction of a ``torch.nn.RNN``, ``LSTM`` or ``GRU``.

    The inverse of [rnn_params][solutions.torch_ops.rnn_params], for every recurrent module:
    ``W_ih`` → ``weight_ih_l{layer}``, ``W_hh`` → ``weight_hh_l{layer}``, ``b_ih``, ``b_hh`` →
    the biases (``_reverse`` appended for ``reverse``), copied in place without recording a
    graph and converted to the module's dtype.

    Parameters
    ----------
    module : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        With biases; its gradients stay independent of ``params``.
    params : dict
        ``W_ih`` (G·H, I), ``W_hh`` (G·H, H), ``b_ih`` (G·H,), ``b_hh`` (G·H,) as NumPy arrays
        (or tensors), ``G`` = 1, 4, 3 blocks in PyTorch's gate order; other keys are ignored.
    layer : int
        Layer index, ``0 … num_layers − 1``.
    reverse : bool
        The backward direction of a bidirectional module.

    Returns
    -------
    module
        The same module.

    Raises
    ------
    ValueError
        Not a recurrent ``torch.nn`` module, a layer out of range, ``reverse`` on a
        one-directional module, a missing key, or a shape other than the module's.
    """
    if not isinstance(module, torch.nn.RNNBase):
        raise ValueError(f"module must be a torch.nn.RNN, LSTM or GRU; got {type(module).__name__}")
    suffix = _suffix(module, layer, reverse)
    with torch.no_grad():
        for key, name in PARAM_NAMES.items():
            target = getattr(module, name + suffix, None)
            if target is None:
                raise ValueError(f"module has no {name + suffix}: load_params needs bias=True")
            if key not in params:
                raise ValueError(f"params is missing key {key!r} (for {name + suffix}, shape {tuple(target.shape)})")
            value = torch.as_tensor(params[key])
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(f"params[{key!r}] must have shape {tuple(target.shape)} for {name + suffix}; "
                                 f"got shape {tuple(value.shape)}")
            target.copy_(value)
    return module


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A detached NumPy copy of a tensor."""
    return t.detach().cpu().numpy().copy()


def rnn_from_params(params: dict) -> torch.nn.RNN:
    """A one-layer tanh ``torch.nn.RNN`` holding the given NumPy parameters (the inverse of
    [rnn_params][solutions.torch_ops.rnn_params]).

    Parameters
    ----------
    params : dict
        ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), float32 or float64;
        other keys are ignored.

    Returns
    -------
    rnn : torch.nn.RNN
        ``input_size=I``, ``hidden_size=H``, time first, in the parameters' dtype, holding
        copies of them (its gradients are independent of ``params``).

    Raises
    ------
    ValueError
        A missing key, wrong shapes, mixed dtypes or NaN/inf (checked by ``Shapes``).
    """
    p = Shapes().params("params", params)
    H, I = p["W_ih"].shape
    return load_params(torch.nn.RNN(I, H, nonlinearity="tanh", dtype=torch.from_numpy(p["W_ih"]).dtype), p)
