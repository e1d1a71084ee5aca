"""What lies between Start and the first loss point: nothing there may scale with nodes × nodes. Reading
each node's label one by one scanned every label per node (``has_labels``): 0.1 s of a Cora run's start
(its nodes.csv) and of every Train page redraw (``nodes_from_bundle``)."""

from __future__ import annotations

import torch
from torch_geometric.data import Data

from graphcl_core.config import TrainConfig
from graphcl_core.graph import GraphBundle
from graphcl_core.runs import RunStore
from ui import sources


def _bundle(n: int, y, label_names=None) -> GraphBundle:
    src = torch.arange(n - 1)
    edge_index = torch.stack([torch.cat([src, src + 1]), torch.cat([src + 1, src])])
    data = Data(x=torch.randn(n, 4), edge_index=edge_index, num_nodes=n)
    if y is not None:
        data.y = torch.as_tensor(y, dtype=torch.long)
    return GraphBundle(data=data, name="line", node_names=[f"n{i}" for i in range(n)], source="test",
                       label_names=label_names)


def test_label_texts_are_label_of_for_every_node():
    cases = [_bundle(5, [0, 1, -1, 2, 1], ["a", "b"]),  # a name, a number past the names, unlabelled nodes
             _bundle(4, [3, 0, 0, 1]),
             _bundle(3, [-1, -1, -1]),  # labels tensor but no label: has_labels is False
             _bundle(3, None)]
    for b in cases:
        assert b.label_texts() == [b.label_of(i) for i in range(b.num_nodes)]
    assert cases[0].label_texts() == ["a", "b", "", "2", "b"]
    assert cases[2].label_texts() == cases[3].label_texts() == ["", "", ""]


class _Counting:
    """``GraphBundle.has_labels`` replaced by a property that counts its calls."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = GraphBundle.has_labels.fget

        def counted(bundle):
            self.calls += 1
            return real(bundle)

        monkeypatch.setattr(GraphBundle, "has_labels", property(counted))


def test_a_run_folder_and_the_pages_node_table_look_at_the_labels_a_few_times_not_once_per_node(
        monkeypatch, tmp_path):
    b = _bundle(400, [i % 3 for i in range(400)], ["x", "y", "z"])
    count = _Counting(monkeypatch)
    writer = RunStore(tmp_path).create(b, TrainConfig(epochs=2), "cpu")
    assert count.calls < 10
    lines = (writer.path / "nodes.csv").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["index,name,label,degree", "0,n0,x,1", "1,n1,y,2"] and len(lines) == 401
    count.calls = 0
    info = sources.nodes_from_bundle(b)
    assert count.calls < 10
    assert info.labels[:4] == ["x", "y", "z", "x"]
