"""The standard contrastive loss of Hadsell, Chopra & LeCun (2006)."""

import torch


def hadsell_contrastive_loss(x1: torch.Tensor, x2: torch.Tensor, y: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r"""Mean over pairs of ``y*D² + (1-y)*max(0, margin - D)²`` with ``D = ||x1 - x2||`` (not squared).

    Unlike :func:`margin_contrastive_loss`, the margin is in plain distance units and dissimilar
    pairs feel a push that fades smoothly as they reach the margin.

    .. math:: L = \frac1P\sum_p y_p D_p^2 + (1-y_p)\max(0, m - D_p)^2
    """
    d2 = (x1 - x2).pow(2).sum(dim=-1)
    # sqrt has an infinite gradient at 0: a tiny epsilon keeps identical negatives trainable.
    dist = torch.sqrt(d2 + 1e-12)
    y = y.to(d2.dtype)
    return (y * d2 + (1 - y) * torch.clamp(margin - dist, min=0).pow(2)).mean()
