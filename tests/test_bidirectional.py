"""solutions.bidirectional against torch.nn.RNN(bidirectional=True) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.bidirectional import (
    birnn_backward,
    birnn_forward,
    stacked_birnn_backward,
    stacked_birnn_forward,
)
from solutions.gradcheck import max_abs, numeric_grads, rel_error
from solutions.params import random_params
from solutions.torch_ops import rnn_params, to_numpy

KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")


def torch_case(T: int, B: int, I: int, H: int, L: int, batch_first: bool, seed: int = 0):
    """A float64 torch.nn.RNN(bidirectional=True), its outputs, and the gradients of
    L = Σ out ⊙ G + Σ h_n ⊙ G_n (a gradient into out and into h_n)."""
    torch.manual_seed(seed)
    rnn = torch.nn.RNN(I, H, num_layers=L, bidirectional=True, batch_first=batch_first, dtype=torch.float64)
    x = torch.randn((B, T, I) if batch_first else (T, B, I), dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2 * L, B, H, dtype=torch.float64, requires_grad=True)
    out, h_n = rnn(x, h0)
    G, Gn = torch.randn_like(out), torch.randn_like(h_n)
    ((out * G).sum() + (h_n * Gn).sum()).backward()
    arrays = {"x": x, "h0": h0, "out": out, "h_n": h_n, "G": G, "Gn": Gn}
    return rnn, {k: to_numpy(v) for k, v in arrays.items()}, x, h0


def layers_of(rnn: torch.nn.RNN) -> list:
    return [(rnn_params(rnn, l), rnn_params(rnn, l, True)) for l in range(rnn.num_layers)]


def errors_vs_torch(T: int, B: int, I: int, H: int, L: int, batch_first: bool, seed: int = 0) -> dict[str, float]:
    rnn, a, x, h0 = torch_case(T, B, I, H, L, batch_first, seed)
    out, h_n, cache = stacked_birnn_forward(a["x"], a["h0"], layers_of(rnn), batch_first)
    g = stacked_birnn_backward(a["G"], cache, a["Gn"])
    assert out.shape == a["out"].shape and h_n.shape == a["h_n"].shape
    assert g["x"].shape == a["x"].shape and g["h0"].shape == a["h0"].shape and len(g["layers"]) == L
    err = {"out": max_abs(out, a["out"]), "h_n": max_abs(h_n, a["h_n"]),
           "x": max_abs(g["x"], to_numpy(x.grad)), "h0": max_abs(g["h0"], to_numpy(h0.grad))}
    for l in range(L):
        for d, reverse in (("fwd", False), ("bwd", True)):
            want = rnn_params(rnn, l, reverse, grad=True)
            for k in KEYS:
                assert g["layers"][l][d][k].shape == want[k].shape
                err[f"layers[{l}].{d}.{k}"] = max_abs(g["layers"][l][d][k], want[k])
    return err


@pytest.mark.parametrize("L", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("T", [1, 5])
def test_stacked_equals_torch(L: int, batch_first: bool, T: int) -> None:
    err = errors_vs_torch(T, 3, 4, 5, L, batch_first)
    assert len(err) == 4 + 8 * L
    assert max(err.values()) <= 1e-10, err


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("T", [1, 4])
def test_one_layer_equals_torch(batch_first: bool, T: int) -> None:
    rnn, a, x, h0 = torch_case(T, 2, 3, 4, 1, batch_first, seed=1)
    (p_fwd, p_bwd), = layers_of(rnn)
    out, h_n, cache = birnn_forward(a["x"], a["h0"], p_fwd, p_bwd, batch_first=batch_first)
    g = birnn_backward(a["G"], cache, a["Gn"])
    assert max_abs(out, a["out"]) <= 1e-10 and max_abs(h_n, a["h_n"]) <= 1e-10
    assert max_abs(g["x"], to_numpy(x.grad)) <= 1e-10
    assert g["h0"].shape == (2, 2, 4) and max_abs(g["h0"], to_numpy(h0.grad)) <= 1e-10
    for d, reverse in (("fwd", False), ("bwd", True)):
        want = rnn_params(rnn, 0, reverse, grad=True)
        assert set(g[d]) == set(KEYS)
        for k in KEYS:
            assert max_abs(g[d][k], want[k]) <= 1e-10, (d, k)


@pytest.mark.parametrize("batch_first", [False, True])
def test_h_n_is_out_at_T_minus_1_forward_and_at_0_backward(batch_first: bool) -> None:
    """The pitfall: the backward direction's final state is out[0, :, H:], not out[T-1, :, H:].
    Our birnn_forward returns h_n so (exactly, as its own slices of out) and as torch.nn.RNN does."""
    rnn, a, _, _ = torch_case(4, 2, 3, 5, 1, batch_first)
    H = 5
    out, h_n, _ = birnn_forward(a["x"], a["h0"], *layers_of(rnn)[0], batch_first=batch_first)
    seq = out.swapaxes(0, 1) if batch_first else out             # (T, B, 2H)
    np.testing.assert_array_equal(h_n[0], seq[-1, :, :H])
    np.testing.assert_array_equal(h_n[1], seq[0, :, H:])
    assert max_abs(h_n, a["h_n"]) <= 1e-12 and max_abs(out, a["out"]) <= 1e-12
    assert max_abs(h_n[1], seq[-1, :, H:]) > 0.1                 # the pitfall's slice is another state


def test_gradient_into_h_n_only_and_out_only_add_up() -> None:
    """dh_n=None is a zero gradient on h_n; the two contributions are linear and add."""
    rnn, a, _, _ = torch_case(3, 2, 2, 3, 2, False)
    _, _, cache = stacked_birnn_forward(a["x"], a["h0"], layers_of(rnn))
    both = stacked_birnn_backward(a["G"], cache, a["Gn"])
    only_out = stacked_birnn_backward(a["G"], cache)
    only_hn = stacked_birnn_backward(np.zeros_like(a["G"]), cache, a["Gn"])
    assert max_abs(both["x"], only_out["x"] + only_hn["x"]) <= 1e-12
    assert max_abs(only_hn["x"], 0 * only_hn["x"]) > 1e-3  # h_n really carries a gradient
    assert max_abs(only_out["h0"], stacked_birnn_backward(a["G"], cache, np.zeros_like(a["Gn"]))["h0"]) == 0.0


def test_finite_differences_two_layers() -> None:
    """Every gradient of a small 2-layer case against central differences (relative error < 1e-7)."""
    rng = np.random.default_rng(0)
    T, B, I, H = 3, 2, 2, 2
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((4, B, H))
    layers = [tuple(random_params(rng, I if l == 0 else 2 * H, H, std=0.7, bias_std=0.3) for _ in range(2))
              for l in range(2)]
    G = rng.standard_normal((T, B, 2 * H))
    Gn = rng.standard_normal((4, B, H))

    def loss() -> float:
        out, h_n, _ = stacked_birnn_forward(x, h0, layers)
        return float((out * G).sum() + (h_n * Gn).sum())

    _, _, cache = stacked_birnn_forward(x, h0, layers)
    g = stacked_birnn_backward(G, cache, Gn)
    arrays = {"x": x, "h0": h0}
    arrays |= {f"{l}.{d}.{k}": layers[l][i][k] for l in range(2) for i, d in enumerate(("fwd", "bwd")) for k in KEYS}
    num = numeric_grads(loss, arrays)
    ours = {"x": g["x"], "h0": g["h0"]}
    ours |= {f"{l}.{d}.{k}": g["layers"][l][d][k] for l in range(2) for d in ("fwd", "bwd") for k in KEYS}
    errs = {k: rel_error(ours[k], num[k]) for k in num}
    assert max(errs.values()) < 1e-7, errs


@pytest.mark.parametrize("batch_first", [False, True])
def test_float32_in_float32_out(batch_first: bool) -> None:
    rnn, a, _, _ = torch_case(3, 2, 3, 4, 2, batch_first)
    layers32 = [tuple({k: v.astype(np.float32) for k, v in p.items()} for p in pair) for pair in layers_of(rnn)]
    x32, h032 = a["x"].astype(np.float32), a["h0"].astype(np.float32)
    out, h_n, cache = stacked_birnn_forward(x32, h032, layers32, batch_first)
    g = stacked_birnn_backward(a["G"].astype(np.float32), cache, a["Gn"].astype(np.float32))
    assert out.dtype == h_n.dtype == g["x"].dtype == g["h0"].dtype == np.float32
    assert all(v.dtype == np.float32 for lg in g["layers"] for d in lg.values() for v in d.values())
    assert max_abs(out, a["out"]) < 1e-5 and max_abs(g["x"], stacked_birnn_backward(
        a["G"], stacked_birnn_forward(a["x"], a["h0"], layers_of(rnn), batch_first)[2], a["Gn"])["x"]) < 1e-4
    o1, n1, c1 = birnn_forward(x32, h032[:2], *layers32[0], batch_first=batch_first)
    g1 = birnn_backward(np.ones_like(o1), c1, np.ones_like(n1))
    assert o1.dtype == n1.dtype == g1["x"].dtype == g1["fwd"]["W_hh"].dtype == np.float32


# ---------------------------------------------------------------- bad inputs


def good(L: int = 1, T: int = 3, B: int = 2, I: int = 3, H: int = 4):
    rng = np.random.default_rng(0)
    layers = [tuple(random_params(rng, I if l == 0 else 2 * H, H, std=1.0, bias_std=1.0) for _ in range(2))
              for l in range(L)]
    return rng.standard_normal((T, B, I)), rng.standard_normal((2 * L, B, H)), layers


@pytest.mark.parametrize("mutate, match", [
    (lambda x, h0, pf, pb: (x[0], h0, pf, pb), r"x must have shape \(T, B, I\) \(3-D\)"),
    (lambda x, h0, pf, pb: (x, h0[:1], pf, pb), r"h0 must have shape \(2, B, H\)"),
    (lambda x, h0, pf, pb: (x, h0[0], pf, pb), r"h0 must have shape \(2, B, H\) \(3-D\)"),
    (lambda x, h0, pf, pb: (x, h0[:, :1], pf, pb), r"h0 must have shape \(2, B, H\) with B = 2"),
    (lambda x, h0, pf, pb: (x, h0, {k: v for k, v in pf.items() if k != "W_hh"}, pb),
     r"params_fwd is missing key 'W_hh' \(expected an array of shape \(H, H\)\)"),
    (lambda x, h0, pf, pb: (x, h0, pf, {**pb, "W_ih": pb["W_ih"][:, :2]}),
     r"params_bwd\['W_ih'\] must have shape \(H, I\) with I = 3"),
    (lambda x, h0, pf, pb: (x, h0, pf, {**pb, "b_hh": pb["b_hh"][:3]}), r"params_bwd\['b_hh'\] must have shape \(H,\)"),
    (lambda x, h0, pf, pb: (x.astype(np.float32), h0, pf, pb), r"h0 has dtype float64 but the other inputs are float32"),
    (lambda x, h0, pf, pb: (np.where(x > 1, np.nan, x), h0, pf, pb), r"x of shape \(T, B, I\) contains NaN"),
    (lambda x, h0, pf, pb: (x, h0, pf, {**pb, "W_hh": pb["W_hh"] * np.inf}), r"params_bwd\['W_hh'\].*NaN or infinity"),
    (lambda x, h0, pf, pb: (x.tolist(), h0, pf, pb), r"x must be a NumPy array"),
])
def test_birnn_forward_rejects(mutate, match) -> None:
    x, h0, [(pf, pb)] = good()
    with pytest.raises(ValueError, match=match):
        birnn_forward(*mutate(x, h0, pf, pb))


def test_batch_first_must_be_bool_and_shapes_follow_it() -> None:
    x, h0, [(pf, pb)] = good()
    for bad in (1, "yes", None):
        with pytest.raises(ValueError, match="batch_first must be a bool"):
            birnn_forward(x, h0, pf, pb, batch_first=bad)
        with pytest.raises(ValueError, match="batch_first must be a bool"):
            stacked_birnn_forward(x, h0, [(pf, pb)], batch_first=bad)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, B, H\) with B = 3"):
        birnn_forward(x, h0, pf, pb, batch_first=True)  # (T, B, I) read as (B, T, I): B = 3


def test_birnn_backward_rejects() -> None:
    x, h0, [(pf, pb)] = good()
    out, h_n, cache = birnn_forward(x, h0, pf, pb)
    with pytest.raises(ValueError, match=r"dout must have shape \(T, B, 2H\) with 2H = 8"):
        birnn_backward(out[:, :, :4], cache)
    with pytest.raises(ValueError, match=r"dout has dtype float32"):
        birnn_backward(out.astype(np.float32), cache)
    with pytest.raises(ValueError, match=r"dout of shape \(T, B, 2H\) contains NaN"):
        birnn_backward(out * np.nan, cache)
    with pytest.raises(ValueError, match=r"dh_n must have shape \(2, B, H\)"):
        birnn_backward(out, cache, h_n[:1])
    with pytest.raises(ValueError, match=r"dh_n must have shape \(2, B, H\) with H = 4"):
        birnn_backward(out, cache, h_n[:, :, :2])
    with pytest.raises(ValueError, match=r"cache must be the BiCache returned by solutions.bidirectional.birnn_forward"):
        birnn_backward(out, (1, 2, 3, 4))
    _, _, stacked_cache = stacked_birnn_forward(x, h0, [(pf, pb)])
    with pytest.raises(ValueError, match=r"cache must be the BiCache returned by solutions.bidirectional.birnn_forward"):
        birnn_backward(out, stacked_cache)
    _, _, bf_cache = birnn_forward(x.swapaxes(0, 1).copy(), h0, pf, pb, batch_first=True)
    with pytest.raises(ValueError, match=r"dout must have shape \(B, T, 2H\) with B = 2"):
        birnn_backward(out, bf_cache)  # time-first dout for a batch-first forward


def test_stacked_rejects() -> None:
    x, h0, layers = good(L=2)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2L, B, H\) with 2L = 4"):
        stacked_birnn_forward(x, h0[:2], layers)
    with pytest.raises(ValueError, match=r"layers\[1\]\[0\]\['W_ih'\] must have shape \(H, 2H\) with 2H = 8"):
        bad = [layers[0], ({**layers[1][0], "W_ih": layers[0][0]["W_ih"]}, layers[1][1])]
        stacked_birnn_forward(x, h0, bad)
    with pytest.raises(ValueError, match=r"layers\[0\]\[1\] is missing key 'b_ih'"):
        no_b_ih = {k: v for k, v in layers[0][1].items() if k != "b_ih"}
        stacked_birnn_forward(x, h0, [(layers[0][0], no_b_ih), layers[1]])
    for bad in ([], [layers[0][0]], "layers", [(layers[0][0],)]):
        with pytest.raises(ValueError, match="layers must be a non-empty list of"):
            stacked_birnn_forward(x, h0, bad)
    out, h_n, cache = stacked_birnn_forward(x, h0, layers)
    with pytest.raises(ValueError, match=r"dh_n must have shape \(2L, B, H\) with 2L = 4"):
        stacked_birnn_backward(out, cache, h_n[:2])
    with pytest.raises(ValueError, match=r"dout must have shape \(T, B, 2H\) with T = 3"):
        stacked_birnn_backward(out[:2], cache)
    with pytest.raises(ValueError, match=r"cache must be the StackedCache returned by solutions.bidirectional.stacked_birnn_forward"):
        stacked_birnn_backward(out, birnn_forward(x, h0[:2], *layers[0])[2])


@settings(max_examples=20, deadline=None)
@given(T=st.integers(1, 4), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 4),
       L=st.integers(1, 2), batch_first=st.booleans(), seed=st.integers(0, 2**16))
def test_any_shape_equals_torch(T: int, B: int, I: int, H: int, L: int, batch_first: bool, seed: int) -> None:
    err = errors_vs_torch(T, B, I, H, L, batch_first, seed)
    assert max(err.values()) <= 1e-10, err
