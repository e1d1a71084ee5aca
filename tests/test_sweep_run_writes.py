"""A sweep's run-store writes go through one background thread (``sweeps/run_writes.py``): the sweep
thread never waits for a write, each run's writes keep their order, every file is on disk when the sweep
says it ended, and a write that fails ends the sweep with the message a synchronous write error gave."""

from __future__ import annotations

import csv
import json
import threading
import time
from pathlib import Path

import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore, RunWriter
from graphcl_core.sweep import SweepConfig, SweepRunner, load_sweep
from graphcl_core.sweeps.backend import TrialEvent
from graphcl_core.sweeps.run_writes import RunWrites

pytestmark = pytest.mark.timeout(300)
FAST = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0, snapshot_every=2)
WAIT_S = 120  # only so that a broken build fails instead of hanging; nothing here measures time


def _sweep(epochs: int = 10, **kw) -> SweepConfig:
    kw.setdefault("vary", {"margin": [0.5, 2.5], "lr": [1e-3, 1e-2]})
    kw.setdefault("probe", "quick")
    return SweepConfig("tiny-communities", base=TrainConfig(epochs=epochs, **FAST), **kw)


def _files(store: RunStore, run_id: str) -> dict:
    """What a page opening the trial from disk would find (read directly, no cache)."""
    d = store.path / run_id
    with (d / "metrics.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {"meta": json.loads((d / "meta.json").read_text(encoding="utf-8")),
            "epochs": [int(r["epoch"]) for r in rows],
            "snapshots": sorted(int(f.stem.split("_")[1]) for f in (d / "snapshots").glob("epoch_*.npy")),
            "weights": (d / "model.pt").exists()}


def _record_writes(monkeypatch) -> list[tuple[str, str, int | None, str]]:
    """Every RunWriter write as ``(run_id, what, epoch, thread name)``, in the order they ran."""
    calls, lock = [], threading.Lock()

    def wrap(name, epoch_of):
        original = getattr(RunWriter, name)

        def write(self, *args, **kw):
            with lock:
                calls.append((self.run_id, name, epoch_of(args), threading.current_thread().name))
            return original(self, *args, **kw)

        monkeypatch.setattr(RunWriter, name, write)

    wrap("save_progress", lambda args: args[2])
    wrap("save_weights", lambda args: None)
    wrap("finish", lambda args: None)
    return calls


# ------------------------------------------------------------------------------------ the whole sweep
@pytest.mark.parametrize("backend", ["local", "batched"])
def test_every_file_is_on_disk_and_in_order_when_the_sweep_says_finished(tiny_graph, tmp_path, monkeypatch,
                                                                          backend):
    calls = _record_writes(monkeypatch)
    all_reported = threading.Event()
    finish = RunWriter.finish

    def late_finish(self, *args, **kw):  # held until the sweep thread has reported every trial
        assert all_reported.wait(WAIT_S)
        return finish(self, *args, **kw)

    monkeypatch.setattr(RunWriter, "finish", late_finish)
    store = RunStore(tmp_path / "runs")
    seen_at_end = {}
    ended = []

    def on_event(ev):
        if ev.kind == "trial_finished":
            ended.append(ev.trial)
            if len(ended) == 4:
                all_reported.set()
        if ev.kind == "sweep_finished":  # in the sweep thread, the moment it says it ended
            seen_at_end.update({r.run_id: _files(store, r.run_id) for r in ev.data["results"]})
            seen_at_end["record"] = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)[0]["status"]

    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend=backend, progress_interval_s=0.0,
                         on_event=on_event)
    results = runner.run()
    assert runner.state == "finished" and [r.status for r in results] == ["finished"] * 4
    assert seen_at_end.pop("record") == "finished"
    assert set(seen_at_end) == {r.run_id for r in results}
    for files in seen_at_end.values():
        assert files["meta"]["status"] == "finished" and files["meta"]["epoch"] == 10
        assert "validation_probe_acc" in files["meta"]["metrics"]
        assert files["epochs"] == list(range(1, 11))
        assert files["snapshots"][0] == 0 and files["snapshots"][-1] == 10
        assert files["weights"]

    # one writer thread, not the sweep's; per run: progress (epochs never going back), the weights once the
    # trial is trained (batched: before it is scored, the scores' progress after), finish last
    assert {name for *_, name in calls} == {"graphcl-sweep-writes_0"}
    for r in results:
        mine = [(what, epoch) for run_id, what, epoch, _ in calls if run_id == r.run_id]
        assert mine[-1][0] == "finish" and [what for what, _ in mine].count("save_weights") == 1
        progress = [epoch for what, epoch in mine[:-1] if what != "save_weights"]
        assert progress and all(what in ("save_progress", "save_weights") for what, _ in mine[:-1])
        assert progress == sorted(progress) and progress[-1] == 10
        assert mine.index(("save_progress", 10)) < [w for w, _ in mine].index("save_weights")  # (trained first)


def test_the_sweep_thread_goes_on_while_a_write_is_stuck_and_ends_only_after_it(tiny_graph, tmp_path,
                                                                                 monkeypatch):
    gate, stuck, all_reported = threading.Event(), threading.Event(), threading.Event()
    save = RunWriter.save_progress

    def stuck_save(self, *args, **kw):  # the first write blocks the writer thread until the test opens the gate
        stuck.set()
        assert gate.wait(WAIT_S)
        return save(self, *args, **kw)

    monkeypatch.setattr(RunWriter, "save_progress", stuck_save)
    store = RunStore(tmp_path / "runs")
    kinds = []

    def on_event(ev):
        kinds.append(ev.kind)
        if ev.kind == "trial_finished" and kinds.count("trial_finished") == 4:
            all_reported.set()

    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, progress_interval_s=0.0, on_event=on_event).start()
    try:
        # every trial trained and was reported while the first write of the first trial still hangs
        assert all_reported.wait(WAIT_S) and stuck.is_set() and not gate.is_set()
        assert kinds.count("epoch") >= 4
        # ...but the sweep does not say it ended before its files are written
        assert runner.state == "running" and "sweep_finished" not in kinds
        assert load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)[0]["status"] == "running"
    finally:
        gate.set()
        runner.join(WAIT_S)
    assert runner.state == "finished" and kinds[-1] == "sweep_finished"
    for r in runner.results:
        files = _files(store, r.run_id)
        assert files["meta"]["status"] == "finished" and files["epochs"] == list(range(1, 11)) and files["weights"]


def test_rows_handed_to_the_writer_do_not_change_with_the_trainers_rows(tiny_graph, tmp_path, monkeypatch):
    gate = threading.Event()
    save = RunWriter.save_progress
    monkeypatch.setattr(RunWriter, "save_progress", lambda self, *a: (gate.wait(WAIT_S), save(self, *a)))
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph)
    runner._on_trial_event(TrialEvent("started", 0, device="cpu", epochs=10))
    history = [{"epoch": 1, "loss": 1.5, "seconds": 0.1}]
    runner._on_trial_event(TrialEvent("progress", 0, epoch=1, epochs=10, history=history))
    history[0]["linear_probe_acc"] = 0.5  # what a trainer's evaluation thread does to its rows
    history.append({"epoch": 2, "loss": 1.25, "seconds": 0.2})
    gate.set()
    runner._writes.close()
    run_id = runner.trial_table()[0]["run_id"]
    assert (store.path / run_id / "metrics.csv").read_text() == "epoch,loss,seconds\n1,1.5,0.1\n"


# ------------------------------------------------------------------------------------ failing writes
def _synchronous_message(e: Exception) -> str:
    """What ``SweepRunner.run`` said when the same error came out of a write made in the sweep thread."""
    return f"The sweep stopped because of an unexpected error: {type(e).__name__}: {e}"


@pytest.mark.parametrize("backend", ["local", "batched"])
def test_a_folder_that_cannot_be_written_fails_the_sweep_as_before(tiny_graph, tmp_path, backend):
    store = RunStore(tmp_path / "runs")
    events = []

    def on_event(ev):  # the first trial's snapshots folder becomes a file: every snapshot write fails
        events.append(ev)
        if ev.kind == "trial_started" and ev.trial == 0:
            snaps = store.path / ev.data["run_id"] / "snapshots"
            for _ in range(3000):  # the folder is made on the writer thread (RunStore.create(deferred=True))
                if snaps.is_dir():
                    break
                time.sleep(0.01)
            snaps.rmdir()
            snaps.write_text("not a folder")

    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend=backend, progress_interval_s=0.0,
                         on_event=on_event)
    runner.run()  # returns: nothing hangs
    run_id = events[1].data["run_id"]
    expected = _synchronous_message(NotADirectoryError(20, "Not a directory",
                                                       str(store.path / run_id / "snapshots" / "epoch_000000.npy")))
    assert runner.state == "failed" and runner.message == expected
    assert events[-1].kind == "sweep_finished" and events[-1].data["status"] == "failed"
    assert events[-1].data["message"] == expected
    meta = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)[0]
    assert meta["status"] == "failed" and meta["message"] == expected
    # the sweep stopped at the failed write, as it did when the write was made in its own thread
    assert not any(e.kind == "trial_finished" and e.trial == 0 for e in events)
    assert store.load(run_id).meta["status"] == "running"  # never finished (read as interrupted once we exit)


def test_a_write_failing_after_the_last_trial_event_still_fails_the_sweep(tiny_graph, tmp_path, monkeypatch):
    finish = RunWriter.finish
    failed = []

    def full_disk_at_the_end(self, status, *args, **kw):
        if len(failed) == 0 and self.meta["sweep"]["trial"] == 4:  # the last write of the sweep
            failed.append(OSError(28, "No space left on device"))
            raise failed[0]
        return finish(self, status, *args, **kw)

    monkeypatch.setattr(RunWriter, "finish", full_disk_at_the_end)
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph)
    results = runner.run()
    assert len(results) == 4 and failed
    assert runner.state == "failed"
    assert runner.message == "The sweep stopped because of an unexpected error: OSError: [Errno 28] No space left " \
                             "on device" == _synchronous_message(failed[0])
    assert load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)[0]["status"] == "failed"
    assert sorted(store.load(r.run_id).meta["status"] for r in results) == ["finished"] * 3 + ["running"]


def test_after_a_failed_write_that_runs_later_writes_are_skipped_and_the_first_error_kept():
    writes, done = RunWrites(), []

    def ok(tag):
        done.append(tag)

    def fails(tag):
        done.append(tag)
        raise OSError(30, f"Read-only file system ({tag})")

    writes.submit("a", ok, "a1")
    writes.submit("a", fails, "a2")
    writes.submit("b", fails, "b1")
    writes.submit("a", ok, "a3")
    writes.submit("b", ok, "b2")
    writes.submit("c", ok, "c1")
    writes.wait()
    assert done == ["a1", "a2", "b1", "c1"]
    assert str(writes.error) == "[Errno 30] Read-only file system (a2)"
    with pytest.raises(OSError, match=r"\(a2\)"):
        writes.raise_error()
    writes.close()


def test_a_latest_only_write_still_waiting_takes_the_newer_arguments_instead_of_queueing_again():
    """At a GPU sweep's end each trial's progress was saved twice in a row (trained, then scored): while the
    first still waits, the second's arguments replace its own; other writes keep their order after it, and
    once a write has begun, the next one is queued anew."""
    writes, done, gate, begun = RunWrites(), [], threading.Event(), threading.Event()

    def blocker():
        begun.set()
        gate.wait(30)

    def progress(tag):
        done.append(("progress", tag))

    def other(tag):
        done.append(("other", tag))

    writes.submit("x", blocker)
    begun.wait(30)  # the queue is held: everything below waits
    writes.submit("a", progress, "a-trained", latest_only=True)
    writes.submit("a", other, "a-weights")
    writes.submit("b", progress, "b-trained", latest_only=True)
    writes.submit("a", progress, "a-scored", latest_only=True)  # replaces a-trained's arguments
    writes.submit("a", other, "a-finish")
    gate.set()
    writes.wait()
    assert done == [("progress", "a-scored"), ("other", "a-weights"), ("progress", "b-trained"), ("other", "a-finish")]
    writes.submit("a", progress, "a-again", latest_only=True)  # the earlier one ran: queued again
    writes.close()
    assert done[-1] == ("progress", "a-again")


def test_writes_run_in_order_on_one_thread_other_than_the_callers():
    writes, seen = RunWrites(), []
    for i in range(50):
        writes.submit(f"run{i % 3}", lambda i=i: seen.append((i, threading.current_thread())))
    writes.close()
    assert [i for i, _ in seen] == list(range(50))
    assert len({t for _, t in seen}) == 1 and seen[0][1] is not threading.current_thread()
    assert writes.error is None
    writes.raise_error()  # nothing to raise


def test_a_sweep_makes_the_graphs_files_once_and_every_trial_gets_them_as_a_single_run_does(
        tiny_graph, tmp_path, monkeypatch):
    from graphcl_core import runs

    made = []
    real = runs.GraphFiles.of.__func__

    def counted(cls, bundle):
        made.append(bundle.name)
        return real(cls, bundle)

    monkeypatch.setattr(runs.GraphFiles, "of", classmethod(counted))
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(epochs=4), store, bundle=tiny_graph, backend="local", progress_interval_s=0.0)
    results = runner.run()
    assert len(made) == 1 and len(results) == 4
    alone = store.create(tiny_graph, TrainConfig(epochs=4, **FAST))  # a single run makes its own
    assert len(made) == 2
    for r in results:
        d = store.path / r.run_id
        assert (d / "nodes.csv").read_bytes() == (alone.path / "nodes.csv").read_bytes()
        assert (d / "edges.npy").read_bytes() == (alone.path / "edges.npy").read_bytes()
    rows = (alone.path / "nodes.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "index,name,label,degree" and len(rows) == tiny_graph.num_nodes + 1
    deg = tiny_graph.degrees().tolist()
    assert rows[5].split(",") == ["4", tiny_graph.node_names[4], tiny_graph.label_texts()[4], str(deg[4])]


def test_a_sweep_prunes_the_workspace_once_at_its_end_and_keeps_all_its_trials(tiny_graph, tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs", max_runs=3)
    old = [store.create(tiny_graph, TrainConfig(epochs=5)) for _ in range(2)]
    for w in old:
        w.finish("finished")
    prunes = []
    real = RunStore.prune
    monkeypatch.setattr(RunStore, "prune", lambda self: prunes.append(1) or real(self))
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend="batched")
    results = runner.run()
    assert runner.state == "finished" and len(prunes) == 1  # one prune for 4 trials (was one per trial)
    left = {m["id"] for m in store.list()}
    assert {r.run_id for r in results} <= left  # the sweep's own trials are never deleted, even past max_runs
    assert not left & {w.run_id for w in old}  # the older runs made room
    assert any("keeps at most 3 runs" in n for n in store.pop_notices())


def test_the_sweep_record_is_rewritten_on_the_writer_thread_and_ends_complete(tiny_graph, tmp_path, monkeypatch):
    from graphcl_core.sweeps import record

    threads = []
    real = record._atomic_write
    monkeypatch.setattr(record, "_atomic_write",
                        lambda path, text: threads.append((path.name, threading.current_thread().name))
                        or real(path, text))
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend="batched")
    runner.run()
    main = threading.current_thread().name
    during = threads[2:-2]  # between the record's first write and the final status
    assert during and all(t.startswith("graphcl-sweep-writes") for _, t in during)
    assert threads[-1][1] == main  # the final status is written at once, after the writer thread ended
    meta = load_sweep(tmp_path / "sweeps" / "cli", runner.sweep_id)[0]
    assert meta["status"] == "finished" and [t["status"] for t in meta["trials"]] == ["finished"] * 4
    assert all(t["run_id"] and t["metric"] is not None for t in meta["trials"])
    rows = list(csv.DictReader((tmp_path / "sweeps" / "cli" / runner.sweep_id / "results.csv").open()))
    assert len(rows) == 4


def test_a_trial_is_listed_with_its_sweep_from_its_first_files(tiny_graph, tmp_path):
    """Its folder is made on the writer thread right after it starts (``RunStore.create(deferred=True)``), and
    its first meta.json already names its sweep: the Runs page never lists it as a run of its own."""
    store = RunStore(tmp_path / "runs")
    seen = []

    def on_event(ev):
        if ev.kind == "trial_started":
            path = store.path / ev.data["run_id"] / "meta.json"
            for _ in range(3000):
                if path.exists():
                    break
                time.sleep(0.01)
            meta = json.loads(path.read_text(encoding="utf-8"))
            seen.append((meta["sweep"]["trial"], ev.data["run_id"] in {m["id"] for m in store.list()}))

    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend="batched", on_event=on_event)
    runner.run()
    assert sorted(seen) == [(1, True), (2, True), (3, True), (4, True)]


def test_a_failed_sweep_still_prunes_and_keeps_its_trials(tiny_graph, tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs", max_runs=2)
    old = [store.create(tiny_graph, TrainConfig(epochs=5)) for _ in range(3)]
    for w in old:
        w.finish("finished")

    def broken(self, weights):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(RunWriter, "save_weights", broken)
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend="batched")
    runner.run()
    assert runner.state == "failed"
    left = {m["id"] for m in store.list()}
    assert not left & {w.run_id for w in old}  # pruned on the failed path too


def test_a_sweep_whose_record_cannot_be_written_still_ends(tiny_graph, tmp_path, monkeypatch):
    from graphcl_core.sweeps import record

    calls = []
    real = record._atomic_write

    def flaky(path, text):
        calls.append(path.name)
        if len(calls) > 2:
            raise OSError(30, "Read-only file system")
        return real(path, text)

    monkeypatch.setattr(record, "_atomic_write", flaky)
    runner = SweepRunner(_sweep(), RunStore(tmp_path / "runs"), bundle=tiny_graph, backend="batched")
    kinds = [ev.kind for ev in runner.events(timeout=WAIT_S)]
    assert kinds[-1] == "sweep_finished" and runner.state == "failed" and "Read-only" in runner.message


def test_a_deferred_run_touches_the_disk_only_when_its_first_files_are_written(tiny_graph, tmp_path):
    store = RunStore(tmp_path / "runs")
    w = store.create(tiny_graph, TrainConfig(epochs=5), "cpu", deferred=True)
    assert not w.path.exists() and w.run_id not in {m["id"] for m in store.list()}
    w.write_initial()
    run = store.load(w.run_id)
    assert run.meta["status"] == "running" and run.config.epochs == 5 and len(run.nodes()) == tiny_graph.num_nodes


def test_a_sweep_makes_its_trials_folders_on_the_writer_thread(tiny_graph, tmp_path, monkeypatch):
    """The sweep thread goes on to training while the trials' folders are made (0.1 s for 27 trials on the GPU
    machine's disk, before the first epoch)."""
    threads = []
    real = RunWriter.write_initial

    def recording(self):
        threads.append(threading.current_thread())
        return real(self)

    monkeypatch.setattr(RunWriter, "write_initial", recording)
    store = RunStore(tmp_path / "runs")
    runner = SweepRunner(_sweep(), store, bundle=tiny_graph, backend="batched")
    caller = []
    runner.on_event = lambda ev: caller.append(threading.current_thread()) if ev.kind == "trial_started" else None
    results = runner.run()
    assert len(threads) == len(results) == 4 and {r.status for r in results} == {"finished"}
    assert not set(threads) & set(caller)  # not the thread that handles the trials' events
    assert {m["id"] for m in store.list()} == {r.run_id for r in results}
