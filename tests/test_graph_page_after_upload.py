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
