"""Whether a fragment's last redraw was cut short, for elements that are usually sent last.

Streamlit drops a fragment's unsent elements when its next redraw starts first (a redraw slower than its
poll, on a busy CPU). A page that sends an element last (so it never names a newer epoch than the picture
under it) must send it first after a redraw that never reached its end: where every redraw outlasts the
poll, an element sent last would never be sent at all. ``begin`` and ``end`` mark a redraw in session
state; one cut short began and never ended.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any


def begin(state: MutableMapping[str, Any], name: str) -> bool:
    """Mark the start of redraw ``name``; True when the one before was cut short."""
    cut_short = state.get(f"{name}.redraw.began", 0.0) > state.get(f"{name}.redraw.ended", 0.0)
    state[f"{name}.redraw.began"] = time.perf_counter()
    return cut_short


def end(state: MutableMapping[str, Any], name: str) -> None:
    """Mark that redraw ``name`` reached its end."""
    state[f"{name}.redraw.ended"] = time.perf_counter()
