"""Training: NumPy BPTT + SGD and PyTorch from the same weights give one loss curve; the char model learns."""

from __future__ import annotations

import numpy as np
import pytest

from solutions.experiments.train import (
    SENTENCES,
    char_data,
    char_task,
    greedy_sample,
    sgd_train,
    torch_sgd_train,
)
from solutions.validate import MODEL_KEYS


def test_numpy_and_torch_loss_curves_agree_to_1e_8_in_float64() -> None:
    x, y, h0, params, _ = char_task(H=16, seed=3)
    p_np, l_np = sgd_train(x, y, h0, params, lr=0.02, steps=40)
    p_t, l_t = torch_sgd_train(x, y, h0, params, lr=0.02, steps=40)
    assert l_np.shape == l_t.shape == (40,)
    assert np.max(np.abs(l_np - l_t)) <= 1e-8
    assert l_np[-1] < 0.8 * l_np[0]          # it did train: the agreement is not two flat lines
    for k in MODEL_KEYS:
        assert np.max(np.abs(p_np[k] - p_t[k])) <= 1e-8, k


def test_float32_training_stays_float32() -> None:
    x, y, h0, params, _ = char_task(H=8, seed=1, dtype=np.float32)
    before = {k: params[k].copy() for k in MODEL_KEYS}
    trained, _ = sgd_train(x, y, h0, params, lr=0.02, steps=3)
    assert all(trained[k].dtype == np.float32 for k in MODEL_KEYS)
    assert all(np.array_equal(params[k], before[k]) for k in MODEL_KEYS)   # the input is not modified
    assert all(not np.array_equal(trained[k], before[k]) for k in MODEL_KEYS)  # but training moved it


def test_char_model_loss_decreases_and_it_learns_the_sentences() -> None:
    x, y, h0, params, vocab = char_task(H=32, seed=0)
    before = [greedy_sample(params, vocab, s[0], 40) for s in SENTENCES]
    trained, losses = sgd_train(x, y, h0, params, lr=0.02, steps=400)
    T = x.shape[0]
    assert losses[0] / T > 3.0 and losses[-1] / T < 0.05
    assert np.all(losses[-100:][1:] < losses[-100:][:-1])    # monotone over the last 100 steps
    assert [greedy_sample(trained, vocab, s[0], 40) for s in SENTENCES] == list(SENTENCES)
    assert before != list(SENTENCES)


def test_char_data_shapes_and_targets() -> None:
    x, y, vocab = char_data(["ab.", "ba.."])
    assert vocab == ".ab" and x.shape == (3, 2, 3) and y.shape == (3, 2) and y.dtype == np.int64
    assert x[:, 0].argmax(1).tolist() == [1, 2, 0]           # "ab." padded to "ab..": inputs a b .
    assert y[:, 0].tolist() == [2, 0, 0] and y[:, 1].tolist() == [1, 0, 0]


def test_char_task_initialisation_is_torchs_uniform() -> None:
    x, _, h0, p, vocab = char_task(H=4, seed=0)
    V = len(vocab)
    assert {k: v.shape for k, v in p.items()} == {"W_ih": (4, V), "W_hh": (4, 4), "b_ih": (4,), "b_hh": (4,),
                                                 "V": (V, 4), "c": (V,)}
    assert all(np.abs(v).max() <= 0.5 for v in p.values())            # U(−1/√H, 1/√H), H = 4
    assert not h0.any() and x.shape[2] == V


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": 0.0}, "lr must be a finite number > 0"),
    ({"lr": float("nan")}, "lr must be a finite number > 0"),
    ({"steps": 0}, "steps must be an integer >= 1"),
    ({"steps": 2.5}, "steps must be an integer >= 1"),
])
@pytest.mark.parametrize("train", [sgd_train, torch_sgd_train])
def test_bad_run_arguments(train, kwargs: dict, match: str) -> None:
    x, y, h0, params, _ = char_task(H=4)
    with pytest.raises(ValueError, match=match):
        train(x, y, h0, params, **{"lr": 0.1, "steps": 1, **kwargs})


@pytest.mark.parametrize("train", [sgd_train, torch_sgd_train])
def test_bad_shapes_name_the_argument(train) -> None:
    x, y, h0, params, _ = char_task(H=4)
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) with B = 4"):
        train(x, y, h0[:2], params, 0.1, 1)
    with pytest.raises(ValueError, match=r"params\['V'\] must have shape \(O, H\)"):
        train(x, y, h0, {**params, "V": params["V"][:, :2]}, 0.1, 1)


@pytest.mark.parametrize("args, match", [
    (([],), "sentences must be a non-empty sequence"),
    ((["ok", "x"],), "sentences must be a non-empty sequence"),
])
def test_char_data_bad_input(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        char_data(*args)


def test_greedy_sample_rejects_unknown_first_character() -> None:
    _, _, _, params, vocab = char_task(H=4)
    with pytest.raises(ValueError, match="first must be one character of vocab"):
        greedy_sample(params, vocab, "Z", 5)
