"""The fixed matrices and the random problem that the 6-3 (residual) demos and tests share.

* Issue 24's counterexample: the non-normal ``U_NONNORMAL`` with the partial saturations
  ``D_PARTIAL``, ``D_PARTIAL_SWAPPED`` (``residual-disc`` prints what it breaks;
  ``tests/test_residual_claims.py`` pins it as a hypothesis ``@example``).
* The random orthogonal problem of ``residual-growth`` (``U = s Q``), whose ``Q`` at ``s = 1``
  ``residual-scale`` reuses: [growth_problem][solutions.experiments.residual_cases.growth_problem].
"""

from __future__ import annotations

import numpy as np

from solutions.params import haar_orthogonal

#: Issue 24's non-normal U: a double eigenvalue −0.3, not diagonalisable, ‖U‖₂ ≈ 2.054.
U_NONNORMAL = np.array([[0.705, 1.005], [-1.005, -1.305]])
D_PARTIAL = (0.05, 1.0)            # f' with the first unit saturated
D_PARTIAL_SWAPPED = (1.0, 0.05)    # f' with the second unit saturated

#: The seed, the number of units H and of inputs I of ``residual-growth``'s problem.
GROWTH_SEED, GROWTH_H, GROWTH_I = 3, 16, 4


def growth_problem(T: int, seed: int = GROWTH_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Q, W, x)`` of ``residual-growth``, drawn in this order from ``default_rng(seed)``.

    ``Q`` (H, H): [haar_orthogonal][solutions.params.haar_orthogonal], so every eigenvalue of
    ``U = s Q`` has ``|λ| = s``; ``W`` (H, I) with rows of variance ``1/I``, so that ``W x_t``
    has unit variance; ``x`` (T, 1, I): ``T`` steps of one sequence of ``N(0, 1)`` inputs
    (the first steps of a longer draw are the same for every ``T``).
    """
    rng = np.random.default_rng(seed)
    Q = haar_orthogonal(rng, GROWTH_H)
    W = rng.standard_normal((GROWTH_H, GROWTH_I)) / np.sqrt(GROWTH_I)
    return Q, W, rng.standard_normal((T, 1, GROWTH_I))
