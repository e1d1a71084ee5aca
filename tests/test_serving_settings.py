"""Streamlit settings that a room of visitors on one server depends on (docs/queues.md, Load test)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_no_full_garbage_collection_after_every_script_run():
    # Streamlit's default gc.collect(2) after each run, fragment reruns included, walks ~0.5 M objects
    # with PyTorch, plotly and UMAP loaded: 0.2 s holding the interpreter lock on every poll of 20 tabs.
    settings = tomllib.loads(CONFIG.read_text())
    assert settings["runner"]["postScriptGC"] is False


def test_the_setting_is_one_streamlit_knows():
    from streamlit import config

    config.get_config_options()
    assert "runner.postScriptGC" in config._config_options  # a renamed option would be ignored silently
