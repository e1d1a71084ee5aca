"""Getting umap-learn's numba kernels compiled without slowing down a run that is training.

The first UMAP frame on a fresh machine compiles ~40 numba kernels: ~20 s of one core, 44 s on a
busy 2-core machine. Done in a thread of the server (as before), that compile took the GIL and a core
from the training thread: the one-click karate demo took 13.5 s in the app against 2.2 s from the
CLI. So the compile now runs in a child process at low CPU priority (``nice`` +15, no shared GIL)
that fills numba's on-disk cache (``projection._import_umap``); the server then only loads the cached
kernels (~2 s), and first waits, up to ``LOAD_WAIT_S``, while a run trains on the CPU.
Where the cache is off (``GRAPHCL_NUMBA_CACHE=0``) a child's compile would be lost, so it happens here.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

CHILD_NICE = 15
# Longest wait for the CPU's runs to end before loading the cached kernels into the server anyway.
LOAD_WAIT_S = 20.0
CHILD_TIMEOUT_S = 600.0
_PACKAGE_PARENT = Path(__file__).resolve().parents[1]
_EXITING = threading.Event()  # the server is ending: the child was ended on purpose


def compile_in_child(timeout: float = CHILD_TIMEOUT_S) -> bool:
    """Run ``projection.warm_here()`` in a low-priority child process; True when it ended well."""
    path = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), os.environ.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from graphcl_core import projection; projection.warm_here()"],
                                env={**os.environ, "PYTHONPATH": path}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as e:
        log.warning("UMAP compile process could not start (%s); compiling in the server", e)
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, proc.pid, CHILD_NICE)
    except (OSError, AttributeError):  # not permitted, or no setpriority (Windows): normal priority
        pass
    atexit.register(_end, proc)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        log.warning("UMAP compile process took over %.0f s; compiling in the server", timeout)
        return False
    if proc.returncode != 0 and not _EXITING.is_set():
        log.warning("UMAP compile process failed (%s); compiling in the server",
                    (err or b"").decode(errors="replace").strip().splitlines()[-1:] or proc.returncode)
    return proc.returncode == 0


def _end(proc: subprocess.Popen) -> None:
    _EXITING.set()
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def cpu_runs_training() -> int:
    """Runs holding a CPU slot of this process's admission queue right now."""
    from .admission import default_queue

    return int(default_queue().summary().get("cpu", {}).get("running", 0))


def wait_while_cpu_trains(max_wait: float = LOAD_WAIT_S, poll: float = 0.25) -> float:
    """Sleep while a run trains on the CPU, at most ``max_wait`` seconds; returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_wait:
        try:
            if cpu_runs_training() == 0:
                break
        except Exception:  # noqa: BLE001 - no queue to ask: do not wait
            break
        time.sleep(poll)
    return time.monotonic() - t0
