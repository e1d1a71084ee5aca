"""Presentation mode switched on later in a session (the Train page's toggle, not ``?present=1``) trains the
demo recipe on an example graph, as a fresh presentation link does, unless the visitor already chose a
setting (AppTest). It kept the general defaults, tuned on Cora, which left the karate factions mixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core.presets import demo_config
from ui import present, state

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEMO = {state.key(n): getattr(demo_config(), n) for n in state.CONFIG_FIELDS}
pytestmark = pytest.mark.timeout(180)


def _settings(ss) -> dict:
    return {k: ss[k] for k in DEMO}


def _train(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _toggle_on(at: AppTest) -> AppTest:
    at.toggle(key=present.PRESENT_KEY).set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    assert present.is_on(at.session_state)
    return at


def test_the_toggle_on_a_settings_free_session_gives_the_demo(app_runs_dir):
    at = _train()
    assert at.session_state[state.key("margin")] == state.DEFAULTS.margin  # the general defaults so far
    _toggle_on(at)
    assert _settings(at.session_state) == DEMO
    assert at.query_params["margin"] in ("1", ["1"])  # in the URL too: a reload keeps them

    reloaded = _train({k: v for k, v in at.query_params.items() if k != "present"} | {"present": "0"})
    assert _settings(reloaded.session_state) == DEMO  # and a reload with the mode off keeps the demo


def test_a_reloaded_tab_with_default_settings_in_its_url_is_still_settings_free(app_runs_dir):
    first = _train()
    url = {k: (v[-1] if isinstance(v, list) else v) for k, v in first.query_params.items() if k != "sid"}
    assert "margin" in url  # every URL names the main settings
    again = _toggle_on(_train(url))
    assert _settings(again.session_state) == DEMO


def test_settings_the_visitor_chose_are_kept(app_runs_dir):
    at = _train()
    with_margin = at.number_input(key=state.key("margin")).set_value(3.0).run()
    _toggle_on(with_margin)
    assert at.session_state[state.key("margin")] == 3.0
    assert at.session_state[state.key("pairs")] == state.DEFAULTS.pairs
    assert at.session_state[state.key("lr")] == state.DEFAULTS.lr

    linked = _toggle_on(_train({"hidden": "64"}))  # a link's own setting is the speaker's too
    assert linked.session_state[state.key("hidden")] == 64
    assert linked.session_state[state.key("margin")] == state.DEFAULTS.margin


def test_the_callback_alone():
    fresh = {present.PRESENT_KEY: True}
    assert present.switched_on(fresh) and _settings(fresh) == DEMO
    off = {present.PRESENT_KEY: False}
    assert not present.switched_on(off) and state.key("margin") not in off
    cora = {present.PRESENT_KEY: True, state.GRAPH_KEY: "Cora"}
    assert not present.switched_on(cora) and state.key("margin") not in cora
