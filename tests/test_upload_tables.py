"""Uploads that understand real tables (issue 9, section 1): edge lists read by header name, node tables
matched on the column that fits, labels that never leak into features, weights that fit float32, and
messages without Python internals."""

from __future__ import annotations

import json

import pytest

from graphcl_core.errors import GraphLoadError
from graphcl_core.loaders import load_graph, load_upload
from graphcl_core.loaders.api import upload_columns

from test_loaders import check_contract, edge_set


def up(name: str, text: str | bytes, **kw):
    b = load_upload(name, text.encode() if isinstance(text, str) else text, **kw)
    check_contract(b)
    return b


def weights(b) -> dict[tuple[str, str], float]:
    ei, w = b.data.edge_index, b.data.edge_weight
    return {tuple(sorted((b.node_names[u], b.node_names[v]))): float(x)
            for (u, v), x in zip(ei.t().tolist(), w.tolist()) if u < v}


# ---------------------------------------------------------------- edge lists by header name

def test_time_column_is_ignored_and_weight_read_by_name():
    b = up("e.csv", "source,target,time,weight\na,b,January,2\nb,c,March,0.5\n")
    assert weights(b) == {("a", "b"): 2.0, ("b", "c"): 0.5}
    assert any("time" in m and "ignored" in m for m in b.notes)


def test_capitalised_header_with_a_text_column():
    b = up("e.csv", "Source,Target,Page name\nAnn,Bob,Main page\nBob,Cat,Talk\n")
    assert edge_set(b) == {("Ann", "Bob"), ("Bob", "Cat")} and getattr(b.data, "edge_weight", None) is None
    assert any("Page name" in m for m in b.notes)


def test_from_to_date_has_no_weight():
    b = up("e.csv", "from,to,date\n1,2,2020-01-03\n2,3,2021-05-06\n3,1,1999\n")
    assert b.num_edges == 3 and getattr(b.data, "edge_weight", None) is None


def test_endpoint_columns_found_anywhere_in_the_header():
    b = up("e.tsv", "id\tyear\tSRC\tDst\tStrength\n1\t1990\tx\ty\t3\n2\t1991\ty\tz\t1\n")
    assert weights(b) == {("x", "y"): 3.0, ("y", "z"): 1.0}


def test_chosen_columns():
    text = "id,person,friend,since,score\n1,a,b,1990,5\n2,b,c,1991,7\n"
    b = up("e.csv", text, source_column="person", target_column="FRIEND", weight_column="score")
    assert weights(b) == {("a", "b"): 5.0, ("b", "c"): 7.0}
    with pytest.raises(GraphLoadError, match=r"no column 'colour'.*id, person, friend, since, score"):
        load_upload("e.csv", text.encode(), source_column="colour", target_column="friend")


def test_not_an_edge_list_says_so_and_names_the_columns():
    text = "dates,temperature,rain\n2020-01-01,3.5,0\n2020-01-02,4.0,1.2\n"
    with pytest.raises(GraphLoadError, match=r"does not look like an edge list.*dates, temperature, rain") as e:
        load_upload("weather.csv", text.encode())
    assert "weight 'dates'" not in str(e.value) and "Line 1" not in str(e.value)


def test_headerless_file_keeps_todays_behaviour():
    b = up("e.txt", "1 2 0.5\n2 3 2\n3 4\n")
    assert weights(b) == {("1", "2"): 0.5, ("2", "3"): 2.0, ("3", "4"): 1.0}
    assert "1 edge had no weight and was given weight 1." in b.notes


def test_upload_columns_lists_a_header():
    assert upload_columns("e.csv", b"Source,Target,Page name\na,b,c\n").edge_columns == ["Source", "Target",
                                                                                        "Page name"]
    assert upload_columns("e.txt", b"1 2\n2 3\n").edge_columns == []


# ---------------------------------------------------------------- node tables

EDGES = "Source,Target\nann,bob\nbob,cat\ncat,dan\ndan,ann\n"
TABLE = "ID,Name,group\n1,ann,x\n2,bob,y\n3,cat,x\n4,dan,y\n"


def test_node_table_matched_on_the_column_that_fits():
    b = up("e.csv", EDGES, node_table=TABLE.encode(), node_table_name="nodes.csv", label_column="group")
    assert b.num_nodes == 4 and b.label_names == ["x", "y"] and b.data.y.tolist() == [0, 1, 0, 1]
    assert any("'Name'" in m and "4 of 4" in m for m in b.notes)


def test_chosen_id_column_and_plain_warning():
    b = up("e.csv", EDGES, node_table=TABLE.encode(), node_table_name="nodes.csv", label_column="group",
           id_column="ID")
    assert b.num_nodes == 8
    assert any(m.startswith("Warning") and "0 of 4" in m and "'ID'" in m for m in b.notes)
    with pytest.raises(GraphLoadError, match="no column 'key'"):
        load_upload("e.csv", EDGES.encode(), node_table=TABLE.encode(), id_column="key")


def test_label_column_cannot_also_be_a_feature_in_a_node_table():
    table = "name,score,size\nann,1,3\nbob,2,4\ncat,1,5\ndan,2,6\n"
    with pytest.raises(GraphLoadError, match="'score'.*label.*cannot also be a feature"):
        load_upload("e.csv", EDGES.encode(), node_table=table.encode(), label_column="score",
                    feature_columns=["score", "size"])


def test_one_added_node_is_singular():
    b = up("e.csv", EDGES, node_table=(TABLE + "5,eve,x\n").encode(), label_column="group")
    assert "1 node of the node table is not in the edge list and was added as an isolated node." in b.notes


# ---------------------------------------------------------------- labels never leak into features

GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="s" for="node" attr.name="score" attr.type="double"/>
  <key id="a" for="node" attr.name="age" attr.type="double"/>
  <graph edgedefault="undirected">
    <node id="n0"><data key="s">1</data><data key="a">30</data></node>
    <node id="n1"><data key="s">2</data><data key="a">31</data></node>
    <node id="n2"><data key="s">1</data><data key="a">32</data></node>
    <node id="n3"><data key="s">2</data><data key="a">33</data></node>
    <edge source="n0" target="n1"/><edge source="n1" target="n2"/><edge source="n2" target="n3"/>
  </graph>
</graphml>"""


def test_chosen_label_attribute_is_not_a_feature():
    b = up("g.graphml", GRAPHML, label_column="score", feature_columns=["age"])
    assert b.num_classes == 2 and b.data.x.size(1) == 1
    assert b.data.x[:, 0].tolist() == [30, 31, 32, 33]
    with pytest.raises(GraphLoadError, match="'score'.*label.*cannot also be a feature"):
        load_upload("g.graphml", GRAPHML.encode(), label_column="score", feature_columns=["score", "age"])


def test_upload_columns_lists_node_attributes():
    assert upload_columns("g.graphml", GRAPHML.encode()).node_attributes == ["age", "score"]


# ---------------------------------------------------------------- weights beyond float32

@pytest.mark.parametrize("name, text", [
    ("e.csv", "a,b,1e39\nb,c,1\n"),
    ("e.csv", "source,target,weight\na,b,1e300\n"),
    ("g.gml", "graph [ node [ id 0 ] node [ id 1 ] edge [ source 0 target 1 weight 1.0E39 ] ]"),
    ("g.json", json.dumps({"nodes": [{"id": 0}, {"id": 1}], "links": [{"source": 0, "target": 1, "weight": 1e300}]})),
    ("g.gexf", '<gexf><graph><edges><edge source="a" target="b" weight="1e39"/></edges></graph></gexf>'),
    ("g.graphml", '<graphml><key id="w" for="edge" attr.name="weight" attr.type="double"/><graph>'
                  '<edge source="a" target="b"><data key="w">1e39</data></edge></graph></graphml>'),
])
def test_weights_beyond_float32_are_refused(name, text):
    with pytest.raises(GraphLoadError, match="too large"):
        load_upload(name, text.encode())


# ---------------------------------------------------------------- plain messages

def test_gml_with_a_5000_digit_id():
    big = "9" * 5000
    with pytest.raises(GraphLoadError) as e:
        load_upload("g.gml", f"graph [ node [ id {big} ] node [ id 1 ] edge [ source 1 target {big} ] ]".encode())
    msg = str(e.value)
    assert "digits" in msg and "set_int_max_str_digits" not in msg and "ValueError" not in msg
    assert "must be numbers or quoted text" not in msg


def test_gml_nested_too_deeply():
    deep = b"graph [ " + b"a [ " * 100_000 + b"]" * 100_000 + b" ]"
    with pytest.raises(GraphLoadError) as e:
        load_upload("g.gml", deep)
    msg = str(e.value)
    assert "nested too deeply" in msg and "RecursionError" not in msg and "quoted text" not in msg


def test_json_link_to_unknown_id_is_noted():
    doc = {"nodes": [{"id": "a"}, {"id": "b"}],
           "links": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}]}
    b = up("g.json", json.dumps(doc))
    assert b.num_nodes == 3
    assert any("'c'" in m and "1 link" in m for m in b.notes)


def test_one_node_graph_without_edges_is_singular():
    with pytest.raises(GraphLoadError, match="has 1 node but no edges"):
        load_upload("g.json", b'{"nodes": [{"id": 1}], "links": []}')


# ---------------------------------------------------------------- library entry points

def test_load_graph_passes_the_column_choices(tmp_path):
    (tmp_path / "e.csv").write_text("from,to,kind,w2\na,b,x,1\nb,c,y,2\nc,a,x,3\n")
    (tmp_path / "n.csv").write_text("key,label\na,p\nb,q\nc,p\n")
    b = load_graph(str(tmp_path / "e.csv"), source_column="to", target_column="from", weight_column="w2",
                   node_table=tmp_path / "n.csv", id_column="key", label_column="label")
    check_contract(b)
    assert weights(b) == {("a", "b"): 1.0, ("b", "c"): 2.0, ("a", "c"): 3.0} and b.num_classes == 2


def test_weight_column_can_be_turned_off():
    b = up("e.csv", "source,target,weight\na,b,2\nb,c,3\n", weight_column="")
    assert getattr(b.data, "edge_weight", None) is None


def test_counts_in_node_table_notes_are_singular_when_one():
    b = up("e.csv", "a,b\n", node_table=b"id,kind\na,x\n", label_column="kind")
    assert "The node-table ids were read from the column 'id': 1 of 1 id matches a node of the graph." in b.notes
    assert "Labels come from the column 'kind' (1 class)." in b.notes


@pytest.mark.parametrize("name, text", [
    ("g.graphml", '<graphml><graph edgedefault="undirected"><node id="a"/><node id="b"/>'
                  '<edge source="a" target="b"/><edge source="b" target="c"/></graph></graphml>'),
    ("g.gexf", '<gexf><graph><nodes><node id="a"/><node id="b"/></nodes>'
               '<edges><edge source="a" target="b"/><edge source="b" target="c"/></edges></graph></gexf>'),
])
def test_xml_edge_to_an_undeclared_node_is_noted(name, text):
    b = up(name, text)
    assert b.num_nodes == 3
    assert "1 edge refers to 1 id that is not in the node list ('c'); it was added as a node." in b.notes
