"""Workspaces in the library: isolation, publishing, pinning, the max-runs rule, idle expiry, legacy runs."""

import json
import shutil
import time

import pytest

from graphcl_core import workspaces
from graphcl_core.config import TrainConfig
from graphcl_core.errors import RunStoreError
from graphcl_core.runs import RunStore

SMALL = dict(hidden=16, embedding_dim=8, device="cpu")
ALICE = workspaces.browser_workspace("a" * 32)
BOB = workspaces.browser_workspace("b" * 32)


def _run(store: RunStore, graph, status: str = "finished") -> str:
    w = store.create(graph, TrainConfig(**SMALL))
    w.finish(status)
    return w.run_id


def _own(store: RunStore) -> list[str]:
    return [m["id"] for m in store.list()]


def test_a_workspace_lists_loads_and_deletes_only_its_own_runs(tiny_graph, tmp_path):
    alice, bob = RunStore(tmp_path, ALICE), RunStore(tmp_path, BOB)
    a = _run(alice, tiny_graph)
    assert _own(alice) == [a] and _own(bob) == [] and bob.shared() == []
    assert (tmp_path / ALICE / a / "nodes.csv").exists()  # the node names live in the owner's folder only
    for act in (bob.load, bob.delete, bob.publish, bob.pin):
        with pytest.raises(RunStoreError, match="no saved run called"):  # as if it did not exist
            act(a)
    assert alice.load(a).read_only is False and alice.load(a).workspace == ALICE


def test_publishing_makes_a_run_readable_never_writable(tiny_graph, tmp_path):
    alice, bob = RunStore(tmp_path, ALICE), RunStore(tmp_path, BOB)
    a = _run(alice, tiny_graph)
    alice.publish(a)
    assert alice.list()[0]["published"] is True
    assert _own(bob) == [] and [m["id"] for m in bob.shared()] == [a]
    run = bob.load(a)
    assert run.read_only and run.workspace == ALICE and run.nodes()
    for act in (bob.delete, bob.publish, bob.unpublish, bob.pin, bob.unpin):
        with pytest.raises(RunStoreError, match="belongs to another workspace"):
            act(a)
    assert (tmp_path / ALICE / a).exists()
    alice.unpublish(a)
    assert bob.shared() == []
    with pytest.raises(RunStoreError, match="no saved run"):
        bob.load(a)
    alice.publish(a)
    alice.delete(a)  # deleting a published run takes it off the shared list too
    assert bob.shared() == [] and not (tmp_path / workspaces.PUBLISHED_DIR / ALICE / a).exists()


def test_names_and_ids_cannot_leave_their_folder(tmp_path):
    for bad in ("..", "../x", "a/b", "", ".published", "Alice", "a" * 65, "x\\y", None):
        with pytest.raises(RunStoreError, match="not a valid workspace name"):
            RunStore(tmp_path, bad)
    store = RunStore(tmp_path, ALICE)
    for bad in ("..", "../" + BOB, f"../{BOB}/x", "."):
        with pytest.raises(RunStoreError, match="not a valid run id"):
            store.load(bad)
    assert workspaces.user_workspace("https://issuer", "123") == workspaces.user_workspace("https://issuer", "123")
    assert workspaces.is_visitor(workspaces.user_workspace("i", "s")) and not workspaces.is_visitor("cli")
    assert not workspaces.valid_token("../../etc") and workspaces.valid_token(workspaces.new_token())


def test_oldest_unpinned_runs_go_first_with_a_notice(tiny_graph, tmp_path):
    store = RunStore(tmp_path, ALICE, max_runs=3)
    first, second, third = (_run(store, tiny_graph) for _ in range(3))
    for rid, t in zip((first, second, third), (1, 2, 3)):  # creation order, whatever the clock said
        meta = json.loads((store.path / rid / "meta.json").read_text())
        (store.path / rid / "meta.json").write_text(json.dumps({**meta, "created": t}))
    store.pin(first)
    with pytest.raises(RunStoreError, match="At most 2 runs can be pinned"):
        store.pin(second) or store.pin(third)
    store.unpin(third)
    w = store.create(tiny_graph, TrainConfig(**SMALL))
    assert w.pruned == [third] and third not in _own(store)  # `first` pinned, `second` pinned
    store.unpin(second)
    w2 = store.create(tiny_graph, TrainConfig(**SMALL))  # `w` is still running: never deleted
    assert w2.pruned == [second] and set(_own(store)) == {first, w.run_id, w2.run_id}
    notes = store.pop_notices()
    assert len(notes) == 2 and "keeps at most 3 runs" in notes[0] and third in notes[0]
    assert store.pop_notices() == []


def test_named_workspaces_are_never_pruned_and_cli_is_the_default(tiny_graph, tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_MAX_RUNS_PER_WORKSPACE", "2")
    assert RunStore(tmp_path, ALICE).max_runs == 2
    cli = RunStore(tmp_path)
    assert cli.workspace == "cli" and cli.max_runs is None and cli.root == tmp_path
    for _ in range(3):
        _run(cli, tiny_graph)
    assert len(cli.list()) == 3


def test_idle_visitor_workspaces_expire(tiny_graph, tmp_path):
    alice, bob, cli = RunStore(tmp_path, ALICE), RunStore(tmp_path, BOB), RunStore(tmp_path)
    a = _run(alice, tiny_graph)
    alice.publish(a)
    _run(bob, tiny_graph, status="running")  # still training (this process is alive)
    _run(cli, tiny_graph)
    now = time.time()
    for name in (ALICE, BOB, "cli"):
        workspaces.touch(tmp_path, name, now=now - 10 * 86400)
    assert workspaces.expire_idle(tmp_path, 30 * 86400, now=now) == []
    assert workspaces.expire_idle(tmp_path, 5 * 86400, now=now) == [ALICE]
    assert not (tmp_path / ALICE).exists() and bob.shared() == [] and len(cli.list()) == 1
    assert len(bob.list()) == 1
    workspaces.touch(tmp_path, BOB, now=now)  # a visit resets the clock
    assert workspaces.info(tmp_path, BOB)["last_seen"] == now


def test_runs_from_before_workspaces_move_to_legacy(tiny_graph, tmp_path):
    old = RunStore(tmp_path / "scratch")
    rid = _run(old, tiny_graph)
    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(old.path / rid, root / rid)  # the layout before workspaces: <root>/<run_id>/
    visitor = RunStore(root, ALICE)
    assert not (root / rid).exists() and (root / "legacy" / rid / "meta.json").exists()
    assert visitor.list() == [] and visitor.shared() == []
    owner = RunStore(root, ALICE, sees=("legacy",))
    assert [m["id"] for m in owner.shared()] == [rid] and owner.load(rid).read_only
    with pytest.raises(RunStoreError, match="belongs to another workspace"):
        owner.delete(rid)
    assert [m["id"] for m in RunStore(root, "legacy").list()] == [rid]


def test_the_cli_writes_to_a_named_workspace(tmp_path, capsys):
    from graphcl_core import cli

    args = ["train", "--graph", "karate", "--epochs", "2", "--device", "cpu", "--out", str(tmp_path), "--json"]
    assert cli.main(args + ["--workspace", "lecture"]) == 0
    rid = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]
    assert (tmp_path / "lecture" / rid / "meta.json").exists() and RunStore(tmp_path, "lecture").load(rid)
    assert RunStore(tmp_path).list() == []  # not in the default workspace, cli
    assert cli.main(args + ["--workspace", "../up"]) == 2
    assert "not a valid workspace name" in capsys.readouterr().err


def test_trials_of_a_sweep_still_running_are_never_pruned(tiny_graph, tmp_path):
    import os

    store = RunStore(tmp_path / "runs", ALICE, max_runs=2)
    record = tmp_path / "sweeps" / ALICE / "sweep-1"
    record.mkdir(parents=True)
    (record / "sweep.json").write_text(json.dumps({"id": "sweep-1", "status": "running", "pid": os.getpid()}))
    (record / "results.csv").write_text("trial\n")
    trials = []
    for _ in range(3):
        w = store.create(tiny_graph, TrainConfig(**SMALL))
        w.meta["sweep"] = {"id": "sweep-1", "trial": len(trials) + 1}
        w.finish("finished")
        trials.append(w.run_id)
    assert sorted(_own(store)) == sorted(trials)  # over the limit while the sweep runs
    (record / "sweep.json").write_text(json.dumps({"id": "sweep-1", "status": "finished"}))
    w = store.create(tiny_graph, TrainConfig(**SMALL))
    assert len(w.pruned) == 2 and len(store.list()) == 2  # caught up by the next run after it
