"""The URL names the run Explore shows (AppTest, no browser): a link's run stays in the URL, so a reload or
a copied URL reopens it; a run chosen on Explore replaces it, and the link's run does not undo that choice."""

from __future__ import annotations

import pytest

from test_ui_workspaces import ALICE, _saved_run, _visitor, runs  # noqa: F401 - the ``runs`` fixture
from ui import state

pytestmark = pytest.mark.timeout(180)


def _url(at) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def test_explore_opened_with_a_run_keeps_it_in_the_url(runs, tiny_graph):  # noqa: F811
    first, second = _saved_run(runs, ALICE, tiny_graph), _saved_run(runs, ALICE, tiny_graph)
    # as the sweep's "Open in Explore" does: explore.run set, the run in the switch's parameters
    at = _visitor(ALICE, query={"run": second})
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["explore.run"] == second
    assert _url(at)["run"] == second and "sid" in _url(at)
    # the visitor picks the other run: the URL follows it, the link's run does not take over again
    at.selectbox(key="explore.run").set_value(first).run()
    assert at.session_state["explore.run"] == first and _url(at)["run"] == first
    at.run()
    assert at.session_state["explore.run"] == first and _url(at)["run"] == first
    # another page keeps it (a page switch never changes the URL's parameters: one history entry)
    at.switch_page("pages/train.py").run()
    assert _url(at)["run"] == first


def test_a_run_chosen_on_explore_is_named_only_once_chosen(runs, tiny_graph):  # noqa: F811
    first, second = _saved_run(runs, ALICE, tiny_graph), _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/explore.py")
    assert state.RUN_PARAM not in _url(at)  # the page list opens Explore on its default run: nothing to name
    other = first if at.session_state["explore.run"] == second else second
    at.selectbox(key="explore.run").set_value(other).run()
    assert _url(at)["run"] == other


def test_a_page_reached_with_a_run_in_the_url_opens_that_run(runs, tiny_graph):  # noqa: F811
    first, second = _saved_run(runs, ALICE, tiny_graph), _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/runs.py", query={"run": first})  # a link to the older run's Runs entry
    assert at.session_state["runs.detail"] == first
    at.switch_page("pages/explore.py").run()  # then Explore from the page list: the URL still names it
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["explore.run"] == first != second and _url(at)["run"] == first


def test_runs_keeps_its_own_choice_when_the_url_names_an_earlier_run(runs, tiny_graph):  # noqa: F811
    """The URL keeps naming a run on every page (Explore's); arriving at Runs again must not reopen it over the
    visitor's own choice there (only a new link, or a reload, opens the URL's run on Runs)."""
    first, second = _saved_run(runs, ALICE, tiny_graph), _saved_run(runs, ALICE, tiny_graph)
    at = _visitor(ALICE, "pages/runs.py", query={"run": first})
    assert at.session_state["runs.detail"] == first
    at.selectbox(key="runs.detail").set_value(second).run()
    at.switch_page("pages/train.py").run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["runs.detail"] == second
