"""Each loss against values computed by hand from its formula."""

import math

import pytest
import torch

from graphcl_core.losses import (hadsell_contrastive_loss, infonce_loss, margin_contrastive_loss,
                                 triplet_margin_loss)


def test_margin_loss_matches_hand_computed_values():
    x1 = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    x2 = torch.tensor([[3.0, 4.0], [1.0, 0.5], [0.5, 0.0], [2.0, 0.0]])
    y = torch.tensor([1.0, 1.0, 0.0, 0.0])
    # d = 25, 0.25, 0.25, 4 ; similar: d ; dissimilar (m=1): max(0, 1-d) = 0.75, 0
    expected = (25 + 0.25 + 0.75 + 0.0) / 4
    assert margin_contrastive_loss(x1, x2, y, margin=1.0).item() == pytest.approx(expected)
    # m = 5: dissimilar terms 4.75 and 1
    assert margin_contrastive_loss(x1, x2, y, margin=5.0).item() == pytest.approx((25 + 0.25 + 4.75 + 1) / 4)


def test_margin_loss_uses_squared_distance_not_plain():
    x1, x2 = torch.zeros(1, 2), torch.tensor([[0.6, 0.8]])  # plain distance 1, squared 1
    x3 = torch.tensor([[1.2, 1.6]])  # plain 2, squared 4
    assert margin_contrastive_loss(x1, x3, torch.ones(1)).item() == pytest.approx(4.0)
    assert margin_contrastive_loss(x1, x2, torch.zeros(1), margin=3.0).item() == pytest.approx(2.0)


def test_hadsell_loss_matches_hand_computed_values():
    x1 = torch.zeros(3, 2)
    x2 = torch.tensor([[3.0, 4.0], [0.3, 0.4], [3.0, 0.0]])
    y = torch.tensor([1.0, 0.0, 0.0])
    # D = 5, 0.5, 3 ; similar: D² = 25 ; dissimilar (m=2): max(0, 2-0.5)² = 2.25, max(0, 2-3)² = 0
    assert hadsell_contrastive_loss(x1, x2, y, margin=2.0).item() == pytest.approx((25 + 2.25 + 0) / 3, rel=1e-5)


def test_hadsell_gradient_is_finite_for_identical_negatives():
    x1 = torch.zeros(2, 3, requires_grad=True)
    loss = hadsell_contrastive_loss(x1, torch.zeros(2, 3), torch.zeros(2), margin=1.0)
    loss.backward()
    assert torch.isfinite(x1.grad).all()


def test_triplet_loss_matches_hand_computed_values():
    a = torch.zeros(2, 2)
    p = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # d_pos = 1, 4
    n = torch.tensor([[2.0, 0.0], [0.0, 1.0]])  # d_neg = 4, 1
    # m=1: max(0, 1-4+1)=0, max(0, 4-1+1)=4
    assert triplet_margin_loss(a, p, n, margin=1.0).item() == pytest.approx(2.0)
    # several negatives per anchor: (N, K, D)
    n2 = torch.stack([n, torch.zeros(2, 2)], dim=1)  # second negative at distance 0
    # anchor 0: [0, 1-0+1=2]; anchor 1: [4, 4-0+1=5]
    assert triplet_margin_loss(a, p, n2, margin=1.0).item() == pytest.approx((0 + 2 + 4 + 5) / 4)


def _infonce_by_hand(z1, z2, tau):
    z1 = torch.nn.functional.normalize(z1, dim=-1)
    z2 = torch.nn.functional.normalize(z2, dim=-1)
    n = z1.size(0)

    def semi(u, v):
        total = 0.0
        for i in range(n):
            pos = math.exp(float(u[i] @ v[i]) / tau)
            denom = pos + sum(math.exp(float(u[i] @ v[k]) / tau) for k in range(n) if k != i) \
                + sum(math.exp(float(u[i] @ u[k]) / tau) for k in range(n) if k != i)
            total += -math.log(pos / denom)
        return total / n

    return 0.5 * (semi(z1, z2) + semi(z2, z1))


def test_infonce_matches_grace_formula():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    for tau in (0.5, 0.2):
        assert infonce_loss(z1, z2, tau).item() == pytest.approx(_infonce_by_hand(z1, z2, tau), rel=1e-5)


def test_infonce_prefers_aligned_views():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(16, 8, generator=g)
    assert infonce_loss(z, z, 0.5) < infonce_loss(z, torch.randn(16, 8, generator=g), 0.5)


def test_infonce_subsamples_large_inputs():
    z = torch.randn(300, 4)
    loss = infonce_loss(z, z + 0.01, 0.5, max_nodes=50, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(loss)


def test_safe_normalize_zero_rows_pass_no_gradient():
    """An all-zero view row (everything masked, biases still 0) must not blow up the gradient (was ~1e19)."""
    from graphcl_core.losses.safe_normalize import safe_normalize

    z = torch.tensor([[3.0, 4.0], [0.0, 0.0], [1e-9, 0.0]], requires_grad=True)
    out = safe_normalize(z)
    torch.testing.assert_close(out[0], torch.tensor([0.6, 0.8]))
    assert torch.equal(out[1:], torch.zeros(2, 2))
    # model normalises, then InfoNCE normalises again: the gradient stays small and finite
    w = torch.randn(2, 2, generator=torch.Generator().manual_seed(0))
    infonce_loss(safe_normalize(z), safe_normalize(z @ w), 0.5).backward()
    assert torch.isfinite(z.grad).all() and float(z.grad.abs().max()) < 10
    assert torch.equal(z.grad[1], torch.zeros(2))
