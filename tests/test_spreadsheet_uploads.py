"""Files as a stranger brings them (tests/data/spreadsheet/, small copies of a real session's uploads):
node tables with blank cells, dates and free text; a semicolon CSV with a BOM, Windows line endings and
decimal commas; GML/GraphML with numeric node attributes. Each case failed or was inconsistent before."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphcl_core.errors import GraphLoadError
from graphcl_core.loaders import load_graph, load_upload, node_table_feature_columns, upload_columns

from test_loaders import check_contract

DATA = Path(__file__).resolve().parent / "data" / "spreadsheet"


def _people(**kw):
    b = load_graph(str(DATA / "people_edges.csv"), node_table=DATA / "people_nodes.csv", **kw)
    check_contract(b)
    return b


def _row(b, name: str) -> list[float]:
    return [round(v, 4) for v in b.data.x[b.node_names.index(name)].tolist()]


# ---------------------------------------------------------------- node tables with blank cells

def test_blank_feature_cells_get_the_column_mean_and_the_notes_say_so():
    b = _people(label_column="role", feature_columns=["age", "score"])
    assert b.feature_source == "node table" and b.num_features == 2
    assert _row(b, "bob") == [20, 0.5] and _row(b, "ann") == [30, 1.0] and _row(b, "dan") == [40, 1.0]
    assert "2 empty cells in 'age' were filled with the column mean 30." in b.notes
    assert "2 empty cells in 'score' were filled with the column mean 1." in b.notes


def test_graph_nodes_missing_from_the_table_are_counted():
    b = _people(label_column="role", feature_columns=["age"])
    assert ("1 node of the graph has no row in the node table people_nodes.csv: it gets no label and the column "
            "means as features.") in b.notes
    assert _row(b, "fay") == [30] and b.data.y[b.node_names.index("fay")].item() == -1
    labels_only = _people(label_column="role")
    assert any("1 node of the graph has no row" in m and "it gets no label." in m for m in labels_only.notes)


def test_only_numeric_columns_are_offered_as_features():
    content = (DATA / "people_nodes.csv").read_bytes()
    # not the id, the dates ('joined'), the free text ('note'), the text 'role' or the all-blank 'phone'
    assert node_table_feature_columns(content) == ["age", "score"]
    assert node_table_feature_columns(b"key,n\n1,2\n2,3\n", id_column="key") == ["n"]


def test_every_bad_feature_column_is_named_in_one_message():
    with pytest.raises(GraphLoadError) as e:
        _people(feature_columns=["age", "joined", "note", "phone"])
    msg = str(e.value)
    assert "'joined' has '2024-01-10', which is not a number" in msg
    assert "'note' has 'hi there', which is not a number" in msg
    assert "'phone' of people_nodes.csv is empty: it holds no numbers" in msg
    assert "'age'" not in msg


def test_semicolon_node_table_reads_decimal_commas():
    b = load_upload("e.csv", b"a,b\nb,c\n", node_table=b"id;x\na;1,5\nb;2\nc;\n", feature_columns=["x"])
    assert b.data.x[:, 0].tolist() == [1.5, 2.0, 1.75]
    with pytest.raises(GraphLoadError, match="'x' has '1,5'"):  # comma-separated: "1,5" cannot be one cell
        load_upload("e.csv", b"a,b\n", node_table=b'id,x\na,"1,5"\nb,2\n', feature_columns=["x"])


# ---------------------------------------------------------------- semicolon CSV with BOM and decimal commas

def test_semicolon_csv_with_bom_crlf_and_decimal_commas():
    path = DATA / "bom_semicolon.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfvon;nach;gewicht\r\n")
    b = load_graph(str(path), source_column="von", target_column="nach", weight_column="gewicht")
    check_contract(b)
    w = {tuple(sorted((b.node_names[u], b.node_names[v]))): round(x, 4)
         for (u, v), x in zip(b.data.edge_index.t().tolist(), b.data.edge_weight.tolist()) if u < v}
    assert w == {("Knoten0", "Knoten1"): 2.5, ("Knoten1", "Knoten2"): 5.5, ("Knoten0", "Knoten2"): 1.0,
                 ("Knoten2", "Knoten3"): 0.25}
    assert "3 weights were written with a decimal comma (such as 2,5) and read as decimals (2.5)." in b.notes


def test_decimal_comma_is_not_read_in_a_comma_separated_file():
    with pytest.raises(GraphLoadError, match="the weight '2,5' is not a number"):
        load_upload("e.csv", b'source,target,weight\na,b,"2,5"\n')


def test_header_message_reads_right_on_the_page_and_the_command_line():
    with pytest.raises(GraphLoadError) as e:  # (von;nach;gewicht is recognised since: header_names.py)
        load_graph(str(DATA / "bom_unknown_headers.csv"))
    msg = str(e.value)
    assert "punkt_a, punkt_b, staerke" in msg and "on the Graph page, or with" not in msg
    assert "(on the command line: --source-column and --target-column)" in msg


# ---------------------------------------------------------------- GML / GraphML node attributes: one rule

@pytest.mark.parametrize("filename, numeric", [("cities.gml", "pop"), ("clubs.graphml", "size")])
def test_single_numeric_attributes_are_offered_not_used(filename, numeric):
    content = (DATA / filename).read_bytes()
    assert upload_columns(filename, content).numeric_attributes == [numeric]
    assert upload_columns(filename, content).detected_label == ("club" if filename == "clubs.graphml" else None)
    b = load_upload(filename, content)
    check_contract(b)
    assert b.feature_source.startswith("structural:")
    assert (f"The numeric node attribute '{numeric}' is used as features only when chosen; the features are "
            "made from the graph structure.") in b.notes
    chosen = load_upload(filename, content, feature_columns=[numeric])
    assert chosen.feature_source == "given" and chosen.num_features == 1
    assert f"Node features come from the chosen attribute {numeric}." in chosen.notes


def test_graphml_labels_are_named_and_a_missing_value_gets_the_mean():
    b = load_upload("clubs.graphml", (DATA / "clubs.graphml").read_bytes(), feature_columns=["size"])
    assert "Labels were taken from the node attribute 'club'." in b.notes
    assert b.data.x[:, 0].tolist() == [1.5, 3.0, 4.5, 3.0]
    assert "1 node has no 'size'; it was given the mean 3." in b.notes


def test_every_non_numeric_attribute_is_named_in_one_message():
    with pytest.raises(GraphLoadError, match=r"attributes 'region', 'label' are not numeric.*Numeric "
                                             r"attributes: pop\."):
        load_upload("cities.gml", (DATA / "cities.gml").read_bytes(), feature_columns=["region", "label", "pop"])


def test_on_automatic_the_id_column_is_found_by_the_load_and_never_used_as_a_feature():
    """The picker cannot know which column the load will match to the graph's nodes (the best overlap, not
    always the leftmost): an unnamed leftmost column is still offered, and the load drops the id column from
    the chosen features with a note."""
    edges = b"a,b\n1,2\n2,3\n3,1\n3,4\n"
    table = b"rank,user_no,score\n5,1,0.5\n6,2,0.25\n7,3,0.75\n8,4,1.0\n"
    assert node_table_feature_columns(table) == ["rank", "user_no", "score"]
    assert node_table_feature_columns(b"id,age\n1,20\n2,30\n") == ["age"]  # a column named id is never offered
    bundle = load_upload("e.csv", edges, node_table=table, node_table_name="t.csv",
                         feature_columns=["user_no", "score"])
    assert bundle.num_features == 1 and sorted(bundle.data.x[:, 0].tolist()) == [0.25, 0.5, 0.75, 1.0]
    assert any("'user_no' holds the node ids" in n for n in bundle.notes)


def test_decimal_commas_in_a_node_table_are_said_in_the_notes():
    edges = b"source;target\nx;y\ny;z\nz;x\n"
    table = b"id;score\nx;1,5\ny;2,5\nz;3\n"
    bundle = load_upload("e.csv", edges, node_table=table, node_table_name="t.csv", feature_columns=["score"])
    assert sorted(bundle.data.x[:, 0].tolist()) == [1.5, 2.5, 3.0]
    assert any("2 values in 'score' were written with a decimal comma" in n for n in bundle.notes), bundle.notes
