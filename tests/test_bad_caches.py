"""Every backward function rejects a cache it did not make with a ValueError naming ``cache``."""

from __future__ import annotations

import numpy as np
import pytest

from solutions import bidirectional, cell, residual, sequence

JUNK = [None, (1, 2, 3, 4), (np.ones(2), np.ones(2), np.ones(2), "params"), ("not", "a cache"),
        (1, 2, 3, 4, 5, 6), (np.ones(3),), [np.ones(2)] * 4]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
@pytest.mark.parametrize("backward, dh_shape", [
    (cell.rnn_cell_backward, (2, 3)),
    (sequence.rnn_backward, (2, 2, 3)),
    (residual.residual_backward, (2, 2, 3)),
    (bidirectional.birnn_backward, (2, 2, 6)),
    (bidirectional.stacked_birnn_backward, (2, 2, 6)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_junk_cache_is_a_value_error(backward, dh_shape, junk) -> None:
    with pytest.raises(ValueError, match="cache"):
        backward(np.ones(dh_shape), junk)
