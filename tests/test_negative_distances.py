"""``batched.negative_distances``: the fused negatives' distances and their atomics-free backward."""

from __future__ import annotations

import torch

from graphcl_core.batched.negative_distances import negative_sq_distances


def _plain(a, table, idx, k):
    R, G, D = a.shape
    rows = table.reshape(table.size(0), G * D)[idx].view(R, k, G, D)
    return (a.unsqueeze(1) - rows).pow(2).sum(-1)


def test_values_and_gradients_are_those_of_the_plain_expression():
    gen = torch.Generator().manual_seed(0)
    R, G, D, M, k = 37, 3, 5, 29, 4
    a = torch.randn(R, G, D, generator=gen, dtype=torch.float64, requires_grad=True)
    table = torch.randn(M, G, D, generator=gen, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(0, M, (R * k,), generator=gen)
    idx[:k] = 7  # one row drawn several times, and (likely) rows never drawn
    w = torch.randn(R, k, G, generator=gen, dtype=torch.float64)

    fused = negative_sq_distances(a, table, idx, k)
    plain = _plain(a, table, idx, k)
    assert torch.allclose(fused, plain)
    ga, gt = torch.autograd.grad((fused * w).sum(), (a, table))
    pa, pt = torch.autograd.grad((plain * w).sum(), (a, table))
    assert torch.allclose(ga, pa) and torch.allclose(gt, pt)
    assert torch.count_nonzero(gt.abs().sum((1, 2))) == idx.unique().numel()  # undrawn rows get zero


def test_gradcheck():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(6, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    table = torch.randn(5, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(0, 5, (12,), generator=gen)
    assert torch.autograd.gradcheck(lambda x, t: negative_sq_distances(x, t, idx, 2), (a, table))
