"""Input checks shared by every public function.

Each check raises a ``ValueError`` that names the argument and the expected shape, e.g.
``x must have shape (T, B, I); got shape (3, 4)``. Shapes are written with symbols
(``T``, ``B``, ``I``, ``H``, ...) that are bound on first use and must agree afterwards, so
``h0`` of shape ``(B, H)`` is checked against the ``B`` read off ``x``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

#: The recurrent parameters in PyTorch's names, with the shape each must have.
RNN_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    "W_ih": ("H", "I"),
    "W_hh": ("H", "H"),
    "b_ih": ("H",),
    "b_hh": ("H",),
}


def spec_text(spec: Sequence[str]) -> str:
    """``("T", "B", "I")`` -> ``"(T, B, I)"``, ``("H",)`` -> ``"(H,)"``: a shape spec as written in messages."""
    return "(" + ", ".join(spec) + ("," if len(spec) == 1 else "") + ")"


class Shapes:
    """Binds shape symbols (``"T"``, ``"B"``, ...) to sizes and checks arrays against them.

    Parameters
    ----------
    dtype : numpy dtype, optional
        The floating dtype every checked float array must share. When omitted, the first
        float array checked sets it.
    **dims : int
        Sizes already known, e.g. ``Shapes(h.dtype, B=4, H=8)`` to check a gradient against
        the array it belongs to.
    """

    def __init__(self, dtype: np.dtype | None = None, **dims: int) -> None:
        self.dims: dict[str, int] = dict(dims)
        self.dtype = None if dtype is None else np.dtype(dtype)

    def array(
        self,
        name: str,
        a: object,
        spec: Sequence[str],
        *,
        kind: str = "float",
        finite: bool = True,
    ) -> np.ndarray:
        """Check ``a`` against ``spec`` and return it (never copied or cast).

        Parameters
        ----------
        name : str
            The argument's name, used in the error message.
        a : object
            The value to check; must already be a NumPy array.
        spec : sequence of str
            One symbol per axis, e.g. ``("T", "B", "I")``.
        kind : {"float", "int"}
            ``"float"``: float32 or float64, the same dtype as the other float arrays;
            ``"int"``: any integer dtype.
        finite : bool
            Reject NaN and infinity (float arrays only).
        """
        want = spec_text(spec)
        if not isinstance(a, np.ndarray):
            raise ValueError(
                f"{name} must be a NumPy array of shape {want}; got {type(a).__name__}"
            )
        self.bind(name, a.shape, spec)
        if kind == "int":
            if not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"{name} must hold integer class ids, shape {want}; got dtype {a.dtype}")
            return a
        if a.dtype not in FLOAT_DTYPES:
            raise ValueError(
                f"{name} must be float32 or float64 of shape {want}; got dtype {a.dtype}"
            )
        if self.dtype is None:
            self.dtype = a.dtype
        elif a.dtype != self.dtype:
            raise ValueError(
                f"{name} has dtype {a.dtype} but the other inputs are {self.dtype}; "
                "mixed dtypes are not up-cast silently: convert them to one dtype"
            )
        if finite and not np.isfinite(a).all():
            raise ValueError(f"{name} of shape {want} contains NaN or infinity")
        return a

    def bind(self, name: str, shape: tuple[int, ...], spec: Sequence[str]) -> None:
        """Check a shape's rank and sizes against ``spec``, binding unbound symbols.

        The part of [array][solutions.validate.Shapes.array] that looks only at the shape,
        shared with the torch tensor checks of ``solutions.torch_ops``.
        """
        want = spec_text(spec)
        shape = tuple(shape)
        if len(shape) != len(spec):
            raise ValueError(
                f"{name} must have shape {want} ({len(spec)}-D); got shape {shape} ({len(shape)}-D)"
            )
        for axis, (sym, size) in enumerate(zip(spec, shape)):
            bound = self.dims.setdefault(sym, size)
            if bound != size:
                raise ValueError(
                    f"{name} must have shape {want} with {sym} = {bound}; "
                    f"got shape {shape} ({sym} = {size} on axis {axis})"
                )
            if size == 0:
                raise ValueError(f"{name} must have shape {want} with {sym} >= 1; got shape {shape}")

    def params(
        self, name: str, params: object, shapes: Mapping[str, Sequence[str]] = RNN_PARAM_SHAPES
    ) -> dict[str, np.ndarray]:
        """Check a parameter dict key by key; return the checked entries only."""
        if not isinstance(params, Mapping):
            raise ValueError(f"{name} must be a dict with keys {list(shapes)}; got {type(params).__name__}")
        out = {}
        for key, spec in shapes.items():
            if key not in params:
                raise ValueError(f"{name} is missing key {key!r} (expected an array of shape {spec_text(spec)})")
            out[key] = self.array(f"{name}[{key!r}]", params[key], spec)
        return out


def check_truncate(truncate: object) -> int | None:
    """``None`` (full BPTT) or a whole number of steps >= 1."""
    if truncate is None:
        return None
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1:
        raise ValueError(f"truncate must be None or an integer >= 1; got {truncate!r}")
    return int(truncate)


def check_cache(cache: object, producer: str) -> tuple:
    """The 4-tuple ``(x, h_prev_or_h0, h, params)`` that ``producer`` returned."""
    if not (isinstance(cache, tuple) and len(cache) == 4
            and all(isinstance(a, np.ndarray) for a in cache[:3]) and isinstance(cache[3], Mapping)):
        raise ValueError(f"cache must be the tuple returned by {producer}: (x, h_prev, h, params)")
    return cache
