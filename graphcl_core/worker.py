"""``TrainingJob``: one run in a background thread, saved to the run store as it goes.

The app keeps one job per browser session and polls ``status()``; the CLI can use it too. Runs on
the GPU take a slot from a small process-wide pool (``GRAPHCL_GPU_SLOTS``, default 2): further
runs wait in a queue with a message instead of crashing the GPU.
"""

from __future__ import annotations

import os
import threading
import time
import traceback

import torch

from .config import TrainConfig
from .device import resolve_device
from .errors import GraphCLError
from .graph import GraphBundle
from .runs import RunStore, RunWriter
from .trainer import Trainer

_GPU_SLOTS = threading.BoundedSemaphore(max(1, int(os.environ.get("GRAPHCL_GPU_SLOTS", "2"))))

# How often (seconds) progress is written to disk at most, besides snapshot boundaries.
SAVE_EVERY_S = 2.0


class TrainingJob:
    """Lifecycle: queued → running ⇄ paused → finished | stopped | failed."""

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
        self._lock = threading.Lock()
        self._last_save = 0.0
        self._thread = threading.Thread(target=self._main, name=f"graphcl-train-{bundle.name}", daemon=True)

    # ---- control (any thread) -----------------------------------------------------------------
    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def pause(self) -> None:
        if self.trainer is not None:
            self.trainer.pause()
        self._start_paused = True
        if self.state == "running":
            self.state = "paused"

    def resume(self) -> None:
        self._start_paused = False
        if self.trainer is not None:
            self.trainer.resume()
        if self.state == "paused":
            self.state = "running"

    def step_once(self) -> None:
        """One epoch while paused (pauses first if running)."""
        self.pause()
        if self.trainer is not None:
            self.trainer.request_step()
        else:
            with self._lock:
                self._pending_steps += 1

    def stop(self) -> None:
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
    def _main(self) -> None:
        use_gpu = self.device.startswith("cuda")
        acquired = False
        try:
            if use_gpu:
                while not (acquired := _GPU_SLOTS.acquire(timeout=0.5)):
                    self.message = "Waiting for the GPU: other runs are using it. This run starts when one ends."
                    if self._stop.is_set():
                        self.state = "stopped"
                        return
                self.message = ""
            self.trainer = Trainer(self.bundle, self.cfg)
            with self._lock:
                for _ in range(self._pending_steps):
                    self.trainer.request_step()
            if self._start_paused:
                self.trainer.pause()
            if self._stop.is_set():
                self.trainer.stop()
            if self.store is not None:
                self.writer = self.store.create(self.bundle, self.cfg, self.device)
                self.run_id = self.writer.run_id
            self.state = "paused" if self._start_paused else "running"
            self.trainer.run(callback=self._on_boundary)
            final = {}
            if self.bundle.has_labels and self.trainer.epoch > 0:
                final = self.trainer.evaluate(quick=False)
            self.state = "stopped" if self._stop.is_set() else "finished"
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
                _GPU_SLOTS.release()

    def _on_boundary(self, trainer: Trainer) -> None:
        if self.first_loss_at is None and trainer.history:
            self.first_loss_at = time.time()
        if self.state in ("running", "paused"):
            self.state = "paused" if trainer.paused else "running"
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
        self.state = "failed"
        try:
            if self.writer is not None and self.trainer is not None:
                self.writer.save_progress(self.trainer.progress()["history"], self.trainer.snapshot_list(),
                                          self.trainer.epoch, self.trainer.train_seconds)
                self.writer.finish("failed", message)
        except Exception:  # noqa: BLE001 - saving a failed run is best effort
            traceback.print_exc()
