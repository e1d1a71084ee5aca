"""The trial picked in the Sweep page's results, kept while the person visits other pages.

Streamlit drops a widget's value once its page is not shown, so after Open in Explore and Back the
picker fell back to the best trial and "Use these settings" took that one. The choice lives in a
plain session key (``KEPT``) that is copied into the picker's key (``PICK``) before the picker is
drawn, and back by the picker's ``on_change`` (Streamlit's documented pattern). Until the person
picks a trial (in the picker or by clicking its row), the pick follows the best trial. Every
function takes any mapping, so this is tested without a browser.
"""

from __future__ import annotations

import inspect
from collections.abc import MutableMapping
from typing import Any

PICK = "sweep.pick"  # the picker widget's key
KEPT = "sweep.pick.kept"  # the picked trial number, outliving the widget
AUTO = "sweep.pick.auto"  # True while the pick follows the best trial
ROWS_SEEN = "sweep.rows_seen"  # the table's selected rows as last read: a change is a click


def clicked(state: MutableMapping[str, Any], rows: list[int], table: list[dict], ids: list[int]) -> None:
    """A click on a row of the results table (its selection changed) picks that trial."""
    if rows == state.get(ROWS_SEEN):
        return
    state[ROWS_SEEN] = rows
    if rows and rows[0] < len(table) and table[rows[0]]["trial"] in ids:
        state[KEPT], state[AUTO] = table[rows[0]]["trial"], False


def settle(state: MutableMapping[str, Any], ids: list[int], top: int | None) -> int:
    """The trial the picker shows on this run (set into ``PICK`` before the picker is drawn): the person's
    choice while it is one of ``ids``, else the best trial ``top`` (else the first)."""
    if state.get(KEPT) not in ids or (state.get(AUTO, True) and top in ids):
        state[KEPT], state[AUTO] = (top if top in ids else ids[0]), True
    state[PICK] = state[KEPT]
    return state[KEPT]


def chose(state: MutableMapping[str, Any]) -> None:
    """The picker's ``on_change``: the person picked a trial there."""
    state[KEPT], state[AUTO] = state[PICK], False


def forget(state: MutableMapping[str, Any]) -> None:
    """A new sweep: its pick follows its own best trial (``ROWS_SEEN`` stays, so the table's old selection
    does not count as a click)."""
    state.pop(KEPT, None)
    state.pop(AUTO, None)


def table_selection(state: MutableMapping[str, Any], dataframe=None) -> dict:
    """Keyword arguments for the results table: the person's picked row ticked again when the table is drawn
    anew (after another page), where this Streamlit has ``st.dataframe(selection_default=...)``; else none."""
    if state.get(AUTO, True) or not isinstance(state.get(KEPT), int):
        return {}
    if dataframe is None:
        import streamlit as st

        dataframe = st.dataframe
    if "selection_default" not in inspect.signature(dataframe).parameters:
        return {}
    return {"selection_default": {"selection": {"rows": [state[KEPT] - 1]}}}
