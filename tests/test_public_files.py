"""The bar for uploads: well-formed files shaped like the ones users bring (Newman-style GML, Gephi GEXF,
CSV node + edge lists with extra columns, node-link JSON, GraphML) load with the node and edge counts
networkx gives (as a simple undirected graph without self-loops, which is what the loader keeps), the
label the user chose (or the one detected), and the label never among the features.

The files live in ``tests/data/public_style/`` and are written by its ``make_files.py`` (made-up content).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from graphcl_core.loaders import load_graph

from test_loaders import check_contract

DATA = Path(__file__).resolve().parent / "data" / "public_style"


def _gml(path: Path) -> nx.Graph:
    return nx.read_gml(path, label="label")


def _gexf(path: Path) -> nx.Graph:
    g = nx.read_gexf(path)
    return nx.relabel_nodes(g, {v: d["label"] for v, d in g.nodes(data=True)})


def _node_link(path: Path) -> nx.Graph:
    doc = json.loads(path.read_text(encoding="utf-8"))
    g = nx.node_link_graph(doc, edges="edges" if "edges" in doc else "links")
    return nx.relabel_nodes(g, {v: str(v) for v in g})


def _letters(path: Path) -> nx.Graph:
    with path.open(encoding="utf-8", newline="") as fh:
        g = nx.Graph((r["Source"], r["Target"]) for r in csv.DictReader(fh))
    with (DATA / "letters_nodes.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            g.add_node(r["Label"], Group=r["Group"], birth_year=int(r["birth_year"]))
    return g


CASES = [
    # file, networkx reader, loader options, the label attribute networkx should agree with, features expected
    ("newman_books.gml", _gml, {}, "value", None),
    ("newman_teams.gml", _gml, {"label_column": "value"}, "value", None),
    # single numeric attributes are features only when chosen (loaders/attributes.py)
    ("gephi_export.gexf", _gexf, {}, "Group", None),
    ("gephi_export.gexf", _gexf, {"feature_columns": ["Modularity Class", "Degree"]}, "Group",
     ["Modularity Class", "Degree"]),
    ("gephi_export.gexf", _gexf, {"label_column": "Modularity Class", "feature_columns": ["Degree"]},
     "Modularity Class", ["Degree"]),
    ("letters_edges.csv", _letters, {"node_table": DATA / "letters_nodes.csv", "label_column": "Group",
                                     "feature_columns": ["birth_year"]}, "Group", ["birth_year"]),
    ("club_edges.json", _node_link, {}, "club", None),
    ("club_edges.json", _node_link, {"feature_columns": ["age"]}, "club", ["age"]),
    ("club_links.json", _node_link, {"label_column": "club", "feature_columns": ["age", "score"]}, "club",
     ["age", "score"]),
    ("yed_like.graphml", nx.read_graphml, {"label_column": "team"}, "team", None),
]


def _simple(g: nx.Graph) -> nx.Graph:
    """What the loader promises: undirected, no parallel edges, no self-loops."""
    simple = nx.Graph(g)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    return simple


def _case_id(case) -> str:
    options = case[2]
    return f"{case[0]}:{options.get('label_column', 'detected')}:{'+'.join(options.get('feature_columns', ()))}"


@pytest.mark.parametrize("filename, read, options, label, features", CASES, ids=[_case_id(c) for c in CASES])
def test_loads_as_networkx_reads_it(filename, read, options, label, features):
    b = load_graph(str(DATA / filename), **options)
    check_contract(b)
    g = _simple(read(DATA / filename))
    assert (b.num_nodes, b.num_edges) == (g.number_of_nodes(), g.number_of_edges())
    assert set(b.node_names) == {str(v) for v in g}
    index = {name: i for i, name in enumerate(b.node_names)}
    assert {(min(index[str(u)], index[str(v)]), max(index[str(u)], index[str(v)])) for u, v in g.edges()} == {
        (u, v) for u, v in b.data.edge_index.t().tolist() if u < v}
    # the label: every node's class is the attribute networkx reads
    assert b.has_labels
    assert {name: b.label_of(i) for i, name in enumerate(b.node_names)} == {
        str(v): str(d[label]) for v, d in g.nodes(data=True)}
    # nothing leaked: the label is not a feature, by name or by value
    assert label not in b.feature_source and not any(label in m for m in b.notes if m.startswith("Node features"))
    if features is None:
        assert b.feature_source.startswith("structural:")
    else:
        assert b.num_features == len(features)
        assert all(f in " ".join(b.notes) for f in features)
    values = [d[label] for _, d in sorted(g.nodes(data=True), key=lambda nd: index[str(nd[0])])]
    if all(isinstance(v, (int, float)) for v in values):
        x = b.data.x.numpy()
        assert not any(np.allclose(x[:, j], np.array(values, dtype=np.float32)) for j in range(x.shape[1]))
