"""Input checks shared by every public function.

Each check raises a ``ValueError`` that names the argument and the expected shape, e.g.
``x must have shape (T, B, I); got shape (3, 4)``. Shapes are written with symbols
(``T``, ``B``, ``I``, ``H``, ...) that are bound on first use and must agree afterwards, so
``h0`` of shape ``(B, H)`` is checked against the ``B`` read off ``x``; when a later argument
disagrees, the message also names the argument that set the size.

One way to do each check: every public function checks its arrays with a
[Shapes][solutions.validate.Shapes] checker, and internal calls skip the checks by calling
the unchecked kernels. [check_inputs][solutions.validate.check_inputs] is that check for the
models with one state and one parameter set (the cell, the sequence, the residual update);
the LSTM (a second state ``c0``), the GRU (three gate blocks) and the bidirectional layer (two
parameter sets) bind their extra symbols on the same checker. [check_int][solutions.validate.check_int]
is the one integer check, [check_cache][solutions.validate.check_cache] the one check of
every model's ``typing.NamedTuple`` cache, so that backward functions read fields by name.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real

import numpy as np

C = typing.TypeVar("C", bound=tuple)

#: The parameters of a model: PyTorch's names (``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``, …) to arrays.
Params = dict[str, np.ndarray]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes every float array of the package may have (``solutions.torch_ops`` maps them to torch's)."""

#: The recurrent parameters in PyTorch's names, with the shape each must have.
RNN_PARAM_SHAPES: dict[str, tuple[str, ...]] = {
    "W_ih": ("H", "I"),
    "W_hh": ("H", "H"),
    "b_ih": ("H",),
    "b_hh": ("H",),
}

#: The softmax output layer's parameters, ``o_t = V h_t + c``, with their shapes.
OUTPUT_PARAM_SHAPES: dict[str, tuple[str, ...]] = {"V": ("O", "H"), "c": ("O",)}

PARAM_KEYS: tuple[str, ...] = tuple(RNN_PARAM_SHAPES)
"""``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``: the one list of the recurrent parameters' names, in this order."""

MODEL_KEYS: tuple[str, ...] = PARAM_KEYS + tuple(OUTPUT_PARAM_SHAPES)
"""The recurrent parameters, then the output layer's ``V``, ``c``: every parameter of a model that
[bptt][solutions.sequence.bptt] trains."""


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
        #: Which argument bound each symbol, named in the error when a later one disagrees.
        self.source: dict[str, str] = {}

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
        if not isinstance(a, np.ndarray):
            raise ValueError(
                f"{name} must be a NumPy array of shape {spec_text(spec)}; got {type(a).__name__}"
            )
        self.bind(name, a.shape, spec)
        if kind == "int":
            if not np.issubdtype(a.dtype, np.integer):
                raise ValueError(
                    f"{name} must hold integer class ids, shape {spec_text(spec)}; got dtype {a.dtype}"
                )
            return a
        if a.dtype not in FLOAT_DTYPES:
            raise ValueError(
                f"{name} must be float32 or float64 of shape {spec_text(spec)}; got dtype {a.dtype}"
            )
        if self.dtype is None:
            self.dtype = a.dtype
        elif a.dtype != self.dtype:
            raise ValueError(
                f"{name} has dtype {a.dtype} but the other inputs are {self.dtype}; "
                "mixed dtypes are not up-cast silently: convert them to one dtype"
            )
        if finite and not np.isfinite(a).all():
            raise ValueError(f"{name} of shape {spec_text(spec)} contains NaN or infinity")
        return a

    def bind(self, name: str, shape: tuple[int, ...], spec: Sequence[str]) -> None:
        """Check a shape's rank and sizes against ``spec``, binding unbound symbols.

        The part of [array][solutions.validate.Shapes.array] that looks only at the shape,
        shared with the torch tensor checks of ``solutions.torch_ops``.
        """
        shape = tuple(shape)
        if len(shape) != len(spec):
            raise ValueError(
                f"{name} must have shape {spec_text(spec)} ({len(spec)}-D); got shape {shape} ({len(shape)}-D)"
            )
        for axis, (sym, size) in enumerate(zip(spec, shape)):
            bound = self.dims.setdefault(sym, size)
            if bound != size:
                want = spec_text(spec)
                source = self.source.get(sym)
                origin = f"; {sym} = {bound} was set by {source}" if source else ""
                raise ValueError(
                    f"{name} must have shape {want} with {sym} = {bound}; "
                    f"got shape {shape} ({sym} = {size} on axis {axis}{origin})"
                )
            self.source.setdefault(sym, name)
            if size == 0:
                raise ValueError(f"{name} must have shape {spec_text(spec)} with {sym} >= 1; got shape {shape}")

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


def check_int(name: str, value: object, lo: int = 1, hi: int | None = None) -> int:
    """``value`` as a Python ``int``: the one integer check of the package.

    A ``ValueError`` naming ``name`` unless ``value`` is an integer (Python or NumPy, not a
    bool), ``>= lo`` and, when ``hi`` is given, ``< hi``.
    """
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < lo or (hi is not None and value >= hi)):
        want = f">= {lo}" if hi is None else f"in [{lo}, {hi})"
        raise ValueError(f"{name} must be an integer {want}; got {value!r}")
    return int(value)


def check_truncate(truncate: object) -> int | None:
    """``None`` (full BPTT) or a whole number of steps >= 1."""
    return None if truncate is None else check_int("truncate", truncate)


def check_inputs(
    x: object,
    h0: object,
    params: object,
    *,
    x_spec: Sequence[str] = ("T", "B", "I"),
    h0_name: str = "h0",
    shapes: Mapping[str, Sequence[str]] = RNN_PARAM_SHAPES,
) -> tuple[Shapes, Params]:
    """The input check of a one-state recurrent model's public forward function.

    Checks ``x`` against ``x_spec``, ``h0`` against ``(B, H)`` and every parameter against
    ``shapes``, all in one dtype and finite; the sizes bound on the way (``T``, ``B``, ``I``,
    ``H``) stay in the returned checker, e.g. for ``alpha`` or a target ``y``. Public
    functions call this once and pass the checked values to the unchecked kernels
    (the ``*_unchecked`` functions), so that no input is checked twice and none is skipped.

    Parameters
    ----------
    x : object
        The inputs; ``x_spec`` ``(T, B, I)`` for a sequence, ``(B, I)`` for one step.
    h0 : object
        The initial (or previous) state, ``(B, H)``.
    params : object
        A dict with at least the keys of ``shapes``; other keys are ignored.
    x_spec : sequence of str
        The shape of ``x``.
    h0_name : str
        The state's argument name in messages (``"h_prev"`` for a cell).
    shapes : mapping
        Parameter name to shape spec; by default ``W_ih`` (H, I), ``W_hh`` (H, H),
        ``b_ih`` (H,), ``b_hh`` (H,).

    Returns
    -------
    shapes : Shapes
        The checker with the bound sizes.
    params : dict
        Only the checked entries of ``params`` (the same arrays, not copies).

    Raises
    ------
    ValueError
        Naming the argument: not an array, wrong rank or size, a missing key, mixed dtypes,
        NaN or infinity.
    """
    s = Shapes()
    s.array("x", x, x_spec)
    s.array(h0_name, h0, ("B", "H"))
    return s, s.params("params", params, shapes)


def check_cache(cache: object, CacheType: type[C], name: str = "cache") -> C:
    """``cache`` if it is a well-formed ``CacheType``, else a ``ValueError`` naming ``name``.

    Every model keeps what its backward pass needs in a ``typing.NamedTuple`` (e.g.
    [RnnCache][solutions.sequence.RnnCache]) whose class attribute ``PRODUCER`` names the
    function that makes it. The backward function calls this first, then reads fields by
    name (``cache.h0``). A cache of another type (another model's, a plain tuple, ``None``)
    or one whose fields have the wrong types (built by hand, edited) is rejected here rather
    than failing later with an unrelated message.

    The field types come from the NamedTuple's annotations: ``np.ndarray`` fields must be
    arrays, ``Params`` (dict) fields dicts of arrays, ``float``/``int``/``bool``/``str``
    fields those types, NamedTuple fields are checked recursively, ``tuple[X, ...]`` and
    ``list[X]`` fields item by item, and ``X | None`` may be ``None``.

    Parameters
    ----------
    cache : object
        What the caller passed as the cache.
    CacheType : type
        The ``typing.NamedTuple`` class expected.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    cache : CacheType
        The same object.

    Raises
    ------
    ValueError
        ``cache`` not a ``CacheType``, or one of its fields of the wrong type.
    """
    producer = getattr(CacheType, "PRODUCER", CacheType.__name__)
    if not isinstance(cache, CacheType):
        raise ValueError(
            f"{name} must be the {CacheType.__name__} returned by {producer}; got {type(cache).__name__}"
        )
    for field, ok, want in _field_checks(CacheType):
        value = getattr(cache, field)
        if not ok(value):
            raise ValueError(
                f"{name} is a malformed {CacheType.__name__}: {name}.{field} must be {want}, "
                f"got {type(value).__name__}; pass the cache {producer} returned, unchanged"
            )
    return cache


@functools.cache
def _field_checks(CacheType: type) -> tuple[tuple[str, Callable[[object], bool], str], ...]:
    """``(field, test, description)`` for every field of a NamedTuple class, from its annotations."""
    hints = typing.get_type_hints(CacheType)
    return tuple((f, *_check_for(hints.get(f, object))) for f in CacheType._fields)


def _check_for(tp: object) -> tuple[Callable[[object], bool], str]:
    """A test for values of the annotation ``tp`` and its description in messages."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        parts = [_check_for(a) for a in args if a is not type(None)]
        nullable = type(None) in args
        return (lambda v: (nullable and v is None) or any(ok(v) for ok, _ in parts),
                " or ".join([w for _, w in parts] + (["None"] if nullable else [])))
    if tp is np.ndarray:
        return (lambda v: isinstance(v, np.ndarray)), "a NumPy array"
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return (lambda v: isinstance(v, Mapping) and all(isinstance(a, np.ndarray) for a in v.values()),
                "a dict of NumPy arrays")
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        def nested(v: object, tp: type = tp) -> bool:
            try:
                check_cache(v, tp)
            except ValueError:
                return False
            return True
        return nested, f"a {tp.__name__}"
    if origin in (tuple, list, Sequence):
        item_ok, item_want = _check_for(args[0]) if args else ((lambda v: True), "anything")
        container = list if origin is list else tuple
        item = item_want.removeprefix("a ").removeprefix("an ")
        return (lambda v: isinstance(v, container) and all(item_ok(i) for i in v),
                f"a {container.__name__} of {item} items")
    if tp is bool:
        return (lambda v: isinstance(v, (bool, np.bool_))), "a bool"
    if tp is int:
        return (lambda v: isinstance(v, Integral) and not isinstance(v, bool)), "an int"
    if tp is float:
        return (lambda v: isinstance(v, Real) and not isinstance(v, bool)), "a float"
    if isinstance(tp, type) and tp is not object:
        return (lambda v: isinstance(v, tp)), f"a {tp.__name__}"
    return (lambda v: True), "anything"
