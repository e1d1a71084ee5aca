"""Synthetic graphs: valid GraphBundles (contract), exact sizes, reproducible, trainable."""

import pytest
import torch

from graphcl_core.config import TrainConfig
from graphcl_core.synthetic import synthetic_graph
from graphcl_core.trainer import Trainer


@pytest.mark.parametrize("n,e", [(50, 100), (500, 3000), (20, 190)])  # 190 = complete graph on 20 nodes
def test_contract(n, e):
    b = synthetic_graph(n, e, num_classes=4, feat_dim=6, seed=1)
    d = b.data
    assert b.num_nodes == n and b.num_edges == e and b.num_features == 6
    assert d.x.dtype == torch.float32 and d.x.shape == (n, 6) and torch.isfinite(d.x).all()
    assert d.y.dtype == torch.long and d.y.shape == (n,) and b.num_classes == 4
    ei = d.edge_index
    assert ei.dtype == torch.long and ei.shape == (2, 2 * e)
    assert (ei[0] != ei[1]).all()  # no self-loops
    keys = ei[0] * n + ei[1]
    assert (keys[1:] > keys[:-1]).all()  # sorted by (row, col), no duplicates
    rev = torch.sort(ei[1] * n + ei[0]).values
    assert torch.equal(rev, keys)  # both directions stored
    assert len(b.node_names) == n and b.label_names == [f"class {c}" for c in range(4)]
    assert b.summary()["edges"] == e


def test_reproducible_and_seed_dependent():
    a, b, c = (synthetic_graph(300, 1000, seed=s) for s in (0, 0, 1))
    assert torch.equal(a.data.edge_index, b.data.edge_index) and torch.equal(a.data.x, b.data.x)
    assert not torch.equal(a.data.edge_index, c.data.edge_index)


def test_edges_are_mostly_inside_classes():
    b = synthetic_graph(2000, 10_000, num_classes=5, p_intra=0.9, seed=0)
    y, ei = b.data.y, b.data.edge_index
    frac = (y[ei[0]] == y[ei[1]]).float().mean().item()
    assert 0.85 < frac < 0.97  # 0.9 + 0.1/5 expected


def test_bad_arguments():
    with pytest.raises(ValueError):
        synthetic_graph(10, 46)
    with pytest.raises(ValueError):
        synthetic_graph(10, 5, num_classes=0)


def test_trains(monkeypatch):
    b = synthetic_graph(400, 2000, feat_dim=16)
    t = Trainer(b, TrainConfig(hidden=16, embedding_dim=8, epochs=3, eval_every=0, device="cpu"))
    t.run()
    assert t.epoch == 3 and len(t.history) == 3
