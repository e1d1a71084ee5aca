"""``trial_linear``: every trial's own linear map of its slice of rows laid out trials side by side.

``embed_shared`` keeps a layer's output as (V, N, T, O): each node's row holds every trial's features,
the layout its propagation reads as one (V·N) × (T·O) matrix. ``torch.einsum("vnti,toi->vnto")`` gets the
per-trial products right but writes them trial-major and hands back a permuted view, so the propagation
copies it and every elementwise pass after it walks a strided tensor (H200, 9 Cora trials at hidden 256:
a 21 µs copy and slower adds each step, more in the backward). Here each product is one batched matrix
multiply that reads and writes the interleaved layout in place: a trial's rows are a matrix with leading
dimension T·I, which cuBLAS takes as it is.
"""

from __future__ import annotations

import torch


def trial_linear(h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``out[..., t, :] = h[..., t, :] @ w[t]ᵀ`` for ``h`` (..., T, I) and ``w`` (T, O, I): (..., T, O), contiguous."""
    return _TrialLinear.apply(h, w)


def _per_trial(x: torch.Tensor, w: torch.Tensor, shape: tuple) -> torch.Tensor:
    """``x`` (R, T, I) times ``w`` (T, I, O) per trial, written into a new tensor of ``shape`` (its rows
    (R, T, O); a tensor of its own, not a view, so a later layer may accumulate into it in place)."""
    out = x.new_empty(shape)
    torch.bmm(x.transpose(0, 1), w, out=out.view(x.size(0), x.size(1), w.size(2)).transpose(0, 1))
    return out


class _TrialLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, w):
        *lead, T, I = h.shape
        x = h.reshape(-1, T, I)
        ctx.save_for_backward(x, w)
        ctx.lead = lead
        return _per_trial(x, w.transpose(1, 2), (*lead, T, w.size(1)))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        T, O, I = w.shape
        g = g.reshape(-1, T, O)
        grad_h = _per_trial(g, w, (*ctx.lead, T, I)) if ctx.needs_input_grad[0] else None
        grad_w = torch.bmm(g.transpose(0, 1).transpose(1, 2), x.transpose(0, 1)) if ctx.needs_input_grad[1] else None
        return grad_h, grad_w
