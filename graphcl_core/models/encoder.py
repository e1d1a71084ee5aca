"""``GNNEncoder``: a stack of message-passing layers that maps node features to embeddings."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .convs import TAKES_EDGE_WEIGHT, make_activation, make_conv


class GNNEncoder(nn.Module):
    """``layers`` convolutions of kind ``conv`` (in → hidden → … → out), activation between them.

    The last layer also gets the activation (as in GRACE/DGI), which keeps embeddings in the
    range a margin makes sense for once they are L2-normalised by the model.
    """

    def __init__(self, in_dim: int, hidden: int, out_dim: int, *, layers: int = 2, conv: str = "graphconv",
                 activation: str = "prelu", dropout: float = 0.0):
        super().__init__()
        dims = [in_dim] + [hidden] * (layers - 1) + [out_dim]
        self.convs = nn.ModuleList(make_conv(conv, a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.acts = nn.ModuleList(make_activation(activation, b) for b in dims[1:])
        self.dropout = dropout
        self.uses_edge_weight = conv in TAKES_EDGE_WEIGHT
        self.conv_kind = conv

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor | None, edge_weight: torch.Tensor | None = None,
                adj=None) -> torch.Tensor:
        """``adj`` (a :class:`graphcl_core.fast.propagation.AdjView`) switches GraphConv/GCN to the fast
        cached-adjacency propagation with the same parameters; ``edge_index``/``edge_weight`` are then unused."""
        if adj is not None:
            from ..fast.propagation import conv_forward

            for conv, act in zip(self.convs, self.acts):
                if isinstance(x, torch.Tensor):  # a SparseView input comes with its dropout applied
                    x = F.dropout(x, self.dropout, self.training)
                x = act(conv_forward(self.conv_kind, conv, x, adj))
            return x
        for conv, act in zip(self.convs, self.acts):
            x = F.dropout(x, self.dropout, self.training)
            x = conv(x, edge_index, edge_weight) if self.uses_edge_weight else conv(x, edge_index)
            x = act(x)
        return x
