"""Presentation mode in a real browser on a 1920×1080 screen: ``/train?present=1&graph=karate`` hides the
sidebar and the settings, Start trains, the projection and the loss fill most of the screen, and at a slow
playback speed the epoch on screen keeps advancing after training has finished; Pause holds it, a reload
keeps the mode and the epoch on screen, Exit leaves it. Skips like ``test_browser.py`` where Chromium or
Playwright is missing (fails in CI). Screenshots in ``test-artifacts/e2e/``: ``present_start.png``, ``present_playback.png``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, _streamlit_server, browser  # noqa: E402,F401 - browser: the shared fixture

pytestmark = pytest.mark.timeout(300)

W, H = 1920, 1080
SHOWING = re.compile(r"Showing epoch (\d+) of (\d+) \(trained: (\d+)\)")

# Each Plotly chart on the page: its title and its box on the screen.
CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => {
  const r = el.getBoundingClientRect();
  const t = ((el.layout && el.layout.title && el.layout.title.text) || '').replace(/<[^>]*>/g, '');
  const loss = (el.data || []).find(d => (d.name || '').startsWith('loss'));
  return {title: t, x: r.left, y: r.top, w: r.width, h: r.height,
          loss_n: loss && Array.isArray(loss.x) ? loss.x.length : null};
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with _streamlit_server(tmp_path_factory.mktemp("present-runs"),
                           tmp_path_factory.mktemp("present-log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": W, "height": H}, device_scale_factor=1)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


def _showing(pg) -> tuple[int, int, int] | None:
    """(epoch on screen, epochs, trained) from the progress line while the playback is behind."""
    for text in pg.locator('[data-testid="stProgress"]').all_inner_texts():
        if m := SHOWING.search(text):
            return int(m[1]), int(m[2]), int(m[3])
    return None


def _sidebar_hidden(pg) -> bool:
    bar = pg.locator('section[data-testid="stSidebar"]')
    return bar.count() == 0 or not bar.first.is_visible()


def test_presentation_mode(page, server):
    pg = page
    pg.goto(f"{server}/train?present=1&graph=karate")
    start = pg.get_by_role("button", name="Start")
    start.wait_for()
    assert _sidebar_hidden(pg), "the sidebar is visible in presentation mode"
    assert pg.get_by_role("heading", name="Settings").count() == 0
    assert pg.locator('[data-testid="stNumberInput"]').count() == 0, "settings are shown"
    box = start.bounding_box()
    assert box["height"] >= 60, f"the Start button is not big: {box}"
    assert "present=1" in pg.url

    # a slow pace, chosen on the page: 5 epochs a second
    pg.locator('[data-testid="stButtonGroup"] button', has_text=re.compile(r"^5/s$")).click()
    pg.wait_for_function("() => location.href.includes('speed=5')")
    start.click()
    pg.get_by_role("button", name="Pause").wait_for()
    pg.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2")
    pg.wait_for_timeout(2500)
    pg.screenshot(path=str(ARTIFACTS / "present_start.png"))

    # the projection and the loss fill most of the screen
    charts = pg.evaluate(CHARTS_JS)
    proj = next(c for c in charts if "embeddings at epoch" in c["title"])
    loss = next(c for c in charts if c["title"] == "Loss")
    on_screen = sum(max(0, min(c["y"] + c["h"], H) - max(c["y"], 0)) * c["w"] for c in (proj, loss))
    assert on_screen / (W * H) >= 0.55, f"charts cover {on_screen / (W * H):.0%} of the screen: {charts}"
    assert proj["h"] >= 600 and loss["h"] >= 600, charts
    assert proj["y"] + proj["h"] <= H + 5 and loss["y"] + loss["h"] <= H + 5, f"charts run off the screen: {charts}"

    # training finishes (200 epochs) long before the playback at 5/s, which goes on epoch by epoch
    for _ in range(400):  # polls, each 0.3 s apart
        if (s := _showing(pg)) is not None and s[2] >= s[1]:
            break
        pg.wait_for_timeout(300)
    else:
        pytest.fail(f"training did not finish behind the playback: {s}")
    seen = []
    for _ in range(6):
        shown, total, trained = _showing(pg)
        assert trained == total and shown < total
        seen.append(shown)
        pg.wait_for_timeout(700)
    # (the pace itself, epochs per second of the clock, is ui/pacing's, tested there with a given clock)
    assert seen == sorted(seen) and len(set(seen)) >= 4, f"the epoch on screen did not advance gradually: {seen}"
    # the loss curve is drawn up to the epoch on screen, the map is the snapshot of that epoch
    charts = pg.evaluate(CHARTS_JS)
    shown = _showing(pg)[0]
    loss_n = next(c["loss_n"] for c in charts if c["title"] == "Loss")
    map_epoch = int(re.search(r"at epoch (\d+)", next(c["title"] for c in charts if "at epoch" in c["title"]))[1])
    assert loss_n is not None and loss_n <= shown + 1 and loss_n < 200, (loss_n, shown)
    assert map_epoch <= shown + 1 and map_epoch < 200, (map_epoch, shown)
    pg.screenshot(path=str(ARTIFACTS / "present_playback.png"))

    # Pause holds the picture; Resume plays on
    pg.get_by_role("button", name="Pause").click()
    pg.get_by_role("button", name="Resume").wait_for()
    # the held epoch is the one the page drew last before the click: read it once the page says so (the
    # progress line of the paused redraw can arrive after its button)
    pg.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
                         ".some(e => e.innerText.includes('paused'))")
    pg.wait_for_timeout(300)
    held = _showing(pg)[0]
    pg.wait_for_timeout(1500)
    progress = " ".join(pg.locator('[data-testid="stProgress"]').all_inner_texts())
    assert _showing(pg)[0] == held and "paused" in progress, progress
    pg.get_by_role("button", name="Resume").click()
    pg.wait_for_function(f"() => /Showing epoch (\\d+)/.test(document.body.innerText) && "
                         f"+document.body.innerText.match(/Showing epoch (\\d+)/)[1] > {held}", timeout=15_000)

    # a reload keeps presentation mode and the speed (the URL)
    pg.reload()
    pg.get_by_role("button", name="Exit").wait_for()
    assert _sidebar_hidden(pg) and "present=1" in pg.url and "speed=5" in pg.url
    # ... and the playback goes on where it was instead of replaying the run from epoch 0
    pg.locator('[data-testid="stProgress"]').filter(has_text=re.compile("[Ee]poch")).first.wait_for()
    after = _showing(pg)
    assert after is None or after[0] >= held, f"the reload restarted the playback: {after}, was {held}"

    # Exit brings the sidebar and the settings back
    pg.get_by_role("button", name="Exit").click()
    pg.get_by_role("heading", name="Settings").wait_for()
    # the presentation style goes when the run that left it ends (Streamlit drops stale elements then)
    pg.locator('section[data-testid="stSidebar"]').first.wait_for(state="visible", timeout=30_000)
    assert "present=1" not in pg.url


SLOW_APP = '''
import time
import streamlit as st
from ui import present

st.html(f"<style>{present.STEADY_CSS}</style>")
if st.session_state.get("slow"):
    time.sleep(4)  # a redraw that takes a while, as a map projected on a busy CPU
st.session_state["slow"] = True
with st.container(key="train-live"):
    st.markdown(f"drawn at {time.time():.1f}")
    st.button("again")
'''


def test_the_live_view_does_not_fade_while_it_redraws(tmp_path, browser):
    """Streamlit fades elements (opacity 0.33) while a slow run redraws them: on the Train page, polled
    every 0.4 s, that is flicker. ``present.STEADY_CSS`` keeps the live view's elements opaque."""
    app = tmp_path / "slow_app.py"
    app.write_text(SLOW_APP)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):  # until the server answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        pg = browser.new_page()
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.get_by_role("button", name="again").wait_for(timeout=60_000)
        pg.get_by_role("button", name="again").click()
        pg.wait_for_timeout(2500)  # mid-redraw: Streamlit has marked the elements stale and faded them
        seen = pg.evaluate("""() => Array.from(document.querySelectorAll(
            '.st-key-train-live [data-testid="stElementContainer"]')).map(e => [e.dataset.stale,
            parseFloat(getComputedStyle(e).opacity)])""")
        pg.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert seen and all(stale == "true" for stale, _ in seen), f"the redraw was not under way: {seen}"
    assert all(opacity == 1 for _, opacity in seen), f"faded while redrawing: {seen}"
