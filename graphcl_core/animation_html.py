"""The embedding animation as one self-contained interactive HTML file (plotly.js inside, opens offline).

Top: the projection, one trace per label so the legend toggles classes, equal aspect and fixed axes;
bottom: the whole loss curve, its part not yet trained veiled, and a dot at the current epoch.
Plotly frames move the points and the dot; a Play/Pause button and an epoch slider drive them; the
title says the epoch and the loss of the frame shown.

Size: plotly.js (~4.6 MB) is most of the file; the frames stay small. A frame holds only what moves: the
points as 16-bit integers (thousandths of the fixed axis range, binary in the JSON), the dot, the title and
the veil's edge. Colours, names and hover text live once in the base traces, and the loss curve is drawn
once, whole (each frame carried the curve up to its epoch: 0.7 MB of a 100-frame, 800-epoch karate export).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .animation_frames import AnimationFrames
from .animation_style import AXIS_RANGE, LOSS_COLOUR, MARKER_COLOUR, caption, groups, marker_size

FONT = dict(family="Inter, Source Sans Pro, Helvetica, Arial, sans-serif", size=14)
INK = "#444444"
SCALE = 1000  # coordinates in thousandths of a unit: 16-bit integers, finer than a pixel of the figure
VEIL = "rgba(255,255,255,0.72)"  # over the loss curve after the frame's epoch
# The slider (paper fractions) and plotly.js's inset of its first and last step (sliders/constants.js).
SLIDER_X, SLIDER_LEN, SLIDER_Y, STEP_INSET_PX = 0.16, 0.84, -0.10, 10
MAX_TICK_LABELS = 9


def _hover(frames: AnimationFrames, rows: np.ndarray) -> tuple[list[list], str]:
    custom = [[frames.names[r], frames.labels[r] or "—", int(frames.degrees[r])] for r in rows]
    return custom, "<b>%{customdata[0]}</b><br>label: %{customdata[1]}<br>degree: %{customdata[2]}<extra></extra>"


def _scaled(xy: np.ndarray) -> np.ndarray:
    return np.round(np.clip(xy, -30.0, 30.0) * SCALE).astype(np.int16)


def _point_traces(frames: AnimationFrames, k: int, full: bool) -> list[go.Scatter]:
    """The node traces of frame ``k``; ``full`` adds what frames never change (colours, hover, names)."""
    xy = _scaled(frames.coords[k])
    out = []
    for name, colour, rows in groups(frames):
        t = dict(x=xy[rows, 0], y=xy[rows, 1])
        if full:
            custom, tpl = _hover(frames, rows)
            n = len(frames.index)
            marker = dict(size=marker_size(n), color=colour, line=dict(width=0.6 if n <= 500 else 0, color="white"))
            if frames.categories is None:
                marker.update(color=frames.colour_values[rows], colorscale="Viridis", showscale=True,
                              colorbar=dict(title=dict(text=frames.colour_title), len=0.7, y=0.62, thickness=14))
            t.update(mode="markers", name=name, marker=marker, customdata=custom, hovertemplate=tpl,
                     showlegend=frames.categories is not None)
        out.append(go.Scatter(**t))
    return out


def _loss_end(frames: AnimationFrames) -> int:
    return max(frames.total_epochs, frames.epochs[-1])


def _dot(frames: AnimationFrames, k: int) -> go.Scatter:
    """The dot on the loss curve at frame ``k``'s epoch (none before the first loss)."""
    loss = frames.frame_loss[k]
    return go.Scatter(x=[frames.epochs[k]] if loss is not None else [], y=[round(loss, 6)] if loss is not None else [])


def _veil(frames: AnimationFrames, k: int) -> list[dict]:
    """The layout's shapes at frame ``k``: a veil over the loss curve after its epoch (not trained yet),
    starting a dot's radius (~0.5 % of the axis) to the right so it does not fade the dot's right half."""
    end = _loss_end(frames)
    start = min(end, round(frames.epochs[k] + 0.005 * (end - min(frames.epochs[0], 0)), 2))
    return [dict(type="rect", xref="x2", yref="y2 domain", x0=start, x1=end, y0=0, y1=1, fillcolor=VEIL,
                 line=dict(width=0), layer="above")]


def animation_figure(frames: AnimationFrames, fps: float = 10.0) -> go.Figure:
    """The figure with one Plotly frame per ``frames.epochs`` entry, a play button and an epoch slider."""
    fig = make_subplots(rows=2, cols=1, row_heights=[0.8, 0.2], vertical_spacing=0.07)
    for t in _point_traces(frames, 0, full=True):
        fig.add_trace(t, row=1, col=1)
    n_points = len(fig.data)
    fig.add_trace(go.Scatter(x=frames.loss_epochs, y=frames.loss_values.astype(np.float32), mode="lines",
                             name="loss", line=dict(color=LOSS_COLOUR, width=2.5), showlegend=False,
                             hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra></extra>"), row=2, col=1)
    fig.add_trace(_dot(frames, 0).update(mode="markers", marker=dict(color=MARKER_COLOUR, size=10), showlegend=False,
                                         cliponaxis=False, hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra></extra>"),
                  row=2, col=1)
    moving = list(range(n_points)) + [n_points + 1]
    fig.frames = [go.Frame(name=str(e), data=[*_point_traces(frames, k, full=False), _dot(frames, k)], traces=moving,
                           layout=dict(title=dict(text=caption(frames, k)), shapes=_veil(frames, k)))
                  for k, e in enumerate(frames.epochs)]
    _layout(fig, frames, fps)
    return fig


def tick_epochs(epochs: list[int], most: int = MAX_TICK_LABELS) -> list[int]:
    """Round epochs, evenly spaced (1, 2 or 5 times a power of ten apart), to label the slider with: at most
    ``most`` of them within the frames' epochs. The frames' own epochs are only nearly even (every 8.08th of
    800), and plotly.js labels every n-th step of them: 0, 32, 65, 97…"""
    lo, hi = epochs[0], epochs[-1]
    if hi <= lo:
        return [lo]
    for power in range(int(math.log10(hi - lo)) + 2):
        for m in (1, 2, 5):
            gap = m * 10 ** power
            ticks = list(range(math.ceil(lo / gap) * gap, hi + 1, gap))
            if len(ticks) <= most:
                return ticks
    return [lo, hi]


def _slider_ticks(frames: AnimationFrames, font_size: int) -> list[dict]:
    """``tick_epochs`` as annotations under the slider, each where the slider's knob stands at that epoch
    (between the steps of the frames around it; plotly.js places step ``i`` of ``n`` at ``i / (n - 1)`` of the
    rail, ``STEP_INSET_PX`` in from each end)."""
    epochs = frames.epochs
    out = []
    for e in tick_epochs(epochs):
        f = float(np.interp(e, epochs, np.arange(len(epochs)))) / max(1, len(epochs) - 1)
        out.append(dict(text=str(e), xref="paper", yref="paper", x=SLIDER_X + SLIDER_LEN * f,
                        xshift=STEP_INSET_PX * (1 - 2 * f), y=SLIDER_Y, yshift=-62, xanchor="center",
                        yanchor="top", showarrow=False, font=dict(size=font_size - 2, color=INK), name="epoch tick"))
    return out


def _controls(frames: AnimationFrames, fps: float) -> tuple[list[dict], list[dict]]:
    """Play/Pause buttons and the epoch slider (both jump or play through the named frames). The slider's own
    step labels are hidden (the round epochs of ``_slider_ticks`` label it); the current epoch shows above."""
    ms = int(round(1000 / fps))
    play = dict(frame=dict(duration=ms, redraw=True), fromcurrent=True,
                transition=dict(duration=int(ms * 0.8), easing="linear"))
    still = dict(frame=dict(duration=0, redraw=True), mode="immediate", transition=dict(duration=0))
    buttons = [dict(type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=-0.12,
                    yanchor="top", pad=dict(r=8, t=0),
                    buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                             dict(label="❚❚ Pause", method="animate", args=[[None], still])])]
    steps = [dict(method="animate", label=str(e), args=[[str(e)], still]) for e in frames.epochs]
    slider = [dict(active=0, steps=steps, x=SLIDER_X, len=SLIDER_LEN, y=SLIDER_Y, yanchor="top",
                   pad=dict(t=0, b=0, l=0, r=0),
                   font=dict(color="rgba(0,0,0,0)"), ticklen=4, minorticklen=4, tickcolor="#BBBBBB",
                   currentvalue=dict(prefix="Epoch ", visible=True, xanchor="left", font=dict(color=INK)),
                   transition=dict(duration=0))]
    return buttons, slider


def _layout(fig: go.Figure, frames: AnimationFrames, fps: float) -> None:
    buttons, slider = _controls(frames, fps)
    axis = [AXIS_RANGE[0] * SCALE, AXIS_RANGE[1] * SCALE]
    fig.update_xaxes(range=axis, showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
    fig.update_yaxes(range=axis, showticklabels=False, showgrid=False, zeroline=False, scaleanchor="x",
                     scaleratio=1, row=1, col=1)
    fig.update_xaxes(showline=True, mirror=True, linecolor="#DDDDDD", constrain="domain", row=1, col=1)
    fig.update_yaxes(showline=True, mirror=True, linecolor="#DDDDDD", constrain="domain", row=1, col=1)
    top = float(frames.loss_values.max()) if frames.loss_values.size else 1.0
    bottom = float(frames.loss_values.min()) if frames.loss_values.size else 0.0
    pad = 0.05 * (top - bottom or 1.0)
    fig.update_xaxes(range=[min(frames.epochs[0], 0), _loss_end(frames)], title="epoch", row=2, col=1)
    fig.update_yaxes(range=[bottom - pad, top + pad], title="loss", row=2, col=1)
    fig.update_layout(title=dict(text=caption(frames, 0), x=0.5, xanchor="center"), font=FONT, height=760,
                      template="plotly_white", margin=dict(l=60, r=30, t=60, b=140), hovermode="closest",
                      legend=dict(title=dict(text=frames.colour_title), itemsizing="constant", x=1.0, xanchor="left",
                                  y=1.0, yanchor="top"),
                      updatemenus=buttons, sliders=slider, shapes=_veil(frames, 0),
                      annotations=_slider_ticks(frames, FONT["size"]))
    if frames.note:
        fig.add_annotation(text=frames.note, xref="paper", yref="paper", x=0, y=1.02, showarrow=False,
                           xanchor="left", yanchor="bottom", font=dict(size=11, color="#666"))


def write_html(frames: AnimationFrames, out: Path, fps: float = 10.0) -> None:
    """``out`` as a standalone HTML page; plotly.js is embedded so it works without a network."""
    fig = animation_figure(frames, fps)
    fig.write_html(out, include_plotlyjs=True, full_html=True, auto_play=False,
                   config={"displaylogo": False, "responsive": True})
