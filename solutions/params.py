"""Random parameters for the recurrent models, and PyTorch's names for them.

One factory, [random_params][solutions.params.random_params], makes the parameters of every
NumPy model, test and demo: ``W_ih`` (W), ``W_hh`` (U), ``b_ih``, ``b_hh`` (the two halves
of b) and optionally an output layer ``V``, ``c``, drawn in that order from one generator.
[haar_orthogonal][solutions.params.haar_orthogonal] draws a random orthogonal ``U``.
[PARAM_NAMES][solutions.params.PARAM_NAMES] maps those names to ``torch.nn.RNN``'s.
"""

from __future__ import annotations

import numpy as np

from solutions.validate import PARAM_KEYS, Params, check_int

PARAM_NAMES: dict[str, str] = dict(zip(PARAM_KEYS, ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
"""Our names to ``torch.nn.RNN``'s, without the ``_l{layer}`` (and ``_reverse``) suffix."""

INITS = ("normal", "uniform")


def random_params(
    rng: np.random.Generator | int,
    I: int,
    H: int,
    O: int | None = None,
    *,
    init: str = "normal",
    std: float = 0.5,
    bias_std: float = 0.1,
    gates: int = 1,
    dtype: type = np.float64,
) -> Params:
    """Random parameters of a recurrent layer (and its output layer), drawn in a fixed order.

    ``W_ih`` (G·H, I), ``W_hh`` (G·H, H), ``b_ih`` (G·H,), ``b_hh`` (G·H,) and, when ``O`` is
    given, ``V`` (O, H) and ``c`` (O,), in this order from ``rng``; ``G = gates`` is 1 for the
    simple RNN (4 for an LSTM, 3 for a GRU, rows in PyTorch's gate order).

    Parameters
    ----------
    rng : numpy.random.Generator or int
        The generator to draw from (advanced in place), or a seed for
        ``numpy.random.default_rng``.
    I, H : int
        Input and hidden sizes.
    O : int, optional
        Output size; adds ``V`` and ``c``.
    init : {"normal", "uniform"}
        ``"normal"``: weights ``N(0, std²)``, biases ``N(0, bias_std²)``. ``"uniform"``:
        every entry ``U(−1/√H, 1/√H)``, the initialisation of ``torch.nn.RNN`` and of an
        ``nn.Linear(H, O)`` output layer (``std`` and ``bias_std`` are ignored).
    std, bias_std : float
        Standard deviations of the ``"normal"`` weights and biases.
    gates : int
        Rows per hidden unit, ``G``.
    dtype : numpy float type
        Of every array (drawn in float64, then converted).

    Returns
    -------
    params : dict
        The arrays named above.

    Raises
    ------
    ValueError
        A size < 1, an unknown ``init``.
    """
    for name, n in (("I", I), ("H", H), ("gates", gates)) + ((("O", O),) if O is not None else ()):
        check_int(name, n)
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}; got {init!r}")
    rng = np.random.default_rng(rng)
    G = gates * H
    shapes = {"W_ih": (G, I), "W_hh": (G, H), "b_ih": (G,), "b_hh": (G,)}
    if O is not None:
        shapes.update(V=(O, H), c=(O,))
    k = 1.0 / np.sqrt(H)
    out = {}
    for name, shape in shapes.items():
        if init == "uniform":
            a = rng.uniform(-k, k, size=shape)
        else:
            a = rng.normal(0.0, std if len(shape) == 2 else bias_std, size=shape)
        out[name] = a.astype(dtype)
    return out


def haar_orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal ``n × n`` matrix, uniform (Haar) over the orthogonal group.

    The QR factorisation ``A = QR`` of a matrix of independent ``N(0, 1)`` entries, with the
    sign of each column of ``Q`` flipped where ``R``'s diagonal is negative (without the
    flip the distribution of ``Q`` depends on the QR routine's sign convention). Draws
    ``n × n`` normals from ``rng`` (advanced in place).
    """
    q, r = np.linalg.qr(rng.standard_normal((check_int("n", n), n)))
    return q * np.sign(np.diag(r))
