"""Whole-number settings given a fraction: a clear error in the library and a clear warning for a link's
value in the app, never a silent truncation (``hidden=7.5`` became 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError
from ui import state

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.mark.parametrize("value", ["7.5", 7.5, "1e-1", "inf", "nan"])
def test_a_fraction_for_a_whole_number_setting_is_a_config_error(value):
    with pytest.raises(ConfigError, match="'hidden' must be a whole number"):
        TrainConfig.from_dict({"hidden": value})


@pytest.mark.parametrize("value, expected", [("8", 8), ("8.0", 8), (8.0, 8), ("1e2", 100)])
def test_whole_numbers_written_as_decimals_are_kept(value, expected):
    assert TrainConfig.from_dict({"hidden": value}).hidden == expected


@pytest.mark.timeout(120)
def test_a_links_fractional_hidden_size_is_ignored_with_a_warning(runs_dir):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"hidden": "7.5", "epochs": "300.5", "lr": "0.001"})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    toasts = [t.value for t in at.toast]
    assert any("hidden='7.5' was ignored" in t and "whole number" in t for t in toasts), toasts
    assert any("epochs='300.5' was ignored" in t for t in toasts), toasts
    assert at.session_state[state.key("hidden")] == state.DEFAULTS.hidden
    assert at.session_state[state.key("epochs")] == state.DEFAULTS.epochs
    assert at.session_state[state.key("lr")] == 0.001  # the good setting of the same link is taken
