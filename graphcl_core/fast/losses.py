"""A cheaper, numerically equivalent GRACE InfoNCE: three N×N products instead of four, in log space."""

from __future__ import annotations

import torch

from ..losses.safe_normalize import safe_normalize


def infonce_fast(z1: torch.Tensor, z2: torch.Tensor, tau: float = 0.5, *, max_nodes: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Same value as :func:`graphcl_core.losses.infonce_loss` (same subsampling draw).

    ``between(z2, z1)`` is ``between(z1, z2)ᵀ``, so its row sums are the column sums of the one
    product; ``-log(e^{s_ii} / d_i) = -s_ii + log d_i`` avoids the division.
    """
    z1 = safe_normalize(z1)
    z2 = safe_normalize(z2)
    if max_nodes is not None and z1.size(0) > max_nodes:
        idx = torch.randperm(z1.size(0), device=z1.device, generator=generator)[:max_nodes]
        z1, z2 = z1[idx], z2[idx]
    inv_tau = 1.0 / tau
    s12 = (z1 @ z2.t()) * inv_tau
    e12 = torch.exp(s12)
    e11 = torch.exp((z1 @ z1.t()) * inv_tau)
    e22 = torch.exp((z2 @ z2.t()) * inv_tau)
    pos = torch.diagonal(s12)
    l1 = torch.log(e11.sum(1) + e12.sum(1) - torch.diagonal(e11)) - pos
    l2 = torch.log(e22.sum(1) + e12.sum(0) - torch.diagonal(e22)) - pos
    return 0.5 * (l1 + l2).mean()
