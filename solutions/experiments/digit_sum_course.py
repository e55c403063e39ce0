"""The course's own digit-sum protocol (数字求和), run with torch's fused RNN, LSTM and GRU.

The book's companion lab (nndl/practice-in-paddle, chapter 6, 循环神经网络-上.ipynb, §6.1 and
§6.3) tests the memory of the simple recurrent network (SRN) and the LSTM with this protocol,
reproduced here step for step (Paddle → PyTorch):

* **Data** (its ``generate_data``): the 100 digit pairs ``(n1, n2)``, each followed by zeros to
  length ``L``; every copy has one position ``idx ∈ [2, L)`` replaced by a random digit
  (``np.random.randint``); 3 copies per pair for training (300 sequences), 1 for dev (100),
  1 for test (100). The label is ``n1 + n2`` (19 classes). Generated with the course's seed
  and call order (``np.random.seed(0)``, lengths 5, 10, …, 35, train/dev/test each), so the
  data are the same for every model seed.
* **Model**: an embedding of the 10 digits (dimension 32), one recurrent layer (hidden 32),
  a linear layer from the last state ``h_L`` to 19 logits. One bias per gate (the course's
  ``b``; PyTorch's second bias ``b_hh`` is held at 0). Xavier-uniform initialisation of every
  weight *and* bias, each gate's block separately (the course creates one parameter per gate
  with ``XavierUniform``): bound ``√(6/(fan_in + fan_out))`` of the parameter's shape, e.g.
  ``√(6/33)`` for a bias of shape (1, 32). The linear layer: Xavier-uniform weight, zero bias
  (Paddle's ``nn.Linear`` defaults).
* **Training** (its ``RunnerV3``): Adam, learning rate 0.001, cross-entropy; batches of 8 in
  file order (no shuffling), 500 epochs = 500 × 38 = 19,000 steps; the dev accuracy after
  every 100th step (and the last), the parameters with the best dev accuracy so far kept
  (a strictly better score replaces them), scored on the test set at the end.

The course has no GRU run; the GRU here follows the same protocol (torch's reset-after form,
its single bias per gate in ``b_ih``). Float32, as in the course; one thread.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import torch

MODELS = ("SRN", "LSTM", "GRU")
LENGTHS = (10, 15, 20, 25, 30, 35)
SEEDS = (0, 1, 2)
EMBED, HIDDEN, CLASSES = 32, 32, 19
LR, BATCH, EPOCHS, EVAL_EVERY = 0.001, 8, 500, 100
_GENERATED = (5, 10, 15, 20, 25, 30, 35)  # the course generates these lengths, in this order
_GATES = {"SRN": 1, "LSTM": 4, "GRU": 3}
_MODULES = {"SRN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}


def _generate(length: int, k: int, rs: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    seqs, labels = [], []
    for n1 in range(10):
        for n2 in range(10):
            for _ in range(k):
                idx, val = rs.randint(2, length), rs.randint(0, 10)
                seq = [n1, n2] + [0] * (length - 2)
                seq[idx] = val
                seqs.append(seq)
                labels.append(n1 + n2)
    return np.array(seqs, dtype=np.int64), np.array(labels, dtype=np.int64)


@functools.cache
def _all_data() -> dict[int, tuple[tuple[np.ndarray, np.ndarray], ...]]:
    rs = np.random.RandomState(0)
    return {L: tuple(_generate(L, k, rs) for k in (3, 1, 1)) for L in _GENERATED}


def data(L: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``(train, dev, test)`` of length ``L``, each ``(digits (n, L) int64, labels (n,))``; n = 300, 100, 100."""
    if L not in _GENERATED:
        raise ValueError(f"L must be one of the course's lengths {_GENERATED}; got {L!r}")
    return _all_data()[L]


class Net(torch.nn.Module):
    """Embedding (10 → 32) → one ``torch.nn.RNN``/``LSTM``/``GRU`` layer (32) → linear (32 → 19) on ``h_L``."""

    def __init__(self, model: str, seed: int):
        super().__init__()
        if model not in _MODULES:
            raise ValueError(f"model must be one of {MODELS}; got {model!r}")
        self.embed = torch.nn.Embedding(10, EMBED)
        self.rnn = _MODULES[model](EMBED, HIDDEN, batch_first=True)
        self.out = torch.nn.Linear(HIDDEN, CLASSES)
        rng = np.random.default_rng(seed)

        def xavier(shape: tuple[int, int]) -> np.ndarray:
            bound = math.sqrt(6.0 / (shape[0] + shape[1]))
            return rng.uniform(-bound, bound, shape)

        g, H = _GATES[model], HIDDEN
        with torch.no_grad():
            self.embed.weight.copy_(torch.as_tensor(xavier((10, EMBED))))
            # one block per gate, as the course's separate parameters (W: (M, H), U: (H, H), b: (1, H))
            self.rnn.weight_ih_l0.copy_(torch.as_tensor(np.concatenate([xavier((EMBED, H)).T for _ in range(g)])))
            self.rnn.weight_hh_l0.copy_(torch.as_tensor(np.concatenate([xavier((H, H)).T for _ in range(g)])))
            self.rnn.bias_ih_l0.copy_(torch.as_tensor(np.concatenate([xavier((1, H))[0] for _ in range(g)])))
            self.rnn.bias_hh_l0.zero_()
            self.out.weight.copy_(torch.as_tensor(xavier((HIDDEN, CLASSES)).T))
            self.out.bias.zero_()
        self.rnn.bias_hh_l0.requires_grad_(False)

    def forward(self, digits: torch.Tensor) -> torch.Tensor:
        """Logits (n, 19) of digit sequences (n, L)."""
        states, _ = self.rnn(self.embed(digits))
        return self.out(states[:, -1])


def _correct(net: Net, digits: np.ndarray, labels: np.ndarray) -> int:
    with torch.no_grad():
        return int((net(torch.as_tensor(digits)).argmax(dim=1).numpy() == labels).sum())


def configs() -> list[dict]:
    """Every run: lengths 10, 35, 20 first (so a partial run covers the range), then 15, 25, 30."""
    return [{"model": m, "L": L, "seed": s} for L in (10, 35, 20, 15, 25, 30) for m in MODELS for s in SEEDS]


def run(config: dict, steps: int | None = None) -> dict:
    """Train one model by the course's protocol; ``steps`` stops early (for the replay).

    Returns
    -------
    dict
        ``dev``: correct dev answers (of 100) at each evaluation (after steps 100, 200, …, and
        the last); ``loss``: mean training loss of each block of 100 steps (6 significant
        digits); ``best_step``, ``best_dev``: the kept checkpoint; ``test``: its correct test
        answers (of 100); ``seconds``: wall time.
    """
    t0 = time.time()
    (train_x, train_y), (dev_x, dev_y), (test_x, test_y) = data(config["L"])
    torch.manual_seed(0)  # nothing random is drawn from torch; fixed anyway
    net = Net(config["model"], config["seed"])
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=LR)
    batches = [(torch.as_tensor(train_x[i:i + BATCH]), torch.as_tensor(train_y[i:i + BATCH]))
               for i in range(0, len(train_y), BATCH)]
    total = EPOCHS * len(batches)
    limit = total if steps is None else min(steps, total)
    dev, losses, block = [], [], []
    best, best_step, best_state = -1, -1, None
    step = 0
    while step < limit:
        for x, y in batches:
            loss = torch.nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            block.append(loss.item())
            if len(block) == EVAL_EVERY:
                losses.append(float(f"{np.mean(block):.6g}"))
                block = []
            if step > 0 and (step % EVAL_EVERY == 0 or step == total - 1):
                dev.append(_correct(net, dev_x, dev_y))
                if dev[-1] > best:
                    best, best_step = dev[-1], step
                    best_state = {k: v.clone() for k, v in net.state_dict().items()}
            step += 1
            if step == limit:
                break
    net.load_state_dict(best_state)
    return {"dev": dev, "loss": losses, "best_step": best_step, "best_dev": best,
            "test": _correct(net, test_x, test_y), "seconds": round(time.time() - t0, 1)}


def fingerprint(config: dict, record: dict, steps: int) -> str:
    """The CPU-robust part of a run's first ``steps`` steps: dev counts and block losses (3 digits)."""
    from solutions.experiments.longrun import robust

    n_eval = (steps - 1) // EVAL_EVERY
    n_loss = steps // EVAL_EVERY
    dev = " ".join(str(d) for d in record["dev"][:n_eval])
    loss = " ".join(robust(v) for v in record["loss"][:n_loss])
    return f"{config['model']} L={config['L']} seed={config['seed']}: dev correct {dev}; mean loss per 100 steps {loss}"


def prefix(config: dict, record: dict, steps: int) -> list[float]:
    """The numbers the replay checks: dev counts and block losses in the first ``steps`` steps."""
    return [*record["dev"][:(steps - 1) // EVAL_EVERY], *record["loss"][:steps // EVAL_EVERY]]
