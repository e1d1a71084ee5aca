"""File contents for the download buttons: embeddings (CSV, .npy, TensorFlow Projector TSV), config, weights,
and the animation of a run's embeddings (HTML, GIF, MP4), made on request and kept for the session."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from graphcl_core.animation_frames import DEFAULT_MAX_FRAMES, AnimationFrames, build_frames, pick_epochs
from graphcl_core.export_animation import write_animation
from graphcl_core.runs import SavedRun

from .sources import NodeInfo

# format -> (button label, MIME type)
ANIMATION_TYPES = {"html": ("HTML", "text/html"), "gif": ("GIF", "image/gif"), "mp4": ("MP4", "video/mp4")}


def _clean(s: str) -> str:
    """One TSV cell: no tabs or line breaks (the Projector would split on them)."""
    return " ".join(str(s).replace("\t", " ").split()) or "-"


def embeddings_csv(emb: np.ndarray, nodes: NodeInfo) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["node", "name", "label", "degree"] + [f"dim_{j}" for j in range(emb.shape[1])])
    for i in range(emb.shape[0]):
        w.writerow([i, nodes.names[i], nodes.labels[i], int(nodes.degrees[i])] + [f"{v:.6g}" for v in emb[i]])
    return buf.getvalue().encode("utf-8")


def embeddings_npy(emb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(emb, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def projector_vectors_tsv(emb: np.ndarray) -> bytes:
    """``vectors.tsv`` for projector.tensorflow.org: one row per node, tab-separated, no header."""
    return ("\n".join("\t".join(f"{v:.6g}" for v in row) for row in np.asarray(emb, dtype=np.float32)) + "\n"
            ).encode("utf-8")


def projector_metadata_tsv(nodes: NodeInfo) -> bytes:
    """``metadata.tsv`` for projector.tensorflow.org: a header row, then name, label, degree per node."""
    lines = ["name\tlabel\tdegree"]
    lines += [f"{_clean(nodes.names[i])}\t{_clean(nodes.labels[i] or 'none')}\t{int(nodes.degrees[i])}"
              for i in range(nodes.n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def config_json(cfg_dict: dict, extra: dict | None = None) -> bytes:
    d = dict(cfg_dict)
    if extra:
        d = {"config": d, **extra}
    return json.dumps(d, indent=2, sort_keys=True, default=str).encode("utf-8")


@dataclass
class AnimationFiles:
    """The animation files of one run made so far, and the projected frames they share (projecting is the
    slow part: making the GIF after the HTML reuses the frames)."""

    key: tuple
    frames: AnimationFrames | None = None
    files: dict[str, bytes] = field(default_factory=dict)


def animation_files(cached: AnimationFiles | None, run: SavedRun, method: str) -> AnimationFiles:
    """``cached`` if it was made from this run's current snapshots with ``method``, else a fresh, empty one
    (a run still training has new snapshots, so its old animation is dropped)."""
    epochs = run.snapshot_epochs
    key = (run.run_id, str(run.path), method, len(epochs), epochs[-1] if epochs else None)
    return cached if cached is not None and cached.key == key else AnimationFiles(key)


def animation_frame_count(n_snapshots: int, max_frames: int = DEFAULT_MAX_FRAMES) -> int:
    """How many frames an animation of ``n_snapshots`` snapshots has (``build_frames`` keeps at most
    ``max_frames`` of them, evenly spaced, the first and the last always)."""
    return len(pick_epochs(list(range(n_snapshots)), max_frames)) if n_snapshots else 0


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _which_snapshots(frames: int, n_snapshots: int) -> str:
    """``every snapshot`` or ``100 of the 201 snapshots, about every 2nd`` (evenly spaced: ``pick_epochs``)."""
    if frames >= n_snapshots:
        return "the only snapshot" if n_snapshots == 1 else "every snapshot"
    every = round((n_snapshots - 1) / max(1, frames - 1))
    spacing = f"about every {_ordinal(every)}" if every >= 2 else "evenly spaced"
    return f"{frames} of the {n_snapshots} snapshots, {spacing}"


def animation_heading(n_snapshots: int, max_frames: int = DEFAULT_MAX_FRAMES) -> str:
    """The Runs page's line above the Make buttons: ``**Animation** of the embeddings over the epochs:
    100 frames (100 of the 201 snapshots, about every 2nd)``, so the progress's frame count matches it."""
    frames = animation_frame_count(n_snapshots, max_frames)
    return (f"**Animation** of the embeddings over the epochs: {frames} frame{'s' * (frames != 1)} "
            f"({_which_snapshots(frames, n_snapshots)})")


def projecting_text(done: int, total: int, n_snapshots: int) -> str:
    """The progress bar's words while the frames are projected: ``Projecting frame 37 of 100 (100 of the 201
    snapshots, about every 2nd)…``. ``done``/``total`` count frames (``make_animation``'s progress), which
    are fewer than the run's snapshots when it has more than ``DEFAULT_MAX_FRAMES``."""
    return f"Projecting frame {done} of {total} ({_which_snapshots(total, n_snapshots)})…"


def make_animation(made: AnimationFiles, run: SavedRun, fmt: str,
                   progress: Callable[[int, int], None] | None = None) -> bytes:
    """The ``fmt`` file of ``made``'s run, projected and written once; raises ``GraphCLError`` in words.
    ``progress(done, total)`` counts frames (``projecting_text`` words it)."""
    if made.frames is None:
        made.frames = build_frames(run.path, made.key[2], progress=progress)
    if fmt not in made.files:
        with tempfile.TemporaryDirectory(prefix="graphcl-animation-") as d:
            made.files[fmt] = write_animation(made.frames, fmt, Path(d) / f"animation.{fmt}").read_bytes()
    return made.files[fmt]


def animation_name(made: AnimationFiles, fmt: str) -> str:
    run_id, _, method, _, last = made.key
    return f"{run_id}_{method}_to_epoch{last}.{fmt}"
