"""Synthetic labelled graphs of any size (planted partition by edge sampling), for scale benchmarks and tests.

No N×N matrix is ever built: each edge picks a random source, then (with probability
``p_intra``) a random node of the same class or (otherwise) any random node. Edges are made
undirected, self-loops dropped and duplicates removed; sampling repeats until exactly
``num_edges`` undirected edges remain. 1M nodes / 10M edges take a few seconds on a GPU
(``device="cuda"``) and some more on a CPU.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Data

from .graph import GraphBundle


def _sample_pairs(m: int, y: torch.Tensor, order: torch.Tensor, starts: torch.Tensor, counts: torch.Tensor,
                  p_intra: float, gen: torch.Generator) -> torch.Tensor:
    """``m`` canonical undirected keys ``min*N+max`` (self-loops removed, duplicates possible)."""
    n = y.numel()
    dev = y.device
    src = torch.randint(0, n, (m,), device=dev, generator=gen)
    c = y[src]
    r = torch.rand(m, device=dev, generator=gen)
    same = order[starts[c] + (r * counts[c]).long().clamp(max=counts[c] - 1)]
    anyn = torch.randint(0, n, (m,), device=dev, generator=gen)
    intra = torch.rand(m, device=dev, generator=gen) < p_intra
    dst = torch.where(intra, same, anyn)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    return torch.minimum(src, dst) * n + torch.maximum(src, dst)


def synthetic_graph(num_nodes: int, num_edges: int, *, num_classes: int = 8, feat_dim: int = 64,
                    p_intra: float = 0.8, seed: int = 0, device: str | torch.device = "cpu",
                    signal: float = 1.0) -> GraphBundle:
    """A planted-partition-like labelled graph with ``num_edges`` undirected edges (``2*num_edges`` stored).

    Features are noisy class means: ``x = signal * mean[y] + N(0, 1)``. The result follows the
    :class:`GraphBundle` contract: ``edge_index`` holds both directions, sorted by (row, col),
    with no duplicates and no self-loops; tensors live on ``device``.
    """
    n, e = int(num_nodes), int(num_edges)
    if n < 2:
        raise ValueError("a synthetic graph needs at least 2 nodes")
    if e < 0 or e > n * (n - 1) // 2:
        raise ValueError(f"{e} edges do not fit a simple graph on {n} nodes")
    if not 1 <= num_classes <= n:
        raise ValueError(f"num_classes must be between 1 and the number of nodes (got {num_classes})")
    if not 0.0 <= p_intra <= 1.0:
        raise ValueError(f"p_intra must be a probability (got {p_intra})")
    dev = torch.device(device)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    # balanced classes in random order
    y = torch.arange(n, device=dev) % num_classes
    y = y[torch.randperm(n, device=dev, generator=gen)]
    order = torch.argsort(y)
    counts = torch.bincount(y, minlength=num_classes)
    starts = torch.cumsum(counts, 0) - counts

    keys = torch.empty(0, dtype=torch.long, device=dev)
    for _ in range(64):
        missing = e - keys.numel()
        if missing <= 0:
            break
        extra = int(missing * 1.05) + 16
        keys = torch.unique(torch.cat([keys, _sample_pairs(extra, y, order, starts, counts, p_intra, gen)]))
    else:  # very dense request: fill up with uniform pairs until enough
        while keys.numel() < e:
            keys = torch.unique(torch.cat([keys, _sample_pairs(4 * e + 16, y, order, starts, counts, 0.0, gen)]))
    if keys.numel() > e:
        keys = keys[torch.randperm(keys.numel(), device=dev, generator=gen)[:e]]
    u, v = keys // n, keys % n
    both = torch.sort(torch.cat([u * n + v, v * n + u])).values
    edge_index = torch.stack([both // n, both % n])

    means = torch.randn(num_classes, feat_dim, device=dev, generator=gen)
    x = signal * means[y] + torch.randn(n, feat_dim, device=dev, generator=gen)
    data = Data(x=x, edge_index=edge_index, y=y, num_nodes=n)
    name = f"synthetic-{_short(n)}-{_short(e)}"
    return GraphBundle(
        data, name, [str(i) for i in range(n)], "synthetic",
        description=(f"Synthetic planted-partition graph: {n:,} nodes in {num_classes} classes, {e:,} undirected "
                     f"edges ({p_intra:.0%} drawn inside a class), {feat_dim} noisy class-mean features."),
        label_names=[f"class {c}" for c in range(num_classes)],
        feature_source="synthetic")


def _short(k: int) -> str:
    for div, suf in ((1_000_000, "M"), (1_000, "k")):
        if k >= div and k % div == 0:
            return f"{k // div}{suf}"
    return str(k)
