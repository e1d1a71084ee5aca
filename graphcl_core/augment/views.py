"""Random views of a graph: drop some edges, blank some feature columns (GRACE's augmentations)."""

from __future__ import annotations

import torch


def undirected_pair_ids(edge_index: torch.Tensor, num_nodes: int) -> tuple[torch.Tensor, int]:
    """For each stored direction, the id of its unordered pair, so (u,v) and (v,u) drop together."""
    row, col = edge_index
    key = torch.minimum(row, col) * num_nodes + torch.maximum(row, col)
    uniq, inv = torch.unique(key, return_inverse=True)
    return inv, int(uniq.numel())


def drop_edge_mask(pair_id: torch.Tensor, num_pairs: int, p: float,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Float mask over stored edges: 1 keeps, 0 drops; both directions of an edge share the draw."""
    keep = (torch.rand(num_pairs, device=pair_id.device, generator=generator) >= p).to(torch.float32)
    return keep[pair_id]


def drop_edges(edge_index: torch.Tensor, p: float, num_nodes: int | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Keep each undirected edge with probability ``1-p``; returns the smaller ``edge_index``."""
    if p <= 0 or edge_index.numel() == 0:
        return edge_index
    n = num_nodes if num_nodes is not None else int(edge_index.max()) + 1
    pair_id, num_pairs = undirected_pair_ids(edge_index, n)
    return edge_index[:, drop_edge_mask(pair_id, num_pairs, p, generator).bool()]


def feature_keep_mask(num_features: int, p: float, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> torch.Tensor | None:
    """Boolean mask over feature columns, each kept with probability ``1-p``; None when ``p <= 0``."""
    if p <= 0:
        return None
    return torch.rand(num_features, device=device, generator=generator) >= p


def mask_features(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero each feature column with probability ``p`` (the same columns for every node)."""
    keep = feature_keep_mask(x.size(1), p, generator, x.device)
    return x if keep is None else x * keep.to(x.dtype)
