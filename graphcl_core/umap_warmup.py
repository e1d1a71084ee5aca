"""Getting umap-learn's numba kernels compiled without slowing down a run that is training.

The first UMAP frame on a fresh machine compiles ~40 numba kernels: ~20 s of one core, 44 s on a
busy 2-core machine. Done in a thread of the server (as before), that compile slowed a run training
beside it: the karate demo's run took 3.5 s instead of 1.6 s on an idle 2-core machine. So it now runs in a child process at low CPU priority (``nice`` +15, no shared GIL),
held stopped while a run trains on the CPU (up to ``LOAD_WAIT_S``), that fills numba's on-disk cache
(``projection._import_umap``); the server then only loads the cached kernels (~2 s), and first waits,
up to ``LOAD_WAIT_S`` again, while a run trains on the CPU.
Where the cache is off (``GRAPHCL_NUMBA_CACHE=0``) a child's compile would be lost, so it happens here.
Once a child has filled the cache it leaves a marker there (``cache_marker``: named after the umap-learn,
numba and Python in use and umap-learn's files' time), and a later server start skips the child: it
only waits up to ``WARM_LOAD_WAIT_S`` for a CPU run before loading the kernels. Without that, every
restart redid the child's work at low priority beside the run: on a busy 2-core machine a Cora run's
first UMAP frame came 100 s after Start, with the kernels long compiled.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

CHILD_NICE = 15
# Longest wait for the CPU's runs to end before loading the cached kernels into the server anyway.
LOAD_WAIT_S = 20.0
# With the cache warm, loading its kernels costs ~2 s of one core: wait only this long for a CPU run (the
# karate demo's whole run is shorter), so a longer run's live view gets UMAP after a few seconds.
WARM_LOAD_WAIT_S = 5.0
CHILD_TIMEOUT_S = 600.0
_PACKAGE_PARENT = Path(__file__).resolve().parents[1]
_EXITING = threading.Event()  # the server is ending: the child was ended on purpose


def compile_in_child(timeout: float = CHILD_TIMEOUT_S) -> bool:
    """Run ``projection.warm_here()`` in a low-priority child process; True when it ended well.

    The child is suspended (SIGSTOP) while a run trains on the CPU, for at most ``LOAD_WAIT_S`` in all:
    the two cores of a small machine are often one core's two hyper-threads, where even a ``nice``
    neighbour halves the training's speed (a karate run beside the compile: 3.0 s instead of 1.6 s).
    A long run lets it go on after that, so its live view still gets UMAP."""
    path = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), os.environ.get("PYTHONPATH", "")) if p)
    err = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from graphcl_core import projection, umap_warmup; "
                                 "projection.warm_here(); umap_warmup.mark_cache_warm()"],
                                env={**os.environ, "PYTHONPATH": path}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    except OSError as e:
        log.warning("UMAP compile process could not start (%s); compiling in the server", e)
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, proc.pid, CHILD_NICE)
    except (OSError, AttributeError):  # not permitted, or no setpriority (Windows): normal priority
        pass
    atexit.register(_end, proc)
    if not _supervise(proc, timeout):
        log.warning("UMAP compile process took over %.0f s; compiling in the server", timeout)
        return False
    if proc.returncode != 0 and not _EXITING.is_set():
        err.seek(0)
        last = err.read().decode(errors="replace").strip().splitlines()[-1:]
        log.warning("UMAP compile process failed (%s); compiling in the server", last or proc.returncode)
    return proc.returncode == 0


def cache_marker() -> Path | None:
    """The file that says numba's cache holds umap-learn's kernels for this umap-learn, numba, pynndescent and
    Python; None where there is no cache folder or umap-learn is not installed. umap-learn's files' time is in
    the name, as numba keys its cache by them: a reinstall makes a new name (and numba compiles again)."""
    import importlib.metadata

    cache = os.environ.get("NUMBA_CACHE_DIR")
    try:
        stamp = _umap_files_time()
        versions = (importlib.metadata.version("umap-learn"), importlib.metadata.version("numba"),
                    importlib.metadata.version("pynndescent"))
    except (ImportError, ValueError, OSError, importlib.metadata.PackageNotFoundError):
        return None
    if not cache or stamp is None:
        return None
    py = f"py{sys.version_info.major}{sys.version_info.minor}"
    return Path(cache) / f"graphcl-umap-{versions[0]}-numba-{versions[1]}-pynndescent-{versions[2]}-{py}-{stamp}.warm"


def _umap_files_time() -> int | None:
    """The newest modification time (whole seconds) of umap-learn's modules, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("umap")
    if spec is None or not spec.origin:
        return None
    return max((int(f.stat().st_mtime) for f in Path(spec.origin).parent.glob("*.py")), default=None)


def cache_is_warm() -> bool:
    marker = cache_marker()
    return marker is not None and marker.is_file()


def mark_cache_warm() -> None:
    """Called by the child once ``warm_here`` compiled every kernel into the cache."""
    marker = cache_marker()
    if marker is not None:
        try:
            marker.touch()
        except OSError as e:  # a read-only cache folder: the next start compiles in a child again
            log.warning("could not mark numba's cache as warm: %s", e)


def _supervise(proc: subprocess.Popen, timeout: float, poll: float = 0.25) -> bool:
    """Wait for the child, holding it stopped while a CPU run trains (``LOAD_WAIT_S`` in all); False if it
    outlived ``timeout`` (then it is ended)."""
    t0, held, stopped = time.monotonic(), 0.0, False
    can_stop = hasattr(signal, "SIGSTOP")
    while proc.poll() is None:
        if time.monotonic() - t0 > timeout:
            proc.kill()
            proc.wait()
            return False
        try:
            busy = can_stop and held < LOAD_WAIT_S and cpu_runs_training() > 0
        except Exception:  # noqa: BLE001 - no queue to ask: let it run
            busy = False
        if busy != stopped:
            _signal(proc, signal.SIGSTOP if busy else signal.SIGCONT)
            stopped = busy
        time.sleep(poll)
        held += poll if stopped else 0.0
    return True


def _signal(proc: subprocess.Popen, sig) -> None:
    try:
        proc.send_signal(sig)
    except OSError:
        pass


def _end(proc: subprocess.Popen) -> None:
    _EXITING.set()
    if proc.poll() is None:
        _signal(proc, signal.SIGCONT)
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
