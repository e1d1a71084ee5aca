"""Loaded by the Streamlit server of ``test_history_browser.py`` (through PYTHONPATH): every
``st.navigation`` call takes a second longer after it has told the browser the page, as on a busy server.

That gives the browser time to put the new page's address into its history before anything the script
sends afterwards: a settings sync that ran after the navigation then pushed a second history entry.
"""

import time

import streamlit as st

_navigation = st.navigation


def _slow_navigation(*args, **kwargs):
    page = _navigation(*args, **kwargs)
    time.sleep(1.0)
    return page


st.navigation = _slow_navigation
