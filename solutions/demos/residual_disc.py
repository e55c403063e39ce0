"""Where the eigenvalues of αU sit relative to the disc |1 + αλ| ≤ 1, before and after the remedies that move them."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, fmt, table

H = 64                    # size of the matrices drawn in the figure
H_STATS, N_STATS = 16, 2000   # size and number of random matrices behind the fractions
SEED = 0
ALPHA_SMALL, BETA, RADIUS = 0.1, 0.1, 0.5
PHI_MAX = 2 * np.pi / 3   # |1 + e^{iθ}| = 2|cos(θ/2)| > 1  ⟺  |θ| < 2π/3
REL = 1e-6


def haar_orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Haar-distributed orthogonal n×n matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def nonnormal_example() -> tuple[np.ndarray, np.ndarray]:
    """``U = 2 p qᵀ`` with unit ``p = (cos φ, sin φ)``, ``q = (cos φ, −sin φ)``, ``cos 2φ = 0.15``.

    Rank one, so ``‖U‖ = 2`` and its eigenvalues are ``2 qᵀp = 2 cos 2φ = 0.3`` and 0; with
    ``f' = (1, 0.1)`` the eigenvalue of ``diag(f') U`` is ``2(cos²φ − 0.1 sin²φ) > 1``.
    """
    phi = 0.5 * np.arccos(0.15)
    p = np.array([np.cos(phi), np.sin(phi)])
    q = np.array([np.cos(phi), -np.sin(phi)])
    return 2.0 * np.outer(p, q), np.array([1.0, 0.1])


def main() -> Result:
    rng = np.random.default_rng(SEED)
    values: dict[str, str] = {}

    # 1. Random Gaussian U: how many eigenvalues of U give |1 + λ| > 1, and how many have Re λ ≥ 0.
    lam = np.concatenate([np.linalg.eigvals(rng.standard_normal((H_STATS, H_STATS)) / np.sqrt(H_STATS))
                          for _ in range(N_STATS)])
    out_disc = float(np.mean(np.abs(1.0 + lam) > 1.0))
    right = float(np.mean(lam.real >= 0))
    out_small = float(np.mean(np.abs(1.0 + ALPHA_SMALL * lam) > 1.0))
    rho = np.abs(1.0 + lam.reshape(N_STATS, H_STATS)).max(axis=1)
    rho_small = np.abs(1.0 + ALPHA_SMALL * lam.reshape(N_STATS, H_STATS)).max(axis=1)
    values.update(gauss_outside=fmt(out_disc, ".0%", REL), gauss_right=fmt(right, ".0%", REL),
                  gauss_small_outside=fmt(out_small, ".0%", REL),
                  gauss_rho=fmt(float(np.median(rho)), ".2f", REL),
                  gauss_small_rho=fmt(float(np.median(rho_small)), ".3f", REL))
    print(f"1. U with i.i.d. N(0, 1/H) entries, H = {H_STATS}, {N_STATS} matrices (seed {SEED}):\n"
          f"   eigenvalues λ of U in the right half-plane (Re λ ≥ 0): {values['gauss_right']}\n"
          f"   outside the disc, |1 + λ| > 1 (α = 1): {values['gauss_outside']}; "
          f"median ρ(I + U) = {values['gauss_rho']}\n"
          f"   outside the disc, |1 + αλ| > 1 (α = {ALPHA_SMALL:g}): {values['gauss_small_outside']}; "
          f"median ρ(I + αU) = {values['gauss_small_rho']}\n")

    # 2. Random orthogonal Q: eigenvalues e^{iθ}; |1 + e^{iθ}| > 1 exactly when |θ| < 2π/3.
    thetas, dets = [], []
    for _ in range(N_STATS):
        Q = haar_orthogonal(rng, H_STATS)
        thetas.append(np.angle(np.linalg.eigvals(Q)))
        dets.append(np.linalg.det(Q))
    theta = np.concatenate(thetas)
    frac = float(np.mean(np.abs(theta) < PHI_MAX))
    rho_q = np.array([np.abs(1.0 + np.exp(1j * t)).max() for t in thetas])
    neg = float(np.mean(np.array(dets) < 0))
    values.update(q_inside_angle=fmt(frac, ".0%", REL), q_det_negative=fmt(neg, ".0%", REL),
                  q_rho=fmt(float(np.median(rho_q)), ".2f", REL), q_rho_min=fmt(float(rho_q.min()), ".2f", REL))
    print(f"2. Haar-random orthogonal Q, H = {H_STATS}, {N_STATS} matrices: eigenvalues e^(iθ).\n"
          f"   with |θ| < 2π/3, i.e. |1 + e^(iθ)| = 2|cos(θ/2)| > 1: {values['q_inside_angle']}\n"
          f"   Q with det Q = -1 (then both +1 and -1 are eigenvalues): {values['q_det_negative']}\n"
          f"   max_i |1 + λ_i(Q)|: median {values['q_rho']}, smallest over all Q {values['q_rho_min']}\n")

    # 3. ρ(U) small, ρ(diag(f') U) > 1: the simple RNN's condition is not on ρ(U).
    U, fp = nonnormal_example()
    r_u = float(np.abs(np.linalg.eigvals(U)).max())
    n_u = float(np.linalg.norm(U, 2))
    r_d = float(np.abs(np.linalg.eigvals(fp[:, None] * U)).max())
    values.update(nn_rho=fmt(r_u, ".2f", REL), nn_norm=fmt(n_u, ".2f", REL), nn_rho_fp=fmt(r_d, ".3f", REL),
                  nn_res_rho=fmt(float(np.abs(1 + np.linalg.eigvals(fp[:, None] * U)).max()), ".3f", REL))
    print("3. A non-normal U (rank one, U = 2 p q^T with p^T q = 0.15) and f' = (1, 0.1):\n" +
          table(["", "value"], [["ρ(U)", values["nn_rho"]], ["‖U‖", values["nn_norm"]],
                                ["ρ(diag(f') U)", values["nn_rho_fp"]],
                                ["ρ(I + diag(f') U)", values["nn_res_rho"]]]))

    # The figure: the disc and the eigenvalues μ of J − I at f' = 1 for one random U.
    U = np.random.default_rng(SEED + 1).standard_normal((H, H)) / np.sqrt(H)
    lam = np.linalg.eigvals(U)
    Q = haar_orthogonal(np.random.default_rng(SEED + 2), H)
    moved = {  # panel title (English, Chinese) -> the eigenvalues after the remedy
        (f"smaller α = {ALPHA_SMALL:g}\nμ = αλ", f"更小的 α = {ALPHA_SMALL:g}\nμ = αλ"): ALPHA_SMALL * lam,
        (f"leaky, β = {BETA:g}\nμ = β(λ − 1)", f"泄漏更新，β = {BETA:g}\nμ = β(λ − 1)"): BETA * (lam - 1.0),
        (f"init in the disc\nαU = −I + {RADIUS:g}Q", f"圆盘内初始化\nαU = −I + {RADIUS:g}Q"):
            -1.0 + RADIUS * np.linalg.eigvals(Q),
    }
    moved = {title: np.round(mu, 6) for title, mu in moved.items()}  # 6 digits: the same on every CPU
    return Result(figures={"residual-disc.svg": partial(_draw, np.round(lam, 6), moved)}, values=values)


def _draw(lam: np.ndarray, moved: dict, s: Style):
    """Three panels of the complex plane: the disc |1 + μ| ≤ 1, λ(U) before and μ after each remedy."""
    fig, axes = figure(2, 2, height=4.5, sharex=True, sharey=True)
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 241))
    for ax, (title, mu) in zip(axes.flat, moved.items()):
        ax.fill(-1 + circle.real, circle.imag, color=s.c("green"), alpha=0.2, lw=0)
        ax.plot(-1 + circle.real, circle.imag, color=s.c("green"), lw=1.2, label="|1 + μ| ≤ 1")
        ax.plot(lam.real, lam.imag, "o", ms=3.5, mfc="none", color=s.c("red"),
                label=s.t("before: μ = λ(U), α = 1", "之前：μ = λ(U)，α = 1"))
        ax.plot(mu.real, mu.imag, "o", ms=3.5, color=s.c("blue"), label=s.t("after the remedy", "使用方法之后"))
        ax.axvline(0, color=s.c("grey"), lw=0.8)
        ax.axhline(0, color=s.c("grey"), lw=0.8)
        ax.set_aspect("equal")
        ax.set_xlim(-2.3, 1.3)
        ax.set_ylim(-1.5, 1.5)
        ax.set_title(s.t(*title), fontsize=10)
    for ax in axes[1]:
        ax.set_xlabel("Re μ")
    for ax in axes[:, 0]:
        ax.set_ylabel("Im μ")
    axes[1, 1].set_axis_off()
    axes[1, 1].legend(*axes[0, 0].get_legend_handles_labels(), loc="center", fontsize=10)
    return fig

