"""Two visitors in a real browser (two Chromium contexts, so two cookie jars): each sees only their own runs;
a reload or a duplicated tab keeps the workspace (the cookie), and a published run is shown to the other
read-only. Skips like ``test_browser.py`` where Chromium or Playwright is missing (fails in CI)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402

pytestmark = pytest.mark.timeout(240)
GRAPH = "tiny-communities"  # the name of the graph of the run Alice owns


def _cookie(ctx, timeout_s: float = 30.0) -> str:
    """The workspace token the page wrote into this browser's cookie jar."""
    import time

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        found = [c["value"] for c in ctx.cookies() if c["name"] == "graphcl_ws"]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("the app did not set its workspace cookie")


def _saved_run(runs: Path, workspace: str) -> str:
    """A small finished run written straight into ``workspace`` (training is tested elsewhere)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import planted_partition

    from graphcl_core.config import TrainConfig
    from graphcl_core.runs import RunStore

    bundle = planted_partition()
    w = RunStore(runs, workspace).create(bundle, TrainConfig(epochs=2, hidden=16, embedding_dim=4), "cpu")
    emb = np.random.default_rng(0).normal(size=(bundle.num_nodes, 4)).astype(np.float32)
    w.save_progress([{"epoch": 1, "loss": 0.9, "seconds": 0.1}, {"epoch": 2, "loss": 0.7, "seconds": 0.2}],
                    [SimpleNamespace(epoch=2, embeddings=emb)], 2, 0.2)
    w.finish("finished")
    return w.run_id


def _runs_page(pg, url: str, query: str = "") -> str:
    pg.goto(url + "/runs" + query)
    pg.get_by_role("heading", name="Runs", exact=True).wait_for()
    _wait_idle(pg)
    pg.wait_for_timeout(500)
    return pg.locator('[data-testid="stMain"]').inner_text()


def test_two_visitors_see_only_their_own_runs(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = tmp_path / "runs"
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        alice_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        bob_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        alice, bob = alice_ctx.new_page(), bob_ctx.new_page()
        for pg in (alice, bob):
            pg.set_default_timeout(60_000)
            pg.goto(url)
            pg.get_by_role("heading", name="GraphCL Studio").wait_for()
        token_a, token_b = _cookie(alice_ctx), _cookie(bob_ctx)
        assert token_a != token_b and token_a not in alice.url  # the workspace is never in the link
        rid = _saved_run(runs, f"b-{token_a}")

        # Alice sees her run, after a reload and in a duplicated tab too; Bob does not
        _runs_page(alice, url)
        alice.get_by_text(f"{GRAPH} · epoch 2").first.wait_for()  # (the run id itself is drawn in a canvas table)
        alice.reload()
        alice.get_by_role("heading", name="Runs", exact=True).wait_for()
        alice.get_by_text(f"{GRAPH} · epoch 2").first.wait_for()
        twin = alice_ctx.new_page()
        _runs_page(twin, url)
        twin.get_by_text(f"{GRAPH} · epoch 2").first.wait_for()
        twin.close()
        text = _runs_page(bob, url)
        assert GRAPH not in text and "No saved runs yet" in text
        text = _runs_page(bob, url, f"?run={rid}")  # a deep link to it reads like a missing run
        assert "was not found" in text and "No saved runs yet" in text
        bob.goto(url + f"/explore?run={rid}")
        bob.get_by_text("was not found").wait_for()
        bob.screenshot(path=str(ARTIFACTS / "workspace_not_found.png"))

        # Alice publishes it: Bob sees it under Shared runs, without Delete or Publish
        _runs_page(alice, url)
        alice.get_by_role("button", name="Publish").click()
        alice.get_by_role("button", name="Unpublish").wait_for()
        text = _runs_page(bob, url)
        assert "Shared runs" in text and GRAPH in text and "Shared by another visitor: read-only." in text
        assert bob.get_by_role("button", name="Delete this run…").count() == 0
        assert bob.get_by_role("button", name="Publish").count() == 0
        bob.screenshot(path=str(ARTIFACTS / "workspace_shared.png"))
        browser.close()
