"""What a batch of trials trains on: one graph, and its copies for every trial and view.

Every trial draws its own views (``draws.BatchedDraws``: the trial's generator, in the
order the single-run engines draw). The encoder then runs all trials × views in one pass over
disjoint copies of the graph (the union graph of ``FastInputs.stacked``, here with T·V copies):
propagation follows edges, which never cross copies, so that is the same as T·V separate passes.
Sparse features make the first layer one block-sparse product for every trial and view, each view's
column mask in the matrix's values (``block_features``); dense features take each view's mask into its
trial's weights, ``(X ⊙ keep) W = X (keep ⊙ W)``, so the features are shared by every trial.
"""

from __future__ import annotations

import torch

from ..engine.inputs import RunInputs
from ..engine.views import ViewSampler
from ..fast.propagation import CachedAdjacency, choose_kernel
from ..fast.sparse_features import sparse_features_wanted
from .block_features import BlockFeatures


class StackedInputs:
    """``trials`` copies × ``views`` per step; ``clean`` is the clean graph once per trial."""

    def __init__(self, inputs: RunInputs, conv: str, trials: int, first_out: int, *, views: int = 2,
                 propagation: str = "auto", sparse_features: str = "auto"):
        self.inputs, self.trials, self.views = inputs, trials, views
        self.sampler = ViewSampler(inputs)
        n, ei = inputs.num_nodes, inputs.edge_index
        self.sparse = None  # {views per trial: BlockFeatures}: the training views', and the clean graph's
        if sparse_features_wanted(inputs.x, first_out, sparse_features)[0]:
            self.sparse = {v: BlockFeatures(inputs.x, trials, v) for v in {views, 1}}

        if propagation == "auto" and inputs.device.type == "cuda":
            # T·V copies are a large graph: cuSPARSE's SpMM beats the gather kernel's E×F temporaries and
            # atomics (H200, 9 Cora trials × 2 views, hidden 256: 3.9 against 5.6 ms a step)
            propagation = "csr"

        def union(copies: int) -> CachedAdjacency:
            kernel = choose_kernel(copies * n, copies * ei.size(1), propagation)
            return CachedAdjacency(torch.cat([ei + k * n for k in range(copies)], 1), copies * n, conv,
                                   kernel=kernel)

        self.adj_train = union(trials * views)
        self.adj_clean = union(trials)
        self.clean_view = self.adj_clean.view(inputs.base_weight.repeat(trials)).materialize()

    def first_products(self, weights: list[torch.Tensor], keep: torch.Tensor | None, views: int) -> list[torch.Tensor]:
        """``(X ⊙ keep) Wᵀ`` for every trial and view, for each of ``weights`` (T, O, F) → (T, V, N, O).

        Without a feature mask a trial's views share one product (expanded, not copied)."""
        per = views if keep is not None else 1
        if self.sparse is not None:
            out = self.sparse[per].products(weights, keep)
        else:
            out = [self._dense_product(w, keep, per) for w in weights]
        return out if per == views else [o.expand(-1, views, -1, -1) for o in out]

    def _dense_product(self, w: torch.Tensor, keep: torch.Tensor | None, views: int) -> torch.Tensor:
        T, O, F = w.shape
        wm = w if keep is None else (w.unsqueeze(1) * keep.unsqueeze(2).to(w.dtype)).reshape(T * views, O, F)
        out = self.inputs.x @ wm.reshape(-1, F).t()
        return out.view(-1, T, views, O).permute(1, 2, 0, 3)
