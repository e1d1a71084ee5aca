"""Linked views on Explore in a real browser at 1400 px: a box dragged over the projection selects exactly
the nodes inside it (a lasso too) (listed, ringed in the projection and in the graph drawing, with paths through the
epochs), a click in the drawing selects that node in the projection, the selection survives playback
and Clear empties it; the projection chooser's labels and the nearest-neighbour table are not cut.
Skips like ``test_browser.py`` where Chromium or Playwright is missing (fails in CI)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _streamlit_server, _wait_idle, sync_api  # noqa: E402

pytestmark = pytest.mark.timeout(420)
TOKEN = "5eed" * 8  # the browser's workspace cookie (graphcl_ws), so the run below is this visitor's
LABELS = ["Probabilistic_Methods", "Reinforcement_Learning", "Case_Based"]  # as long as Cora's
PROJ = '.graphcl-live-chart[data-key="explore.projection"]'
DRAW = '.graphcl-live-chart[data-key="explore.drawing"]'


def saved_run(runs: Path, token: str, name: str, node_ids: list[str], labels: list[str], snapshots: int,
              seed: int) -> str:
    """A finished 60-node run in the workspace of the browser whose cookie is ``token``: ``snapshots``
    snapshots going from noise to three separated groups (the planted partition's)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from graphcl_core.config import TrainConfig
    from graphcl_core.graph import GraphBundle
    from graphcl_core.runs import RunStore
    from tests.conftest import planted_partition

    base = planted_partition()
    bundle = GraphBundle(base.data, name, node_ids, "test", label_names=labels)
    rng = np.random.default_rng(seed)
    y = base.data.y.numpy()
    centres = rng.normal(size=(3, 8)) * 3
    noise = rng.normal(size=(base.num_nodes, 8))
    last = snapshots - 1
    w = RunStore(runs, f"b-{token}").create(bundle, TrainConfig(epochs=last, hidden=16, embedding_dim=8), "cpu")
    snaps = [SimpleNamespace(epoch=e, embeddings=(noise + centres[y] * e / last).astype(np.float32))
             for e in range(snapshots)]
    history = [{"epoch": e, "loss": 1.0 / (1 + e), "seconds": 0.1 * e} for e in range(1, snapshots)]
    w.save_progress(history, snaps, last, 0.1 * last)
    w.finish("finished")
    return w.run_id


def _saved_run(runs: Path) -> str:
    """Node ids and label names as long as Cora's; 12 snapshots."""
    return saved_run(runs, TOKEN, "linked-demo", [f"11{i:04d}" for i in range(60)], LABELS, 12, seed=0)


def _chart(pg, sel: str) -> dict:
    """The chart's traces (name, points as x, y, node name) and its plot area on the page."""
    return pg.evaluate("""sel => {
      const el = document.querySelector(sel), L = el._fullLayout, r = el.getBoundingClientRect();
      const px = (ax, v) => ax._offset + ax.l2p(v);
      return {title: ((L.title || {}).text || ''), area: [r.x + L.xaxis._offset, r.y + L.yaxis._offset,
              L.xaxis._length, L.yaxis._length],
              traces: el._fullData.map(t => ({name: t.name || '', mode: t.mode || '',
                points: (t.mode || '').includes('markers') && t.customdata && t.customdata.length ?
                  Array.from(t.x, (x, i) => [r.x + px(L.xaxis, x), r.y + px(L.yaxis, t.y[i]),
                                              String(t.customdata[i][0] ?? t.customdata[i])]) : []}))};
    }""", sel)


def _ring(chart: dict) -> set[str] | None:
    ring = next((t for t in chart["traces"] if t["name"].startswith("selected (")), None)
    return None if ring is None else {p[2] for p in ring["points"]}


def _not_clipped(pg, selector: str) -> list:
    """Elements under ``selector`` whose content is wider than their box (cut or scrolled sideways)."""
    return pg.evaluate("""sel => Array.from(document.querySelectorAll(sel)).flatMap(root =>
        [root, ...root.querySelectorAll('*')]).filter(e => e.scrollWidth > e.clientWidth + 1 &&
        getComputedStyle(e).overflowX !== 'visible').map(e => [e.tagName, e.className.toString().slice(0, 40),
        e.scrollWidth, e.clientWidth, e.innerText.slice(0, 40)])""", selector)


def _settle(pg, ms: int = 800) -> None:
    _wait_idle(pg)
    pg.wait_for_timeout(ms)


def test_select_in_the_projection_see_it_in_the_drawing_and_back(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = tmp_path / "runs"
    rid = _saved_run(runs)
    with _streamlit_server(runs, tmp_path / "streamlit.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1300})
        ctx.add_cookies([{"name": "graphcl_ws", "value": TOKEN, "url": url}])
        pg = ctx.new_page()
        pg.set_default_timeout(120_000)
        pg.goto(f"{url}/explore?run={rid}")
        pg.get_by_role("heading", name="Explore", exact=True).wait_for()

        # ---- the projection chooser shows its four labels whole --------------------------------------
        chooser = pg.locator('[data-testid="stButtonGroup"]').filter(has_text="PCA 3-D")
        chooser.wait_for()
        for name in ["UMAP 2-D", "UMAP 3-D", "PCA 2-D", "PCA 3-D"]:
            assert chooser.get_by_role("radio", name=name).is_visible()
        assert _not_clipped(pg, '[data-testid="stButtonGroup"]') == []
        box = chooser.bounding_box()
        assert box["x"] + box["width"] <= 1400
        chooser.get_by_role("radio", name="PCA 2-D").click()
        pg.wait_for_function("sel => ((document.querySelector(sel) || {})._fullLayout || {title: {}}).title.text"
                             "?.startsWith('PCA 2-D')", arg=PROJ)
        _settle(pg)
        pg.get_by_text("Nothing selected yet", exact=False).wait_for()

        # ---- drag a box over the left part of the projection ------------------------------------------
        before = _chart(pg, PROJ)
        x0, y0, w, h = before["area"]
        lo, hi = (x0 + 2, y0 + 2), (x0 + 0.45 * w, y0 + h - 2)
        expected = {n for t in before["traces"] for (x, y, n) in t["points"]
                    if lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]}
        assert 3 <= len(expected) < 60, f"the box should catch some nodes: {len(expected)}"
        pg.locator(PROJ + ' .modebar-btn[data-title="Box Select"]').click()
        pg.mouse.move(*lo)
        pg.mouse.down()
        pg.mouse.move(*hi, steps=15)
        pg.mouse.up()
        pg.get_by_text(f"{len(expected)} selected", exact=True).wait_for()
        ring_name = f"selected ({len(expected)})"
        pg.wait_for_function("([sel, name]) => document.querySelector(sel).data.some(t => t.name === name)",
                             arg=[DRAW, ring_name])
        _settle(pg, 1500)
        proj, drawing = _chart(pg, PROJ), _chart(pg, DRAW)
        assert _ring(proj) == expected, "the projection rings exactly the boxed nodes"
        assert _ring(drawing) == expected, "the drawing rings the same nodes"
        paths = [t for t in proj["traces"] if t["name"].startswith("path of ")]
        assert paths and all("lines" in t["mode"] for t in paths), "paths through the epochs are drawn"
        assert pg.get_by_role("button", name="Clear selection").is_visible()
        listed = pg.locator('[data-testid="stTable"]').filter(has_text="degree").first.inner_text()
        assert all(name in listed for name in expected), "every selected node is listed"
        assert _not_clipped(pg, '[data-testid="stTable"]') == [], "the list fits without scrolling sideways"
        pg.screenshot(path=str(ARTIFACTS / "linked_selected.png"), full_page=True)

        # ---- click a node in the drawing that is not selected: the projection follows ----------------
        other = next(pt for t in drawing["traces"] for pt in t["points"]
                     if pt[2] not in expected and not t["name"].startswith("selected"))
        pg.locator(DRAW).scroll_into_view_if_needed()
        pg.wait_for_timeout(500)
        pg.screenshot(path=str(ARTIFACTS / "linked_drawing.png"))
        drawing = _chart(pg, DRAW)  # positions after scrolling
        other = next(pt for t in drawing["traces"] for pt in t["points"] if pt[2] == other[2])
        pg.mouse.click(other[0], other[1])
        pg.get_by_text("1 selected", exact=True).wait_for()
        pg.wait_for_function("sel => document.querySelector(sel).data.some(t => t.name === 'selected (1)')", arg=PROJ)
        assert _ring(_chart(pg, PROJ)) == {other[2]}

        # ---- the selection survives playback ---------------------------------------------------------
        pg.get_by_role("button", name="Play").click()
        titles = set()
        for _ in range(40):
            chart = _chart(pg, PROJ)
            if re.search(r"epoch \d+", chart["title"]):
                titles.add(chart["title"])
                assert _ring(chart) == {other[2]}, f"lost the selection while playing: {chart['title']}"
            if len(titles) >= 3:
                break
            pg.wait_for_timeout(400)
        assert len(titles) >= 3, f"the replay did not move: {titles}"
        if pg.get_by_role("button", name="Pause").count():
            pg.get_by_role("button", name="Pause").click()
        _settle(pg)

        # ---- the nearest-neighbour table fits its panel --------------------------------------------------
        pg.locator('[data-testid="stSelectbox"]').filter(has_text="Find a node").locator("input").click()
        pg.keyboard.type("110007")
        pg.keyboard.press("Enter")
        table = pg.locator('[data-testid="stTable"]').first
        table.wait_for()
        _settle(pg)
        text = table.inner_text()
        assert "distance" in text and re.search(r"\b0\.\d{3}\b", text) and "Methods" in text
        assert _not_clipped(pg, '[data-testid="stTable"]') == []
        tb, page_w = table.bounding_box(), pg.evaluate("() => document.documentElement.clientWidth")
        assert tb["x"] + tb["width"] <= page_w
        pg.screenshot(path=str(ARTIFACTS / "linked_nearest.png"), full_page=True)

        # ---- Clear selection ---------------------------------------------------------------------------
        pg.get_by_role("button", name="Clear selection").click()
        pg.get_by_text("Nothing selected yet", exact=False).wait_for()
        pg.wait_for_function("sel => !document.querySelector(sel).data.some(t => (t.name || '').startsWith("
                             "'selected'))", arg=PROJ)

        # ---- a lasso (a triangle) selects the nodes inside it -------------------------------------------
        _settle(pg)
        pg.locator(PROJ).scroll_into_view_if_needed()
        chart = _chart(pg, PROJ)
        x0, y0, w, h = chart["area"]
        tri = [(x0 + 0.1 * w, y0 + 0.9 * h), (x0 + 0.9 * w, y0 + 0.9 * h), (x0 + 0.5 * w, y0 + 0.1 * h)]
        sure, maybe = set(), set()
        for t in chart["traces"]:
            for x, y, name in t["points"]:
                margin = _inside_by(tri, (x, y))
                if margin > 4:
                    sure.add(name)
                if margin > -4:
                    maybe.add(name)
        assert len(sure) >= 3
        pg.locator(PROJ + ' .modebar-btn[data-title="Lasso Select"]').click()
        pg.mouse.move(*tri[0])
        pg.mouse.down()
        for a, b in zip(tri, tri[1:] + tri[:1]):
            for f in np.linspace(0, 1, 8)[1:]:
                pg.mouse.move(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
        pg.mouse.up()
        pg.get_by_role("button", name="Clear selection").wait_for()
        pg.wait_for_function("sel => document.querySelector(sel).data.some(t => (t.name || '').startsWith('selected'))",
                             arg=PROJ)
        ring = _ring(_chart(pg, PROJ))
        assert sure <= ring <= maybe, f"lasso: {sorted(ring ^ sure)[:10]}"
        assert pg.locator('[data-testid="stException"]').count() == 0
        browser.close()


def _inside_by(poly, pt) -> float:
    """How far ``pt`` lies inside the convex polygon ``poly`` (pixels; negative: outside)."""
    px, py = pt
    sign = np.sign(sum((b[0] - a[0]) * (b[1] + a[1]) for a, b in zip(poly, poly[1:] + poly[:1])))
    out = np.inf
    for (ax, ay), (bx, by) in zip(poly, poly[1:] + poly[:1]):
        ex, ey = bx - ax, by - ay
        cross = (ex * (py - ay) - ey * (px - ax)) / np.hypot(ex, ey)
        out = min(out, -sign * cross)
    return float(out)
