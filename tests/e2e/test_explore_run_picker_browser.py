"""Explore's run picker at 1400×900 in a real browser: the chosen run's label is shown whole. Its labels were
"karate · 28 Nov 06:41 · finished · 20261128-064154-karate-07d1", cut off (in the id) in the picker.
Screenshot: ``test-artifacts/e2e/explore_run_picker.png``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_animation_browser import _cookie  # noqa: E402  (the workspace token the app set in the cookie jar)
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402

pytestmark = pytest.mark.timeout(240)


def test_the_run_picker_shows_its_label_whole_at_1400_px(tmp_path):
    from test_animation_export import write_drifting_run

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = tmp_path / "runs"
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url)
        pg.get_by_role("heading", name="GraphCL Studio").wait_for()
        for _ in range(2):
            write_drifting_run(runs, f"b-{_cookie(ctx, pg)}")
        pg.goto(url + "/explore")
        pg.get_by_role("heading", name="Explore", exact=True).wait_for()
        picker = pg.locator("[data-testid='stSelectbox']").first
        picker.wait_for()
        _wait_idle(pg)
        pg.screenshot(path=str(ARTIFACTS / "explore_run_picker.png"))
        # the picker shows its value in an input: cut off when the text is wider than the input's inside
        text, width, room = picker.evaluate("""el => { const i = el.querySelector('input'), s = getComputedStyle(i);
            const c = document.createElement('canvas').getContext('2d'); c.font = s.font;
            return [i.value, c.measureText(i.value).width,
                    i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)]; }""")
        browser.close()
    assert width <= room, f"the picker cuts its label off: {text!r} ({width:.0f} > {room:.0f} px)"
    assert "tiny" in text and "epochs" in text, text  # graph, time and settings, not the id
