"""Browser history in a real browser: one page visit adds one history entry, and one Back press returns
to the previous page, also on a busy server (``slow_navigation/``: the page switch reaches the browser a
second before the rest of the script run), where a settings sync after the switch pushed a second entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402

pytestmark = pytest.mark.timeout(240)
SLOW = Path(__file__).resolve().parent / "slow_navigation"


def _settle(pg, path: str) -> None:
    """Wait until the address is ``path`` with the tab's parameters in it and the script is idle."""
    pg.wait_for_function(f"() => location.pathname === {path!r} && location.search.includes('sid=')")
    _wait_idle(pg)
    pg.wait_for_timeout(1500)  # a late history entry would arrive in this time
    _wait_idle(pg)


def _open(pg, title: str) -> None:
    pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()


def _explore_shows(pg) -> str:
    """The run Explore's run picker shows (its value: text or an input's value)."""
    picker = pg.locator("[data-testid='stSelectbox']").first
    return picker.evaluate("el => el.innerText + ' ' + Array.from(el.querySelectorAll('input'))"
                           ".map(i => i.value).join(' ')").split("·")[-1].strip()


def test_one_entry_per_visit_and_one_back_press(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(SLOW))
    with _streamlit_server(tmp_path / "runs", tmp_path / "streamlit.log") as url, \
            sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.set_default_timeout(60_000)
        pg.goto(url)
        pg.get_by_text("Share these settings").wait_for()
        _settle(pg, "/")
        start = pg.evaluate("history.length")
        for i, (title, path) in enumerate([("Train", "/train"), ("Sweep", "/sweep"), ("Graph", "/graph")], 1):
            _open(pg, title)
            _settle(pg, path)
            assert pg.evaluate("history.length") == start + i, f"visiting {title} added more than one entry"
        query = pg.evaluate("location.search")
        for path in ["/sweep", "/train", "/"]:
            pg.go_back()
            _settle(pg, path)  # one press: the previous page, with the same parameters
            assert pg.evaluate("location.search") == query
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "history_back.png"))
        browser.close()


def test_explore_opened_from_runs_names_its_run_across_a_reload(tmp_path):
    from test_workspaces_browser import _cookie, _saved_run

    runs = tmp_path / "runs"
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url)
        pg.get_by_text("Share these settings").wait_for()
        workspace = f"b-{_cookie(ctx)}"
        older, newer = _saved_run(runs, workspace), _saved_run(runs, workspace)
        _open(pg, "Runs")
        _settle(pg, "/runs")
        detail = pg.locator("[data-testid='stSelectbox']").filter(has_text="Run").last
        for _ in range(4):  # a click that lands while the page redraws leaves the list shut: open it again
            detail.locator("input").click()
            try:
                pg.get_by_role("option").first.wait_for(timeout=5_000)
                break
            except sync_api.TimeoutError:
                pg.keyboard.press("Escape")
        pg.get_by_role("option").filter(has_text=older[-4:]).first.click()  # the older one: not Explore's default
        _wait_idle(pg)
        link = pg.get_by_role("link", name="Open in Explore")
        pg.wait_for_function("r => Array.from(document.querySelectorAll('a')).some(a => a.href.endsWith('run=' + r))",
                             arg=older)  # the link follows the run chosen
        entries = pg.evaluate("history.length")
        link.click()
        _settle(pg, "/explore")
        assert f"run={older}" in pg.url, pg.url  # a copied URL names the run
        assert pg.evaluate("history.length") == entries + 1
        assert _explore_shows(pg) == older
        pg.reload()
        pg.get_by_text("Share these settings").wait_for()
        _settle(pg, "/explore")
        assert f"run={older}" in pg.url and _explore_shows(pg) == older
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "explore_named_run.png"))
        pg.go_back()
        _settle(pg, "/runs")  # one press back to Runs
        browser.close()
