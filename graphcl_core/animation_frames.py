"""The frames of a run's embedding animation: which snapshots, projected how, coloured by what.

A saved run folder (``runs.py`` draws its layout) goes in; ``AnimationFrames`` comes out: the chosen
snapshot epochs (evenly spaced, the first and the last always kept), one 2-D frame per epoch from the
live view's own :class:`~graphcl_core.projection.Projector` (UMAP warm-started from the previous frame
and every frame rotated onto the one before, so points move only where the embeddings did), the loss
at each frame, and each shown node's name and colour. The writers (HTML, GIF, MP4) only draw this.

The folder is read directly, not through ``RunStore``: an exported run may be a copy anywhere on disk,
and opening a store would tidy up the folder above it.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import ConfigError, RunStoreError
from .projection import Projector

DEFAULT_MAX_FRAMES = 100
MAX_FRAMES_LIMIT = 500  # a GIF holds every frame in memory while it is written
DEFAULT_MAX_POINTS = 3000  # as many nodes as Explore shows; a random fixed subset above it
_SNAPSHOT = re.compile(r"^epoch_(\d+)\.npy$")


@dataclass
class AnimationFrames:
    """Everything a writer draws; row ``j`` of every per-node array is node ``index[j]``."""

    run_id: str
    graph: str
    method: str  # what was drawn: "umap" or "pca" (UMAP falls back to PCA for tiny or broken inputs)
    epochs: list[int]
    coords: np.ndarray  # (frames, shown, 2) float32, each frame scaled to ~[-1, 1]
    index: np.ndarray  # (shown,) node ids
    names: list[str]
    labels: list[str]  # "" where a node has no label
    degrees: np.ndarray
    colour_title: str  # "Label" or "Degree"
    colour_values: np.ndarray  # label id (-1: none) when ``categories`` is set, else the degree
    categories: list[str] | None
    frame_loss: list[float | None]  # the loss at each frame's epoch (None before the first epoch)
    loss_epochs: np.ndarray  # the whole loss curve, for the loss panel
    loss_values: np.ndarray
    total_epochs: int
    note: str = ""

    @property
    def n_frames(self) -> int:
        return len(self.epochs)


def pick_epochs(epochs: list[int], max_frames: int) -> list[int]:
    """At most ``max_frames`` of ``epochs``, evenly spaced, always the first and the last."""
    if max_frames < 2:
        raise ConfigError(f"An animation needs at least 2 frames (max frames = {max_frames}).")
    if len(epochs) <= max_frames:
        return list(epochs)
    picks = np.unique(np.round(np.linspace(0, len(epochs) - 1, max_frames)).astype(int))
    return [epochs[i] for i in picks]


def snapshot_epochs(run_dir: Path) -> list[int]:
    """The epochs with saved embeddings in ``run_dir/snapshots``, in order."""
    d = run_dir / "snapshots"
    if not d.is_dir():
        return []
    return sorted(int(m.group(1)) for f in d.iterdir() if (m := _SNAPSHOT.match(f.name)))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _read_loss(run_dir: Path) -> dict[int, float]:
    """Epoch → loss from ``metrics.csv`` (empty when the file is missing or unreadable)."""
    out: dict[int, float] = {}
    try:
        with (run_dir / "metrics.csv").open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    out[int(row["epoch"])] = float(row["loss"])
                except (KeyError, TypeError, ValueError):
                    continue
    except OSError:
        pass
    return out


def _read_nodes(run_dir: Path, n: int) -> tuple[list[str], list[str], np.ndarray]:
    """Names, labels and degrees of the run's ``n`` nodes (placeholders where ``nodes.csv`` is missing)."""
    try:
        with (run_dir / "nodes.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError:
        rows = []
    if len(rows) != n:
        return [str(i) for i in range(n)], [""] * n, np.zeros(n, dtype=np.int64)
    names = [r.get("name") or str(i) for i, r in enumerate(rows)]
    labels = [r.get("label") or "" for r in rows]
    degrees = np.array([int(float(r.get("degree") or 0)) for r in rows], dtype=np.int64)
    return names, labels, degrees


def _label_ids(labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """Label strings → ids in a stable order (numeric labels sorted as numbers), -1 for none."""
    names = sorted({v for v in labels if v})
    try:
        names = sorted(names, key=float)
    except ValueError:
        pass
    ids = {v: i for i, v in enumerate(names)}
    return np.array([ids.get(v, -1) for v in labels], dtype=np.int64), names


def _load_snapshot(run_dir: Path, epoch: int) -> np.ndarray:
    f = run_dir / "snapshots" / f"epoch_{epoch:06d}.npy"
    try:
        return np.load(f, allow_pickle=False).astype(np.float32)
    except (OSError, ValueError) as e:
        raise RunStoreError(f"The snapshot of epoch {epoch} in {run_dir} cannot be read ({e}).") from None


def build_frames(run_dir: str | Path, method: str = "umap", *, max_frames: int = DEFAULT_MAX_FRAMES,
                 max_points: int = DEFAULT_MAX_POINTS,
                 progress: Callable[[int, int], None] | None = None) -> AnimationFrames:
    """Project the snapshots of the run in ``run_dir``, oldest first; ``progress(done, total)`` after each."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunStoreError(f"There is no run folder at {run_dir}.")
    if not 2 <= max_frames <= MAX_FRAMES_LIMIT:
        raise ConfigError(f"Max frames must be between 2 and {MAX_FRAMES_LIMIT} (got {max_frames}).")
    all_epochs = snapshot_epochs(run_dir)
    if not all_epochs:
        raise RunStoreError(f"The run in {run_dir} has no saved embeddings (no snapshots/epoch_*.npy files), "
                            "so there is nothing to animate.")
    epochs = pick_epochs(all_epochs, max_frames)
    projector = Projector(method, 2, max_points=max_points, seed=0)
    coords, used, notes, index = [], set(), [], None
    for k, epoch in enumerate(epochs):
        emb = _load_snapshot(run_dir, epoch)
        frame = projector.project(emb)
        coords.append(frame.coords)
        index, n = frame.index, emb.shape[0]
        used.add(frame.method)
        if frame.note and frame.note not in notes:
            notes.append(frame.note)
        if progress is not None:
            progress(k + 1, len(epochs))
    if len({c.shape for c in coords}) > 1:
        raise RunStoreError(f"The snapshots in {run_dir} do not all have the same number of nodes.")
    meta = _read_json(run_dir / "meta.json")
    names, labels, degrees = _read_nodes(run_dir, int(n))
    label_ids, label_names = _label_ids(labels)
    loss = _read_loss(run_dir)
    shown = index.tolist()
    labelled = bool((label_ids >= 0).any())
    return AnimationFrames(
        run_id=str(meta.get("id") or run_dir.name), graph=str(meta.get("graph") or run_dir.name),
        method="umap" if "umap" in used else "pca", epochs=epochs, coords=np.stack(coords), index=index,
        names=[names[i] for i in shown], labels=[labels[i] for i in shown], degrees=degrees[index],
        colour_title="Label" if labelled else "Degree",
        colour_values=label_ids[index] if labelled else degrees[index].astype(np.float64),
        categories=label_names if labelled else None, frame_loss=[loss.get(e) for e in epochs],
        loss_epochs=np.array(sorted(loss), dtype=np.int64),
        loss_values=np.array([loss[e] for e in sorted(loss)], dtype=np.float64),
        total_epochs=int(meta.get("epochs") or max(all_epochs[-1], max(loss, default=0))), note="; ".join(notes))
