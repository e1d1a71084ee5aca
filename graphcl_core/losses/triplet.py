"""Triplet margin loss: an anchor must be closer to its positive than to its negative by a margin."""

import torch


def triplet_margin_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
                        margin: float = 1.0) -> torch.Tensor:
    r"""Mean over triplets of ``max(0, ||a - p||² - ||a - n||² + margin)`` (squared Euclidean).

    ``negative`` may hold several negatives per anchor, shaped ``(N, K, D)``; each anchor/negative
    pair then forms its own triplet.

    .. math:: L = \frac1T\sum_t \max(0, d(a_t, p_t) - d(a_t, n_t) + m)
    """
    d_pos = (anchor - positive).pow(2).sum(dim=-1)
    if negative.dim() == anchor.dim() + 1:
        d_neg = (anchor.unsqueeze(1) - negative).pow(2).sum(dim=-1)
        d_pos = d_pos.unsqueeze(1)
    else:
        d_neg = (anchor - negative).pow(2).sum(dim=-1)
    return torch.clamp(d_pos - d_neg + margin, min=0).mean()
