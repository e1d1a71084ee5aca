"""GRACE, re-implemented as the reference row of ``bench/quality.py`` (pure PyTorch + PyG ``GCNConv``).

Zhu, Xu, Yu, Liu, Wu, Wang: "Deep Graph Contrastive Representation Learning" (GRACE), ICML GRL+
workshop 2020, arXiv:2006.04131. Two views of the graph, each with edges dropped (each stored direction
independently, probability p_e) and feature columns masked (probability p_f); a 2-layer GCN encoder f
(in -> 2·out -> out, the activation after both layers); a projection head g (Linear, ELU, Linear);
for node i with u_i = g(f(view 1))_i, v_i = g(f(view 2))_i and θ = cosine similarity / τ,

    ℓ(u_i, v_i) = -log  e^{θ(u_i,v_i)} / ( e^{θ(u_i,v_i)} + Σ_{k≠i} e^{θ(u_i,v_k)} + Σ_{k≠i} e^{θ(u_i,u_k)} )
    J = 1/(2N) Σ_i [ ℓ(u_i, v_i) + ℓ(v_i, u_i) ]

(the other view's nodes are inter-view negatives, the same view's other nodes intra-view negatives).
Features are row-normalised first, as GRACE's data loading does. The embeddings scored are f's output
on the clean graph, with the same probe protocol as every other row (``bench/common.score``).

``PUBLISHED`` holds the settings of GRACE's ``config.yaml`` (github.com/CRIPAC-DIG/GRACE) for Cora and
CiteSeer; the paper's own seeds are not used: each run is seeded like the other rows of quality.py.

    python bench/grace_reference.py [--graphs Cora,CiteSeer] [--seeds 0,1,2,3,4] [--device auto]
        [--protocol report|validation] [--jobs 1] [--epochs N]      # = quality.py --recipes grace-reference
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class GraceSettings:
    """One column of GRACE's config.yaml (names as there)."""

    learning_rate: float
    num_hidden: int  # encoder output width; its hidden layer is twice this
    num_proj_hidden: int
    activation: str  # "relu" or "prelu"
    drop_edge_rate: tuple[float, float]  # view 1, view 2
    drop_feature_rate: tuple[float, float]
    tau: float
    num_epochs: int
    weight_decay: float


PUBLISHED = {
    "Cora": GraceSettings(5e-4, 128, 128, "relu", (0.2, 0.4), (0.3, 0.4), 0.4, 200, 1e-5),
    "CiteSeer": GraceSettings(1e-3, 256, 256, "prelu", (0.2, 0.0), (0.3, 0.2), 0.9, 200, 1e-5),
}


class GraceEncoder(nn.Module):
    """Two ``GCNConv`` layers, in -> 2·out -> out, the activation after each (one PReLU shared, as in GRACE)."""

    def __init__(self, in_dim: int, out_dim: int, activation: str):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.convs = nn.ModuleList([GCNConv(in_dim, 2 * out_dim), GCNConv(2 * out_dim, out_dim)])
        self.act = nn.PReLU() if activation == "prelu" else nn.ReLU()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = self.act(conv(x, edge_index))
        return x


class Grace(nn.Module):
    """Encoder, projection head and GRACE's symmetric NT-Xent loss (see the module docstring)."""

    def __init__(self, in_dim: int, s: GraceSettings):
        super().__init__()
        self.encoder = GraceEncoder(in_dim, s.num_hidden, s.activation)
        self.fc1 = nn.Linear(s.num_hidden, s.num_proj_hidden)
        self.fc2 = nn.Linear(s.num_proj_hidden, s.num_hidden)
        self.tau = s.tau

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.encoder(x, edge_index)

    def project(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.elu(self.fc1(z)))

    def _semi_loss(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """ℓ(u_i, v_i) for every i (u, v already L2-normalised)."""
        intra = torch.exp(u @ u.t() / self.tau)
        inter = torch.exp(u @ v.t() / self.tau)
        return -torch.log(inter.diagonal() / (intra.sum(1) + inter.sum(1) - intra.diagonal()))

    def loss(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        u, v = F.normalize(self.project(z1), dim=1), F.normalize(self.project(z2), dim=1)
        return 0.5 * (self._semi_loss(u, v) + self._semi_loss(v, u)).mean()


def drop_edges(edge_index: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Keep each stored (directed) edge with probability 1 - p."""
    keep = torch.rand(edge_index.size(1), generator=gen, device=edge_index.device) >= p
    return edge_index[:, keep]


def mask_features(x: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Zero each feature column with probability p (the same columns for every node)."""
    keep = torch.rand(x.size(1), generator=gen, device=x.device) >= p
    return x * keep.to(x.dtype)


def train(bundle, *, seed: int = 0, device: str = "auto", epochs: int | None = None,
          settings: GraceSettings | None = None) -> tuple[torch.Tensor, dict]:
    """Train GRACE on ``bundle`` (settings: ``PUBLISHED[bundle.name]`` unless given); return
    (encoder output on the clean graph, on the CPU; facts of the run) like ``common.train_embeddings``."""
    s = settings or PUBLISHED[bundle.name]
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    x = bundle.data.x.float()
    x = (x / x.sum(1, keepdim=True).clamp(min=1e-12)).to(dev)  # GRACE's NormalizeFeatures
    edge_index = bundle.data.edge_index.to(dev)
    torch.manual_seed(seed)
    gen = torch.Generator(device=dev).manual_seed(seed)
    model = Grace(x.size(1), s).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)
    n_epochs = s.num_epochs if epochs is None else int(epochs)
    t0 = time.perf_counter()
    model.train()
    for _ in range(n_epochs):
        opt.zero_grad()
        z1 = model(mask_features(x, s.drop_feature_rate[0], gen), drop_edges(edge_index, s.drop_edge_rate[0], gen))
        z2 = model(mask_features(x, s.drop_feature_rate[1], gen), drop_edges(edge_index, s.drop_edge_rate[1], gen))
        loss = model.loss(z1, z2)
        loss.backward()
        opt.step()
    final_loss = float(loss.item())
    seconds = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        emb = model(x, edge_index).float().cpu()
    return emb, {"device": str(dev), "train_seconds": round(seconds, 2), "final_loss": round(final_loss, 4),
                 "epochs": n_epochs}


if __name__ == "__main__":
    import quality

    sys.exit(quality.main(["--recipes", quality.GRACE_REFERENCE, *sys.argv[1:]]))
