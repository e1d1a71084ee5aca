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

import logging

import torch

log = logging.getLogger(__name__)

HISTORY = 10  # L-BFGS curvature pairs kept
MAX_ITER = 500
TOL = 1e-4  # largest gradient entry of the scaled objective at which a problem is solved (scikit-learn's gtol)
_ARMIJO = 1e-4
_MAX_HALVINGS = 12
COMPACT_EVERY = 8  # iterations between looks at which problems are solved (each look reads a mask back)
COMPACT_BELOW = 0.6  # drop the solved problems when the batch would keep at most this fraction
# ... and, with CUDA graphs, has at least this many problems: each new shape is a new capture (10-20 ms on an
# H100), while an iteration of 555 problems costs 0.8 ms against 0.55 ms for 275 (4,455: 4.0 ms).
COMPACT_FROM = 512
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

    def subset(self, rows: torch.Tensor, cols: torch.Tensor) -> "Problems":
        """The problems of slots ``rows`` and regularisation columns ``cols`` (index tensors), same data."""
        sub = Problems.__new__(Problems)
        sub.x, sub.w, sub.K, sub.d = self.x[rows], self.w[rows], self.K, self.d
        sub.onehot, sub.inv_n, sub.absent = self.onehot[rows], self.inv_n[rows], self.absent[rows]
        sub.lam = self.lam[rows][:, cols]
        return sub

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


def fit(problems: Problems, max_iter: int = MAX_ITER, tol: float = TOL, graphs: bool | None = None) -> torch.Tensor:
    """Solve every problem; returns ``theta`` (S, G, (d+1)·K): ``W`` row-major then ``b``.

    On CUDA (``graphs`` None or True) the iterations after the first replay CUDA graphs
    (``_Solver.propose``, ``halve`` while a step is too long, ``accept``), reading one flag back after
    each: eagerly, an iteration's ~150 small kernels and two read-backs took 4-5 ms whatever the problem
    size (H200). Every ``COMPACT_EVERY`` iterations the solved problems are dropped (``_Solver.subset``)
    when that shrinks the batch enough: problems finish at very different times (a sweep's CV: the
    smallest C by iteration ~16, half of all problems by ~30, the last near 80), and every iteration
    costs the whole batch's memory traffic."""
    solver = _Solver(problems, tol)
    out = solver.theta  # the result; a smaller solver's theta is written back into it
    rows = cols = None  # the current solver's slots and columns in ``out`` (None: all of them)
    graphed = problems.x.is_cuda if graphs is None else graphs
    replays: _Replays | None = None
    capture_at = 1  # graphs are captured after one eager iteration (lazy set-up outside the capture)
    for it in range(max_iter):
        if it == 1:
            solver.t_first.fill_(1.0)  # the first iteration's step is 1/‖g‖₁ (at most 1), later ones 1
        if it > 1 and it % COMPACT_EVERY == 0:
            keep = solver.worth_keeping(COMPACT_FROM if graphed else 1)
            if keep is not None:
                _write_back(out, rows, cols, solver.theta)
                rows = keep[0] if rows is None else rows[keep[0]]
                cols = keep[1] if cols is None else cols[keep[1]]
                solver, replays, capture_at = solver.subset(*keep), None, it  # (handles are set up by now)
        if it == capture_at and graphed:
            replays = _Replays.capture(solver)
        if replays is not None:
            replays.propose.replay()
            bad_any, active_any = replays.flags.tolist()
        else:
            bad_any, active_any = solver.propose().tolist()
        if not active_any:
            break
        for _ in range(_MAX_HALVINGS if bad_any else 0):  # backtracking, while a step is still too long
            if replays is not None:
                replays.halve.replay()
                bad_any = bool(replays.still_bad)
            else:
                bad_any = bool(solver.halve())
            if not bad_any:
                break
        if replays is not None:
            replays.accept.replay()
        else:
            solver.accept()
    _write_back(out, rows, cols, solver.theta)
    return out


def _write_back(out: torch.Tensor, rows: torch.Tensor | None, cols: torch.Tensor | None, theta: torch.Tensor) -> None:
    if rows is not None:
        out[rows.unsqueeze(1), cols.unsqueeze(0)] = theta


class _Solver:
    """Batched L-BFGS with Armijo backtracking (quadratic interpolation); every problem keeps its own step,
    pairs and stopping test.

    The state lives in tensors updated in place, so one capture each of ``propose``, ``halve`` and
    ``accept`` serves every iteration. The inverse-Hessian product uses the compact form of Byrd, Nocedal & Schnabel
    (1994; Nocedal & Wright eq. 7.24): a few batched products over all stored pairs instead of the
    two-loop recursion's 40 per-pair kernels, and independent of where the newest pair is stored.
    """

    def __init__(self, problems: Problems, tol: float):
        x = problems.x
        S, G = problems.lam.shape[:2]
        P = (problems.d + 1) * problems.K
        self.problems, self.tol, self.batch = problems, tol, S * G
        self.theta = x.new_zeros(S, G, P)
        self.f, self.g = problems.value_and_grad(self.theta)
        # The pairs (step s, gradient change y) as rows of one tensor, s in rows 0…m-1 and y in rows m…2m-1,
        # and their inner products (``gram`` = hist histᵀ) kept up to date: an iteration then reads the
        # history twice (the products with the gradient and the newest pair; the direction) instead of
        # ~8 times (SᵀY, YᵀY, Sᵀg, Yᵀg, then S and Y again): the history is most of the solve's memory
        # traffic (27 Cora trials' CV: 4,455 problems × 20 rows × 903 float64).
        self.hist = x.new_zeros(S * G, 2 * HISTORY, P)
        self.gram = x.new_zeros(S * G, 2 * HISTORY, 2 * HISTORY)
        self.pos = torch.zeros(1, dtype=torch.long, device=x.device)  # the slot the next pair goes to (the oldest)
        self.slots = torch.arange(HISTORY, device=x.device)
        self.active = self.g.abs().amax(-1) > tol
        self.t_first = (1.0 / self.g.abs().sum(-1).clamp(min=1e-12)).clamp(max=1.0)
        self.d = self.slope = self.t = self.new_f = self.new_g = None

    def worth_keeping(self, smallest: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(slots, columns)`` that still have an active problem, when keeping only those leaves at most
        ``COMPACT_BELOW`` of a batch of at least ``smallest`` problems; else None."""
        S, G = self.active.shape
        if S * G < smallest:
            return None
        rows = torch.nonzero(self.active.any(1)).flatten()
        cols = torch.nonzero(self.active.any(0)).flatten()
        kept = rows.numel() * cols.numel()
        if kept == 0 or kept > COMPACT_BELOW * S * G:
            return None
        return rows, cols

    def subset(self, rows: torch.Tensor, cols: torch.Tensor) -> "_Solver":
        """This solver's state for slots ``rows`` and columns ``cols`` only: the same iterations follow."""
        sub = _Solver.__new__(_Solver)
        G = self.active.size(1)
        sub.problems, sub.tol = self.problems.subset(rows, cols), self.tol
        sub.batch = rows.numel() * cols.numel()
        pick = lambda t: t[rows][:, cols].contiguous()  # noqa: E731 - (S, G, ...) state
        flat = (rows.unsqueeze(1) * G + cols.unsqueeze(0)).flatten()  # the kept problems in (S·G)-major tensors
        sub.theta, sub.f, sub.g = pick(self.theta), pick(self.f), pick(self.g)
        sub.active, sub.t_first = pick(self.active), pick(self.t_first)
        sub.hist, sub.gram = self.hist[flat], self.gram[flat]
        sub.pos, sub.slots = self.pos.clone(), self.slots
        sub.d = sub.slope = sub.t = sub.new_f = sub.new_g = None
        return sub

    def propose(self) -> torch.Tensor:
        """Direction, first step and its trial point; returns ``[any step to shorten, any problem active]``."""
        g = self.g
        d = -self._inverse_hessian_times(g)
        slope = (g * d).sum(-1)
        d = torch.where((slope < 0).unsqueeze(-1), d, -g)  # not a descent direction: steepest descent
        slope = (g * d).sum(-1)
        t = self.t_first * self.active
        new_f, new_g = self.problems.value_and_grad(self.theta + t.unsqueeze(-1) * d)
        self.d, self.slope, self.t, self.new_f, self.new_g = d, slope, t, new_f, new_g
        return torch.stack([self._too_long().any(), self.active.any()])

    def _too_long(self) -> torch.Tensor:
        return self.active & ~(self.new_f <= self.f + _ARMIJO * self.t * self.slope)

    def halve(self) -> torch.Tensor:
        """Shorten the steps that do not decrease enough (Armijo; ``_backtracked``) and evaluate them; returns
        whether any still does not."""
        bad = self._too_long()
        self.t.copy_(torch.where(bad, self._backtracked(), self.t))
        trial_f, trial_g = self.problems.value_and_grad(self.theta + self.t.unsqueeze(-1) * self.d)
        self.new_f.copy_(torch.where(bad, trial_f, self.new_f))
        self.new_g.copy_(torch.where(bad.unsqueeze(-1), trial_g, self.new_g))
        return self._too_long().any()

    def _backtracked(self) -> torch.Tensor:
        """A shorter step: the minimiser of the quadratic through ``f(0)``, the slope at 0 and ``f(t)``, kept
        within ``[t/10, t/2]`` (Nocedal & Wright §3.5; an infinite ``f(t)`` gives t/10, an undefined one t/2). A
        step that overshoots a lot is cut in one evaluation instead of several halvings, and every
        evaluation is one of the whole batch: the batch waits for the problem needing the most."""
        t = self.t
        excess = self.new_f - self.f - self.slope * t  # > 0 where the Armijo test failed (slope < 0)
        quad = -self.slope * t * t / (2.0 * excess)
        quad = torch.where(torch.isfinite(quad) & (excess > 0), quad, 0.5 * t)
        return torch.minimum(torch.maximum(quad, 0.1 * t), 0.5 * t)

    def accept(self) -> None:
        """Take the steps, store the new curvature pairs, and retire the problems that are solved."""
        stuck = self._too_long()  # no decrease left in floating point: done
        t = torch.where(stuck, 0.0, self.t)
        step = t.unsqueeze(-1) * self.d
        self._store_pair(step, self.new_g - self.g)
        self.theta.add_(step)
        take = t > 0
        self.f.copy_(torch.where(take, self.new_f, self.f))
        self.g.copy_(torch.where(take.unsqueeze(-1), self.new_g, self.g))
        self.active.copy_(self.active & ~stuck & (self.g.abs().amax(-1) > self.tol))

    def _store_pair(self, s: torch.Tensor, y: torch.Tensor) -> None:
        """Put a pair into the oldest slot; its products join ``gram`` at the next ``_inverse_hessian_times``
        (every ``accept`` is followed by a ``propose``)."""
        rows = torch.cat([self.pos, self.pos + HISTORY])
        self.hist.index_copy_(1, rows, torch.stack([s, y], -2).reshape(self.batch, 2, -1))
        self.pos.add_(1).remainder_(HISTORY)

    def _inverse_hessian_times(self, g: torch.Tensor) -> torch.Tensor:
        """``H g`` of the stored pairs: ``γ g + S p − γ Y u`` with ``u = R⁻¹ Sᵀg`` and
        ``p = R⁻ᵀ((D + γ YᵀY) u − γ Yᵀg)``, pairs in the order they were made (oldest first);
        ``R`` is the upper triangle of ``SᵀY``, ``D`` its diagonal, ``γ = sᵀy / yᵀy`` of the newest pair.
        A pair with ``sᵀy ≤ 1e-10`` is left out, as the two-loop recursion's ``ρ = 0`` leaves it out.
        One read of the history gives ``Sᵀg``, ``Yᵀg`` and the newest pair's products with every pair
        (into ``gram``); a second forms ``S p − γ Y u``."""
        m, hist = HISTORY, self.hist
        gf = g.reshape(self.batch, -1, 1)
        newest = (self.pos + m - 1) % m
        pair = hist.index_select(1, torch.cat([newest, newest + m]))  # (B, 2, P): s, y of the newest pair
        prods = torch.bmm(hist, torch.cat([gf, pair.transpose(1, 2)], 2))  # (B, 2m, 3)
        cols = torch.cat([newest, newest + m])
        self.gram.index_copy_(2, cols, prods[:, :, 1:])
        self.gram.index_copy_(1, cols, prods[:, :, 1:].transpose(1, 2))
        order = (self.slots + self.pos) % m  # storage slot of the i-th oldest pair
        back = (self.slots - self.pos) % m  # position in that order of each storage slot
        sy = self.gram[:, :m, m:][:, order][:, :, order]
        yy = self.gram[:, m:, m:][:, order][:, :, order]
        a = prods[:, :m, :1][:, order]
        b = prods[:, m:, :1][:, order]
        curv = torch.diagonal(sy, dim1=1, dim2=2)
        keep = (curv > 1e-10).to(g.dtype)
        both = keep.unsqueeze(2) * keep.unsqueeze(1)
        sy, yy, a, b = sy * both, yy * both, a * keep.unsqueeze(2), b * keep.unsqueeze(2)
        R = torch.triu(sy) + torch.diag_embed(1.0 - keep)  # a left-out pair: a 1 on the diagonal, zeros elsewhere
        newest_yy, newest_sy = yy[:, -1, -1], curv[:, -1]
        gamma = torch.where(keep[:, -1] > 0, 1.0 / (newest_yy / newest_sy.clamp(min=1e-300)).clamp(min=1e-20), 1.0)
        gamma = gamma[:, None, None]
        u = torch.linalg.solve_triangular(R, a, upper=True)
        rhs = (curv * keep).unsqueeze(2) * u + gamma * (torch.bmm(yy, u) - b)
        p = torch.linalg.solve_triangular(R.transpose(1, 2), rhs, upper=False)
        coef = torch.cat([p[:, back], -gamma * u[:, back]], 1).transpose(1, 2)  # (B, 1, 2m) in storage order
        hg = gamma[:, 0] * gf[..., 0] + torch.bmm(coef, hist)[:, 0]
        return hg.view_as(g)


class _Replays:
    """``propose``, ``halve`` and ``accept`` of one solver captured as CUDA graphs (after its first, eager,
    iteration); ``flags`` and ``still_bad`` are what ``propose`` and ``halve`` return."""

    def __init__(self, propose, halve, accept, flags: torch.Tensor, still_bad: torch.Tensor):
        self.propose, self.halve, self.accept, self.flags, self.still_bad = propose, halve, accept, flags, still_bad

    @staticmethod
    def capture(solver: _Solver) -> "_Replays | None":
        from ..fast.graphed_step import CAPTURE_LOCK  # a GPU layout's random draws must not meet a capture

        dev = solver.theta.device
        stream = torch.cuda.Stream(dev)
        stream.wait_stream(torch.cuda.current_stream(dev))
        try:
            with CAPTURE_LOCK:
                propose, halve, accept = torch.cuda.CUDAGraph(), torch.cuda.CUDAGraph(), torch.cuda.CUDAGraph()
                with torch.cuda.graph(propose, stream=stream, capture_error_mode="thread_local"):
                    flags = solver.propose()
                with torch.cuda.graph(halve, stream=stream, capture_error_mode="thread_local"):
                    still_bad = solver.halve()
                with torch.cuda.graph(accept, stream=stream, capture_error_mode="thread_local"):
                    solver.accept()
        except Exception as e:  # noqa: BLE001 - any capture problem: iterate eagerly (same arithmetic)
            log.warning("probe L-BFGS: CUDA graph capture failed (%s: %s); solving without it", type(e).__name__, e)
            torch.cuda.synchronize(dev)
            return None
        torch.cuda.current_stream(dev).wait_stream(stream)
        return _Replays(propose, halve, accept, flags, still_bad)


def predict(problems: Problems, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Class ids (S, G, m) for rows ``x`` (S, m, d) of each slot."""
    W, b = problems.split(theta)
    S, G, d, K = W.shape
    z = torch.bmm(x, W.permute(0, 2, 1, 3).reshape(S, d, G * K)).view(S, -1, G, K).permute(0, 2, 1, 3)
    return (z + b.unsqueeze(-2) + problems.absent).argmax(-1)
