"""Which PyG layer each encoder name means, and whether it takes edge weights."""

from torch import nn
from torch_geometric.nn import GATConv, GCNConv, GINConv, GraphConv, SAGEConv


def make_conv(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    """One message-passing layer. ``graphconv`` is the layer of the method we grew from."""
    if kind == "graphconv":
        # Sum aggregation over edge weights that the model pre-normalises (1/sqrt(d_i d_j)):
        # GraphConv's separate root weight plus GCN-style propagation.
        return GraphConv(in_dim, out_dim, aggr="add")
    if kind == "gcn":
        return GCNConv(in_dim, out_dim, cached=False)
    if kind == "sage":
        return SAGEConv(in_dim, out_dim)
    if kind == "gat":
        heads = 4 if out_dim % 4 == 0 else 1
        return GATConv(in_dim, out_dim // heads, heads=heads)
    if kind == "gin":
        return GINConv(nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim)))
    raise ValueError(f"unknown encoder {kind!r}")


# Layers whose forward accepts a per-edge weight.
TAKES_EDGE_WEIGHT = {"graphconv", "gcn"}


def make_activation(name: str, dim: int) -> nn.Module:
    return {
        "prelu": lambda: nn.PReLU(dim),
        "relu": nn.ReLU,
        "elu": nn.ELU,
        "tanh": nn.Tanh,
        "leaky_relu": nn.LeakyReLU,
    }[name]()
