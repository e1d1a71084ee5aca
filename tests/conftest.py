"""Shared fixtures: small graphs built in code, a private runs folder, the offline Planetoid folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Data

from graphcl_core.graph import GraphBundle

REPO = Path(__file__).resolve().parents[1]
SHARED_PLANETOID = REPO.parent / "shared" / "data" / "planetoid"


def planted_partition(groups: int = 3, size: int = 20, p_in: float = 0.4, p_out: float = 0.02,
                      feat_dim: int = 8, seed: int = 0) -> GraphBundle:
    """A tiny labelled graph with community structure and weakly informative features."""
    g = torch.Generator().manual_seed(seed)
    n = groups * size
    y = torch.arange(groups).repeat_interleave(size)
    same = y[:, None] == y[None, :]
    prob = torch.where(same, torch.tensor(p_in), torch.tensor(p_out))
    adj = torch.rand(n, n, generator=g) < prob
    adj = torch.triu(adj, diagonal=1)
    adj = adj | adj.T
    edge_index = adj.nonzero().T.contiguous()
    means = torch.randn(groups, feat_dim, generator=g)
    x = means[y] * 0.5 + torch.randn(n, feat_dim, generator=g)
    data = Data(x=x, edge_index=edge_index, y=y, num_nodes=n)
    return GraphBundle(data, "tiny-communities", [f"n{i}" for i in range(n)], "test",
                       label_names=[f"group {i}" for i in range(groups)])


@pytest.fixture
def tiny_graph() -> GraphBundle:
    return planted_partition()


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "runs"
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(d))
    return d


@pytest.fixture
def app_runs_dir(runs_dir):
    """``runs_dir`` for page tests that press Start: afterwards every job is stopped, so no training thread
    outlives its test."""
    yield runs_dir
    from ui import registry

    with registry._LOCK:
        slots = list(registry._REGISTRY.values())
    for slot in slots:
        if slot.job is not None:
            slot.job.stop()
            slot.job.join(20)


@pytest.fixture
def planetoid_dir() -> Path:
    """The read-only Planetoid raw files beside the repo (``../shared``); skip where absent."""
    env = os.environ.get("GRAPHCL_TEST_PLANETOID")
    d = Path(env) if env else SHARED_PLANETOID
    if not (d / "Cora" / "raw").is_dir():
        pytest.skip(f"Planetoid data not found at {d} (set GRAPHCL_TEST_PLANETOID)")
    return d
