"""The Runs page's animation downloads in a real browser: "Make GIF" and "Make HTML" turn into download
buttons, the downloaded GIF holds a frame per snapshot, and the downloaded HTML plays offline (its
Play button moves through the epochs). Skips like ``test_browser.py`` where Chromium or Playwright is
missing (fails in CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402

pytestmark = pytest.mark.timeout(300)


def _cookie(ctx, pg) -> str:
    """The workspace token the app wrote into this browser's cookie jar."""
    for _ in range(150):
        found = [c["value"] for c in ctx.cookies() if c["name"] == "graphcl_ws"]
        if found:
            return found[0]
        pg.wait_for_timeout(200)
    raise AssertionError("the app did not set its workspace cookie")


def _download(pg, name: str, dest: Path) -> Path:
    """Press "Make <name>", wait for its download button, download the file into ``dest``."""
    pg.get_by_role("button", name=f"Make {name}").click()
    button = pg.get_by_role("button", name=f"{name} (")
    button.wait_for(timeout=120_000)
    with pg.expect_download() as info:
        button.click()
    info.value.save_as(dest)
    return dest


def test_runs_page_downloads_a_gif_and_an_html_that_plays(tmp_path):
    import imageio.v3 as iio
    from test_animation_export import EPOCHS, write_drifting_run

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = tmp_path / "runs"
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url)
        pg.get_by_role("heading", name="GraphCL Studio").wait_for()
        write_drifting_run(runs, f"b-{_cookie(ctx, pg)}")
        pg.goto(url + "/runs")
        pg.get_by_role("heading", name="Runs", exact=True).wait_for()
        _wait_idle(pg)
        pg.get_by_role("button", name="Make GIF").scroll_into_view_if_needed()
        pg.locator('[data-testid="stButtonGroup"]').get_by_text("PCA", exact=True).click()
        _wait_idle(pg)

        gif = _download(pg, "GIF", tmp_path / "run.gif")
        assert iio.imread(gif, index=None).shape[0] == EPOCHS + 1
        html = _download(pg, "HTML", tmp_path / "run.html")
        pg.get_by_role("button", name="Make MP4").scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / "runs_animation.png"))

        view = ctx.new_page()  # offline: anything but the file itself is refused
        view.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        view.goto(html.as_uri())
        view.locator(".js-plotly-plot").wait_for()
        gd = "document.querySelector('.js-plotly-plot')"
        assert view.evaluate(f"{gd}._transitionData._frames.length") == EPOCHS + 1
        first = view.evaluate(f"{gd}.layout.title.text")
        assert "epoch 0" in first
        view.get_by_text("▶ Play").click()
        view.wait_for_function(f"{gd}.layout.title.text.includes('epoch {EPOCHS} ')", timeout=30_000)
        view.screenshot(path=str(ARTIFACTS / "animation_html.png"))
        browser.close()
