"""``TrainingJob``: one run in a background thread, saved to the run store as it goes.

The app keeps one job per browser session and polls ``status()``; the CLI can use it too. A run
trains only while it holds a slot of the process's admission queue (``graphcl_core.admission``: one
queue, a GPU pool and a CPU pool, fair between visitors): until then it waits as ``queued`` and
``status()`` says its place in the line and the estimated wait. The slot goes back at once on Stop,
on Pause of a CPU run (a paused GPU run keeps its slot: it still holds GPU memory), and when the
visitor leaves (``leave()``; ``rejoin()`` queues it again). A paused run's single Steps run without
a slot.

Threads: the UI thread calls ``pause``/``resume``/``step_once``/``stop`` while the job's own thread
trains. Every change of ``state``, and the hand-over of the new ``Trainer`` with the Steps and pause
asked for before it existed, happen under the job's lock, so no click is lost or undone. The queue
is never called with that lock held (its admission callback takes it), so two jobs handing slots to
each other cannot deadlock.
"""

from __future__ import annotations

import threading
import time
import traceback

import torch

from . import admission
from . import options
from .config import TrainConfig
from .device import resolve_device
from .errors import ConfigError, GraphCLError
from .graph import GraphBundle
from .runs import RunStore, RunWriter
from .trainer import Trainer


def check_host_limits(cfg: TrainConfig, opts: options.RuntimeOptions | None = None) -> TrainConfig:
    """The host's own limits on a run (``GRAPHCL_MAX_EPOCHS``), checked when a run asks to start."""
    opts = opts or options.current()
    if opts.max_epochs is not None and cfg.epochs > opts.max_epochs:
        raise ConfigError(f"This server allows at most {opts.max_epochs:,} epochs a run (you asked for "
                          f"{cfg.epochs:,}). Lower Epochs under Advanced and press Start again.")
    return cfg


def share_cpu_cores(queue: admission.AdmissionQueue) -> int:
    """Narrow PyTorch's intra-op thread pool to one CPU run's share of the cores, so the queue's CPU
    slots and the pages fit on the machine (``admission.threads_per_cpu_run``). Called by the run's
    own thread: PyTorch keeps the count per OpenMP thread, so it holds for this thread and for
    threads started after it, never for ones already running. Only ever narrows; returns the count."""
    want = admission.threads_per_cpu_run(queue.slots.get("cpu", 1))
    if torch.get_num_threads() > want:
        torch.set_num_threads(want)
    return torch.get_num_threads()


# How often (seconds) progress is written to disk at most, besides snapshot boundaries.
SAVE_EVERY_S = 2.0


class TrainingJob:
    """Lifecycle: queued → running ⇄ paused (⇄ queued while waiting for a slot again) →
    finished | stopped | failed.

    ``state`` changes only through ``_set_state`` (under ``_lock``); read it freely. ``owner`` is who
    the run counts against in the queue's fairness (a workspace or a browser tab).
    """

    def __init__(self, bundle: GraphBundle, cfg: TrainConfig, store: RunStore | None = None, *,
                 start_paused: bool = False, owner: str = "local",
                 queue: admission.AdmissionQueue | None = None):
        self.bundle = bundle
        self.cfg = check_host_limits(cfg.validate())
        self.store = store
        self.owner = owner
        self.state = "queued"
        self.message = ""
        self.run_id: str | None = None
        self.trainer: Trainer | None = None
        self.writer: RunWriter | None = None
        self.device = str(resolve_device(cfg.device))
        self.pool = admission.pool_of(self.device)
        self.created = time.time()
        self.stop_requested_at: float | None = None  # when Stop was first asked for
        self.first_loss_at: float | None = None
        self.queued_seconds = 0.0  # time spent waiting for a slot before the first epoch
        self._queue = queue
        self._ticket: admission.Ticket | None = None
        self._present = True  # the visitor is still there (``leave``/``rejoin``)
        self._start_paused = start_paused  # the visitor's Pause (named so before it meant more)
        self._stop = threading.Event()
        self._pending_steps = 0
        self._lock = threading.RLock()
        self._last_save = 0.0
        self._thread = threading.Thread(target=self._main, name=f"graphcl-train-{bundle.name}", daemon=True)

    @property
    def queue(self) -> admission.AdmissionQueue:
        if self._queue is None:
            self._queue = admission.default_queue()
        return self._queue

    # ---- control (any thread) -----------------------------------------------------------------
    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def pause(self) -> None:
        with self._lock:
            self._start_paused = True
            self._apply_locked()
        self._sync_slot()

    def resume(self) -> None:
        with self._lock:
            self._start_paused = False
            self._pending_steps = 0  # Steps not yet run are moot once it runs (as Trainer.resume)
            self._apply_locked()
        self._sync_slot()

    def step_once(self) -> None:
        """One epoch while paused (pauses first if running).

        Each call counts exactly once: before the trainer exists it is kept in ``_pending_steps``,
        which ``_main`` hands over under the same lock as it publishes the trainer.
        """
        with self._lock:
            self._start_paused = True
            self._apply_locked()
            if self.trainer is not None:
                self.trainer.request_step()
            else:
                self._pending_steps += 1
        self._sync_slot()

    def stop(self) -> None:
        """End the run; its slot is free when this returns (the thread saves and ends on its own)."""
        with self._lock:
            if not self._stop.is_set():
                self.stop_requested_at = time.time()
            self._stop.set()
            if self.trainer is not None:
                self.trainer.stop()
        self._sync_slot()

    def leave(self) -> None:
        """The visitor left (tab closed): give the slot or the place in line back; the run waits."""
        with self._lock:
            self._present = False
            self._apply_locked()
        self._sync_slot()

    def rejoin(self) -> None:
        """The visitor is back: queue for a slot again (at the end of the line)."""
        with self._lock:
            self._present = True
        self._sync_slot()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed")

    @property
    def stopping(self) -> bool:
        """Stop was asked for and the run has not yet said so (it ends at its next epoch boundary)."""
        return self._stop.is_set() and not self.done

    def wait_done(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the run to end (stopped, finished or failed); whether it did."""
        deadline = time.monotonic() + timeout
        while not self.done and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.done

    def wait_first_loss(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the run's first loss row; whether it has one. Returns at once
        when the run is waiting in line for a slot, paused before its first epoch, or has ended."""
        deadline = time.monotonic() + timeout
        while True:
            t, ticket = self.trainer, self._ticket
            if t is not None and t.history:
                return True
            if (self.done or self._start_paused or (ticket is not None and ticket.waiting)
                    or time.monotonic() >= deadline):
                return False
            time.sleep(0.002)  # (sleeping hands the interpreter to the run's thread)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def holds_slot(self) -> bool:
        t = self._ticket
        return t is not None and t.admitted

    # ---- polling -------------------------------------------------------------------------------
    def status(self) -> dict:
        """State, progress and, while waiting for a slot, ``queue_position`` (1 = next) and
        ``queue_wait_s`` (estimated seconds; both None otherwise)."""
        t = self.trainer
        prog = t.progress() if t is not None else {"epoch": 0, "epochs": self.cfg.epochs, "history": [], "seconds": 0.0}
        ticket = self._ticket
        pos, wait = self.queue.where(ticket) if ticket is not None and ticket.waiting else (None, None)
        return {"state": self.state, "message": self.message, "run_id": self.run_id, "device": self.device,
                "owner": self.owner, "pool": self.pool, "queue_position": pos, "queue_wait_s": wait, **prog}

    # ---- the slot ------------------------------------------------------------------------------
    def _wants_slot_locked(self) -> bool:
        if self.done or self._stop.is_set() or not self._present:
            return False
        # A paused CPU run gives its slot to others (a paused GPU run still holds GPU memory). Before
        # the trainer exists a slot is needed to build it, paused or not.
        return not (self._start_paused and self.trainer is not None and self.pool == "cpu")

    def _sync_slot(self) -> None:
        """Ask for a slot or give it back as the run now wants. Never called with ``_lock`` held."""
        with self._lock:
            want = self._wants_slot_locked()
            drop = None
            if not want and self._ticket is not None:
                drop, self._ticket = self._ticket, None
                self._apply_locked()
            need = want and self._ticket is None
        self.queue.release(drop)
        if not need:
            return
        ticket = self.queue.request(self.owner, self.pool, label=self.bundle.name, progress=self._fraction,
                                    on_admit=self._admitted)
        with self._lock:
            if self._ticket is None and self._wants_slot_locked():
                self._ticket, ticket = ticket, None
                self._apply_locked()
        self.queue.release(ticket)  # None, unless the run stopped wanting it meanwhile

    def _admitted(self, ticket: admission.Ticket) -> None:
        with self._lock:
            if ticket is self._ticket:
                self._apply_locked()

    def _fraction(self) -> tuple[float, float] | None:
        t = self.trainer
        if t is None:
            return None
        p = t.progress()
        return p["epoch"] / max(1, p["epochs"]), p["seconds"]

    def _apply_locked(self) -> None:
        """Let the trainer run only with the visitor's consent and a slot; ``state`` follows."""
        t = self.trainer
        if t is None or self.done:
            return
        if self._stop.is_set():
            t.stop()
        elif self._start_paused:
            t.pause()
            self._set_state("paused", only_from=("queued", "running"))
        elif self._present and self._ticket is not None and self._ticket.admitted:
            t.resume()
            self._set_state("running", only_from=("queued", "paused"))
        else:
            t.pause()
            self._set_state("queued", only_from=("running", "paused"))

    # ---- the thread ----------------------------------------------------------------------------
    def _set_state(self, new: str, only_from: tuple[str, ...] | None = None) -> bool:
        """The one place ``state`` changes. ``only_from``: change only from one of these states (so a
        late Pause cannot turn a finished run back into a paused one). True when it changed."""
        with self._lock:
            if only_from is not None and self.state not in only_from:
                return False
            self.state = new
            return True

    def _wait_for_first_slot(self) -> bool:
        """Block until admitted (True) or stopped (False); a visitor who left waits without a ticket."""
        self._sync_slot()
        while True:
            with self._lock:
                ticket, stopped = self._ticket, self._stop.is_set()
            if stopped:
                return False
            if ticket is not None and ticket.admitted:
                return True
            if ticket is not None and ticket.waiting:
                ticket.wait(0.25)
            else:
                self._stop.wait(0.05)

    def _main(self) -> None:
        try:
            if not self._wait_for_first_slot():
                self._set_state("stopped")
                return
            self.queued_seconds = time.time() - self.created
            if self.pool == "cpu":
                share_cpu_cores(self.queue)
            trainer = Trainer(self.bundle, self.cfg)
            with self._lock:  # publish the trainer together with what was asked of it so far
                for _ in range(self._pending_steps):
                    trainer.request_step()
                self._pending_steps = 0
                self.trainer = trainer
                self._apply_locked()
            self._sync_slot()  # started paused on the CPU: the slot goes back now
            if self.store is not None:
                self.writer = self.store.create(self.bundle, self.cfg, self.device)
                self.run_id = self.writer.run_id
            trainer.run(callback=self._on_boundary)
            status = "stopped" if self._stop.is_set() else "finished"
            if status == "stopped":
                self._set_state(status)  # Stop is acknowledged now; the final probe below only adds metrics
            final = {}
            if self.bundle.has_labels and trainer.epoch > 0:
                final = trainer.evaluate(quick=False)
            self._set_state(status)
            self._save(final_status=status, metrics=final)
        except GraphCLError as e:
            self._fail(str(e))
        except torch.cuda.OutOfMemoryError:
            self._fail("The GPU ran out of memory. Try a smaller hidden size, fewer negatives, or the CPU.")
        except Exception as e:  # noqa: BLE001 - a bug must not kill the app; keep the trace for the log
            traceback.print_exc()
            self._fail(f"Training stopped because of an unexpected error: {type(e).__name__}: {e}")
        finally:
            with self._lock:
                ticket, self._ticket = self._ticket, None
            self.queue.release(ticket)

    def _on_boundary(self, trainer: Trainer) -> None:
        if self.first_loss_at is None and trainer.history:
            self.first_loss_at = time.time()
        now = time.time()
        if now - self._last_save >= SAVE_EVERY_S or trainer.paused:
            self._save()
            self._last_save = now

    def _save(self, final_status: str | None = None, metrics: dict | None = None) -> None:
        if self.writer is None or self.trainer is None:
            return
        t = self.trainer
        self.writer.save_progress(t.progress()["history"], t.snapshot_list(), t.epoch, t.train_seconds)
        if final_status is not None:
            self.writer.save_weights(t.model)
            self.writer.finish(final_status, self.message, metrics)

    def _fail(self, message: str) -> None:
        self.message = message
        self._set_state("failed")
        try:
            if self.writer is not None and self.trainer is not None:
                self.writer.save_progress(self.trainer.progress()["history"], self.trainer.snapshot_list(),
                                          self.trainer.epoch, self.trainer.train_seconds)
                self.writer.finish("failed", message)
        except Exception:  # noqa: BLE001 - saving a failed run is best effort
            traceback.print_exc()
