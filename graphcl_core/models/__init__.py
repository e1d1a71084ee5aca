"""Encoders that turn a graph into node embeddings (one model a file, as in PyG's nn/models)."""

from .encoder import GNNEncoder
from .contrastive_model import ContrastiveModel, build_model
from .projection_head import ProjectionHead

__all__ = ["GNNEncoder", "ProjectionHead", "ContrastiveModel", "build_model"]
