"""The URL's ``run`` follows what the tab does (AppTest, no browser). A run shown on Explore stayed named in the
URL after the visitor changed the graph and trained a new run, so a copied Train URL opened that old run on
Explore. Now a change of graph forgets it, and a run the tab trains is named once its id is known."""

from __future__ import annotations

import time

import pytest

from test_ui_workspaces import ALICE, _saved_run, _visitor, runs  # noqa: F401 - the ``runs`` fixture
from ui import explore, registry, state

pytestmark = pytest.mark.timeout(240)


def _url(at) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def _finish(at):
    job = registry.get_slot(at.session_state["sid"]).job
    deadline = time.time() + 120
    while job.status()["state"] not in ("finished", "failed", "stopped") and time.time() < deadline:
        time.sleep(0.2)
    assert job.status()["state"] == "finished", job.status()
    at.run()
    return job


def test_a_graph_change_forgets_the_run_and_a_new_run_is_named(runs, tiny_graph):  # noqa: F811
    old = _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/explore.py", query={"run": old, "epochs": "3"})
    assert at.session_state["explore.run"] == old and _url(at)["run"] == old

    at.switch_page("pages/graph.py").run()
    assert _url(at)["run"] == old  # a page switch alone keeps it (one history entry a visit)
    at.selectbox(key="graph.example").set_value("lesmis").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state[state.GRAPH_KEY] == "lesmis" and _url(at)["graph"] == "lesmis"
    assert state.RUN_PARAM not in _url(at), _url(at)  # the old graph's run is no longer named

    at.switch_page("pages/train.py").run()
    assert state.RUN_PARAM not in _url(at), _url(at)
    at.button(key="train.start").click().run()
    job = _finish(at)
    assert _url(at)["run"] == job.run_id  # a copied Train URL names the run just trained

    at.switch_page("pages/explore.py").run()  # and Explore opens that run, not the old one
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["explore.run"] == explore.LIVE and _url(at)["run"] == job.run_id


def test_a_reload_keeps_the_url_s_run_and_a_new_run_replaces_it(runs, tiny_graph):  # noqa: F811
    old = _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/train.py", query={"run": old, "epochs": "3"})
    assert _url(at)["run"] == old  # a link's (or a reload's) run stays until the tab does something else
    at.run()
    assert _url(at)["run"] == old
    at.button(key="train.start").click().run()
    job = _finish(at)
    assert _url(at)["run"] == job.run_id != old
    at.switch_page("pages/runs.py").run()
    assert _url(at)["run"] == job.run_id
