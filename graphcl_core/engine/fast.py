"""``FastEngine``: GraphConv/GCN over a cached, normalised adjacency, sparse features, views in one pass.

Same parameters and, on the CPU, the same numbers as ``EagerEngine`` within float tolerance
(``tests/test_speed_paths.py``): the structure is prepared once (``fast.propagation``), each view
only computes its edge values. With ``stack_views`` both views go through the encoder in one pass
over two disjoint copies of the graph: the same views from the same draws (edges 1, features 1,
edges 2, features 2), only dropout takes its numbers in another order, so it is used where the
step is launch-bound (the CUDA-graph path), not where CPU results must match the reference draw by draw.
"""

from __future__ import annotations

import torch

from ..config import TrainConfig
from ..fast.graphed_step import tf32
from .base import StepEngine
from .inputs import RunInputs
from .views import FastInputs


class FastEngine(StepEngine):
    """Runs the encoder with ``adj=`` views (``model(x, None, None, adj=view)``)."""

    name = "fast"

    def __init__(self, cfg: TrainConfig, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 inputs: RunInputs, gen: torch.Generator, *, fast_inputs: FastInputs, stack_views: bool = False,
                 fast_infonce: bool = True, tf32: bool = False):
        super().__init__(cfg, model, optimizer, inputs, gen, fast_ops=True, fast_infonce=fast_infonce, tf32=tf32)
        self.fast_inputs = fast_inputs
        self.stack_views = stack_views

    def _draw(self):
        return self.views.draw(self.cfg.drop_edge_p, self.cfg.mask_feature_p, self.gen)

    def _encode(self, x, adj) -> torch.Tensor:
        return self.model(x, None, None, adj=adj)

    def encode_views(self) -> tuple[torch.Tensor, torch.Tensor]:
        fi, p, training = self.fast_inputs, self.cfg.dropout, self.model.training
        if self.stack_views:
            z = self._encode(*fi.stacked([self._draw(), self._draw()], p, training))
            n = self.inputs.num_nodes
            return z[:n], z[n:]
        za = self._encode(*fi.one(self._draw(), p, training))
        zb = self._encode(*fi.one(self._draw(), p, training))
        return za, zb

    def encode_clean(self) -> torch.Tensor:
        return self._encode(*self.fast_inputs.one(self.views.clean(), self.cfg.dropout, self.model.training))

    def embeddings(self) -> torch.Tensor:
        self.model.eval()  # no dropout, nothing masked
        x, adj = self.fast_inputs.one(self.views.clean(), self.cfg.dropout, False)
        with tf32(self.tf32):
            return self.model.embed(x, None, None, adj=adj)
