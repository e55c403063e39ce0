"""The reference values of the deeplearning.ai RNN notebook's test cells, with their source.

Provenance
----------
The notebook is deeplearning.ai's "Building your Recurrent Neural Network - Step by Step"
(Deep Learning Specialization, course 5 "Sequence Models", week 1, first programming
assignment), in the course's layout: one example per column, time last. The values below were
copied from the student post this site answers for exercises 6-1P and 6-2P (NNDL,
习题6-1P/6-2P; its code headers are signed "lxy, 2024/12/3"), which runs the notebook's four
test cells on its own implementation and prints their results under "运行结果" (output):

* [CELL_FORWARD][solutions.course.reference.CELL_FORWARD] — section "RNN单元模型", "前向传播":
  ``a_next[4]`` to 8 decimals as NumPy prints it; ``yt_pred[1]`` to 4 decimals, because the
  post computes the softmax with ``torch.nn.functional.softmax`` and prints the tensor;
* [CELL_BACKWARD][solutions.course.reference.CELL_BACKWARD] — same section, "反向传播", the
  block after "运行结果" (scalars with all of float64's digits, ``dba[4]`` to 8 decimals);
* [OLDER_CELL_BACKWARD][solutions.course.reference.OLDER_CELL_BACKWARD] — the same section
  lists, before its own output, a second set of values for the same test under
  "以下是对示例中具体赋值情况的展示" (the expected output it copied; the post does not say
  from which version of the notebook). They differ from the post's own output; the
  course-numbers demo shows they are what the test gives with the ``ba`` left over from the
  ``rnn_forward`` test cell instead of the test's own draw;
* [RNN_FORWARD][solutions.course.reference.RNN_FORWARD] — section "RNN模型", "前向传播";
* [RNN_BACKWARD][solutions.course.reference.RNN_BACKWARD] — section "RNN模型", "反向传播".

The inputs of each test are ``np.random.seed(1)`` followed by ``np.random.randn`` draws in
the test cell's order, which [cell_draws][solutions.course.reference.cell_draws] and
[sequence_draws][solutions.course.reference.sequence_draws] repeat with a
``numpy.random.RandomState(1)`` of their own (the same stream, without touching NumPy's
global random state). Nothing here reads the post at run time: the numbers are typed in
this file, which is their only copy in the repository.
"""

from __future__ import annotations

import numpy as np

from solutions.validate import Params

CELL_FORWARD = {
    "a_next[4]": [-0.97683053, 0.99993218, 0.9999085, 0.99720415, 0.96532437, 0.24615069,
                  0.89433073, 0.88371261, 0.40821569, -0.99446565],
    "yt_pred[1]": [0.0617, 0.9972, 0.9895, 0.8253, 0.8099, 0.9891, 0.9262, 0.9997, 0.9953, 0.0052],
}
"""rnn_cell_forward test: the printed ``a_next[4]`` and ``yt_pred[1]``."""

CELL_BACKWARD = {
    "dxt[1][2]": -1.3872130506020928,
    "da_prev[2][3]": -0.1523994937739543,
    "dWax[3][1]": 0.41077282493545836,
    "dWaa[1][2]": 1.1503450668497135,
    "dba[4]": [0.20023491],
}
"""rnn_cell_backward test: the post's printed output."""

OLDER_CELL_BACKWARD = {
    "dxt[1][2]": -0.4605641030588796,
    "da_prev[2][3]": 0.08429686538067724,
    "dWax[3][1]": 0.39308187392193034,
    "dWaa[1][2]": -0.28483955786960663,
    "dba[4]": [0.80517166],
}
"""rnn_cell_backward test: the older expected values the post lists before its output."""

RNN_FORWARD = {
    "a[4][1]": [-0.99999375, 0.77911235, -0.99861469, -0.99833267],
    "y_pred[1][3]": [0.79560373, 0.86224861, 0.11118257, 0.81515947],
    "caches[1][1][3]": [-1.1425182, -0.34934272, -0.20889423, 0.58662319],
}
"""rnn_forward test: the printed ``a[4][1]``, ``y_pred[1][3]`` and ``caches[1][1][3]``."""

RNN_BACKWARD = {
    "dx[1][2]": [-2.07101689, -0.59255627, 0.02466855, 0.01483317],
    "da0[2][3]": -0.3149423751266506,
    "dWax[3][1]": 11.264104496527771,
    "dWaa[1][2]": 2.303333126579893,
    "dba[4]": [-0.74747722],
}
"""rnn_backward test: the printed output."""


def cell_draws() -> dict[str, np.ndarray]:
    """The cell tests' inputs: seed 1, then ``xt``, ``a_prev``, ``Wax``, ``Waa``, ``Wya``, ``ba``,
    ``by`` and (for the backward test) ``da_next`` (5, 10)."""
    rs = np.random.RandomState(1)
    names_shapes = [("xt", (3, 10)), ("a_prev", (5, 10)), ("Wax", (5, 3)), ("Waa", (5, 5)),
                    ("Wya", (2, 5)), ("ba", (5, 1)), ("by", (2, 1)), ("da_next", (5, 10))]
    return {name: rs.randn(*shape) for name, shape in names_shapes}


def sequence_draws(waa_first: bool) -> dict[str, np.ndarray]:
    """The sequence tests' inputs: seed 1, ``x``, ``a0``, then ``Waa`` and ``Wax`` in the test's
    order (the forward test draws ``Waa`` first), ``Wya``, ``ba``, ``by`` and (for the
    backward test) ``da`` (5, 10, 4)."""
    rs = np.random.RandomState(1)
    d = {"x": rs.randn(3, 10, 4), "a0": rs.randn(5, 10)}
    for name in ("Waa", "Wax") if waa_first else ("Wax", "Waa"):
        d[name] = rs.randn(*((5, 5) if name == "Waa" else (5, 3)))
    d["Wya"], d["ba"], d["by"], d["da"] = rs.randn(2, 5), rs.randn(5, 1), rs.randn(2, 1), rs.randn(5, 10, 4)
    return d


def params_of(d: dict[str, np.ndarray]) -> Params:
    """The course's parameter dict (``Wax``, ``Waa``, ``Wya``, ``ba``, ``by``) of a draw."""
    return {k: d[k] for k in ("Wax", "Waa", "Wya", "ba", "by")}
