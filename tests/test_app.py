"""The Streamlit app through ``streamlit.testing.v1.AppTest`` (no browser): pages, training, uploads, URL."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _runs_dir(app_runs_dir):
    """A private runs folder for every test here, and every job they started stopped afterwards."""
    return app_runs_dir


def _app(query: dict | None = None, workspace: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if workspace:  # the browser's workspace cookie (AppTest cannot send cookies: ui/workspace.py)
        at.session_state["workspace"] = workspace
    if query:
        at.query_params.update(query)
    return at.run()


def _slot(at: AppTest):
    from ui import registry

    return registry.get_slot(at.session_state["sid"])


def _no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _poll(at: AppTest, cond, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        _no_exceptions(at)
        if cond():
            at.run()  # show what the condition saw
            _no_exceptions(at)
            return
        time.sleep(0.3)
    raise AssertionError("condition not reached in time")


def _chart_specs(at: AppTest) -> list[str]:
    """The figure JSON of every chart drawn: st.plotly_chart's and ui.live_chart's (a custom component)."""
    from ui.live_chart import COMPONENT

    specs = [c.proto.spec for c in at.get("plotly_chart")]
    return specs + [json.loads(c.proto.json)["figure"] for c in at.get("bidi_component")
                    if c.proto.component_name == COMPONENT]


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def test_every_page_renders():
    at = _app()
    _no_exceptions(at)
    assert at.title[0].value == "GraphCL Studio"
    assert at.session_state["graph.key"] == "karate"
    for page, title in [("pages/graph.py", "Graph"), ("pages/train.py", "Train"), ("pages/explore.py", "Explore"),
                        ("pages/runs.py", "Runs")]:
        at.switch_page(page).run()
        _no_exceptions(at)
        assert at.title[0].value == title
    # the URL carries the private token and the settings
    qp = at.query_params
    assert qp["graph"] == ["karate"] or qp["graph"] == "karate"
    assert {"sid", "margin", "hidden", "lr"} <= set(qp)


def test_pick_graph_train_pause_and_reattach():
    at = _app()
    at.switch_page("pages/graph.py").run()
    at.selectbox(key="graph.example").set_value("ring_of_cliques").run()
    _no_exceptions(at)
    assert at.session_state["graph.key"] == "ring_of_cliques"
    assert "Ring of cliques" in _texts(at.subheader)

    at.switch_page("pages/train.py").run()
    # so many epochs that the run never ends by itself: every state below is reached on purpose
    at.number_input(key="cfg.epochs").set_value(100_000)
    at.number_input(key="cfg.hidden").set_value(32)
    at.number_input(key="cfg.snapshot_every").set_value(2)
    at.run()
    # Step with no run: a new run, paused, exactly one epoch per click
    at.button(key="train.step").click().run()
    _no_exceptions(at)
    slot = _slot(at)
    job = slot.job
    assert job is not None and job.bundle.name == "ring_of_cliques" and job.cfg.epochs == 100_000
    _poll(at, lambda: job.status()["epoch"] >= 1)
    at.button(key="train.step").click().run()
    _poll(at, lambda: job.status()["epoch"] >= 2)
    time.sleep(0.3)  # a paused run never moves on its own
    assert job.status()["epoch"] == 2 and job.state == "paused"
    at.run()
    assert at.button(key="train.pause").label == "Resume"

    at.button(key="train.pause").click().run()  # Resume
    assert job.state == "running"
    _poll(at, lambda: len(job.status()["history"]) >= 6)
    progress = [p.proto.text for p in at.get("progress")]
    assert any(t.startswith("Epoch ") for t in progress), progress
    assert at.metric[0].label == "Loss" and at.metric[0].value != "—"
    charts = _chart_specs(at)
    assert len(charts) >= 2  # loss curve and pair distances / projection
    assert any('"loss' in c for c in charts)

    # a rerun never starts a second job
    at.run()
    assert _slot(at).job is job

    # a new session with the same token (a reload, the workspace cookie with it) reattaches to the same job
    again = _app({"sid": at.session_state["sid"]}, workspace=at.session_state["workspace"])
    assert _slot(again).job is job
    # the same link in another browser (another workspace) never takes the tab over
    stranger = _app({"sid": at.session_state["sid"]})
    assert stranger.session_state["sid"] != at.session_state["sid"] and _slot(stranger).job is None
    # another tab (no token) gets its own slot
    other = _app()
    assert other.session_state["sid"] != at.session_state["sid"] and _slot(other).job is None

    # changing a setting mid-run leaves the job's own copy alone and says so
    at.number_input(key="cfg.margin").set_value(1.5).run()
    assert job.cfg.margin != 1.5
    assert "Changes apply on the next Start" in _texts(at.info)

    at.button(key="train.pause").click().run()
    assert job.state == "paused"
    at.run()
    assert at.button(key="train.pause").label == "Resume"
    e = job.status()["epoch"]  # an epoch already under way when Pause was pressed may still land
    at.button(key="train.step").click().run()
    _poll(at, lambda: job.status()["epoch"] > e)
    assert job.state == "paused"
    at.button(key="train.stop").click().run()
    job.join(20)
    assert job.state == "stopped"
    assert job.run_id is not None and (Path(_slot(at).job.store.path) / job.run_id / "meta.json").exists()

    # the saved run shows up on Runs and in Explore
    at.switch_page("pages/runs.py").run()
    _no_exceptions(at)
    assert job.run_id in at.dataframe[0].value["run"].tolist()
    at.switch_page("pages/explore.py").run()
    _no_exceptions(at)
    assert any("at epoch" in c for c in _chart_specs(at))
    at.button(key="explore.play").click().run()
    _no_exceptions(at)


def test_nan_or_config_failure_is_shown_and_app_keeps_working():
    # the 'labels' pair strategy on an unlabelled graph fails with a plain message
    at = _app({"graph": "lesmis", "pairs": "labels", "epochs": "20"})
    at.switch_page("pages/train.py").run()
    at.button(key="train.start").click().run()
    job = _slot(at).job
    _poll(at, lambda: job.done, timeout=30)
    at.run()
    assert job.state == "failed"
    assert "labels" in _texts(at.error)
    at.button(key="train.reset").click().run()
    _no_exceptions(at)
    assert _slot(at).job is None


def test_bad_upload_shows_error_and_keeps_previous_graph():
    at = _app()
    at.switch_page("pages/graph.py").run()
    at.segmented_control(key="graph.source").set_value("Upload").run()
    at.file_uploader(key="graph.upload_file").set_value(("broken.graphml", b"<graphml><graph><node id=",
                                                        "application/xml")).run()
    _no_exceptions(at)
    errors = _texts(at.error)
    assert "broken.graphml" in errors
    assert at.session_state["graph.key"] == "karate"
    assert _slot(at).graph_key == "karate"
    # a good upload replaces it
    edges = b"a b\nb c\nc a\nc d\n"
    at.file_uploader(key="graph.upload_file").set_value(("tiny.txt", edges, "text/plain")).run()
    _no_exceptions(at)
    assert at.session_state["graph.key"] == "upload:tiny.txt"
    assert _slot(at).bundle.num_nodes == 4


def test_upload_handler_directly():
    from ui import graphs

    bundle, err = graphs.load_upload("x.gml", b"graph [ node [ id 1 ] edge [ source 1 target 9 ")
    assert bundle is None and "x.gml" in err
    bundle, err = graphs.load_upload("ok.csv", b"source,target\n1,2\n2,3\n")
    assert err is None and bundle.num_nodes == 3


def test_query_params_restore_settings():
    at = _app({"graph": "ring_of_cliques", "margin": "0.75", "hidden": "64", "lr": "0.01", "epochs": "30",
               "loss": "triplet", "negatives": "3"})
    _no_exceptions(at)
    ss = at.session_state
    assert ss["graph.key"] == "ring_of_cliques"
    assert ss["cfg.margin"] == 0.75 and ss["cfg.hidden"] == 64 and ss["cfg.lr"] == 0.01
    assert ss["cfg.epochs"] == 30 and ss["cfg.loss"] == "triplet" and ss["cfg.negatives"] == 3
    at.switch_page("pages/train.py").run()
    _no_exceptions(at)
    assert at.number_input(key="cfg.margin").value == 0.75
    assert at.number_input(key="cfg.hidden").value == 64
    assert at.selectbox(key="cfg.loss").value == "triplet"
    # the URL keeps the non-default advanced settings and drops default ones
    qp = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert qp["loss"] == "triplet" and qp["epochs"] == "30" and "encoder" not in qp


def test_out_of_range_url_values_are_clamped_with_a_warning():
    at = _app({"hidden": "99999", "margin": "abc", "graph": "nope"})
    _no_exceptions(at)
    ss = at.session_state
    assert ss["cfg.hidden"] == 8192
    assert ss["graph.key"] == "karate"
    toasts = " ".join(t.proto.body for t in at.get("toast"))
    assert "hidden" in toasts.lower() or "Hidden" in toasts
    assert "nope" in toasts


def test_downloads_formats():
    from ui import downloads, sources
    from graphcl_core.loaders import load_graph

    b = load_graph("karate")
    nodes = sources.nodes_from_bundle(b)
    emb = np.random.default_rng(0).standard_normal((b.num_nodes, 4)).astype(np.float32)
    vec = downloads.projector_vectors_tsv(emb).decode().strip().split("\n")
    meta = downloads.projector_metadata_tsv(nodes).decode().strip().split("\n")
    assert len(vec) == b.num_nodes and len(vec[0].split("\t")) == 4
    assert meta[0] == "name\tlabel\tdegree" and len(meta) == b.num_nodes + 1
    csv = downloads.embeddings_csv(emb, nodes).decode().splitlines()
    assert csv[0].startswith("node,name,label,degree,dim_0") and len(csv) == b.num_nodes + 1
    import io

    assert np.load(io.BytesIO(downloads.embeddings_npy(emb))).shape == emb.shape


def test_recipe_picker_applies_a_preset_to_the_widgets():
    at = _app()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train.recipe").set_value("infonce-gcn").run()
    at.button(key="train.apply_recipe").click().run()
    _no_exceptions(at)
    assert at.session_state["cfg.loss"] == "infonce" and at.session_state["cfg.encoder"] == "gcn"
    assert at.session_state["cfg.embedding_dim"] == 256
    assert "GCN" in _texts(at.caption)


def test_token_of_an_open_connection_is_not_shared(monkeypatch):
    from streamlit import runtime

    from ui import registry

    sid = registry.new_token()
    registry.get_slot(sid).owner = "session-A"

    class FakeRuntime:
        def is_active_session(self, session_id):
            return session_id == "session-A"

    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: FakeRuntime())
    assert registry.owned_by_other_open_session(sid, "session-B")  # a second tab: A still open
    assert not registry.owned_by_other_open_session(sid, "session-A")
    registry.get_slot(sid).owner = "session-gone"  # a reload: the old connection has closed
    assert not registry.owned_by_other_open_session(sid, "session-B")
