"""``bench/latency.py browser``: what a person waits for, timed in Chromium with Playwright (JSON lines).

Each scenario gets a fresh ``streamlit run app.py`` (``cold``: the first time on that server, as on a
fresh start; the numba cache on disk is whatever this machine has), then the same again in a new tab
(``warm``). Times are from the click (or the page load) to the moment the element is in the page:
- ``start``: Train with Cora (``speed=live``), Start → first loss point drawn, → first projection drawn;
  then Stop → "stopped" shown;
- ``try``: Home's "Try it" → "Training finished" shown (with the default playback speed, which plays a
  run that trains faster than the pace over ~20 s, and with ``speed=live``), and when the run's
  ``meta.json`` said finished (training and final evaluation done);
- ``explore``: a finished Cora run (trained here before the server starts, frames saved as the live view
  saves them) opened by its link → its projection drawn;
- ``runs``: the Runs page of a workspace holding ``--runs`` saved Cora-sized runs (synthetic histories and
  snapshots, written by ``RunWriter``) → the table drawn, and the whole page idle.
Every line says the machine's load average: it is shared, so compare numbers taken together.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOSS_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(el =>
  /loss/i.test(((el.layout || {}).title || {}).text || '') &&
  (el.data || []).some(t => Array.isArray(t.x) ? t.x.length > 0 : (t.x && t.x.length > 0)))"""
PROJECTION_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(el =>
  /at epoch/.test(((el.layout || {}).title || {}).text || ''))"""


def emit(**row) -> None:
    row["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(runs: Path, fresh_cache: bool = False):
    """A fresh Streamlit server on a free port; yields ``(url, seconds until healthy)``. ``fresh_cache``: an
    empty numba cache, as on a machine that never ran UMAP (the warm-up compiles everything again)."""
    port = _free_port()
    env = {**os.environ, "GRAPHCL_RUNS_DIR": str(runs), "PYTHONUNBUFFERED": "1"}
    if fresh_cache:
        env["NUMBA_CACHE_DIR"] = str(runs.parent / "numba-cache")
    log = open(runs.parent / f"streamlit-{port}.log", "w+")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - t0 < 120 and proc.poll() is None:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read().strip() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    try:
        yield url, time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _page(browser, token: str | None = None, url: str = ""):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    if token:
        ctx.add_cookies([{"name": "graphcl_ws", "value": token, "url": url}])
    pg = ctx.new_page()
    pg.set_default_timeout(180_000)
    return pg


def _idle(pg, timeout: float = 120_000) -> None:
    pg.wait_for_timeout(200)
    with contextlib.suppress(Exception):
        pg.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)


def _runs_settled(runs: Path, timeout: float = 120.0) -> None:
    """Wait until every run under ``runs`` has saved its end (after its final report probe): a stopped run
    still runs that probe on the same cores, which would slow the next scenario's run."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        metas = [json.loads(m.read_text()) for m in runs.rglob("meta.json")]
        if all(m.get("status") in ("finished", "stopped", "failed") for m in metas):
            return
        time.sleep(0.25)


def _until(pg, js: str, t0: float) -> float:
    pg.wait_for_function(js, polling=30, timeout=180_000)
    return time.perf_counter() - t0


def _shell_drawn(pg, t0: float) -> float:
    """Seconds until the app's navigation is drawn: the cost of any page load (JS bundle, websocket, app.py),
    to set the page's own time against."""
    pg.locator('[data-testid="stSidebarNav"], [data-testid="stSidebarCollapsedControl"]').first.wait_for()
    return time.perf_counter() - t0


def scenario_start(browser, url: str, label: str) -> None:
    pg = _page(browser)
    pg.goto(f"{url}/train?graph=Cora&epochs=800&speed=live")
    pg.get_by_role("button", name="Start").first.wait_for()
    _idle(pg)
    t0 = time.perf_counter()
    pg.get_by_role("button", name="Start").first.click()
    loss = _until(pg, LOSS_DRAWN, t0)
    proj = _until(pg, PROJECTION_DRAWN, t0)
    title = pg.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(e =>
        ((e.layout || {}).title || {}).text || '').find(t => /at epoch/.test(t)) || ''""")
    t1 = time.perf_counter()
    pg.get_by_role("button", name="Stop").first.click()
    pg.get_by_text(re.compile(r"· stopped")).first.wait_for()
    stop = time.perf_counter() - t1
    emit(what="browser_start", run=label, graph="Cora", first_loss_drawn_s=loss, first_projection_drawn_s=proj,
         first_projection=re.sub(r"<[^>]+>", "", title)[:60], stop_acknowledged_s=stop)
    pg.context.close()


def _finished_at(runs: Path, after: float) -> float | None:
    """Wall time at which the newest run's meta.json says it finished (None if none has)."""
    metas = [json.loads(p.read_text()) for p in runs.glob("*/*/meta.json")]
    done = [m["finished"] for m in metas if m.get("status") == "finished" and m.get("created", 0) >= after - 1]
    return max(done) if done else None


def cli_karate_seconds(out: Path) -> float:
    """The same karate run from the CLI, no server or browser (training and final evaluation, process
    start included), one torch thread: the yardstick for the app's overhead under the load of the moment."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "graphcl_core", "train", "--graph", "karate", "--preset", "small-graph",
                    "--out", str(out), "--json"], cwd=REPO, capture_output=True, timeout=600, check=False,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})  # one thread, as the app's CPU run (worker.share_cpu_cores)
    return time.perf_counter() - t0


def scenario_try(browser, url: str, runs: Path, label: str, speed: str | None) -> None:
    cli = cli_karate_seconds(runs.parent / "cli-runs")
    pg = _page(browser)
    pg.goto(url + (f"/?speed={speed}" if speed else ""))
    pg.get_by_role("button", name="Try it: train on the karate club").wait_for()
    _idle(pg)
    wall0, t0 = time.time(), time.perf_counter()
    pg.get_by_role("button", name="Try it: train on the karate club").click()
    pg.get_by_text("Training finished", exact=False).first.wait_for()
    shown = time.perf_counter() - t0
    fin = _finished_at(runs, wall0)
    emit(what="browser_try_it", run=label, speed=speed or "default", finished_shown_s=shown,
         run_finished_s=(fin - wall0) if fin else None, same_run_cli_just_before_s=cli)
    pg.context.close()


def scenario_explore(browser, url: str, token: str, run_id: str, label: str) -> None:
    pg = _page(browser, token, url)
    t0 = time.perf_counter()
    pg.goto(f"{url}/explore?run={run_id}")
    shell = _shell_drawn(pg, t0)
    proj = _until(pg, PROJECTION_DRAWN, t0)
    _idle(pg)
    idle = time.perf_counter() - t0
    nav = _navigate(pg, url, "Explore", lambda: _until(pg, PROJECTION_DRAWN, 0.0), "projection_drawn_from_sidebar_s")
    emit(what="browser_explore_open", run=label, app_shell_drawn_s=shell, projection_drawn_s=proj,
         page_idle_s=idle, **nav)
    pg.context.close()


def _navigate(pg, url: str, link: str, done, name: str) -> dict:
    """From Home (loaded, idle), click the sidebar's ``link``: the page's own time, without a page load."""
    pg.goto(url)
    pg.get_by_role("heading", name="GraphCL Studio").wait_for()
    _idle(pg)
    t0 = time.perf_counter()
    pg.locator('[data-testid="stSidebarNav"] a').filter(has_text=link).first.click()
    done()
    return {name: time.perf_counter() - t0}


def scenario_runs(browser, url: str, token: str, n: int, label: str) -> None:
    pg = _page(browser, token, url)
    t0 = time.perf_counter()
    pg.goto(f"{url}/runs")
    shell = _shell_drawn(pg, t0)
    pg.locator('[data-testid="stDataFrame"]').first.wait_for()
    table = time.perf_counter() - t0
    _idle(pg)
    idle = time.perf_counter() - t0
    nav = _navigate(pg, url, "Runs", lambda: pg.locator('[data-testid="stDataFrame"]').first.wait_for(),
                    "table_drawn_from_sidebar_s")
    emit(what="browser_runs_page", run=label, runs=n, app_shell_drawn_s=shell, table_drawn_s=table,
         page_idle_s=idle, **nav)
    pg.context.close()


def browser(args) -> None:
    from playwright.sync_api import sync_playwright

    from common import setup_data_dir
    from latency_fixtures import finished_cora_run, synthetic_runs

    setup_data_dir()  # the servers inherit GRAPHCL_DATA_DIR: Cora from the repo's .data

    only = set(filter(None, args.only.split(","))) or {"start", "try", "explore", "runs"}
    work = Path(tempfile.mkdtemp(prefix="graphcl-latency-browser-"))
    token = secrets.token_hex(16)  # the browser workspace b-<token> the prepared runs are written into
    plan = {  # scenario: (prepare the runs folder before the server starts, measure)
        "try": (lambda runs: None, lambda b, url, runs, ctx: [
            scenario_try(b, url, runs, lab, sp) for lab, sp in (("cold", None), ("warm", None), ("warm", "live"))]),
        "start": (lambda runs: None, lambda b, url, runs, ctx: [
            (scenario_start(b, url, lab), _runs_settled(runs)) for lab in ("cold", "warm")]),
        "explore": (lambda runs: finished_cora_run(runs, f"b-{token}"), lambda b, url, runs, rid: [
            scenario_explore(b, url, token, rid, lab) for lab in ("cold", "warm")]),
        "runs": (lambda runs: synthetic_runs(runs, f"b-{token}", args.runs), lambda b, url, runs, ctx: [
            scenario_runs(b, url, token, args.runs, lab) for lab in ("cold", "warm")]),
    }
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in [n for n in plan if n in only or (n == "start" and "stop" in only)]:
            prepare, measure = plan[name]
            runs = work / name / "runs"
            runs.mkdir(parents=True)
            ctx = prepare(runs)
            with server(runs, args.fresh_cache) as (url, up):
                emit(what="server_start", scenario=name, seconds=up, fresh_numba_cache=args.fresh_cache)
                try:
                    measure(b, url, runs, ctx)
                except Exception as e:  # noqa: BLE001 - one scenario's failure must not hide the others
                    emit(what="scenario_failed", scenario=name, error=f"{type(e).__name__}: {e}"[:300])
        b.close()
