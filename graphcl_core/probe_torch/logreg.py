"""Many multinomial logistic regressions solved at once in torch (batched L-BFGS), as scikit-learn fits one.

Each problem is scikit-learn's ``LogisticRegression(C, solver="lbfgs")``: the weights ``W`` (d×K) and
the intercepts ``b`` (K, not penalised) minimise

.. math:: \\frac{1}{n}\\sum_i w_i \\bigl(\\log\\sum_k e^{z_{ik}} - z_{i y_i}\\bigr) + \\frac{1}{2Cn}\\lVert W\\rVert^2,
   \\qquad z_i = W^\\top x_i + b

(scikit-learn's objective divided by ``C·n``: the same minimiser; with two classes the penalty is
doubled, as scikit-learn's binomial form is). The problem is strictly convex in
``W``, so any solver that converges gives the same probe; the batch only shares kernels, every problem
keeps its own step sizes, curvature pairs and stopping test. Classes absent from a problem's training
rows get no logit (scikit-learn never sees them either).

Batch layout: rows ``x`` are ``(S, n, d)`` (one data slot each, padded rows have weight 0) and the
parameters ``(S, G, ...)``: ``G`` regularisation strengths per slot share its rows (a grid of C).
"""

from __future__ import annotations

import torch

HISTORY = 10  # L-BFGS curvature pairs kept
MAX_ITER = 500
TOL = 1e-4  # largest gradient entry of the scaled objective at which a problem is solved (scikit-learn's gtol)
_ARMIJO = 1e-4
_MAX_HALVINGS = 12
_ABSENT = -1e4  # logit of a class with no training rows in that problem


class Problems:
    """``x`` (S, n, d), ``y`` (S, n) int64 class ids, ``w`` (S, n) row weights (0 = padding),
    ``C`` (S, G), ``K`` classes. Objective and gradient of every (slot, C) at once."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, C: torch.Tensor, K: int):
        self.x, self.w, self.K = x, w, K
        self.d = x.size(-1)
        self.onehot = torch.nn.functional.one_hot(y.clamp(min=0), K).to(x.dtype) * w.unsqueeze(-1)
        n = w.sum(1).clamp(min=1.0)  # (S,)
        self.inv_n = (1.0 / n)[:, None, None]  # (S, 1, 1)
        present = self.onehot.sum(1) > 0  # (S, K)
        # Two classes: scikit-learn fits one binomial vector v = w₁ - w₂ with ½‖v‖², which is the softmax
        # above with twice the penalty (its optimum splits v as w₁ = -w₂ = v/2, so ½(‖w₁‖² + ‖w₂‖²)
        # = ¼‖v‖²).
        binary = (present.sum(1) == 2).to(x.dtype)[:, None]
        self.lam = ((1.0 + binary) / (C * n[:, None]))[..., None, None]  # (S, G, 1, 1)
        self.absent = torch.where(present, 0.0, _ABSENT).to(x.dtype)[:, None, None, :]  # (S, 1, 1, K)

    def split(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        W = theta[..., : self.d * self.K].unflatten(-1, (self.d, self.K))
        return W, theta[..., self.d * self.K:]

    def logits(self, theta: torch.Tensor) -> torch.Tensor:
        """(S, G, n, K): one product per slot for all its G weight matrices (``x @ W`` with ``x`` broadcast
        over G would copy ``x`` G times first)."""
        W, b = self.split(theta)
        S, G, d, K = W.shape
        z = torch.bmm(self.x, W.permute(0, 2, 1, 3).reshape(S, d, G * K))  # (S, n, G·K)
        return z.view(S, -1, G, K).permute(0, 2, 1, 3) + b.unsqueeze(-2) + self.absent

    def value_and_grad(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        W, _ = self.split(theta)
        S, G, d, K = W.shape
        z = self.logits(theta)
        lse = torch.logsumexp(z, -1, keepdim=True)
        wt = self.w[:, None, :, None]
        oh = self.onehot.unsqueeze(1)
        data = ((lse * wt).sum((-1, -2)) - (z * oh).sum((-1, -2))) * self.inv_n[..., 0]
        f = data + 0.5 * self.lam[..., 0, 0] * W.pow(2).sum((-1, -2))
        g = (torch.softmax(z, -1) * wt - oh) * self.inv_n.unsqueeze(1)  # (S, G, n, K)
        gx = torch.bmm(self.x.transpose(1, 2), g.permute(0, 2, 1, 3).reshape(S, -1, G * K))  # (S, d, G·K)
        gW = gx.view(S, d, G, K).permute(0, 2, 1, 3) + self.lam * W
        return f, torch.cat([gW.flatten(-2), g.sum(-2)], -1)


def fit(problems: Problems, max_iter: int = MAX_ITER, tol: float = TOL) -> torch.Tensor:
    """Solve every problem; returns ``theta`` (S, G, (d+1)·K): ``W`` row-major then ``b``."""
    x = problems.x
    S, G = problems.lam.shape[:2]
    P = (problems.d + 1) * problems.K
    theta = x.new_zeros(S, G, P)
    f, g = problems.value_and_grad(theta)
    s_hist = x.new_zeros(HISTORY, S, G, P)
    y_hist = x.new_zeros(HISTORY, S, G, P)
    rho = x.new_zeros(HISTORY, S, G)
    active = g.abs().amax(-1) > tol
    for it in range(max_iter):
        if not bool(active.any()):
            break
        d = -_two_loop(g, s_hist, y_hist, rho, it)
        slope = (g * d).sum(-1)
        d = torch.where((slope < 0).unsqueeze(-1), d, -g)  # not a descent direction: steepest descent
        slope = (g * d).sum(-1)
        t = torch.ones_like(f) if it else (1.0 / g.abs().sum(-1).clamp(min=1e-12)).clamp(max=1.0)
        t = t * active
        new_f, new_g = problems.value_and_grad(theta + t.unsqueeze(-1) * d)
        for _ in range(_MAX_HALVINGS):
            bad = active & ~(new_f <= f + _ARMIJO * t * slope)
            if not bool(bad.any()):
                break
            t = torch.where(bad, t * 0.5, t)
            trial_f, trial_g = problems.value_and_grad(theta + t.unsqueeze(-1) * d)
            new_f = torch.where(bad, trial_f, new_f)
            new_g = torch.where(bad.unsqueeze(-1), trial_g, new_g)
        stuck = active & ~(new_f <= f + _ARMIJO * t * slope)  # no decrease left in float32: done
        t = torch.where(stuck, 0.0, t)
        active = active & ~stuck
        step = t.unsqueeze(-1) * d
        yk = new_g - g
        sy = (step * yk).sum(-1)
        slot = it % HISTORY
        s_hist[slot], y_hist[slot] = step, yk
        rho[slot] = torch.where(sy > 1e-10, 1.0 / sy.clamp(min=1e-10), 0.0)  # skip a flat pair
        theta = theta + step
        take = t > 0
        f, g = torch.where(take, new_f, f), torch.where(take.unsqueeze(-1), new_g, g)
        active = active & (g.abs().amax(-1) > tol)
    return theta


def _two_loop(g: torch.Tensor, s_hist: torch.Tensor, y_hist: torch.Tensor, rho: torch.Tensor,
              it: int) -> torch.Tensor:
    """L-BFGS's inverse-Hessian product ``H g`` from the stored pairs, newest first."""
    m = min(it, HISTORY)
    order = [(it - 1 - j) % HISTORY for j in range(m)]
    q = g
    alphas = []
    for j in order:
        a = rho[j] * (s_hist[j] * q).sum(-1)
        q = q - a.unsqueeze(-1) * y_hist[j]
        alphas.append(a)
    if m:
        j = order[0]
        yy = (y_hist[j] * y_hist[j]).sum(-1)
        gamma = torch.where(rho[j] > 0, 1.0 / (rho[j] * yy).clamp(min=1e-20), 1.0)
        q = q * gamma.unsqueeze(-1)
    for j, a in zip(reversed(order), reversed(alphas)):
        b = rho[j] * (y_hist[j] * q).sum(-1)
        q = q + (a - b).unsqueeze(-1) * s_hist[j]
    return q


def predict(problems: Problems, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Class ids (S, G, m) for rows ``x`` (S, m, d) of each slot."""
    W, b = problems.split(theta)
    S, G, d, K = W.shape
    z = torch.bmm(x, W.permute(0, 2, 1, 3).reshape(S, d, G * K)).view(S, -1, G, K).permute(0, 2, 1, 3)
    return (z + b.unsqueeze(-2) + problems.absent).argmax(-1)
