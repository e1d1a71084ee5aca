"""The Graph page after an upload with isolated nodes, in Chromium at 1400×900: the sidebar names the
upload at once, the metric names are not cut, the chart's toolbar does not cover the legend's title,
and the main component fills the drawing (the isolated nodes sit beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright import sync_api

from tests.e2e.test_browser import ARTIFACTS, _streamlit_server, _wait_idle, browser  # noqa: F401

PEOPLE = Path(__file__).resolve().parents[1] / "data" / "people"

pytestmark = pytest.mark.timeout(120)

# Metric names whose text is wider than their box (cut with an ellipsis).
CUT_METRICS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMetricLabel"]'))
  .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.innerText)"""
# The drawing's legend title and toolbar boxes, and its nodes' screen positions (by trace) as drawn.
DRAWING_JS = """() => {
  const el = Array.from(document.querySelectorAll('.js-plotly-plot')).find(e => (e.data || []).some(
      t => t.name === 'edges'));
  const box = q => { const n = el.querySelector(q); if (!n) return null; const r = n.getBoundingClientRect();
                     return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  const pts = Array.from(el.querySelectorAll('.scatterlayer .trace:not(:first-child) .point')).map(p => {
      const r = p.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; });
  return {title: box('.legendtitletext'), bar: box('.modebar-container .modebar'), plot: box('.nsewdrag'),
          points: pts};
}"""


def _overlap(a, b) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def test_people_upload_sidebar_metrics_legend_and_drawing(tmp_path, browser):  # noqa: F811
    with _streamlit_server(tmp_path / "runs", tmp_path / "streamlit.log") as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        pg.goto(f"{url}/graph")
        pg.get_by_role("heading", name="Graph").wait_for()
        pg.locator('[data-testid="stButtonGroup"]').get_by_text("Upload", exact=True).click()
        pg.locator('input[type="file"]').first.wait_for(state="attached")
        pg.locator('input[type="file"]').nth(0).set_input_files(str(PEOPLE / "people_edges.csv"))
        pg.get_by_role("heading", name="people_edges.csv").wait_for()
        pg.locator('input[type="file"]').nth(1).set_input_files(str(PEOPLE / "people_nodes.csv"))
        pg.get_by_text("Label column").wait_for()
        _wait_idle(pg)
        sidebar = pg.locator('[data-testid="stSidebar"]')
        assert "people_edges.csv" in sidebar.inner_text()
        assert "karate" not in sidebar.inner_text().lower()
        picker = pg.get_by_role("combobox", name="Label column", exact=True)
        for _ in range(4):  # a click that lands while the page redraws leaves the list shut: open it again
            picker.click()
            try:
                pg.get_by_role("option", name="role", exact=True).wait_for(timeout=5_000)
                break
            except sync_api.TimeoutError:
                pg.keyboard.press("Escape")
        pg.get_by_role("option", name="role", exact=True).click()
        # the drawing is coloured by the labels just chosen, and the colour switch says so
        pg.locator('.js-plotly-plot .legendtitletext').filter(has_text="Label").first.wait_for()
        pg.get_by_role("radiogroup", name="Colour nodes by").get_by_role("radio", name="Label", checked=True).wait_for()
        _wait_idle(pg)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.get_by_role("heading", name="people_edges.csv").scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / "graph_upload_people_top.png"))
        assert pg.evaluate(CUT_METRICS_JS) == []
        pg.get_by_text("Colour nodes by").scroll_into_view_if_needed()
        pg.locator('.js-plotly-plot').first.hover()  # the toolbar shows while the pointer is over the chart
        pg.wait_for_timeout(400)
        pg.screenshot(path=str(ARTIFACTS / "graph_upload_people.png"))
        d = pg.evaluate(DRAWING_JS)
        assert d["title"] and d["bar"], d
        assert not _overlap(d["title"], d["bar"]), d
        xs = sorted(p[0] for p in d["points"])
        ys = sorted(p[1] for p in d["points"])
        assert len(xs) >= 20, d
        # 20 of the nodes are one component; the middle 18 of them span most of the plot's height
        span = (ys[-2] - ys[1]) / (d["plot"]["b"] - d["plot"]["t"])
        assert span > 0.6, (span, d)
        ctx.close()
