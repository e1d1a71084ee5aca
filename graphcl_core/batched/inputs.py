"""What a batch of trials trains on: one graph, and its copies for every trial and view.

Every trial draws its own views (``draws.BatchedDraws``: the trial's generator, in the
order the single-run engines draw). The encoder then runs all trials × views in one pass over
disjoint copies of the graph (the union graph of ``FastInputs.stacked``, here with T·V copies):
propagation follows edges, which never cross copies, so that is the same as T·V separate passes.
The first layer's product ``(X ⊙ keep) W = X (keep ⊙ W)`` takes each view's column mask into its
trial's weights, so the features are shared by every trial (sparse CSR when they are sparse).
"""

from __future__ import annotations

import torch

from ..engine.inputs import RunInputs
from ..engine.views import ViewSampler
from ..fast.propagation import CachedAdjacency, choose_kernel
from ..fast.sparse_features import SparseFeatures, sparse_features_wanted


class StackedInputs:
    """``trials`` copies × ``views`` per step; ``clean`` is the clean graph once per trial."""

    def __init__(self, inputs: RunInputs, conv: str, trials: int, first_out: int, *, views: int = 2,
                 propagation: str = "auto", sparse_features: str = "auto"):
        self.inputs, self.trials, self.views = inputs, trials, views
        self.sampler = ViewSampler(inputs)
        n, ei = inputs.num_nodes, inputs.edge_index
        self.sparse = None
        if sparse_features_wanted(inputs.x, first_out, sparse_features)[0]:
            self.sparse = SparseFeatures(inputs.x)

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

    def first_product(self, w: torch.Tensor, keep: torch.Tensor | None, views: int) -> torch.Tensor:
        """``X (keep ⊙ W)ᵀ`` for every trial and view: ``w`` (T, O, F) → (T, V, N, O)."""
        T, O, F = w.shape
        n = self.inputs.num_nodes
        if keep is None:
            wm, v = w, 1  # one product per trial, shared by its views
        else:
            wm, v = (w.unsqueeze(1) * keep.unsqueeze(2).to(w.dtype)).reshape(T * views, O, F), views
        flat = wm.reshape(-1, F)
        out = self.sparse.view().linear(flat) if self.sparse is not None else self.inputs.x @ flat.t()
        out = out.view(n, T, v, O).permute(1, 2, 0, 3)
        return out if v == views else out.expand(T, views, n, O)
