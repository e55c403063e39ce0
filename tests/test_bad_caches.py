"""Caches: every backward function rejects a cache it did not make with a ValueError naming
``cache``, and no forward function lets an in-place edit of what it returned reach the backward."""

from __future__ import annotations

import numpy as np
import pytest

from solutions import bidirectional, cell, gru, lstm, residual, sequence
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


def test_malformed_named_cache_names_the_field() -> None:
    """A cache of the right type whose fields were replaced is rejected, naming the field."""
    rng = np.random.default_rng(0)
    _, cache = sequence.rnn_forward(rng.normal(size=(3, 2, 4)), np.zeros((2, 5)), random_params(rng, 4, 5))
    with pytest.raises(ValueError, match=r"cache\.h must be a NumPy array, got list"):
        sequence.rnn_backward(np.ones((3, 2, 5)), cache._replace(h=[1.0]))
    with pytest.raises(ValueError, match=r"cache\.params must be a dict of NumPy arrays"):
        sequence.rnn_backward(np.ones((3, 2, 5)), cache._replace(params={"W_hh": 1.0}))
    _, _, bi = bidirectional.birnn_forward(rng.normal(size=(3, 2, 4)), np.zeros((2, 2, 5)),
                                           random_params(rng, 4, 5), random_params(rng, 4, 5))
    with pytest.raises(ValueError, match=r"cache\.fwd must be a RnnCache"):
        bidirectional.birnn_backward(np.ones((3, 2, 10)), bi._replace(fwd=tuple(bi.fwd)))


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
