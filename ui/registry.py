"""Per-browser job registry.

Streamlit makes a new session on every reload, so the running job cannot live in
``st.session_state`` alone. Each browser tab gets a random token (``sid``) kept in the URL; the
registry below maps that token to a :class:`Slot` holding the tab's training job, its current graph
and the live-view caches. A reload with the same URL finds the same slot and reattaches to the job;
two tabs with different tokens never see each other's slot. The registry is a module-level dict
guarded by a lock (not ``st.cache_resource``), holds no data of its own beyond what each tab put
there, and forgets idle slots after a while.

Leaving: a watcher thread (``release_departed`` every ``LEAVE_CHECK_S``) notices a tab whose browser
connection has closed and gives its run's queue slot (or place in line) back at once; the run waits,
paused, and queues again when the tab comes back (a reload claims the slot again) or is stopped and
saved after ``ABANDON_S``. Without a Streamlit runtime (tests, the CLI) nobody is ever seen leaving.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from graphcl_core.graph import GraphBundle
from graphcl_core.worker import TrainingJob

_TOKEN_OK = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# A slot whose job is over (or absent) is forgotten after this long without a visit.
IDLE_FORGET_S = 12 * 3600
# At most this many slots are kept; the longest-idle finished ones go first.
MAX_SLOTS = 500
# How often (seconds) the watcher looks for tabs that were closed.
LEAVE_CHECK_S = 0.25
# A run whose tab has stayed closed this long (seconds) is stopped; it stays saved as 'stopped'.
ABANDON_S = 15 * 60


@dataclass
class Slot:
    """Everything one browser tab owns on the server."""

    sid: str
    job: TrainingJob | None = None
    bundle: GraphBundle | None = None
    graph_key: str | None = None
    # The Streamlit session (browser connection) that uses this slot now: a copied link or a duplicated
    # tab arriving while that connection is still open gets a slot of its own instead.
    owner: str | None = None
    # The workspace whose runs this tab makes and sees (ui/workspace.py); a tab never changes hands
    # between workspaces.
    workspace: str | None = None
    last_seen: float = field(default_factory=time.time)
    # When the owning connection was seen closed (its run gave its slot back); None while it is open.
    gone_since: float | None = None
    # Live-view state (projector, last frames, cached layouts): recomputable, never user input.
    cache: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def active(self) -> bool:
        """A job exists and has not reached finished/stopped/failed."""
        return self.job is not None and not self.job.done


_REGISTRY: dict[str, Slot] = {}
_LOCK = threading.Lock()


def new_token() -> str:
    return secrets.token_urlsafe(12)


def valid_token(token: object) -> bool:
    return isinstance(token, str) and bool(_TOKEN_OK.match(token))


def get_slot(sid: str) -> Slot:
    """The slot of token ``sid``, created on first use."""
    if not valid_token(sid):
        raise ValueError("invalid session token")
    with _LOCK:
        slot = _REGISTRY.get(sid)
        if slot is None:
            _forget_idle_locked()
            slot = _REGISTRY[sid] = Slot(sid)
        slot.last_seen = time.time()
        return slot


def claim(sid: str, session_id: str | None) -> Slot | None:
    """``sid``'s slot, now owned by the connection ``session_id``; ``None`` if another open one owns it.

    A reload closes the old connection first, so it reattaches; a second tab opened from the same
    URL (or a link shared with the token in it) finds the first one still open and gets ``None``
    (it starts fresh). The check and the claim happen under one lock, so two tabs opening the same
    link at the same moment cannot both take the slot.
    """
    if not valid_token(sid):
        raise ValueError("invalid session token")
    with _LOCK:
        slot = _REGISTRY.get(sid)
        if slot is not None and _other_owner_open(slot.owner, session_id):
            return None
        if slot is None:
            _forget_idle_locked()
            slot = _REGISTRY[sid] = Slot(sid)
        slot.owner = session_id
        slot.last_seen = time.time()
        back = slot.gone_since is not None
        slot.gone_since = None
    _ensure_watcher()
    if back and slot.active:
        slot.job.rejoin()  # a reload, or the visitor came back: queue for a slot again
    return slot


def owned_by_other_open_session(sid: str, session_id: str | None) -> bool:
    """True when ``sid``'s slot belongs to another browser connection that is still open (a look
    only: to take the slot, use ``claim``)."""
    with _LOCK:
        slot = _REGISTRY.get(sid)
        return slot is not None and _other_owner_open(slot.owner, session_id)


def _other_owner_open(owner: str | None, session_id: str | None) -> bool:
    if owner is None or session_id is None or owner == session_id:
        return False
    return _connection_open(owner)


def _connection_open(session_id: str) -> bool:
    """Whether Streamlit still has the browser connection ``session_id`` open."""
    try:
        from streamlit import runtime

        return runtime.exists() and runtime.get_instance().is_active_session(session_id)
    except Exception:  # noqa: BLE001 - without a runtime (tests, bare mode) nobody else can be connected
        return False


def _connection_gone(session_id: str | None) -> bool:
    """True only when a Streamlit runtime exists and says the connection ``session_id`` is closed."""
    if session_id is None:
        return False
    try:
        from streamlit import runtime

        return runtime.exists() and not runtime.get_instance().is_active_session(session_id)
    except Exception:  # noqa: BLE001 - no runtime, no way to tell: assume still there
        return False


def release_departed(now: float | None = None) -> list[str]:
    """One look at every tab with an active run: a closed one gives its slot back (``job.leave``), one
    that reopened queues again (``job.rejoin``), one closed for ``ABANDON_S`` is stopped. Returns the
    tokens that left in this look."""
    now = time.time() if now is None else now
    with _LOCK:
        slots = [s for s in _REGISTRY.values() if s.active]
    left = []
    for s in slots:
        gone = _connection_gone(s.owner)
        if gone and s.gone_since is None:
            s.gone_since = now
            s.job.leave()
            left.append(s.sid)
        elif gone and now - s.gone_since >= ABANDON_S:
            s.job.stop()
        elif not gone and s.gone_since is not None:
            s.gone_since = None
            s.job.rejoin()
    return left


_watcher: threading.Thread | None = None


def _ensure_watcher() -> None:
    """Start the leave watcher once per process (a daemon thread; it only reads the registry)."""
    global _watcher
    with _LOCK:
        if _watcher is not None and _watcher.is_alive():
            return
        _watcher = threading.Thread(target=_watch, name="graphcl-leave-watcher", daemon=True)
        _watcher.start()


def _watch() -> None:
    while True:
        try:
            release_departed()
        except Exception:  # noqa: BLE001 - the watcher must outlive any one bad slot
            pass
        time.sleep(LEAVE_CHECK_S)


def has_slot(sid: str) -> bool:
    with _LOCK:
        return sid in _REGISTRY


def active_run_ids() -> set[str]:
    """Run ids of every job still training in any tab (their folders must not be deleted)."""
    with _LOCK:
        slots = list(_REGISTRY.values())
    return {s.job.run_id for s in slots if s.job is not None and not s.job.done and s.job.run_id}


def _forget_idle_locked() -> None:
    now = time.time()
    for sid, slot in list(_REGISTRY.items()):
        if not slot.active and now - slot.last_seen > IDLE_FORGET_S:
            del _REGISTRY[sid]
    if len(_REGISTRY) >= MAX_SLOTS:
        idle = sorted((s for s in _REGISTRY.values() if not s.active), key=lambda s: s.last_seen)
        for s in idle[: len(_REGISTRY) - MAX_SLOTS + 1]:
            del _REGISTRY[s.sid]
