"""A presentation opened fresh on an example graph trains the demo Home's "Try it" trains (AppTest and the
plain function): the general defaults, tuned on Cora, left the karate factions mixed on a projector."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core.presets import DEMO_RECIPE, demo_config, preset
from ui import present, state

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEMO = {state.key(n): getattr(demo_config(), n) for n in state.CONFIG_FIELDS}


def _settings(ss) -> dict:
    return {k: ss[k] for k in DEMO}


def test_the_demo_is_home_s_try_it_recipe_and_not_the_defaults():
    assert demo_config() == preset(DEMO_RECIPE)
    demo, defaults = demo_config(), state.DEFAULTS
    assert (demo.margin, demo.lr, demo.pairs) != (defaults.margin, defaults.lr, defaults.pairs)


def test_demo_settings_only_for_an_example_graph_and_a_link_without_settings():
    fresh: dict = {}
    assert present.demo_settings(fresh, {"present": "1"}) and _settings(fresh) == DEMO  # karate by default
    lesmis = {state.GRAPH_KEY: "lesmis"}
    assert present.demo_settings(lesmis, {"present": "1", "graph": "lesmis", "speed": "10"})
    linked = {state.key("margin"): 2.0}  # the link's own margin (ui.state read it before)
    assert not present.demo_settings(linked, {"present": "1", "margin": "2"}) and linked == {state.key("margin"): 2.0}
    cora = {state.GRAPH_KEY: "Cora"}
    assert not present.demo_settings(cora, {"present": "1", "graph": "Cora"}) and list(cora) == [state.GRAPH_KEY]
    assert not present.demo_settings({state.GRAPH_KEY: "upload:abc"}, {"present": "1"})
    off: dict = {}
    present.restore(off, {"present": "0"})
    assert state.key("margin") not in off


def _presentation(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.timeout(180)
def test_a_fresh_presentation_starts_the_demo_and_a_link_s_settings_win(app_runs_dir):
    at = _presentation({"present": "1"})
    assert _settings(at.session_state) == DEMO
    assert at.query_params["margin"] == "1" and at.query_params["lr"] == "0.005"  # a reload keeps them
    at.button(key="present.start").click().run()
    from ui import registry

    job = registry.get_slot(at.session_state["sid"]).job
    assert job is not None and job.cfg.replace(device="auto") == demo_config().replace(device="auto")

    linked = _presentation({"present": "1", "margin": "2.5", "hidden": "256", "lr": "0.00025"})
    assert linked.session_state[state.key("margin")] == 2.5 and linked.session_state[state.key("lr")] == 0.00025
    assert linked.session_state[state.key("pairs")] == state.DEFAULTS.pairs

    home = AppTest.from_file(APP, default_timeout=60).run()  # Home's "Try it": the same settings
    home.button(key="home.try").click().run()
    assert _settings(home.session_state) == DEMO

    chosen = _presentation({"present": "1"})  # the speaker then picks a margin on the Train page
    chosen.button(key="present.exit").click().run()
    chosen.number_input(key=state.key("margin")).set_value(3.0).run()
    chosen.toggle(key=present.PRESENT_KEY).set_value(True).run()
    assert chosen.session_state[state.key("margin")] == 3.0
