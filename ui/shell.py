"""The app's page list, and the guard that lets any page be the first one a fresh server runs.

Streamlit treats a ``pages/`` folder as its old multipage mode until ``app.py`` has called
``st.navigation`` once in the server process. Until then a link to a page (``/train?graph=karate``,
what *Share these settings* hands out) runs ``pages/train.py`` alone: no session token, no settings
from the URL, and an automatic sidebar of file names. ``route_through_app`` at the top of every page
notices that ``app.py`` has not run first in this script run and hands the request to it.
"""

from __future__ import annotations

import streamlit as st

# (script, title, icon); the first is the default page.
PAGES = (
    ("pages/home.py", "Home", ":material/home:"),
    ("pages/graph.py", "Graph", ":material/hub:"),
    ("pages/train.py", "Train", ":material/model_training:"),
    ("pages/sweep.py", "Sweep", ":material/grid_view:"),
    ("pages/explore.py", "Explore", ":material/scatter_plot:"),
    ("pages/runs.py", "Runs", ":material/history:"),
)
# Set by app.py just before it runs the page, taken by the page: present only when app.py ran first.
READY_KEY = "app.ready"
# URL parameters a page reads that the settings sync (ui/state.py) does not keep: taken into session
# state here, before that sync rewrites the URL (parameter -> session_state key).
PAGE_PARAMS = {"sweep": "sweep.link"}


def navigation():
    """``st.navigation`` over the app's pages; returns the page this request asks for."""
    for param, key in PAGE_PARAMS.items():
        if value := st.query_params.get(param):
            st.session_state[key] = value
    pages = [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)]
    return st.navigation(pages)


def route_through_app() -> None:
    """Called first by every page: when ``app.py`` did not run first (it sets ``READY_KEY``), run it instead.

    Declaring the navigation ends Streamlit's old pages-folder mode for the whole server; the rerun
    then runs ``app.py``, which restores the URL's settings and opens the page the URL names.
    """
    if st.session_state.pop(READY_KEY, False):
        return
    navigation()
    st.rerun()


RUNS_NOT_IN_LINK = ("It does not carry your runs: they stay in this browser's private workspace (or your account, "
                    "when signed in) until you publish one on the Runs page.")


def share_caption(graph_key: str) -> str:
    """What the sidebar's *Share these settings* link carries. An uploaded graph is not in links (its file
    lives only in this tab), so then the text says the receiver gets the karate club until they upload it."""
    if str(graph_key).startswith("upload:"):
        name = str(graph_key).split(":", 1)[1]
        return (f"This link opens the app with the same hyperparameters, but not your graph: the uploaded file "
                f"{name} is not in the link, so whoever opens it sees the karate club until they upload the "
                f"file themselves. " + RUNS_NOT_IN_LINK)
    return "This link opens the app with the same graph and hyperparameters. " + RUNS_NOT_IN_LINK
