"""The embedding animation as one self-contained interactive HTML file (plotly.js inside, opens offline).

Top: the projection, one trace per label so the legend toggles classes, equal aspect and fixed axes;
bottom: the whole loss curve, the part trained so far drawn over it and a dot at the current epoch.
Plotly frames move the points and the dot; a Play/Pause button and an epoch slider drive them; the
title says the epoch and the loss of the frame shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .animation_frames import AnimationFrames
from .animation_style import AXIS_RANGE, LOSS_COLOUR, MARKER_COLOUR, caption, groups, marker_size

FONT = dict(family="Inter, Source Sans Pro, Helvetica, Arial, sans-serif", size=14)


def _hover(frames: AnimationFrames, rows: np.ndarray) -> tuple[list[list], str]:
    custom = [[frames.names[r], frames.labels[r] or "—", int(frames.degrees[r])] for r in rows]
    return custom, "<b>%{customdata[0]}</b><br>label: %{customdata[1]}<br>degree: %{customdata[2]}<extra></extra>"


def _point_traces(frames: AnimationFrames, k: int, full: bool) -> list[go.Scatter]:
    """The node traces of frame ``k``; ``full`` adds what frames never change (colours, hover, names)."""
    xy = frames.coords[k]
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


def _loss_so_far(frames: AnimationFrames, k: int) -> tuple[go.Scatter, go.Scatter]:
    """The loss curve up to frame ``k``'s epoch, and the dot at that epoch (empty before the first loss)."""
    upto = frames.loss_epochs <= frames.epochs[k]
    loss = frames.frame_loss[k]
    line = go.Scatter(x=frames.loss_epochs[upto], y=frames.loss_values[upto])
    dot = go.Scatter(x=[frames.epochs[k]] if loss is not None else [], y=[loss] if loss is not None else [])
    return line, dot


def animation_figure(frames: AnimationFrames, fps: float = 10.0) -> go.Figure:
    """The figure with one Plotly frame per ``frames.epochs`` entry, a play button and an epoch slider."""
    fig = make_subplots(rows=2, cols=1, row_heights=[0.8, 0.2], vertical_spacing=0.07)
    for t in _point_traces(frames, 0, full=True):
        fig.add_trace(t, row=1, col=1)
    n_points = len(fig.data)
    fig.add_trace(go.Scatter(x=frames.loss_epochs, y=frames.loss_values, mode="lines", name="loss",
                             line=dict(color="#C9D6E3", width=2), hoverinfo="skip", showlegend=False), row=2, col=1)
    line, dot = _loss_so_far(frames, 0)
    line.update(mode="lines", line=dict(color=LOSS_COLOUR, width=2.5), showlegend=False,
                hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra></extra>")
    dot.update(mode="markers", marker=dict(color=MARKER_COLOUR, size=10), showlegend=False, cliponaxis=False,
               hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra></extra>")
    fig.add_trace(line, row=2, col=1)
    fig.add_trace(dot, row=2, col=1)
    moving = list(range(n_points)) + [n_points + 1, n_points + 2]
    fig.frames = [go.Frame(name=str(e), data=[*_point_traces(frames, k, full=False), *_loss_so_far(frames, k)],
                           traces=moving, layout=dict(title=dict(text=caption(frames, k))))
                  for k, e in enumerate(frames.epochs)]
    _layout(fig, frames, fps)
    return fig


def _controls(frames: AnimationFrames, fps: float) -> tuple[list[dict], list[dict]]:
    """Play/Pause buttons and the epoch slider (both jump or play through the named frames)."""
    ms = int(round(1000 / fps))
    play = dict(frame=dict(duration=ms, redraw=True), fromcurrent=True,
                transition=dict(duration=int(ms * 0.8), easing="linear"))
    still = dict(frame=dict(duration=0, redraw=True), mode="immediate", transition=dict(duration=0))
    buttons = [dict(type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=-0.12,
                    yanchor="top", pad=dict(r=8, t=0),
                    buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                             dict(label="❚❚ Pause", method="animate", args=[[None], still])])]
    steps = [dict(method="animate", label=str(e), args=[[str(e)], still]) for e in frames.epochs]
    slider = [dict(active=0, steps=steps, x=0.16, len=0.84, y=-0.10, yanchor="top", pad=dict(t=0, b=0),
                   currentvalue=dict(prefix="Epoch ", visible=True, xanchor="left"), transition=dict(duration=0))]
    return buttons, slider


def _layout(fig: go.Figure, frames: AnimationFrames, fps: float) -> None:
    buttons, slider = _controls(frames, fps)
    fig.update_xaxes(range=list(AXIS_RANGE), showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
    fig.update_yaxes(range=list(AXIS_RANGE), showticklabels=False, showgrid=False, zeroline=False, scaleanchor="x",
                     scaleratio=1, row=1, col=1)
    fig.update_xaxes(showline=True, mirror=True, linecolor="#DDDDDD", constrain="domain", row=1, col=1)
    fig.update_yaxes(showline=True, mirror=True, linecolor="#DDDDDD", constrain="domain", row=1, col=1)
    top = float(frames.loss_values.max()) if frames.loss_values.size else 1.0
    bottom = float(frames.loss_values.min()) if frames.loss_values.size else 0.0
    pad = 0.05 * (top - bottom or 1.0)
    fig.update_xaxes(range=[min(frames.epochs[0], 0), max(frames.total_epochs, frames.epochs[-1])], title="epoch",
                     row=2, col=1)
    fig.update_yaxes(range=[bottom - pad, top + pad], title="loss", row=2, col=1)
    fig.update_layout(title=dict(text=caption(frames, 0), x=0.5, xanchor="center"), font=FONT, height=760,
                      template="plotly_white", margin=dict(l=60, r=30, t=60, b=140), hovermode="closest",
                      legend=dict(title=dict(text=frames.colour_title), itemsizing="constant", x=1.0, xanchor="left",
                                  y=1.0, yanchor="top"),
                      updatemenus=buttons, sliders=slider)
    if frames.note:
        fig.add_annotation(text=frames.note, xref="paper", yref="paper", x=0, y=1.02, showarrow=False,
                           xanchor="left", yanchor="bottom", font=dict(size=11, color="#666"))


def write_html(frames: AnimationFrames, out: Path, fps: float = 10.0) -> None:
    """``out`` as a standalone HTML page; plotly.js is embedded so it works without a network."""
    fig = animation_figure(frames, fps)
    fig.write_html(out, include_plotlyjs=True, full_html=True, auto_play=False,
                   config={"displaylogo": False, "responsive": True})
