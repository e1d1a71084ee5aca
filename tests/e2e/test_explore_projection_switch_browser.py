"""Explore in a real browser: switching the projection between 2-D and 3-D in any order draws the chart
each time (a 3-D chart redrawn as a 2-D one used to fail with "Cannot read properties of undefined
(reading 'range')" and stay broken until a reload), and the projection's legend entries read whole at
1400 and 1920 px once a node is selected (its "selected (1)" entry was cut to "selecte").
Screenshots: ``test-artifacts/e2e/explore_switch_*.png``. Skips like ``test_browser.py`` (fails in CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402
from test_linked_views import saved_run  # noqa: E402

pytestmark = pytest.mark.timeout(300)
TOKEN = "5a17" * 8  # the browser's workspace cookie (graphcl_ws), so the run below is this visitor's
LABELS = ["red", "blue", "green"]  # short names: the legend's entries are sized by the longest one
PROJ = '.graphcl-live-chart[data-key="explore.projection"]'
DRAW = '.graphcl-live-chart[data-key="explore.drawing"]'
BROKEN = "could not be drawn"


def _saved_run(runs: Path) -> str:
    """A finished 60-node run with 6 snapshots moving from noise to three groups."""
    return saved_run(runs, TOKEN, "switch-demo", [f"n{i}" for i in range(60)], LABELS, 6, seed=1)


def _show(pg, view: str) -> None:
    """Click ``view`` in the projection chooser; wait until its chart is drawn or the page says it could not be."""
    pg.locator('[data-testid="stButtonGroup"]').filter(has_text="PCA 3-D").get_by_role("radio", name=view).click()
    pg.wait_for_function("""([sel, view, broken]) => {
        const el = document.querySelector(sel);
        return el && (el.textContent.includes(broken)
                      || ((el._fullLayout || {}).title || {}).text?.startsWith(view));
    }""", arg=[PROJ, view, BROKEN])
    _wait_idle(pg)
    pg.wait_for_timeout(400)


def _drawn(pg) -> dict:
    """What the projection's element holds now: its text when broken, its title, whether it is 3-D."""
    return pg.evaluate("""sel => {
        const el = document.querySelector(sel), L = el._fullLayout || {};
        return {text: el.innerText.slice(0, 200), title: (L.title || {}).text || '',
                three_d: !!el.querySelector('.gl-container canvas') || !!L.scene,
                plot: !!el.querySelector('.main-svg')};
    }""", PROJ)


def _cut_legend_entries(pg) -> list:
    """Legend entries of the projection whose text runs past the next entry on its row or out of the legend."""
    return pg.evaluate("""sel => {
        const el = document.querySelector(sel), legend = el.querySelector('.legend');
        if (!legend) return ['no legend'];
        const box = legend.querySelector('.bg').getBoundingClientRect();
        const items = Array.from(legend.querySelectorAll('.traces')).map(t => ({
            name: t.querySelector('.legendtext').textContent,
            left: t.getBoundingClientRect().left, text: t.querySelector('.legendtext').getBoundingClientRect()}));
        const cut = [];
        items.forEach((it, i) => {
            const next = items.find((o, j) => j > i && Math.abs(o.text.top - it.text.top) < 2);
            if (it.text.right > box.right + 0.5 || (next && it.text.right > next.left + 0.5))
                cut.push([it.name, it.text.right, next ? next.left : box.right]);
        });
        return cut;
    }""", PROJ)


def test_switch_between_2d_and_3d_and_read_the_whole_legend(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = tmp_path / "runs"
    rid = _saved_run(runs)
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
        ctx.add_cookies([{"name": "graphcl_ws", "value": TOKEN, "url": url}])
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{url}/explore?run={rid}")
        pg.get_by_role("heading", name="Explore", exact=True).wait_for()

        # ---- 2-D → 3-D → 2-D → 3-D → 2-D: a chart every time ------------------------------------------------
        for view in ["PCA 2-D", "PCA 3-D", "PCA 2-D", "PCA 3-D", "PCA 2-D"]:
            _show(pg, view)
            drawn = _drawn(pg)
            assert BROKEN not in drawn["text"], f"{view}: {drawn['text']}"
            assert drawn["plot"] and drawn["title"].startswith(view), f"{view}: {drawn}"
            assert drawn["three_d"] == view.endswith("3-D"), f"{view}: {drawn}"
        pg.screenshot(path=str(ARTIFACTS / "explore_switch_2d.png"))

        # ---- select one node (a click in the drawing): its legend entry reads whole at 1400 and 1920 px ------
        draw = pg.locator(DRAW)
        draw.scroll_into_view_if_needed()
        pg.wait_for_timeout(500)
        point = pg.evaluate("""sel => {
            const el = document.querySelector(sel), L = el._fullLayout, r = el.getBoundingClientRect();
            const t = el._fullData.find(t => (t.mode || '').includes('markers') && t.x && t.x.length);
            return [r.x + L.xaxis._offset + L.xaxis.l2p(t.x[0]), r.y + L.yaxis._offset + L.yaxis.l2p(t.y[0])];
        }""", DRAW)
        pg.mouse.click(*point)
        pg.get_by_text("1 selected", exact=True).wait_for()
        pg.wait_for_function("sel => document.querySelector(sel).data.some(t => t.name === 'selected (1)')", arg=PROJ)
        for width in [1400, 1920]:
            pg.set_viewport_size({"width": width, "height": 1100})
            _wait_idle(pg)
            pg.wait_for_timeout(800)
            pg.locator(PROJ).scroll_into_view_if_needed()
            names = pg.evaluate("sel => Array.from(document.querySelectorAll(sel + ' .legend .legendtext'))"
                                ".map(t => t.textContent)", PROJ)
            assert "selected (1)" in names, names
            pg.locator(PROJ).screenshot(path=str(ARTIFACTS / f"explore_switch_legend_{width}.png"))
            assert _cut_legend_entries(pg) == [], f"{width} px: legend entries cut"
        assert pg.locator('[data-testid="stException"]').count() == 0
        browser.close()
