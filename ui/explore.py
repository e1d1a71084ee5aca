"""Explore helpers: choosing a run, projecting its snapshots (cached, warm-started), colourings per epoch."""

from __future__ import annotations

import json
import time

import numpy as np

from graphcl_core import evaluation, projection, saved_frames
from graphcl_core.errors import GraphCLError

from . import figures, registry, sources

# Timeline frames show at most this many nodes (a fixed random subset above it).
EXPLORE_MAX_POINTS = 3000
LIVE = "live"
VIEWS = {"UMAP 2-D": ("umap", 2), "UMAP 3-D": ("umap", 3), "PCA 2-D": ("pca", 2), "PCA 3-D": ("pca", 3)}


def run_choices(slot: registry.Slot) -> tuple[list[str], dict[str, str]]:
    """Ids for the run picker (``live`` first when this tab has a job with snapshots), then this workspace's
    saved runs, then runs other workspaces published; and their titles."""
    ids, titles = [], {}
    job = slot.job
    live_id = None
    if job is not None and job.trainer is not None:
        ids.append(LIVE)
        titles[LIVE] = f"This tab's run: {job.bundle.name} ({job.state}, epoch {job.trainer.epoch})"
        live_id = job.run_id
    store = sources.store()
    for meta in store.list() + store.shared():  # own runs, then those others published (read-only)
        rid = meta.get("id")
        if rid and rid != live_id and rid not in titles:
            ids.append(rid)
            titles[rid] = run_title(meta, _settings(slot, store.root / str(meta.get("workspace")) / rid))
    return ids, titles


def run_title(meta: dict, settings: dict | None) -> str:
    """The picker's label of a saved run: the settings that tell runs apart (margin or τ, learning rate,
    epochs) · how it ended, unless finished · the run's id, which says when and on which graph (and is what a
    link names). It was graph · time · status · id: graph and time twice, too long for the picker at 1400 px,
    and cut off in the id, the one part that differs between runs."""
    parts = []
    try:
        key = f"τ {settings['tau']:g}" if settings["loss"] == "infonce" else f"margin {settings['margin']:g}"
        parts.append(f"{key}, lr {settings['lr']:g}, {settings['epochs']} epochs")
    except (KeyError, TypeError, ValueError):  # no config.json, or an odd one: graph and time instead
        when = time.strftime("%d %b %H:%M", time.localtime(meta.get("created", 0)))
        parts.append(f"{meta.get('graph', '?')}, {when}")
    status = meta.get("status", "?")
    if status != "finished":
        parts.append(f"{status} at epoch {meta.get('epoch', 0)}" if status in ("stopped", "interrupted") else status)
    return ("Shared: " if meta.get("read_only") else "") + " · ".join(parts + [str(meta.get("id", ""))])


def _settings(slot: registry.Slot, run_dir) -> dict | None:
    """A saved run's ``config.json`` (read once per tab: it never changes), or None when it cannot be read."""
    ck = ("explore-config", str(run_dir))
    if ck not in slot.cache:
        try:
            slot.cache[ck] = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    return slot.cache[ck]


def choice_for_link(slot: registry.Slot, run_id: str, ids: list[str]) -> str | None:
    """The picker's choice for the run a link names: the run's own id, or ``live`` when it is the run this tab
    trains (listed as "This tab's run", not by its id); None when the visitor cannot open it."""
    if run_id in ids:
        return run_id
    job = slot.job
    if LIVE in ids and job is not None and run_id and job.run_id == run_id:
        return LIVE
    return None


def open_source(slot: registry.Slot, run: str) -> sources.RunSource:
    if run == LIVE:
        if slot.job is None:
            raise GraphCLError("This tab has no run in progress any more; pick a saved run.")
        return sources.LiveSource(slot.job)
    return sources.SavedSource(sources.store().load(run))


def frames(slot: registry.Slot, src: sources.RunSource, view: str, epochs: list[int], progress=None) -> dict:
    """``{epoch: Projection}`` for ``epochs``, computed in epoch order with one warm-started projector so
    that the replay moves smoothly; cached per run and view, extended when a live run adds snapshots."""
    method, dim = VIEWS[view]
    if isinstance(src, sources.SavedSource):
        return _saved_frames(slot, src, view, epochs)
    if method == "umap" and not projection.is_warm():
        projection.warmup_in_background().join(timeout=60)
    ck = ("explore-frames", src.id, view)
    c = slot.cache.get(ck)
    if c is None:
        c = slot.cache[ck] = {"projector": projection.Projector(method, dim, max_points=EXPLORE_MAX_POINTS,
                                                                seed=src.config.seed),
                              "frames": {}}
    todo = [e for e in epochs if e not in c["frames"]]
    for i, e in enumerate(todo):
        if progress is not None:
            progress(i, len(todo))
        c["frames"][e] = c["projector"].project(src.embeddings(e))
    return c["frames"]


def _filler(slot: registry.Slot, src: sources.SavedSource, view: str, epochs: list[int]) -> saved_frames.FrameFiller:
    """The run's frames filler for ``view``: frames saved while it trained at once, the rest in the background."""
    method, dim = VIEWS[view]
    ck = ("explore-filler", src.id, view)
    f = slot.cache.get(ck)
    if f is None or f.epochs != sorted(epochs):
        f = slot.cache[ck] = saved_frames.FrameFiller(
            src.run.path, epochs, src.embeddings, method, dim, n_total=src.nodes.n,
            save=not src.run.read_only, before_umap=lambda: projection.warmup_in_background().join(),
            max_points=EXPLORE_MAX_POINTS, seed=src.config.seed).start()
    return f


def _saved_frames(slot: registry.Slot, src: sources.SavedSource, view: str, epochs: list[int]) -> dict:
    """A saved run's frames: every epoch mapped to its frame, or to the nearest one made so far."""
    f = _filler(slot, src, view, epochs)
    f.wait_for_any(60)
    if f.error and not f.frames():
        raise GraphCLError(f.error)
    return f.frames_or_nearest()


def frames_progress(slot: registry.Slot, src: sources.RunSource, view: str) -> tuple[int, int] | None:
    """``(ready, wanted)`` while a saved run's frames are still being made in the background, else None."""
    f = slot.cache.get(("explore-filler", src.id, view))
    if f is None or f.done:
        return None
    return f.progress()


def colouring(slot: registry.Slot, src: sources.RunSource, kind: str, epoch: int, k: int) -> figures.Colouring:
    nodes = src.nodes
    if kind == "Label":
        return figures.colour_by_label(nodes)
    if kind == "Degree":
        return figures.colour_by_degree(nodes)
    ck = ("explore-colour", src.id, kind, epoch, k)
    hit = slot.cache.get(ck)
    if hit is None:
        emb = src.embeddings(epoch)
        if kind == "Cluster":
            hit = figures.colour_by_groups(evaluation.cluster(emb, k, seed=src.config.seed),
                                           f"Cluster (k={k})", "cluster")
        else:
            # the reported probe's own protocol (its first report split), so colours match the metric
            hit = figures.colour_by_prediction(evaluation.probe_predictions(emb, nodes.label_ids), nodes)
        # Bound the cache: colourings of other epochs of this kind are cheap to recompute.
        for old in [key for key in slot.cache if isinstance(key, tuple) and key[:1] == ("explore-colour",)][:-40]:
            slot.cache.pop(old, None)
        slot.cache[ck] = hit
    return hit


def search_options(nodes: sources.NodeInfo) -> list[int]:
    return list(range(nodes.n))


def node_label(nodes: sources.NodeInfo, i: int) -> str:
    lab = nodes.labels[i]
    return f"{nodes.names[i]}" + (f" · {lab}" if lab else "")


def nearest_table(emb: np.ndarray, nodes: sources.NodeInfo, node: int, k: int = 10) -> tuple[list[dict], np.ndarray]:
    """The ``k`` nodes nearest to ``node`` in the embedding, nearest first, as short rows that fit a side
    panel without scrolling sideways: name (with ✓ when also a graph neighbour), label (underscores as
    spaces, so it wraps), cosine distance with 3 decimals. Returns the rows and their node ids."""
    from graphcl_core.knn import nearest_neighbours

    nb = set(nodes.neighbours(node).tolist())
    rows, ids = [], []
    for j, dist in nearest_neighbours(emb, node, k=k):
        ids.append(j)
        rows.append({"node": nodes.names[j] + (" ✓" if j in nb else ""),
                     "label": (nodes.labels[j] or "—").replace("_", " "), "distance": f"{dist:.3f}"})
    return rows, np.asarray(ids, dtype=np.int64)


def metrics_at(history: list[dict], epoch: int) -> tuple[float | None, dict | None]:
    """``(loss, last evaluated row)`` as they were at ``epoch``, from a run's history."""
    loss = next((r["loss"] for r in reversed(history) if r.get("epoch", 0) <= epoch), None)
    row = next((r for r in reversed(history) if r.get("epoch", 0) <= epoch and "linear_probe_acc" in r), None)
    return loss, row
