"""``graphcl-studio`` / ``python -m graphcl_core studio``: a server process (``ui.studio_server``) starts
the warm-ups before Streamlit, in that process; Streamlit gets the arguments; Ctrl-C ends it quietly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from graphcl_core import cli, device, projection, studio
from ui import studio_server

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_streamlit(monkeypatch):
    """Streamlit's own CLI entry replaced by a recorder; ``events`` keeps the order of what happened."""
    from streamlit.web import cli as st_cli

    events: list = []
    events_exit: list = []  # exit codes Streamlit ends with (0 when empty)

    def st_main(args, prog_name):
        events.append(("streamlit", prog_name, list(args), list(sys.argv)))
        raise SystemExit(events_exit.pop() if events_exit else 0)

    monkeypatch.setattr(st_cli, "main", st_main)
    monkeypatch.setattr(studio_server, "start_warmups", lambda: events.append(("warmups",)))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    return events, events_exit


def test_warmups_start_first_then_streamlit_runs_the_app_with_the_arguments(fake_streamlit):
    events, _ = fake_streamlit
    app = str(REPO / "app.py")
    assert studio_server.main([app, "--server.port", "8999", "--server.headless", "true"]) == 0
    assert events == [("warmups",),
                      ("streamlit", "streamlit", ["run", app, "--server.port", "8999", "--server.headless", "true"],
                       ["streamlit", "run", app, "--server.port", "8999", "--server.headless", "true"])]


def test_streamlits_exit_code_is_the_commands(fake_streamlit):
    events, exits = fake_streamlit
    exits.append(3)
    assert studio_server.main([str(REPO / "app.py")]) == 3
    assert [e[0] for e in events] == ["warmups", "streamlit"]


def test_python_m_graphcl_core_studio_hands_everything_after_it_to_the_studio(monkeypatch):
    seen = []
    monkeypatch.setattr(studio, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["studio", "--server.port", "8502"]) == 0
    assert seen == [["--server.port", "8502"]]


def test_start_warmups_starts_the_projection_and_cuda_warmups(monkeypatch):
    calls = []
    monkeypatch.setattr(projection, "warmup_in_background", lambda: calls.append("umap") or "umap-thread")
    monkeypatch.setattr(device, "warm_up_cuda_in_background", lambda: calls.append("cuda") or None)
    assert studio_server.start_warmups() == ["umap-thread"]  # no CUDA here: no CUDA thread
    monkeypatch.setattr(device, "warm_up_cuda_in_background", lambda: calls.append("cuda") or "cuda-thread")
    assert studio_server.start_warmups() == ["umap-thread", "cuda-thread"]
    assert calls == ["umap", "cuda", "umap", "cuda"]


def test_without_the_repository_it_says_how_to_get_it_and_starts_nothing(monkeypatch, capsys, fake_streamlit):
    events, _ = fake_streamlit
    monkeypatch.setattr(studio, "find_app", lambda: None)
    assert studio.main([]) == 2
    assert "pip install -e ." in capsys.readouterr().err
    assert events == []


def test_without_streamlit_it_says_what_to_install(monkeypatch, capsys, fake_streamlit):
    events, _ = fake_streamlit
    real = studio.importlib.util.find_spec
    monkeypatch.setattr(studio.importlib.util, "find_spec", lambda name: None if name == "streamlit" else real(name))
    assert studio.main([]) == 2
    assert "requirements.txt" in capsys.readouterr().err
    assert events == []


def test_ctrl_c_before_the_server_runs_ends_quietly(monkeypatch, capsys, fake_streamlit):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(studio_server, "start_warmups", interrupted)
    assert studio_server.main([str(REPO / "app.py")]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_real_command_serves_the_app_and_ctrl_c_stops_it_cleanly(tmp_path):
    """``python -m graphcl_core studio`` in a child: the server answers, then SIGINT (Ctrl-C) ends it with
    exit code 0 and no traceback (~5 s)."""
    port = _free_port()
    env = {**os.environ, "GRAPHCL_RUNS_DIR": str(tmp_path / "runs")}
    proc = subprocess.Popen([sys.executable, "-m", "graphcl_core", "studio", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):  # polls 0.3 s apart, until the server answers
            assert proc.poll() is None, proc.communicate()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the server did not answer")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out


def test_the_cuda_warm_up_trains_the_default_recipe_on_sparse_features():
    """The warm-up's training part runs (on the CPU here): a silent failure would leave a first GPU run cold."""
    from graphcl_core.fast.graphed_step import WARMUP_STEPS

    trainer = device._warm_training("cpu")
    assert trainer.epoch == WARMUP_STEPS + 3 and len(trainer.history) == WARMUP_STEPS + 3
    assert trainer.fast_info["sparse_features"] == "on"
