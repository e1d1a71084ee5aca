"""``TrainingJob``: one run in a background thread, saved to the run store as it goes.

The app keeps one job per browser session and polls ``status()``; the CLI can use it too. Runs on
the GPU take a slot from a small process-wide pool (``RuntimeOptions.gpu_slots``, from
``GRAPHCL_GPU_SLOTS``, default 2): further runs wait in a queue with a message instead of crashing
the GPU.

Threads: the UI thread calls ``pause``/``resume``/``step_once``/``stop`` while the job's own thread
trains. Every change of ``state``, and the hand-over of the new ``Trainer`` with the Steps and pause
asked for before it existed, happen under the job's lock, so no click is lost or undone.
"""

from __future__ import annotations

import threading
import time
import traceback

import torch

from . import options
from .config import TrainConfig
from .device import resolve_device
from .errors import GraphCLError
from .graph import GraphBundle
from .runs import RunStore, RunWriter
from .trainer import Trainer

_gpu_slots: threading.BoundedSemaphore | None = None
_gpu_slots_lock = threading.Lock()


def gpu_slots() -> threading.BoundedSemaphore:
    """The process-wide GPU pool, made on first use from ``options.current()`` (never at import, so a
    bad ``GRAPHCL_GPU_SLOTS`` cannot break the import: the options keep the default and say why)."""
    global _gpu_slots
    with _gpu_slots_lock:
        if _gpu_slots is None:
            _gpu_slots = threading.BoundedSemaphore(max(1, options.current().gpu_slots))
        return _gpu_slots


# How often (seconds) progress is written to disk at most, besides snapshot boundaries.
SAVE_EVERY_S = 2.0


class TrainingJob:
    """Lifecycle: queued → running ⇄ paused → finished | stopped | failed.

    ``state`` changes only through ``_set_state`` (under ``_lock``); read it freely.
    """

    def __init__(self, bundle: GraphBundle, cfg: TrainConfig, store: RunStore | None = None, *,
                 start_paused: bool = False):
        self.bundle = bundle
        self.cfg = cfg.validate()
        self.store = store
        self.state = "queued"
        self.message = ""
        self.run_id: str | None = None
        self.trainer: Trainer | None = None
        self.writer: RunWriter | None = None
        self.device = str(resolve_device(cfg.device))
        self.created = time.time()
        self.first_loss_at: float | None = None
        self._start_paused = start_paused
        self._stop = threading.Event()
        self._pending_steps = 0
        self._lock = threading.RLock()
        self._last_save = 0.0
        self._thread = threading.Thread(target=self._main, name=f"graphcl-train-{bundle.name}", daemon=True)

    # ---- control (any thread) -----------------------------------------------------------------
    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def pause(self) -> None:
        with self._lock:
            self._start_paused = True
            if self.trainer is not None:
                self.trainer.pause()
            self._set_state("paused", only_from=("running",))

    def resume(self) -> None:
        with self._lock:
            self._start_paused = False
            if self.trainer is not None:
                self.trainer.resume()
            self._set_state("running", only_from=("paused",))

    def step_once(self) -> None:
        """One epoch while paused (pauses first if running).

        Each call counts exactly once: before the trainer exists it is kept in ``_pending_steps``,
        which ``_main`` hands over under the same lock as it publishes the trainer.
        """
        with self._lock:
            self.pause()
            if self.trainer is not None:
                self.trainer.request_step()
            else:
                self._pending_steps += 1

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self.trainer is not None:
                self.trainer.stop()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed")

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ---- polling -------------------------------------------------------------------------------
    def status(self) -> dict:
        t = self.trainer
        prog = t.progress() if t is not None else {"epoch": 0, "epochs": self.cfg.epochs, "history": [], "seconds": 0.0}
        return {"state": self.state, "message": self.message, "run_id": self.run_id, "device": self.device,
                **prog}

    # ---- the thread ----------------------------------------------------------------------------
    def _set_state(self, new: str, only_from: tuple[str, ...] | None = None) -> bool:
        """The one place ``state`` changes. ``only_from``: change only from one of these states (so a
        late Pause cannot turn a finished run back into a paused one). True when it changed."""
        with self._lock:
            if only_from is not None and self.state not in only_from:
                return False
            self.state = new
            return True

    def _main(self) -> None:
        use_gpu = self.device.startswith("cuda")
        acquired = False
        try:
            if use_gpu:
                while not (acquired := gpu_slots().acquire(timeout=0.5)):
                    self.message = "Waiting for the GPU: other runs are using it. This run starts when one ends."
                    if self._stop.is_set():
                        self._set_state("stopped")
                        return
                self.message = ""
            trainer = Trainer(self.bundle, self.cfg)
            with self._lock:  # publish the trainer together with what was asked of it so far
                for _ in range(self._pending_steps):
                    trainer.request_step()
                self._pending_steps = 0
                if self._start_paused:
                    trainer.pause()
                if self._stop.is_set():
                    trainer.stop()
                self.trainer = trainer
            if self.store is not None:
                self.writer = self.store.create(self.bundle, self.cfg, self.device)
                self.run_id = self.writer.run_id
            with self._lock:
                self._set_state("paused" if trainer.paused else "running", only_from=("queued",))
            trainer.run(callback=self._on_boundary)
            final = {}
            if self.bundle.has_labels and trainer.epoch > 0:
                final = trainer.evaluate(quick=False)
            self._set_state("stopped" if self._stop.is_set() else "finished")
            self._save(final_status=self.state, metrics=final)
        except GraphCLError as e:
            self._fail(str(e))
        except torch.cuda.OutOfMemoryError:
            self._fail("The GPU ran out of memory. Try a smaller hidden size, fewer negatives, or the CPU.")
        except Exception as e:  # noqa: BLE001 - a bug must not kill the app; keep the trace for the log
            traceback.print_exc()
            self._fail(f"Training stopped because of an unexpected error: {type(e).__name__}: {e}")
        finally:
            if acquired:
                gpu_slots().release()

    def _on_boundary(self, trainer: Trainer) -> None:
        if self.first_loss_at is None and trainer.history:
            self.first_loss_at = time.time()
        with self._lock:
            self._set_state("paused" if trainer.paused else "running", only_from=("running", "paused"))
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
