"""The app's settings: widget bounds from ``TrainConfig``'s limits, recipes applied exactly as the library's."""

from __future__ import annotations

import math

import pytest

from graphcl_core.config import FIELD_LIMITS, TrainConfig
from graphcl_core.errors import ConfigError
from ui import present, state


@pytest.mark.parametrize("f", [f for f in state.FIELDS.values() if f.kind != "choice"], ids=lambda f: f.name)
def test_widget_bounds_are_the_config_limits(f):
    """Each widget's ends validate; just past them (or an excluded end itself) does not."""
    limit = FIELD_LIMITS[f.name]
    lo, hi = f.bounds()
    assert (lo is None) == (limit.lo is None) and (hi is None) == (limit.hi is None)
    for end, bound, is_open, outward in ((lo, limit.lo, limit.lo_open, -1), (hi, limit.hi, limit.hi_open, 1)):
        if end is None:
            continue
        state.DEFAULTS.replace(**{f.name: end}).validate()
        if is_open:  # the widget stops one shown unit inside an excluded end
            assert math.isclose(abs(end - bound), 10.0 ** -int(f.fmt.strip("%f").lstrip(".")))
            past = bound
        else:
            assert end == bound
            past = end + outward * (1 if f.kind == "int" else 1e-9)
        with pytest.raises(ConfigError):
            state.DEFAULTS.replace(**{f.name: past}).validate()


def test_every_config_field_is_kept_by_the_app():
    assert set(state.CONFIG_FIELDS) == set(TrainConfig().to_dict())
    assert set(state.FIELDS) <= set(state.CONFIG_FIELDS)


def test_a_setting_whose_widget_state_streamlit_dropped_comes_back_from_the_kept_copy():
    """Streamlit drops widgets' state in a fragment's own rerun (``state.keep_settings``); the next page run
    takes the setting from the plain copy instead of the default."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params.update({"graph": "karate", "hidden": "64", "speed": "50", "present": "1"})
    at.switch_page("pages/runs.py").run()
    assert not at.exception and at.session_state[state.key("hidden")] == 64
    for k in (state.key("hidden"), present.SPEED_KEY, present.PRESENT_KEY):
        del at.session_state[k]  # what a fragment's rerun does to an undrawn widget's key
    at.run()
    assert at.session_state[state.key("hidden")] == 64 and at.query_params["hidden"] in ("64", ["64"])
    assert at.session_state[present.SPEED_KEY] == "50" and at.session_state[present.PRESENT_KEY] is True
