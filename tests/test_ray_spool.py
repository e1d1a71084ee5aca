"""Snapshots through the sweep's spool folder (``sweeps/ray_spool.py``), without Ray: the token decides
who writes there, events keep their order and name files instead of holding arrays, a failed write
sends the array as before, and the run store links the files into a run instead of writing them again."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore
from graphcl_core.sweeps.backend import TrialEvent
from graphcl_core.sweeps.ray_spool import PREFIX, Spool, SpoolWriter, embeddings_of, visible
from graphcl_core.trainer import Snapshot


def _snap(epoch: int, seed: int = 0) -> Snapshot:
    return Snapshot(epoch, 1.0 / (epoch + 1), np.random.default_rng(seed + epoch).standard_normal((5, 3)).astype(np.float16))


def test_only_a_process_that_sees_the_token_writes_to_the_spool(tmp_path):
    spool = Spool.open(tmp_path / "ws")
    assert spool.path.name.startswith(PREFIX) and visible(spool.ref)
    assert SpoolWriter.connect(spool.ref) is not None
    assert not visible((str(spool.path), "another sweep's token"))
    assert SpoolWriter.connect((str(tmp_path / "elsewhere"), spool.token)) is None  # another node's disk
    assert SpoolWriter.connect(None) is None
    spool.close()
    assert not spool.path.exists() and not visible(spool.ref)


def test_a_folder_that_cannot_be_made_gives_no_spool(tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the workspace folder would be")
    assert Spool.open(tmp_path / "not-a-folder") is None


def test_events_arrive_in_order_naming_files_that_hold_the_embeddings(tmp_path):
    spool = Spool.open(tmp_path)
    writer, got = SpoolWriter.connect(spool.ref), []
    snaps = [_snap(0), _snap(5)]
    writer.emit(TrialEvent("started", 3), None, got.append)
    writer.emit(TrialEvent("progress", 3, epoch=5, snapshots=snaps), [0, 5], got.append)
    writer.emit(TrialEvent("finished", 3, status="finished"), [5], got.append)
    writer.drain()
    assert [(ev.kind, kept) for ev, kept in got] == [("started", None), ("progress", [0, 5]), ("finished", [5])]
    sent = got[1][0].snapshots
    assert [s.epoch for s in sent] == [0, 5] and all(s.embeddings is None and s.file for s in sent)
    for s, orig in zip(sent, snaps):
        assert os.path.dirname(s.file) == str(spool.path)
        np.testing.assert_array_equal(embeddings_of(s), orig.embeddings)
    assert snaps[0].embeddings is not None  # the trainer's own snapshots are left as they were
    assert embeddings_of(snaps[1]) is snaps[1].embeddings
    writer.close()
    spool.close()


def test_a_snapshot_or_weights_that_cannot_be_written_travel_in_the_event(tmp_path, monkeypatch):
    import torch

    spool = Spool.open(tmp_path)
    writer, got = SpoolWriter.connect(spool.ref), []

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    def torch_full_disk(*a, **k):  # what torch.save raises on a full disk (checked on /dev/full)
        raise RuntimeError("[enforce fail at inline_container.cc] . PytorchStreamWriter failed writing file")

    monkeypatch.setattr(np, "save", full_disk)
    monkeypatch.setattr(torch, "save", torch_full_disk)
    weights = {"w": torch.ones(2)}
    writer.emit(TrialEvent("progress", 0, epoch=1, snapshots=[_snap(1)], save=True, weights=weights), [1], got.append)
    writer.emit(TrialEvent("rung", 0, epoch=1, score=0.5, kept=True), None, got.append)
    writer.drain()
    (ev, _), (rung, _) = got  # both delivered, in order
    assert ev.snapshots[0].embeddings is not None and ev.snapshots[0].file is None
    assert ev.weights is weights and ev.weights_file is None and rung.kind == "rung"
    assert [p.name for p in spool.path.iterdir() if not p.name.startswith(".")] == []  # no half-written files


def test_two_writers_never_write_the_same_file(tmp_path):
    """A batch still running on after its sweep ended writes beside the next sweep's: never into its files."""
    spool = Spool.open(tmp_path)
    got = []
    for writer in (SpoolWriter.connect(spool.ref), SpoolWriter.connect(spool.ref)):
        writer.emit(TrialEvent("progress", 0, epoch=1, snapshots=[_snap(1)]), [1], got.append)
        writer.drain()
    assert got[0][0].snapshots[0].file != got[1][0].snapshots[0].file


def test_drain_waits_for_the_events_being_written(tmp_path, monkeypatch):
    spool = Spool.open(tmp_path)
    writer, got, release = SpoolWriter.connect(spool.ref), [], threading.Event()
    real = np.save

    def slow(*a, **k):
        release.wait(30)
        return real(*a, **k)

    monkeypatch.setattr(np, "save", slow)
    writer.emit(TrialEvent("progress", 0, epoch=1, snapshots=[_snap(1)]), [1], got.append)
    assert got == []  # the training thread went on; the file is being written
    threading.Timer(0.05, release.set).start()
    writer.drain()
    assert len(got) == 1


def test_the_run_store_links_spool_files_into_the_run(tmp_path, tiny_graph):
    store = RunStore(tmp_path / "runs")
    w = store.create(tiny_graph, TrainConfig(hidden=8, embedding_dim=3, epochs=4), "cpu")
    spool = Spool.open(store.path)
    writer, got = SpoolWriter.connect(spool.ref), []
    snaps = [_snap(0), _snap(2)]
    writer.emit(TrialEvent("progress", 0, epoch=2, snapshots=snaps), [0, 2], got.append)
    writer.drain()
    sent = got[0][0].snapshots
    w.save_progress([{"epoch": 1, "loss": 1.0, "seconds": 0.1}, {"epoch": 2, "loss": 0.5, "seconds": 0.2}], sent, 2, 0.2)
    run = store.load(w.run_id)
    assert run.snapshot_epochs == [0, 2]
    for s, orig in zip(sent, snaps):
        saved = w.path / "snapshots" / f"epoch_{s.epoch:06d}.npy"
        assert os.path.samefile(saved, s.file)  # a hard link: no second write of the bytes
        np.testing.assert_array_equal(run.load_snapshot(s.epoch), orig.embeddings)
    w.save_progress([], sent[1:], 2, 0.2)  # epoch 0 thinned out: gone from the run and from the spool
    assert not os.path.exists(sent[0].file) and os.path.exists(sent[1].file)
    w.finish("finished")  # the run ended: the spool no longer holds its snapshots, the run keeps its links
    assert not os.path.exists(sent[1].file)
    spool.close()
    assert store.load(w.run_id).snapshot_epochs == [2]
    np.testing.assert_array_equal(store.load(w.run_id).load_snapshot(2), snaps[1].embeddings)
    assert [m["id"] for m in store.list()] == [w.run_id]  # the spool folder is never listed as a run


def test_weights_go_through_the_spool_and_are_linked_as_the_runs_model(tmp_path, tiny_graph):
    import torch

    store = RunStore(tmp_path / "runs")
    w = store.create(tiny_graph, TrainConfig(hidden=8, embedding_dim=3, epochs=4), "cpu")
    spool = Spool.open(store.path)
    writer, got = SpoolWriter.connect(spool.ref), []
    weights = {"conv.weight": torch.arange(6.0).reshape(2, 3), "conv.bias": torch.ones(2)}
    writer.emit(TrialEvent("progress", 0, epoch=4, save=True, weights=weights), [], got.append)
    writer.emit(TrialEvent("finished", 1, status="finished", weights=weights), [], got.append)
    writer.drain()
    (a, _), (b, _) = got
    assert a.weights is None and b.weights is None and a.weights_file != b.weights_file  # names never repeat
    w.link_weights(a.weights_file)
    assert not os.path.exists(a.weights_file)  # taken over by the run
    spool.close()
    saved = store.load(w.run_id).load_weights()
    assert set(saved) == set(weights) and all(torch.equal(saved[k], weights[k]) for k in weights)


def test_a_spool_left_by_an_ended_process_of_this_machine_is_removed_by_the_next_sweep(tmp_path):
    import socket
    import subprocess
    import sys

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(ended.stdout)
    orphan = Spool.open(tmp_path)
    (orphan.path / ".owner").write_text(f"{socket.gethostname()} {dead_pid}")
    elsewhere = Spool.open(tmp_path)
    (elsewhere.path / ".owner").write_text(f"another-machine {dead_pid}")  # a shared disk: not ours to judge
    live = Spool.open(tmp_path)  # this process's own
    fresh = Spool.open(tmp_path)
    assert not orphan.path.exists()
    assert elsewhere.path.exists() and live.path.exists() and fresh.path.exists()
