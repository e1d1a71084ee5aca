"""The Graph page right after a graph change, through AppTest: the sidebar names the new graph in the
same run, a node table's label column colours the drawing, the "Loaded …" toast comes once per file,
and the page says an uploaded graph is not in the shared link."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_graph_page import _ok, _runs_dir, _upload, _upload_page  # noqa: F401 (_runs_dir: autouse)

APP = str(Path(__file__).resolve().parents[1] / "app.py")
FILES = Path(__file__).resolve().parent / "data"
EDGES = "Source,Target\nann,bob\nbob,cat\ncat,ann\ncat,dan\ndan,eve\neve,ann\n"
TABLE = "id,role,age\nann,x,20\nbob,y,21\ncat,x,22\ndan,y,23\neve,x,24\n"

pytestmark = pytest.mark.timeout(180)




def _sidebar_graph(at: AppTest) -> str:
    texts = [str(m.value) for m in at.sidebar.markdown]
    return next(t for t in texts if t.startswith("**"))


def _toasts(at: AppTest) -> list[str]:
    return [str(t.value) for t in at.toast]


def test_sidebar_names_the_uploaded_graph_in_the_same_run():
    at = _upload_page()
    assert _sidebar_graph(at) == "**Zachary's karate club**"
    _upload(at, "people.csv", EDGES)
    assert at.session_state["graph.key"] == "upload:people.csv"
    assert _sidebar_graph(at) == "**people.csv**"


def test_sidebar_names_a_chosen_example_in_the_same_run():
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/graph.py").run()
    _ok(at)
    other = next(o for o in at.selectbox(key="graph.example").options if "karate" not in o.lower())
    at.selectbox(key="graph.example").set_value(
        next(n for n in at.selectbox(key="graph.example").options if n == other)).run()
    _ok(at)
    from ui import graphs

    assert _sidebar_graph(at) == f"**{graphs.title_of(at.session_state['graph.key'])}**"
    assert "karate" not in _sidebar_graph(at).lower()


def test_label_column_colours_the_drawing_by_label():
    at = _upload(_upload_page(), "people.csv", EDGES)
    assert at.segmented_control(key="graph.colour").value == "Community"  # no labels yet
    _upload(at, "people_nodes.csv", TABLE, key="graph.upload_table")
    at.selectbox(key="graph.label_col").set_value("role").run()
    _ok(at)
    assert at.segmented_control(key="graph.colour").value == "Label"


def test_loaded_toast_once_per_file():
    at = _upload(_upload_page(), "people.csv", EDGES)
    assert any("Loaded people.csv" in t for t in _toasts(at))
    _upload(at, "people_nodes.csv", TABLE, key="graph.upload_table")
    at.selectbox(key="graph.label_col").set_value("role").run()
    _ok(at)
    assert not any("Loaded people.csv" in t for t in _toasts(at))
    at.multiselect(key="graph.feature_cols").set_value(["age"]).run()
    _ok(at)
    assert not any("Loaded people.csv" in t for t in _toasts(at))


def test_page_says_an_upload_is_not_in_the_link():
    at = _upload(_upload_page(), "people.csv", EDGES)
    captions = " ".join(str(c.value) for c in at.main.caption)
    assert "kept in the link" not in captions
    assert "not in the link" in captions and "upload" in captions.lower()


CLASS_TABLE = "id,Community,age\nann,red team,20\nbob,blue team,21\ncat,red team,22\ndan,blue team,23\neve,red team,24\n"


def test_a_node_tables_class_like_column_is_picked_and_the_persons_choice_kept():
    at = _upload(_upload_page(), "people.csv", EDGES)
    _upload(at, "people_nodes.csv", CLASS_TABLE, key="graph.upload_table")
    _ok(at)
    assert at.selectbox(key="graph.label_col").value == "Community"
    assert at.segmented_control(key="graph.colour").value == "Label"
    at.selectbox(key="graph.label_col").set_value("(no labels)").run()  # the person says: none
    at.run()
    _ok(at)
    assert at.selectbox(key="graph.label_col").value == "(no labels)"
    _upload(at, "other_nodes.csv", TABLE, key="graph.upload_table")  # no class-like column: none picked
    _ok(at)
    assert at.selectbox(key="graph.label_col").value == "(no labels)"


def test_the_library_names_a_node_tables_label_column():
    from graphcl_core.loaders import node_table_label_column

    assert node_table_label_column(CLASS_TABLE.encode()) == "Community"
    assert node_table_label_column("Knoten;Klasse\na;1\nb;2\nc;1\nd;2\ne;1\n".encode()) == "Klasse"
    assert node_table_label_column(TABLE.encode()) is None
    unique = "id,label\na,Ann\nb,Bob\nc,Cat\nd,Dan\ne,Eve\n"  # a label per node names the nodes, not classes
    assert node_table_label_column(unique.encode()) is None
    assert node_table_label_column("class,group\n1,a\n2,b\n3,a\n4,b\n".encode(), id_column="class") == "group"
