"""Box, lasso and click selections on a ``ui.live_chart`` plot, handed to Python.

``live_chart`` updates its plot in place (zoom survives playback) but reports nothing back, and
``st.plotly_chart(on_select=...)`` would redraw the plot from scratch on every frame. This tiny
custom component (``linked_events.js``) finds the live chart by its key, listens to plotly.js's
``plotly_selected`` and ``plotly_click`` there, and sends the picked points (trace number and point
number) as a trigger value; ``on_pick`` gets them as a Streamlit selection state
(``{"selection": {"points": [{"curve_number", "point_index"}, ...]}}``), the form
``ui.linked.nodes_of_event`` reads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping

import streamlit as st

COMPONENT = "graphcl_linked_events"


@lru_cache(maxsize=1)
def _mount():
    js = Path(__file__).with_name("linked_events.js").read_text(encoding="utf-8")
    return st.components.v2.component(COMPONENT, js=js, isolate_styles=False)


def _picked(value) -> Mapping | None:
    """The ``selection`` trigger value inside a component's session-state value (mapping or object)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get("selection")
    return getattr(value, "selection", None)


def selection_events(chart_key: str, on_pick: Callable[[dict], None], *, click: bool = True,
                     revision: str = "") -> None:
    """Listen to selections on the live chart drawn under ``chart_key``; ``on_pick(state)`` runs as a
    callback (before the rerun it causes) with the picked points. ``revision`` changes with the figure,
    so the listener re-attaches if the chart's element was replaced."""
    key = f"{chart_key}.events"

    def _fire() -> None:
        picked = _picked(st.session_state.get(key))
        if picked and picked.get("points"):
            on_pick({"selection": {"points": list(picked["points"])}})

    _mount()(key=key, data={"chart": chart_key, "click": click, "revision": revision}, width="stretch",
             height="content", on_selection_change=_fire)
