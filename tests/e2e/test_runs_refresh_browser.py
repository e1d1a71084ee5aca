"""The Runs page keeps a training run's row current in a real browser: the run's progress, saved by its
trainer every few seconds, shows up in the table (and the run's summary) without a reload, and its end too."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402
from test_workspaces_browser import _cookie  # noqa: E402

pytestmark = pytest.mark.timeout(240)
EPOCHS = 3000


def _progress(writer, bundle, epoch: int) -> None:
    """What a trainer saves every 2 s: the loss so far, the latest snapshot, the epoch."""
    hist = [{"epoch": e, "loss": 1.0 / e, "seconds": 0.01 * e} for e in range(1, epoch + 1)]
    emb = np.random.default_rng(epoch).normal(size=(bundle.num_nodes, 4)).astype(np.float32)
    writer.save_progress(hist, [SimpleNamespace(epoch=epoch, embeddings=emb)], epoch, 0.01 * epoch)


def _shows(pg, testid: str, text: str, timeout: int = 30_000) -> None:
    """Wait until the element ``data-testid=testid`` shows ``text`` (a table's cells are drawn on a canvas:
    its text is in the grid's accessible copy, so ``textContent``)."""
    pg.wait_for_function(f"() => ((document.querySelector('[data-testid=\"{testid}\"]') || {{}}).textContent || '')"
                         f".includes({text!r})", timeout=timeout)


def test_a_training_runs_row_follows_its_progress(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import planted_partition

    from graphcl_core.config import TrainConfig
    from graphcl_core.runs import RunStore

    runs = tmp_path / "runs"
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url)
        pg.get_by_role("heading", name="GraphCL Studio").wait_for()
        bundle = planted_partition()
        # "running" in this browser's workspace, written by this process (alive: not marked interrupted)
        writer = RunStore(runs, f"b-{_cookie(ctx)}").create(
            bundle, TrainConfig(epochs=EPOCHS, hidden=16, embedding_dim=4), "cpu")
        _progress(writer, bundle, 136)
        pg.goto(url + "/runs")
        pg.get_by_role("heading", name="Runs", exact=True).wait_for()
        _wait_idle(pg)
        table = pg.locator('[data-testid="stDataFrame"]').first
        main = pg.locator('[data-testid="stMain"]')
        _shows(pg, "stDataFrame", f"136/{EPOCHS}")
        _progress(writer, bundle, 452)  # no reload, no click: the page reads it again by itself
        _shows(pg, "stDataFrame", f"452/{EPOCHS}", timeout=15_000)
        _shows(pg, "stMain", f"452 / {EPOCHS}", timeout=15_000)  # the run's summary
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "runs_while_training.png"))
        _progress(writer, bundle, EPOCHS)
        writer.finish("finished")
        _shows(pg, "stDataFrame", f"{EPOCHS}/{EPOCHS}", timeout=15_000)
        _wait_idle(pg)
        cells = table.text_content()
        assert "finished" in cells and "running" not in cells
        assert "finished" in main.inner_text()  # the summary's status
        pg.wait_for_timeout(2500)
        assert pg.locator('[data-testid="stStatusWidget"]').count() == 0  # nothing polls after the end
        pg.screenshot(path=str(ARTIFACTS / "runs_after_training.png"))
        browser.close()
