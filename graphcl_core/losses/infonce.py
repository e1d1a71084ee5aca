"""InfoNCE / NT-Xent as in GRACE (Zhu et al., 2020)."""

import torch

from .safe_normalize import safe_normalize


def _semi_loss(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> torch.Tensor:
    refl = torch.exp(z1 @ z1.t() / tau)
    between = torch.exp(z1 @ z2.t() / tau)
    return -torch.log(between.diag() / (refl.sum(1) + between.sum(1) - refl.diag()))


def infonce_loss(z1: torch.Tensor, z2: torch.Tensor, tau: float = 0.5, *, max_nodes: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""GRACE's symmetric NT-Xent between two views; row ``i`` of ``z1`` and ``z2`` is the same node.

    With ``s(u, v)`` the cosine similarity and ``τ`` the temperature, for each node ``i``:

    .. math:: \ell(u_i, v_i) = -\log \frac{e^{s(u_i,v_i)/τ}}{e^{s(u_i,v_i)/τ} + \sum_{k≠i} e^{s(u_i,v_k)/τ}
              + \sum_{k≠i} e^{s(u_i,u_k)/τ}}

    and ``L = mean_i (ℓ(u_i, v_i) + ℓ(v_i, u_i)) / 2``: every other node, in both views, is a
    negative. This builds N×N similarity matrices, so for large graphs pass ``max_nodes``: the
    loss is then computed on a random subset of that many nodes (sampled negatives, no N×N).
    """
    z1 = safe_normalize(z1)
    z2 = safe_normalize(z2)
    if max_nodes is not None and z1.size(0) > max_nodes:
        idx = torch.randperm(z1.size(0), device=z1.device, generator=generator)[:max_nodes]
        z1, z2 = z1[idx], z2[idx]
    return 0.5 * (_semi_loss(z1, z2, tau) + _semi_loss(z2, z1, tau)).mean()
