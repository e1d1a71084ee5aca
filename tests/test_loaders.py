"""Loaders: every source returns a bundle that meets the GraphBundle contract, and every bad input
becomes a GraphLoadError a person can read (never a traceback, never a hang)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import torch

from graphcl_core.errors import ConfigError, GraphLoadError, GraphTooLargeError
from graphcl_core.loaders import (PLANETOID_NAMES, BundledGraph, SizeLimits, list_bundled, load_graph,
                                  load_planetoid, load_upload, node_table_columns)

REPO = Path(__file__).resolve().parents[1]
PLANETOID_DIR = (REPO / ".." / "shared" / "data" / "planetoid").resolve()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for var in ("GRAPHCL_MAX_NODES", "GRAPHCL_MAX_EDGES", "GRAPHCL_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("GRAPHCL_OFFLINE", "1")


def check_contract(b) -> None:
    d, n = b.data, b.num_nodes
    assert d.x.dtype == torch.float32 and d.x.dim() == 2 and d.x.size(0) == n
    assert torch.isfinite(d.x).all()
    ei = d.edge_index
    assert ei.dtype == torch.long and ei.dim() == 2 and ei.size(0) == 2 and ei.size(1) > 0
    assert int(ei.min()) >= 0 and int(ei.max()) < n
    assert bool((ei[0] != ei[1]).all()), "self-loop"
    key = ei[0] * n + ei[1]
    assert bool((key[1:] > key[:-1]).all()), "edges must be sorted and unique"
    rev = torch.sort(ei[1] * n + ei[0]).values
    assert torch.equal(rev, key), "both directions must be stored"
    w = getattr(d, "edge_weight", None)
    if w is not None:
        assert w.dtype == torch.float32 and w.numel() == ei.size(1)
        wmap = dict(zip(key.tolist(), w.tolist()))
        assert all(wmap[int(v) * n + int(u)] == wmap[int(u) * n + int(v)] for u, v in ei.t().tolist())
    y = getattr(d, "y", None)
    if y is not None:
        assert y.dtype == torch.long and y.numel() == n and int(y.min()) >= -1
        assert b.label_names is None or len(b.label_names) >= b.num_classes
    assert len(b.node_names) == n and len(set(b.node_names)) == n
    assert all(isinstance(s, str) for s in b.node_names)
    assert b.source in {"bundled", "planetoid", "upload", "file"}
    assert b.feature_source
    assert all(isinstance(m, str) for m in b.notes)


def up(name: str, text: str | bytes, **kw):
    content = text.encode() if isinstance(text, str) else text
    b = load_upload(name, content, **kw)
    check_contract(b)
    return b


def edge_set(b) -> set[tuple[str, str]]:
    ei = b.data.edge_index
    return {(b.node_names[u], b.node_names[v]) for u, v in ei.t().tolist() if u < v}


# ---------------------------------------------------------------- bundled graphs

def test_list_bundled():
    graphs = list_bundled()
    names = [g.name for g in graphs]
    assert {"karate", "lesmis", "communities", "ring_of_cliques", "two_moons"} <= set(names)
    assert all(isinstance(g, BundledGraph) and g.title and g.description and g.file for g in graphs)
    assert PLANETOID_NAMES == ("Cora", "CiteSeer", "PubMed")


@pytest.mark.parametrize("name", ["karate", "lesmis", "communities", "ring_of_cliques", "two_moons"])
def test_bundled_graph_meets_contract(name):
    b = load_graph(name)
    check_contract(b)
    assert b.source == "bundled" and b.name == name and b.description


def test_bundled_details():
    k = load_graph("Karate")
    assert (k.num_nodes, k.num_edges, k.label_names) == (34, 78, ["Mr. Hi", "Officer"])
    assert k.feature_source.startswith("structural:")
    assert torch.allclose(k.data.x.mean(0), torch.zeros(k.num_features), atol=1e-4)  # standardised
    les = load_graph("lesmis")
    assert les.data.edge_weight is not None and not les.has_labels and "Valjean" in les.node_names
    com = load_graph("communities")
    assert (com.num_nodes, com.num_features, com.num_classes, com.feature_source) == (200, 16, 4, "node table")
    ring = load_graph("ring_of_cliques")
    assert (ring.num_nodes, ring.num_classes) == (48, 8)
    moons = load_graph("two_moons")
    assert (moons.num_features, moons.num_classes) == (2, 2) and moons.feature_source == "given"


def test_bundled_index_matches_files():
    index = json.loads((REPO / "sample_graphs" / "index.json").read_text(encoding="utf-8"))
    for entry in index:
        assert (REPO / "sample_graphs" / entry["file"]).is_file()
        if entry.get("node_table"):
            assert (REPO / "sample_graphs" / entry["node_table"]).is_file()


# ---------------------------------------------------------------- edge lists

def test_csv_with_header_keeps_string_ids_in_order():
    b = up("friends.csv", "source,target\nalice,bob\nbob,carol\ncarol,alice\ndave,alice\n")
    assert b.node_names == ["alice", "bob", "carol", "dave"]
    assert edge_set(b) == {("alice", "bob"), ("bob", "carol"), ("alice", "carol"), ("alice", "dave")}
    assert b.source == "upload" and b.name == "friends"
    assert getattr(b.data, "edge_weight", None) is None and getattr(b.data, "y", None) is None


def test_integer_ids_sorted_numerically_without_header():
    b = up("g.txt", "10 2\n2 1\n1 10\n")
    assert b.node_names == ["1", "2", "10"]


def test_tsv_weights_and_comments():
    b = up("w.tsv", "# a comment\n% another\nu\tv\tweight\n1\t2\t0.5\n2\t3\t2\n\n3\t1\t1.5\n")
    w = dict(zip(map(tuple, b.data.edge_index.t().tolist()), b.data.edge_weight.tolist()))
    assert w[(0, 1)] == 0.5 and w[(1, 0)] == 0.5 and w[(1, 2)] == 2.0 and w[(0, 2)] == 1.5


def test_duplicates_self_loops_and_both_directions():
    b = up("d.csv", "a,b\nb,a\na,b\nc,c\nb,c\nc,c\nc,d\n")
    assert b.num_edges == 3 and b.num_nodes == 4
    text = " ".join(b.notes)
    assert "2 self-loops were removed." in b.notes
    assert "1 duplicate edge was merged." in b.notes
    assert "both directions" in text


def test_duplicate_weights_keep_the_largest():
    b = up("w.csv", "a,b,1\na,b,3\nb,c,2\n")
    assert sorted(set(b.data.edge_weight.tolist())) == [2.0, 3.0]
    assert any("largest weight" in m for m in b.notes)


def test_semicolon_and_quoted_ids():
    b = up("q.csv", '"New York";"Boston"\n"Boston";"Chicago, IL"\n')
    assert set(b.node_names) == {"New York", "Boston", "Chicago, IL"}


# ---------------------------------------------------------------- XML, GML, JSON

GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="c" for="node" attr.name="class" attr.type="string"/>
  <key id="s" for="node" attr.name="score" attr.type="double"/>
  <key id="w" for="edge" attr.name="weight" attr.type="double"/>
  <graph id="G" edgedefault="directed">
    <node id="n0"><data key="c">red</data><data key="s">1.5</data></node>
    <node id="n1"><data key="c">blue</data><data key="s">2</data></node>
    <node id="n2"><data key="c">red</data><data key="s">0</data></node>
    <node id="n3"><data key="c">blue</data><data key="s">-1</data></node>
    <node id="lonely"><data key="c">blue</data><data key="s">3</data></node>
    <edge source="n0" target="n1"><data key="w">2.0</data></edge>
    <edge source="n1" target="n0"><data key="w">1.0</data></edge>
    <edge source="n1" target="n2"/>
    <edge source="n2" target="n3"><data key="w">4</data></edge>
  </graph>
</graphml>"""


def test_graphml_directed_attributes_isolated():
    b = up("g.graphml", GRAPHML)
    assert b.node_names == ["n0", "n1", "n2", "n3", "lonely"]
    assert b.num_edges == 3
    assert any("directed" in m for m in b.notes)
    assert b.label_names == ["blue", "red"] and b.data.y.tolist() == [1, 0, 1, 0, 0]
    # a single numeric attribute is offered, not used unless chosen (see attributes.py)
    assert b.feature_source.startswith("structural:") and any("'score'" in m and "only when chosen" in m
                                                                for m in b.notes)
    chosen = up("g.graphml", GRAPHML, feature_columns=["score"])
    assert chosen.feature_source == "given" and chosen.data.x[:, 0].tolist() == [1.5, 2.0, 0.0, -1.0, 3.0]
    assert int(b.degrees()[4]) == 0
    w = dict(zip(map(tuple, b.data.edge_index.t().tolist()), b.data.edge_weight.tolist()))
    assert w[(0, 1)] == 2.0 and w[(1, 2)] == 1.0 and w[(2, 3)] == 4.0


GEXF = """<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://gexf.net/1.3" version="1.3">
  <graph defaultedgetype="undirected">
    <attributes class="node"><attribute id="0" title="community" type="string"/></attributes>
    <nodes>
      <node id="1" label="Ann"><attvalues><attvalue for="0" value="x"/></attvalues></node>
      <node id="2" label="Bob"><attvalues><attvalue for="0" value="y"/></attvalues></node>
      <node id="3" label="Cat"><attvalues><attvalue for="0" value="x"/></attvalues></node>
      <node id="4" label="Dan"><attvalues><attvalue for="0" value="y"/></attvalues></node>
    </nodes>
    <edges>
      <edge id="0" source="1" target="2" weight="2.5"/>
      <edge id="1" source="2" target="3"/>
    </edges>
  </graph>
</gexf>"""


def test_gexf():
    b = up("g.gexf", GEXF)
    assert b.node_names == ["Ann", "Bob", "Cat", "Dan"]
    assert b.num_edges == 2 and b.label_names == ["x", "y"]
    assert sorted(set(b.data.edge_weight.tolist())) == [1.0, 2.5]


GML = """graph [
  directed 0
  node [ id 0 label "alpha" group "g1" ]
  node [ id 1 label "beta" group "g2" ]
  node [ id 2 label "gamma" group "g1" ]
  node [ id 7 label "island" group "g2" ]
  edge [ source 0 target 1 ]
  edge [ source 1 target 2 value 3 ]
]"""


def test_gml_labels_as_names_and_isolated_node():
    b = up("g.gml", GML)
    assert b.node_names == ["alpha", "beta", "gamma", "island"]
    assert b.num_edges == 2 and int(b.degrees()[3]) == 0
    assert b.label_names == ["g1", "g2"]
    assert sorted(set(b.data.edge_weight.tolist())) == [1.0, 3.0]


def test_node_link_json():
    doc = {"directed": True, "nodes": [{"id": "a", "club": "x"}, {"id": "b", "club": "y"}, {"id": "c", "club": "x"},
                                       {"id": "z", "club": "y"}],
           "edges": [{"source": "a", "target": "b", "weight": 2}, {"source": "b", "target": "c"}]}
    b = up("g.json", json.dumps(doc))
    assert b.node_names == ["a", "b", "c", "z"] and b.num_edges == 2
    assert any("directed" in m for m in b.notes) and b.label_names == ["x", "y"]
    assert b.data.edge_weight is not None


def test_node_link_json_with_links_and_feature_vectors():
    doc = {"nodes": [{"id": i, "x": [i, i * 2.0]} for i in range(3)],
           "links": [{"source": 0, "target": 1}, {"source": 1, "target": 2}]}
    b = up("g.json", json.dumps(doc))
    assert b.feature_source == "given" and b.data.x.tolist() == [[0, 0], [1, 2], [2, 4]]


# ---------------------------------------------------------------- node tables

NODES = "id,kind,age,height\nalice,cat,3,0.3\nbob,dog,5,0.6\ncarol,cat,1,0.2\nerin,dog,2,0.5\n"


def test_node_table_labels_and_features():
    assert node_table_columns(NODES.encode()) == ["id", "kind", "age", "height"]
    b = up("e.csv", "alice,bob\nbob,carol\ncarol,dave\n", node_table=NODES.encode(), node_table_name="nodes.csv",
           label_column="kind", feature_columns=["age", "height"])
    assert b.node_names == ["alice", "bob", "carol", "dave", "erin"]
    assert b.label_names == ["cat", "dog"] and b.data.y.tolist() == [0, 1, 0, -1, 1]
    # dave has no row: no label, and the column mean as features ((3 + 5 + 1 + 2) / 4 = 2.75, was 0)
    assert b.feature_source == "node table" and b.data.x[:, 0].tolist() == [3, 5, 1, 2.75, 2]
    text = " ".join(b.notes)
    assert "added as an isolated node" in text
    assert "1 node of the graph has no row in the node table nodes.csv: it gets no label and the column means " \
           "as features." in b.notes


def test_node_table_labels_only_gives_structural_features():
    b = up("e.csv", "alice,bob\nbob,carol\n", node_table=NODES.encode(), label_column="kind")
    assert b.feature_source.startswith("structural:") and b.num_classes == 2


def test_node_table_non_numeric_feature_names_row_and_column():
    bad = NODES.replace("5,0.6", "five,0.6").encode()
    with pytest.raises(GraphLoadError, match=r"Line 3 of nodes.csv.*'age'.*'five'"):
        load_upload("e.csv", b"alice,bob\n", node_table=bad, node_table_name="nodes.csv", feature_columns=["age"])


def test_node_table_unknown_column():
    with pytest.raises(GraphLoadError, match="no column 'colour'.*id, kind, age, height"):
        load_upload("e.csv", b"alice,bob\n", node_table=NODES.encode(), label_column="colour")


def test_load_graph_from_path_with_node_table(tmp_path):
    (tmp_path / "edges.csv").write_text("alice,bob\nbob,carol\n")
    (tmp_path / "nodes.csv").write_text(NODES)
    b = load_graph(str(tmp_path / "edges.csv"), node_table=tmp_path / "nodes.csv", label_column="kind")
    check_contract(b)
    assert b.source == "file" and b.num_classes == 2


def test_label_column_from_file_attributes(tmp_path):
    path = tmp_path / "g.graphml"
    path.write_text(GRAPHML)
    b = load_graph(str(path), label_column="score")
    check_contract(b)
    # score was the file's only numeric attribute; as the label it is not a feature any more
    assert b.num_classes == 5 and b.feature_source.startswith("structural:")
    with pytest.raises(GraphLoadError, match="'score' is the label, so it cannot also be a feature"):
        load_graph(str(path), label_column="score", feature_columns=["score"])


# ---------------------------------------------------------------- bad input

def test_bad_csv_row_names_the_line():
    with pytest.raises(GraphLoadError, match=r"Line 3 of edges.csv has 1 column; an edge list needs two node ids"):
        load_upload("edges.csv", b"a,b\nb,c\nlonely\nc,d\n")


def test_weight_not_a_number_names_the_line():
    with pytest.raises(GraphLoadError, match=r"Line 2 of w.csv: the weight 'heavy' is not a number"):
        load_upload("w.csv", b"a,b,1\nb,c,heavy\n")


def test_unknown_extension():
    with pytest.raises(GraphLoadError, match=r"Unknown file type '.xyz'. Upload an edge list"):
        load_upload("graph.xyz", b"a b\n")


@pytest.mark.parametrize("name", ["e.csv", "g.graphml", "g.gml", "g.json", "g.gexf"])
def test_empty_file(name):
    with pytest.raises(GraphLoadError, match="empty"):
        load_upload(name, b"  \n")


@pytest.mark.parametrize("name", ["e.csv", "g.graphml", "g.json"])
def test_binary_garbage(name):
    with pytest.raises(GraphLoadError, match="binary"):
        load_upload(name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)


def test_comments_only():
    with pytest.raises(GraphLoadError, match="no edges"):
        load_upload("e.txt", b"# nothing here\n% nor here\n")


def test_only_self_loops():
    with pytest.raises(GraphLoadError, match="no edges"):
        load_upload("e.txt", b"a a\nb b\n")


def test_billion_laughs_refused():
    lol = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{"&lol%s;" % (i - 1 if i > 1 else "") * 10}">'
                                      for i in range(1, 10)]
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE graphml [\n' + "\n".join(lol).replace("&lol0;", "&lol;") +
            ']>\n<graphml><graph edgedefault="undirected"><node id="&lol9;"/></graph></graphml>')
    with pytest.raises(GraphLoadError, match="XML entities"):
        load_upload("bomb.graphml", bomb.encode())


@pytest.mark.parametrize("name", ["x.graphml", "x.gexf"])
def test_external_entity_refused(name):
    doc = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           '<graphml><graph><node id="&xxe;"/></graph></graphml>')
    with pytest.raises(GraphLoadError, match="XML entities"):
        load_upload(name, doc.encode())


def test_malformed_xml_reports_position():
    with pytest.raises(GraphLoadError, match=r"not valid XML at line 2"):
        load_upload("g.graphml", b"<graphml>\n<graph><node id='a'></graph></graphml>")


@pytest.mark.parametrize("gml, pattern", [
    ('graph [ node [ label "a" ] ]', "no 'id'"),
    ("graph [ node [ id 0 ] node [ id 1 ] edge [ source 0 target 5 ] ]", "undefined target 5"),
    ("graph [ node [ id 1.5.3 ] ]", "line 1, column"),
    ("graph [ node [ id [ a 1 ] ] ]", "not valid GML"),
    ("graph [\n node [ id 0 ]\n", "not valid GML"),
])
def test_malformed_gml(gml, pattern):
    with pytest.raises(GraphLoadError, match=pattern):
        load_upload("g.gml", gml.encode())


def test_json_syntax_error_has_line_and_column():
    with pytest.raises(GraphLoadError, match=r"not valid JSON: .* line 3, column"):
        load_upload("g.json", b'{"nodes": [\n{"id": 1},\n{"id": 2,,}], "links": []}')


def test_json_not_node_link():
    with pytest.raises(GraphLoadError, match="node-link"):
        load_upload("g.json", b'[1, 2, 3]')


def test_graph_without_nodes():
    with pytest.raises(GraphLoadError, match="no nodes"):
        load_upload("g.json", b'{"nodes": [], "links": []}')


def test_unknown_name_or_missing_path(tmp_path):
    with pytest.raises(GraphLoadError, match="not a known graph"):
        load_graph("no_such_graph")
    with pytest.raises(GraphLoadError, match="There is no graph file"):
        load_graph(str(tmp_path / "missing.csv"))


# ---------------------------------------------------------------- size limits

def test_size_limits_from_env(monkeypatch):
    assert SizeLimits() == SizeLimits(200_000, 2_000_000) == SizeLimits.from_env()
    monkeypatch.setenv("GRAPHCL_MAX_EDGES", "1_000")
    monkeypatch.setenv("GRAPHCL_MAX_NODES", "50")
    assert SizeLimits.from_env() == SizeLimits(max_nodes=50, max_edges=1000)
    with pytest.raises(GraphTooLargeError, match="78 edges; the limit is 10"):
        monkeypatch.setenv("GRAPHCL_MAX_EDGES", "10")
        load_graph("karate")
    monkeypatch.setenv("GRAPHCL_MAX_EDGES", "lots")
    with pytest.raises(ConfigError, match="GRAPHCL_MAX_EDGES"):
        SizeLimits.from_env()


def test_small_limits_refuse_every_format():
    small = SizeLimits(max_nodes=1000, max_edges=10)
    edges = [(i, i + 1) for i in range(20)]
    files = {
        "e.csv": "\n".join(f"{a},{b}" for a, b in edges),
        "g.json": json.dumps({"nodes": [{"id": i} for i in range(21)],
                              "links": [{"source": a, "target": b} for a, b in edges]}),
        "g.gml": "graph [\n" + "".join(f"node [ id {i} ]\n" for i in range(21)) +
                 "".join(f"edge [ source {a} target {b} ]\n" for a, b in edges) + "]",
        "g.graphml": "<graphml><graph edgedefault='undirected'>" +
                     "".join(f"<edge source='{a}' target='{b}'/>" for a, b in edges) + "</graph></graphml>",
        "g.gexf": "<gexf><graph><edges>" + "".join(f"<edge source='{a}' target='{b}'/>" for a, b in edges) +
                  "</edges></graph></gexf>",
    }
    for name, text in files.items():
        with pytest.raises(GraphTooLargeError, match="20 edges; the limit is 10"):
            load_upload(name, text.encode(), limits=small)
    with pytest.raises(GraphTooLargeError, match="21 nodes; the limit is 5"):
        load_upload("e.csv", files["e.csv"].encode(), limits=SizeLimits(max_nodes=5))


def test_ten_million_edge_claim_refused_without_allocating():
    """A GML/JSON listing 10M edges must be refused by counting, not by building the graph."""
    limits = SizeLimits()
    gml = b"graph [\n" + b"edge [ source 0 target 1 ]\n" * 10_000_000 + b"]"
    with pytest.raises(GraphTooLargeError, match="10,000,000 edges; the limit is 2,000,000"):
        load_upload("huge.gml", gml, limits=limits)


def test_edge_list_over_two_million_lines_refused():
    content = b"0 1\n" * 2_000_001
    with pytest.raises(GraphTooLargeError, match="2,000,001 edges; the limit is 2,000,000"):
        load_upload("big.txt", content)


# ---------------------------------------------------------------- Planetoid

needs_planetoid = pytest.mark.skipif(not (PLANETOID_DIR / "Cora" / "raw").is_dir(),
                                     reason=f"Planetoid data not found at {PLANETOID_DIR}")


def _read_only_copy(src: Path, dest: Path) -> Path:
    """Copy ``src/Cora/raw`` to ``dest`` and clear every write bit. Root ignores permission bits, but the
    loader's own check reads the mode bits, so this copy is read-only to it on any machine."""
    shutil.copytree(src / "Cora" / "raw", dest / "Cora" / "raw")
    for folder, _, files in os.walk(dest, topdown=False):
        for f in files:
            os.chmod(Path(folder) / f, 0o444)
        os.chmod(folder, 0o555)
    return dest


def _make_writable(root: Path) -> None:
    for folder, _, files in os.walk(root):
        os.chmod(folder, 0o755)
        for f in files:
            os.chmod(Path(folder) / f, 0o644)


@needs_planetoid
def test_cora_from_read_only_folder(monkeypatch, tmp_path):
    from graphcl_core.loaders.planetoid import _load_cached

    _load_cached.cache_clear()  # make this test exercise the copy-to-cache path itself
    ro = _read_only_copy(PLANETOID_DIR, tmp_path / "readonly")
    assert not stat.S_IMODE((ro / "Cora").stat().st_mode) & 0o222
    monkeypatch.setenv("GRAPHCL_DATA_DIR", str(ro))
    before = sorted(str(p.relative_to(ro)) for p in ro.rglob("*"))
    try:
        b = load_graph("cora")
        check_contract(b)
        assert (b.num_nodes, b.num_edges, b.num_features, b.num_classes) == (2708, 5278, 1433, 7)
        assert [int(b.data[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [140, 500, 1000]
        assert b.label_names[3] == "Neural_Networks" and b.source == "planetoid" and b.node_names[0] == "paper 0"
        assert sorted(str(p.relative_to(ro)) for p in ro.rglob("*")) == before, "the read-only folder was written to"
        assert (tmp_path / "cache" / "graphcl_studio" / "planetoid_copy" / "Cora" / "raw").is_dir()
    finally:
        _make_writable(ro)
        _load_cached.cache_clear()


@needs_planetoid
def test_citeseer_and_cache_isolation():
    b = load_planetoid("CiteSeer", data_dir=PLANETOID_DIR)
    check_contract(b)
    assert (b.num_nodes, b.num_features, b.num_classes) == (3327, 3703, 6)
    assert b.label_names == ["AI", "ML", "IR", "DB", "Agents", "HCI"]
    b.data.x.zero_()
    b.data.edge_index[:] = 0
    again = load_planetoid("citeseer", data_dir=PLANETOID_DIR)
    assert again.data.x.abs().sum() > 0 and (again.data.edge_index[0] != again.data.edge_index[1]).all()


def test_missing_planetoid_without_network(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GraphLoadError, match=r"(?s)Cora.*" + str(empty).replace("\\", "\\\\") + ".*GRAPHCL_DATA_DIR"):
        load_planetoid("Cora", data_dir=empty)


def test_not_a_planetoid_name():
    with pytest.raises(GraphLoadError, match="not a Planetoid dataset"):
        load_planetoid("Reddit")
