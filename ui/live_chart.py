"""Live charts that update in place, so a viewer's zoom, pan and selection survive every refresh.

Why not ``st.plotly_chart``: it hashes the whole figure into the element's id, so each new frame of a
live chart is a new element. The browser throws the old plot away and draws a fresh one, and with it
go the zoom, the pan, the box selection and the glide between frames (streamlit/streamlit#5107).
``live_chart`` keeps one element per ``key`` (a Streamlit custom component, ``ui/live_chart.js``) and
hands each new figure to ``Plotly.react`` on the same plot, where the figure's constant
``uirevision`` keeps what the viewer did.

plotly.js is not shipped twice: the component loads the copy Streamlit bundles for
``st.plotly_chart``. Where that bundle is not found (another Streamlit build), charts fall back to
``st.plotly_chart``, which works but resets the view on each refresh.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

COMPONENT = "graphcl_live_chart"
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}


@lru_cache(maxsize=1)
def plotly_chunk() -> str | None:
    """File name of Streamlit's plotly.js chunk (``PlotlyChart.<hash>.js``), or None if absent."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if len(found) == 1 else None


@lru_cache(maxsize=1)
def _mount():
    js = (Path(__file__).with_name("live_chart.js")).read_text(encoding="utf-8")
    return st.components.v2.component(COMPONENT, js=js, isolate_styles=False)


def live_chart(fig: go.Figure, *, key: str, config: dict | None = None) -> None:
    """Draw ``fig`` under ``key``; the next call with the same key updates that plot in place.
    ``config`` is plotly.js's (e.g. ``{"displayModeBar": False}``), over this module's ``CONFIG``."""
    chunk = plotly_chunk()
    if chunk is None:
        st.plotly_chart(fig, key=key, config=config)
        return
    data = {"figure": fig.to_json(), "config": {**CONFIG, **(config or {})}, "plotlyChunk": chunk, "key": key}
    _mount()(key=key, data=data, width="stretch", height="content")


def preload_plotly(*, key: str) -> None:
    """Load plotly.js in the browser now, drawing nothing (a page that will show live charts soon)."""
    chunk = plotly_chunk()
    if chunk is not None:
        _mount()(key=key, data={"preload": True, "plotlyChunk": chunk}, width="stretch", height="content")
