"""The hand-written torch operator: gradcheck, torch.nn.RNN, the NumPy kernels, bad input.

``solutions.torch_ops.rnn`` must equal ``torch.nn.RNN`` (outputs and all six gradients) and
plain autograd of the recurrence to 1e-10 in float64, equal the NumPy ``sequence`` functions,
pass ``torch.autograd.gradcheck``, and reject bad input with a ``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.params import random_params
from solutions.sequence import rnn_backward, rnn_forward
from solutions.torch_ops import FLOAT_DTYPES, RNNFunction, load_params, rnn, rnn_autograd, rnn_params, to_numpy
from solutions.validate import FLOAT_DTYPES as NUMPY_FLOAT_DTYPES

NAMES = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh")
SHAPES = [(1, 1, 1, 1), (1, 2, 3, 4), (5, 3, 4, 6), (7, 1, 2, 1), (4, 2, 1, 5)]  # (T, B, I, H)


def inputs(T: int, B: int, I: int, H: int, dtype=torch.float64, seed: int = 0) -> list[torch.Tensor]:
    """x, h0, W_ih, W_hh, b_ih, b_hh, drawn from a seed (parameters by the package's one factory),
    each requiring grad."""
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((T, B, I)), rng.standard_normal((B, H))
    p = random_params(rng, I, H, std=0.6, bias_std=0.3)
    return [torch.tensor(a).to(dtype).requires_grad_() for a in (x, h0, *(p[k] for k in NAMES[2:]))]


def grads_of(f, args: list[torch.Tensor], G: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Output of ``f(*args)`` and the gradients of ``<f(*args), G>`` for every arg."""
    h = f(*args)
    return h.detach(), list(torch.autograd.grad(h, args, G))


def nn_rnn(args: list[torch.Tensor]) -> tuple[torch.nn.RNN, torch.Tensor]:
    """A torch.nn.RNN holding W_ih, W_hh, b_ih, b_hh of ``args`` (x and h0 stay inputs)."""
    x, h0, W_ih, W_hh, b_ih, b_hh = args
    H, I = W_ih.shape
    m = torch.nn.RNN(I, H, dtype=x.dtype)
    with torch.no_grad():
        for p, v in zip(rnn_params(m, as_numpy=False).values(), (W_ih, W_hh, b_ih, b_hh)):
            p.copy_(v)
    return m, h0


@pytest.mark.parametrize("shape", SHAPES)
def test_gradcheck_float64(shape: tuple[int, ...]) -> None:
    assert torch.autograd.gradcheck(rnn, inputs(*shape), eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_equals_torch_nn_rnn_and_autograd_in_float64(shape: tuple[int, ...]) -> None:
    args = inputs(*shape)
    G = torch.randn(shape[0], shape[1], shape[3], dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    h, grads = grads_of(rnn, args, G)
    h_ref, grads_ref = grads_of(rnn_autograd, args, G)
    m, h0 = nn_rnn(args)
    out, h_n = m(args[0], h0[None])
    nn_grads = torch.autograd.grad(out, [args[0], h0, *rnn_params(m, as_numpy=False).values()], G)
    assert h.dtype == torch.float64
    assert (h - out.detach()).abs().max() <= 1e-10
    assert (h[-1] - h_n[0].detach()).abs().max() <= 1e-10
    assert (h - h_ref).abs().max() <= 1e-10
    for name, a, b, c in zip(NAMES, grads, grads_ref, nn_grads):
        assert a.shape == b.shape == c.shape, name
        assert (a - b).abs().max() <= 1e-10, name
        assert (a - c).abs().max() <= 1e-10, name


@pytest.mark.parametrize("shape", SHAPES)
def test_equals_numpy_sequence_functions(shape: tuple[int, ...]) -> None:
    args = inputs(*shape)
    G = torch.randn(shape[0], shape[1], shape[3], dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    h, grads = grads_of(rnn, args, G)
    x, h0, *ps = (to_numpy(a) for a in args)
    h_np, cache = rnn_forward(x, h0, dict(zip(NAMES[2:], ps)))
    g_np = rnn_backward(to_numpy(G), cache)
    assert np.max(np.abs(to_numpy(h) - h_np)) <= 1e-12
    for name, a in zip(NAMES, grads):
        assert np.max(np.abs(to_numpy(a) - g_np[name])) <= 1e-12, name


def test_float32_in_float32_out_and_close_to_float64() -> None:
    args64 = inputs(6, 3, 4, 5)
    args32 = inputs(6, 3, 4, 5, dtype=torch.float32)
    G = torch.randn(6, 3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    h32, g32 = grads_of(rnn, args32, G.float())
    h64, g64 = grads_of(rnn, args64, G)
    assert h32.dtype == torch.float32 and all(g.dtype == torch.float32 for g in g32)
    assert (h32.double() - h64).abs().max() <= 1e-6
    for name, a, b in zip(NAMES, g32, g64):
        assert (a.double() - b).abs().max() <= 1e-5, name
    m, h0 = nn_rnn(args32)
    assert (h32 - m(args32[0], h0[None])[0].detach()).abs().max() <= 1e-6


def test_only_requested_gradients_are_computed_and_they_are_right() -> None:
    args = inputs(4, 2, 3, 5)
    for a in (args[0], args[1], args[4]):   # x, h0, b_ih need no gradient
        a.requires_grad_(False)
    h = rnn(*args)
    h.sum().backward()
    assert args[0].grad is None and args[1].grad is None and args[4].grad is None
    ref = inputs(4, 2, 3, 5)
    rnn_autograd(*ref).sum().backward()
    for i in (2, 3, 5):
        assert (args[i].grad - ref[i].grad).abs().max() <= 1e-12, NAMES[i]


def test_non_contiguous_upstream_gradient() -> None:
    args = inputs(3, 2, 2, 4)
    G = torch.randn(4, 2, 3, dtype=torch.float64).permute(2, 1, 0)   # (T, B, H), not contiguous
    _, grads = grads_of(rnn, args, G)
    _, ref = grads_of(rnn_autograd, args, G)
    assert all((a - b).abs().max() <= 1e-12 for a, b in zip(grads, ref))


def test_backward_is_once_differentiable_not_silently_wrong() -> None:
    args = inputs(3, 2, 2, 3)
    (gx,) = torch.autograd.grad((rnn(*args) ** 2).sum(), args[0], create_graph=True)
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        gx.sum().backward()


def test_forward_records_no_graph_inside() -> None:
    args = inputs(3, 2, 2, 3)
    h = rnn(*args)
    assert type(h.grad_fn).__name__ == "RNNFunctionBackward"
    assert [type(f).__name__ for f, _ in h.grad_fn.next_functions] == ["AccumulateGrad"] * 6


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 6), B=st.integers(1, 4), I=st.integers(1, 5), H=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_random_shapes_equal_autograd(T: int, B: int, I: int, H: int, seed: int) -> None:
    args = inputs(T, B, I, H, seed=seed)
    G = torch.randn(T, B, H, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 1))
    h, grads = grads_of(rnn, args, G)
    h_ref, grads_ref = grads_of(rnn_autograd, args, G)
    assert (h - h_ref).abs().max() <= 1e-12
    for name, a, b in zip(NAMES, grads, grads_ref):
        assert (a - b).abs().max() <= 1e-10, name


# ---------------------------------------------------------------- bad input


def _bad(i: int, value) -> list:
    args = [a.detach() for a in inputs(3, 2, 4, 5)]
    args[i] = value(args[i]) if callable(value) else value
    return args


@pytest.mark.parametrize("args, match", [
    (_bad(0, lambda a: a[0]), r"x must have shape \(T, B, I\) \(3-D\); got shape \(2, 4\)"),
    (_bad(1, lambda a: a[:1]), r"h0 must have shape \(B, H\) with B = 2; got shape \(1, 5\)"),
    (_bad(1, lambda a: a[0]), r"h0 must have shape \(B, H\) \(2-D\)"),
    (_bad(2, lambda a: a[:, :3]), r"W_ih must have shape \(H, I\) with I = 4"),
    (_bad(3, lambda a: a[:, :4]), r"W_hh must have shape \(H, H\) with H = 5"),
    (_bad(4, lambda a: a[:4]), r"b_ih must have shape \(H,\) with H = 5"),
    (_bad(5, lambda a: a[None]), r"b_hh must have shape \(H,\) \(1-D\)"),
    (_bad(0, lambda a: a[:, :, :0]), r"x must have shape \(T, B, I\) with I >= 1"),
    (_bad(0, lambda a: a.index_put((torch.tensor([1]),), torch.tensor(float("nan"), dtype=a.dtype))),
     r"x of shape \(T, B, I\) contains NaN or infinity"),
    (_bad(3, lambda a: a.index_put((torch.tensor([0]),), torch.tensor(float("inf"), dtype=a.dtype))),
     r"W_hh of shape \(H, H\) contains NaN or infinity"),
    (_bad(2, lambda a: a.float()), r"W_ih has dtype torch.float32 but the other inputs are torch.float64"),
    (_bad(0, lambda a: a.float()), r"h0 has dtype torch.float64 but the other inputs are torch.float32"),
    (_bad(4, lambda a: a.to(torch.int64)), r"b_ih must be float32 or float64 of shape \(H,\); got dtype torch.int64"),
    (_bad(1, lambda a: a.numpy()), r"h0 must be a torch.Tensor of shape \(B, H\); got ndarray"),
    (_bad(0, [[1.0]]), r"x must be a torch.Tensor of shape \(T, B, I\); got list"),
])
def test_bad_input_names_the_argument_and_shape(args: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        rnn(*args)


def test_mixed_devices_are_rejected() -> None:
    """A ``meta`` tensor stands in for a second device (this machine has only a CPU)."""
    args = [a.detach() for a in inputs(3, 2, 4, 5)]
    args[3] = torch.empty(5, 5, dtype=torch.float64, device="meta")
    with pytest.raises(ValueError, match=r"W_hh is on device meta but the other inputs are on cpu"):
        rnn(*args)


# ---------------------------------------------------------------- rnn_params


def test_rnn_params_of_a_two_layer_bidirectional_rnn() -> None:
    torch.manual_seed(0)
    I, H, T, B = 3, 4, 5, 2
    m = torch.nn.RNN(I, H, num_layers=2, bidirectional=True, dtype=torch.float64)
    for layer, I_l in ((0, I), (1, 2 * H)):
        for reverse in (False, True):
            p = rnn_params(m, layer, reverse)
            suffix = f"_l{layer}" + ("_reverse" if reverse else "")
            assert {k: v.shape for k, v in p.items()} == {"W_ih": (H, I_l), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
            assert np.array_equal(p["W_hh"], to_numpy(getattr(m, "weight_hh" + suffix)))
            assert rnn_params(m, layer, reverse, as_numpy=False)["b_ih"] is getattr(m, "bias_ih" + suffix)
    # the _reverse direction of layer 0 is our rnn run on the time-reversed input
    x = torch.randn(T, B, I, dtype=torch.float64)
    out, _ = m(x)
    h0 = torch.zeros(B, H, dtype=torch.float64)
    fwd = rnn(x, h0, *rnn_params(m, 0, False, as_numpy=False).values())
    bwd = rnn(x.flip(0), h0, *rnn_params(m, 0, True, as_numpy=False).values()).flip(0)
    layer1 = rnn(torch.cat([fwd, bwd], 2), h0, *rnn_params(m, 1, False, as_numpy=False).values())
    assert (layer1 - out[:, :, :H]).abs().max() <= 1e-12
    # grad=True gives the .grad of each parameter, as NumPy
    with pytest.raises(ValueError, match=r"weight_ih_l1_reverse.grad is None: run a backward pass first"):
        rnn_params(m, 1, True, grad=True)
    out.sum().backward()
    g = rnn_params(m, 1, True, grad=True)
    assert isinstance(g["W_hh"], np.ndarray) and np.array_equal(g["W_hh"], to_numpy(m.weight_hh_l1_reverse.grad))


@pytest.mark.parametrize("make, kwargs, match", [
    (lambda: torch.nn.LSTM(2, 3), {}, "rnn must be a torch.nn.RNN; got LSTM"),
    (lambda: torch.nn.RNN(2, 3, nonlinearity="relu"), {}, "tanh RNN with biases"),
    (lambda: torch.nn.RNN(2, 3, bias=False), {}, "tanh RNN with biases"),
    (lambda: torch.nn.RNN(2, 3, num_layers=2), {"layer": 2}, r"layer must be an integer in \[0, 2\); got 2"),
    (lambda: torch.nn.RNN(2, 3), {"layer": -1}, r"layer must be an integer in \[0, 1\); got -1"),
    (lambda: torch.nn.RNN(2, 3), {"reverse": True}, "reverse=True needs a bidirectional RNN"),
])
def test_rnn_params_bad_arguments(make, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        rnn_params(make(), **kwargs)


@pytest.mark.parametrize("module, G", [(torch.nn.RNN, 1), (torch.nn.LSTM, 4), (torch.nn.GRU, 3)])
def test_load_params_puts_numpy_parameters_into_any_layer_and_direction(module, G: int) -> None:
    """load_params is rnn_params' inverse, and the one loader of every torch.nn recurrent module."""
    I, H = 3, 4
    m = module(I, H, num_layers=2, bidirectional=True, dtype=torch.float64)
    for layer, I_l in ((0, I), (1, 2 * H)):
        for reverse in (False, True):
            p = random_params(10 * layer + reverse, I_l, H, gates=G)
            assert load_params(m, p, layer, reverse) is m
            suffix = f"_l{layer}" + ("_reverse" if reverse else "")
            for key, name in (("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")):
                assert np.array_equal(to_numpy(getattr(m, name + suffix)), p[key]), (layer, reverse, key)
    rnn_m = torch.nn.RNN(I, H, dtype=torch.float32)
    p = random_params(0, I, H)                       # float64 into a float32 module: converted
    load_params(rnn_m, p)
    assert all(np.array_equal(a, p[k].astype(np.float32)) for k, a in rnn_params(rnn_m).items())
    bad = [({"layer": 1}, r"layer must be an integer in \[0, 1\)"), ({"reverse": True}, "reverse=True needs"),
           ({"params": {k: v for k, v in p.items() if k != "b_hh"}}, "missing key 'b_hh'"),
           ({"params": {**p, "W_hh": p["W_hh"][:, :2]}}, r"params\['W_hh'\] must have shape \(4, 4\)")]
    for kwargs, match in bad:
        with pytest.raises(ValueError, match=match):
            load_params(rnn_m, **{"params": p, **kwargs})
    with pytest.raises(ValueError, match="module must be a torch.nn.RNN, LSTM or GRU"):
        load_params(torch.nn.Linear(3, 4), p)
    assert [str(d).removeprefix("torch.") for d in FLOAT_DTYPES] == [d.name for d in NUMPY_FLOAT_DTYPES]


def test_rnn_function_apply_is_the_same_operator() -> None:
    args = inputs(3, 2, 2, 3)
    assert torch.equal(RNNFunction.apply(*args), rnn(*args))


@pytest.mark.parametrize("edit", ["dropout", "mul_"])
def test_output_edited_in_place_behaves_like_nn_rnn(edit: str) -> None:
    """``F.dropout(h, inplace=True)`` on the output works as on ``torch.nn.RNN``'s output, and the
    gradient is that of the edited output (the saved states are not the returned tensor)."""
    args = inputs(4, 2, 3, 5)
    G = torch.randn(4, 2, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    mask = (torch.rand(4, 2, 5, generator=torch.Generator().manual_seed(4)) > 0.5).double() * 2.0

    def edited(f):
        h = f(*args)
        if edit == "dropout":
            torch.manual_seed(5)
            h = torch.nn.functional.dropout(h, 0.5, training=True, inplace=True)
        else:
            h.mul_(mask)
        return h.detach(), torch.autograd.grad(h, args, G)

    h, grads = edited(rnn)
    h_ref, grads_ref = edited(rnn_autograd)
    assert (h - h_ref).abs().max() <= 1e-12
    for name, a, b in zip(NAMES, grads, grads_ref):
        assert (a - b).abs().max() <= 1e-10, name
