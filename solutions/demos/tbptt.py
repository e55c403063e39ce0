"""Truncated BPTT as practised, TBPTT(k1, k2): memory held per backward pass and updates per sequence, vs full BPTT."""

from __future__ import annotations

import numpy as np

from solutions.publish.report import Result, table
from solutions.tbptt import TBPTT, full_bptt_bytes, window_grads
from solutions.params import random_params

T, B, K, H = 1000, 16, 4, 64           # one long sequence: steps, batch, tokens (inputs = outputs), hidden
CONFIGS = ((10, 10), (50, 50), (100, 100), (10, 50), (25, 100))   # (k1, k2)
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
    rows = [["full BPTT", "—", str(T), "1", kib(full), "1.00", f"1 … {T}"]]
    values = {"full-kib": kib(full), "T": str(T)}
    for k1, k2 in CONFIGS:
        _, updates = TBPTT(k1, k2, lr=0.0).train(x, y, h0, params)
        peak = max(u.cache_bytes for u in updates)
        assert peak == full_bptt_bytes(k2, B, K, H, K)
        reach = f"{k2 - k1 + 1} … {k2}"
        rows.append([f"TBPTT({k1}, {k2})", str(k1), str(k2), str(len(updates)), kib(peak),
                     f"{peak / full:.2f}", reach])
        values[f"{k1}-{k2}-kib"] = kib(peak)
        values[f"{k1}-{k2}-updates"] = str(len(updates))
    print(f"One sequence of T = {T} steps, batch {B}, {K} tokens in and out, H = {H}, float64.\n"
          "Memory: bytes of the arrays one backward pass holds (its cache x, h_0, h and the\n"
          "output probabilities), read from the arrays themselves; the same on every machine.\n"
          "k1 = steps between updates, k2 = steps backpropagated per update (Williams & Peng);\n"
          "reach = how many steps back a loss's gradient travels (fewest … most).\n")
    print(table(["method", "k1", "k2", "updates", "memory (KiB)", "vs full", "reach (steps)"], rows))
    print("\nTime per update is machine-dependent: see the benchmark table (make bench).")
    return Result(values=values)
