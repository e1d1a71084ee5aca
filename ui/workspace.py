"""The visitor's workspace: which runs this browser (or this signed-in person) owns.

A browser's workspace is ``b-<token>``, the token a random value kept in the cookie ``graphcl_ws``:
it survives reloads and duplicated tabs (the browser sends the cookie with every page load) and a
copied link never carries it (it is not in the URL). On the first visit there is no cookie: a new
token is made, kept in ``st.session_state`` for this session, and a tiny script in the page writes
the cookie for the next load. When ``.streamlit/secrets.toml`` has an ``[auth]`` section the sidebar
offers *Sign in* (``st.login``); a signed-in person's workspace is ``u-<hash of the provider's id>``,
the same on every device. ``choose`` is that decision, as a plain function.

The rules (isolation, publishing, limits) live in ``graphcl_core.workspaces`` and ``RunStore``; this
module only decides the name, and ``store()`` opens the run store for it.
"""

from __future__ import annotations

import re
import threading
import time

import streamlit as st

from graphcl_core import options, workspaces
from graphcl_core.runs import RunStore

COOKIE = "graphcl_ws"
KEY = "workspace"  # session_state: this session's workspace name
DEEP_LINK_KEY = "workspace.deep_link_run"  # a ``run`` URL parameter, kept for the page to open
COOKIE_MAX_AGE_S = 400 * 86400  # the longest a browser keeps a cookie
EXPIRE_EVERY_S = 3600.0
_RUN_ID_OK = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")
_last_expiry = 0.0
_expiry_lock = threading.Lock()


def choose(user: dict | None, cookie: str | None, current: str | None = None) -> tuple[str, str | None]:
    """``(workspace, token to write into the cookie or None)`` from the signed-in user, the cookie and
    the workspace this session already has.

    Signed in (``user["is_logged_in"]`` with a ``sub``): that person's workspace. Otherwise the session's
    own browser workspace if it has one, else the cookie's, else a new token (to be written)."""
    if user and user.get("is_logged_in") and user.get("sub"):
        return workspaces.user_workspace(str(user.get("iss") or ""), str(user["sub"])), None
    if current and current.startswith("b-"):
        return current, None
    if workspaces.valid_token(cookie):
        return workspaces.browser_workspace(cookie), None
    token = workspaces.new_token()
    return workspaces.browser_workspace(token), token


def is_owner(ip: str | None, headers: dict | None, opts: options.RuntimeOptions | None = None) -> bool:
    """The server's owner: a browser on the server's own machine, not relayed by a proxy (switch off
    with ``GRAPHCL_OWNER_LOCALHOST=0``). The owner also sees the ``legacy`` workspace, read-only."""
    opts = opts or options.current()
    if not opts.owner_localhost or (ip or "") not in _LOOPBACK:
        return False
    names = {k.lower() for k in (headers or {})}
    return not any(h in names for h in _FORWARDED)


def auth_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` sets up sign-in (an ``[auth]`` section)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _user() -> dict | None:
    try:
        return dict(st.user) if st.user.is_logged_in else None
    except Exception:  # noqa: BLE001 - no auth configured, or outside a running app
        return None


def _context() -> tuple[str | None, dict, str | None]:
    """``(ip address, headers, workspace cookie)`` of this browser connection (empty in tests)."""
    try:
        ctx = st.context
        return ctx.ip_address, dict(ctx.headers or {}), (ctx.cookies or {}).get(COOKIE)
    except Exception:  # noqa: BLE001 - AppTest and bare mode have no connection
        return None, {}, None


def init() -> str:
    """Called by ``app.py`` on every run before the settings sync: settles this session's workspace,
    writes the cookie when new, notes the visit, keeps a ``run`` URL parameter for the page, shows
    pending notices (runs deleted by the max-runs rule) and now and then expires idle workspaces."""
    ss = st.session_state
    ip, headers, cookie = _context()
    name, token = choose(_user(), cookie, ss.get(KEY))
    if token:
        ss["workspace.cookie"] = token
    ss[KEY] = name
    if ss.get("workspace.settled") != name:  # once a session (and again after signing in or out)
        ss["workspace.settled"] = name
        ss["workspace.owner"] = is_owner(ip, headers)
        store().touch()
        _expire_now_and_then()
    if ss.get("workspace.cookie"):
        _write_cookie(ss["workspace.cookie"])
    run = st.query_params.get("run")
    if run:
        ss[DEEP_LINK_KEY] = run
    for note in store().pop_notices():
        st.toast(note, icon=":material/delete_sweep:")
    return name


def _write_cookie(token: str) -> None:
    """The browser keeps the token for the next load (SameSite=Lax: sent on links into the app)."""
    st.html(f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age={COOKIE_MAX_AGE_S}; "
            "SameSite=Lax';</script>", unsafe_allow_javascript=True, width="content")


def _expire_now_and_then() -> None:
    """Delete idle visitor workspaces, at most once an hour per server process."""
    global _last_expiry
    with _expiry_lock:
        if time.time() - _last_expiry < EXPIRE_EVERY_S:
            return
        _last_expiry = time.time()
    opts = options.current()
    workspaces.expire_idle(RunStore(workspace=workspaces.DEFAULT_WORKSPACE).root,
                           opts.workspace_idle_days * 86400.0)


def store() -> RunStore:
    """The run store of this session's workspace (plus ``legacy`` for the server's owner)."""
    ss = st.session_state
    sees = (workspaces.LEGACY_WORKSPACE,) if ss.get("workspace.owner") else ()
    return RunStore(workspace=ss[KEY], sees=sees)


def take_deep_link() -> str | None:
    """The run named by the URL's ``run`` parameter, once (``""`` for text that cannot be a run id)."""
    run = st.session_state.pop(DEEP_LINK_KEY, None)
    if run is None:
        return None
    return run if _RUN_ID_OK.match(run) else ""


def not_found(run_id: str) -> str:
    """The one message for a missing run and for another workspace's unpublished run (indistinguishable)."""
    name = f"Run `{run_id}`" if run_id else "The run this link names"
    return f"{name} was not found: it does not exist, or it belongs to someone else and was not published."


def sign_in_box() -> None:
    """Sidebar: *Sign in* / *Sign out* when sign-in is configured; nothing otherwise."""
    if not auth_configured():
        return
    user = _user()
    if user:
        st.caption(f"Signed in as {user.get('name') or user.get('email') or 'you'}: your runs follow you "
                   "to any device.")
        if st.button("Sign out", icon=":material/logout:", key="workspace.logout", width="stretch"):
            st.logout()
    elif st.button("Sign in", icon=":material/login:", key="workspace.login", width="stretch",
                   help="Keep your runs in a named workspace you can open from any device."):
        st.login()
