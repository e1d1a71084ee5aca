"""``ContrastiveModel``: encoder (+ optional projection head), and the factory from a ``TrainConfig``."""

from __future__ import annotations

import torch
from torch import nn

from ..config import TrainConfig
from ..losses.safe_normalize import safe_normalize
from .encoder import GNNEncoder
from .projection_head import ProjectionHead


class ContrastiveModel(nn.Module):
    """``embed`` gives the node embeddings users look at; ``project`` what the loss compares.

    With ``normalize`` the compared vectors are L2-normalised, so squared distances lie in
    [0, 4] and a margin around 1 means "cosine similarity below 0.5".
    """

    def __init__(self, encoder: GNNEncoder, head: ProjectionHead | None, normalize: bool):
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.normalize = normalize

    def embed(self, x, edge_index, edge_weight=None, adj=None) -> torch.Tensor:
        return self.encoder(x, edge_index, edge_weight, adj=adj)

    def project(self, h: torch.Tensor) -> torch.Tensor:
        z = self.head(h) if self.head is not None else h
        return safe_normalize(z) if self.normalize else z

    def forward(self, x, edge_index, edge_weight=None, adj=None) -> torch.Tensor:
        """``adj``: a fast-propagation view (see ``GNNEncoder.forward``)."""
        return self.project(self.embed(x, edge_index, edge_weight, adj=adj))


def build_model(cfg: TrainConfig, in_dim: int) -> ContrastiveModel:
    enc = GNNEncoder(in_dim, cfg.hidden, cfg.embedding_dim, layers=cfg.layers, conv=cfg.encoder,
                     activation=cfg.activation, dropout=cfg.dropout)
    head = ProjectionHead(cfg.embedding_dim) if cfg.projection_head else None
    return ContrastiveModel(enc, head, cfg.normalize)
