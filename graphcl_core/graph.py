"""The one result type every loader returns: a PyG ``Data`` plus what a person needs to read it."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch_geometric.data import Data


@dataclass
class GraphBundle:
    """A loaded graph.

    ``data`` always has ``x`` (float32, N×F), ``edge_index`` (long, 2×E, undirected: both
    directions stored, no self-loops, no duplicates) and optionally ``edge_weight`` (float32, E)
    and ``y`` (long, N; -1 marks a node without a label). Planetoid graphs also carry
    ``train_mask``/``val_mask``/``test_mask`` (the public split).
    """

    data: Data
    name: str
    node_names: list[str]
    source: str
    description: str = ""
    label_names: list[str] | None = None
    feature_source: str = "given"
    notes: list[str] = field(default_factory=list)

    @property
    def num_nodes(self) -> int:
        return int(self.data.num_nodes)

    @property
    def num_edges(self) -> int:
        """Undirected edges (each stored twice in ``edge_index``)."""
        return int(self.data.edge_index.size(1) // 2)

    @property
    def num_features(self) -> int:
        return int(self.data.x.size(1))

    @property
    def has_labels(self) -> bool:
        y = getattr(self.data, "y", None)
        return y is not None and bool((y >= 0).any())

    @property
    def num_classes(self) -> int:
        if not self.has_labels:
            return 0
        return int(self.data.y.max().item()) + 1

    def degrees(self) -> torch.Tensor:
        from torch_geometric.utils import degree

        return degree(self.data.edge_index[0], self.num_nodes, dtype=torch.long)

    def label_of(self, i: int) -> str:
        """Readable label of node ``i`` ("" when unlabelled). For every node use ``label_texts()``."""
        y = getattr(self.data, "y", None)
        return "" if y is None else self._label_text(int(y[i]))

    def label_texts(self) -> list[str]:
        """``label_of(i)`` of every node, in one pass (asking node by node is quadratic: each ``has_labels``
        scans all labels; it cost 0.1 s per Train page redraw and per run start on Cora)."""
        y = getattr(self.data, "y", None)
        if y is None:
            return [""] * self.num_nodes
        return [self._label_text(c) for c in y.view(-1).tolist()]

    def _label_text(self, c: int) -> str:
        if c < 0:
            return ""
        if self.label_names and c < len(self.label_names):
            return self.label_names[c]
        return str(c)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "source": self.source,
            "nodes": self.num_nodes,
            "edges": self.num_edges,
            "features": self.num_features,
            "feature_source": self.feature_source,
            "classes": self.num_classes,
            "weighted": getattr(self.data, "edge_weight", None) is not None,
            "notes": list(self.notes),
        }
