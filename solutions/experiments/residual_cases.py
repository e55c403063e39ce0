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


#: Inside the disc, αU = −I + ω R(135°) (‖αU + I‖₂ = ω): a fixed f' keeps ρ(J) ≤ 1, but f'
#: alternating between ``D_PARTIAL`` and ``D_PARTIAL_SWAPPED`` can make the product grow.
ALT_ANGLE = 3 * np.pi / 4
ALT_OMEGAS = (0.9, 0.5)

#: A driven sequence for U₀ = ``U_NONNORMAL`` (α = 1, h₀ = 0): the input of unit 1 cancels
#: U₀[0, :] h_{t−1} (unit 1 stays at z = 0, f' = 1), unit 2 gets ``DRIVE_AMP``·(−1)^t (saturated).
DRIVE_AMP, DRIVE_T = 8.0, 100
#: The contrast: inputs drawn from N(0, ``GAUSS_SCALE``²), ``GAUSS_T`` steps, seeds 0 … n − 1.
GAUSS_SCALE, GAUSS_T, GAUSS_SEEDS = 3.0, 1000, 5


def alternating_saturation(omega: float, d1=D_PARTIAL, d2=D_PARTIAL_SWAPPED) -> tuple[float, float]:
    """``(ρ of each factor, growth per step ρ(J₂J₁)^{1/2})`` for αU = −I + ω R(135°) and f'
    alternating between ``d1`` and ``d2`` (by default ``D_PARTIAL`` and ``D_PARTIAL_SWAPPED``),
    J = I + diag(f')αU."""
    c, s = np.cos(ALT_ANGLE), np.sin(ALT_ANGLE)
    I = np.eye(2)
    aU = -I + omega * np.array([[c, -s], [s, c]])
    J1, J2 = I + np.diag(d1) @ aU, I + np.diag(d2) @ aU
    rho = lambda A: float(np.abs(np.linalg.eigvals(A)).max())
    return rho(J1), rho(J2 @ J1) ** 0.5


def _drive(inputs, T: int) -> tuple[float, float, float]:
    """Run (6.50) with U₀, α = 1, h₀ = 0 and ``inputs(t, h_{t−1})`` as a_t = W x_t + b; return
    ``(‖∂h_T/∂h_0‖₂, max |a_t|, max |h_t|)``."""
    U, I = U_NONNORMAL, np.eye(2)
    h, P, a_max, h_max = np.zeros(2), np.eye(2), 0.0, 0.0
    for t in range(1, T + 1):
        a = inputs(t, h)
        z = U @ h + a
        P = (I + (1 - np.tanh(z) ** 2)[:, None] * U) @ P
        h = h + np.tanh(z)
        a_max, h_max = max(a_max, float(np.abs(a).max())), max(h_max, float(np.abs(h).max()))
    return float(np.linalg.norm(P, 2)), a_max, h_max


def driven_partial_saturation() -> tuple[float, float, float]:
    """The sequence that holds unit 1 at f' = 1 and unit 2 saturated (open loop: computed once
    along the trajectory, a legal input with W = I): ``(‖∂h_T/∂h_0‖₂, max |a|, max |h|)``."""
    return _drive(lambda t, h: np.array([-U_NONNORMAL[0] @ h, DRIVE_AMP * (-1) ** t]), DRIVE_T)


def driven_saturation_depth() -> tuple[float, float]:
    """Along the sequence of ``driven_partial_saturation``: ``(max_t f'_2(z_t), ρ(I + diag(1, 0) U₀))``,
    how saturated unit 2 is and the spectral radius of the factor in the limit f'_2 = 0."""
    U, h, fp2 = U_NONNORMAL, np.zeros(2), 0.0
    for t in range(1, DRIVE_T + 1):
        z = U @ h + np.array([-U[0] @ h, DRIVE_AMP * (-1) ** t])
        fp2 = max(fp2, float(1 - np.tanh(z[1]) ** 2))
        h = h + np.tanh(z)
    rho0 = float(np.abs(np.linalg.eigvals(np.eye(2) + np.diag([1.0, 0.0]) @ U)).max())
    return fp2, rho0


def gaussian_driving_rates() -> list[float]:
    """Per-step rate ‖∂h_T/∂h_0‖₂^{1/T} of U₀ under N(0, GAUSS_SCALE²) inputs, one per seed."""
    out = []
    for seed in range(GAUSS_SEEDS):
        rng = np.random.default_rng(seed)
        n = _drive(lambda t, h: GAUSS_SCALE * rng.standard_normal(2), GAUSS_T)[0]
        out.append(n ** (1 / GAUSS_T))
    return out
