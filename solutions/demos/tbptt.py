"""Truncated BPTT as practised, TBPTT(ℓ1, ℓ2): memory held per backward pass, updates per sequence and reach, vs full BPTT."""

from __future__ import annotations

import numpy as np

from solutions.params import random_params
from solutions.publish.report import Result, table
from solutions.tbptt import TBPTT, full_bptt_bytes, window_grads

T, B, K, H = 1000, 16, 4, 64           # one long sequence: steps, batch, tokens (inputs = outputs), hidden
CONFIGS = ((10, 10), (50, 50), (100, 100), (10, 50), (25, 100))   # (ℓ1, ℓ2) = Williams & Peng's (k1, k2)
SEED = 0


def kib(n: int) -> str:
    """Bytes as KiB, one decimal (exact integer arithmetic: the same on every machine)."""
    return f"{n / 1024:,.1f}"


def main() -> Result:
    rng = np.random.default_rng(SEED)
    tokens = rng.integers(0, K, size=(T + 1, B))
    x, y = np.eye(K)[tokens[:-1]], tokens[1:]            # predict the next token
    params = random_params(SEED, K, H, K, init="uniform")
    h0 = np.zeros((B, H))
    full = window_grads(x, y, h0, params, T)[3]          # full BPTT: one backward over all T steps
    assert full == full_bptt_bytes(T, B, K, H, K)
    rows = [["full BPTT", "—", str(T), "1", kib(full), "1.00", f"1 … {T}", "—"]]
    values = {"full-kib": kib(full), "T": str(T)}
    window_of = {full_bptt_bytes(w, B, K, H, K): w for w in range(1, T + 1)}   # bytes → steps held
    for l1, l2 in CONFIGS:
        _, updates = TBPTT(l1, l2, lr=0.0).train(x, y, h0, params)
        peak = max(u.cache_bytes for u in updates)
        assert peak == full_bptt_bytes(l2, B, K, H, K)
        reach = []                          # per update: the fewest and most steps a loss reaches back
        for i, u in enumerate(updates):
            w = window_of[u.cache_bytes]    # steps this backward pass went through
            new = u.end - (updates[i - 1].end if i else 0)
            reach.append((w - new + 1, w))
        steady = next(i for i, r in enumerate(reach) if all(q == r for q in reach[i:-1]))
        rows.append([f"TBPTT({l1}, {l2})", str(l1), str(l2), str(len(updates)), kib(peak), f"{peak / full:.2f}",
                     f"{reach[0][0]} … {reach[0][1]}",
                     "—" if steady == 0 else f"{reach[steady][0]} … {reach[steady][1]} (from update {steady + 1})"])
        values[f"{l1}-{l2}-kib"] = kib(peak)
        values[f"{l1}-{l2}-updates"] = str(len(updates))
    print(f"One sequence of T = {T} steps, batch {B}, {K} tokens in and out, H = {H}, float64.\n"
          "Memory: bytes of the arrays one backward pass holds (its cache x, h_0, h and the\n"
          "output probabilities), read from the arrays themselves; the same on every machine.\n"
          "ℓ1 = steps between updates, ℓ2 = steps backpropagated per update (Williams & Peng's\n"
          "k1, k2; k is the book's step index). reach = how many steps back a loss's gradient\n"
          "travels (fewest … most, over the losses of one update), at the first update and from\n"
          "the update on which it stops changing (— : the same from the first update).\n")
    print(table(["method", "ℓ1", "ℓ2", "updates", "memory (KiB)", "vs full", "reach, 1st update", "reach later"],
                rows))
    print("\nTime per update is machine-dependent: see the benchmark table (make bench).")
    return Result(values=values)
