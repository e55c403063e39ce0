"""Caches: every backward function rejects a cache it did not make with a ValueError naming
``cache``, and no forward function lets an in-place edit of what it returned reach the backward."""

from __future__ import annotations

import re

import numpy as np
import pytest

from solutions import bidirectional, cell, deep_rnn, gru, lstm, residual, sequence
from solutions.course import compat
from solutions.params import random_params

JUNK = [None, (1, 2, 3, 4), (np.ones(2), np.ones(2), np.ones(2), "params"), ("not", "a cache"),
        (1, 2, 3, 4, 5, 6), (np.ones(3),), [np.ones(2)] * 4]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
@pytest.mark.parametrize("backward, dh_shape", [
    (cell.rnn_cell_backward, (2, 3)),
    (sequence.rnn_backward, (2, 2, 3)),
    (sequence.rnn_backward_loop, (2, 2, 3)),
    (lstm.lstm_backward_loop, (2, 2, 3)),
    (gru.gru_cell_backward, (2, 3)),
    (gru.gru_backward_loop, (2, 2, 3)),
    (residual.residual_backward, (2, 2, 3)),
    (bidirectional.birnn_backward, (2, 2, 6)),
    (bidirectional.stacked_birnn_backward, (2, 2, 6)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_junk_cache_is_a_value_error(backward, dh_shape, junk) -> None:
    with pytest.raises(ValueError, match="cache"):
        backward(np.ones(dh_shape), junk)


def _made_caches():
    """name -> (cache, backward(dh, cache)): one cache of every model, as its forward made it."""
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.normal(size=(3, 2, 4)), rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    p, p4, p3 = random_params(rng, 4, 5), random_params(rng, 4, 5, gates=4), random_params(rng, 4, 5, gates=3)
    course = {"Wax": p["W_ih"], "Waa": p["W_hh"], "ba": p["b_ih"][:, None], "Wya": np.ones((2, 5)),
              "by": np.ones((2, 1))}
    course_lstm = {**{f"W{g}": rng.normal(size=(5, 9)) for g in "fico"},
                   **{f"b{g}": rng.normal(size=(5, 1)) for g in "fico"}, "Wy": np.ones((2, 5)), "by": np.ones((2, 1))}
    seq = lambda f: (lambda c: f(np.ones((3, 2, 5)), c))
    one = lambda f: (lambda c: f(np.ones((2, 5)), c))
    return {
        "rnn_cell": (cell.rnn_cell_forward(x[0], h0, p)[1], one(cell.rnn_cell_backward)),
        "rnn": (sequence.rnn_forward(x, h0, p)[1], seq(sequence.rnn_backward)),
        "residual": (residual.residual_forward(x, h0, p, 0.5)[1], seq(residual.residual_backward)),
        "lstm": (lstm.lstm_forward(x, h0, c0, p4)[2], seq(lstm.lstm_backward)),
        "lstm_cell": (lstm.lstm_cell_forward(x[0], h0, c0, p4)[2],
                      lambda c: lstm.lstm_cell_backward(np.ones((2, 5)), np.ones((2, 5)), c)),
        "gru": (gru.gru_forward(x, h0, p3)[1], seq(gru.gru_backward)),
        "gru_cell": (gru.gru_cell_forward(x[0], h0, p3)[1], one(gru.gru_cell_backward)),
        "dt": (deep_rnn.dt_forward(x, h0, deep_rnn.random_deep_params(rng, 4, 5, m=2), m=2)[1],
               seq(deep_rnn.dt_backward)),
        "skip": (deep_rnn.skip_forward(x, h0, deep_rnn.random_deep_params(rng, 4, 5, skip=True))[1],
                 seq(deep_rnn.skip_backward)),
        "compat.rnn_cell": (compat.rnn_cell_forward(x[0].T, h0.T, course)[2],
                            lambda c: compat.rnn_cell_backward(np.ones((5, 2)), c)),
        "compat.lstm_cell": (compat.lstm_cell_forward(x[0].T, h0.T, c0.T, course_lstm)[3],
                             lambda c: compat.lstm_cell_backward(np.ones((5, 2)), np.ones((5, 2)), c)),
    }


MADE = _made_caches()
#: (model, field) for every array field a backward reads: the field is replaced below.
FIELDS = [(m, f) for m, (c, _) in MADE.items() for f, spec in type(c).SHAPES.items() if isinstance(spec, tuple)]


@pytest.mark.parametrize("model, field", FIELDS, ids=[f"{m}.{f}" for m, f in FIELDS])
def test_a_replaced_cache_array_is_named_with_its_shape(model: str, field: str) -> None:
    """Each array a backward reads: a list, an array with an axis too many, one with a size of
    another field's, and one of another dtype are each a ValueError naming ``cache.<field>``."""
    cache, backward = MADE[model]
    name = "cache." + field
    a = getattr(cache, field)
    spec = type(cache).SHAPES[field]
    want = "(" + ", ".join(spec) + ("," if len(spec) == 1 else "") + ")"
    with pytest.raises(ValueError, match=rf"^{re.escape(name)} must be a NumPy array of shape {re.escape(want)}; got list$"):
        backward(cache._replace(**{field: a.tolist()}))
    with pytest.raises(ValueError, match=rf"^{re.escape(name)} must have shape {re.escape(want)} \({len(spec)}-D\)"):
        backward(cache._replace(**{field: a[None]}))
    grown = np.concatenate([a, a[..., :1]], axis=-1)        # the last axis one longer
    with pytest.raises(ValueError, match=r"^cache\.\S+ must have shape .* with ") as err:
        backward(cache._replace(**{field: grown}))
    assert re.search(rf"{re.escape(name)}\b", str(err.value)), str(err.value)   # as the culprit or as the source
    with pytest.raises(ValueError, match=r"^cache\.\S+ has dtype float(32|64) but the other inputs are float(64|32)") as err:
        backward(cache._replace(**{field: a.astype(np.float32)}))
    first = next(iter(type(cache).SHAPES)) == field         # the first array checked sets the dtype
    assert first or str(err.value).startswith(f"{name} has dtype float32"), str(err.value)


@pytest.mark.parametrize("model", [m for m, (c, _) in MADE.items() if any(isinstance(s, dict) for s in type(c).SHAPES.values())])
def test_a_cache_without_a_parameter_names_the_key(model: str) -> None:
    cache, backward = MADE[model]
    field = next(f for f, s in type(cache).SHAPES.items() if isinstance(s, dict))
    params = dict(getattr(cache, field))
    key = next(iter(type(cache).SHAPES[field]))
    del params[key]
    with pytest.raises(ValueError, match=rf"^cache\.{field} is missing key '{key}' \(expected an array of shape "):
        backward(cache._replace(**{field: params}))


def test_nested_caches_name_the_path() -> None:
    """Loops name the step, bidirectional layers the direction and the layer."""
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(3, 2, 4)), rng.normal(size=(2, 5))
    p, p3, p4 = random_params(rng, 4, 5), random_params(rng, 4, 5, gates=3), random_params(rng, 4, 5, gates=4)
    dh = np.ones((3, 2, 5))
    _, loop = sequence.rnn_forward_loop(x, h0, p)
    steps = list(loop.steps)
    steps[1] = steps[1]._replace(h=steps[1].h[:, :4])
    with pytest.raises(ValueError, match=r"^cache\.steps\[1\]\.h must have shape \(B, H\) with H = 5; got shape \(2, 4\)"):
        sequence.rnn_backward_loop(dh, loop._replace(steps=steps))
    with pytest.raises(ValueError, match=r"^cache\.steps\[2\] must be the CellCache returned by solutions\.cell\.rnn_cell_forward; got tuple$"):
        sequence.rnn_backward_loop(dh, loop._replace(steps=[*loop.steps[:2], tuple(loop.steps[2])]))
    with pytest.raises(ValueError, match=r"^cache\.steps must be a non-empty list of CellCache, one per step; got \[\]$"):
        sequence.rnn_backward_loop(dh, loop._replace(steps=[]))
    _, gloop = gru.gru_forward_loop(x, h0, p3)
    with pytest.raises(ValueError, match=r"^cache\.steps\[0\]\.params\['W_hh'\] must have shape \(3H, H\) with 3H = 15"):
        gru.gru_backward_loop(dh, gloop._replace(steps=[gloop.steps[0]._replace(params={**p3, "W_hh": p4["W_hh"]}),
                                                        *gloop.steps[1:]]))
    _, _, lloop = lstm.lstm_forward_loop(x, h0, h0, p4)
    with pytest.raises(ValueError, match=r"^cache\.steps\[0\] must be the LSTMCellCache returned by solutions\.lstm\.lstm_cell_forward; got GRUCellCache$"):
        lstm.lstm_backward_loop(dh, lloop._replace(steps=gloop.steps))
    _, _, bi = bidirectional.birnn_forward(x, np.stack([h0, h0]), p, p)
    with pytest.raises(ValueError, match=r"^cache\.fwd must be the RnnCache returned by solutions\.sequence\.rnn_forward; got tuple$"):
        bidirectional.birnn_backward(np.ones((3, 2, 10)), bi._replace(fwd=tuple(bi.fwd)))
    with pytest.raises(ValueError, match=r"^cache\.bwd\.h must have shape \(T, B, H\) with T = 3"):
        bidirectional.birnn_backward(np.ones((3, 2, 10)), bi._replace(bwd=bi.bwd._replace(h=bi.bwd.h[:2])))
    layers = [(p, p), (random_params(2, 10, 5), random_params(3, 10, 5))]
    _, _, st = bidirectional.stacked_birnn_forward(x, np.ones((4, 2, 5)), layers)
    bad = [st.layers[0]._replace(fwd=st.layers[0].fwd._replace(h0=np.ones((2, 6)))), st.layers[1]]
    with pytest.raises(ValueError, match=r"^cache\.layers\[0\]\.fwd\.h0 must have shape \(B, H\) with H = 5"):
        bidirectional.stacked_birnn_backward(np.ones((3, 2, 10)), st._replace(layers=bad))
    _, _, caches = compat.rnn_forward(x.transpose(2, 1, 0).copy(), h0.T.copy(),
                                      {"Wax": p["W_ih"], "Waa": p["W_hh"], "ba": p["b_ih"][:, None],
                                       "Wya": np.ones((2, 5)), "by": np.ones((2, 1))})
    with pytest.raises(ValueError, match=r"^caches\.cache must be the RnnCache returned by solutions\.sequence\.rnn_forward; got ResidualCache$"):
        compat.rnn_backward(np.ones((5, 2, 3)), caches._replace(cache=MADE["residual"][0]))


def _sequence_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 5)), random_params(rng, 3, 5), rng


def _forwards():
    """name -> (forward() -> (returned arrays, backward(seed) -> grads))."""
    x, h0, p, _ = _sequence_problem()
    dh = np.random.default_rng(9).normal(size=(4, 2, 5))

    def seq():
        h, c = sequence.rnn_forward(x, h0, p)
        return [h], lambda: sequence.rnn_backward(dh, c)

    def seq_truncated():
        h, c = sequence.rnn_forward(x, h0, p)
        return [h], lambda: sequence.rnn_backward(dh, c, truncate=2)

    def loop():
        h, c = sequence.rnn_forward_loop(x, h0, p)
        return [h], lambda: sequence.rnn_backward_loop(dh, c)

    def one_cell():
        h, c = cell.rnn_cell_forward(x[0], h0, p)
        return [h], lambda: cell.rnn_cell_backward(dh[0], c)

    def res():
        h, c = residual.residual_forward(x, h0, p, 0.7)
        return [h], lambda: residual.residual_backward(dh, c)

    def birnn(batch_first: bool):
        def run():
            xb = np.ascontiguousarray(x.swapaxes(0, 1)) if batch_first else x
            out, h_n, c = bidirectional.birnn_forward(xb, np.stack([h0, -h0]), p, p, batch_first)
            d = np.random.default_rng(3).normal(size=out.shape)
            return [out, h_n], lambda: bidirectional.birnn_backward(d, c, np.ones_like(h_n))
        return run

    def stacked():
        layers = [(p, p), (random_params(1, 10, 5), random_params(2, 10, 5))]
        out, h_n, c = bidirectional.stacked_birnn_forward(x, np.ones((4, 2, 5)), layers)
        d = np.random.default_rng(3).normal(size=out.shape)
        return [out, h_n], lambda: bidirectional.stacked_birnn_backward(d, c, np.ones_like(h_n))

    course = {"Wax": p["W_ih"], "Waa": p["W_hh"], "ba": p["b_ih"][:, None], "Wya": np.ones((2, 5)),
              "by": np.ones((2, 1))}

    def course_cell():
        a_next, y, c = compat.rnn_cell_forward(x[0].T, h0.T, course)
        return [a_next, y], lambda: compat.rnn_cell_backward(dh[0].T, c)

    def course_seq():
        a, y, c = compat.rnn_forward(x.transpose(2, 1, 0).copy(), h0.T.copy(), course)
        return [a, y], lambda: compat.rnn_backward(dh.transpose(2, 1, 0), c)

    def course_seq_one_step():                  # T_x = m = 1: the transposed states are contiguous
        x1, a1 = x[:1, :1].transpose(2, 1, 0).copy(), h0[:1].T.copy() + 1.0
        a, y, c = compat.rnn_forward(x1, a1, course)
        return [a, y], lambda: compat.rnn_backward(np.ones_like(a), c)

    return {"rnn_forward": seq, "rnn_forward truncated": seq_truncated, "rnn_forward_loop": loop,
            "rnn_cell_forward": one_cell, "residual_forward": res, "birnn_forward": birnn(False),
            "birnn_forward batch_first": birnn(True), "stacked_birnn_forward": stacked,
            "compat.rnn_cell_forward": course_cell, "compat.rnn_forward": course_seq,
            "compat.rnn_forward one step, one example": course_seq_one_step}


FORWARDS = _forwards()


def _flat(grads) -> list[np.ndarray]:
    if isinstance(grads, dict):
        return [a for k in sorted(grads) for a in _flat(grads[k])]
    if isinstance(grads, list):
        return [a for g in grads for a in _flat(g)]
    return [grads]


@pytest.mark.parametrize("name", FORWARDS)
def test_editing_returned_arrays_in_place_does_not_change_the_backward(name: str) -> None:
    returned, backward = FORWARDS[name]()
    clean = _flat(backward())
    returned, backward = FORWARDS[name]()
    for a in returned:
        a *= 0.5            # e.g. a caller's own scaling or dropout, in place
        a += 1.0
    edited = _flat(backward())
    assert len(clean) == len(edited)
    for a, b in zip(clean, edited):
        assert np.array_equal(a, b)
