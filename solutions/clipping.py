"""Gradient clipping (梯度截断, NNDL ch. 7) on NumPy gradients, by PyTorch's rules.

The NumPy twins of ``torch.nn.utils``' clipping functions (PyTorch 2.13), with its names,
arguments, defaults and arithmetic, applied to a dict or list of gradient arrays (PyTorch's
``.grad`` tensors), which the functions ending in ``_`` modify in place:

* [get_total_norm][solutions.clipping.get_total_norm]: the p-norm of all gradients taken
  together, computed as PyTorch does — the norm of each array in that array's dtype, then the
  norm of those norms;
* [clip_grads_with_norm_][solutions.clipping.clip_grads_with_norm_]: multiply every array by
  ``min(max_norm / (total_norm + 1e-6), 1)``, always, for a ``total_norm`` you computed;
* [clip_grad_norm_][solutions.clipping.clip_grad_norm_]: the two above in one call; returns
  the norm before clipping;
* [clip_grad_value_][solutions.clipping.clip_grad_value_]: clamp every element into
  ``[−clip_value, clip_value]``.

[total_norm][solutions.clipping.total_norm], [clip_grad_norm][solutions.clipping.clip_grad_norm]
and [clip_grad_value][solutions.clipping.clip_grad_value] are the earlier names of
``get_total_norm``, ``clip_grad_norm_`` and ``clip_grad_value_``, kept as aliases (the same
functions) so that existing code keeps working.

Unlike the rest of the package these functions accept NaN and infinity inside the gradients
and treat them as PyTorch does (a NaN total norm turns every gradient into NaN), because a
training loop meets them exactly here: check the returned norm, or pass
``error_if_nonfinite=True``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from solutions.validate import FLOAT_DTYPES

Grads = Mapping[object, np.ndarray] | Sequence[np.ndarray] | np.ndarray

#: PyTorch's guard against dividing by a zero norm: ``max_norm / (total_norm + 1e-6)``.
EPS = 1e-6


def _arrays(grads: object) -> list[np.ndarray]:
    """The gradient arrays of ``grads`` (a dict, a list/tuple, or one array), checked."""
    if isinstance(grads, np.ndarray):
        named = [("grads", grads)]
    elif isinstance(grads, Mapping):
        named = [(f"grads[{k!r}]", g) for k, g in grads.items()]
    elif isinstance(grads, (list, tuple)):
        named = [(f"grads[{i}]", g) for i, g in enumerate(grads)]
    else:
        raise ValueError(
            f"grads must be a dict or list of float NumPy arrays (any shape); got {type(grads).__name__}"
        )
    dtype = None
    for name, g in named:
        if not isinstance(g, np.ndarray):
            raise ValueError(f"{name} must be a float NumPy array (any shape); got {type(g).__name__}")
        if g.dtype not in FLOAT_DTYPES:
            raise ValueError(f"{name} must be float32 or float64 (any shape); got dtype {g.dtype}")
        if dtype is None:
            dtype = g.dtype
        elif g.dtype != dtype:
            raise ValueError(
                f"{name} has dtype {g.dtype} but the other gradients are {dtype}; "
                "mixed dtypes are not up-cast silently: convert them to one dtype"
            )
        if not g.flags.writeable:
            raise ValueError(f"{name} is read-only; clipping modifies the gradients in place")
    return [g for _, g in named]


def _check_norm_type(norm_type: object) -> float:
    """``p > 0`` or infinity (also the string ``"inf"``, as PyTorch documents)."""
    if isinstance(norm_type, str) and norm_type.strip().lower() == "inf":
        return math.inf
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise ValueError(f"norm_type must be a number p > 0 or inf; got {norm_type!r}")
    p = float(norm_type)
    if not p > 0:  # also NaN
        raise ValueError(f"norm_type must be a number p > 0 or inf; got {norm_type!r}")
    return p


def _check_bound(name: str, value: object) -> float:
    """A clipping bound: a number >= 0 (infinity allowed: no clipping)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number >= 0; got {value!r}")
    v = float(value)
    if not v >= 0:  # also NaN
        raise ValueError(f"{name} must be a number >= 0; got {value!r}")
    return v


def _vector_norm(a: np.ndarray, p: float) -> np.floating:
    """``torch.linalg.vector_norm(a, p)``: in ``a``'s dtype, ``(Σ|a_i|^p)^(1/p)``, no rescaling.

    Like PyTorch, the sum of powers is not rescaled, so it overflows to ``inf`` where
    PyTorch's does (float32 squares above about 1.8e19).
    """
    t = a.dtype.type
    if p == math.inf:
        return np.abs(a).max()
    if p == 1.0:
        return np.abs(a).sum(dtype=a.dtype)
    if p == 2.0:
        return np.sqrt(np.square(a).sum(dtype=a.dtype))
    return np.power(np.power(np.abs(a), t(p)).sum(dtype=a.dtype), t(1) / t(p))


def get_total_norm(grads: Grads, norm_type: float | str = 2.0, error_if_nonfinite: bool = False) -> float:
    """The p-norm of all gradients together, as ``torch.nn.utils.get_total_norm``.

    Computed as PyTorch computes it: the norm of each array, in that array's dtype, then the
    norm of the vector of those norms — equal to the norm of all entries concatenated.

    Parameters
    ----------
    grads : dict or list of ndarray, any shapes, or one ndarray
        float32 or float64, all the same dtype. NaN and infinity are allowed.
    norm_type : float or "inf"
        ``p > 0``; ``math.inf`` (or ``"inf"``) for the largest absolute entry.
    error_if_nonfinite : bool
        Raise ``RuntimeError`` if the norm is NaN or infinite (as PyTorch does).

    Returns
    -------
    total_norm : float
        ``‖g‖_p`` of all entries; ``0.0`` for an empty dict or list. Rounded to float32 when
        the gradients are float32.

    Raises
    ------
    ValueError
        ``grads`` not a dict/list of float arrays, an integer or read-only array, mixed dtypes,
        ``norm_type`` not ``> 0``, or an empty array with ``norm_type = inf`` (PyTorch raises too).
    RuntimeError
        ``error_if_nonfinite`` is set and the norm is NaN or infinite.
    """
    arrays = _arrays(grads)
    p = _check_norm_type(norm_type)
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise ValueError(f"error_if_nonfinite must be True or False; got {error_if_nonfinite!r}")
    return float(_total_norm(arrays, p, bool(error_if_nonfinite)))


def _total_norm(arrays: list[np.ndarray], p: float, error_if_nonfinite: bool) -> np.floating:
    if not arrays:
        return np.float32(0.0)  # torch.tensor(0.)
    if p == math.inf and any(g.size == 0 for g in arrays):
        raise ValueError("grads holds an empty array: its inf norm is undefined (PyTorch raises too)")
    with np.errstate(over="ignore", invalid="ignore"):
        # --8<-- [start:total] get_total_norm
        dtype = arrays[0].dtype                                       # float32 stays float32
        norms = np.array([_vector_norm(g, p) for g in arrays], dtype)  # ‖g_i‖_p, each array (clipping-global)
        total = _vector_norm(norms, p)             # ‖(‖g_1‖_p, ‖g_2‖_p, …)‖_p = ‖g‖_p  (clipping-global)
        # --8<-- [end:total]
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `grads` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(grads: Grads, max_norm: float, total_norm: float) -> None:
    """Scale all gradients by ``min(max_norm / (total_norm + 1e-6), 1)``, in place.

    The rule of ``torch.nn.utils.clip_grads_with_norm_``, for a ``total_norm`` computed
    beforehand (usually by [get_total_norm][solutions.clipping.get_total_norm], perhaps over
    more gradients than the ones clipped here). The coefficient is computed in the gradients'
    dtype and applied always, also when it is exactly 1. A NaN ``total_norm`` makes every
    gradient NaN; an infinite one zeroes the finite entries and turns infinite ones into NaN
    — as in PyTorch.

    Parameters
    ----------
    grads : dict or list of ndarray, any shapes, or one ndarray
        float32 or float64, all the same dtype; modified in place. NaN/inf allowed.
    max_norm : float
        The largest norm allowed, ``>= 0`` (``inf``: never clip).
    total_norm : float
        The norm to clip by; NaN and infinity allowed (see above).

    Raises
    ------
    ValueError
        ``max_norm`` negative or NaN, ``total_norm`` not a real number, or bad ``grads``
        (see [get_total_norm][solutions.clipping.get_total_norm]).
    """
    arrays = _arrays(grads)
    m = _check_bound("max_norm", max_norm)
    if isinstance(total_norm, (bool, np.bool_)) or not isinstance(total_norm, (int, float, np.integer, np.floating)):
        raise ValueError(f"total_norm must be a real number (NaN and inf allowed); got {total_norm!r}")
    if arrays:
        _clip(arrays, m, arrays[0].dtype.type(total_norm))


def _clip(arrays: list[np.ndarray], m: float, total: np.floating) -> None:
    t = arrays[0].dtype.type  # PyTorch computes the coefficient in the gradients' dtype
    with np.errstate(over="ignore", invalid="ignore"):
        # --8<-- [start:clip] clip_grads_with_norm_
        coef = t(m) * (t(1) / (total + t(EPS)))  # max_norm / (total_norm + 1e-6)  (clipping-torch)
        coef = np.minimum(coef, t(1))            # min(…, 1); NaN stays NaN       (clipping-torch)
        for g in arrays:
            g *= coef                            # always, also by exactly 1      (clipping-torch)
        # --8<-- [end:clip]


def clip_grad_norm_(
    grads: Grads, max_norm: float, norm_type: float | str = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Rescale all gradients together so that their norm is at most ``max_norm``, in place.

    The rule of ``torch.nn.utils.clip_grad_norm_``: [get_total_norm][solutions.clipping.get_total_norm]
    followed by [clip_grads_with_norm_][solutions.clipping.clip_grads_with_norm_] with that
    norm — every array is multiplied by ``min(max_norm / (total_norm + 1e-6), 1)``, always.
    This is clipping by norm (the book's ch. 7, 梯度截断) with PyTorch's two details: ``+ 1e-6``
    and a coefficient clamped at 1. A NaN total norm therefore makes every gradient NaN, and an
    infinite one zeroes the finite entries and turns infinite ones into NaN — as in PyTorch.

    Parameters
    ----------
    grads : dict or list of ndarray, any shapes, or one ndarray
        float32 or float64, all the same dtype; modified in place. NaN/inf allowed.
    max_norm : float
        The largest norm allowed, ``>= 0`` (``inf``: never clip).
    norm_type : float or "inf"
        ``p > 0`` or ``math.inf``.
    error_if_nonfinite : bool
        Raise ``RuntimeError`` instead, leaving ``grads`` untouched, if the total norm is NaN
        or infinite.

    Returns
    -------
    total_norm : float
        The norm before clipping (check it: NaN or inf means this step's gradient is useless).

    Raises
    ------
    ValueError
        ``max_norm`` negative or NaN, a bad ``norm_type``, or bad ``grads`` (see
        [get_total_norm][solutions.clipping.get_total_norm]).
    RuntimeError
        ``error_if_nonfinite`` is set and the total norm is NaN or infinite.
    """
    arrays = _arrays(grads)
    m = _check_bound("max_norm", max_norm)
    p = _check_norm_type(norm_type)
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise ValueError(f"error_if_nonfinite must be True or False; got {error_if_nonfinite!r}")
    total = _total_norm(arrays, p, bool(error_if_nonfinite))
    if arrays:
        _clip(arrays, m, total)
    return float(total)


def clip_grad_value_(grads: Grads, clip_value: float) -> None:
    """Clamp every gradient element into ``[−clip_value, clip_value]``, in place.

    The rule of ``torch.nn.utils.clip_grad_value_`` (clipping by value, the book's ch. 7,
    梯度截断). Each element is clipped on its own, so the direction of the gradient changes
    whenever one element is clipped and another non-zero element is not. NaN stays NaN; ``±inf`` becomes
    ``±clip_value``.

    Parameters
    ----------
    grads : dict or list of ndarray, any shapes, or one ndarray
        float32 or float64, all the same dtype; modified in place. NaN/inf allowed.
    clip_value : float
        ``>= 0``; must fit in the gradients' dtype (PyTorch raises for float32 otherwise),
        ``inf`` allowed (no clipping).

    Raises
    ------
    ValueError
        ``clip_value`` negative or NaN (PyTorch then clamps every entry to ``clip_value``,
        silently), or overflowing the dtype; bad ``grads``.
    """
    arrays = _arrays(grads)
    c = _check_bound("clip_value", clip_value)
    if not arrays:
        return
    t = arrays[0].dtype.type
    if math.isfinite(c) and c > float(np.finfo(t).max):
        raise ValueError(f"clip_value = {clip_value!r} overflows {arrays[0].dtype} (PyTorch raises too)")
    # --8<-- [start:value] clip_grad_value_
    for g in arrays:
        np.clip(g, t(-c), t(c), out=g)  # each entry into [−κ, κ]; NaN stays NaN  (clipping-value)
    # --8<-- [end:value]


total_norm = get_total_norm
"""Alias of [get_total_norm][solutions.clipping.get_total_norm] (this module's earlier name)."""

clip_grad_norm = clip_grad_norm_
"""Alias of [clip_grad_norm_][solutions.clipping.clip_grad_norm_] (this module's earlier name;
PyTorch's own ``clip_grad_norm`` is a deprecated alias of ``clip_grad_norm_`` too)."""

clip_grad_value = clip_grad_value_
"""Alias of [clip_grad_value_][solutions.clipping.clip_grad_value_] (this module's earlier name)."""
