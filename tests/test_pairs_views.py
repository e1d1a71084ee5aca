"""Pair generation and graph views: shapes, labels of pairs, and the properties each strategy promises."""

import torch

from graphcl_core.augment import generate_pairs, mask_features
from graphcl_core.augment.pairs import PAIR_EXPLANATIONS, edge_keys_of
from graphcl_core.augment.views import drop_edges, undirected_pair_ids
from graphcl_core.config import PAIR_STRATEGIES


def _ring(n=10):
    src = torch.arange(n)
    dst = (src + 1) % n
    return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])


def test_every_strategy_has_a_one_sentence_explanation():
    for s in PAIR_STRATEGIES:
        text = PAIR_EXPLANATIONS[s]
        assert text.endswith(".") and 30 < len(text) < 300


def test_edges_strategy_positives_are_edges_and_negatives_avoid_edges():
    ei = _ring(50)
    g = torch.Generator().manual_seed(0)
    ps = generate_pairs("edges", 50, edge_index=ei, negatives=3, generator=g)
    assert ps.num_positive == ei.size(1) and len(ps) == ei.size(1) * 4
    assert (ps.y[: ps.num_positive] == 1).all() and (ps.y[ps.num_positive:] == 0).all()
    edges = set(map(tuple, ei.T.tolist()))
    pos = set(zip(ps.src[: ps.num_positive].tolist(), ps.dst[: ps.num_positive].tolist()))
    assert pos <= edges
    neg = list(zip(ps.src[ps.num_positive:].tolist(), ps.dst[ps.num_positive:].tolist()))
    # one redraw: hits must be rare (ring of 50: a random node is a neighbour or self with p=3/50)
    hits = sum((u, v) in edges or u == v for u, v in neg)
    assert hits <= 0.02 * len(neg)


def test_views_strategy_pairs_each_node_with_itself():
    ps = generate_pairs("views", 30, negatives=2, generator=torch.Generator().manual_seed(0))
    assert ps.cross_view
    assert torch.equal(ps.src[:30], torch.arange(30)) and torch.equal(ps.dst[:30], torch.arange(30))
    assert (ps.src[30:] != ps.dst[30:]).float().mean() > 0.99


def test_labels_strategy_marks_same_label_pairs_similar():
    y = torch.tensor([0, 0, 0, 1, 1, 1, -1, 2, 2])
    ps = generate_pairs("labels", 9, y=y, negatives=4, generator=torch.Generator().manual_seed(0))
    same = y[ps.src] == y[ps.dst]
    assert torch.equal(ps.y.bool(), same)
    assert (y[ps.src] >= 0).all()
    assert (ps.y[: ps.num_positive] == 1).all()


def test_degree_weighted_negatives_prefer_hubs():
    # star: node 0 joined to all others
    n = 40
    leaves = torch.arange(1, n)
    ei = torch.stack([torch.cat([torch.zeros(n - 1, dtype=torch.long), leaves]),
                      torch.cat([leaves, torch.zeros(n - 1, dtype=torch.long)])])
    ps = generate_pairs("views", n, edge_index=ei, negatives=50, sampling="degree",
                        generator=torch.Generator().manual_seed(0))
    neg = ps.dst[ps.num_positive:]
    assert (neg == 0).float().mean() > 5 / n


def test_max_positives_caps_the_batch():
    ps = generate_pairs("edges", 50, edge_index=_ring(50), negatives=1, max_positives=10,
                        generator=torch.Generator().manual_seed(0))
    assert ps.num_positive == 10 and len(ps) == 20


def test_drop_edges_drops_both_directions_together():
    ei = _ring(200)
    kept = drop_edges(ei, 0.5, 200, torch.Generator().manual_seed(0))
    pairs = set(map(tuple, kept.T.tolist()))
    assert all((v, u) in pairs for u, v in pairs)
    assert 0.3 < kept.size(1) / ei.size(1) < 0.7
    _, num_pairs = undirected_pair_ids(ei, 200)
    assert num_pairs == 200


def test_mask_features_blanks_whole_columns():
    x = torch.ones(20, 100)
    m = mask_features(x, 0.5, torch.Generator().manual_seed(0))
    col_zero = (m == 0).all(0)
    assert ((m == 0).any(0) == col_zero).all()
    assert 20 < int(col_zero.sum()) < 80


def test_edge_keys_are_sorted():
    keys = edge_keys_of(_ring(10), 10)
    assert torch.equal(keys, torch.sort(keys).values)
