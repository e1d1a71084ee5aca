"""The Sweep page in a real browser: a link opens a 4-trial karate sweep setup, Start fills the grid of live
projections and the results table, then the grid replays; no exception box. Skips like ``test_browser.py``
where Chromium or Playwright is missing (fails in CI). Screenshots in ``test-artifacts/e2e/``:
``sweep_live.png``, ``sweep_done.png``, ``sweep_replay.png``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402

pytestmark = pytest.mark.timeout(420)  # a busy shared CPU can make four small trials slow

GRID_JS = """() => {
  const el = Array.from(document.querySelectorAll('.js-plotly-plot'))
      .find(e => (e.layout.annotations || []).some(a => (a.text || '').includes('epoch')));
  return el ? el.data.filter(t => t.x && (t.x.length > 0 || t.x.bdata)).length : -1;
}"""

EPOCHS_JS = """() => {
  const el = Array.from(document.querySelectorAll('.js-plotly-plot'))
      .find(e => (e.layout.annotations || []).some(a => (a.text || '').includes('epoch')));
  return el ? el.layout.annotations.map(a => a.text).join('|') : '';
}"""


def _link(url: str) -> str:
    from graphcl_core.config import TrainConfig
    from graphcl_core.sweep import SweepConfig
    from ui import sweep_setup

    sweep = SweepConfig("karate", base=TrainConfig(epochs=30, hidden=16),
                        vary={"margin": {"from": 0.5, "to": 4, "count": 4}})
    return f"{url}/sweep?{urlencode({'graph': 'karate', sweep_setup.QUERY_PARAM: sweep_setup.to_param(sweep)})}"


def test_sweep_fills_the_grid_and_the_table(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _streamlit_server(tmp_path / "runs", tmp_path / "streamlit.log") as url, \
            sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1600, "height": 1700})
        pg.set_default_timeout(60_000)
        pg.goto(_link(url))
        pg.get_by_role("heading", name="Sweep", exact=True).wait_for()
        _wait_idle(pg)
        main = pg.locator('[data-testid="stMain"]')
        assert "Tries: 0.5, 1.667, 2.833, 4" in main.inner_text()  # the link's range, on the page
        assert "sweep=" not in pg.url and "sid=" in pg.url

        pg.get_by_role("button", name="Start").click()
        pg.get_by_role("heading", name="Every trial, learning").wait_for()
        seen, shot = [], False
        deadline = time.time() + 330
        while time.time() < deadline:
            n = pg.evaluate(GRID_JS)
            if n >= 0 and (not seen or n != seen[-1]):
                seen.append(n)
            if not shot and n >= 2:
                pg.screenshot(path=str(ARTIFACTS / "sweep_live.png"), full_page=True)
                shot = True
            if "4 of 4 trials finished" in main.inner_text():
                break
            pg.wait_for_timeout(400)
        assert "4 of 4 trials finished" in main.inner_text(), f"the sweep did not finish; grid cells seen: {seen}"
        _wait_idle(pg)
        pg.wait_for_timeout(1500)
        assert pg.evaluate(GRID_JS) == 4, "one small projection per trial"
        assert len(seen) >= 2, f"the grid did not fill up while the sweep ran: {seen}"
        table = pg.locator('[data-testid="stDataFrame"]')
        table.first.wait_for()
        assert pg.get_by_role("link", name="Open in Explore").count() == 1
        assert pg.locator('[data-testid="stException"]').count() == 0
        pg.screenshot(path=str(ARTIFACTS / "sweep_done.png"), full_page=True)

        # the ended sweep replays its saved snapshots: the grid's epochs change while it plays
        titles = set()
        deadline = time.time() + 90
        next_click = 0.0
        while time.time() < deadline and len(titles) < 3:  # the last epoch, the first, then moving on
            replay = pg.get_by_role("button", name="Replay")
            if time.time() >= next_click and replay.count():  # a click landing mid-rerun can be lost
                replay.click()
                next_click = time.time() + 15
            titles.add(pg.evaluate(EPOCHS_JS))
            pg.wait_for_timeout(250)
        assert len(titles) >= 3, f"the replay did not move: {titles}"
        pg.screenshot(path=str(ARTIFACTS / "sweep_replay.png"), full_page=True)
        assert pg.locator('[data-testid="stException"]').count() == 0
        browser.close()
