"""The embedding animation as a GIF or an MP4 for slides.

Frames are drawn with matplotlib's Agg canvas (no browser, no display: a Plotly image export would need
Chrome through kaleido) and assembled by imageio: Pillow writes the GIF, imageio-ffmpeg's bundled ffmpeg
the MP4 (H.264, yuv420p, so PowerPoint, Keynote and browsers play it). The picture is the HTML's: the
projection on fixed, equal axes with the legend beside it, the loss curve below with a dot at the epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from .animation_frames import AnimationFrames
from .animation_style import AXIS_RANGE, LOSS_COLOUR, MARKER_COLOUR, caption, groups, marker_size

DEFAULT_SIZE = (800, 600)
_DPI = 100


def _loss_axes(fig, frames: AnimationFrames):
    """The loss panel: the whole curve faint, the trained part over it, a dot at the current epoch."""
    ax = fig.add_axes((0.08, 0.07, 0.88, 0.15))
    ax.plot(frames.loss_epochs, frames.loss_values, color="#C9D6E3", lw=2)
    done, = ax.plot([], [], color=LOSS_COLOUR, lw=2.5)
    dot, = ax.plot([], [], "o", color=MARKER_COLOUR, ms=7, clip_on=False)
    ax.set_xlim(min(frames.epochs[0], 0), max(frames.total_epochs, frames.epochs[-1], 1))
    if frames.loss_values.size:
        lo, hi = float(frames.loss_values.min()), float(frames.loss_values.max())
        pad = 0.08 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("epoch", fontsize=9, labelpad=1)
    ax.set_ylabel("loss", fontsize=9)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return done, dot


def _point_axes(fig, frames: AnimationFrames, size: tuple[int, int]):
    """The projection panel: a square of fixed axes, one scatter per label, the legend (or colour bar) beside."""
    w, h = size
    side = 0.66 * h  # the square's side in pixels
    ax = fig.add_axes((0.5 - 0.62 * side / w, 0.27, side / w, 0.66))  # a little left of centre: legend beside
    ax.set_xlim(*AXIS_RANGE)
    ax.set_ylim(*AXIS_RANGE)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_color("#DDDDDD")
    diameter_pt = marker_size(len(frames.index)) * 72 / _DPI
    scatters = []
    for name, colour, rows in groups(frames):
        kw = dict(c=colour) if frames.categories is not None else dict(
            c=frames.colour_values[rows], cmap="viridis")
        sc = ax.scatter(frames.coords[0, rows, 0], frames.coords[0, rows, 1], s=diameter_pt ** 2, label=name,
                        edgecolors="white", linewidths=0.4 if len(frames.index) <= 500 else 0.0, **kw)
        scatters.append((sc, rows))
    if frames.categories is not None:
        ax.legend(title=frames.colour_title, loc="upper left", bbox_to_anchor=(1.03, 1.0), frameon=False,
                  fontsize=9, title_fontsize=10, markerscale=max(1.0, 9.0 / marker_size(len(frames.index))))
    else:
        left, bottom, width, height = ax.get_position().bounds
        cax = fig.add_axes((left + width + 0.03, bottom + 0.15 * height, 0.018, 0.7 * height))
        cb = fig.colorbar(scatters[0][0], cax=cax)
        cb.set_label(frames.colour_title)
    return scatters


def render_frames(frames: AnimationFrames, size: tuple[int, int] = DEFAULT_SIZE) -> Iterator[np.ndarray]:
    """One ``height × width × 3`` uint8 picture per frame, drawn on one reused figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = size
    fig = Figure(figsize=(w / _DPI, h / _DPI), dpi=_DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    scatters = _point_axes(fig, frames, size)
    done, dot = _loss_axes(fig, frames)
    title = fig.suptitle("", y=0.975, fontsize=13)
    if frames.note:
        fig.text(0.04, 0.935, frames.note, fontsize=8, color="#666666")
    for k, epoch in enumerate(frames.epochs):
        for sc, rows in scatters:
            sc.set_offsets(frames.coords[k, rows])
        upto = frames.loss_epochs <= epoch
        done.set_data(frames.loss_epochs[upto], frames.loss_values[upto])
        loss = frames.frame_loss[k]
        dot.set_data([epoch] if loss is not None else [], [loss] if loss is not None else [])
        title.set_text(caption(frames, k))
        canvas.draw()
        yield np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def write_gif(frames: AnimationFrames, out: Path, fps: float, size: tuple[int, int] = DEFAULT_SIZE) -> None:
    """A looping GIF, ``1/fps`` seconds a frame."""
    import imageio.v3 as iio

    pictures = list(render_frames(frames, size))
    iio.imwrite(out, pictures, extension=".gif", plugin="pillow", duration=int(round(1000 / fps)), loop=0)


def write_mp4(frames: AnimationFrames, out: Path, fps: float, size: tuple[int, int] = DEFAULT_SIZE) -> None:
    """An H.264 MP4 at ``fps`` frames a second (sides a multiple of 8 are kept exactly)."""
    import imageio.v2 as iio2

    with iio2.get_writer(out, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
                         macro_block_size=8, quality=8, ffmpeg_log_level="error") as writer:
        for picture in render_frames(frames, size):
            writer.append_data(picture)
