"""``EagerEngine``: the reference step, plain PyTorch and PyG message passing, any encoder."""

from __future__ import annotations

import torch

from .base import StepEngine
from .views import pyg_inputs


class EagerEngine(StepEngine):
    """Each view goes through the PyG layers (``model(x, edge_index, edge_weight)``), one after the other."""

    name = "eager"

    def _encode(self, view) -> torch.Tensor:
        return self.model(*pyg_inputs(self.inputs, self.cfg.encoder, view))

    def encode_views(self) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.cfg
        za = self._encode(self.views.draw(cfg.drop_edge_p, cfg.mask_feature_p, self.gen))
        zb = self._encode(self.views.draw(cfg.drop_edge_p, cfg.mask_feature_p, self.gen))
        return za, zb

    def encode_clean(self) -> torch.Tensor:
        return self._encode(self.views.clean())

    def embeddings(self) -> torch.Tensor:
        self.model.eval()
        return self.model.embed(*pyg_inputs(self.inputs, self.cfg.encoder, self.views.clean()))
