"""Where the eigenvalues of αU sit relative to the disc |1 + αλ| ≤ 1, before and after the remedies that move them."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.experiments.residual_cases import (
    ALT_OMEGAS,
    D_PARTIAL,
    D_PARTIAL_SWAPPED,
    DRIVE_AMP,
    DRIVE_T,
    GAUSS_SCALE,
    GAUSS_SEEDS,
    GAUSS_T,
    U_NONNORMAL,
    alternating_saturation,
    driven_partial_saturation,
    driven_saturation_depth,
    gaussian_driving_rates,
)
from solutions.params import haar_orthogonal
from solutions.publish.plotting import Style, figure
from solutions.publish.report import Result, fmt, table

H = 64                    # size of the matrices drawn in the figure
H_STATS, N_STATS = 16, 2000   # size and number of random matrices behind the fractions
SEED = 0
ALPHA_SMALL, BETA, RADIUS = 0.1, 0.1, 0.5
PHI_MAX = 2 * np.pi / 3   # |1 + e^{iφ}| = 2|cos(φ/2)| > 1  ⟺  |φ| < 2π/3
REL = 1e-6


POWER = 50                         # ‖J^POWER‖₂: what a constant factor does over 50 steps
LEAKY_BETA, GATE_U = 0.1, 0.5


def partial_saturation_cases() -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """``(update, W_hh, J at f' = 1, J at the partial f')`` for the cases of Step 3 and Step 6.

    Simple RNN ``J = diag(f')W``; (6.50) ``J = I + diag(f')W``; leaky ``J = (1 − β)I + β diag(f')W``;
    a gate held at ``u``: ``J = uI + (1 − u) diag(f')W`` (the gate driven by the input only).
    """
    U, I = U_NONNORMAL, np.eye(2)
    D, D2 = np.diag(D_PARTIAL), np.diag(D_PARTIAL_SWAPPED)
    b, u = LEAKY_BETA, GATE_U
    return [
        ("simple RNN", "U", U, D @ U),
        ("simple RNN", "-U", -U, -D @ U),
        ("(6.50)", "U", I + U, I + D2 @ U),
        ("(6.50)", "-U", I - U, I - D @ U),
        (f"leaky, β = {b:g}", "-U", (1 - b) * I - b * U, (1 - b) * I - b * D @ U),
        (f"gate, u = {u:g}", "-U", u * I - (1 - u) * U, u * I - (1 - u) * D @ U),
    ]


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
    left = lam.real < 0
    left_out, left_out_small = (float(np.mean(np.abs(1.0 + a * lam[left]) > 1.0)) for a in (1.0, ALPHA_SMALL))
    values.update(gauss_left_outside=fmt(left_out, ".0%", REL), gauss_left_small_outside=fmt(left_out_small, ".0%", REL))
    values.update(gauss_outside=fmt(out_disc, ".0%", REL), gauss_right=fmt(right, ".0%", REL),
                  gauss_small_outside=fmt(out_small, ".0%", REL),
                  gauss_rho=fmt(float(np.median(rho)), ".2f", REL),
                  gauss_small_rho=fmt(float(np.median(rho_small)), ".3f", REL))
    print(f"1. U with i.i.d. N(0, 1/H) entries, H = {H_STATS}, {N_STATS} matrices (seed {SEED}):\n"
          f"   eigenvalues λ of U in the right half-plane (Re λ ≥ 0): {values['gauss_right']}\n"
          f"   outside the disc, |1 + λ| > 1 (α = 1): {values['gauss_outside']}; "
          f"median ρ(I + U) = {values['gauss_rho']}\n"
          f"   outside the disc, |1 + αλ| > 1 (α = {ALPHA_SMALL:g}): {values['gauss_small_outside']}; "
          f"median ρ(I + αU) = {values['gauss_small_rho']}\n"
          f"   of the eigenvalues with Re λ < 0: outside at α = 1 {values['gauss_left_outside']}, "
          f"at α = {ALPHA_SMALL:g} {values['gauss_left_small_outside']}\n"
          f"   (for Re λ < 0, |1 + αλ| < 1 exactly when α < -2 Re λ / |λ|²)\n")

    # 2. Random orthogonal Q: eigenvalues e^{iφ}; |1 + e^{iφ}| > 1 exactly when |φ| < 2π/3.
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
    print(f"2. Haar-random orthogonal Q, H = {H_STATS}, {N_STATS} matrices: eigenvalues e^(iφ).\n"
          f"   with |φ| < 2π/3, i.e. |1 + e^(iφ)| = 2|cos(φ/2)| > 1: {values['q_inside_angle']}\n"
          f"   Q with det Q = -1 (then both +1 and -1 are eigenvalues): {values['q_det_negative']}\n"
          f"   max_i |1 + λ_i(Q)|: median {values['q_rho']}, smallest over all Q {values['q_rho_min']}\n")

    # 3. Partial saturation: the spectral radius at f' = 1 says nothing about f' ≠ 1.
    rows = []
    for update, sign, J1, JD in partial_saturation_cases():
        fp = D_PARTIAL_SWAPPED if (update, sign) == ("(6.50)", "U") else D_PARTIAL
        r1, rD = (float(np.abs(np.linalg.eigvals(J)).max()) for J in (J1, JD))
        p1, pD = (float(np.linalg.norm(np.linalg.matrix_power(J, POWER), 2)) for J in (J1, JD))
        rows.append([update, sign.replace("U", "U₀"), f"({fp[0]:g}, {fp[1]:g})", fmt(r1, ".3f", REL), fmt(rD, ".3f", REL),
                     fmt(p1, ".1e", REL), fmt(pD, ".1e", REL)])
        key = {"simple RNN": "rnn", "(6.50)": "res"}.get(update, update.split(",")[0])
        key = f"{key}{'-neg' if sign == '-U' and key in ('rnn', 'res') else ''}"
        values.update({f"{key}-rho1": rows[-1][3], f"{key}-rhoD": rows[-1][4],
                       f"{key}-pow1": rows[-1][5], f"{key}-powD": rows[-1][6]})
    n_u = float(np.linalg.norm(U_NONNORMAL, 2))
    values.update(nn_norm=fmt(n_u, ".3f", REL), nn_rho=fmt(float(np.abs(np.linalg.eigvals(U_NONNORMAL)).max()), ".1f", REL),
                  leaky_bound=fmt(1 - LEAKY_BETA + LEAKY_BETA * n_u, ".3f", REL), power=str(POWER))
    print(f"3. Partial saturation. U₀ = [[0.705, 1.005], [-1.005, -1.305]]: eigenvalue -0.3 (double,\n"
          f"   not diagonalisable), ‖U₀‖₂ = {values['nn_norm']}. J at f' = 1 and with the partial f'\n"
          f"   (one unit saturated), the recurrent weight W_hh = ±U₀. ‖J^{POWER}‖₂: the product of {POWER}\n"
          f"   equal factors, i.e. the same units saturated at every step.\n" +
          table(["update", "W_hh", "f'", "ρ(J), f' = 1", "ρ(J), f'", f"‖J^{POWER}‖, f' = 1", f"‖J^{POWER}‖, f'"], rows))
    print(f"   Leaky: the norm bound 1 - β + β‖U₀‖₂ = {values['leaky_bound']} (> 1, since ‖U₀‖₂ > 1).")

    # A saturation pattern that changes from step to step, inside the disc; a driven sequence.
    print(f"   Inside the disc, αU = -I + ω R(135°), f' alternating {D_PARTIAL} / {D_PARTIAL_SWAPPED}:")
    for omega in ALT_OMEGAS:
        r_each, rate = alternating_saturation(omega)
        values.update({f"alt-{omega:g}-rho": fmt(r_each, ".3f", REL), f"alt-{omega:g}-rate": fmt(rate, ".3f", REL)})
        print(f"     ω = {omega:g}: ρ(J) of each factor {values[f'alt-{omega:g}-rho']}, "
              f"growth per step ρ(J₂J₁)^(1/2) = {values[f'alt-{omega:g}-rate']}")
    _, rate = alternating_saturation(ALT_OMEGAS[0], (0.0, 1.0), (1.0, 0.0))
    values["alt-limit-rate"] = fmt(rate, ".3f", REL)
    print(f"     the limit f' alternating (0, 1) / (1, 0), ω = {ALT_OMEGAS[0]:g} (the input-driven gate with u = 1 - f',\n"
          f"       U = {ALT_OMEGAS[0]:g} R(135°)): growth per step {values['alt-limit-rate']}")
    n_drive, a_max, h_max = driven_partial_saturation()
    rates = gaussian_driving_rates()
    fp2_max, rho_limit = driven_saturation_depth()
    values.update(drive_fp2max=fmt(fp2_max, ".0e", REL), drive_rho_limit=fmt(rho_limit, ".3f", REL))
    values.update(drive_norm=fmt(n_drive, ".1e", REL), drive_rate=fmt(n_drive ** (1 / DRIVE_T), ".2f", REL),
                  drive_amax=fmt(a_max, ".1f", REL), drive_hmax=fmt(h_max, ".2f", REL),
                  gauss_rate_min=fmt(min(rates), ".2f", REL), gauss_rate_max=fmt(max(rates), ".2f", REL))
    print(f"   Driven, (6.50) with U₀, α = 1, h₀ = 0, a_t = (-U₀[0, :]·h_(t-1), {DRIVE_AMP:g}·(-1)^t)\n"
          f"   (unit 1 held at z = 0, unit 2 saturated), T = {DRIVE_T}: max |a_t| = {values['drive_amax']}, "
          f"max |h_t| = {values['drive_hmax']},\n"
          f"   ‖∂h_{DRIVE_T}/∂h_0‖₂ = {values['drive_norm']}, {values['drive_rate']} per step.\n"
          f"   Unit 2's f' stays below {values['drive_fp2max']}; in the limit f' = (1, 0), "
          f"ρ(I + diag(1, 0)U₀) = {values['drive_rho_limit']}.\n"
          f"   Contrast, a_t ~ N(0, {GAUSS_SCALE:g}²), T = {GAUSS_T}, {GAUSS_SEEDS} seeds: per step "
          f"{values['gauss_rate_min']} to {values['gauss_rate_max']}.\n")

    # The figure: the disc and the eigenvalues μ of J − I at f' = 1 for one random U, then Step 3's U.
    U = np.random.default_rng(SEED + 1).standard_normal((H, H)) / np.sqrt(H)
    lam = np.linalg.eigvals(U)
    Q = haar_orthogonal(np.random.default_rng(SEED + 2), H)
    moved = {  # panel title (English, Chinese) -> (eigenvalues before, after)
        (f"smaller α = {ALPHA_SMALL:g}\nμ = αλ", f"更小的 α = {ALPHA_SMALL:g}\nμ = αλ"): (lam, ALPHA_SMALL * lam),
        (f"leaky, β = {BETA:g}\nμ = β(λ − 1)", f"泄漏更新，β = {BETA:g}\nμ = β(λ − 1)"): (lam, BETA * (lam - 1.0)),
        (f"init in the disc\nαU = −I + {RADIUS:g}Q", f"圆盘内初始化\nαU = −I + {RADIUS:g}Q"):
            (lam, -1.0 + RADIUS * np.linalg.eigvals(Q)),
    }
    J1, JD = partial_saturation_cases()[2][2:]                # (6.50) with +U: f' = 1, f' = (1, 0.05)
    fp = f"({D_PARTIAL_SWAPPED[0]:g}, {D_PARTIAL_SWAPPED[1]:g})"
    moved[(f"(6.50), U of part 3\nf' = 1 → f' = {fp}", f"(6.50)，第 3 部分的 U\nf' = 1 → f' = {fp}")] = (
        np.linalg.eigvals(J1 - np.eye(2)), np.linalg.eigvals(JD - np.eye(2)))
    moved = {title: (np.round(a, 6), np.round(b, 6)) for title, (a, b) in moved.items()}  # the same on every CPU
    return Result(figures={"residual-disc.svg": partial(_draw, moved)}, values=values)


def _draw(moved: dict, s: Style):
    """Four panels of the complex plane: the disc |1 + μ| ≤ 1, the eigenvalues μ before (open) and
    after (filled): three remedies on a random U, then Step 3's U under partial saturation."""
    fig, axes = figure(2, 2, height=5.2, sharex=True, sharey=True)
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 241))
    for i, (ax, (title, (before, mu))) in enumerate(zip(axes.flat, moved.items())):
        ax.fill(-1 + circle.real, circle.imag, color=s.c("green"), alpha=0.2, lw=0)
        ax.plot(-1 + circle.real, circle.imag, color=s.c("green"), lw=1.2, label="|1 + μ| ≤ 1" if i == 0 else None)
        ax.plot(before.real, before.imag, "o", ms=3.5 if i < 3 else 5, mfc="none", color=s.c("red"),
                label=s.t("before (f' = 1: μ = λ(U), α = 1)", "之前（f' = 1：μ = λ(U)，α = 1）") if i == 0 else None)
        ax.plot(mu.real, mu.imag, "o", ms=3.5 if i < 3 else 5, color=s.c("blue"),
                label=s.t("after the remedy, or with one unit saturated", "使用方法之后，或一个单元饱和时")
                if i == 0 else None)
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
    fig.legend(loc="outside lower center", ncols=1, fontsize=10)
    return fig
