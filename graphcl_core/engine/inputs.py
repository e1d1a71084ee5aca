"""What every engine trains on: one graph's tensors on the run's device, prepared once."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch

from ..augment.pairs import edge_keys_of
from ..config import TrainConfig
from ..features import prepare_features
from ..graph import GraphBundle

# torch.manual_seed is process-wide: hold this while seeding and drawing from the global generator
# (model creation), so two runs started at once by two browser tabs each get their own seed's weights.
SEED_LOCK = threading.Lock()


@dataclass
class RunInputs:
    """Features, edges and labels of one graph on one device (never changed by training)."""

    x: torch.Tensor  # (N, F) node features after ``cfg.feature_norm``
    edge_index: torch.Tensor  # (2, E) stored directed edges, source row first
    base_weight: torch.Tensor  # (E,) edge weights (ones for an unweighted graph)
    y: torch.Tensor | None  # (N,) labels, None when the graph has none
    edge_keys: torch.Tensor  # sorted ``u * N + v`` of every stored edge (pairs exclude true edges)
    num_nodes: int
    device: torch.device

    @classmethod
    def from_bundle(cls, bundle: GraphBundle, cfg: TrainConfig, device: torch.device) -> "RunInputs":
        data, n = bundle.data, bundle.num_nodes
        edge_index = data.edge_index.to(device)
        ew = getattr(data, "edge_weight", None)
        weight = ew.to(torch.float32) if ew is not None else torch.ones(edge_index.size(1))
        return cls(x=prepare_features(data.x, cfg.feature_norm).to(device), edge_index=edge_index,
                   base_weight=weight.to(device), y=data.y.to(device) if bundle.has_labels else None,
                   edge_keys=edge_keys_of(edge_index, n), num_nodes=n, device=device)
