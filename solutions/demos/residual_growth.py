"""‖∂h_T/∂h_0‖ against T for the plain tanh RNN and the residual update (6.50), with their growth rates."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import Result, fmt, table
from solutions.residual import residual_forward, state_jacobian_norms, step_jacobians
from solutions.sequence import rnn_forward

T, I, H = 100, 4, 16
SEED = 3
SCALES = (0.5, 1.0, 2.0)      # U = s Q with Q orthogonal: every eigenvalue of U has |λ| = s
KINDS = ("plain", "residual")
COLORS = {0.5: "blue", 1.0: "orange", 2.0: "green"}
STYLE = {"plain": "--", "residual": "-"}
REL = 1e-6                    # printed digits must survive this relative change
MEMORY_T = (1, 10, 30, 100)   # steps at which the state's size is shown (memory capacity)


def coarse(a: np.ndarray) -> np.ndarray:
    """Round to 3 significant digits for plotting: a last-bit difference between CPUs must not
    move a point of the figure (the SVG stores coordinates to many more digits)."""
    return np.array([float(f"{v:.3g}") for v in a])


def f(x: float, spec: str) -> str:
    return fmt(x, spec, rel=REL)


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


def main() -> Result:
    Q, W, x = setup()
    zero = np.zeros(H)
    h0 = np.zeros((1, H))
    lam = np.linalg.eigvals(Q)
    lam_max = lam[np.argmax(np.abs(1.0 + lam))]
    imag = "" if abs(lam_max.imag) < 5e-5 else f" ± {f(abs(lam_max.imag), '.4f')}i"
    det = float(np.linalg.det(Q))
    print(f"H = {H} units, U = s Q, Q a random orthogonal matrix (seed {SEED}); T = {T}, B = 1.\n"
          f"det Q = {f(det, '.4f')}: an even-dimensional Q with det -1 has both +1 and -1 as\n"
          f"  eigenvalues (not every Q has +1: see residual-disc). Eigenvalue of Q nearest +1:\n"
          f"  λ = {f(lam_max.real, '.4f')}{imag}; at s = 1, max |1 + s λ_i| = {f(np.abs(1 + lam_max), '.4f')}.")
    print("rate = ||dh_T/dh_0||^(1/T), the growth per step (spectral norm).\n")
    steps = np.arange(1, T + 1)
    curves = []  # (kind, s, theory, measured small, measured driven), all as plotted
    rows_a, rows_b, rows_m = [], [], []
    values = {"det": f(det, ".0f")}
    for kind in KINDS:
        for s in SCALES:
            params = {"W_ih": W, "W_hh": s * Q, "b_ih": zero, "b_hh": zero}
            rate = predicted_rate(kind, s, Q)
            small = state_jacobian_norms(np.zeros_like(x), h0, params, kind)[:, 0]
            driven = state_jacobian_norms(x, h0, params, kind)[:, 0]
            J = step_jacobians(x, h0, params, kind)[:, 0]
            gamma = float(np.exp(np.log(np.linalg.norm(J, ord=2, axis=(1, 2))).mean()))
            forward = residual_forward if kind == "residual" else rnn_forward
            h, cache = forward(x, h0, params)
            h_T = h[-1, 0]
            rows_a.append((kind, f"{s:g}", f(rate, ".4f"), f(small[-1] ** (1 / T), ".4f"), f(small[-1], ".3e")))
            rows_b.append((kind, f"{s:g}", f(gamma, ".4f"), f(driven[-1] ** (1 / T), ".4f"), f(driven[-1], ".3e"),
                           f(np.linalg.norm(h_T), ".1f")))
            act = cache[3] if kind == "residual" else h        # tanh(z_t): g_t, or h_t itself
            sat = np.abs(act[-1, 0]) > np.tanh(2.0)             # f'(z_T) = 1 - tanh² < 1 - tanh²(2)
            rows_m.append([kind, f"{s:g}"] + [f(np.linalg.norm(h[t - 1, 0]), ".1f") for t in MEMORY_T]
                          + [f"{int(sat.sum())}/{H}"])
            key = f"{kind}-{s:g}"
            values.update({f"{key}-rate-a": rows_a[-1][3], f"{key}-norm-a": rows_a[-1][4],
                           f"{key}-gamma": rows_b[-1][2], f"{key}-rate-b": rows_b[-1][3],
                           f"{key}-norm-b": rows_b[-1][4], f"{key}-hT": rows_b[-1][5],
                           f"{key}-saturated": rows_m[-1][-1]})
            curves.append((kind, s, rate ** steps.astype(float), coarse(small), coarse(driven)))
    print("A: small activations. x_t = 0, b = 0, h_0 = 0, so every z_t = 0, f'(z_t) = 1,\n"
          "   and J_t is the constant U (plain) or I + U (residual).")
    print(table(["update", "s", "predicted rate", "measured rate", "||dh_T/dh_0||"], rows_a))
    print("\nB: driven. x_t ~ N(0, I), W x_t of unit variance, b = 0, h_0 = 0.\n"
          "   gamma = geometric mean of ||J_t|| over the run: the book's γ, an upper bound\n"
          "   on the rate.")
    print(table(["update", "s", "gamma", "measured rate", "||dh_T/dh_0||", "||h_T||"], rows_b))
    print(f"\nMemory capacity (run B): the residual state is a running sum, so ||h_t|| grows\n"
          f"   with t, while the plain state stays in [-1, 1]^H (||h_t|| <= √H = {np.sqrt(H):g}).\n"
          f"   saturated: units with f'(z_T) < 1 - tanh²(2), i.e. |tanh(z_T)| > tanh(2), at t = T.")
    print(table(["update", "s"] + [f"||h_{t}||" for t in MEMORY_T] + ["saturated"], rows_m))

    return Result(figures={"residual-growth.svg": partial(_draw, curves)}, values=values)


def _draw(curves: list, s: Style):
    """A (top): small activations, theory lines and measured markers; B (bottom): driven, measured."""
    fig, (ax_a, ax_b) = figure(2, 1, height=7.6, sharex=True)
    steps = np.arange(1, T + 1)
    names = {"plain": s.t("plain", "简单"), "residual": s.t("residual", "残差")}
    for kind, scale, theory, small, driven in curves:
        c, ls = s.c(COLORS[scale]), STYLE[kind]
        ax_a.plot(steps, theory, ls, color=c, lw=1.3, label=f"{names[kind]}, s = {scale:g}")
        every = slice(4, None, 8) if kind == "residual" else slice(0, None, 8)  # markers interleaved
        ax_a.plot(steps[every], small[every], "o" if kind == "residual" else "s", color=c, ms=4,
                  mfc=c if kind == "residual" else "none")
        ax_b.plot(steps, driven, ls, color=c, lw=1.5)
    ax_a.set_title(s.t("A: small activations (lines theory, markers measured)", "A：小激活（线为理论，点为实测）"),
                   fontsize=11)
    ax_b.set_title(s.t("B: driven by inputs (measured)", "B：由输入驱动（实测）"), fontsize=11)
    for ax in (ax_a, ax_b):
        ax.set_yscale("log")
        ax.axhline(1.0, color=s.c("grey"), lw=1)
        ax.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$", fontsize=MATH_PT)
    ax_b.set_xlabel(s.t("T (steps)", "T（步数）"))
    ax_a.set_ylim(1e-35, 1e50)
    ax_a.set_yticks([10.0**k for k in range(-30, 50, 20)])
    ax_b.set_ylim(1e-52, 1e10)
    ax_b.set_yticks([10.0**k for k in range(-50, 10, 20)])
    fig.legend(loc="outside lower center", ncols=2, fontsize=10)
    return fig

