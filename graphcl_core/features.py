"""Feature preprocessing applied before training (the loaders keep features as given)."""

from __future__ import annotations

import torch


def prepare_features(x: torch.Tensor, mode: str = "auto") -> torch.Tensor:
    """Normalise node features.

    ``row``: divide each row by its sum (bag-of-words features such as Planetoid's; GRACE does
    this). ``standard``: zero mean, unit variance per column. ``auto``: ``row`` when all features
    are non-negative, else ``standard``. ``none``: as given.
    """
    x = x.to(torch.float32)
    if mode == "auto":
        mode = "row" if bool((x >= 0).all()) else "standard"
    if mode == "row":
        s = x.sum(dim=1, keepdim=True)
        return x / torch.where(s > 0, s, torch.ones_like(s))
    if mode == "standard":
        std = x.std(dim=0, keepdim=True, unbiased=False)
        return (x - x.mean(dim=0, keepdim=True)) / torch.where(std > 0, std, torch.ones_like(std))
    return x
