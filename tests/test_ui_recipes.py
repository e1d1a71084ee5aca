"""Recipes in the app: applying one (Train page's picker or Home's Try it) gives the job exactly
``presets.preset(name)``, the config ``bench/quality.py`` and the CLI's ``--preset`` use."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core.presets import PRESETS, preset

APP = str(Path(__file__).resolve().parents[1] / "app.py")

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(monkeypatch, tmp_path):
    """Record the config each Start hands to the job instead of training."""
    from ui import training

    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    seen = []
    monkeypatch.setattr(training, "start", lambda slot, bundle, cfg: seen.append(cfg))
    return seen


def _no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("name", list(PRESETS))
def test_recipe_picker_gives_the_job_the_library_recipe(name, started):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.number_input(key="cfg.margin").set_value(3.3).run()  # something to overwrite
    at.selectbox(key="train.recipe").set_value(name).run()
    at.button(key="train.apply_recipe").click().run()
    at.button(key="train.start").click().run()
    _no_exceptions(at)
    assert started == [preset(name)]
    # the share link carries it too: a fresh session from that link starts the same config
    qp = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items() if k != "sid"}
    other = AppTest.from_file(APP, default_timeout=60)
    other.query_params.update(qp)
    other.run()
    other.switch_page("pages/train.py").run()
    other.button(key="train.start").click().run()
    _no_exceptions(other)
    assert started[-1] == preset(name)


def test_try_it_starts_the_small_graph_recipe(started):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.button(key="home.try").click().run()
    _no_exceptions(at)
    assert started == [preset("small-graph")]


def test_settings_without_a_widget_are_said_on_the_train_page(started):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train.recipe").set_value("grace").run()
    at.button(key="train.apply_recipe").click().run()
    _no_exceptions(at)
    assert "activation prelu" in " ".join(c.value for c in at.caption)
    at.button(key="train.defaults").click().run()
    assert "activation" not in " ".join(c.value for c in at.caption)
