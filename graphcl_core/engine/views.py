"""Random views of the graph, drawn in one place for every engine.

A view drops edges (both directions of an edge together; a dropped edge keeps its slot with weight
0, so shapes stay fixed) and blanks feature columns (GRACE's two augmentations). ``ViewSampler.draw``
takes the random numbers from the run's generator in one fixed order, edges then features, and
returns a ``ViewDraw``. An engine then turns draws into encoder inputs:

- ``pyg_inputs``: ``(x, edge_index, edge_weight)`` for PyG layers;
- ``FastInputs.one``: features and a cached-adjacency view for the fast layers;
- ``FastInputs.stacked``: several draws as disjoint copies of the graph, for one encoder pass.

Whatever the engine, the same seed draws the same edges and columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..augment.views import drop_edge_mask, feature_keep_mask, undirected_pair_ids
from ..fast.propagation import AdjView, CachedAdjacency
from ..fast.sparse_features import SparseFeatures, SparseView
from .inputs import RunInputs


@dataclass
class ViewDraw:
    """One view: per-edge weights (0 = dropped) and the feature columns kept (None = all)."""

    weight: torch.Tensor
    keep: torch.Tensor | None
    dropped: bool  # whether edges were dropped at all (drop probability > 0)


class ViewSampler:
    """Draws views of one graph; ``clean()`` is the graph itself (for embeddings and pair losses)."""

    def __init__(self, inputs: RunInputs):
        self.inputs = inputs
        self.pair_id, self.num_pairs = undirected_pair_ids(inputs.edge_index, inputs.num_nodes)

    def draw(self, drop_edge_p: float, mask_feature_p: float, gen: torch.Generator) -> ViewDraw:
        w, dropped = self.inputs.base_weight, drop_edge_p > 0
        if dropped:
            w = w * drop_edge_mask(self.pair_id, self.num_pairs, drop_edge_p, gen)
        keep = feature_keep_mask(self.inputs.x.size(1), mask_feature_p, gen, self.inputs.device)
        return ViewDraw(w, keep, dropped)

    def clean(self) -> ViewDraw:
        return ViewDraw(self.inputs.base_weight, None, False)


def masked(x: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    return x if keep is None else x * keep.to(x.dtype)


def pyg_inputs(inputs: RunInputs, encoder: str, view: ViewDraw):
    """``(x, edge_index, edge_weight)`` of a view for PyG layers.

    Layers that take edge weights get 0 for dropped edges (static shapes, no host sync); GraphConv's
    weights are normalised symmetrically first (1/sqrt(d_u d_v)); the others get the kept edges.
    """
    ei, w = inputs.edge_index, view.weight
    x = masked(inputs.x, view.keep)
    if encoder == "graphconv":
        deg = torch.zeros(inputs.num_nodes, device=w.device).index_add_(0, ei[0], w)
        inv = deg.clamp(min=1e-12).rsqrt()
        return x, ei, w * inv[ei[0]] * inv[ei[1]]
    if encoder == "gcn":
        return x, ei, w
    if view.dropped:
        return x, ei[:, w > 0], None
    return x, ei, None


class FastInputs:
    """Encoder inputs over a cached adjacency, with features dense or sparse (CSR).

    ``stack`` > 1 also prepares ``stack`` disjoint copies of the graph (and of the sparse features),
    so that many views go through the encoder in one pass: every op is row-wise or follows the
    edges, which never cross copies, so that is the same as separate passes with half the kernels.
    """

    def __init__(self, inputs: RunInputs, adj: CachedAdjacency, sparse: bool, stack: int = 1):
        self.inputs = inputs
        self.adj = adj
        # built eagerly now, never first inside a graph capture (captured work does not run)
        self.clean_view = adj.view(inputs.base_weight).materialize()
        self.sparse = SparseFeatures(inputs.x) if sparse else None
        self.adj_stack = self.sparse_stack = None
        if stack > 1:
            n, ei = inputs.num_nodes, inputs.edge_index
            self.adj_stack = CachedAdjacency(torch.cat([ei + k * n for k in range(stack)], 1), stack * n,
                                             adj.conv, kernel=adj.kernel)
            self.sparse_stack = SparseFeatures(inputs.x, blocks=stack) if sparse else None

    def one(self, view: ViewDraw, dropout: float, training: bool) -> tuple[torch.Tensor | SparseView, AdjView]:
        """One view's features (sparse: input dropout on the nonzeros) and propagation."""
        adj = self.adj.view(view.weight) if view.dropped else self.clean_view
        if self.sparse is None:
            return masked(self.inputs.x, view.keep), adj
        return self.sparse.view(view.keep, dropout, training), adj

    def stacked(self, views: list[ViewDraw], dropout: float, training: bool):
        """Several views as disjoint copies: features and propagation of the union graph."""
        adj = self.adj_stack.view(torch.cat([v.weight for v in views]))
        if self.sparse_stack is None:
            return torch.cat([masked(self.inputs.x, v.keep) for v in views]), adj
        keep = None if views[0].keep is None else torch.stack([v.keep for v in views])
        return self.sparse_stack.view(keep, dropout, training), adj
