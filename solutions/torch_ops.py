"""PyTorch side of the site: taking the parameters out of a ``torch.nn.RNN``.

``torch.nn.RNN`` stores layer ``l``'s weights as ``weight_ih_l{l}``, ``weight_hh_l{l}``,
``bias_ih_l{l}``, ``bias_hh_l{l}`` and, when bidirectional, the backward direction's as the
same names with ``_reverse``. Those are, in the book's letters, ``W``, ``U`` and the two
halves of ``b``.
"""

from __future__ import annotations

import numpy as np
import torch

from solutions.validate import Shapes

PARAM_NAMES = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}


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
    if not (isinstance(layer, int) and 0 <= layer < rnn.num_layers):
        raise ValueError(f"layer must be an integer in [0, {rnn.num_layers}); got {layer!r}")
    if reverse and not rnn.bidirectional:
        raise ValueError("reverse=True needs a bidirectional RNN")
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
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
    rnn = torch.nn.RNN(I, H, nonlinearity="tanh").to(torch.from_numpy(p["W_ih"]).dtype)
    with torch.no_grad():
        for key, name in PARAM_NAMES.items():
            getattr(rnn, name + "_l0").copy_(torch.from_numpy(p[key]))
    return rnn
