"""The Graph page's upload form through AppTest: column pickers for edge lists, node tables and node
attributes, no crash when a node table adds nodes, and an error box that follows the latest upload."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))


def _upload_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/graph.py").run()
    at.segmented_control(key="graph.source").set_value("Upload").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _slot(at: AppTest):
    from ui import registry

    return registry.get_slot(at.session_state["sid"])


def _box(at: AppTest, label: str, kind: str = "selectbox"):
    found = [w for w in getattr(at, kind) if w.label == label]
    assert found, f"no {kind} labelled {label!r}; have {[w.label for w in getattr(at, kind)]}"
    return found[0]


def _labels(at: AppTest, kind: str = "selectbox") -> list[str]:
    return [w.label for w in getattr(at, kind)]


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def _upload(at: AppTest, name: str, content: str | bytes, key: str = "graph.upload_file") -> AppTest:
    data = content.encode() if isinstance(content, str) else content
    at.file_uploader(key=key).set_value((name, data, "text/plain")).run()
    return at


def test_node_table_that_adds_nodes_does_not_crash_the_drawing():
    at = _upload(_upload_page(), "e.csv", "a,b\nb,c\nc,a\nc,d\n")
    _ok(at)
    assert _slot(at).bundle.num_nodes == 4
    _upload(at, "n.csv", "id,grp\na,x\nb,y\nc,x\nd,y\ne,x\nf,y\n", key="graph.upload_table")
    _ok(at)
    assert _slot(at).bundle.num_nodes == 6
    at.segmented_control(key="graph.colour").set_value("Degree").run()
    _ok(at)
    _box(at, "Label column").set_value("grp").run()
    _ok(at)
    assert _slot(at).bundle.num_classes == 2
    for colour in ("Label", "Community"):
        at.segmented_control(key="graph.colour").set_value(colour).run()
        _ok(at)


def test_edge_column_pickers_list_every_column_and_reload():
    at = _upload(_upload_page(), "wiki.csv", "Source,Target,Page name\nAnn,Bob,Main\nBob,Cat,Talk\nCat,Ann,Main\n")
    _ok(at)
    src, dst, w = _box(at, "Source column"), _box(at, "Target column"), _box(at, "Weight column")
    assert src.options == dst.options == ["Source", "Target", "Page name"]
    assert (src.value, dst.value, w.value) == ("Source", "Target", "(no weight)")
    assert set(_slot(at).bundle.node_names) == {"Ann", "Bob", "Cat"}
    _box(at, "Target column").set_value("Page name").run()
    _ok(at)
    assert set(_slot(at).bundle.node_names) == {"Ann", "Bob", "Cat", "Main", "Talk"}


def test_headerless_edge_list_shows_no_column_pickers():
    at = _upload(_upload_page(), "e.txt", "1 2\n2 3\n3 1\n")
    _ok(at)
    assert "Source column" not in _labels(at)


def test_not_an_edge_list_says_so_then_loads_with_chosen_columns():
    at = _upload(_upload_page(), "trips.csv", "day,origin,destination\nmon,x,y\ntue,y,z\nwed,z,x\n")
    _ok(at)
    assert "does not look like an edge list" in _texts(at.error)
    assert _box(at, "Source column").value is None
    _box(at, "Source column").set_value("origin").run()
    _box(at, "Target column").set_value("destination").run()
    _ok(at)
    assert not at.error
    assert at.session_state["graph.key"] == "upload:trips.csv" and _slot(at).bundle.num_nodes == 3


def test_node_table_id_column_picker_and_the_loaders_own_words():
    at = _upload(_upload_page(), "e.csv", "source,target\nann,bob\nbob,cat\ncat,dan\ndan,ann\n")
    _upload(at, "n.csv", "ID,Name,group\n1,ann,x\n2,bob,y\n3,cat,x\n4,dan,y\n", key="graph.upload_table")
    _ok(at)
    idc = _box(at, "Id column")
    assert idc.options[1:] == ["ID", "Name", "group"]
    assert "'Name'" in _texts(at.caption) and _slot(at).bundle.num_nodes == 4
    idc.set_value("ID").run()
    _ok(at)
    assert "'ID'" in _texts(at.caption) and "only 0 of 4" in _texts(at.warning)
    assert _slot(at).bundle.num_nodes == 8


GRAPHML = """<graphml><key id="s" for="node" attr.name="score" attr.type="double"/>
<key id="a" for="node" attr.name="age" attr.type="double"/><graph edgedefault="undirected">
<node id="n0"><data key="s">1</data><data key="a">30</data></node>
<node id="n1"><data key="s">2</data><data key="a">31</data></node>
<node id="n2"><data key="s">1</data><data key="a">32</data></node>
<node id="n3"><data key="s">2</data><data key="a">33</data></node>
<edge source="n0" target="n1"/><edge source="n1" target="n2"/><edge source="n2" target="n3"/></graph></graphml>"""


def test_node_attributes_are_offered_as_label_and_features():
    at = _upload(_upload_page(), "g.graphml", GRAPHML)
    _ok(at)
    lab = _box(at, "Label attribute")
    assert lab.options[1:] == ["age", "score"]
    lab.set_value("score").run()
    _ok(at)
    assert _slot(at).bundle.num_classes == 2
    feats = _box(at, "Feature attributes", "multiselect")
    assert feats.options == ["age"]
    feats.set_value(["age"]).run()  # a single numeric attribute is a feature only when chosen
    _ok(at)
    b = _slot(at).bundle
    assert b.num_classes == 2 and b.num_features == 1 and b.data.x[:, 0].tolist() == [30, 31, 32, 33]


def test_error_box_follows_the_latest_upload():
    at = _upload(_upload_page(), "first.graphml", "<graphml><graph><node id=")
    _ok(at)
    assert "first.graphml" in _texts(at.error)
    _upload(at, "good.txt", "a b\nb c\n")
    _ok(at)
    assert not at.error and at.session_state["graph.key"] == "upload:good.txt"
    _upload(at, "second.gml", "graph [ node [ id 1 ] edge [ source 1 target 9 ")
    _ok(at)
    errors = _texts(at.error)
    assert "second.gml" in errors and "first.graphml" not in errors
    assert at.session_state["graph.key"] == "upload:good.txt"


def test_only_numeric_columns_and_attributes_are_offered_as_features():
    """A stranger's node table (ids, dates, free text, blank cells): the feature picker offers the numeric
    columns only, and choosing both loads (blanks get the column mean). A GML file's numeric attribute is
    offered, its text attribute is not."""
    data = Path(__file__).parent / "data" / "people"
    at = _upload(_upload_page(), "people_edges.csv", (data / "people_edges.csv").read_bytes())
    at = _upload(at, "people_nodes.csv", (data / "people_nodes.csv").read_bytes(), key="graph.upload_table")
    _ok(at)
    feats = _box(at, "Feature columns", "multiselect")
    assert feats.options == ["age", "score"]
    _box(at, "Label column").set_value("role").run()
    _ok(at)
    feats = _box(at, "Feature columns", "multiselect")
    feats.set_value(["age", "score"]).run()
    _ok(at)
    b = _slot(at).bundle
    assert b.num_features == 2 and b.num_classes == 3 and not torch.isnan(b.data.x).any()
    gml = ('graph [ node [ id 1 label "a" pop 10 region "north" ] node [ id 2 label "b" pop 20 region "south" ] '
           'node [ id 3 label "c" pop 30 region "north" ] edge [ source 1 target 2 ] edge [ source 2 target 3 ] ]')
    at = _upload(_upload_page(), "cities.gml", gml)
    _ok(at)
    assert _box(at, "Feature attributes", "multiselect").options == ["pop"]
