"""‖∂h_T/∂h_0‖ against T for the plain tanh RNN and the residual update (6.50), with their growth rates."""

from __future__ import annotations

from functools import partial

import numpy as np

from solutions.experiments.residual_cases import GROWTH_H, GROWTH_I, GROWTH_SEED, growth_problem
from solutions.publish.plotting import MATH_PT, Style, figure
from solutions.publish.report import Result, fmt, round_sig, table
from solutions.residual import (
    residual_backward,
    residual_forward,
    state_jacobian_norms,
    step_jacobians,
)
from solutions.sequence import rnn_forward

T, I, H = 100, GROWTH_I, GROWTH_H   # run A: T steps
T_B = 1000                    # run B (driven) runs longer: does the growth stop, or only slow?
SHOWN_B = (100, 300, 1000)    # steps at which run B is shown
SEED = GROWTH_SEED
SCALES = (0.5, 1.0, 2.0)      # U = s Q with Q orthogonal: every eigenvalue of U has |λ| = s
KINDS = ("plain", "residual")
COLORS = {0.5: "blue", 1.0: "orange", 2.0: "green"}
STYLE = {"plain": "--", "residual": "-"}
REL = 1e-6                    # printed digits must survive this relative change
MEMORY_T = (1, 10, 100, 1000)  # steps at which the state's size is shown (memory capacity)
GRAD_T = (10, 100, 1000)       # lengths at which the weight gradient is measured
WINDOW = 10                    # truncated BPTT window for the weight gradient
SPAN = 100                     # run B read in windows of SPAN steps: growth per step vs saturation
FORGET = 0.5                   # memory table's counter-case: U = -I + FORGET Q (inside the disc: it forgets)
SMALL_EPS = (1e-6, 1e-3)       # run A with small inputs: W scaled by ε (s = 1), how long f' ≈ 1 lasts
SMALL_T = (100, 400)           # steps at which the small-input runs are shown




def f(x: float, spec: str) -> str:
    return fmt(x, spec, rel=REL)


def weight_gradients(x: np.ndarray, params: dict, e: np.ndarray, window: int) -> tuple[float, float, float, float]:
    """For L_T = eᵀ h_T of the residual update over all of ``x``: ‖h_T‖₂, ‖∂L_T/∂b‖₂,
    ‖∂L_T/∂U‖_F, and ‖∂L_T/∂U‖_F truncated to the last ``window`` steps (restarted from the
    constant state h_{T−window})."""
    h0 = np.zeros((1, H))
    dh_T = np.zeros((x.shape[0], 1, H))
    dh_T[-1, 0] = e
    h, cache = residual_forward(x, h0, params)
    g = residual_backward(dh_T, cache)
    start = h[-window - 1] if x.shape[0] > window else h0
    _, c_w = residual_forward(x[-window:], start, params)
    g_w = residual_backward(dh_T[-window:], c_w)
    return (float(np.linalg.norm(h[-1, 0])), float(np.linalg.norm(g["b_ih"])), float(np.linalg.norm(g["W_hh"])),
            float(np.linalg.norm(g_w["W_hh"])))


def predicted_rate(kind: str, s: float, Q: np.ndarray) -> float:
    """Linear theory at f' = 1: ρ(U) = s (plain), ρ(I + U) = max_i |1 + s λ_i(Q)| (residual)."""
    return s if kind == "plain" else float(np.abs(1.0 + s * np.linalg.eigvals(Q)).max())


def main() -> Result:
    Q, W, x_b = growth_problem(T_B)
    x = x_b[:T]
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
    rows_a, rows_b, rows_m, rows_g = [], [], [], []
    rows_w = [[f"{a + 1}-{a + SPAN}"] for a in range(0, T_B, SPAN)]
    rows_s = []
    e = np.random.default_rng(SEED + 1).standard_normal(H)
    e /= np.linalg.norm(e)                     # L_T = eᵀ h_T: a fixed unit direction
    values = {"det": f(det, ".0f"), "window": str(WINDOW)}
    for kind in KINDS:
        for s in SCALES:
            params = {"W_ih": W, "W_hh": s * Q, "b_ih": zero, "b_hh": zero}
            rate = predicted_rate(kind, s, Q)
            small = state_jacobian_norms(np.zeros_like(x), h0, params, kind)[:, 0]
            driven = state_jacobian_norms(x_b, h0, params, kind)[:, 0]
            J = step_jacobians(x_b[:T], h0, params, kind)[:, 0]
            gamma = float(np.exp(np.log(np.linalg.norm(J, ord=2, axis=(1, 2))).mean()))
            forward = residual_forward if kind == "residual" else rnn_forward
            h, cache = forward(x_b, h0, params)
            rows_a.append((kind, f"{s:g}", f(rate, ".4f"), f(small[-1] ** (1 / T), ".4f"), f(small[-1], ".3e")))
            rows_b.append([kind, f"{s:g}", f(gamma, ".4f")] + [f(driven[t - 1], ".3e") if driven[t - 1] > 0 else "< 1e-307"
                                                      for t in SHOWN_B])
            act = cache[3] if kind == "residual" else h        # tanh(z_t): g_t, or h_t itself
            sat = [int((np.abs(act[t - 1, 0]) > np.tanh(2.0)).sum()) for t in (T, T_B)]  # f' < 1 - tanh²(2)
            rows_m.append([kind, f"{s:g} Q"] + [f(np.linalg.norm(h[t - 1, 0]), ".1f") for t in MEMORY_T]
                          + [f"{n}/{H}" for n in sat])
            key = f"{kind}-{s:g}"
            values.update({f"{key}-rate-a": rows_a[-1][3], f"{key}-norm-a": rows_a[-1][4],
                           f"{key}-gamma": rows_b[-1][2], f"{key}-saturated": rows_m[-1][-2], f"{key}-saturated-{T_B}": rows_m[-1][-1],
                           f"{key}-hT": f(np.linalg.norm(h[T - 1, 0]), ".1f")})
            values.update({f"{key}-norm-b{t}": v for t, v in zip(SHOWN_B, rows_b[-1][3:])})
            values.update({f"{key}-h{t}": v for t, v in zip(MEMORY_T, rows_m[-1][2:-2])})
            if kind == "residual":
                full = (np.abs(act[:, 0]) > np.tanh(2.0)).all(axis=1)       # every unit saturated at step t
                logn = np.log(np.concatenate([[1.0], driven]))              # log ‖∂h_t/∂h_0‖, t = 0 … T_B
                step = np.diff(logn)                                         # log of each step's growth
                rows_s.append([f"{s:g}", f"{int(full.sum())}/{T_B}", f(np.exp(step[full].sum()), ".3g"),
                               f(np.exp(step[~full].sum()), ".3g")])
                values.update({f"split-{s:g}-{k}": v for k, v in zip(("steps", "sat", "rest"), rows_s[-1][1:])})
                for row, a in zip(rows_w, range(0, T_B, SPAN)):
                    per_step = float(np.exp((logn[a + SPAN] - logn[a]) / SPAN))
                    row += [f(per_step, ".4f"), f"{int(full[a:a + SPAN].sum())}/{SPAN}"]
                for t in GRAD_T:
                    hn, db, dU, dU_w = weight_gradients(x_b[:t], params, e, WINDOW)
                    rows_g.append([f"{s:g}", str(t), f(hn, ".1f"), f(db, ".3g"), f(dU, ".3g"), f(dU / db, ".3g"),
                                   f(dU_w, ".3g")])
                    values.update({f"grad-{s:g}-{t}-{k}": v for k, v in zip(("h", "db", "dU", "ratio", "dUw"),
                                                                          rows_g[-1][2:])})
            curves.append((kind, s, rate ** steps.astype(float), round_sig(small, 3), round_sig(driven, 3)))
    print("A: small activations. x_t = 0, b = 0, h_0 = 0, so every z_t = 0, f'(z_t) = 1,\n"
          "   and J_t is the constant U (plain) or I + U (residual).")
    print(table(["update", "s", "predicted rate", "measured rate", "||dh_T/dh_0||"], rows_a))
    print(f"\nB: driven. x_t ~ N(0, I), W x_t of unit variance, b = 0, h_0 = 0; T up to {T_B}.\n"
          f"   gamma = geometric mean of ||J_t|| over steps 1-{T}: the book's γ, an upper bound\n"
          f"   on the rate over those steps.")
    print(table(["update", "s", "gamma"] + [f"||dh_{t}/dh_0||" for t in SHOWN_B], rows_b))
    # run A is the one trajectory on which f' = 1 forever: with inputs of size ε (W scaled by ε, s = 1)
    # the state grows along the same direction and leaves f' ≈ 1 after a transient
    params = {"W_ih": W, "W_hh": Q, "b_ih": zero, "b_hh": zero}
    rows_e = []
    for eps in SMALL_EPS:
        p_e = dict(params, W_ih=eps * W)
        norms = state_jacobian_norms(x_b[:max(SMALL_T)], h0, p_e, "residual")[:, 0]
        _, c_e = residual_forward(x_b[:max(SMALL_T)], h0, p_e)
        first = int(np.argmax((1.0 - c_e[3][:, 0] ** 2).min(axis=1) < 0.9))      # index of the first step with f' < 0.9
        rate = float(norms[first] ** (1.0 / (first + 1)))
        rows_e.append([f"{eps:g}", str(first + 1), f(norms[first], ".2g"), f(rate, ".3f")]
                      + [f(norms[t - 1], ".2g") for t in SMALL_T])
        values.update({f"eps-{eps:g}-{k}": v for k, v in zip(("first", "norm", "rate") + tuple(f"norm{t}" for t in SMALL_T),
                                                            rows_e[-1][1:])})
    print(f"\nA with small inputs: s = 1, run B's x_t with W scaled by ε (h_0 = 0, b = 0). The state grows\n"
          f"   along the growing direction too, so f' = 1 lasts only a transient. first f' < 0.9: the first\n"
          f"   step t at which some unit has f'(z_t) < 0.9; rate = ||dh_t/dh_0||^(1/t) up to that step.")
    print(table(["ε", "first f' < 0.9", "||dh_t/dh_0|| there", "rate"] + [f"||dh_{t}/dh_0||" for t in SMALL_T], rows_e))
    # an eigenvalue outside the disc need not give growth: U = -2.5 I has ρ(I + U) = 1.5, yet on run B's
    # inputs the factor I - 2.5 diag(f') shrinks once f' varies
    p_n = dict(params, W_hh=-2.5 * np.eye(H))
    h_n, _ = residual_forward(x_b, h0, p_n)
    n_n = state_jacobian_norms(x_b, h0, p_n, "residual")[-1, 0]
    neg = {"neg-hmax": f(np.abs(h_n).max(), ".2f"), "neg-norm": f(n_n, ".0e") if n_n > 0 else "< 1e-307"}
    values.update(neg)
    print(f"\nRun B with U = -2.5 I (ρ(I + U) = 1.5, outside the disc): max_t |h_t,i| = {neg['neg-hmax']},\n"
          f"   ||dh_{T_B}/dh_0|| = {neg['neg-norm']}.")
    # the counter-case: U = -I + FORGET Q puts every eigenvalue of U in the disc |1 + λ| <= FORGET < 1,
    # so at small activations h_t ≈ FORGET Q h_(t-1) + W x_t: the branch subtracts, the state forgets
    params = {"W_ih": W, "W_hh": -np.eye(H) + FORGET * Q, "b_ih": zero, "b_hh": zero}
    h, cache = residual_forward(x_b, h0, params)
    sat = [int((np.abs(cache[3][t - 1, 0]) > np.tanh(2.0)).sum()) for t in (T, T_B)]
    rows_m.append(["residual", f"-I + {FORGET:g} Q"] + [f(np.linalg.norm(h[t - 1, 0]), ".1f") for t in MEMORY_T]
                  + [f"{n}/{H}" for n in sat])
    values.update({f"forget-h{t}": v for t, v in zip(MEMORY_T, rows_m[-1][2:-2])})
    values.update({"forget-saturated": rows_m[-1][-2], f"forget-saturated-{T_B}": rows_m[-1][-1]})
    print(f"\nMemory capacity (run B): the residual state is a running sum; with U = s Q its ||h_t||\n"
          f"   grows with t, while the plain state stays in [-1, 1]^H (||h_t|| <= √H = {np.sqrt(H):g}).\n"
          f"   Last row: U = -I + {FORGET:g} Q, every eigenvalue λ of U in the disc |1 + λ| <= {FORGET:g}:\n"
          f"   the branch subtracts, and the state stays small.\n"
          f"   saturated @t: units with f'(z_t) < 1 - tanh²(2), i.e. |tanh(z_t)| > tanh(2).")
    print(table(["update", "U"] + [f"||h_{t}||" for t in MEMORY_T] + [f"saturated @{t}" for t in (T, T_B)], rows_m))
    print(f"\nRun B, residual update, in windows of {SPAN} steps: rate = growth per step of\n"
          f"   ||dh_t/dh_0|| over the window; all sat. = steps of the window at which every unit is\n"
          f"   saturated (|tanh(z_t)| > tanh(2)).")
    print(table(["steps"] + [h for s in SCALES for h in (f"s = {s:g}: rate", "all sat.")], rows_w))
    print(f"   Growth of ||dh_t/dh_0|| over t = 1 … {T_B}, split by steps: the factor contributed by\n"
          f"   the steps at which every unit is saturated, and by all other steps.")
    print(table(["s", "steps, all sat.", "factor over them", "factor over the rest"], rows_s))
    values.update({f"window-{r[0]}-{s:g}-{k}": v for r in rows_w for i, s in enumerate(SCALES)
                   for k, v in (("rate", r[1 + 2 * i]), ("sat", r[2 + 2 * i]))})
    print(f"\nWeight gradient (run B, residual update): L_T = ê^T h_T for a fixed unit vector ê.\n"
          f"   dL/dU = Σ_k δ_k h_(k-1)^T and dL/db = Σ_k δ_k (6.39, 6.41): their ratio is a weighted\n"
          f"   size of the states h_(k-1). Frobenius norms; last column: BPTT truncated to the last\n"
          f"   {WINDOW} steps.")
    print(table(["s", "T", "||h_T||", "||dL/db||", "||dL/dU||", "ratio", f"||dL/dU||, ℓ = {WINDOW}"], rows_g))

    return Result(figures={"residual-growth.svg": partial(_draw, curves)}, values=values)


def _draw(curves: list, s: Style):
    """A (top): small activations, theory lines and measured markers, T ≤ 100; B (bottom): driven,
    measured, T ≤ 1000."""
    fig, (ax_a, ax_b) = figure(2, 1, height=7.6)
    names = {"plain": s.t("plain", "简单"), "residual": s.t("residual", "残差")}
    for kind, scale, theory, small, driven in curves:
        c, ls = s.c(COLORS[scale]), STYLE[kind]
        steps = np.arange(1, len(theory) + 1)
        ax_a.plot(steps, theory, ls, color=c, lw=1.3, label=f"{names[kind]}, s = {scale:g}")
        every = slice(4, None, 8) if kind == "residual" else slice(0, None, 8)  # markers interleaved
        ax_a.plot(steps[every], small[every], "o" if kind == "residual" else "s", color=c, ms=4,
                  mfc=c if kind == "residual" else "none")
        ax_b.plot(np.arange(1, len(driven) + 1), driven, ls, color=c, lw=1.5)
    ax_a.set_title(s.t("A: small activations (lines theory, markers measured)", "A：小激活（线为理论，点为实测）"),
                   fontsize=11)
    ax_b.set_title(s.t(f"B: driven by inputs (measured), T up to {T_B}", f"B：由输入驱动（实测），T 直到 {T_B}"),
                   fontsize=11)
    for ax in (ax_a, ax_b):
        ax.set_yscale("log")
        ax.axhline(1.0, color=s.c("grey"), lw=1)
        ax.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$", fontsize=MATH_PT)
        ax.set_xlabel(s.t("T (steps)", "T（步数）"))
    ax_a.set_xlim(0, T)
    ax_a.set_ylim(1e-35, 1e50)
    ax_a.set_yticks([10.0**k for k in range(-30, 50, 20)])
    ax_b.set_xlim(0, T_B)
    ax_b.set_ylim(1e-12, 1e6)                      # the plain RNN's vanishing curves leave at the bottom
    ax_b.set_yticks([10.0**k for k in range(-12, 7, 6)])
    fig.legend(loc="outside lower center", ncols=2, fontsize=10)
    return fig
