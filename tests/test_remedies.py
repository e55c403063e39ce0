"""solutions.experiments.remedies: the batched model is (6.50) run by run, runs do not interact, divergence stops a run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from solutions.experiments.remedies import (
    Remedy,
    Task,
    batches,
    forward,
    init_params,
    step_matrix,
    train,
)
from solutions.torch_ops import residual_autograd

TASK = Task(K=3, T=6, B=2, delay=2)
H = 4


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_forward_is_the_residual_update_of_each_run(alpha: float) -> None:
    remedy = Remedy("t", alpha=alpha)
    p = init_params(TASK, remedy, H, [3, 4])
    x, _ = batches(TASK, [3, 4], 1)
    h = forward(p, x[0], remedy)                                   # (T, N, B, H)
    for n in range(2):
        ref = residual_autograd(x[0][:, n], torch.zeros(TASK.B, H, dtype=torch.float64),
                                     {"W_ih": p["W"][n], "W_hh": p["U"][n], "b_ih": p["b"][n],
                                      "b_hh": torch.zeros(H, dtype=torch.float64)}, alpha)
        torch.testing.assert_close(h[:, n], ref, rtol=1e-13, atol=1e-13)


def test_leaky_layernorm_and_gate_updates() -> None:
    x, _ = batches(TASK, [0], 1)
    leaky = Remedy("leaky", beta=0.25)
    p = init_params(TASK, leaky, H, [0])
    h = forward(p, x[0], leaky)
    g = torch.tanh(x[0][0] @ p["W"][0].T + p["b"][0])
    torch.testing.assert_close(h[0, 0], 0.25 * g[0])               # h_1 = (1 − β)·0 + β tanh(z_1)
    ln = Remedy("ln", layernorm=True)
    h = forward(init_params(TASK, ln, H, [0]), x[0], ln)
    torch.testing.assert_close(h.mean(-1), torch.zeros_like(h.mean(-1)), atol=1e-12, rtol=0)
    gate = Remedy("gate", gate=True)
    pg = init_params(TASK, gate, H, [0])
    assert {"W_u", "U_u", "b_u"} <= set(pg)
    assert torch.isfinite(forward(pg, x[0], gate)).all()


@pytest.mark.parametrize("remedy", [Remedy("none"), Remedy("clip", max_norm=0.5), Remedy("gate", gate=True),
                                    Remedy("decay", weight_decay=0.1)])
def test_runs_do_not_interact(remedy: Remedy) -> None:
    """Training seeds [0, 1] together gives run 1 exactly what training seed 1 alone gives."""
    both = train(remedy, TASK, H, [0, 1], steps=6, lr=0.5)
    one = train(remedy, TASK, H, [1], steps=6, lr=0.5)
    np.testing.assert_allclose(both.loss[1], one.loss[0], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(both.norm[1], one.norm[0], rtol=1e-12, equal_nan=True)
    assert both.diverged_at[1] == one.diverged_at[0] and both.exploded_at[1] == one.exploded_at[0]


def test_a_diverging_run_is_stopped_and_nothing_after_is_recorded() -> None:
    run = train(Remedy("none", u_scale=3.0), TASK, H, [0, 1, 2], steps=8, lr=5.0, explode_at=1.0)
    assert (run.diverged_at > 0).all()
    for n, s in enumerate(run.diverged_at):
        assert np.isfinite(run.loss[n, :s]).all() and np.isnan(run.loss[n, s:]).all()
        assert run.norm[n, s - 1] > 1.0                          # the step that stopped it
    clipped = train(Remedy("clip", max_norm=0.1, u_scale=3.0), TASK, H, [0, 1, 2], steps=8, lr=5.0,
                    explode_at=1.0)
    assert (clipped.exploded_at > 0).any() and np.isfinite(clipped.loss[:, -1]).all()   # clipped: goes on


def test_step_matrix_is_j_minus_i_at_small_activations() -> None:
    U = np.random.default_rng(0).standard_normal((1, H, H))
    np.testing.assert_allclose(step_matrix(Remedy(alpha=0.5), U), 0.5 * U)
    np.testing.assert_allclose(step_matrix(Remedy(beta=0.1), U), 0.1 * (U - np.eye(H)))
    disc = init_params(TASK, Remedy(disc_radius=0.5), H, [0])["U"].detach().numpy()
    mu = np.linalg.eigvals(step_matrix(Remedy(disc_radius=0.5), disc))
    np.testing.assert_allclose(np.abs(1.0 + mu), 0.5, rtol=1e-12)   # every |1 + αλ| = r


def test_orthogonal_eigenvalues_outside_the_disc_are_those_with_theta_below_2pi_over_3() -> None:
    from solutions.params import haar_orthogonal

    lam = np.linalg.eigvals(haar_orthogonal(np.random.default_rng(0), 40))
    np.testing.assert_allclose(np.abs(lam), 1.0, rtol=1e-12)
    theta = np.angle(lam)
    np.testing.assert_allclose(np.abs(1 + lam), 2 * np.abs(np.cos(theta / 2)), atol=1e-12)
    assert ((np.abs(1 + lam) > 1) == (np.abs(theta) < 2 * np.pi / 3)).all()


def test_learning_rate_and_perturbation_per_run() -> None:
    """A vector of learning rates (and of perturbations) trains each run as if it were alone."""
    remedy = Remedy("none", alpha=0.3)
    both = train(remedy, TASK, H, [2, 2], steps=5, lr=[0.1, 0.7], perturb=[0.0, 1e-3])
    for n, (lr, eps) in enumerate([(0.1, 0.0), (0.7, 1e-3)]):
        one = train(remedy, TASK, H, [2], steps=5, lr=lr, perturb=eps)
        np.testing.assert_allclose(both.loss[n], one.loss[0], rtol=1e-12)
    assert not np.allclose(both.loss[0], both.loss[1])


def test_truncation_cuts_the_gradient_at_window_starts() -> None:
    """With ``truncate=3`` a loss at step 4 (0-based) reaches back to step 3 only: its gradient
    equals that of a run restarted at step 3 from the (constant) state h_2."""
    remedy = Remedy("trunc", alpha=0.7, truncate=3)
    p = init_params(TASK, remedy, H, [0])
    x, _ = batches(TASK, [0], 1)
    h = forward(p, x[0], remedy)
    full = forward(p, x[0], Remedy("full", alpha=0.7))
    torch.testing.assert_close(h, full, rtol=0, atol=0)                 # the forward pass is unchanged
    got = torch.autograd.grad(h[4].sum(), p["U"])[0]
    h2 = full[2].detach()
    z3 = torch.tanh(torch.einsum("nhk,nbk->nbh", p["W"], x[0][3]) + torch.bmm(h2, p["U"].transpose(1, 2)))
    h3 = h2 + 0.7 * z3
    z4 = torch.tanh(torch.einsum("nhk,nbk->nbh", p["W"], x[0][4]) + torch.bmm(h3, p["U"].transpose(1, 2)))
    want = torch.autograd.grad((h3 + 0.7 * z4).sum(), p["U"])[0]
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)
    assert not torch.allclose(torch.autograd.grad(full[4].sum(), p["U"])[0], want)
