"""Input checks shared by every public function.

Each check raises a ``ValueError`` that names the argument and the expected shape, e.g.
``x must have shape (T, B, I); got shape (3, 4)``. Shapes are written with symbols
(``T``, ``B``, ``I``, ``H``, ...) that are bound on first use and must agree afterwards, so
``h0`` of shape ``(B, H)`` is checked against the ``B`` read off ``x``; when a later argument
disagrees, the message also names the argument that set the size.

One way to do each check: every public function checks its arrays with a
[Shapes][solutions.validate.Shapes] checker, and internal calls skip the checks by calling
the unchecked kernels.

- [check_inputs][solutions.validate.check_inputs] is the input check of every recurrent model
  over one input and one state: the cell, the sequence, the residual update, the LSTM (which
  adds its ``c0`` on the checker it returns), the GRU, the deep-transition and skip RNNs, the
  pitfall variants and TBPTT. Three kinds of function check their inputs on a ``Shapes`` of
  their own, with the same symbols and messages, because their arguments have another form:
  the bidirectional layers (a state per direction, two parameter sets), the course adapters
  (the course's column layout and names) and the recursive network (a tree); the torch
  functions check tensors with ``solutions.torch_ops.TensorShapes``.
- [check_cache][solutions.validate.check_cache] is the one check of every model's
  ``typing.NamedTuple`` cache: its type, then the shapes of the fields its backward reads
  (the class's ``SHAPES``); [check_steps][solutions.validate.check_steps] applies it to every
  step of a loop of cells; [check_dh][solutions.validate.check_dh] checks a backward's
  gradient arguments against the cache's sizes.
- [check_int][solutions.validate.check_int] is the one integer check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

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

    A symbol written as a whole number times another (``"4H"``, the LSTM's four gate blocks) or
    as a sum of symbols and whole numbers (``"T+1"``, the states ``h_0 … h_T``; ``"n_a+n_x"``)
    takes that size once its parts are bound.

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
            self._derive(sym)
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

    def _derive(self, sym: str) -> None:
        """Bind a multiple (``"4H"``) or a sum (``"T+1"``, ``"n_a+n_x"``) once its parts are bound."""
        times = re.fullmatch(r"(\d+)([A-Za-z_]\w*)", sym)
        parts = [] if times else sym.split("+")
        if sym in self.dims or not (times or len(parts) > 1):
            return
        if times and times[2] in self.dims:
            self.dims[sym], rule, known = int(times[1]) * self.dims[times[2]], f"{times[1]} × {times[2]}", [times[2]]
        elif parts and all(p.isdigit() or p in self.dims for p in parts):
            self.dims[sym] = sum(int(p) if p.isdigit() else self.dims[p] for p in parts)
            rule, known = " + ".join(parts), [p for p in parts if not p.isdigit()]
        else:
            return
        sources = dict.fromkeys(self.source.get(k, k) for k in known)      # each argument once, in order
        self.source[sym] = f"{' and '.join(sources)} ({sym} = {rule})"

    def params(
        self, name: str, params: object, shapes: Mapping[str, Sequence[str]] = RNN_PARAM_SHAPES,
        finite: bool = True,
    ) -> dict[str, np.ndarray]:
        """Check a parameter dict key by key (as [array][solutions.validate.Shapes.array] checks
        each array); return the checked entries only."""
        if not isinstance(params, Mapping):
            raise ValueError(f"{name} must be a dict with keys {list(shapes)}; got {type(params).__name__}")
        out = {}
        for key, spec in shapes.items():
            if key not in params:
                raise ValueError(f"{name} is missing key {key!r} (expected an array of shape {spec_text(spec)})")
            out[key] = self.array(f"{name}[{key!r}]", params[key], spec, finite=finite)
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
    """The input check of every recurrent model over one input ``x`` and one state ``h0``.

    Checks ``x`` against ``x_spec``, ``h0`` against ``(B, H)`` and every parameter against
    ``shapes``, all in one dtype and finite; the sizes bound on the way (``T``, ``B``, ``I``,
    ``H``) stay in the returned checker, e.g. for the LSTM's ``c0`` or a target ``y``. Public
    functions call this once and pass the checked values to the unchecked kernels
    (the ``*_unchecked`` functions), so that no input is checked twice and none is skipped.
    The functions whose arguments have another form (the bidirectional layers, the course
    adapters, the recursive network, the torch functions) are listed in the module's
    introduction.

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
        ``b_ih`` (H,), ``b_hh`` (H,); the LSTM's ``("4H", "I")`` etc. (see
        [Shapes][solutions.validate.Shapes] for multiples of a symbol).

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


def check_cache(cache: object, CacheType: type, name: str = "cache", shapes: Shapes | None = None) -> Shapes:
    """The one cache check: ``cache`` is a ``CacheType`` whose arrays have the shapes its backward reads.

    Every model keeps what its backward pass needs in a ``typing.NamedTuple`` (e.g.
    [RnnCache][solutions.sequence.RnnCache]) with two class attributes: ``PRODUCER``, the
    function that makes it, and ``SHAPES``, the fields the backward reads with their shapes
    (a parameter dict's field maps each key to its shape). The backward function calls this
    first, then checks its own arguments on the checker it returns, whose sizes and dtype
    were read off the cache::

        s = check_cache(cache, RnnCache)       # an RnnCache; x (T, B, I), h0 (B, H), h (T, B, H), params
        s.array("dh", dh, ("T", "B", "H"))     # dh in the cache's T, B, H and dtype

    A cache of another type (another model's, a plain tuple, ``None``), or one whose arrays
    were replaced by arrays of another shape or dtype, is rejected here rather than failing
    later with an unrelated message. The arrays are not scanned for NaN: the forward pass made
    them from checked inputs.

    Parameters
    ----------
    cache : object
        What the caller passed as the cache.
    CacheType : type
        The ``typing.NamedTuple`` class expected.
    name : str
        The argument's name, used in the messages (``cache``, ``cache.h``, ``caches``, …).
    shapes : Shapes, optional
        A checker whose sizes the cache must agree with (e.g. one shared by the two directions
        of a bidirectional layer); a new one by default.

    Returns
    -------
    s : Shapes
        The checker with the sizes and the dtype read off the cache.

    Raises
    ------
    ValueError
        ``cache`` not a ``CacheType``; a field of ``SHAPES`` not an array of its shape in the
        cache's one float dtype, or a parameter dict with a key missing.
    """
    if not isinstance(cache, CacheType):
        producer = getattr(CacheType, "PRODUCER", CacheType.__name__)
        raise ValueError(
            f"{name} must be the {CacheType.__name__} returned by {producer}; got {type(cache).__name__}"
        )
    s = Shapes() if shapes is None else shapes
    for field, spec in CacheType.SHAPES.items():
        value = getattr(cache, field)
        if isinstance(spec, Mapping):
            s.params(f"{name}.{field}", value, spec, finite=False)
        else:
            s.array(f"{name}.{field}", value, spec, finite=False)
    return s


def check_steps(cache: object, LoopType: type, StepType: type) -> Shapes:
    """The cache of a loop of cells: a ``LoopType`` whose ``steps`` is a non-empty list of
    ``StepType`` caches, each checked by [check_cache][solutions.validate.check_cache] on one
    checker (so every step has the same sizes and dtype); ``T`` is bound to the number of steps.

    Raises
    ------
    ValueError
        ``cache`` not a ``LoopType``, ``cache.steps`` not a non-empty list, or a step that
        ``check_cache`` rejects (named ``cache.steps[t]``).
    """
    check_cache(cache, LoopType)
    steps = cache.steps
    if not isinstance(steps, list) or not steps:
        raise ValueError(f"cache.steps must be a non-empty list of {StepType.__name__}, one per step; "
                         f"got {steps!r:.60}")
    s = Shapes(T=len(steps))
    s.source["T"] = "the length of cache.steps"
    for t, step in enumerate(steps):
        check_cache(step, StepType, f"cache.steps[{t}]", s)
    return s


def check_dh(s: Shapes, dh: object, **final: object) -> None:
    """The gradient arguments of a sequence backward, on the checker its cache returned:
    ``dh`` (T, B, H) and each final-state gradient passed (``dh_n=``, ``dc_n=``; ``None`` is
    skipped) (B, H), all in the cache's dtype and finite."""
    s.array("dh", dh, ("T", "B", "H"))
    for name, value in final.items():
        if value is not None:
            s.array(name, value, ("B", "H"))
