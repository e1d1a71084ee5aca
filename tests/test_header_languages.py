"""Edge lists, node tables and graph files whose column names are not English (a stranger's German edge
list ``Quelle;Ziel;Gewicht`` was not recognised): the loaders read them by name through the one table in
``graphcl_core/loaders/header_names.py``. Files in tests/data/languages/."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphcl_core.errors import GraphLoadError
from graphcl_core.loaders import load_graph, load_upload, node_table_feature_columns
from graphcl_core.loaders.api import upload_columns
from graphcl_core.loaders.header_names import name_key

from test_loaders import check_contract, edge_set

DATA = Path(__file__).resolve().parent / "data" / "languages"


def _weights(b) -> dict[tuple[str, str], float]:
    ei, w = b.data.edge_index, b.data.edge_weight
    return {tuple(sorted((b.node_names[u], b.node_names[v]))): round(float(x), 4)
            for (u, v), x in zip(ei.t().tolist(), w.tolist()) if u < v}


def test_german_semicolon_file_with_decimal_commas_is_read_by_its_header():
    path = DATA / "kanten_de.csv"
    assert path.read_bytes().startswith("\ufeffQuelle;Ziel;Gewicht;Datum\r\n".encode())
    b = load_graph(str(path))
    check_contract(b)
    assert _weights(b) == {("Berlin", "München"): 2.5, ("Köln", "München"): 0.75, ("Berlin", "Köln"): 3.0,
                           ("Düsseldorf", "Köln"): 1.25}
    assert "3 weights were written with a decimal comma (such as 2,5) and read as decimals (2.5)." in b.notes
    assert any("'Datum' was ignored" in n for n in b.notes)


def test_the_strangers_file_loads_without_choosing_columns():
    """tests/data/spreadsheet/bom_semicolon.csv (von;nach;gewicht) needed its three columns chosen by hand."""
    b = load_graph(str(DATA.parent / "spreadsheet" / "bom_semicolon.csv"))
    check_contract(b)
    assert _weights(b) == {("Knoten0", "Knoten1"): 2.5, ("Knoten1", "Knoten2"): 5.5, ("Knoten0", "Knoten2"): 1.0,
                           ("Knoten2", "Knoten3"): 0.25}


@pytest.mark.parametrize("filename, expected", [
    ("aretes_fr.csv", {("Lyon", "Paris"): 2.5, ("Lyon", "Marseille"): 1.0, ("Marseille", "Nice"): 0.5}),
    ("aristas_es.tsv", {("Madrid", "Sevilla"): 4.0, ("Sevilla", "Valencia"): 1.5, ("Madrid", "Valencia"): 2.0}),
    ("von_nach.csv", {("A1", "B2"): 1.5, ("B2", "C3"): 2.0}),
])
def test_french_spanish_and_german_headers_name_the_weight(filename, expected):
    b = load_graph(str(DATA / filename))
    check_contract(b)
    assert _weights(b) == expected and b.notes == []


def test_two_text_columns_named_quelle_ziel_are_a_header_not_an_edge():
    """Without the names, 'quelle,ziel' over text ids read as an edge from node 'quelle' to node 'ziel'."""
    b = load_graph(str(DATA / "freunde_de.csv"))
    check_contract(b)
    assert edge_set(b) == {("Anna", "Bert"), ("Bert", "Carla"), ("Anna", "Carla")}
    assert getattr(b.data, "edge_weight", None) is None


def test_upload_path_offers_the_header_and_reads_a_chosen_weight():
    content = (DATA / "kanten_de.csv").read_bytes()
    assert upload_columns("kanten_de.csv", content).edge_columns == ["Quelle", "Ziel", "Gewicht", "Datum"]
    b = load_upload("kanten_de.csv", content)
    assert _weights(b)[("Berlin", "München")] == 2.5
    b = load_upload("kanten_de.csv", content, weight_column="")  # the page's "(no weight)"
    assert getattr(b.data, "edge_weight", None) is None and b.num_edges == 4


@pytest.mark.parametrize("header", ["FROM;TO", "Von;Nach", "Origen;Destino", "Source;Cible", "Départ;Arrivée",
                                    "depart;arrivee"])
def test_any_case_and_accents(header):
    b = load_upload("e.csv", f"{header}\nx;y\ny;z\n".encode())
    assert edge_set(b) == {("x", "y"), ("y", "z")}


def test_short_names_only_in_a_row_known_to_be_a_header():
    """'de,a' names the ends under a header that is one by its third column; as the first line of a
    headerless file the same ids are an edge."""
    b = load_upload("e.csv", b"nr,de,a,peso\n1,x,y,2\n2,y,z,3\n")
    assert _weights(b) == {("x", "y"): 2.0, ("y", "z"): 3.0}
    assert edge_set(load_upload("e.csv", b"de,a\na,x\n")) == {("de", "a"), ("a", "x")}


def test_no_known_names_says_which_names_are_known_and_how_to_choose():
    text = "Datum;Temperatur;Regen\n2024-01-01;3,5;0\n2024-01-02;4;1,2\n"
    with pytest.raises(GraphLoadError) as e:
        load_upload("wetter.csv", text.encode())
    msg = str(e.value)
    assert msg.startswith("wetter.csv does not look like an edge list: its first line names the columns "
                          "Datum, Temperatur, Regen, and none of them is a source or target column")
    assert "quelle/ziel, von/nach, source/cible or origen/destino" in msg
    assert "(on the command line: --source-column and --target-column)" in msg
    b = load_upload("wetter.csv", text.encode(), source_column="Datum", target_column="Regen")
    assert b.num_edges == 2


# ---------------------------------------------------------------- node tables and node attributes

def test_node_table_with_german_names_labels_and_decimal_comma_features():
    b = load_graph(str(DATA / "kanten_de.csv"), node_table=DATA / "knoten_de.csv", label_column="klasse",
                   feature_columns=["einwohner"])
    check_contract(b)
    assert sorted(b.label_names) == ["Hauptstadt", "Land", "Stadtstaat"]
    x = {name: round(float(v), 4) for name, v in zip(b.node_names, b.data.x[:, 0].tolist())}
    assert x == {"Berlin": 3.7, "München": 1.5, "Köln": 1.1, "Düsseldorf": 0.6, "Hamburg": 1.9}
    assert any("node-table ids were read from the column 'knoten'" in n for n in b.notes)


def test_a_column_named_knoten_is_the_id_and_never_offered_as_a_feature():
    """Its numbers are node ids: offering 'Knoten' as a feature hands the model an arbitrary numbering."""
    content = (DATA / "knoten_nummern_de.csv").read_bytes()
    assert node_table_feature_columns(content) == ["Einwohner"]
    b = load_graph(str(DATA / "kanten_nummern_de.csv"), node_table=DATA / "knoten_nummern_de.csv",
                   label_column="Klasse")
    assert b.label_names == ["Nord", "Süd"] and b.num_nodes == 4
    assert "The node-table ids were read from the column 'Knoten': 4 of 4 ids match nodes of the graph." in b.notes


def test_graph_file_attributes_gruppe_and_bezeichnung_are_label_and_names():
    content = (DATA / "orte_de.gml").read_bytes()
    assert upload_columns("orte_de.gml", content).detected_label == "Gruppe"
    b = load_upload("orte_de.gml", content)
    check_contract(b)
    assert b.node_names[:3] == ["Berlin", "Hamburg", "Kiel"] and b.label_names == ["Nord", "Süd"]
    assert "Labels were taken from the node attribute 'Gruppe'." in b.notes


def test_name_key_folds_case_and_accents_but_not_separators():
    assert name_key(' "Catégorie" ') == "categorie" and name_key("NŒUD1") == "noeud1"
    assert name_key("node-1") != name_key("node1")
