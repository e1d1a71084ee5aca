"""The margin contrastive loss of the method GraphCL Studio grew from."""

import torch


def margin_contrastive_loss(x1: torch.Tensor, x2: torch.Tensor, y: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r"""Mean over pairs of ``y*d + (1-y)*clamp(margin - d, min=0)``.

    ``d = ||x1 - x2||²`` is the *squared* Euclidean distance of each row pair, ``y`` is 1 for a
    similar pair and 0 for a dissimilar one. Similar pairs are pulled together (their loss is
    their distance); dissimilar pairs are pushed apart only while they are closer than
    ``margin`` (in squared-distance units).

    .. math:: L = \frac1P\sum_p y_p d_p + (1-y_p)\max(0, m - d_p)
    """
    d = (x1 - x2).pow(2).sum(dim=-1)
    y = y.to(d.dtype)
    return (y * d + (1 - y) * torch.clamp(margin - d, min=0)).mean()
