"""``generate_pairs``: similar (y=1) and dissimilar (y=0) node pairs for the contrastive losses."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .negatives import is_edge, sample_negatives

# One sentence each, shown in the app next to the choice.
PAIR_EXPLANATIONS = {
    "views": "Each step makes two randomly damaged copies of the graph (some edges dropped, some feature "
             "columns blanked); a node is similar to itself in the other copy and dissimilar to random other nodes.",
    "edges": "Two nodes joined by an edge are similar; a node and randomly drawn nodes are dissimilar.",
    "labels": "Two nodes with the same known label are similar; nodes with different labels are dissimilar "
              "(this uses the labels, so it is supervised).",
}


@dataclass
class PairSet:
    """Pairs as index tensors: compare ``z_a[src]`` with ``z_b[dst]``; ``y`` is 1.0 (similar) or 0.0.

    ``cross_view`` says whether ``z_a``/``z_b`` are two different views (strategy ``views``) or the
    same embedding. ``num_positive`` pairs come first, then the negatives.
    """

    src: torch.Tensor
    dst: torch.Tensor
    y: torch.Tensor
    cross_view: bool
    num_positive: int

    def __len__(self) -> int:
        return int(self.src.numel())


def _with_negatives(pos_src: torch.Tensor, pos_dst: torch.Tensor, num_nodes: int, k: int, *, cross_view: bool,
                    weights, generator, edge_keys) -> PairSet:
    neg_src, neg_dst = sample_negatives(pos_src, num_nodes, k, weights=weights, generator=generator)
    if edge_keys is not None:
        # Redraw once the negatives that hit a true edge (or the node itself): sync-free, and the
        # rare second hit is harmless.
        _, redraw = sample_negatives(pos_src, num_nodes, k, weights=weights, generator=generator)
        neg_dst = torch.where(is_edge(neg_src, neg_dst, edge_keys, num_nodes), redraw, neg_dst)
    src = torch.cat([pos_src, neg_src])
    dst = torch.cat([pos_dst, neg_dst])
    y = torch.cat([torch.ones(pos_src.numel(), device=src.device), torch.zeros(neg_src.numel(), device=src.device)])
    return PairSet(src, dst, y, cross_view, int(pos_src.numel()))


def edge_keys_of(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Sorted ``u*N+v`` keys of all stored edges, for fast "is this a true edge?" look-ups."""
    return torch.sort(edge_index[0] * num_nodes + edge_index[1]).values


def generate_pairs(strategy: str, num_nodes: int, *, edge_index: torch.Tensor | None = None,
                   y: torch.Tensor | None = None, negatives: int = 5, sampling: str = "uniform",
                   exclude_true_edges: bool = True, max_positives: int | None = None,
                   generator: torch.Generator | None = None, edge_keys: torch.Tensor | None = None,
                   device: torch.device | str | None = None) -> PairSet:
    """Draw one batch of pairs.

    - ``views``: node ``i`` in view 1 with node ``i`` in view 2 (similar), with ``negatives``
      random nodes of view 2 (dissimilar).
    - ``edges``: each edge ``(u, v)`` similar; ``u`` with ``negatives`` random nodes dissimilar.
      With ``exclude_true_edges`` a random node that is in fact a neighbour is redrawn.
    - ``labels``: each labelled node with a random node of the same label (similar), and with
      random nodes, similar only if they share the label.

    ``sampling="degree"`` draws negatives in proportion to degree^0.75 (needs ``edge_index``).
    ``max_positives`` caps the positives per step (for large graphs).
    """
    dev = device if device is not None else (edge_index.device if edge_index is not None else "cpu")
    weights = None
    if sampling == "degree":
        if edge_index is None:
            raise ValueError("degree-weighted negatives need edge_index")
        deg = torch.bincount(edge_index[0], minlength=num_nodes).to(torch.float32)
        weights = (deg + 1.0).pow(0.75)
    if exclude_true_edges and edge_index is not None and edge_keys is None:
        edge_keys = edge_keys_of(edge_index, num_nodes)
    if not exclude_true_edges:
        edge_keys = None

    def cap(idx: torch.Tensor) -> torch.Tensor:
        if max_positives is not None and idx.numel() > max_positives:
            pick = torch.randint(0, idx.numel(), (max_positives,), device=idx.device, generator=generator)
            return idx[pick]
        return idx

    if strategy == "views":
        anchors = cap(torch.arange(num_nodes, device=dev))
        # In the views strategy the only "true" partner is the node itself.
        keys = torch.empty(0, dtype=torch.long, device=dev) if exclude_true_edges else None
        return _with_negatives(anchors, anchors, num_nodes, negatives, cross_view=True, weights=weights,
                               generator=generator, edge_keys=keys)
    if strategy == "edges":
        if edge_index is None or edge_index.numel() == 0:
            raise ValueError("the 'edges' strategy needs a graph with edges")
        e = cap(torch.arange(edge_index.size(1), device=dev))
        return _with_negatives(edge_index[0, e], edge_index[1, e], num_nodes, negatives, cross_view=False,
                               weights=weights, generator=generator, edge_keys=edge_keys)
    if strategy == "labels":
        if y is None or not bool((y >= 0).any()):
            raise ValueError("the 'labels' strategy needs node labels")
        labelled = cap(torch.nonzero(y >= 0).flatten())
        lab = y[labelled]
        order = torch.argsort(lab)
        sorted_nodes, sorted_lab = labelled[order], lab[order]
        counts = torch.bincount(sorted_lab)
        starts = torch.cumsum(counts, 0) - counts
        r = torch.rand(labelled.numel(), device=dev, generator=generator)
        partner = sorted_nodes[starts[lab] + (r * counts[lab]).long().clamp(max=counts[lab] - 1)]
        ps = _with_negatives(labelled, partner, num_nodes, negatives, cross_view=False, weights=weights,
                             generator=generator, edge_keys=None)
        neg = slice(ps.num_positive, None)
        ps.y[neg] = (y[ps.src[neg]] == y[ps.dst[neg]]).to(ps.y.dtype)
        return ps
    raise ValueError(f"unknown pair strategy {strategy!r}")
