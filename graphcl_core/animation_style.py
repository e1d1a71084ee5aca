"""What the HTML and the GIF/MP4 animations share, so the two look alike: colours, axes, captions.

The palette and the fixed axis range are the live view's (``ui/figures.py``): a class has the same
colour in the app, the HTML and the slides, and the axes never move, so any motion is learning.
"""

from __future__ import annotations

import numpy as np
from .animation_frames import AnimationFrames
from .label_colours import colour_of, label_colours  # the live view's colours
AXIS_RANGE = (-1.15, 1.15)
LOSS_COLOUR = "#1F77B4"
MARKER_COLOUR = "#D62728"



def marker_size(n_shown: int) -> float:
    """Plotly marker diameter in px: large for a 34-node graph, small for thousands of points."""
    return 11.0 if n_shown <= 100 else 8.0 if n_shown <= 500 else 5.0 if n_shown <= 3000 else 3.5


def groups(frames: AnimationFrames) -> list[tuple[str, str, np.ndarray]]:
    """``(name, colour, rows)`` per label present (and "no label"), the legend's order; one group
    of every row when nodes are coloured by degree."""
    if frames.categories is None:
        return [("nodes", LOSS_COLOUR, np.arange(len(frames.index)))]
    out = []
    colours = label_colours([str(c) for c in frames.categories])
    for c in sorted(set(frames.colour_values.tolist()), key=lambda v: (v < 0, v)):
        name = frames.categories[c] if c >= 0 else "no label"
        out.append((name, colour_of(c, colours), np.flatnonzero(frames.colour_values == c)))
    return out


def caption(frames: AnimationFrames, k: int) -> str:
    """Frame ``k``'s title: graph, method, epoch of the total and the loss at that epoch."""
    loss = frames.frame_loss[k]
    epoch = frames.epochs[k]
    loss_text = f"loss {loss:.4f}" if loss is not None else ("before training" if epoch == 0 else "loss —")
    return (f"{frames.graph} · {frames.method.upper()} · epoch {epoch} / {frames.total_epochs} · {loss_text}")
