"""Random negatives: nodes drawn uniformly or in proportion to their degree."""

from __future__ import annotations

import torch


def sample_negatives(anchors: torch.Tensor, num_nodes: int, k: int, *, weights: torch.Tensor | None = None,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``k`` negatives per anchor: returns ``(anchor_idx, negative_idx)`` of length ``len(anchors)*k``.

    ``weights`` (e.g. degree**0.75, as in word2vec) switches from uniform to weighted sampling.
    """
    src = anchors.repeat_interleave(k)
    if weights is None:
        dst = torch.randint(0, num_nodes, (src.numel(),), device=anchors.device, generator=generator)
    else:
        dst = torch.multinomial(weights, src.numel(), replacement=True, generator=generator)
    return src, dst


def is_edge(src: torch.Tensor, dst: torch.Tensor, edge_keys: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Boolean mask: which ``(src, dst)`` are true edges (or the same node). ``edge_keys`` is sorted ``u*N+v``."""
    key = src * num_nodes + dst
    pos = torch.searchsorted(edge_keys, key).clamp(max=max(edge_keys.numel() - 1, 0))
    hit = edge_keys[pos] == key if edge_keys.numel() else torch.zeros_like(key, dtype=torch.bool)
    return hit | (src == dst)
