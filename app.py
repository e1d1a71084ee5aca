"""GraphCL Studio: contrastive learning on graphs, live in the browser.

Run with ``streamlit run app.py``. This entry point sets the page up, attaches the tab to its
training job (see ``ui/registry.py``), keeps the URL in step with the settings and runs the page.
"""

import streamlit as st

# Until ``st.navigation`` below has run, Streamlit lists the pages/ folder's file names in the sidebar ("app,
# explore, graph, home…"); a fresh server's first run imports torch and PyG before it (~3.5 s on 2 cores).
# Hidden meanwhile, by a style sent before those imports and removed right after the navigation (in a
# session's first run only: on later runs the list is already right, and hiding it would make it blink).
_veil = st.empty()
if "sid" not in st.session_state:
    _veil.markdown("<style>[data-testid='stSidebarNav']{visibility:hidden}</style>", unsafe_allow_html=True)

from graphcl_core import projection  # noqa: E402 - after the veil, on purpose
from graphcl_core.device import warm_up_cuda_in_background  # noqa: E402
from ui import graphs, shell, state, training  # noqa: E402
from ui import workspace  # noqa: E402

st.set_page_config(page_title="GraphCL Studio", page_icon=":material/hub:", layout="wide",
                   initial_sidebar_state="expanded")

# Compile UMAP once per server process in the background; the live view uses PCA until it is ready.
projection.warmup_in_background()
# Likewise the CUDA context, so Start on a GPU shows its first loss point at once.
warm_up_cuda_in_background()

link_pending = workspace.DEEP_LINK_KEY in st.session_state  # a link's run that no page has opened yet
workspace.init()  # whose runs this browser sees (a cookie, or the signed-in person): ui/workspace.py
# the URL names the run this tab wrote there itself (not a new link): only Explore, whose run it is, opens it
own_run = not link_pending and st.query_params.get(state.RUN_PARAM) == st.session_state.get(state.URL_RUN_KEY)
slot = state.init_session()
state.take_page_params(shell.PAGE_PARAMS)
# Before the navigation: the one history entry of a page visit then carries the parameters (see there).
state.sync_query_params()

page = shell.navigation()
_veil.empty()
state.forget_seen_deep_link(workspace.DEEP_LINK_KEY, page.url_path, link_pending)
if own_run and page.url_path != state.EXPLORE_PAGE:  # else every arrival at Runs would open that run again,
    st.session_state.pop(workspace.DEEP_LINK_KEY, None)  # undoing the visitor's choice there (or warn anew)


# The Train page polls the run itself (its live view) and reruns the whole page on every change of
# state; there the sidebar neither polls a second time nor shows a second, older epoch counter.
_on_train_page = page.url_path == "train"


@st.fragment(run_every=None if _on_train_page or not slot.active else
             (5.0 if slot.job.state == "queued" else 2.0))
def _run_status() -> None:
    """The tab's run, kept current while it trains (on pages other than Train)."""
    job = slot.job
    if job is None:
        return
    s = job.status()
    if job.done and st.session_state.get("train.done_seen") is not job:
        st.session_state["train.done_seen"] = job
        st.rerun()  # once, so polling stops everywhere
    label = {"queued": "waiting", "running": "training", "paused": "paused", "finished": "finished",
             "stopped": "stopped", "failed": "failed"}.get(s["state"], s["state"])
    st.caption("THIS TAB'S RUN")
    if _on_train_page:  # the page's own progress line is the one counter (it may be playing the run back)
        st.markdown(f"**{job.bundle.name}**: {label}, shown on this page")
        return
    st.markdown(f"**{job.bundle.name}**: {label}, epoch {s['epoch']} of {s['epochs']}")
    st.progress(min(1.0, s["epoch"] / max(1, s["epochs"])))
    if s.get("queue_position"):
        wait = s.get("queue_wait_s")
        st.caption(f"In line: number {s['queue_position']}"
                   + ("" if wait is None else f", about {training.fmt_seconds(wait)} to wait"))


with st.sidebar:
    key = st.session_state[state.GRAPH_KEY]
    st.caption("GRAPH")
    st.markdown(f"**{graphs.title_of(key)}**")
    _run_status()
    workspace.sign_in_box()
    with st.popover("Share these settings", icon=":material/link:", width="stretch"):
        st.caption(shell.share_caption(key))
        st.code(state.share_link(), language=None, wrap_lines=True)

for w in st.session_state.pop("url_warnings", []) or []:
    st.toast(w, icon=":material/warning:")

st.session_state[shell.READY_KEY] = True  # tells the page that this run set it up (ui/shell.py)
try:
    page.run()
finally:  # also when the page stopped early (st.stop, st.rerun, a page switch)
    state.keep_settings()  # what the page set (a link's settings, "Use these settings")
# Widgets on the page may have changed settings (or Explore's run) during this run: keep the URL in step.
state.sync_query_params(page.url_path)
