"""Clipping rules side by side: Pascanu (≥), d2l (>), PyTorch (+1e-6, clamp); global vs per-parameter vs by value;
and the transient growth of a non-normal U's powers with ρ(U) < 1 (Step 1)."""

from __future__ import annotations

import numpy as np
import torch

from solutions.clipping import clip_grad_norm_, clip_grad_value_, get_total_norm
from solutions.gradcheck import rel_error
from solutions.publish.report import Result, claim, fmt, table

Grads = dict[str, np.ndarray]


# --8<-- [start:others] clip_pascanu, clip_d2l
def clip_pascanu(grads: Grads, threshold: float) -> None:
    """Pascanu et al. (2013), Algorithm 1: rescale if ‖g‖ ≥ threshold."""
    norm = get_total_norm(grads)
    if norm >= threshold:
        for g in grads.values():
            g *= threshold / norm


def clip_d2l(grads: Grads, theta: float) -> None:
    """d2l.ai, "Gradient Clipping": rescale if ‖g‖ > θ."""
    norm = get_total_norm(grads)
    if norm > theta:
        for g in grads.values():
            g *= theta / norm
# --8<-- [end:others]


RULES = {"Pascanu (≥)": clip_pascanu, "d2l (>)": clip_d2l, "PyTorch": clip_grad_norm_}


def copy(grads: Grads) -> Grads:
    return {k: v.copy() for k, v in grads.items()}


def torch_clip(grads: Grads, max_norm: float) -> Grads:
    """``torch.nn.utils.clip_grad_norm_`` itself, on copies of ``grads``."""
    params = []
    for g in grads.values():
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {k: p.grad.numpy() for k, p in zip(grads, params)}


def threshold_table(tau: float, norms: list[float], unit: float) -> tuple[str, float]:
    """Each rule on one gradient scaled to each of ``norms``; and the largest relative error ours vs torch.

    Norms are printed in ``unit``s, with "kept" where a rule left the gradient unchanged;
    the last column is the factor PyTorch's rule multiplied by.
    """
    direction = {"W": np.array([[3.0, 0.0], [0.0, 0.0]]), "b": np.array([4.0])}  # norm 5
    rows, worst = [], 0.0
    for norm in norms:
        g = {k: v * (norm / 5.0) for k, v in direction.items()}
        row = [fmt(get_total_norm(g) / unit, ".7f")]
        for rule in RULES.values():
            out = copy(g)
            rule(out, tau)
            kept = all(np.array_equal(out[k], g[k]) for k in g)
            row.append(fmt(get_total_norm(out) / unit, ".7f") + (" kept" if kept else ""))
        row.append(fmt(float(out['b'][0] / g['b'][0]), ".8f"))  # 5 / (10 + 1e-6) = 0.49999995: 8 decimals
        theirs = torch_clip(g, tau)
        worst = max([worst] + [rel_error(out[k], theirs[k]) for k in g])
        rows.append(row)
    return table(["‖g‖ before", *RULES, "PyTorch ×"], rows), worst


def vec(a: np.ndarray, spec: str = "g") -> str:
    """``[0.6, 0.8]``: a short vector, each entry formatted with ``spec``."""
    return "[" + ", ".join(fmt(float(v), spec) for v in a.ravel()) + "]"


def nonfinite_table() -> str:
    """Each rule on a gradient whose ``b`` part is NaN, then inf (g_max = 1)."""
    rows = []
    for b in (np.nan, np.inf):
        for name, rule in RULES.items():
            g = {"W": np.array([3.0, 4.0]), "b": np.array([b])}
            norm = get_total_norm(g)
            with np.errstate(invalid="ignore"):  # 0 · inf = NaN, on purpose
                rule(g, 1.0)
            first = name == next(iter(RULES))
            rows.append([vec(np.array([b])) if first else "", f"{norm}" if first else "", name,
                         vec(g["W"]), vec(g["b"])])
    return table(["g_b", "‖g‖", "rule", "g_W after", "g_b after"], rows)


def cosine(a: Grads, b: Grads) -> float:
    return sum(float((a[k] * b[k]).sum()) for k in a) / (get_total_norm(a) * get_total_norm(b))


def per_parameter(grads: Grads, max_norm: float) -> None:
    """Each array clipped to ``max_norm`` on its own (not PyTorch's rule)."""
    for g in grads.values():
        clip_grad_norm_([g], max_norm)


def scope_table() -> tuple[str, dict[str, str]]:
    """The global norm (PyTorch), each parameter's own norm, and clipping by value, at 1; and the
    per-parameter row's share and turn, for the page."""
    g0 = {"W": np.array([6.0, 8.0]), "b": np.array([0.3, 0.4])}
    rules = {"none": lambda g, c: None, "global norm": clip_grad_norm_,
             "per parameter": per_parameter, "by value": clip_grad_value_}
    rows = []
    for name, rule in rules.items():
        g = copy(g0)
        rule(g, 1.0)
        share = get_total_norm([g["b"]]) ** 2 / get_total_norm(g) ** 2
        cos = min(1.0, cosine(g, g0))
        kept = fmt(cos, ".4f") == "1.0000"                # a turn of rounding noise: printed as 0°
        turn = "0" if kept else fmt(np.degrees(np.arccos(cos)), ".0f")
        rows.append([name, vec(g["W"], ".2f"), vec(g["b"], ".2f"), fmt(get_total_norm(g), ".4f"),
                     fmt(share, ".1%"), fmt(cos, ".4f"), turn + "°"])
    values = {"share-before": rows[0][4], "per-parameter-norm": rows[2][3], "per-parameter-turn": rows[2][6]}
    return table(["clipped to 1", "g_W", "g_b", "‖g‖", "b's share", "cos", "turn"], rows), values


U_TRANSIENT = np.array([[0.9, 10.0], [0.0, 0.9]])    # ρ(U) = 0.9 < 1, non-normal
LAGS = (1, 5, 9, 20, 40, 60, 63, 80)


def transient_table() -> tuple[str, dict[str, str]]:
    """‖(Uᵀ)^(t−k)‖₂ of ``U_TRANSIENT`` by lag t − k (f′ = 1): it rises before it decays."""
    norms = [float(np.linalg.norm(np.linalg.matrix_power(U_TRANSIENT.T, n), 2)) for n in range(1, 201)]
    peak = int(np.argmax(norms)) + 1
    below = next(n for n in range(peak, 201) if norms[n - 1] < 1.0)
    values = {"transient-peak": fmt(norms[peak - 1], ".2g"), "transient-peak-lag": str(peak),
              "transient-40": fmt(norms[39], ".2g"), "transient-below": str(below)}
    rows = [[str(n), fmt(norms[n - 1], ".3g")] for n in LAGS]
    return table(["lag t − k", "‖(Uᵀ)^(t−k)‖₂"], rows), values


U_NONNORMAL = np.array([[0.705, 1.005], [-1.005, -1.305]])   # ρ(U) = 0.3 < 1 < σ_max(U): Step 1's counterexample
CORNERS = ((0.05, 0.8), (0.0, 0.8), (0.0, 1.0))                # f′ = (f′₁, f′₂), the same at every step


def counter_rates() -> dict[str, str]:
    """The growth per step of Step 1's counterexample, ρ(diag(f′) Uᵀ), at a constant f′ (``CORNERS``)."""
    rates = [float(np.abs(np.linalg.eigvals(np.diag(c) @ U_NONNORMAL.T)).max()) for c in CORNERS]
    return {f"counter-rate-{i}": fmt(r, ".4g") for i, r in enumerate(rates)}


def main() -> Result:
    print("1. Norm rules at the threshold g_max = 5. One gradient, g_W = [[3, 0], [0, 0]],\n"
          "   g_b = [4], scaled to each norm; each rule's ‖g‖ after clipping.\n")
    text, worst_5 = threshold_table(5.0, [4.999999, 4.9999995, 5.0, 5.000001, 10.0], 1.0)
    print(text)
    print("\n   The same at g_max = 1e-6, norms in units of 1e-6: PyTorch's +1e-6 is absolute.\n")
    text, worst_small = threshold_table(1e-6, [0.5e-6, 1e-6, 1e-5], 1e-6)
    print(text)
    print("\n   PyTorch column: solutions.clipping.clip_grad_norm_; against\n"
          f"   torch.nn.utils.clip_grad_norm_ on every row: relative error {claim(max(worst_5, worst_small), 1e-12, what='vs torch')}")
    print("\n2. A NaN or an infinity in g_b, with g_W = [3, 4] and g_max = 1.\n")
    print(nonfinite_table())
    try:
        clip_grad_norm_({"W": np.array([3.0, 4.0]), "b": np.array([np.nan])}, 1.0, error_if_nonfinite=True)
    except RuntimeError as e:
        print(f"\n   PyTorch with error_if_nonfinite=True: RuntimeError,\n   {str(e).split(',')[0]!r}")
    print("\n3. g₀ = (g_W = [6, 8], g_b = [0.3, 0.4]), clipped to 1 three ways;\n"
          "   b's share = ‖g_b‖² / ‖g‖², cos = cos(g, g₀): 1 if the direction is kept; turn = arccos(cos).\n")
    text, values = scope_table()
    print(text)
    text, transient = transient_table()
    values.update(transient)
    print("\n4. Step 1: U = [[0.9, 10], [0, 0.9]], spectral radius ρ(U) = 0.9 < 1, σ_max(U) = "
          f"{fmt(np.linalg.norm(U_TRANSIENT, 2), '.4g')};\n"
          "   the long-range factor at f′ = 1 by lag t − k. It decays in the end, after a transient.\n")
    print(text)
    print(f"\n   Largest at lag {values['transient-peak-lag']} ({values['transient-peak']}); below 1 from lag "
          f"{values['transient-below']} on.")
    values.update(counter_rates())
    print("\n   U = [[0.705, 1.005], [-1.005, -1.305]] (ρ(U) = 0.3): growth per step of the product, ρ(diag(f′) Uᵀ),\n   at f′ = "
          + ", ".join(f"({a:g}, {b:g}): {values[f'counter-rate-{i}']}" for i, (a, b) in enumerate(CORNERS)) + ".")
    return Result(values=values)
