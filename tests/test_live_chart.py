"""ui/live_chart.py: one element per key that carries the whole figure (the browser side is tested in
tests/e2e/test_zoom_hero.py)."""

from __future__ import annotations

import json
import textwrap

import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from ui import live_chart


def test_streamlit_still_ships_the_plotly_chunk_the_component_loads():
    # Without it every live chart silently falls back to st.plotly_chart (zoom resets each refresh):
    # a Streamlit upgrade that renames the chunk must fail here.
    chunk = live_chart.plotly_chunk()
    assert chunk is not None and chunk.startswith("PlotlyChart.") and chunk.endswith(".js")


def test_a_key_is_one_element_and_carries_the_figure(tmp_path):
    script = tmp_path / "page.py"
    script.write_text(textwrap.dedent("""
        import plotly.graph_objects as go
        import streamlit as st
        from ui.live_chart import live_chart

        n = st.session_state.setdefault("n", 2)
        live_chart(go.Figure(go.Scatter(x=list(range(n)), y=list(range(n))), layout=dict(uirevision="u")),
                   key="k", config={"displayModeBar": False})
    """))
    at = AppTest.from_file(str(script)).run()
    assert not at.exception
    first = [e for e in at.get("bidi_component") if e.proto.component_name == live_chart.COMPONENT]
    assert len(first) == 1
    at.session_state["n"] = 5
    at.run()
    again = [e for e in at.get("bidi_component") if e.proto.component_name == live_chart.COMPONENT]
    assert len(again) == 1 and again[0].proto.id == first[0].proto.id  # same element: updated in place
    data = json.loads(again[0].proto.json)
    fig = go.Figure(json.loads(data["figure"]))
    assert list(fig.data[0].x) == [0, 1, 2, 3, 4] and fig.layout.uirevision == "u"
    assert data["config"]["displayModeBar"] is False and data["config"]["responsive"] is True
    assert data["plotlyChunk"] == live_chart.plotly_chunk()
