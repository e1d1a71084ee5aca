"""The run store: each training run is a folder of plain files, written as it goes, listed and loaded back.

Every run belongs to a workspace (``workspaces.py`` draws the root's layout and the rules); a
``RunStore`` is opened for one workspace and lists, loads, changes and deletes only that workspace's
runs, plus the *published* runs of others, which it can load but never change. Layout of
``<root>/<workspace>/<run_id>/``::

    meta.json        status, graph summary, final metrics, timings (rewritten as the run goes)
    config.json      the TrainConfig
    metrics.csv      one row per epoch: epoch, loss, seconds, and metrics where evaluated
    nodes.csv        node index, name, label, degree (so runs can be explored without the graph)
    edges.npy        int64 2×E edge_index (for neighbour highlighting)
    snapshots/epoch_000010.npy   float16 N×D embeddings at that epoch
    frames/umap-2d/epoch_000010.npz   projections made while it trained (``saved_frames.py``)
    model.pt         final model weights: a plain state_dict of tensors (load with weights_only=True)
    pinned           empty marker: kept by the max-runs rule

The root is ``GRAPHCL_RUNS_DIR`` or ``./runs``. ``RunStore(root)`` without a workspace is the ``cli``
workspace (the CLI's default, and what scripts, sweeps and tests get).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import TrainConfig
from . import workspaces
from .errors import RunStoreError
from .graph import GraphBundle
from .workspaces import ACTIVE_STATES, DEFAULT_WORKSPACE

_ID_OK = re.compile(r"^[A-Za-z0-9_.-]+$")
_SNAP = re.compile(r"^epoch_(\d+)\.npy$")


def default_runs_dir() -> Path:
    """``RuntimeOptions.runs_dir`` (GRAPHCL_RUNS_DIR, default ``runs``)."""
    from .options import current

    return Path(current().runs_dir)


def _atomic_write(path: Path, text: str) -> None:
    """Write to a temp file then rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (no bytes written), or a copy where links do not work."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True


def _mark_interrupted(meta: dict) -> dict:
    """A run still marked running whose process is gone (server restart, crash) says so."""
    if meta.get("status") in ("running", "paused", "queued") and not _pid_alive(meta.get("pid")):
        meta["status"] = "interrupted"
        meta["message"] = meta.get("message") or ("The program that ran this training stopped before it ended; "
                                                  "what was saved up to then is kept.")
    return meta


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return (s or "graph")[:32]


@dataclass
class SavedRun:
    """A run read back from disk."""

    run_id: str
    path: Path
    meta: dict
    config: TrainConfig
    history: list[dict]
    workspace: str = DEFAULT_WORKSPACE
    # Another workspace's published run: readable, never changed or deleted from this store.
    read_only: bool = False

    @property
    def snapshot_epochs(self) -> list[int]:
        d = self.path / "snapshots"
        if not d.is_dir():
            return []
        return sorted(int(m.group(1)) for f in d.iterdir() if (m := _SNAP.match(f.name)))

    def load_snapshot(self, epoch: int | None = None) -> np.ndarray:
        """Embeddings (float32 N×D) at ``epoch`` (default: the last one)."""
        epochs = self.snapshot_epochs
        if not epochs:
            raise RunStoreError(f"Run {self.run_id} has no saved embeddings yet.")
        e = epochs[-1] if epoch is None else epoch
        f = self.path / "snapshots" / f"epoch_{e:06d}.npy"
        if not f.exists():
            raise RunStoreError(f"Run {self.run_id} has no snapshot at epoch {e}.")
        return np.load(f, allow_pickle=False).astype(np.float32)

    def nodes(self) -> list[dict]:
        f = self.path / "nodes.csv"
        if not f.exists():
            return []
        with f.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def edge_index(self) -> np.ndarray:
        f = self.path / "edges.npy"
        return np.load(f, allow_pickle=False) if f.exists() else np.zeros((2, 0), dtype=np.int64)

    @property
    def weights_path(self) -> Path:
        return self.path / "model.pt"

    def load_weights(self) -> dict:
        if not self.weights_path.exists():
            raise RunStoreError(f"Run {self.run_id} has no saved model weights (it may not have finished).")
        return torch.load(self.weights_path, map_location="cpu", weights_only=True)


@dataclass(frozen=True)
class GraphFiles:
    """A graph's part of every run folder (``nodes.csv``'s text, ``edges.npy``'s array), made once for the
    many runs of a sweep: writing the CSV row by row cost 4 ms a run on Cora, 0.12 s before a 27-trial
    sweep could start training."""

    nodes_csv: str
    edges: np.ndarray

    @classmethod
    def of(cls, bundle: GraphBundle) -> "GraphFiles":
        deg = bundle.degrees().tolist()
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(["index", "name", "label", "degree"])
        w.writerows([i, name, label, deg[i]] for i, (name, label) in enumerate(zip(bundle.node_names,
                                                                                    bundle.label_texts())))
        return cls(buf.getvalue(), bundle.data.edge_index.cpu().numpy().astype(np.int64))


class RunWriter:
    """Writes one run's files as training goes (called from the training thread)."""

    def __init__(self, path: Path, run_id: str, bundle: GraphBundle, cfg: TrainConfig, device: str,
                 files: GraphFiles | None = None, meta: dict | None = None, *, write: bool = True):
        """``meta``: more entries for meta.json (a sweep's trial). ``write``: make the folder and its first
        files now (else ``write_initial`` must run before any other write)."""
        self.path, self.run_id = path, run_id
        self.meta = {
            "id": run_id, "graph": bundle.name, "graph_source": bundle.source, "nodes": bundle.num_nodes,
            "edges": bundle.num_edges, "classes": bundle.num_classes, "created": time.time(), "status": "running",
            "message": "", "epoch": 0, "epochs": cfg.epochs, "seconds": 0.0, "device": device,
            "final_loss": None, "metrics": {}, "pid": os.getpid(), **(meta or {}),
        }
        self._config_json = cfg.to_json()
        self._files = files or GraphFiles.of(bundle)
        self._saved_epochs: set[int] = set()
        self._spooled: dict[int, Path] = {}  # epoch -> the sweep spool's file this run linked it from
        self.pruned: list[str] = []  # runs RunStore.create deleted to keep the workspace's max_runs
        if write:
            self.write_initial()

    def write_initial(self) -> None:
        """The run's folder, config, meta and graph files."""
        (self.path / "snapshots").mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path / "config.json", self._config_json)
        self._write_meta()
        with (self.path / "nodes.csv").open("w", newline="", encoding="utf-8") as fh:
            fh.write(self._files.nodes_csv)
        np.save(self.path / "edges.npy", self._files.edges)

    def _write_meta(self) -> None:
        _atomic_write(self.path / "meta.json", json.dumps(self.meta, indent=2, default=float))

    def save_progress(self, history: list[dict], snapshots, epoch: int, seconds: float) -> None:
        """Rewrite metrics and meta; add snapshots not yet on disk; drop ones the trainer thinned out."""
        keys = ["epoch", "loss", "seconds"]
        for row in history:
            keys += [k for k in row if k not in keys]
        text = [",".join(keys)]
        for row in history:
            text.append(",".join("" if row.get(k) is None else repr(float(row[k])) if k != "epoch" else str(row[k])
                                 for k in keys))
        _atomic_write(self.path / "metrics.csv", "\n".join(text) + "\n")
        live = set()
        for s in snapshots:
            live.add(s.epoch)
            if s.epoch not in self._saved_epochs:
                target = self.path / "snapshots" / f"epoch_{s.epoch:06d}.npy"
                if getattr(s, "file", None) is not None:  # already on this disk (a sweep's spool): linked, not copied
                    _link_or_copy(Path(s.file), target)
                    self._spooled[s.epoch] = Path(s.file)
                else:
                    np.save(target, s.embeddings)
                self._saved_epochs.add(s.epoch)
        for e in self._saved_epochs - live:
            (self.path / "snapshots" / f"epoch_{e:06d}.npy").unlink(missing_ok=True)
            self._release_spooled(e)
        self._saved_epochs &= live
        self.meta.update(epoch=epoch, seconds=seconds)
        if history:
            self.meta["final_loss"] = history[-1]["loss"]
            evals = [r for r in history if "linear_probe_acc" in r or "silhouette" in r]
            if evals:
                self.meta["metrics"] = {k: v for k, v in evals[-1].items() if k not in ("epoch", "loss", "seconds")}
        self._write_meta()

    def save_weights(self, model: torch.nn.Module) -> None:
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save(state, self.path / "model.pt")

    def link_weights(self, file: str | Path) -> None:
        """The weights from a file saved as ``save_weights`` saves them (a sweep's spool), linked in; the
        spool's own name for it is removed."""
        _link_or_copy(Path(file), self.path / "model.pt")
        Path(file).unlink(missing_ok=True)

    def _release_spooled(self, epoch: int | None = None) -> None:
        """Remove the spool's names of snapshots this run took over (``epoch``'s, or all): thinned out, or
        the run has ended. Its own links stay; the spool then holds only what runs still need."""
        for e in [epoch] if epoch is not None else list(self._spooled):
            source = self._spooled.pop(e, None)
            if source is not None:
                source.unlink(missing_ok=True)

    def finish(self, status: str, message: str = "", metrics: dict | None = None) -> None:
        self.meta.update(status=status, message=message, finished=time.time())
        if metrics:
            self.meta["metrics"] = metrics
        self._write_meta()
        self._release_spooled()

    @property
    def finished(self) -> bool:
        return "finished" in self.meta

    @contextmanager
    def finalised(self):
        """Run a block that must end with ``finish``; if it ends any other way (an error, Ctrl-C, the GPU
        out of memory) the run is marked ``stopped`` or ``failed`` instead of staying ``running`` forever."""
        try:
            yield self
        except KeyboardInterrupt:
            self._finish_quietly("stopped", "Stopped with Ctrl-C; what was saved up to then is kept.")
            raise
        except BaseException as e:
            self._finish_quietly("failed", str(e) or type(e).__name__)
            raise
        if not self.finished:
            self._finish_quietly("failed", "The program ended the run without a final status.")

    def _finish_quietly(self, status: str, message: str) -> None:
        """Best effort while another error is on its way out: a full disk must not hide that error."""
        try:
            self.finish(status, message)
        except OSError:
            pass


class RunStore:
    """Lists, loads, creates and deletes the runs of one workspace under one root folder.

    ``sees`` names other workspaces whose runs this store may read in full (read-only): the server
    owner's view of ``legacy``. ``max_runs`` (default: ``RuntimeOptions.max_runs_per_workspace`` for a
    visitor workspace, no limit for a named one) is how many runs ``create`` keeps: beyond it the oldest
    unpinned runs that are not training are deleted, with a notice (``pop_notices``).
    """

    def __init__(self, root: str | Path | None = None, workspace: str = DEFAULT_WORKSPACE, *,
                 max_runs: int | None = None, sees: tuple[str, ...] = ()):
        self.root = Path(root) if root is not None else default_runs_dir()
        self.workspace = workspaces.validate_name(workspace)
        self.path = self.root / self.workspace
        self.sees = tuple(workspaces.validate_name(w) for w in sees if w != self.workspace)
        if max_runs is None and workspaces.is_visitor(self.workspace):
            from .options import current

            max_runs = current().max_runs_per_workspace
        self.max_runs = max_runs
        workspaces.migrate_legacy(self.root)

    # ---- writing (own runs only) ------------------------------------------------------------------
    def create(self, bundle: GraphBundle, cfg: TrainConfig, device: str = "cpu",
               files: GraphFiles | None = None, *, prune: bool = True, meta: dict | None = None,
               deferred: bool = False) -> RunWriter:
        """A new run's writer; ``writer.pruned`` lists the runs deleted to keep ``max_runs``. ``files``:
        the graph's files made once for many runs (a sweep's), else made now. A sweep passes ``prune=False``
        (it prunes once, at its end: each prune reads every run's meta.json), its trial as ``meta``, and
        ``deferred``: the folder is made by ``writer.write_initial()`` on the sweep's writer thread (on the
        GPU machine's disk 27 trials' folders took 0.1 s before a batched sweep could start training)."""
        workspaces.ensure(self.root, self.workspace)
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{_slug(bundle.name)}-{secrets.token_hex(2)}"
        writer = RunWriter(self.path / run_id, run_id, bundle, cfg, device, files, meta=meta, write=not deferred)
        if prune:
            writer.pruned = self.prune()
        return writer

    def prune(self) -> list[str]:
        """Delete the oldest unpinned runs that are not training until at most ``max_runs`` remain."""
        if not self.max_runs:
            return []
        metas = self.list()
        extra = len(metas) - self.max_runs
        gone: list[str] = []
        sweeps: dict[str, bool] = {}
        for meta in reversed(metas):  # oldest first
            if extra <= 0:
                break
            if meta.get("pinned") or meta.get("status") in ACTIVE_STATES or self._in_live_sweep(meta, sweeps):
                continue
            try:
                self.delete(meta["id"])
            except (RunStoreError, OSError):
                continue
            gone.append(meta["id"])
            extra -= 1
        if gone:
            workspaces.add_notice(self.root, self.workspace,
                                  f"This workspace keeps at most {self.max_runs} runs, so the oldest unpinned "
                                  f"{'run was' if len(gone) == 1 else 'runs were'} deleted: {', '.join(gone)}. "
                                  "Pin a run to keep it.")
        return gone

    def _in_live_sweep(self, meta: dict, cache: dict[str, bool]) -> bool:
        """A trial of a sweep still running (its record beside the root says so): never pruned mid-sweep."""
        sweep_id = (meta.get("sweep") or {}).get("id")
        if not sweep_id:
            return False
        if sweep_id not in cache:
            from .sweeps.record import load_sweep, sweeps_root_for

            try:
                status = load_sweep(sweeps_root_for(self.root) / self.workspace, sweep_id)[0].get("status")
            except (RunStoreError, OSError):
                status = None
            cache[sweep_id] = status in ACTIVE_STATES
        return cache[sweep_id]

    def delete(self, run_id: str) -> None:
        p = self._own_dir(run_id)
        workspaces.published_marker(self.root, self.workspace, run_id).unlink(missing_ok=True)
        shutil.rmtree(p)

    def publish(self, run_id: str) -> None:
        """Let every workspace read this run (never change it)."""
        self._own_dir(run_id)
        marker = workspaces.published_marker(self.root, self.workspace, run_id)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()

    def unpublish(self, run_id: str) -> None:
        self._own_dir(run_id)
        workspaces.published_marker(self.root, self.workspace, run_id).unlink(missing_ok=True)

    def pin(self, run_id: str) -> None:
        """Keep this run when the max-runs rule deletes old ones (at most ``max_runs - 1`` pins)."""
        p = self._own_dir(run_id)
        if (p / "pinned").exists():
            return
        if self.max_runs and sum(m.get("pinned", False) for m in self.list()) >= self.max_runs - 1:
            raise RunStoreError(f"At most {self.max_runs - 1} runs can be pinned here (this workspace keeps "
                                f"{self.max_runs}); unpin one first.")
        (p / "pinned").touch()

    def unpin(self, run_id: str) -> None:
        (self._own_dir(run_id) / "pinned").unlink(missing_ok=True)

    def touch(self) -> None:
        """Note a visit: idle expiry counts from the last one (a workspace without runs has no folder)."""
        if self.path.is_dir():
            workspaces.touch(self.root, self.workspace)

    def pop_notices(self) -> list[str]:
        return workspaces.pop_notices(self.root, self.workspace)

    # ---- reading ------------------------------------------------------------------------------
    def _own_dir(self, run_id: str) -> Path:
        """The folder of one of this workspace's runs; another's run, published or not, is refused."""
        if not _ID_OK.match(run_id or "") or run_id in (".", ".."):
            raise RunStoreError(f"'{run_id}' is not a valid run id.")
        p = self.path / run_id
        if (p / "meta.json").exists():
            return p
        if any(rid == run_id for _, rid in self._readable_others()):
            raise RunStoreError(f"Run '{run_id}' belongs to another workspace: it can be opened, not changed.")
        raise RunStoreError(f"There is no saved run called '{run_id}' in this workspace.")

    def _readable_others(self) -> list[tuple[str, str]]:
        """``(workspace, run_id)`` of the runs this store may read but not change."""
        out = [(w, r) for w, r in workspaces.published(self.root) if w != self.workspace]
        for w in self.sees:
            d = self.root / w
            if d.is_dir():
                out += [(w, r.name) for r in d.iterdir() if (r / "meta.json").exists() and (w, r.name) not in out]
        return out

    def _dir(self, run_id: str) -> tuple[Path, str, bool]:
        """``(folder, workspace, read_only)`` of a run this store may read; as if missing otherwise."""
        if not _ID_OK.match(run_id or "") or run_id in (".", ".."):
            raise RunStoreError(f"'{run_id}' is not a valid run id.")
        p = self.path / run_id
        if (p / "meta.json").exists():
            return p, self.workspace, False
        for w, rid in self._readable_others():
            if rid == run_id:
                return self.root / w / rid, w, True
        raise RunStoreError(f"There is no saved run called '{run_id}' in this workspace.")

    def _read_meta(self, d: Path, workspace: str) -> dict:
        meta = _mark_interrupted(json.loads((d / "meta.json").read_text(encoding="utf-8")))
        meta["workspace"] = workspace
        meta["pinned"] = (d / "pinned").exists()
        meta["published"] = workspaces.published_marker(self.root, workspace, d.name).exists()
        return meta

    def list(self) -> list[dict]:
        """Meta of every readable run of this workspace, newest first (unreadable folders are skipped).

        Each meta also says ``workspace``, ``pinned`` and ``published``."""
        if not self.path.is_dir():
            return []
        out = []
        for d in self.path.iterdir():
            try:
                out.append(self._read_meta(d, self.workspace))
            except (OSError, ValueError):
                continue
        return sorted(out, key=lambda m: m.get("created", 0), reverse=True)

    def shared(self) -> list[dict]:
        """Meta of the runs of other workspaces this store may read (published ones, and those of
        ``sees``), newest first; each with ``read_only: True``."""
        out = []
        for w, rid in self._readable_others():
            try:
                meta = self._read_meta(self.root / w / rid, w)
            except (OSError, ValueError):
                continue
            meta["read_only"] = True
            out.append(meta)
        return sorted(out, key=lambda m: m.get("created", 0), reverse=True)

    def load(self, run_id: str) -> SavedRun:
        """One of this workspace's runs, or a published run of another (``read_only``)."""
        p, workspace, read_only = self._dir(run_id)
        try:
            meta = self._read_meta(p, workspace)
            cfg = _read_cached(p / "config.json", _parse_config)
            history = _read_cached(p / "metrics.csv", _parse_history, missing=[])
        except (OSError, ValueError) as e:
            raise RunStoreError(f"Run '{run_id}' is damaged and cannot be read ({e}).") from None
        return SavedRun(run_id, p, meta, copy.copy(cfg), list(history), workspace, read_only)


# ---- parsed files, cached by modification time ------------------------------------------------------
# The Runs page lists every run on each rerun; parsing 50 Cora runs' 800-row metrics.csv took ~0.3 s.
# A file is parsed again only when its modification time or size changes (a running run rewrites it).
_PARSED: "OrderedDict[Path, tuple[tuple[int, int], object]]" = OrderedDict()
_PARSED_LOCK = threading.Lock()
_PARSED_MAX = 1024


def _parse_config(text: str) -> TrainConfig:
    return TrainConfig.from_dict(json.loads(text))


def _parse_history(text: str) -> list[dict]:
    return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items() if v != ""}
            for row in csv.DictReader(io.StringIO(text))]


def _read_cached(path: Path, parse, missing=None):
    """``parse(text of path)``, reused while the file's mtime and size are unchanged; ``missing`` (if not
    None) when the file does not exist. Treat the result as read-only: it is shared."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if missing is None:
            raise
        return missing
    key = (st.st_mtime_ns, st.st_size)
    with _PARSED_LOCK:
        hit = _PARSED.get(path)
        if hit is not None and hit[0] == key:
            _PARSED.move_to_end(path)
            return hit[1]
    value = parse(path.read_text(encoding="utf-8"))
    with _PARSED_LOCK:
        _PARSED[path] = (key, value)
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return value
