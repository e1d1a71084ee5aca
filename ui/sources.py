"""One view of "a run" for Explore and Runs, whether it is the tab's live job or a run saved on disk."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from graphcl_core.config import TrainConfig
from graphcl_core.errors import RunStoreError
from graphcl_core.graph import GraphBundle
from graphcl_core.runs import RunStore, SavedRun
from graphcl_core.worker import TrainingJob


@dataclass
class NodeInfo:
    """What the pictures need to know about the nodes."""

    names: list[str]
    labels: list[str]  # "" where a node has no label
    label_ids: np.ndarray  # int, -1 where a node has no label
    label_names: list[str]
    degrees: np.ndarray
    edge_index: np.ndarray  # 2×E, both directions
    _adj: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def has_labels(self) -> bool:
        return bool((self.label_ids >= 0).any())

    def neighbours(self, i: int) -> np.ndarray:
        if "order" not in self._adj:
            order = np.argsort(self.edge_index[0], kind="stable")
            self._adj["dst"] = self.edge_index[1, order]
            self._adj["starts"] = np.searchsorted(self.edge_index[0, order], np.arange(self.n + 1))
            self._adj["order"] = True
        s = self._adj["starts"]
        return np.unique(self._adj["dst"][s[i]:s[i + 1]])


def nodes_from_bundle(bundle: GraphBundle) -> NodeInfo:
    n = bundle.num_nodes
    if bundle.has_labels:
        y = bundle.data.y.cpu().numpy().astype(np.int64)
        k = int(y.max()) + 1
        names = list(bundle.label_names or [])
        names += [str(c) for c in range(len(names), k)]
    else:
        y, names = np.full(n, -1, np.int64), []
    labels = bundle.label_texts() if bundle.has_labels else [""] * n
    return NodeInfo(list(bundle.node_names), labels, y, names, bundle.degrees().cpu().numpy(),
                    bundle.data.edge_index.cpu().numpy())


def _label_order(values: list[str]) -> list[str]:
    uniq = sorted({v for v in values if v != ""})
    try:
        return sorted(uniq, key=float)
    except ValueError:
        return uniq


def nodes_from_saved(run: SavedRun) -> NodeInfo:
    rows = run.nodes()
    labels = [r.get("label", "") or "" for r in rows]
    names = _label_order(labels)
    idx = {v: i for i, v in enumerate(names)}
    y = np.array([idx.get(v, -1) for v in labels], dtype=np.int64)
    deg = np.array([int(float(r.get("degree") or 0)) for r in rows], dtype=np.int64)
    return NodeInfo([r.get("name", str(i)) for i, r in enumerate(rows)], labels, y, names, deg, run.edge_index())


class RunSource:
    """Embeddings over time plus node information, from a live job or a saved run."""

    live: bool = False
    id: str
    title: str
    graph: str

    def epochs(self) -> list[int]:
        raise NotImplementedError

    def embeddings(self, epoch: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def nodes(self) -> NodeInfo:
        raise NotImplementedError

    @property
    def history(self) -> list[dict]:
        raise NotImplementedError

    @property
    def config(self) -> TrainConfig:
        raise NotImplementedError


class LiveSource(RunSource):
    live = True

    def __init__(self, job: TrainingJob):
        self.job = job
        self.id = f"live:{job.run_id or id(job)}"
        self.graph = job.bundle.name
        self.title = f"This tab's run on {job.bundle.name} ({job.state})"
        self._nodes: NodeInfo | None = None

    def _snaps(self):
        t = self.job.trainer
        return {s.epoch: s for s in t.snapshot_list()} if t is not None else {}

    def epochs(self) -> list[int]:
        return sorted(self._snaps())

    def embeddings(self, epoch: int) -> np.ndarray:
        snaps = self._snaps()
        if epoch not in snaps:
            raise RunStoreError(f"The live run no longer keeps epoch {epoch}; pick another point on the timeline.")
        return snaps[epoch].embeddings.astype(np.float32)

    @property
    def nodes(self) -> NodeInfo:
        if self._nodes is None:
            self._nodes = nodes_from_bundle(self.job.bundle)
        return self._nodes

    @property
    def history(self) -> list[dict]:
        return self.job.status()["history"]

    @property
    def config(self) -> TrainConfig:
        return self.job.cfg


class SavedSource(RunSource):
    def __init__(self, run: SavedRun):
        self.run = run
        self.id = run.run_id
        self.graph = run.meta.get("graph", "?")
        self.title = describe_meta(run.meta)
        self._nodes: NodeInfo | None = None

    def epochs(self) -> list[int]:
        return self.run.snapshot_epochs

    def embeddings(self, epoch: int) -> np.ndarray:
        return self.run.load_snapshot(epoch)

    @property
    def nodes(self) -> NodeInfo:
        if self._nodes is None:
            self._nodes = nodes_from_saved(self.run)
        return self._nodes

    @property
    def history(self) -> list[dict]:
        return self.run.history

    @property
    def config(self) -> TrainConfig:
        return self.run.config


def describe_meta(meta: dict) -> str:
    when = time.strftime("%d %b %H:%M", time.localtime(meta.get("created", 0)))
    return f"{meta.get('graph', '?')} · {when} · {meta.get('status', '?')} · {meta.get('id', '')}"


def store() -> RunStore:
    """The run store of this session's workspace (``ui/workspace.py``)."""
    from . import workspace

    return workspace.store()


def upload_size_error(name: str, size: int, max_mb: int | None = None) -> str | None:
    """A plain message when an uploaded file is over the host's limit (``GRAPHCL_MAX_UPLOAD_MB``), else None.

    Streamlit's ``server.maxUploadSize`` is one number for the whole server; this is checked in code
    too, so a host's lower limit holds whatever the Streamlit settings say."""
    from graphcl_core import options

    limit_mb = max_mb if max_mb is not None else options.current().max_upload_mb
    if size <= limit_mb * 1024 * 1024:
        return None
    return (f"{name} is {size / 2**20:,.1f} MB; this server accepts files of at most {limit_mb:,} MB. "
            "Upload a smaller graph (fewer edges, or without unused columns).")
