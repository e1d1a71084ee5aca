"""Workspaces through the app (AppTest, no browser): a second visitor cannot list, open, download or delete
the first one's unpublished run by any page or URL parameter; publishing shares it read-only."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core import workspaces
from graphcl_core.config import TrainConfig
from graphcl_core.options import RuntimeOptions
from graphcl_core.runs import RunStore
from ui import run_table, workspace

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ALICE = workspaces.browser_workspace("a" * 32)
BOB = workspaces.browser_workspace("b" * 32)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _saved_run(root: Path, ws: str, bundle) -> str:
    w = RunStore(root, ws).create(bundle, TrainConfig(epochs=2, hidden=16, embedding_dim=4), "cpu")
    hist = [{"epoch": 1, "loss": 0.9, "seconds": 0.1}, {"epoch": 2, "loss": 0.7, "seconds": 0.2}]
    emb = np.random.default_rng(0).normal(size=(bundle.num_nodes, 4)).astype(np.float32)
    w.save_progress(hist, [SimpleNamespace(epoch=2, embeddings=emb)], 2, 0.2)
    w.finish("finished")
    return w.run_id


def _visitor(ws: str, page: str | None = None, query: dict | None = None) -> AppTest:
    """A browser session whose cookie named ``ws`` (AppTest cannot send cookies: the session is seeded)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[workspace.KEY] = ws
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _keys(at: AppTest, kind: str) -> set[str]:
    return {e.key for e in getattr(at, kind) if e.key}


def test_choose_picks_the_signed_in_person_then_the_session_then_the_cookie():
    tok = "c" * 32
    user = {"is_logged_in": True, "sub": "123", "iss": "https://accounts.example"}
    signed, new = workspace.choose(user, tok, current=ALICE)
    assert signed == workspaces.user_workspace("https://accounts.example", "123") and new is None
    assert workspace.choose({"is_logged_in": False}, tok) == (f"b-{tok}", None)
    assert workspace.choose(None, tok, current=ALICE) == (ALICE, None)  # this session's own, kept
    assert workspace.choose(None, tok, current=signed) == (f"b-{tok}", None)  # signed out: back to the browser's
    for bad in (None, "", "../../etc", "A" * 32, "a" * 31):
        name, token = workspace.choose(None, bad)
        assert workspaces.valid_token(token) and name == f"b-{token}"


def test_owner_is_a_browser_on_the_server_itself_not_behind_a_proxy():
    assert workspace.is_owner("127.0.0.1", {}, RuntimeOptions())
    assert not workspace.is_owner("127.0.0.1", {"X-Forwarded-For": "10.0.0.7"}, RuntimeOptions())
    assert not workspace.is_owner("10.0.0.7", {}, RuntimeOptions())
    assert not workspace.is_owner("127.0.0.1", {}, RuntimeOptions(owner_localhost=False))
    assert not workspace.is_owner(None, None, RuntimeOptions())


def test_a_second_visitor_cannot_reach_an_unpublished_run(runs, tiny_graph):
    rid = _saved_run(runs, ALICE, tiny_graph)
    alice = _visitor(ALICE, "pages/runs.py")
    assert rid in _text(alice) or rid in str(alice.dataframe[0].value["run"].tolist())
    assert "runs.delete" in _keys(alice, "button") and "runs.publish" in _keys(alice, "button")

    # Bob: Runs and Explore list nothing, whatever session state or URL parameter asks for
    for page, key in (("pages/runs.py", "runs.detail"), ("pages/explore.py", "explore.run")):
        bob = _visitor(BOB, query={"run": rid})
        bob.session_state[key] = rid
        bob.switch_page(page).run()
        assert not bob.exception
        text = _text(bob)
        assert workspace.not_found(rid) in text and "n0" not in text
        assert not bob.dataframe and not bob.get("download_button") and "runs.delete" not in _keys(bob, "button")
        assert all(rid not in (sb.options or []) for sb in bob.selectbox)
    # nor through the store the page opens, nor with Alice's tab token copied into his URL
    bob = _visitor(BOB, query={"sid": alice.session_state["sid"]})
    assert bob.session_state["sid"] != alice.session_state["sid"]
    with pytest.raises(Exception, match="no saved run"):
        RunStore(runs, BOB).load(rid)
    assert (runs / ALICE / rid / "meta.json").exists()


def test_publishing_shares_a_run_read_only(runs, tiny_graph):
    rid = _saved_run(runs, ALICE, tiny_graph)
    alice = _visitor(ALICE, "pages/runs.py")
    assert alice.button(key="runs.publish").label == "Publish"
    # (AppTest does not deliver clicks on this page's buttons; the browser test presses Publish)
    assert run_table.set_published(RunStore(runs, ALICE), rid, True) is None
    alice = _visitor(ALICE, "pages/runs.py")
    assert alice.button(key="runs.publish").label == "Unpublish"

    bob = _visitor(BOB, "pages/runs.py", query={"run": rid})
    assert "Shared runs" in [h.value for h in bob.subheader] and "Shared by another visitor: read-only." in _text(bob)
    assert bob.selectbox(key="runs.detail").value == rid
    assert bob.get("download_button")  # published runs can be downloaded...
    assert not {"runs.delete", "runs.publish", "runs.pin"} & _keys(bob, "button")  # ...never changed
    ex = _visitor(BOB, "pages/explore.py")
    assert rid in ex.selectbox(key="explore.run").options[0] or ex.selectbox(key="explore.run").value == rid

    assert run_table.set_published(RunStore(runs, ALICE), rid, False) is None
    bob = _visitor(BOB, "pages/runs.py")
    assert "Shared runs" not in [h.value for h in bob.subheader] and not bob.dataframe


def test_runs_started_in_the_app_land_in_the_visitors_workspace(runs, tiny_graph):
    at = _visitor(ALICE)
    from ui import registry, training

    slot = registry.get_slot(at.session_state["sid"])
    assert slot.workspace == ALICE
    job = training.start(slot, tiny_graph, TrainConfig(epochs=3, hidden=16, embedding_dim=4, device="cpu"))
    job.join(60)
    assert job.state == "finished" and (runs / ALICE / job.run_id / "meta.json").exists()
    assert RunStore(runs, BOB).list() == [] and RunStore(runs, BOB).shared() == []


def test_runs_deleted_by_the_max_runs_rule_are_announced_once(runs, tiny_graph, monkeypatch):
    monkeypatch.setenv("GRAPHCL_MAX_RUNS_PER_WORKSPACE", "2")
    first = _saved_run(runs, ALICE, tiny_graph)
    for _ in range(2):
        _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE)
    toasts = [t.value for t in at.toast]
    assert any("keeps at most 2 runs" in t and first in t for t in toasts), toasts
    at.run()
    assert not [t.value for t in at.toast if "keeps at most" in t.value]
    assert len(_visitor(BOB).toast) == 0  # another visitor never hears of it


def test_signed_in_visitors_get_their_named_workspace(runs, tiny_graph, monkeypatch):
    ada = {"is_logged_in": True, "sub": "42", "iss": "https://id.example", "name": "Ada"}
    named = workspaces.user_workspace("https://id.example", "42")
    _saved_run(runs, named, tiny_graph)  # made on another device
    monkeypatch.setattr(workspace, "auth_configured", lambda: True)
    monkeypatch.setattr(workspace, "_user", lambda: None)
    at = _visitor(BOB, "pages/runs.py")
    assert "workspace.login" in _keys(at, "button") and "No saved runs yet" in _text(at)
    monkeypatch.setattr(workspace, "_user", lambda: ada)
    at.run()
    assert at.session_state[workspace.KEY] == named and "Signed in as Ada" in _text(at)
    assert "workspace.logout" in _keys(at, "button") and at.dataframe  # the run follows Ada here
    monkeypatch.setattr(workspace, "auth_configured", lambda: False)
    assert "workspace.login" not in _keys(_visitor(BOB), "button")  # no [auth]: no sign-in at all


def test_idle_workspaces_expire_when_the_app_is_opened(runs, tiny_graph, monkeypatch):
    _saved_run(runs, ALICE, tiny_graph)
    workspaces.touch(runs, ALICE, now=1_000_000.0)  # last seen in 1970
    monkeypatch.setattr(workspace, "_last_expiry", 0.0)
    _visitor(BOB)
    assert not (runs / ALICE).exists()


def test_the_server_owner_sees_legacy_runs_read_only(runs, tiny_graph, monkeypatch):
    rid = _saved_run(runs, "legacy", tiny_graph)
    assert not _visitor(BOB, "pages/runs.py").dataframe  # a visitor from elsewhere: nothing
    monkeypatch.setattr(workspace, "_context", lambda: ("127.0.0.1", {}, None))
    at = _visitor(BOB, "pages/runs.py")
    assert "Shared runs" in [h.value for h in at.subheader] and at.selectbox(key="runs.detail").value == rid
    assert "runs.delete" not in _keys(at, "button")


def test_a_crafted_run_parameter_is_never_echoed_as_markdown(runs):
    at = _visitor(BOB, "pages/explore.py", query={"run": "[click here](https://evil.example)"})
    assert workspace.not_found("") in _text(at) and "evil" not in _text(at)
