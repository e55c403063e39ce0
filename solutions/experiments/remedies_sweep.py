"""The sweep of the demo ``residual-remedies``: its task, runs, learning rates, stopping rules and remedies.

The demo trains the residual update (6.50) without and with each remedy of 6-3
(``REMEDIES``, each a ``remedies.Remedy``) on ``TASK``, ``H``
hidden units, ``N`` runs (seeds ``0 … N − 1``) at every learning rate η of ``LRS``, for
``STEPS`` SGD steps. A run is stopped when its gradient norm passes ``EXPLODE`` (unless it is
clipped) or its loss per time step passes ``LOSS_MAX``; its final loss is the mean over its
last ``LAST`` steps, and it learned when that is below ``LEARNED × ln K``. Every run has a
twin whose initial ``W`` is multiplied by ``1 + TWIN``, to see where training is chaotic.

The long tier trains the same runs for longer (``solutions.experiments.remedies_long``), and
the demo ``residual-remedies-long`` reads its records: this module is the setting the three share.
"""

from __future__ import annotations

from solutions.experiments.remedies import Remedy, Task

TASK = Task(K=4, T=20, B=8, delay=4)
H, N, STEPS = 16, 6, 80
LRS = (0.03, 0.1, 0.3, 1.0, 3.0)  # the learning-rate sweep: every remedy is trained at each
EXPLODE, LOSS_MAX = 100.0, 100.0
LAST = 10                      # the final loss: mean over the last LAST steps of a run
WINDOW = 10                    # truncated BPTT: windows of this many steps
TWIN = 1e-10                   # the twin run's initial W is multiplied by 1 + TWIN (chaos test)
REMEDIES = {                   # key: the remedy (its name is the table's label)
    "none": Remedy("none: (6.50), α = 1"),
    "alpha": Remedy("smaller α = 0.1", alpha=0.1),
    "leaky": Remedy("leaky, β = 0.1", beta=0.1),
    "disc": Remedy("init in the disc, ω = 0.5", disc_radius=0.5),
    "small": Remedy("small U at init, s = 0.1", u_scale=0.1),
    "decay": Remedy("weight decay 0.01", weight_decay=0.01),
    "truncate": Remedy(f"truncated BPTT, ℓ = {WINDOW}", truncate=WINDOW),
    "layernorm": Remedy("LayerNorm of the state", layernorm=True),
    "gate": Remedy("GRU-style gate", gate=True),
    "clip": Remedy("clip by norm, g_max = 1", max_norm=1.0),
}
LEARNED = 0.85                 # a run "learned" if its final loss per time step is below LEARNED × ln K
