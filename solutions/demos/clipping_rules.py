"""Clipping rules side by side: Pascanu (≥), d2l (>), PyTorch (+1e-6, clamp); global vs per-parameter vs by value."""

from __future__ import annotations

import numpy as np
import torch

from solutions.clipping import clip_grad_norm, clip_grad_value, total_norm
from solutions.gradcheck import rel_error
from solutions.report import fmt_err, table


# --8<-- [start:others]
def clip_pascanu(grads: dict[str, np.ndarray], threshold: float) -> None:
    """Pascanu, Mikolov & Bengio (2013), Algorithm 1: if ‖g‖ ≥ threshold, g ← threshold/‖g‖ · g."""
    norm = total_norm(grads)
    if norm >= threshold:
        for g in grads.values():
            g *= threshold / norm


def clip_d2l(grads: dict[str, np.ndarray], theta: float) -> None:
    """d2l.ai, "Gradient Clipping": if ‖g‖ > θ, g ← θ/‖g‖ · g."""
    norm = total_norm(grads)
    if norm > theta:
        for g in grads.values():
            g *= theta / norm
# --8<-- [end:others]


def clip_torch(grads: dict[str, np.ndarray], max_norm: float) -> None:
    """``torch.nn.utils.clip_grad_norm_`` itself, on copies; the results are written back."""
    params = []
    for g in grads.values():
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    for g, p in zip(grads.values(), params):
        g[...] = p.grad.numpy()


RULES = {
    "Pascanu (≥)": clip_pascanu,
    "d2l (>)": clip_d2l,
    "ours = PyTorch": clip_grad_norm,
}


def scaled(direction: dict[str, np.ndarray], norm: float) -> dict[str, np.ndarray]:
    """Copies of ``direction`` scaled to total 2-norm ``norm``."""
    n = total_norm(direction)
    return {k: v * (norm / n) for k, v in direction.items()}


def fmt_after(before: dict[str, np.ndarray], after: dict[str, np.ndarray], unit: float) -> str:
    """The norm after a rule (in ``unit``s) and the factor it applied, or "kept"."""
    if all(np.array_equal(after[k], before[k]) for k in before):
        return f"{total_norm(after) / unit:.7f} kept"
    return f"{total_norm(after) / unit:.7f} ×{float(after['b'][0] / before['b'][0]):.7f}"


def threshold_table(threshold: float, norms: list[float], unit: float) -> tuple[str, float]:
    """One row per gradient norm: what each rule returns; and the largest relative error ours vs torch."""
    direction = {"W": np.array([[3.0, 0.0], [0.0, 0.0]]), "b": np.array([4.0])}  # ‖·‖ = 5
    rows, worst = [], 0.0
    for norm in norms:
        g = scaled(direction, norm)
        row = [f"{total_norm(g) / unit:.7f}"]
        for rule in RULES.values():
            out = {k: v.copy() for k, v in g.items()}
            rule(out, threshold)
            row.append(fmt_after(g, out, unit))
        ours = {k: v.copy() for k, v in g.items()}
        theirs = {k: v.copy() for k, v in g.items()}
        clip_grad_norm(ours, threshold)
        clip_torch(theirs, threshold)
        worst = max([worst] + [rel_error(ours[k], theirs[k]) for k in g])
        rows.append(row)
    return table(["‖g‖ before"] + [f"{name}: ‖g‖ after" for name in RULES], rows), worst


def nonfinite_table() -> str:
    """Each rule on a gradient holding NaN, and on one holding inf."""
    rows = []
    for label, b in [("b = [NaN]", np.nan), ("b = [inf]", np.inf)]:
        for name, rule in RULES.items():
            g = {"W": np.array([3.0, 4.0]), "b": np.array([b])}
            norm = total_norm(g)
            with np.errstate(invalid="ignore"):  # 0 · inf = NaN, on purpose
                rule(g, 1.0)
            rows.append([label if name == next(iter(RULES)) else "", f"{norm}", name, vec(g["W"]), vec(g["b"])])
    return table(["gradient (W = [3, 4])", "‖g‖", "rule (θ = 1)", "W after", "b after"], rows)


def vec(a: np.ndarray, spec: str = "g") -> str:
    """``[0.6, 0.8]``: a short vector, each entry formatted with ``spec``."""
    return "[" + ", ".join(format(float(v), spec) for v in a.ravel()) + "]"


def cosine(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    dot = sum(float((a[k] * b[k]).sum()) for k in a)
    return dot / (total_norm(a) * total_norm(b))


def scope_table() -> str:
    """Global norm (PyTorch), each parameter clipped on its own, and clipping by value."""
    g0 = {"W": np.array([6.0, 8.0]), "b": np.array([0.3, 0.4])}

    def per_parameter(g: dict[str, np.ndarray]) -> None:
        for v in g.values():
            clip_grad_norm([v], 1.0)

    rules = {
        "none": lambda g: None,
        "global: clip_grad_norm(g, 1)": lambda g: clip_grad_norm(g, 1.0),
        "per parameter: each norm ≤ 1": per_parameter,
        "by value: clip_grad_value(g, 1)": lambda g: clip_grad_value(g, 1.0),
    }
    rows = []
    for name, rule in rules.items():
        g = {k: v.copy() for k, v in g0.items()}
        rule(g)
        share = total_norm([g["b"]]) ** 2 / total_norm(g) ** 2
        rows.append([name, vec(g["W"], ".4f"), vec(g["b"], ".4f"),
                     f"{total_norm(g):.4f}", f"{share:.1%}", f"{cosine(g, g0):.4f}"])
    return table(["rule", "g_W", "g_b", "‖g‖", "b's share of ‖g‖²", "cos(g, g₀)"], rows)


def main() -> None:
    print("1. At the threshold θ = 5: the gradient (W = [[3, 0], [0, 0]], b = [4]) scaled to each norm.\n")
    text, worst_5 = threshold_table(5.0, [4.999999, 4.9999995, 5.0, 5.000001, 10.0], 1.0)
    print(text)
    print("\n   A small threshold, θ = 1e-6 (norms in units of 1e-6): the +1e-6 is absolute, not relative.\n")
    text, worst_small = threshold_table(1e-6, [0.5e-6, 1e-6, 1e-5], 1e-6)
    print(text)
    print(f"\n   ours vs torch.nn.utils.clip_grad_norm_ on every row above: relative error "
          f"{fmt_err(max(worst_5, worst_small))}")
    print("\n2. A NaN or an infinity in the gradient (θ = 1).\n")
    print(nonfinite_table())
    try:
        clip_grad_norm({"W": np.array([3.0, 4.0]), "b": np.array([np.nan])}, 1.0, error_if_nonfinite=True)
    except RuntimeError as e:
        print(f"\n   with error_if_nonfinite=True: RuntimeError: {str(e).split(',')[0]}")
    print("\n3. One norm for all parameters, one per parameter, or by value: g₀ = (g_W = [6, 8], g_b = [0.3, 0.4]).\n")
    print(scope_table())
