"""The batched step's own autograd pieces: negatives' distances, per-trial linear maps, propagation onto a base."""

from __future__ import annotations

import pytest
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


def test_trial_linear_is_each_trials_own_product_with_its_gradients():
    from graphcl_core.batched.trial_linear import trial_linear

    gen = torch.Generator().manual_seed(2)
    h = torch.randn(2, 5, 3, 4, generator=gen, dtype=torch.float64, requires_grad=True)  # (V, N, T, I)
    w = torch.randn(3, 6, 4, generator=gen, dtype=torch.float64, requires_grad=True)  # (T, O, I)
    out = trial_linear(h, w)
    assert out.is_contiguous() and torch.allclose(out, torch.einsum("vnti,toi->vnto", h, w))
    assert torch.autograd.gradcheck(trial_linear, (h, w))


@pytest.mark.parametrize("kernel", ["csr", "gather"])
def test_propagation_onto_a_base_is_base_plus_the_propagation(kernel):
    from graphcl_core.fast.propagation import CachedAdjacency

    gen = torch.Generator().manual_seed(3)
    edges = torch.randint(0, 8, (2, 20), generator=gen)
    adj = CachedAdjacency(edges, 8, "graphconv", kernel=kernel)
    view = adj.view(torch.rand(20, generator=gen, dtype=torch.float64))
    h = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    base_leaf = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    out = view.propagate_onto(h, base_leaf * 1.0)  # a fresh tensor, as a layer's product is
    ref = base_leaf + view.propagate(h)
    assert torch.allclose(out, ref)
    got = torch.autograd.grad((out * w).sum(), (h, base_leaf))
    want = torch.autograd.grad((ref * w).sum(), (h, base_leaf))
    assert all(torch.allclose(a, b) for a, b in zip(got, want))


def test_propagation_onto_a_view_of_a_custom_functions_output_accumulates_into_that_output():
    """A layer's root product reaches ``propagate_onto`` reshaped (a view of the product function's output):
    autograd forbids writing into such a view, so the accumulation goes into the output it views."""
    from graphcl_core.fast.propagation import CachedAdjacency

    gen = torch.Generator().manual_seed(4)
    adj = CachedAdjacency(torch.randint(0, 6, (2, 15), generator=gen), 6, "graphconv", kernel="csr")
    view = adj.view(torch.rand(15, generator=gen, dtype=torch.float64))
    h = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 3, 4, generator=gen, dtype=torch.float64)
    base = view.propagate(x).view(2, 3, 4)  # the product (a custom function's output), reshaped
    assert base._base is not None
    out = view.propagate_onto(h, base.view(6, 4)).view(2, 3, 4)
    ref = view.propagate(x).view(2, 3, 4) + view.propagate(h).view(2, 3, 4)
    assert torch.allclose(out, ref)
    got = torch.autograd.grad((out * w).sum(), (h, x))
    want = torch.autograd.grad((ref * w).sum(), (h, x))
    assert all(torch.allclose(a, b) for a, b in zip(got, want))
