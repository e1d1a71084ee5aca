"""Export how a saved run's embeddings evolved: an interactive HTML page, a GIF or an MP4.

``export_animation(run_dir, "html", "run.html")`` projects the run's snapshots (``animation_frames``)
and hands them to a writer (``animation_html`` or ``animation_video``). The CLI's ``export-animation``
and the Runs page's download buttons both call it. Every problem is a ``GraphCLError`` said in words:
``RunStoreError`` for a missing or empty run, ``ConfigError`` for a bad setting, ``ExportError`` for
an output file that cannot be written. A file is written beside ``out`` and renamed onto it only when
complete, so a failed export never leaves half a file behind.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

from .animation_frames import DEFAULT_MAX_FRAMES, DEFAULT_MAX_POINTS, AnimationFrames, build_frames
from .errors import ConfigError, GraphCLError

FORMATS = ("html", "gif", "mp4")
METHODS = ("umap", "pca")
DEFAULT_FPS = 10.0
SIZE_LIMITS = (160, 3840)


class ExportError(GraphCLError):
    """The animation could not be written where it was asked for (folder missing, no permission, disk full)."""


def check_options(fmt: str, method: str, fps: float, size: tuple[int, int]) -> tuple[str, str, tuple[int, int]]:
    """The format and method in lower case and the size rounded down to multiples of 8 (what H.264 wants),
    or a ``ConfigError`` saying what is allowed."""
    fmt, method = str(fmt).lower(), str(method).lower()
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown animation format '{fmt}'. Choose {', '.join(FORMATS)}.")
    if method not in METHODS:
        raise ConfigError(f"Unknown projection '{method}'. Choose 'umap' or 'pca'.")
    if not 0.5 <= fps <= 60:
        raise ConfigError(f"Frames per second must be between 0.5 and 60 (got {fps:g}).")
    lo, hi = SIZE_LIMITS
    if len(size) != 2 or not all(lo <= int(s) <= hi for s in size):
        raise ConfigError(f"The picture size must be between {lo} and {hi} pixels a side (got {size}).")
    return fmt, method, (int(size[0]) // 8 * 8, int(size[1]) // 8 * 8)


def check_writable(out: Path) -> None:
    """Fail before any projecting when ``out`` cannot be written."""
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name, e.g. {out / 'animation.html'}.")
    parent = out.parent if str(out.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ExportError(f"{parent} is a file, not a folder; choose another --out.")
    if not parent.is_dir():
        raise ExportError(f"The folder {parent} does not exist; create it first or choose another --out.")
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ExportError(f"{out} cannot be written here (no permission); choose another --out.")


def write_animation(frames: AnimationFrames, fmt: str, out: str | Path, *, fps: float = DEFAULT_FPS,
                    size: tuple[int, int] = (800, 600)) -> Path:
    """Write already projected ``frames`` to ``out`` (e.g. the same frames as HTML, then as a GIF)."""
    from .animation_html import write_html
    from .animation_video import write_gif, write_mp4

    fmt, _, size = check_options(fmt, frames.method, fps, size)
    out = Path(out)
    check_writable(out)
    # A hidden name beside ``out`` (same folder, so the rename is atomic), created by the writer itself so
    # the file gets the usual permissions; the suffix tells the writers the format.
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.{fmt}")
    try:
        if fmt == "html":
            write_html(frames, tmp, fps)
        elif fmt == "gif":
            write_gif(frames, tmp, fps, size)
        else:
            write_mp4(frames, tmp, fps, size)
        os.replace(tmp, out)
    except OSError as e:
        raise ExportError(f"The animation could not be written to {out} ({e.strerror or e}).") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def export_animation(run_dir: str | Path, fmt: str, out: str | Path, *, method: str = "umap",
                     fps: float = DEFAULT_FPS, max_frames: int = DEFAULT_MAX_FRAMES,
                     max_points: int = DEFAULT_MAX_POINTS, size: tuple[int, int] = (800, 600),
                     progress: Callable[[int, int], None] | None = None) -> Path:
    """Animate the run saved in ``run_dir`` into ``out`` as ``fmt`` (html, gif or mp4); returns ``out``.

    At most ``max_frames`` snapshots are shown (evenly spaced, first and last kept), ``fps`` a second;
    ``progress(done, total)`` is called as frames are projected (UMAP frames take the longest).
    """
    check_options(fmt, method, fps, size)
    check_writable(Path(out))
    frames = build_frames(run_dir, method, max_frames=max_frames, max_points=max_points, progress=progress)
    return write_animation(frames, fmt, out, fps=fps, size=size)
