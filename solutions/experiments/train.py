"""Training a character-level tanh RNN with plain SGD: NumPy BPTT, and the same in PyTorch.

The model is the book's: ``h_t = tanh(W x_t + U h_{t-1} + b)`` (6.5), ``o_t = V h_t + c``,
``L = Σ_t L_t`` with ``L_t`` the cross-entropy of ``softmax(o_t)`` against the next
character, averaged over the batch (what [bptt][solutions.sequence.bptt] computes). Each
sentence is one column of the batch; inputs are one-hot characters.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from solutions.cell import rnn_cell_forward
from solutions.params import random_params
from solutions.sequence import bptt
from solutions.torch_ops import rnn_from_params, rnn_params, to_numpy
from solutions.validate import MODEL_KEYS, Params, check_int


#: The toy corpus: a few short sentences (one in pinyin), each starting with its own letter,
#: so that the first character tells the model which sentence to continue.
SENTENCES = ("hello world.", "ni hao shi jie.", "time flows backwards.", "gradients vanish or explode.")


def char_data(sentences: Sequence[str], dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray, str]:
    """One-hot inputs and next-character targets, one sentence per batch column.

    Sentences shorter than the longest are padded with their own last character (end them
    with ``"."``: the model then learns to stay on ``"."`` after the sentence).

    Parameters
    ----------
    sentences : sequence of str
        ``B`` sentences of at least two characters each.
    dtype : numpy float type
        Of ``x``.

    Returns
    -------
    x : ndarray of shape (T, B, V)
        ``x[t, b]`` is the one-hot code of character ``t`` of sentence ``b``; ``T`` is the
        longest length minus one and ``V`` the number of distinct characters.
    y : int64 ndarray of shape (T, B)
        ``y[t, b]`` is the id of character ``t + 1``: the target at step ``t``.
    vocab : str
        The characters, sorted; a character's id is its index here.
    """
    if not sentences or any(not isinstance(s, str) or len(s) < 2 for s in sentences):
        raise ValueError("sentences must be a non-empty sequence of strings of length >= 2")
    vocab = "".join(sorted(set("".join(sentences))))
    n = max(len(s) for s in sentences)
    ids = np.array([[vocab.index(ch) for ch in s.ljust(n, s[-1])] for s in sentences]).T  # (T + 1, B)
    x = np.eye(len(vocab), dtype=dtype)[ids[:-1]]
    return x, ids[1:].astype(np.int64), vocab


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread: fastest for tiny matrices, and no spin-waiting on busy cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def char_task(H: int = 32, seed: int = 0, dtype: type = np.float64,
              sentences: Sequence[str] = SENTENCES) -> tuple[np.ndarray, np.ndarray, np.ndarray, Params, str]:
    """The next-character task of the training demos, with its initial model.

    Parameters
    ----------
    H : int
        Hidden size.
    seed : int
        Seed of the initial weights: ``U(−1/√H, 1/√H)``, the initialisation of
        ``torch.nn.RNN`` and ``nn.Linear`` ([random_params][solutions.params.random_params]
        with ``init="uniform"``).
    dtype : numpy float type
    sentences : sequence of str
        The corpus, one sentence per batch column.

    Returns
    -------
    x : ndarray of shape (T, B, V)
        One-hot characters (``V = len(vocab)``).
    y : int64 ndarray of shape (T, B)
        Next-character ids.
    h0 : ndarray of shape (B, H)
        Zeros.
    params : dict
        Initial ``W_ih`` (H, V), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), ``V`` (V, H), ``c`` (V,).
    vocab : str
    """
    x, y, vocab = char_data(sentences, dtype)
    V = len(vocab)
    params = random_params(seed, V, H, V, init="uniform", dtype=dtype)
    return x, y, np.zeros((x.shape[1], H), dtype=dtype), params, vocab


def _check_run(lr: object, steps: object) -> None:
    check_int("steps", steps)
    if not isinstance(lr, (int, float)) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0; got {lr!r}")


def _progress(tag: str, step: int, steps: int, loss: float, every: int) -> None:
    if every and (step % every == 0 or step == steps - 1):
        print(f"{tag}: step {step + 1}/{steps}  loss {loss:.4f}", file=sys.stderr)


def sgd_train(x: np.ndarray, y: np.ndarray, h0: np.ndarray, params: Params, lr: float, steps: int,
              log_every: int = 0) -> tuple[Params, np.ndarray]:
    """Plain SGD on the whole batch, gradients by NumPy BPTT ([bptt][solutions.sequence.bptt]).

    Parameters
    ----------
    x : ndarray of shape (T, B, I)
    y : integer ndarray of shape (T, B)
    h0 : ndarray of shape (B, H)
    params : dict
        Initial ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), ``V`` (O, H),
        ``c`` (O,); not modified.
    lr : float
        Learning rate: ``θ ← θ − lr ∂L/∂θ``.
    steps : int
        Number of updates.
    log_every : int
        Print the loss to stderr every this many steps (0: never).

    Returns
    -------
    params : dict
        The trained parameters (new arrays), same keys, shapes and dtype.
    losses : ndarray of shape (steps,), float64
        ``L`` before each update.
    """
    _check_run(lr, steps)
    p = {k: params[k].copy() for k in MODEL_KEYS}
    losses = np.empty(steps)
    for step in range(steps):
        # --8<-- [start:sgd] sgd_train
        loss, grads = bptt(x, y, h0, p)          # L and every ∂L/∂θ by BPTT
        for k in MODEL_KEYS:
            p[k] -= lr * grads[k]                # θ ← θ − η ∂L/∂θ
        # --8<-- [end:sgd]
        losses[step] = loss
        _progress("numpy", step, steps, loss, log_every)
    return p, losses


def torch_sgd_train(x: np.ndarray, y: np.ndarray, h0: np.ndarray, params: Params, lr: float, steps: int,
                    log_every: int = 0) -> tuple[Params, np.ndarray]:
    """The same training as [sgd_train][solutions.experiments.train.sgd_train] with ``torch.nn.RNN``,
    ``nn.Linear``, ``F.cross_entropy`` and ``torch.optim.SGD`` (autograd computes the gradients).

    Parameters and return values as for [sgd_train][solutions.experiments.train.sgd_train]; the arrays
    are copied into torch tensors of their dtype, so a float64 run matches the NumPy one to
    rounding error.
    """
    _check_run(lr, steps)
    bptt(x[:1], y[:1], h0, params)  # the same input checks as sgd_train (one cheap step)
    T, B, _ = x.shape
    O, H = params["V"].shape
    # --8<-- [start:torch] torch_sgd_train
    rnn = rnn_from_params(params)                                      # tanh, time first, same W, U, b
    out = torch.nn.Linear(H, O, dtype=rnn.weight_hh_l0.dtype)          # o_t = V h_t + c
    with torch.no_grad():                                              # same V, c
        out.weight.copy_(torch.from_numpy(params["V"]))
        out.bias.copy_(torch.from_numpy(params["c"]))
    opt = torch.optim.SGD([*rnn.parameters(), *out.parameters()], lr=lr)
    # --8<-- [end:torch]
    xt, yt, h0t = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(h0)[None]
    losses = np.empty(steps)
    with _one_thread():
        for step in range(steps):
            # --8<-- [start:torch-step] torch_sgd_train
            opt.zero_grad()
            h, _ = rnn(xt, h0t)                                        # (T, B, H)
            loss = torch.nn.functional.cross_entropy(
                out(h).reshape(T * B, O), yt.reshape(T * B), reduction="sum") / B  # Σ_t mean_b L_t
            loss.backward()                                            # autograd: BPTT
            opt.step()                                                 # θ ← θ − η ∂L/∂θ
            # --8<-- [end:torch-step]
            losses[step] = loss.item()
            _progress("torch", step, steps, losses[step], log_every)
    trained = rnn_params(rnn)
    trained.update(V=to_numpy(out.weight), c=to_numpy(out.bias))
    return trained, losses


def greedy_sample(params: Params, vocab: str, first: str, n: int, stop: str = ".") -> str:
    """Text generated by feeding the most likely next character back in.

    Parameters
    ----------
    params : dict
        ``W_ih`` (H, V), ``W_hh`` (H, H), ``b_ih`` (H,), ``b_hh`` (H,), ``V`` (V, H), ``c`` (V,),
        with ``V = len(vocab)``.
    vocab : str
        The characters, as returned by [char_data][solutions.experiments.train.char_data].
    first : str
        The first character (one of ``vocab``); the state starts at zero.
    n : int
        Most characters to return, ``first`` included.
    stop : str
        Stop after generating this character.

    Returns
    -------
    text : str
        ``first`` followed by up to ``n − 1`` generated characters.
    """
    if first not in vocab or len(first) != 1:
        raise ValueError(f"first must be one character of vocab {vocab!r}; got {first!r}")
    eye = np.eye(len(vocab), dtype=params["V"].dtype)
    h = np.zeros((1, params["W_hh"].shape[0]), dtype=eye.dtype)
    text = first
    while len(text) < n and not (len(text) > 1 and text[-1] == stop):
        h, _ = rnn_cell_forward(eye[[vocab.index(text[-1])]], h, params)
        text += vocab[int(np.argmax(h[0] @ params["V"].T + params["c"]))]
    return text
