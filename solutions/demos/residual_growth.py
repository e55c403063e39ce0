"""‖∂h_T/∂h_0‖ against T for the plain tanh RNN and the residual update (6.50), with their growth rates."""

from __future__ import annotations

import numpy as np

from solutions.plotting import figure
from solutions.report import table
from solutions.residual import residual_forward, state_jacobian_norms, step_jacobians
from solutions.sequence import rnn_forward

T, I, H = 100, 4, 16
SEED = 3
SCALES = (0.5, 1.0, 2.0)      # U = s Q with Q orthogonal: every eigenvalue of U has |λ| = s
KINDS = ("plain", "residual")
COLORS = {0.5: "C0", 1.0: "C1", 2.0: "C2"}
STYLE = {"plain": "--", "residual": "-"}


def setup(seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Q, W, x)``: a random orthogonal Q (H, H), W (H, I) with unit-variance W x_t, x (T, 1, I)."""
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    Q *= np.sign(np.diag(R))                      # Haar-distributed orthogonal matrix
    W = rng.standard_normal((H, I)) / np.sqrt(I)
    x = rng.standard_normal((T, 1, I))
    return Q, W, x


def predicted_rate(kind: str, s: float, Q: np.ndarray) -> float:
    """Linear theory at f' = 1: ρ(U) = s (plain), ρ(I + U) = max_i |1 + s λ_i(Q)| (residual)."""
    return s if kind == "plain" else float(np.abs(1.0 + s * np.linalg.eigvals(Q)).max())


def main() -> dict:
    Q, W, x = setup()
    zero = np.zeros(H)
    h0 = np.zeros((1, H))
    lam = np.linalg.eigvals(Q)
    lam_max = lam[np.argmax(np.abs(1.0 + lam))]
    imag = "" if abs(lam_max.imag) < 5e-5 else f" ± {abs(lam_max.imag):.4f}i"
    print(f"H = {H} units, U = s Q, Q a random orthogonal matrix (seed {SEED}); T = {T}, B = 1.\n"
          f"Eigenvalue of Q nearest +1: λ = {lam_max.real:.4f}{imag}; at s = 1, max |1 + s λ_i| = "
          f"{np.abs(1 + lam_max):.4f}.")
    print("rate = ||dh_T/dh_0||^(1/T), the growth per step (spectral norm).\n")
    fig, (ax_a, ax_b) = figure(1, 2, width=9.0, height=4.4, sharex=True)
    steps = np.arange(1, T + 1)
    rows_a, rows_b = [], []
    for kind in KINDS:
        for s in SCALES:
            params = {"W_ih": W, "W_hh": s * Q, "b_ih": zero, "b_hh": zero}
            rate = predicted_rate(kind, s, Q)
            small = state_jacobian_norms(np.zeros_like(x), h0, params, kind)[:, 0]
            driven = state_jacobian_norms(x, h0, params, kind)[:, 0]
            J = step_jacobians(x, h0, params, kind)[:, 0]
            gamma = float(np.exp(np.log(np.linalg.norm(J, ord=2, axis=(1, 2))).mean()))
            forward = residual_forward if kind == "residual" else rnn_forward
            h_T = forward(x, h0, params)[0][-1, 0]
            rows_a.append((kind, f"{s:g}", f"{rate:.4f}", f"{small[-1] ** (1 / T):.4f}", f"{small[-1]:.3e}"))
            rows_b.append((kind, f"{s:g}", f"{gamma:.4f}", f"{driven[-1] ** (1 / T):.4f}", f"{driven[-1]:.3e}",
                           f"{np.linalg.norm(h_T):.1f}"))
            label = f"{kind}, s = {s:g}"
            c, ls = COLORS[s], STYLE[kind]
            ax_a.plot(steps, rate ** steps.astype(float), ls, color=c, lw=1.2,
                      label=label + f" (theory {rate:.3g}$^T$)")
            every = slice(4, None, 8) if kind == "residual" else slice(0, None, 8)  # markers interleaved
            ax_a.plot(steps[every], small[every], "o" if kind == "residual" else "s", color=c, ms=3.5,
                      mfc=c if kind == "residual" else "none")
            ax_b.plot(steps, driven, ls, color=c, lw=1.5, label=label)
    print("A: small activations. x_t = 0, b = 0, h_0 = 0, so every z_t = 0, f'(z_t) = 1,\n"
          "   and J_t is the constant U (plain) or I + U (residual).")
    print(table(["update", "s", "predicted rate", "measured rate", "||dh_T/dh_0||"], rows_a))
    print("\nB: driven. x_t ~ N(0, I), W x_t of unit variance, b = 0, h_0 = 0.\n"
          "   gamma = geometric mean of ||J_t|| over the run: the book's γ, an upper bound\n"
          "   on the rate.")
    print(table(["update", "s", "gamma", "measured rate", "||dh_T/dh_0||", "||h_T||"], rows_b))

    ax_a.set_title("A: small activations: theory (lines), measured (markers)", fontsize=10)
    ax_b.set_title("B: driven by inputs: measured", fontsize=10)
    for ax in (ax_a, ax_b):
        ax.set_yscale("log")
        ax.set_xlabel("T (steps)")
        ax.axhline(1.0, color="0.4", lw=0.8)
    ax_a.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$")
    ax_a.set_ylim(1e-35, 1e70)                      # room for the legend above the curves
    ax_a.set_yticks([10.0**k for k in range(-30, 70, 10)])
    ax_b.set_ylim(1e-52, 1e10)
    ax_b.set_yticks([10.0**k for k in range(-50, 10, 10)])
    ax_a.legend(fontsize=8, loc="upper left")
    ax_b.legend(fontsize=8, loc="lower left")
    return {"residual-growth.svg": fig}
