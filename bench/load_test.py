"""Load test: a room of visitors on one server, each training on the karate club (issue 13).

Starts ``streamlit run app.py`` on the loopback address (127.0.0.1 only, a free port, a fresh runs
folder) and connects N visitors as real websocket clients speaking Streamlit's own protocol, as a
browser tab does: each has its own cookie (so its own browser workspace), opens the Train page with
``?graph=karate``, clicks Start, then reruns the fragments the server asks it to poll (``auto_rerun``,
exactly what the browser does: the live view every 3 s while waiting in line, every 0.4-0.7 s while
the run trains or the page plays it back at the default pace; on the Train page the sidebar does not
poll) until the page says the run has finished, and finally opens the Runs page. Nothing runs JavaScript, so
page reruns are timed from sending the request to Streamlit's ``script_finished``: the server's side
of what a visitor waits for.

Reported (one JSON line per visitor, then one summary line and a few sentences):
- page-rerun latency p50 / p95 / max, over full-page reruns and fragment reruns, and of fragment
  reruns by what the page was doing (waiting in line, training, playing back);
- queue: the longest place in line each visitor was shown, the first wait estimate, and the actual
  wait from Start to the first epoch, and how long each run trained (its first to its last epoch);
- runs completed, errors (exceptions on a page, lost connections, runs that never finished);
- isolation: every run id any visitor's Runs page showed belongs to that visitor;
- the machine's load average at the start and the end (other work on the cores skews every number).

Bounded: at most ``--visitors`` clients, each stops at ``--timeout-s``; the server is stopped at the end.

    python bench/load_test.py                 # 20 visitors, karate, the app's default 200 epochs (2-4 min)
    python bench/load_test.py --visitors 5 --timeout-s 120
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[1]
RUN_ID = re.compile(rb"\d{8}-\d{6}-karate-[0-9a-f]{4}")
IN_LINE = re.compile(r"(next in line|number (\d+) in line)(?:, about ([^.]+?) to wait)?")
FINISHED = "Training finished"
# The progress line once the run has trained an epoch: "Epoch 37 of 200 ..." while the picture is live,
# "Showing epoch 5 of 200 (trained: 37) ..." while the page plays a faster run back (ui/pacing.py).
TRAINED = re.compile(r"(?:^Epoch |\(trained: )[1-9]", re.M)
# The progress line once training has ended (the page may still be playing it back).
TRAINED_ALL = re.compile(r"finished in |trained in ")
# A rerun that has not finished after this long counts as an error (the visitor gives up).
RECV_TIMEOUT_S = 60.0
EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


@dataclass
class Visitor:
    """One browser tab: its connection, URL, the fragments it polls, and what it measured."""

    index: int
    token: str = field(default_factory=lambda: secrets.token_hex(16))  # the browser cookie: workspace b-<token>
    ws: object = None
    query: str = "graph=karate"
    fragments: dict = field(default_factory=dict)  # fragment_id -> (interval s, next due)
    page_hash: str = ""  # the page on screen, sent with every rerun as the browser does
    page_hashes: dict = field(default_factory=dict)  # url path ("train") -> page script hash
    latencies: list = field(default_factory=list)  # (kind, phase, seconds)
    errors: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    raw: bytes = b""
    buttons: dict = field(default_factory=dict)
    run_id: str | None = None
    started_at: float | None = None
    trained_at: float | None = None
    trained_all_at: float | None = None  # training ended (the page may still play it back)
    finished_at: float | None = None
    max_place: int = 0
    first_estimate: str | None = None
    listed_ids: set = field(default_factory=set)

    async def rerun(self, page: str, fragment: str = "", triggers: tuple[str, ...] = ()) -> None:
        """Send one rerun and read until the script has finished (following the app's own st.rerun)."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string, cs.page_name = self.query, page
        # Without the page's hash, a fragment that calls st.rerun() (the Train page's live view does when
        # a run is admitted or ends) reruns the default page: the visitor would land on Home.
        cs.page_script_hash = self.page_hash if fragment else self.page_hashes.get(page, "")
        if fragment:
            cs.fragment_id, cs.is_auto_rerun = fragment, True
        else:
            self.fragments.clear()  # a full run registers the fragments to poll again, as in the browser
        for wid in triggers:
            cs.widget_states.widgets.append(WidgetState(id=wid, trigger_value=True))
        self.texts, self.raw = [], b""
        phase = self.phase
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            data = await asyncio.wait_for(self.ws.recv(), RECV_TIMEOUT_S)
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "delta":
                self._read_delta(fm, data)
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "navigation":
                self.page_hash = fm.navigation.page_script_hash
                self.page_hashes.update({p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages})
            elif kind == "auto_rerun":
                self.fragments[fm.auto_rerun.fragment_id] = (fm.auto_rerun.interval, time.perf_counter()
                                                             + fm.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                for fid in fm.stop_auto_rerun.fragment_ids:
                    self.fragments.pop(fid, None)
            elif kind == "script_finished":
                if fm.script_finished != EARLY:
                    break
                self.fragments.clear()  # the app called st.rerun(): a full run follows
        self.latencies.append(("fragment" if fragment else "page", phase, time.perf_counter() - t0))

    def _read_delta(self, fm: ForwardMsg, data: bytes) -> None:
        self.raw += data
        if not fm.delta.HasField("new_element"):
            return
        el = fm.delta.new_element
        what = el.WhichOneof("type")
        if what == "exception":
            self.errors.append(f"exception on the page: {el.exception.type}: {el.exception.message[:200]}")
        elif what == "button":
            self.buttons[el.button.id.rsplit("-", 1)[-1]] = el.button.id
        elif what == "markdown":
            self.texts.append(el.markdown.body)
        elif what == "alert":
            self.texts.append(el.alert.body)
        elif what == "progress":
            self.texts.append(el.progress.text)

    @property
    def phase(self) -> str:
        """What the visitor's page is doing: waiting (in line), training, playback, or done."""
        if self.finished_at is not None:
            return "done"
        if self.trained_all_at is not None:
            return "playback"
        return "training" if self.trained_at is not None else "waiting"

    def read_train_page(self, now: float) -> None:
        text = "\n".join(self.texts)
        if m := IN_LINE.search(text):
            place = 1 if m.group(1) == "next in line" else int(m.group(2))
            self.max_place = max(self.max_place, place)
            if self.first_estimate is None:
                self.first_estimate = m.group(3) or ""
        elif self.trained_at is None and self.started_at is not None and TRAINED.search(text):
            self.trained_at = now
        if self.trained_all_at is None and self.started_at is not None and TRAINED_ALL.search(text):
            self.trained_all_at = now
            self.trained_at = self.trained_at or now
        if ids := RUN_ID.findall(self.raw):
            self.run_id = ids[0].decode()
        if FINISHED in text:
            self.finished_at = now


async def visitor(i: int, port: int, deadline: float) -> Visitor:
    v = Visitor(i)
    cookie = f"graphcl_ws={v.token}"
    try:
        async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                           additional_headers={"Cookie": cookie}, max_size=2**26, open_timeout=60) as ws:
            v.ws = ws
            await v.rerun("train")
            await v.rerun("train")  # the first run wrote the URL; this is the page a visitor sees
            start = v.buttons.get("train.start")
            if start is None:
                v.errors.append("no Start button on the Train page")
                return v
            v.started_at = time.perf_counter()
            await v.rerun("train", triggers=(start,))
            v.read_train_page(time.perf_counter())
            while v.finished_at is None and time.perf_counter() < deadline:
                due = [(nxt, fid) for fid, (_, nxt) in v.fragments.items()]
                if not due:  # nothing to poll (the run ended, or the page stopped asking): reload once
                    await asyncio.sleep(1.0)
                    await v.rerun("train")
                else:
                    nxt, fid = min(due)
                    await asyncio.sleep(max(0.0, nxt - time.perf_counter()))
                    interval = v.fragments.get(fid, (1.0, 0))[0]
                    await v.rerun("train", fragment=fid)
                    if fid in v.fragments:
                        v.fragments[fid] = (interval, time.perf_counter() + interval)
                v.read_train_page(time.perf_counter())
            if v.finished_at is None:
                v.errors.append("the run did not finish before the time limit")
            await v.rerun("runs")
            v.listed_ids = {m.decode() for m in RUN_ID.findall(v.raw)}
    except Exception as e:  # noqa: BLE001 - a lost connection is a result, not a crash of the test
        v.errors.append(f"{type(e).__name__}: {e}")
    return v


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, runs_dir: str, log) -> subprocess.Popen:
    env = {**os.environ, "GRAPHCL_RUNS_DIR": runs_dir, "GRAPHCL_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           # as a host would serve it: no reloading of modules when files in the folder change (this
           # checkout is edited while the test runs, and a reload mid-run breaks running sessions)
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the Streamlit server did not start within 60 s")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


async def room(port: int, n: int, timeout_s: float, stagger_s: float) -> list[Visitor]:
    deadline = time.perf_counter() + timeout_s

    async def later(i: int) -> Visitor:
        await asyncio.sleep(i * stagger_s)
        return await visitor(i, port, deadline)

    return await asyncio.gather(*(later(i) for i in range(n)))


def report(visitors: list[Visitor], wall_s: float, runs_dir: Path, load_at_start: list | None = None) -> dict:
    """``runs_dir``: whose run is whose, read from the store's folders (``<workspace>/<run_id>``)."""
    owned = {p.name: p.parent.name for p in runs_dir.glob("*/*") if p.is_dir()}
    lat = [s for v in visitors for _, _, s in v.latencies]
    page = [s for v in visitors for k, _, s in v.latencies if k == "page"]
    frag = [s for v in visitors for k, _, s in v.latencies if k == "fragment"]
    phases = {}  # fragment reruns by what the page was doing: waiting in line, training, playing back
    for v in visitors:
        for k, ph, s in v.latencies:
            if k == "fragment":
                phases.setdefault(ph, []).append(s)
    trained = [v.trained_all_at - v.trained_at for v in visitors if v.trained_all_at and v.trained_at]
    waits = [v.trained_at - v.started_at for v in visitors if v.trained_at and v.started_at]
    for v in visitors:
        mine = {rid for rid, ws in owned.items() if ws == f"b-{v.token}"}
        v.run_id = v.run_id or (min(mine) if mine else None)
        others = v.listed_ids - mine
        if others:
            v.errors.append(f"the Runs page listed runs that are not this visitor's: {sorted(others)}")
        print(json.dumps({"visitor": v.index, "run_id": v.run_id, "finished": v.finished_at is not None,
                          "own_run_listed": v.run_id in v.listed_ids, "others_listed": sorted(others),
                          "reruns": len(v.latencies), "p95_rerun_s": round(pct([s for _, _, s in v.latencies], .95) or 0, 3),
                          "max_place_in_line": v.max_place, "first_estimate": v.first_estimate,
                          "queue_wait_s": round(v.trained_at - v.started_at, 2) if v.trained_at else None,
                          "training_s": (round(v.trained_all_at - v.trained_at, 2)
                                         if v.trained_all_at and v.trained_at else None),
                          "run_s": round(v.finished_at - v.started_at, 2) if v.finished_at else None,
                          "errors": v.errors}))
    r2 = lambda x: None if x is None else round(x, 3)  # noqa: E731
    summary = {
        "summary": True, "visitors": len(visitors), "wall_s": round(wall_s, 1),
        "runs_completed": sum(v.finished_at is not None for v in visitors),
        "errors": sum(len(v.errors) for v in visitors),
        "isolated": not any("not this visitor's" in e for v in visitors for e in v.errors),
        "own_run_listed": sum(bool(v.run_id) and v.run_id in v.listed_ids for v in visitors),
        "runs_saved": len(owned),
        "reruns": len(lat), "rerun_p50_s": r2(pct(lat, .5)), "rerun_p95_s": r2(pct(lat, .95)),
        "rerun_max_s": r2(max(lat) if lat else None),
        "page_rerun_p50_s": r2(pct(page, .5)), "page_rerun_p95_s": r2(pct(page, .95)),
        "fragment_rerun_p50_s": r2(pct(frag, .5)), "fragment_rerun_p95_s": r2(pct(frag, .95)),
        **{f"fragment_{ph}_p50_s": r2(pct(xs, .5)) for ph, xs in sorted(phases.items())},
        **{f"fragment_{ph}_p95_s": r2(pct(xs, .95)) for ph, xs in sorted(phases.items())},
        "queue_wait_p50_s": r2(pct(waits, .5)), "queue_wait_max_s": r2(max(waits) if waits else None),
        "training_p50_s": r2(pct(trained, .5)), "training_max_s": r2(max(trained) if trained else None),
        "max_place_in_line": max((v.max_place for v in visitors), default=0),
        "cpu_count": os.cpu_count(), "load_average_at_start": load_at_start, "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(summary))
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--visitors", type=int, default=20, help="simulated visitors (1-50)")
    ap.add_argument("--timeout-s", type=float, default=420.0, help="each visitor gives up after this long")
    ap.add_argument("--stagger-s", type=float, default=0.25, help="seconds between two visitors arriving")
    ap.add_argument("--warmup-s", type=float, default=2.0,
                    help="pause between the host's own first run (the warm-up) and the room arriving")
    ap.add_argument("--keep-log", action="store_true", help="print the end of the server's log")
    args = ap.parse_args(argv)
    n = max(1, min(50, args.visitors))
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="graphcl-load-") as runs_dir:
        log = open(Path(runs_dir) / "server.log", "wb")  # a file, not a pipe nobody reads (it would fill up)
        server = start_server(port, runs_dir, log)
        try:
            asyncio.run(_warm_up(port, args.timeout_s))
            time.sleep(max(0.0, args.warmup_s))
            load_at_start = [round(x, 2) for x in os.getloadavg()]  # other work on the machine
            t0 = time.perf_counter()
            visitors = asyncio.run(room(port, n, args.timeout_s, args.stagger_s))
            s = report(visitors, time.perf_counter() - t0, Path(runs_dir), load_at_start)
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
            if args.keep_log:
                print((Path(runs_dir) / "server.log").read_text(errors="replace")[-4000:], file=sys.stderr)
    ok = s["errors"] == 0 and s["runs_completed"] == n and s["isolated"] and (s["rerun_p95_s"] or 0) <= 2.0
    print(f"{n} visitors on {s['cpu_count']} cores: {s['runs_completed']} runs finished, {s['errors']} errors, "
          f"isolation {'held' if s['isolated'] else 'BROKEN'}; page reruns p50 {s['rerun_p50_s']} s, "
          f"p95 {s['rerun_p95_s']} s (max {s['rerun_max_s']} s) over {s['reruns']} reruns; "
          f"queue wait p50 {s['queue_wait_p50_s']} s, max {s['queue_wait_max_s']} s "
          f"(longest line {s['max_place_in_line']}); training took p50 {s['training_p50_s']} s a run; "
          f"load average {s['load_average_at_start']} at the start, {s['load_average_at_end']} at the end. "
          f"Target {'met' if ok else 'NOT met'}.")
    return 0 if ok else 1


async def _warm_up(port: int, timeout_s: float) -> None:
    """The host tries the app once before the room arrives: one run to the end, so the server has
    imported everything and compiled UMAP (its first projection compiles for tens of seconds)."""
    v = await visitor(-1, port, time.perf_counter() + timeout_s)
    if v.errors:
        print(f"warm-up visit: {v.errors}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
